// RUN: agn-opt %s --verify-diagnostics --split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(agn-gpu-configure-kernels{chip=gfx90a}))"
// RUN: not agn-opt %s \
// RUN:   --pass-pipeline="builtin.module(func.func(agn-gpu-configure-kernels{simt-tile-sizes=32}))" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=SIZES
// RUN: not agn-opt %s \
// RUN:   --pass-pipeline="builtin.module(func.func(agn-gpu-configure-kernels{mma-tile-sizes=0,32}))" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ZERO
// RUN: not agn-opt %s \
// RUN:   --pass-pipeline="builtin.module(func.func(agn-gpu-configure-kernels{simt-block-threads=64,64}))" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=THREADS

// expected-error @+1 {{agn-gpu-configure-kernels: unknown chip 'gfx90a'; expected an NVIDIA compute capability such as sm_80}}
func.func @chip(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
  return %a : tensor<8x8xf32>
}
// SIZES: 'simt-tile-sizes', 'simt-block-threads' and 'mma-tile-sizes' take two sizes (rows, columns)
// ZERO: agn-gpu-configure-kernels: 'tile_sizes' must be positive
// THREADS: agn-gpu-configure-kernels: a GPU block has at most 1024 threads, got 4096
