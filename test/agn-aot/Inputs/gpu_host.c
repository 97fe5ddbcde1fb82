/* A host program for a model that agn-aot compiled with --target=cuda
 * (examples/mlp.mlir as `net`): calls it once and reports, as every such host
 * must, whether its GPU kernels ran (agn_gpu_status). Exits 0 with the first
 * output when they did, 1 with the runtime's message when they did not. */

#include "net.h"

#include "agn-c/GpuRuntime.h"

#include <stdio.h>
#include <stdlib.h>

enum { kBatch = 16, kIn = 64, kHidden = 128, kOut = 10 };

static float x[kBatch * kIn], w1[kIn * kHidden], b1[kHidden],
    w2[kHidden * kOut], b2[kOut];

int main(void) {
  for (int i = 0; i < kBatch * kIn; ++i)
    x[i] = 0.01f * (float)(i % 7);
  agn_memref_float_2d result = {0};
  agn_memref_float_2d xv = {x, x, 0, {kBatch, kIn}, {kIn, 1}};
  agn_memref_float_2d w1v = {w1, w1, 0, {kIn, kHidden}, {kHidden, 1}};
  agn_memref_float_1d b1v = {b1, b1, 0, {kHidden}, {1}};
  agn_memref_float_2d w2v = {w2, w2, 0, {kHidden, kOut}, {kOut, 1}};
  agn_memref_float_1d b2v = {b2, b2, 0, {kOut}, {1}};
  _mlir_ciface_mlp(&result, &xv, &w1v, &b1v, &w2v, &b2v);
  int status = agn_gpu_status();
  if (status != 0) {
    fprintf(stderr, "gpu_host: the model's GPU kernels did not run: %s\n",
            agn_gpu_last_error());
    free(result.allocated);
    return 1;
  }
  printf("gpu_host: y[0][0] = %g\n", result.aligned[0]);
  free(result.allocated);
  return 0;
}
