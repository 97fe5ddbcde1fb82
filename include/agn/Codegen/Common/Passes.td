//===- Passes.td - target-independent codegen passes ---*- tablegen -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Code generation passes that any target's pipeline uses: they work on
// buffers and vectors, after the target's kernels are chosen.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_COMMON_PASSES_TD
#define AGN_CODEGEN_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def AGNHoistVectorTransfers
    : Pass<"agn-hoist-vector-transfers", "::mlir::func::FuncOp"> {
  let summary = "Keep vectorized accumulators in registers across the K loop";
  let description = [{
    After bufferization, folds subviews into the vector transfers that read
    them and hoists the loop-invariant transfer pairs (the accumulator tile
    of a vectorized matmul, read and written at the same place on every K
    iteration) out of their loops, so the tile stays in registers.
  }];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::affine::AffineDialect"
  ];
}

def AGNEmulateNarrowTypes
    : Pass<"agn-emulate-narrow-types", "::mlir::ModuleOp"> {
  let summary = "Pack memrefs of sub-byte integers (i4) into bytes";
  let description = [{
    Rewrites every memref whose element type is narrower than
    `load-store-bitwidth` bits (the i4 of agn's weights) as a flat memref of
    that width holding several values per element, with upstream's
    narrow-type emulation: loads become a wide load, a shift and a
    truncation; stores a read-modify-write of the wide element, atomic
    inside parallel loops (`scf.forall`, `scf.parallel`), whose iterations
    may write the element's other values, and plain elsewhere (a locked
    compare-exchange loop per store made quantizing weights to i4 6x
    slower). With the default width, i4 values are packed two per byte, the first in
    the low nibble, as `agn.quantize` documents.

    Upstream's emulation does not cover `memref.global`/`memref.get_global`,
    which hold the weights quantized at compile time: this pass packs their
    initial values itself, in the layout the emulated loads expect.

    Runs on memrefs, after bufferization and the lowering of linalg to loops
    (or vectors), before the conversion to LLVM.
  }];
  let options = [
    Option<"loadStoreBitwidth", "load-store-bitwidth", "unsigned", "8",
           "Width of the memory accesses the narrow values are packed into">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::affine::AffineDialect", "::mlir::vector::VectorDialect"
  ];
}

def AGNEmitCInterface : Pass<"agn-emit-c-interface", "::mlir::ModuleOp"> {
  let summary = "Give every public function a C interface";
  let description = [{
    Adds `llvm.emit_c_interface` to every public `func.func` with a body, so
    that the LLVM lowering also emits `_mlir_ciface_<name>`, which takes and
    returns memrefs as pointers to descriptors and is callable from C, C++
    and ctypes. Private functions and declarations are left alone.
  }];
}

#endif // AGN_CODEGEN_COMMON_PASSES_TD
