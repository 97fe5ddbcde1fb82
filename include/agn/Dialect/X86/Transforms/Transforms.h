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

/// Adds the lowerings of `agn_x86.usdot`: with `vnni`, those on 16 lanes
/// become AVX-512 VNNI's `vpdpbusd` (its LLVM intrinsic); every other one
/// becomes portable vector arithmetic (extend, multiply, sum each group of
/// four), which computes the same result on any target.
void populateUsdotLoweringPatterns(RewritePatternSet &patterns, bool vnni);

} // namespace agn::x86
} // namespace mlir

#endif // AGN_DIALECT_X86_TRANSFORMS_TRANSFORMS_H
