// RUN: agn-opt %s --agn-lower-to-llvm-pipeline | FileCheck %s --implicit-check-not=llvm.intr.exp --implicit-check-not=@erff
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline=approximate-math=false | FileCheck %s --check-prefix=LIBM

// GELU (erf) and a softmax's exp leave the pipeline as arithmetic: no libm
// call (erff) and no llvm.intr.exp, which LLVM would lower to one call per
// element and keep the loops scalar (agn-cpu-approximate-math).

// CHECK-LABEL: llvm.func @gelu_exp
// CHECK:       llvm.intr.fma
// With approximate-math=false, each element calls libm.
// LIBM:        llvm.call @erff
// LIBM:        llvm.intr.exp
func.func @gelu_exp(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %e = tensor.empty() : tensor<64x256xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x256xf32>) outs(%e : tensor<64x256xf32>) {
  ^bb0(%a: f32, %b: f32):
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %rsqrt2 = arith.constant 0.707106769 : f32
    %s = arith.mulf %a, %rsqrt2 : f32
    %erf = math.erf %s : f32
    %p = arith.addf %erf, %one : f32
    %g = arith.mulf %a, %p : f32
    %h = arith.mulf %g, %half : f32
    %y = math.exp %h : f32
    linalg.yield %y : f32
  } -> tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}
