//===- main.cpp - Calling an agn model compiled ahead of time -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Links the object that agn-aot made from examples/mlp.mlir (through the
// adaptive pipeline) and calls it from C++: a calm and a wild batch, each
// compared with a float64 reference, and the runtime's decisions per unit.
//
//   agn-aot examples/mlp.mlir --entry=mlp --passes=agn-adaptive-pipeline -d out
//   clang++ -Iout -Iinclude main.cpp out/mlp.o -Lbuild/lib -lagn_runtime
//
//===----------------------------------------------------------------------===//

#include "mlp.h"

#include "agn-c/Runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {
constexpr int kBatch = 16, kIn = 64, kHidden = 128, kOut = 10;

/// A dense row-major tensor and its descriptor for the compiled code.
template <int Rank> struct Tensor {
  std::vector<float> data;
  int64_t sizes[Rank];

  explicit Tensor(std::initializer_list<int64_t> shape) {
    std::copy(shape.begin(), shape.end(), sizes);
    size_t count = 1;
    for (int64_t size : sizes)
      count *= size;
    data.assign(count, 0.0f);
  }
};

/// Builds the descriptor of a rank-1 or rank-2 tensor.
agn_memref_float_1d view(Tensor<1> &t) {
  return {t.data.data(), t.data.data(), 0, {t.sizes[0]}, {1}};
}
agn_memref_float_2d view(Tensor<2> &t) {
  return {t.data.data(),
          t.data.data(),
          0,
          {t.sizes[0], t.sizes[1]},
          {t.sizes[1], 1}};
}

/// A deterministic pseudo-random value in [-1, 1).
float noise(unsigned &state) {
  state = state * 1664525u + 1013904223u;
  return static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
}

/// The MLP in float64: relu(x @ w1 + b1) @ w2 + b2.
std::vector<double> reference(const Tensor<2> &x, const Tensor<2> &w1,
                              const Tensor<1> &b1, const Tensor<2> &w2,
                              const Tensor<1> &b2) {
  std::vector<double> hidden(kBatch * kHidden), out(kBatch * kOut);
  for (int m = 0; m < kBatch; ++m)
    for (int n = 0; n < kHidden; ++n) {
      double sum = b1.data[n];
      for (int k = 0; k < kIn; ++k)
        sum += double(x.data[m * kIn + k]) * w1.data[k * kHidden + n];
      hidden[m * kHidden + n] = std::max(sum, 0.0);
    }
  for (int m = 0; m < kBatch; ++m)
    for (int n = 0; n < kOut; ++n) {
      double sum = b2.data[n];
      for (int k = 0; k < kHidden; ++k)
        sum += hidden[m * kHidden + k] * w2.data[k * kOut + n];
      out[m * kOut + n] = sum;
    }
  return out;
}
} // namespace

int main() {
  unsigned state = 2026;
  Tensor<2> w1({kIn, kHidden}), w2({kHidden, kOut});
  Tensor<1> b1({kHidden}), b2({kOut});
  for (float &v : w1.data)
    v = noise(state) * 0.125f;
  for (float &v : w2.data)
    v = noise(state) * 0.09f;
  for (float &v : b1.data)
    v = noise(state) * 0.1f;
  for (float &v : b2.data)
    v = noise(state) * 0.1f;

  // A calm batch (variance ~0.003) and a wild one (variance ~3).
  for (float scale : {0.1f, 3.0f}) {
    Tensor<2> x({kBatch, kIn});
    for (float &v : x.data)
      v = noise(state) * scale;
    agn_memref_float_2d result, vx = view(x), vw1 = view(w1), vw2 = view(w2);
    agn_memref_float_1d vb1 = view(b1), vb2 = view(b2);
    _mlir_ciface_mlp(&result, &vx, &vw1, &vb1, &vw2, &vb2);

    std::vector<double> expected = reference(x, w1, b1, w2, b2);
    double maxError = 0.0, maxValue = 0.0;
    for (int i = 0; i < kBatch * kOut; ++i) {
      int m = i / kOut, n = i % kOut;
      float got = result.aligned[result.offset + m * result.strides[0] +
                                 n * result.strides[1]];
      maxError = std::max(maxError, std::fabs(got - expected[i]));
      maxValue = std::max(maxValue, std::fabs(expected[i]));
    }
    std::printf("input scale %.1f: max |error| %.3g (max |output| %.3g)\n",
                scale, maxError, maxValue);
    std::free(result.allocated);
  }

  agn_rt_stats stats{};
  stats.struct_size = sizeof(stats);
  agn_rt_get_stats(&stats);
  for (int64_t unit = 0; unit < stats.num_units; ++unit) {
    agn_rt_unit_stats unitStats{};
    unitStats.struct_size = sizeof(unitStats);
    agn_rt_get_unit_stats(unit, &unitStats);
    std::printf("unit %s:", unitStats.name);
    for (int level = 0; level < AGN_NUM_LEVELS; ++level)
      if (unitStats.granted[level])
        std::printf(" %s=%llu", agn_rt_level_name(level),
                    static_cast<unsigned long long>(unitStats.granted[level]));
    std::printf("\n");
  }
  return 0;
}
