//===- Transforms.h - agn_x86 rewrite patterns ------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_X86_TRANSFORMS_TRANSFORMS_H
#define AGN_DIALECT_X86_TRANSFORMS_TRANSFORMS_H

namespace mlir {
class RewritePatternSet;

namespace agn::x86 {

/// Adds the lowerings of `agn_x86.usdot` and `agn_x86.sdot`: with `vnni`,
/// usdot on 16 lanes becomes AVX-512 VNNI's `vpdpbusd` (its LLVM
/// intrinsic); with `avx2`, sdot on a multiple of 8 lanes becomes AVX2's
/// `vpsignb`, `vpmaddubsw` and `vpmaddwd`; every other one becomes portable
/// vector arithmetic (extend, multiply, sum each group of four), which
/// computes the same result on any target.
void populateUsdotLoweringPatterns(RewritePatternSet &patterns, bool vnni,
                                   bool avx2);

} // namespace agn::x86
} // namespace mlir

#endif // AGN_DIALECT_X86_TRANSFORMS_TRANSFORMS_H
