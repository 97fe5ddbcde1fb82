// The pipeline's `threads`, when given, is the runtime's: a config pinned by
// hand keeps its kernel and tiles but splits into that many chunks. Without
// the option, the pinned config is kept whole.
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline="threads=2 target-cpu=znver4" --mlir-print-ir-after=agn-cpu-configure-kernels -o /dev/null 2>&1 | FileCheck %s --check-prefix=GIVEN
// RUN: agn-opt %s --agn-lower-to-llvm-pipeline="target-cpu=znver4" --mlir-print-ir-after=agn-cpu-configure-kernels -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT

// GIVEN: IR Dump After AGNCpuConfigureKernels
// GIVEN: #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1], threads = 2>
// DEFAULT: IR Dump After AGNCpuConfigureKernels
// DEFAULT: #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1], threads = 4>
func.func @pinned(%a: tensor<8x32xf32>, %b: tensor<32x64xf32>, %c: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [4, 16, 1], threads = 4>}
      ins(%a, %b : tensor<8x32xf32>, tensor<32x64xf32>) outs(%c : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}
