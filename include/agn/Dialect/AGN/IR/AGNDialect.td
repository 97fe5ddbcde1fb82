//===- AGNDialect.td - Adaptive Granularity dialect --------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_IR_AGNDIALECT_TD
#define AGN_DIALECT_AGN_IR_AGNDIALECT_TD

include "mlir/IR/OpBase.td"

def AGN_Dialect : Dialect {
  let name = "agn";
  let cppNamespace = "::mlir::agn";
  let summary = "Adaptive Granularity Neural Networks";
  let description = [{
    The `agn` dialect models *Granularity Units* (GUs): a contraction with its
    epilogue (the "neuron set") plus a controller that measures a statistic of
    the unit's input at run time and picks the precision of that call.

    Precision levels are ordered from least to most precise:
    `i4 < i8 < bf16 < f16 < f32`. Every list of levels in this dialect (a
    unit's allowed levels, a policy's levels, a dispatch's cases) is written in
    that order, strictly increasing. At run time a level is an `index` holding
    the level's ordinal (`i4` = 0 ... `f32` = 4), the same encoding the runtime
    resource manager (`include/agn-c/Runtime.h`) uses.

    The usual flow is: `agn.unit` wraps a contraction; inside it, a controller
    made of `agn.variance`, `agn.select` and `agn.arbitrate` computes the
    granted level; `agn.dispatch` holds one version of the computation per
    level; `agn.quantize` / `agn.dequantize` re-scale values for the integer
    levels.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    /// Registers the attributes defined in AGNAttrs.td.
    void registerAttributes();

    /// Discardable attributes that agn-lower leaves on the `scf.index_switch`
    /// of each unit's dispatch, for the code generation passes after it
    /// (agn-place-level-weights, agn-instrument-profile): the symbol of the
    /// unit's runtime-id global (an i64 `llvm.mlir.global`), the unit's name
    /// (a `StringAttr`), and the level of each case, the default region's
    /// last (a `DenseI32ArrayAttr` of `Precision` values).
    static constexpr ::llvm::StringLiteral kUnitIdAttrName = "agn.unit_id";
    static constexpr ::llvm::StringLiteral kUnitNameAttrName =
        "agn.unit_name";
    static constexpr ::llvm::StringLiteral kCaseLevelsAttrName =
        "agn.case_levels";
  }];
}

#endif // AGN_DIALECT_AGN_IR_AGNDIALECT_TD
