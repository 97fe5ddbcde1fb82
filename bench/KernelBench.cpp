//===- KernelBench.cpp - agn's matmul kernels against OpenBLAS ------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Times the JIT-compiled code of one Granularity Unit per precision level
// (f32, f16, bf16, i8, i4) on three matmul shapes (M x K x N: 1x4096x4096,
// 64x1024x1024, 256x2048x2048) against OpenBLAS's cblas_sgemm in the same
// process, and the unit's controller (statistic, select, arbitrate) against
// a whole f32 unit. At the end it prints a Markdown table of the medians,
// GFLOP/s (2 M N K per call, also for the integer levels) and the ratios
// against OpenBLAS and agn's own f32 code (docs/Benchmarks.md).
//
// Each module is compiled as CompiledModel::compile does it (a pass
// pipeline, agn-lower-to-llvm-pipeline, agn::createExecutionEngine: MLIR's
// ExecutionEngine at -O3 for the host CPU) but called through its C
// interface directly, so that the timings hold the
// generated code and its allocations, not the result copy of
// CompiledModel::run. The generated code runs on one thread, except in
// the rows ending in /2T (agn-lower-to-llvm-pipeline{threads=2}).
//
// Per shape and level:
//   <shape>/<level>/unit     the f32 matmul with its weight as an argument,
//                            through agn-adaptive-pipeline (all five levels)
//                            and agn-specialize{level=<level>}: the unit at
//                            a fixed level, quantizing the activations AND
//                            the weights on every call;
//   <shape>/<level>/kernel   the same unit body with the weight quantization
//                            hoisted out: the weights arrive already in the
//                            stored form (quantized once by agn.quantize's
//                            own lowering) but as arguments, which
//                            agn-vnni-matmuls packs on every call; the
//                            activations are still quantized on every call
//                            (dynamic quantization);
//   <shape>/f32/no-k-block   the f32 matmul vectorized without the K
//                            blocking (agn-vectorize-contractions{k-block=0}
//                            ahead of the pipeline);
//   <shape>/i8/kernel-scalar the i8 kernel through
//                            agn-lower-to-llvm-pipeline{vectorize=false}:
//                            the scalar loops of integer matmuls before
//                            agn-vectorize-contractions vectorized them;
//   <shape>/<i8|i4>/constant the i8 or i4 kernel with its stored weights
//                            folded into the module as constants, as a
//                            deployed model has them: agn-vnni-matmuls packs
//                            them at compile time for AVX512-VNNI
//                            (vpdpbusd);
//   <shape>/.../2T           the same code on two threads
//                            (agn-lower-to-llvm-pipeline{threads=2}: OpenMP
//                            parallel regions, libomp);
//   <shape>/openblas/<n>T    cblas_sgemm with n OpenBLAS threads;
//   <shape>/adaptive         the full five-level unit (controller, dispatch)
//                            on inputs whose variance selects f32;
//   64x1024/controller/...   agn.variance (of every element, every 4th,
//                            every 16th) or agn.abs_max, then agn.select and
//                            agn.arbitrate, on the 64x1024 input of the
//                            64x1024x1024 unit;
//   64x1024/quantize-activations/i8
//                            agn.quantize of that input to i8 with per-row
//                            scales, which the i8 and i4 versions run on
//                            every call.
//
// Run it with OpenBLAS free to pick its kernel (see docs/Benchmarks.md):
//
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE build/bin/agn-bench-kernels \
//       --benchmark_repetitions=5 --benchmark_min_time=0.2 \
//       --benchmark_report_aggregates_only=true
//
//===----------------------------------------------------------------------===//

#include "agn-c/Runtime.h"
#include "agn/ExecutionEngine/ExecutionEngine.h"
#include "agn/InitAGN.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/raw_ostream.h"

#include "benchmark/benchmark.h"
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// Shapes and data
//===----------------------------------------------------------------------===//

struct Shape {
  int64_t m, k, n;
  std::string name() const {
    return std::to_string(m) + "x" + std::to_string(k) + "x" +
           std::to_string(n);
  }
  double flops() const { return 2.0 * m * k * n; }
};

const Shape kShapes[] = {{1, 4096, 4096}, {64, 1024, 1024}, {256, 2048, 2048}};
/// The controller is measured on this shape's input.
const Shape kControllerShape = {64, 1024, 1024};
/// agn's i4 weights have one scale per block of this many K values.
constexpr int64_t kI4Block = 32;

/// Activations (uniform in [-3, 3], variance 3: above the default policy's
/// last threshold, so an adaptive unit runs at f32), weights (uniform in
/// [-1, 1]) and OpenBLAS's product, the reference of the error checks.
struct ShapeData {
  std::vector<float> a, w, reference;
};

void runSgemm(const Shape &s, const float *a, const float *w, float *c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.0f, a,
              s.k, w, s.n, 0.0f, c, s.n);
}

const ShapeData &getData(const Shape &s) {
  static std::map<std::string, std::unique_ptr<ShapeData>> cache;
  std::unique_ptr<ShapeData> &data = cache[s.name()];
  if (!data) {
    data = std::make_unique<ShapeData>();
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> act(-3.0f, 3.0f), wgt(-1.0f, 1.0f);
    data->a.resize(s.m * s.k);
    data->w.resize(s.k * s.n);
    for (float &x : data->a)
      x = act(rng);
    for (float &x : data->w)
      x = wgt(rng);
    data->reference.resize(s.m * s.n);
    runSgemm(s, data->a.data(), data->w.data(), data->reference.data());
  }
  return *data;
}

/// max |c - reference| / max |reference|.
double relativeError(const float *c, const std::vector<float> &reference) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    err = std::max(err, std::fabs(double(c[i]) - reference[i]));
    norm = std::max(norm, std::fabs(double(reference[i])));
  }
  return err / norm;
}

//===----------------------------------------------------------------------===//
// JIT compilation and calls through the C interface
//===----------------------------------------------------------------------===//

/// A memref descriptor as 8-byte words: allocated and aligned pointers,
/// offset, sizes, strides (row-major).
struct Descriptor {
  std::vector<int64_t> words;
  Descriptor(const void *data, std::vector<int64_t> sizes) {
    words = {reinterpret_cast<int64_t>(data), reinterpret_cast<int64_t>(data),
             0};
    words.insert(words.end(), sizes.begin(), sizes.end());
    std::vector<int64_t> strides(sizes.size(), 1);
    for (int64_t d = int64_t(sizes.size()) - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * sizes[d + 1];
    words.insert(words.end(), strides.begin(), strides.end());
  }
  void *get() { return words.data(); }
};

/// One JIT-compiled module and its entry's `_mlir_ciface_` function.
class JitFunction {
public:
  /// Parses `text`, applies `edit` to it (when given), runs `passes` then
  /// agn-lower-to-llvm-pipeline and JIT-compiles it as
  /// CompiledModel::compile does. Aborts on failure: the benchmark's modules
  /// are fixed.
  JitFunction(const std::string &text,
              const std::function<void(OpPassManager &)> &passes,
              const std::string &entry, bool vectorize = true,
              const std::function<void(ModuleOp)> &edit = nullptr,
              unsigned threads = 1) {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registerAllToLLVMIRTranslations(registry);
    agn::registerAllAGNDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
    context->disableMultithreading();

    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(text, context.get());
    if (!module)
      fail("parse", text);
    if (edit)
      edit(*module);
    PassManager pm(context.get());
    if (passes)
      passes(pm);
    agn::LowerToLLVMOptions lowering;
    lowering.vectorize = vectorize;
    lowering.threads = threads;
    agn::buildLowerToLLVMPipeline(pm, lowering);
    if (failed(pm.run(*module)))
      fail("compile", text);
    agn::JitOptions jitOptions;
    jitOptions.asyncRuntime = threads > 1;
    std::string error;
    auto created = agn::createExecutionEngine(*module, jitOptions, error);
    if (failed(created))
      fail(error, text);
    engine = std::move(*created);
    auto symbol = engine->lookup("_mlir_ciface_" + entry);
    if (!symbol)
      fail(llvm::toString(symbol.takeError()), text);
    function = *symbol;
  }

  /// Calls the entry with a result struct at `results` and the descriptors
  /// of `args`.
  void call(int64_t *results, std::vector<Descriptor> &args) const {
    switch (args.size()) {
    case 1:
      reinterpret_cast<void (*)(void *, void *)>(function)(results,
                                                           args[0].get());
      return;
    case 2:
      reinterpret_cast<void (*)(void *, void *, void *)>(function)(
          results, args[0].get(), args[1].get());
      return;
    case 3:
      reinterpret_cast<void (*)(void *, void *, void *, void *)>(function)(
          results, args[0].get(), args[1].get(), args[2].get());
      return;
    }
    std::fprintf(stderr, "agn-bench-kernels: unsupported arity\n");
    std::abort();
  }

private:
  [[noreturn]] static void fail(const std::string &what,
                                const std::string &text) {
    std::fprintf(stderr, "agn-bench-kernels: %s failed for\n%s\n", what.c_str(),
                 text.substr(0, 2000).c_str());
    std::abort();
  }

  std::unique_ptr<MLIRContext> context;
  agn::OwningExecutionEngine engine;
  void *function = nullptr;
};

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

std::string tensorType(std::vector<int64_t> dims, const std::string &element) {
  std::string text = "tensor<";
  for (int64_t d : dims)
    text += std::to_string(d) + "x";
  return text + element + ">";
}

/// The f32 matmul as a frontend writes it, with the weight as an argument.
std::string matmulModule(const Shape &s) {
  std::string a = tensorType({s.m, s.k}, "f32"),
              w = tensorType({s.k, s.n}, "f32"),
              c = tensorType({s.m, s.n}, "f32");
  return "func.func @mm(%a: " + a + ", %w: " + w + ") -> " + c +
         " {\n"
         "  %zero = arith.constant 0.0 : f32\n"
         "  %e = tensor.empty() : " +
         c +
         "\n"
         "  %f = linalg.fill ins(%zero : f32) outs(%e : " +
         c + ") -> " + c +
         "\n"
         "  %r = linalg.matmul ins(%a, %w : " +
         a + ", " + w + ") outs(%f : " + c + ") -> " + c +
         "\n"
         "  return %r : " +
         c + "\n}\n";
}

/// The stored form of the weights and the kernel that takes it: the body
/// agn-multiversion writes for `level` (see agn-adaptive-pipeline's output)
/// with the weight's agn.quantize replaced by arguments.
struct StoredKernel {
  std::string prepare; ///< @prepare(w) -> (stored[, scales]).
  std::string kernel;  ///< @mm(a, stored[, scales]) -> c.
};

StoredKernel storedKernelModules(const Shape &s, const std::string &level) {
  std::string a = tensorType({s.m, s.k}, "f32"),
              w = tensorType({s.k, s.n}, "f32"),
              c = tensorType({s.m, s.n}, "f32");
  StoredKernel modules;
  if (level == "f16" || level == "bf16") {
    std::string qa = tensorType({s.m, s.k}, level),
                qw = tensorType({s.k, s.n}, level);
    modules.prepare = "func.func @prepare(%w: " + w + ") -> " + qw +
                      " {\n"
                      "  %q, %s = agn.quantize %w : " +
                      w + " -> " + qw + ", tensor<f32>\n  return %q : " + qw +
                      "\n}\n";
    modules.kernel =
        "func.func @mm(%a: " + a + ", %qw: " + qw + ") -> " + c +
        " {\n"
        "  %zero = arith.constant 0.0 : f32\n"
        "  %e = tensor.empty() : " +
        c + "\n  %f = linalg.fill ins(%zero : f32) outs(%e : " + c + ") -> " +
        c + "\n  %qa, %sa = agn.quantize %a : " + a + " -> " + qa +
        ", tensor<f32>\n"
        "  %r = linalg.matmul ins(%qa, %qw : " +
        qa + ", " + qw + ") outs(%f : " + c + ") -> " + c +
        "\n  return %r : " + c + "\n}\n";
    return modules;
  }

  std::string qa = tensorType({s.m, s.k}, "i8"), sa = tensorType({s.m}, "f32");
  if (level == "i8") {
    std::string qw = tensorType({s.k, s.n}, "i8"),
                sw = tensorType({s.n}, "f32"),
                acc = tensorType({s.m, s.n}, "i32");
    modules.prepare = "func.func @prepare(%w: " + w + ") -> (" + qw + ", " +
                      sw +
                      ") {\n"
                      "  %q, %s = agn.quantize %w axis 1 : " +
                      w + " -> " + qw + ", " + sw +
                      "\n  return %q, %s : " + qw + ", " + sw + "\n}\n";
    modules.kernel =
        "#id = affine_map<(d0, d1) -> (d0, d1)>\n"
        "#row = affine_map<(d0, d1) -> (d0)>\n"
        "#col = affine_map<(d0, d1) -> (d1)>\n"
        "func.func @mm(%a: " +
        a + ", %qw: " + qw + ", %sw: " + sw + ") -> " + c +
        " {\n"
        "  %zero = arith.constant 0 : i32\n"
        "  %qa, %sa = agn.quantize %a axis 0 : " +
        a + " -> " + qa + ", " + sa +
        "\n"
        "  %e = tensor.empty() : " +
        acc + "\n  %f = linalg.fill ins(%zero : i32) outs(%e : " + acc +
        ") -> " + acc + "\n  %acc = linalg.matmul ins(%qa, %qw : " + qa + ", " +
        qw + ") outs(%f : " + acc + ") -> " + acc +
        "\n  %o = tensor.empty() : " + c +
        "\n"
        "  %r = linalg.generic {indexing_maps = [#id, #row, #col, #id], "
        "iterator_types = [\"parallel\", \"parallel\"]} ins(%acc, %sa, %sw : " +
        acc + ", " + sa + ", " + sw + ") outs(%o : " + c +
        ") {\n"
        "  ^bb0(%x: i32, %xa: f32, %xw: f32, %out: f32):\n"
        "    %xf = arith.sitofp %x : i32 to f32\n"
        "    %sc = arith.mulf %xa, %xw : f32\n"
        "    %y = arith.mulf %xf, %sc : f32\n"
        "    linalg.yield %y : f32\n"
        "  } -> " +
        c + "\n  return %r : " + c + "\n}\n";
    return modules;
  }

  // i4: per-block scales along K, a blocked integer contraction, then the
  // scaled sum over the blocks.
  int64_t blocks = s.k / kI4Block;
  std::string qw = tensorType({s.k, s.n}, "i4"),
              sw = tensorType({blocks, s.n}, "f32"),
              qa3 = tensorType({s.m, blocks, kI4Block}, "i8"),
              qw3 = tensorType({blocks, kI4Block, s.n}, "i4"),
              acc = tensorType({s.m, s.n, blocks}, "i32");
  std::string B = std::to_string(blocks), KB = std::to_string(kI4Block);
  modules.prepare = "func.func @prepare(%w: " + w + ") -> (" + qw + ", " + sw +
                    ") {\n"
                    "  %q, %s = agn.quantize %w axis 0 block " +
                    KB + " : " + w + " -> " + qw + ", " + sw +
                    "\n  return %q, %s : " + qw + ", " + sw + "\n}\n";
  modules.kernel =
      "#a3 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>\n"
      "#w3 = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>\n"
      "#o3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>\n"
      "#p3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>\n"
      "#r3 = affine_map<(d0, d1, d2) -> (d0)>\n"
      "#s3 = affine_map<(d0, d1, d2) -> (d2, d1)>\n"
      "#c3 = affine_map<(d0, d1, d2) -> (d0, d1)>\n"
      "func.func @mm(%a: " +
      a + ", %qw: " + qw + ", %sw: " + sw + ") -> " + c +
      " {\n"
      "  %zero = arith.constant 0 : i32\n"
      "  %fzero = arith.constant 0.0 : f32\n"
      "  %qa, %sa = agn.quantize %a axis 0 : " +
      a + " -> " + qa + ", " + sa +
      "\n  %qa3 = tensor.expand_shape %qa [[0], "
      "[1, 2]] output_shape [" +
      std::to_string(s.m) + ", " + B + ", " + KB + "] : " + qa + " into " +
      qa3 + "\n  %qw3 = tensor.expand_shape %qw [[0, 1], [2]] output_shape [" +
      B + ", " + KB + ", " + std::to_string(s.n) + "] : " + qw + " into " +
      qw3 + "\n  %e = tensor.empty() : " + acc +
      "\n  %f = linalg.fill ins(%zero : i32) outs(%e : " + acc + ") -> " + acc +
      "\n  %p = linalg.generic {indexing_maps = [#a3, #w3, #o3], "
      "iterator_types = [\"parallel\", \"parallel\", \"parallel\", "
      "\"reduction\"], agn.blocked_matmul = "
      "#agn.blocked_matmul<partial_sums, block_size = " +
      KB + ">} ins(%qa3, %qw3 : " + qa3 + ", " + qw3 + ") outs(%f : " + acc +
      ") {\n"
      "  ^bb0(%x: i8, %y: i4, %out: i32):\n"
      "    %xe = arith.extsi %x : i8 to i32\n"
      "    %ye = arith.extsi %y : i4 to i32\n"
      "    %xy = arith.muli %xe, %ye : i32\n"
      "    %sum = arith.addi %out, %xy : i32\n"
      "    linalg.yield %sum : i32\n"
      "  } -> " +
      acc + "\n  %o = tensor.empty() : " + c +
      "\n  %o0 = linalg.fill ins(%fzero : f32) outs(%o : " + c + ") -> " + c +
      "\n  %r = linalg.generic {indexing_maps = [#p3, #r3, #s3, #c3], "
      "iterator_types = [\"parallel\", \"parallel\", \"reduction\"], "
      "agn.blocked_matmul = #agn.blocked_matmul<rescale, block_size = " +
      KB + ">} ins(%p, %sa, %sw : " + acc + ", " + sa + ", " + sw +
      ") outs(%o0 : " + c +
      ") {\n"
      "  ^bb0(%x: i32, %xa: f32, %xw: f32, %out: f32):\n"
      "    %xf = arith.sitofp %x : i32 to f32\n"
      "    %sc = arith.mulf %xa, %xw : f32\n"
      "    %y = arith.mulf %xf, %sc : f32\n"
      "    %sum = arith.addf %out, %y : f32\n"
      "    linalg.yield %sum : f32\n"
      "  } -> " +
      c + "\n  return %r : " + c + "\n}\n";
  return modules;
}

/// A unit whose body is the controller of agn-multiversion's units alone:
/// the statistic (`statistic` of every `stride`-th element), the policy's
/// selection and the runtime's arbitration; returns the granted level.
std::string controllerModule(const Shape &s, const std::string &statistic,
                             int64_t stride) {
  std::string a = tensorType({s.m, s.k}, "f32");
  std::string policy = "#agn.policy<statistic = " + statistic +
                       ", levels = [i4, i8, bf16, f16, f32], thresholds = "
                       "[2.0e-02, 8.0e-02, 3.2e-01, 1.28]>";
  std::string strideText =
      stride > 1 ? " stride " + std::to_string(stride) : "";
  return "func.func @controller(%x: " + a +
         ", %w: tensor<1x1xf32>) -> tensor<1xi64> {\n"
         "  %r = agn.unit \"bench.controller." +
         statistic + std::to_string(stride) +
         "\" levels [i4, i8, bf16, f16, f32] policy " + policy +
         " ins(%x, %w : " + a +
         ", tensor<1x1xf32>) -> tensor<1xi64> {\n"
         "  ^bb0(%in: " +
         a +
         ", %win: tensor<1x1xf32>):\n"
         "    %v = agn." +
         statistic + " %in" + strideText + " : " + a +
         "\n    %l = agn.select %v policy " + policy +
         "\n"
         "    %g = agn.arbitrate %l, %v\n"
         "    %i = arith.index_cast %g : index to i64\n"
         "    %t = tensor.from_elements %i : tensor<1xi64>\n"
         "    agn.yield %t : tensor<1xi64>\n"
         "  }\n"
         "  return %r : tensor<1xi64>\n}\n";
}

/// agn-adaptive-pipeline with `options` (textual, as on the command line),
/// then agn-specialize{level=`level`} unless it is empty.
std::function<void(OpPassManager &)> adaptivePasses(std::string options,
                                                    std::string level) {
  return [options, level](OpPassManager &pm) {
    auto parsed = agn::AdaptivePipelineOptions::createFromString(options);
    if (!parsed) {
      std::fprintf(stderr, "bad options '%s'\n", options.c_str());
      std::abort();
    }
    agn::buildAdaptivePipeline(pm, *parsed);
    if (!level.empty()) {
      agn::SpecializeOptions specialize;
      specialize.level = level;
      pm.addPass(agn::createSpecialize(specialize));
    }
  };
}

//===----------------------------------------------------------------------===//
// Benchmarks
//===----------------------------------------------------------------------===//

/// A compiled variant with its arguments, checked once against OpenBLAS.
struct Variant {
  std::unique_ptr<JitFunction> function;
  std::unique_ptr<JitFunction> prepare;
  std::vector<Descriptor> args;
  std::vector<void *> owned; ///< Stored weights, freed never (process life).
  double error = 0;
};

using Builder = std::function<std::unique_ptr<Variant>()>;

Variant &getVariant(const std::string &key, const Builder &build) {
  // Never destroyed: an ExecutionEngine destroyed during exit runs its
  // deinitializers through an LLVM that is partly torn down (and crashes).
  static auto *cache = new std::map<std::string, std::unique_ptr<Variant>>();
  std::unique_ptr<Variant> &variant = (*cache)[key];
  if (!variant)
    variant = build();
  return *variant;
}

/// Times one call of a variant returning an M x N f32 result.
void runMatmulVariant(benchmark::State &state, const Shape &s,
                      const std::string &key, const Builder &build) {
  Variant &variant = getVariant(key, build);
  int64_t words[16];
  for (auto _ : state) {
    variant.function->call(words, variant.args);
    benchmark::DoNotOptimize(words[1]);
    std::free(reinterpret_cast<void *>(words[0]));
  }
  state.counters["GFLOPS"] = benchmark::Counter(
      s.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["rel_err"] = variant.error;
}

/// Computes the error of `variant` against the reference and aborts when it
/// is beyond what the level's quantization explains.
void check(Variant &variant, const Shape &s, const std::string &level,
           const std::string &key) {
  int64_t words[16];
  variant.function->call(words, variant.args);
  variant.error = relativeError(reinterpret_cast<const float *>(words[1]),
                                getData(s).reference);
  std::free(reinterpret_cast<void *>(words[0]));
  double bound = level == "f32"    ? 1e-4
                 : level == "f16"  ? 1e-2
                 : level == "bf16" ? 3e-2
                 : level == "i8"   ? 5e-2
                                   : 0.3;
  if (!(variant.error <= bound)) {
    std::fprintf(stderr, "agn-bench-kernels: %s: error %g above %g\n",
                 key.c_str(), variant.error, bound);
    std::abort();
  }
}

/// The suffix of the rows of code on `threads` threads.
std::string threadSuffix(unsigned threads) {
  return threads > 1 ? "/" + std::to_string(threads) + "T" : "";
}

/// The unit at a fixed level, weights quantized on every call, its matmul
/// kernel on `threads` threads.
std::unique_ptr<Variant> buildUnit(const Shape &s, const std::string &level,
                                   unsigned threads = 1) {
  auto variant = std::make_unique<Variant>();
  variant->function = std::make_unique<JitFunction>(
      matmulModule(s), adaptivePasses("", level), "mm", /*vectorize=*/true,
      /*edit=*/nullptr, threads);
  const ShapeData &data = getData(s);
  variant->args.emplace_back(data.a.data(), std::vector<int64_t>{s.m, s.k});
  variant->args.emplace_back(data.w.data(), std::vector<int64_t>{s.k, s.n});
  check(*variant, s, level,
        s.name() + "/" + level + "/unit" + threadSuffix(threads));
  return variant;
}

/// The f32 matmul vectorized without the register tiles' K blocking
/// (agn-cpu-configure-kernels{k-block=0}): the code of every float matmul
/// before that blocking.
std::unique_ptr<Variant> buildUnblockedF32(const Shape &s) {
  auto variant = std::make_unique<Variant>();
  variant->function = std::make_unique<JitFunction>(
      matmulModule(s),
      [](OpPassManager &pm) {
        // The pipeline keeps this target and config (it configures only
        // what has no config yet).
        pm.addPass(agn::createAGNSetTarget());
        agn::AGNCpuConfigureKernelsOptions options;
        options.kBlock = 0;
        pm.addNestedPass<func::FuncOp>(
            agn::createAGNCpuConfigureKernels(options));
      },
      "mm");
  const ShapeData &data = getData(s);
  variant->args.emplace_back(data.a.data(), std::vector<int64_t>{s.m, s.k});
  variant->args.emplace_back(data.w.data(), std::vector<int64_t>{s.k, s.n});
  check(*variant, s, "f32", s.name() + "/f32/no-k-block");
  return variant;
}

/// Replaces the argument `index` of the function `entry` of `module` by a
/// constant holding the row-major values at `data`: i8 values one per byte,
/// i4 values two per byte (low nibble first, as agn-emulate-narrow-types
/// stores them).
void foldArgumentToConstant(ModuleOp module, StringRef entry, unsigned index,
                            const void *data) {
  auto function = module.lookupSymbol<func::FuncOp>(entry);
  BlockArgument argument = function.getArgument(index);
  auto type = cast<RankedTensorType>(argument.getType());
  const auto *bytes = static_cast<const uint8_t *>(data);
  // DenseElementsAttr keeps i8 and i4 values one per byte; an i4 value's
  // byte must hold its 4 bits with the upper ones clear, as MLIR writes
  // them (a sign-extended byte, 0xFD for -3, made the non-VNNI lowering of
  // the folded weights compute with other values: error 0.67).
  std::vector<char> values(type.getNumElements());
  for (size_t i = 0; i < values.size(); ++i) {
    if (type.getElementTypeBitWidth() == 8) {
      values[i] = static_cast<char>(bytes[i]);
      continue;
    }
    uint8_t nibble = i % 2 ? bytes[i / 2] >> 4 : bytes[i / 2] & 0x0F;
    values[i] = static_cast<char>(nibble);
  }
  OpBuilder builder = OpBuilder::atBlockBegin(&function.front());
  Value constant = arith::ConstantOp::create(
      builder, function.getLoc(),
      DenseElementsAttr::getFromRawBuffer(type, values));
  argument.replaceAllUsesWith(constant);
  if (failed(function.eraseArgument(index)))
    std::abort();
}

/// How a kernel variant gets its weights and is compiled.
enum class KernelForm {
  /// Stored weights as arguments, vectorized.
  Argument,
  /// Stored weights as arguments, agn-lower-to-llvm-pipeline{vectorize=0}.
  ArgumentScalar,
  /// Stored weights folded into the module as constants (i8 only).
  Constant,
};

/// The unit's body on weights already in the stored form.
std::unique_ptr<Variant> buildKernel(const Shape &s, const std::string &level,
                                     KernelForm form = KernelForm::Argument,
                                     unsigned threads = 1) {
  auto variant = std::make_unique<Variant>();
  StoredKernel modules = storedKernelModules(s, level);
  variant->prepare =
      std::make_unique<JitFunction>(modules.prepare, nullptr, "prepare");
  const ShapeData &data = getData(s);
  std::vector<Descriptor> prepareArgs;
  prepareArgs.emplace_back(data.w.data(), std::vector<int64_t>{s.k, s.n});
  int64_t words[16];
  variant->prepare->call(words, prepareArgs);
  std::function<void(ModuleOp)> edit;
  if (form == KernelForm::Constant)
    edit = [&](ModuleOp module) {
      // The stored weights (%qw, the second argument) as a deployed model
      // has them: compile-time constants, which agn-vnni-matmuls packs.
      foldArgumentToConstant(module, "mm", 1,
                             reinterpret_cast<const void *>(words[1]));
    };
  variant->function = std::make_unique<JitFunction>(
      modules.kernel, nullptr, "mm", form != KernelForm::ArgumentScalar, edit,
      threads);
  variant->args.emplace_back(data.a.data(), std::vector<int64_t>{s.m, s.k});
  if (level == "f16" || level == "bf16") {
    // One rank-2 result.
    variant->owned.push_back(reinterpret_cast<void *>(words[0]));
    variant->args.emplace_back(reinterpret_cast<void *>(words[1]),
                               std::vector<int64_t>{s.k, s.n});
  } else if (level == "i8") {
    // (KxN i8, N f32): a rank-2 then a rank-1 descriptor.
    variant->owned.push_back(reinterpret_cast<void *>(words[0]));
    variant->owned.push_back(reinterpret_cast<void *>(words[7]));
    if (form != KernelForm::Constant)
      variant->args.emplace_back(reinterpret_cast<void *>(words[1]),
                                 std::vector<int64_t>{s.k, s.n});
    variant->args.emplace_back(reinterpret_cast<void *>(words[8]),
                               std::vector<int64_t>{s.n});
  } else {
    // (KxN i4, packed by agn-emulate-narrow-types into a rank-1 memref of
    // K*N/2 bytes; (K/32)xN f32).
    variant->owned.push_back(reinterpret_cast<void *>(words[0]));
    variant->owned.push_back(reinterpret_cast<void *>(words[5]));
    if (form != KernelForm::Constant)
      variant->args.emplace_back(reinterpret_cast<void *>(words[1]),
                                 std::vector<int64_t>{s.k * s.n / 2});
    variant->args.emplace_back(reinterpret_cast<void *>(words[6]),
                               std::vector<int64_t>{s.k / kI4Block, s.n});
  }
  check(*variant, s, level,
        s.name() + "/" + level +
            (form == KernelForm::Constant ? "/constant" : "/kernel") +
            threadSuffix(threads));
  return variant;
}

/// The full five-level unit with its controller; the inputs select f32.
std::unique_ptr<Variant> buildAdaptive(const Shape &s) {
  auto variant = std::make_unique<Variant>();
  variant->function = std::make_unique<JitFunction>(
      matmulModule(s), adaptivePasses("", ""), "mm");
  const ShapeData &data = getData(s);
  variant->args.emplace_back(data.a.data(), std::vector<int64_t>{s.m, s.k});
  variant->args.emplace_back(data.w.data(), std::vector<int64_t>{s.k, s.n});
  check(*variant, s, "f32", s.name() + "/adaptive");
  return variant;
}

/// The dynamic quantization of the 64x1024 activations alone, as the i8
/// and i4 versions run it on every call (per-row scales).
void runQuantizeActivations(benchmark::State &state) {
  const Shape &s = kControllerShape;
  Variant &variant = getVariant("quantize-activations", [&] {
    std::string a = tensorType({s.m, s.k}, "f32"),
                q = tensorType({s.m, s.k}, "i8"), sc = tensorType({s.m}, "f32");
    auto v = std::make_unique<Variant>();
    v->function = std::make_unique<JitFunction>(
        "func.func @quantize(%a: " + a + ") -> (" + q + ", " + sc +
            ") {\n  %q, %s = agn.quantize %a axis 0 : " + a + " -> " + q +
            ", " + sc + "\n  return %q, %s : " + q + ", " + sc + "\n}\n",
        nullptr, "quantize");
    v->args.emplace_back(getData(s).a.data(), std::vector<int64_t>{s.m, s.k});
    return v;
  });
  int64_t words[16];
  for (auto _ : state) {
    variant.function->call(words, variant.args);
    // A rank-2 then a rank-1 descriptor.
    std::free(reinterpret_cast<void *>(words[0]));
    std::free(reinterpret_cast<void *>(words[7]));
  }
}

void runController(benchmark::State &state, const std::string &statistic,
                   int64_t stride) {
  const Shape &s = kControllerShape;
  static float dummy = 0;
  std::string key = "controller/" + statistic + std::to_string(stride);
  Variant &variant = getVariant(key, [&] {
    auto v = std::make_unique<Variant>();
    v->function = std::make_unique<JitFunction>(
        controllerModule(s, statistic, stride), nullptr, "controller");
    v->args.emplace_back(getData(s).a.data(), std::vector<int64_t>{s.m, s.k});
    v->args.emplace_back(&dummy, std::vector<int64_t>{1, 1});
    return v;
  });
  int64_t words[16];
  int64_t granted = -1;
  for (auto _ : state) {
    variant.function->call(words, variant.args);
    granted = *reinterpret_cast<const int64_t *>(words[1]);
    std::free(reinterpret_cast<void *>(words[0]));
  }
  state.counters["granted_level"] = double(granted);
}

void runOpenBlas(benchmark::State &state, const Shape &s, int threads) {
  const ShapeData &data = getData(s);
  std::vector<float> c(s.m * s.n);
  openblas_set_num_threads(threads);
  for (auto _ : state) {
    runSgemm(s, data.a.data(), data.w.data(), c.data());
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOPS"] = benchmark::Counter(
      s.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["rel_err"] = relativeError(c.data(), data.reference);
}

//===----------------------------------------------------------------------===//
// The summary table
//===----------------------------------------------------------------------===//

/// Prints as the console reporter does and keeps each benchmark's median
/// (the only run when there are no repetitions).
class TableReporter : public benchmark::ConsoleReporter {
public:
  struct Row {
    double ms = 0, gflops = 0, error = -1, granted = -1;
    int64_t repetitions = 1;
  };

  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run &run : runs) {
      bool median =
          run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.error_occurred || (run.run_type == Run::RT_Aggregate && !median))
        continue;
      Row &row = rows[run.run_name.function_name];
      if (run.run_type == Run::RT_Iteration && row.repetitions > 1)
        continue; // The median, reported after the iterations, wins.
      double seconds = run.GetAdjustedRealTime() /
                       benchmark::GetTimeUnitMultiplier(run.time_unit);
      row.ms = seconds * 1e3;
      row.repetitions = run.repetitions;
      auto counter = [&](const char *name, double &out) {
        auto it = run.counters.find(name);
        if (it != run.counters.end())
          out = it->second.value;
      };
      counter("GFLOPS", row.gflops);
      counter("rel_err", row.error);
      counter("granted_level", row.granted);
    }
  }

  void printTable(std::FILE *out) const {
    std::fprintf(out, "\n## Summary (medians, wall time)\n\n");
    std::fprintf(out,
                 "| shape MxKxN | code | median ms | GFLOP/s | vs OpenBLAS "
                 "1T | vs OpenBLAS 2T | vs agn f32 (same threads) | max rel. "
                 "error |\n"
                 "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (const Shape &s : kShapes) {
      std::string prefix = s.name() + "/";
      auto find = [&](const std::string &name) -> const Row * {
        auto it = rows.find(prefix + name);
        return it == rows.end() ? nullptr : &it->second;
      };
      const Row *blas1 = find("openblas/1T"), *blas2 = find("openblas/2T"),
                *f32 = find("f32/unit"), *f32Threads = find("f32/unit/2T");
      auto ratio = [](const Row *row, const Row *base) {
        char text[32] = "";
        if (row && base && row->ms > 0)
          std::snprintf(text, sizeof(text), "%.2fx", base->ms / row->ms);
        return std::string(text);
      };
      const char *names[] = {
          "openblas/1T",    "openblas/2T",    "f32/unit",   "f32/unit/2T",
          "f32/no-k-block", "f16/unit",       "f16/kernel", "bf16/unit",
          "bf16/kernel",    "i8/unit",        "i8/kernel",  "i8/kernel-scalar",
          "i8/constant",    "i8/constant/2T", "i4/unit",    "i4/kernel",
          "i4/constant",    "i4/constant/2T", "adaptive"};
      for (const char *name : names) {
        const Row *row = find(name);
        if (!row)
          continue;
        char error[32] = "";
        if (row->error >= 0)
          std::snprintf(error, sizeof(error), "%.1e", row->error);
        // Rows on two threads compare with agn's f32 on two threads.
        bool twoThreads = StringRef(name).ends_with("/2T") &&
                          !StringRef(name).starts_with("openblas");
        std::fprintf(out, "| %s | %s | %.3f | %.1f | %s | %s | %s | %s |\n",
                     s.name().c_str(), name, row->ms, row->gflops,
                     ratio(row, blas1).c_str(), ratio(row, blas2).c_str(),
                     ratio(row, twoThreads ? f32Threads : f32).c_str(), error);
      }
    }
    auto unit = rows.find(kControllerShape.name() + "/f32/unit");
    auto adaptive = rows.find(kControllerShape.name() + "/adaptive");
    if (unit == rows.end())
      return;
    std::fprintf(out,
                 "\n| controller on the 64x1024 input | median ms | share of "
                 "the %s f32 unit (%.3f ms) | granted level |\n"
                 "| --- | ---: | ---: | ---: |\n",
                 kControllerShape.name().c_str(), unit->second.ms);
    for (const auto &[name, row] : rows) {
      if (name.rfind("64x1024/controller/", 0) != 0)
        continue;
      std::fprintf(out, "| %s | %.4f | %.2f%% | %g |\n",
                   name.substr(std::strlen("64x1024/controller/")).c_str(),
                   row.ms, 100 * row.ms / unit->second.ms, row.granted);
    }
    auto quantize = rows.find("64x1024/quantize-activations/i8");
    if (quantize != rows.end())
      std::fprintf(out,
                   "\nQuantizing the 64x1024 activations to i8 (per row, as "
                   "the i8 and i4 versions do on every call): %.4f ms, "
                   "%.2f%% of the f32 unit.\n",
                   quantize->second.ms,
                   100 * quantize->second.ms / unit->second.ms);
    if (adaptive != rows.end())
      std::fprintf(out,
                   "\nThe whole five-level %s unit (controller, dispatch, "
                   "f32 version): %.3f ms, %+.2f%% over the f32 unit.\n",
                   kControllerShape.name().c_str(), adaptive->second.ms,
                   100 * (adaptive->second.ms / unit->second.ms - 1));
  }

private:
  std::map<std::string, Row> rows;
};

void registerBenchmarks() {
  const char *levels[] = {"f32", "f16", "bf16", "i8", "i4"};
  for (const Shape &s : kShapes) {
    std::string prefix = s.name() + "/";
    auto add = [&](const std::string &name, auto fn) {
      benchmark::RegisterBenchmark(name.c_str(), fn)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    };
    add(prefix + "openblas/1T",
        [s](benchmark::State &state) { runOpenBlas(state, s, 1); });
    for (std::string level : levels) {
      std::string unitKey = prefix + level + "/unit";
      add(unitKey, [s, level, unitKey](benchmark::State &state) {
        runMatmulVariant(state, s, unitKey,
                         [&] { return buildUnit(s, level); });
      });
      if (level == "f32") {
        // The matmul on two threads (N split in two, MLIR's async runtime).
        std::string threadsKey = prefix + "f32/unit/2T";
        add(threadsKey, [s, threadsKey](benchmark::State &state) {
          runMatmulVariant(state, s, threadsKey,
                           [&] { return buildUnit(s, "f32", 2); });
        });
        // No quantization: the unit is the kernel.
        std::string unblockedKey = prefix + "f32/no-k-block";
        add(unblockedKey, [s, unblockedKey](benchmark::State &state) {
          runMatmulVariant(state, s, unblockedKey,
                           [&] { return buildUnblockedF32(s); });
        });
        continue;
      }
      std::string kernelKey = prefix + level + "/kernel";
      add(kernelKey, [s, level, kernelKey](benchmark::State &state) {
        runMatmulVariant(state, s, kernelKey,
                         [&] { return buildKernel(s, level); });
      });
      if (level == "i8") {
        // The integer matmul as agn-lower-to-llvm-pipeline{vectorize=false}
        // leaves it: the scalar loops every integer matmul got before
        // agn-vectorize-contractions took them.
        std::string scalarKey = prefix + level + "/kernel-scalar";
        add(scalarKey, [s, level, scalarKey](benchmark::State &state) {
          runMatmulVariant(state, s, scalarKey, [&] {
            return buildKernel(s, level, KernelForm::ArgumentScalar);
          });
        });
      }
      if (level == "i8" || level == "i4") {
        // The deployment: weights constant, packed for VNNI at compile
        // time (agn-vnni-matmuls, when the host has AVX512-VNNI).
        std::string constantKey = prefix + level + "/constant";
        add(constantKey, [s, level, constantKey](benchmark::State &state) {
          runMatmulVariant(state, s, constantKey, [&] {
            return buildKernel(s, level, KernelForm::Constant);
          });
        });
        // And its panels on two threads.
        std::string threadsKey = constantKey + "/2T";
        add(threadsKey, [s, level, threadsKey](benchmark::State &state) {
          runMatmulVariant(state, s, threadsKey, [&] {
            return buildKernel(s, level, KernelForm::Constant, 2);
          });
        });
      }
    }
    std::string adaptiveKey = prefix + "adaptive";
    add(adaptiveKey, [s, adaptiveKey](benchmark::State &state) {
      runMatmulVariant(state, s, adaptiveKey, [&] { return buildAdaptive(s); });
    });
    if (s.name() == kControllerShape.name()) {
      for (auto [statistic, stride] :
           {std::pair<const char *, int64_t>{"variance", 1},
            {"variance", 4},
            {"variance", 16},
            {"abs_max", 1}}) {
        std::string name = std::string("64x1024/controller/") + statistic;
        if (stride > 1)
          name += "/stride" + std::to_string(stride);
        std::string statisticName = statistic;
        add(name, [statisticName, stride = stride](benchmark::State &state) {
          runController(state, statisticName, stride);
        });
      }
      add("64x1024/quantize-activations/i8", runQuantizeActivations);
    }
    // Last: OpenBLAS's threads stay awake for a while after a call.
    add(prefix + "openblas/2T", [s](benchmark::State &state) {
      runOpenBlas(state, s, 2);
      openblas_set_num_threads(1);
    });
  }
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::AddCustomContext("openblas_core", openblas_get_corename());
  benchmark::AddCustomContext("openblas_config", openblas_get_config());
  benchmark::AddCustomContext("agn_code_threads",
                              "1, and 2 in the rows ending in /2T");
  // The resource manager's CPU policy would lower units while the benchmark
  // keeps the CPU busy: off, so each unit runs at the level it asks for.
  agn_rt_set_cpu_thresholds(-1, -1);
  openblas_set_num_threads(1);
  registerBenchmarks();
  TableReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.printTable(stdout);
  benchmark::Shutdown();
  return 0;
}
