//===- Passes.td - agn conversion passes -------------------*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CONVERSION_PASSES_TD
#define AGN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNLower : Pass<"agn-lower", "::mlir::ModuleOp"> {
  let summary = "Lower agn ops to linalg, arith, scf, tensor and runtime calls";
  let description = [{
    Replaces every agn op with upstream ops on tensors, so that any upstream
    pipeline (bufferization, tiling, vectorization, GPU mapping) can take
    the result:

    - `agn.unit`: its body, inlined in its place.
    - `agn.variance`: one linalg reduction over the row-major flattening
      (every `stride`-th element through a strided `tensor.extract_slice`)
      of the shifted sums S1 = sum(x - K), S2 = sum((x - K)^2) in f64, K the
      first sampled element; the variance max((S2 - S1^2 / n) / n, 0), 0 for
      an empty input, NaN for NaN or infinite elements.
    - `agn.abs_max`: a max-abs linalg reduction (`arith.maximumf`, which
      propagates NaN) from 0.
    - `agn.select`: arith compares of the statistic, in f64, against the
      same `threshold * (1 +- hysteresis)` products as the folder
      (`PolicyAttr::selectBand`), and a lookup of the level.
    - `agn.dispatch`: `scf.index_switch` on the index of the case to run,
      the most precise case being the default.
    - `agn.arbitrate`: `agn_rt_arbitrate(unit, requested, statistic)` of
      `include/agn-c/Runtime.h`, with the unit's id in a private i64
      `llvm.mlir.global` (-1 until the unit's first call registers it, with
      its name and cost table, through `agn_rt_register_unit`).
    - `agn.quantize` / `agn.dequantize`: per scale group (tensor, index
      along `axis`, or `block` along `axis`), a max-abs reduction, the
      scales max / qmax (1 for an all-zero group), and the stored values
      clamp(round_half_even(x * qmax / max), -qmax, qmax) evaluated in f64
      exactly as the constant folder does; float storage converts with
      every scale 1; dequantization multiplies stored values and scales.

    Ops the pass cannot lower (an f80 or f128 input, a unit name with a NUL
    character, a runtime symbol already taken with another type) are
    diagnosed and the pass fails before changing anything.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::cf::ControlFlowDialect"
  ];
}

#endif // AGN_CONVERSION_PASSES_TD
