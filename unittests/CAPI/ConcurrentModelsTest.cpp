//===- ConcurrentModelsTest.cpp - Two models, two threads each ------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Two adaptive models compiled through the C API (one with its kernels on
// two threads, in OpenMP parallel regions) are each called from two threads at
// once, on inputs whose variances make the controllers pick different
// levels. Every result must be bit for bit what a call alone gave: the
// runtime's arbitration, the buffer cache and the OpenMP runtime are shared
// by all four callers. scripts/sanitize.sh runs this under ASan and UBSan.
//
//===----------------------------------------------------------------------===//

#include "agn-c/Compiler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

/// `@main(a: MxK, b: KxN) -> MxN`, a matmul.
std::string matmulModule(int m, int k, int n) {
  std::string a =
      "tensor<" + std::to_string(m) + "x" + std::to_string(k) + "xf32>";
  std::string b =
      "tensor<" + std::to_string(k) + "x" + std::to_string(n) + "xf32>";
  std::string c =
      "tensor<" + std::to_string(m) + "x" + std::to_string(n) + "xf32>";
  return "func.func @main(%a: " + a + ", %b: " + b + ") -> " + c +
         " {\n"
         "  %zero = arith.constant 0.0 : f32\n"
         "  %e = tensor.empty() : " +
         c + "\n  %f = linalg.fill ins(%zero : f32) outs(%e : " + c + ") -> " +
         c + "\n  %r = linalg.matmul ins(%a, %b : " + a + ", " + b +
         ") outs(%f : " + c + ") -> " + c + "\n  return %r : " + c + "\n}\n";
}

struct ModelDeleter {
  void operator()(agn_model *model) const { agn_model_destroy(model); }
};
using Model = std::unique_ptr<agn_model, ModelDeleter>;

/// One call's inputs.
struct Inputs {
  std::vector<float> a, b;
};

/// A model, its shapes and the inputs its callers cycle through.
struct Case {
  Model model;
  int m, k, n;
  std::vector<Inputs> inputs;
  std::vector<std::vector<float>> expected;
};

/// Runs `c.model` on input `i`; false (with a gtest failure) on error.
bool run(const Case &c, size_t i, std::vector<float> &out) {
  const void *inputs[2] = {c.inputs[i].a.data(), c.inputs[i].b.data()};
  int64_t shapes[2 * AGN_MAX_RANK] = {};
  shapes[0] = c.m;
  shapes[1] = c.k;
  shapes[AGN_MAX_RANK] = c.k;
  shapes[AGN_MAX_RANK + 1] = c.n;
  void *result = nullptr;
  int64_t resultShapes[AGN_MAX_RANK] = {};
  if (agn_model_run(c.model.get(), inputs, shapes, &result, resultShapes) !=
      0) {
    ADD_FAILURE() << "agn_model_run: " << agn_last_error();
    return false;
  }
  const float *data = static_cast<const float *>(result);
  out.assign(data, data + c.m * c.n);
  agn_buffer_free(result);
  return true;
}

/// Compiles an adaptive matmul and its inputs: standard normal weights and
/// activations at scales 10^-3 .. 10^3, which the i8/bf16/f32 policy maps to
/// different levels.
Case makeCase(int m, int k, int n, unsigned threads, unsigned seed) {
  Case c;
  c.m = m, c.k = k, c.n = n;
  std::string text = matmulModule(m, k, n);
  c.model.reset(agn_model_compile_threads(
      text.c_str(),
      "agn-adaptive-pipeline{levels=i8,bf16,f32 thresholds=0.01,10}", "main",
      threads));
  EXPECT_TRUE(c.model) << agn_last_error();
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  for (float scale : {1e-3f, 0.3f, 1.f, 1e3f}) {
    Inputs in;
    for (int i = 0; i < m * k; ++i)
      in.a.push_back(scale * normal(rng));
    for (int i = 0; i < k * n; ++i)
      in.b.push_back(normal(rng));
    c.inputs.push_back(std::move(in));
  }
  return c;
}

TEST(ConcurrentModels, TwoModelsTwoThreadsEachGiveTheBitsOfOneCall) {
  std::vector<Case> cases;
  cases.push_back(makeCase(8, 64, 128, /*threads=*/2, /*seed=*/1));
  cases.push_back(makeCase(16, 32, 48, /*threads=*/1, /*seed=*/2));
  for (Case &c : cases) {
    ASSERT_TRUE(c.model);
    c.expected.resize(c.inputs.size());
    for (size_t i = 0; i < c.inputs.size(); ++i)
      ASSERT_TRUE(run(c, i, c.expected[i]));
  }

  constexpr int kCallsPerThread = 60;
  std::atomic<int> mismatches{0}, calls{0};
  std::vector<std::thread> threads;
  for (const Case &c : cases)
    for (int t = 0; t < 2; ++t)
      threads.emplace_back([&, t] {
        std::vector<float> out;
        for (int call = 0; call < kCallsPerThread; ++call) {
          // The two threads of a model walk the inputs in opposite orders,
          // so that calls on different levels overlap.
          size_t i = (t == 0 ? call : kCallsPerThread - call) % c.inputs.size();
          if (!run(c, i, out) || out != c.expected[i])
            ++mismatches;
          ++calls;
        }
      });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(calls.load(), 4 * kCallsPerThread);
  EXPECT_EQ(mismatches.load(), 0);
}

} // namespace
