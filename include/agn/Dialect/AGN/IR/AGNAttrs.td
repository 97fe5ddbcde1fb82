//===- AGNAttrs.td - agn attributes and enums --------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_IR_AGNATTRS_TD
#define AGN_DIALECT_AGN_IR_AGNATTRS_TD

include "agn/Dialect/AGN/IR/AGNDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def AGN_Precision : I32EnumAttr<"Precision", "a precision level", [
    I32EnumAttrCase<"i4", 0>,
    I32EnumAttrCase<"i8", 1>,
    I32EnumAttrCase<"bf16", 2>,
    I32EnumAttrCase<"f16", 3>,
    I32EnumAttrCase<"f32", 4>
  ]> {
  let cppNamespace = "::mlir::agn";
  let genSpecializedAttr = 0;
  let description = [{
    The precision levels a Granularity Unit can run at, ordered from least to
    most precise. The enum's value is the level's ordinal, also used for the
    `index` level values at run time and by the runtime library.
  }];
}

def AGN_StatisticKind : I32EnumAttr<"StatisticKind",
    "the statistic a controller measures", [
    I32EnumAttrCase<"variance", 0>,
    I32EnumAttrCase<"abs_max", 1>
  ]> {
  let cppNamespace = "::mlir::agn";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class AGN_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<AGN_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def AGN_PrecisionAttr : EnumAttr<AGN_Dialect, AGN_Precision, "precision"> {
  let assemblyFormat = "`<` $value `>`";
}

def AGN_PrecisionArrayAttr
    : TypedArrayAttrBase<AGN_PrecisionAttr, "array of precision levels">;

def AGN_StatisticKindAttr
    : EnumAttr<AGN_Dialect, AGN_StatisticKind, "statistic"> {
  let assemblyFormat = "`<` $value `>`";
}

def AGN_PolicyAttr : AGN_Attr<"Policy", "policy"> {
  let summary = "a controller's policy: statistic and thresholds to levels";
  let description = [{
    Maps a run-time statistic of a unit's input to a precision level.

    ```mlir
    #agn.policy<statistic = variance, levels = [i8, bf16, f32],
                thresholds = [0.05, 0.5], hysteresis = 0.1>
    ```

    `levels` (strictly increasing) are the levels the controller chooses
    from; `thresholds` (strictly increasing, finite, non-negative, one fewer
    than the levels) split the statistic's range into bands: a statistic
    below `thresholds[0]` selects `levels[0]`, one in
    `[thresholds[i-1], thresholds[i])` selects `levels[i]`, one at or above the
    last threshold the most precise level. High variance thus asks for more
    precision. NaN or infinite statistics select the most precise level.

    `hysteresis` (in `[0, 1)`, default 0) is a relative band around each
    threshold: given the previously chosen level, the controller moves up only
    when the statistic reaches `threshold * (1 + hysteresis)` and down only
    when it falls below `threshold * (1 - hysteresis)`, so that inputs near a
    threshold do not flip the level on every call. `statistic` defaults to
    `variance` and may be omitted.
  }];
  let parameters = (ins
    "StatisticKind":$statistic,
    ArrayRefParameter<"Precision">:$levels,
    "::mlir::DenseF64ArrayAttr":$thresholds,
    APFloatParameter<"relative margin around each threshold">:$hysteresis
  );
  let builders = [
    AttrBuilder<(ins "StatisticKind":$statistic,
                     "::llvm::ArrayRef<Precision>":$levels,
                     "::llvm::ArrayRef<double>":$thresholds,
                     CArg<"double", "0.0">:$hysteresis), [{
      return $_get($_ctxt, statistic, levels,
                   ::mlir::DenseF64ArrayAttr::get($_ctxt, thresholds),
                   ::llvm::APFloat(hysteresis));
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Returns the thresholds as doubles.
    ::llvm::ArrayRef<double> getThresholdValues() const {
      return getThresholds().asArrayRef();
    }

    /// Returns the hysteresis as a double.
    double getHysteresisValue() const {
      return getHysteresis().convertToDouble();
    }

    /// Returns the band index (position in `getLevels()`) the statistic
    /// selects, ignoring hysteresis. NaN and infinities select the last band.
    unsigned selectBand(double statistic) const;

    /// Returns the band index the statistic selects when the previous call
    /// chose band `previousBand`, applying the hysteresis margins.
    unsigned selectBand(double statistic, unsigned previousBand) const;

    /// Returns the position in `getLevels()` of the most precise level not
    /// above `level`, or 0 when every policy level is above it.
    unsigned getBandOf(Precision level) const;
  }];
}

def AGN_CostAttr : AGN_Attr<"Cost", "cost"> {
  let summary = "the cost of running a unit at one level";
  let description = [{
    Resident weight bytes and multiply-accumulate operations of one call of a
    unit at one precision level; the runtime resource manager uses these to
    fit units into memory and latency budgets.

    ```mlir
    #agn.cost<i8, weight_bytes = 65536, macs = 4194304>
    ```
  }];
  let parameters = (ins
    "Precision":$level,
    "uint64_t":$weightBytes,
    "uint64_t":$macs
  );
  let assemblyFormat = [{
    `<` $level `,` `weight_bytes` `=` $weightBytes `,` `macs` `=` $macs `>`
  }];
}

def AGN_CostArrayAttr
    : TypedArrayAttrBase<AGN_CostAttr, "array of per-level costs">;

include "agn/Dialect/AGN/IR/AGNCodegenAttrs.td"

#endif // AGN_DIALECT_AGN_IR_AGNATTRS_TD
