//===- gpu_check.cpp - The device check: agn's GPU matmuls, timed, checked ===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The host program of scripts/gpu-check.sh (docs/GPU.md, "The device
// check"). It is linked with the objects that agn-aot --target=cuda made of
// one matmul module per precision level (f32, bf16, f16, i8) and shape; the
// script writes those modules and gpu_check_models.inc, which includes each
// object's header and lists the models:
//
//   GPU_CHECK_MODELS(X): X(name, LEVEL, "shape label", M, K, N, "kernel")
//
// In the order of that list (the script puts the small shape first), per
// model it calls the entry once as a warm-up and then N times, and
// prints one row: the median wall time of the N calls, GFLOP/s (2 M N K per
// call, integer operations for i8), and the worst error over its bound
// against a float64 (int64 for i8) reference computed on the host from the
// inputs the kernel saw. A call's time is everything the compiled entry
// does: allocate device buffers, copy the inputs in over PCIe, launch,
// copy the result out, free; for bf16 and f16 also the host-side truncation
// of the f32 inputs (agn-aot's C interface has no 16-bit float type, so
// those models take f32 tensors and arith.truncf them inside).
//
// Numerics. Inputs are drawn from N(0, 1) and rounded to the level's input
// type first (bf16, f16: round to nearest even), so that the truncation in
// the model is exact and the reference uses the kernel's own values. A
// float result r_ij must satisfy
//   |r_ij - sum_k a_ik b_kj| <= gamma_K sum_k |a_ik| |b_kj|,
//   gamma_K = K u / (1 - K u), u = 2^-24,
// the bound of a K-term f32 sum of exact products in any order; i8 x i8 ->
// i32 results must be exact. Large outputs (M N > 2^20) are checked on 512
// random elements, the others on every element, for every call.
//
// After each call it checks agn_gpu_status() and reports
// agn_gpu_last_error(). Exit status: 0 when every row is ok, 1 when a row
// failed, 2 when the GPU is unusable (no driver, no device) or on bad
// arguments.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "agn-c/GpuRuntime.h"

// Each object's header declares its entry and the memref descriptor types
// it uses; every header names those types the same way, so the generated
// file includes each one in a namespace of its own.
#include "gpu_check_models.inc"

namespace {

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

enum class Level { F32, BF16, F16, I8 };

const char *levelName(Level level) {
  switch (level) {
  case Level::F32:
    return "f32";
  case Level::BF16:
    return "bf16";
  case Level::F16:
    return "f16";
  case Level::I8:
    return "i8";
  }
  return "?";
}

/// A result as the entry returned it: a malloc'ed M x N buffer with strides.
struct Result {
  void *allocated = nullptr;
  const void *aligned = nullptr;
  int64_t offset = 0, sizes[2] = {0, 0}, strides[2] = {0, 0};
};

/// Calls one entry on row-major M x K and K x N inputs (float for the float
/// levels, int8_t for i8).
using Entry = std::function<Result(void *a, void *b)>;

template <typename Out, typename In>
Entry makeEntry(void (*fn)(Out *, In *, In *), int64_t m, int64_t k,
                int64_t n) {
  return [=](void *a, void *b) {
    using Element = std::remove_pointer_t<decltype(std::declval<In>().aligned)>;
    In ad{static_cast<Element *>(a),
          static_cast<Element *>(a),
          0,
          {m, k},
          {k, 1}};
    In bd{static_cast<Element *>(b),
          static_cast<Element *>(b),
          0,
          {k, n},
          {n, 1}};
    Out out{};
    fn(&out, &ad, &bd);
    Result result;
    result.allocated = out.allocated;
    result.aligned = out.aligned;
    result.offset = out.offset;
    std::memcpy(result.sizes, out.sizes, sizeof result.sizes);
    std::memcpy(result.strides, out.strides, sizeof result.strides);
    return result;
  };
}

struct Model {
  const char *name;
  Level level;
  const char *shape;
  int64_t m, k, n;
  const char *kernel;
  Entry entry;
};

std::vector<Model> allModels() {
  std::vector<Model> models;
#define GPU_CHECK_MODEL(NAME, LEVEL, SHAPE, M, K, N, KERNEL)                   \
  models.push_back({#NAME, Level::LEVEL, SHAPE, M, K, N, KERNEL,               \
                    makeEntry(&NAME::_mlir_ciface_##NAME, M, K, N)});
  GPU_CHECK_MODELS(GPU_CHECK_MODEL)
#undef GPU_CHECK_MODEL
  return models;
}

//===----------------------------------------------------------------------===//
// Inputs and the reference
//===----------------------------------------------------------------------===//

/// Rounds \p x to the nearest value with \p mantissaBits explicit mantissa
/// bits and least exponent \p minExponent (ties to even): bf16 is (7, -126),
/// f16 (10, -14). Values stay far from the types' largest, so no overflow.
float roundTo(float x, int mantissaBits, int minExponent) {
  if (x == 0.0f)
    return x;
  int exponent;
  std::frexp(x, &exponent); // x = f 2^exponent, 0.5 <= |f| < 1
  int unbiased = std::max(exponent - 1, minExponent);
  double quantum = std::ldexp(1.0, unbiased - mantissaBits);
  return static_cast<float>(std::nearbyint(x / quantum) * quantum);
}

/// The inputs of one model, both as the entry takes them and as doubles.
struct Operand {
  std::vector<float> f;  // float levels
  std::vector<int8_t> i; // i8
  void *data() { return f.empty() ? static_cast<void *>(i.data()) : f.data(); }
  double at(size_t index) const {
    return f.empty() ? static_cast<double>(i[index]) : f[index];
  }
};

Operand makeOperand(Level level, size_t count, std::mt19937_64 &rng) {
  Operand operand;
  if (level == Level::I8) {
    std::uniform_int_distribution<int> dist(-128, 127);
    operand.i.resize(count);
    for (int8_t &v : operand.i)
      v = static_cast<int8_t>(dist(rng));
    return operand;
  }
  std::normal_distribution<float> dist(0.0f, 1.0f);
  operand.f.resize(count);
  for (float &v : operand.f) {
    v = dist(rng);
    if (level == Level::BF16)
      v = roundTo(v, 7, -126);
    else if (level == Level::F16)
      v = roundTo(v, 10, -14);
  }
  return operand;
}

/// The exact value (float levels: to float64 rounding, far below the bound)
/// of each checked output element, and its bound.
struct Reference {
  std::vector<std::pair<int64_t, int64_t>> points; // (row, column)
  std::vector<double> want, bound;
};

Reference makeReference(const Model &model, const Operand &a, const Operand &b,
                        std::mt19937_64 &rng) {
  const int64_t m = model.m, k = model.k, n = model.n;
  Reference ref;
  if (m * n > (int64_t(1) << 20)) {
    std::uniform_int_distribution<int64_t> row(0, m - 1), column(0, n - 1);
    for (int s = 0; s < 512; ++s)
      ref.points.emplace_back(row(rng), column(rng));
  } else {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        ref.points.emplace_back(i, j);
  }
  const double u = std::ldexp(1.0, -24);
  const double gamma = k * u / (1 - k * u);
  const bool exact = model.level == Level::I8;
  ref.want.resize(ref.points.size());
  ref.bound.resize(ref.points.size());
  auto work = [&](size_t begin, size_t end) {
    for (size_t p = begin; p < end; ++p) {
      auto [i, j] = ref.points[p];
      double sum = 0, magnitude = 0;
      for (int64_t l = 0; l < k; ++l) {
        double x = a.at(i * k + l), y = b.at(l * n + j);
        sum += x * y;
        magnitude += std::fabs(x * y);
      }
      ref.want[p] = sum;
      ref.bound[p] = exact ? 0.0 : gamma * magnitude;
    }
  };
  size_t threads = std::max(1u, std::thread::hardware_concurrency());
  size_t chunk = (ref.points.size() + threads - 1) / threads;
  std::vector<std::thread> pool;
  for (size_t begin = 0; begin < ref.points.size(); begin += chunk)
    pool.emplace_back(work, begin, std::min(begin + chunk, ref.points.size()));
  for (std::thread &t : pool)
    t.join();
  return ref;
}

/// The worst |got - want| / bound over the checked elements (float levels),
/// or the worst |got - want| (i8, where only 0 passes). NaN when a result
/// is not finite.
double worstError(const Model &model, const Result &result,
                  const Reference &ref) {
  double worst = 0;
  for (size_t p = 0; p < ref.points.size(); ++p) {
    auto [i, j] = ref.points[p];
    int64_t index =
        result.offset + i * result.strides[0] + j * result.strides[1];
    double got = model.level == Level::I8
                     ? static_cast<const int32_t *>(result.aligned)[index]
                     : static_cast<double>(
                           static_cast<const float *>(result.aligned)[index]);
    double error = std::fabs(got - ref.want[p]);
    if (model.level != Level::I8)
      error /= ref.bound[p];
    if (!std::isfinite(got) || std::isnan(error))
      return NAN;
    worst = std::max(worst, error);
  }
  return worst;
}

//===----------------------------------------------------------------------===//
// The check
//===----------------------------------------------------------------------===//

struct Options {
  int callsLarge = 5;  // timed calls of a model with M N K >= 2^32
  int callsSmall = 20; // timed calls of the others
  double budgetS = 45; // wall time one model may take, warm-up included
  std::string only;    // run the models whose name contains this
};

[[noreturn]] void usage(const char *why) {
  std::fprintf(stderr,
               "gpu-check: %s\n"
               "usage: gpu-check [--calls-large=N] [--calls-small=N] "
               "[--budget-s=S] [--only=SUBSTRING] [--list]\n",
               why);
  std::exit(2);
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      size_t length = std::strlen(flag);
      return arg.compare(0, length, flag) == 0 ? argv[i] + length : nullptr;
    };
    if (const char *v = value("--calls-large="))
      options.callsLarge = std::atoi(v);
    else if (const char *v = value("--calls-small="))
      options.callsSmall = std::atoi(v);
    else if (const char *v = value("--budget-s="))
      options.budgetS = std::atof(v);
    else if (const char *v = value("--only="))
      options.only = v;
    else if (arg == "--list")
      list = true;
    else
      usage(("unknown argument '" + arg + "'").c_str());
  }
  if (options.callsLarge < 1 || options.callsSmall < 1 || options.budgetS <= 0)
    usage("calls must be at least 1 and the budget positive");

  std::vector<Model> models = allModels();
  if (list) {
    for (const Model &model : models)
      std::printf("%s %s %s %s\n", model.name, levelName(model.level),
                  model.shape, model.kernel);
    return 0;
  }

  // This program reports the runtime's errors itself, once per call.
  agn_gpu_set_error_printing(0);
  std::printf("gpu-check: agn's linalg.matmul per level as one GPU kernel, "
              "compiled by agn-aot --target=cuda.\n"
              "  ms: median wall time of one call after a warm-up call: "
              "device allocation, PCIe copies in and out and\n"
              "  the kernel (bf16, f16: and the host's f32 truncation of "
              "the inputs); GFLOP/s = 2 M N K / ms.\n"
              "  err/bound: worst |error| / (gamma_K sum|a||b|), u = 2^-24 "
              "(i8: worst |error|, must be 0), over every call.\n\n");
  std::printf("%-5s %-26s %-13s %5s %10s %9s %8s %10s  %s\n", "level",
              "shape (MxKxN)", "kernel", "calls", "median ms", "GFLOP/s",
              "checked", "err/bound", "result");
  std::fflush(stdout);

  std::mt19937_64 rng(13);
  int failures = 0, ran = 0;
  for (const Model &model : models) {
    if (!options.only.empty() &&
        std::string(model.name).find(options.only) == std::string::npos)
      continue;
    ++ran;
    const bool large = model.m * model.n * model.k >= (int64_t(1) << 32);
    const int wanted = large ? options.callsLarge : options.callsSmall;
    Operand a = makeOperand(model.level, model.m * model.k, rng);
    Operand b = makeOperand(model.level, model.k * model.n, rng);
    Reference ref = makeReference(model, a, b, rng);

    std::vector<double> times;
    double worst = 0;
    bool gpuError = false;
    auto started = std::chrono::steady_clock::now();
    for (int call = 0; call <= wanted; ++call) {
      auto before = std::chrono::steady_clock::now();
      Result result = model.entry(a.data(), b.data());
      double elapsed = seconds(std::chrono::steady_clock::now() - before);
      if (agn_gpu_status() != AGN_GPU_OK) {
        std::printf("gpu-check: %s: the GPU kernels did not run: %s\n",
                    model.name, agn_gpu_last_error());
        std::free(result.allocated);
        gpuError = true;
        break;
      }
      if (result.sizes[0] != model.m || result.sizes[1] != model.n) {
        std::printf("gpu-check: %s: result is %lldx%lld, not %lldx%lld\n",
                    model.name, (long long)result.sizes[0],
                    (long long)result.sizes[1], (long long)model.m,
                    (long long)model.n);
        std::free(result.allocated);
        worst = NAN;
        break;
      }
      double error = worstError(model, result, ref);
      worst =
          std::isnan(error) || std::isnan(worst) ? NAN : std::max(worst, error);
      std::free(result.allocated);
      if (call > 0)
        times.push_back(elapsed);
      // Keep the whole check inside its time: a slow kernel gets fewer
      // calls (at least one after the warm-up).
      double spent = seconds(std::chrono::steady_clock::now() - started);
      if (call >= 1 && spent + elapsed > options.budgetS)
        break;
    }

    if (gpuError) {
      ++failures;
      agn_gpu_clear_error();
      if (agn_gpu_status() != AGN_GPU_OK) {
        // Clearing does not revive a driver that failed to load or
        // initialise: every other model would fail the same way.
        std::printf("gpu-check: the GPU is unusable; stopping.\n");
        return 2;
      }
      std::printf("%-5s %-26s %-13s %5s %10s %9s %8s %10s  FAIL\n",
                  levelName(model.level), model.shape, model.kernel, "-", "-",
                  "-", "-", "-");
      std::fflush(stdout);
      continue;
    }
    std::sort(times.begin(), times.end());
    double median =
        times.empty() ? NAN
        : times.size() % 2
            ? times[times.size() / 2]
            : 0.5 * (times[times.size() / 2 - 1] + times[times.size() / 2]);
    double gflops = 2.0 * model.m * model.n * model.k / median / 1e9;
    bool ok = !times.empty() &&
              (model.level == Level::I8 ? worst == 0 : worst <= 1.0);
    failures += !ok;
    std::printf("%-5s %-26s %-13s %5zu %10.3f %9.1f %8zu %10.2e  %s\n",
                levelName(model.level), model.shape, model.kernel, times.size(),
                median * 1e3, gflops, ref.points.size(), worst,
                ok ? "ok" : "FAIL");
    std::fflush(stdout);
  }
  if (ran == 0)
    usage(("no model matches --only=" + options.only).c_str());
  std::printf("\ngpu-check: %d of %d rows ok\n", ran - failures, ran);
  return failures ? 1 : 0;
}
