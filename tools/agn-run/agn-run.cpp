//===- agn-run.cpp - JIT-run an agn module on .npy inputs -----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Compiles a module (upstream ops on tensors, agn ops, or both) to the LLVM
// dialect with agn-lower-to-llvm-pipeline (or, with --target=cuda, to host
// code and NVIDIA GPU kernels with agn-lower-to-nvvm-pipeline), JIT-compiles
// it with MLIR's
// ExecutionEngine and calls its entry function on arrays read from .npy
// files. Writes the results as .npy, and prints the timings and each unit's
// level decisions from the runtime resource manager.
//
//   agn-run model.mlir --passes=agn-adaptive-pipeline -i x.npy -o y.npy
//
//===----------------------------------------------------------------------===//

#include "NpyArray.h"

#include "agn-c/Runtime.h"
#include "agn/CAPI/CompiledModel.h"
#include "common/GpuTargetOptions.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstdlib>
#include <cstring>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("agn-run options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<module.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string>
    entryName("entry",
              cl::desc("Function to call (default: main, or the "
                       "module's only public function)"),
              cl::init(""), cl::cat(category));
static cl::list<std::string> inputs("i",
                                    cl::desc("Input .npy, one per "
                                             "argument, in order"),
                                    cl::cat(category));
static cl::list<std::string> outputs("o",
                                     cl::desc("Output .npy, one per "
                                              "result, in order"),
                                     cl::cat(category));
static cl::opt<std::string>
    passes("passes",
           cl::desc("Pass pipeline to run before lowering, e.g. "
                    "'agn-adaptive-pipeline{levels=i8,f32}'"),
           cl::init(""), cl::cat(category));
// ("threads" is taken by an option of LLVM's own.)
static cl::opt<unsigned>
    kernelThreads("kernel-threads",
                  cl::desc("Threads the kernels and the large ops around "
                           "them run on (default 1; OpenMP parallel regions, "
                           "libomp)"),
                  cl::init(1), cl::cat(category));
static cl::opt<std::string> loweringOptions(
    "lowering-options",
    cl::desc("Further options of agn-lower-to-llvm-pipeline, as in its "
             "textual form, e.g. 'parallelize-ops=false target-cpu=znver4' "
             "(--kernel-threads and --profile set their own)"),
    cl::init(""), cl::cat(category));
static cl::opt<unsigned> repeat("repeat", cl::desc("Calls to time (default 1)"),
                                cl::init(1), cl::cat(category));
static cl::opt<std::string>
    telemetryPath("telemetry",
                  cl::desc("Write the runtime's telemetry JSON "
                           "to this file"),
                  cl::init(""), cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("Print nothing but errors"),
                           cl::init(false), cl::cat(category));
static cl::opt<bool>
    profile("profile",
            cl::desc("Time each unit at each level and the costly ops "
                     "around it (agn-lower-to-llvm-pipeline{profile=true}) "
                     "and print the table after the calls"),
            cl::init(false), cl::cat(category));
static agn::tools::GpuTargetOptions gpuTarget(
    category,
    "Where the kernels run: cpu (default; agn-lower-to-llvm-pipeline) or "
    "cuda (NVIDIA GPU; agn-lower-to-nvvm-pipeline, through "
    "libagn_gpu_runtime and the CUDA driver)");
static cl::opt<std::string> profileTrace(
    "profile-trace",
    cl::desc("With --profile, also write the spans to this file as a Chrome "
             "trace (chrome://tracing, ui.perfetto.dev)"),
    cl::init(""), cl::cat(category));

/// Prints `message` as an agn-run error and returns exit status 1.
static int failWith(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "agn-run") << message << "\n";
  return 1;
}

/// Checks `arrays` (read from `paths`) against the entry's arguments:
/// number, dtype and static dimensions. Prints what differs.
static bool checkInputs(const agn::CompiledModel &model,
                        ArrayRef<agnrun::NpyArray> arrays) {
  ArrayRef<agn::CompiledModel::TensorInfo> expected = model.getInputs();
  if (arrays.size() != expected.size()) {
    llvm::errs() << "agn-run: error: @" << model.getEntryName() << " takes "
                 << expected.size() << " argument(s) but " << arrays.size()
                 << " input file(s) were given (-i, one per argument)\n";
    return false;
  }
  for (auto [index, info, array] : llvm::enumerate(expected, arrays)) {
    if (array.dtype != info.dtype) {
      llvm::errs() << "agn-run: error: argument #" << index << " ("
                   << inputs[index] << ") must have dtype " << info.dtype
                   << ", but has " << array.dtype << "\n";
      return false;
    }
    bool matches = info.shape.size() == array.shape.size();
    for (size_t dim = 0; matches && dim < info.shape.size(); ++dim)
      matches = ShapedType::isDynamic(info.shape[dim]) ||
                info.shape[dim] == array.shape[dim];
    if (!matches) {
      llvm::errs() << "agn-run: error: argument #" << index << " ("
                   << inputs[index] << ") must have shape "
                   << agn::formatShape(info.shape) << ", but has shape "
                   << agn::formatShape(array.shape) << "\n";
      return false;
    }
  }
  return true;
}

/// Prints the shape, dtype and first values of result `index`.
static void printSummary(llvm::raw_ostream &os, size_t index,
                         const agnrun::NpyArray &array) {
  os << "result #" << index << ": " << array.dtype << " "
     << agn::formatShape(array.shape) << " [";
  int64_t shown = std::min<int64_t>(array.getNumElements(), 6);
  for (int64_t i = 0; i < shown; ++i) {
    if (i)
      os << ", ";
    if (array.dtype == "<f4")
      os << llvm::format("%.6g", static_cast<const float *>(array.data())[i]);
    else if (array.dtype == "<f8")
      os << llvm::format("%.6g", static_cast<const double *>(array.data())[i]);
    else if (array.dtype == "<i8")
      os << static_cast<const int64_t *>(array.data())[i];
    else if (array.dtype == "<i4")
      os << static_cast<const int32_t *>(array.data())[i];
    else
      os << static_cast<int>(static_cast<const int8_t *>(array.data())[i]);
  }
  if (array.getNumElements() > shown)
    os << ", ...";
  os << "]\n";
}

/// Prints each registered unit's decisions: arbitrations per granted level
/// and overrides.
static void printDecisions(llvm::raw_ostream &os) {
  agn_rt_stats stats{};
  stats.struct_size = sizeof(stats);
  if (agn_rt_get_stats(&stats) != 0 || stats.num_units == 0) {
    os << "units: none registered (the module has no arbitrated unit)\n";
    return;
  }
  os << "unit decisions (calls per granted level):\n";
  for (int64_t unit = 0; unit < stats.num_units; ++unit) {
    agn_rt_unit_stats unitStats{};
    unitStats.struct_size = sizeof(unitStats);
    if (agn_rt_get_unit_stats(unit, &unitStats) != 0)
      continue;
    os << "  " << unitStats.name << ":";
    for (int64_t level = 0; level < AGN_NUM_LEVELS; ++level)
      if (unitStats.granted[level] != 0)
        os << " " << agn_rt_level_name(level) << "="
           << unitStats.granted[level];
    uint64_t overrides = 0;
    for (uint64_t count : unitStats.overrides)
      overrides += count;
    os << "  (overrides " << overrides << ", mean statistic "
       << llvm::format("%.4g", unitStats.statistic_mean) << ")\n";
  }
}

/// Keeps freed buffers in the heap for the next call. With glibc's defaults,
/// the buffers of one call (each result, its copy, the array it lands in)
/// are mapped afresh and returned to the system on every call, so that each
/// timed call page-faulted them in: 1.1 ms of a 0.12 ms depthwise
/// convolution (bench/convolution_bench.py). A serving process that reuses
/// its memory, as the peers' allocators do, does not pay this.
static void keepFreedMemory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's largest
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

/// The name of the model in the profile's records: the input file's stem.
static std::string getProfileModel() {
  return llvm::sys::path::stem(inputFile.getValue()).str();
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  keepFreedMemory();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv, "agn-run: JIT-run an MLIR module on .npy inputs\n");
  if (kernelThreads < 1)
    return failWith("--kernel-threads must be at least 1");
  if (!profileTrace.empty() && !profile)
    return failWith("--profile-trace needs --profile");

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(inputFile, &error);
  if (!file)
    return failWith("cannot read '" + inputFile + "': " + error);
  SmallVector<agnrun::NpyArray> arrays;
  for (const std::string &path : inputs) {
    llvm::Expected<agnrun::NpyArray> array = agnrun::readNpy(path);
    if (!array)
      return failWith(llvm::toString(array.takeError()));
    arrays.push_back(std::move(*array));
  }

  std::string targetError;
  bool cuda = gpuTarget.isCuda(targetError);
  if (!targetError.empty())
    return failWith(targetError);
  if (cuda && (profile || kernelThreads > 1))
    return failWith("--target=cuda takes neither --profile nor "
                    "--kernel-threads: the kernels run on the GPU");
  agn::LowerToLLVMOptions lowering;
  std::string optionsError;
  llvm::raw_string_ostream optionsErrors(optionsError);
  if (failed(lowering.parseFromString(loweringOptions, optionsErrors)))
    return failWith("--lowering-options: " + StringRef(optionsError).trim() +
                    " (see agn-opt --help, agn-lower-to-llvm-pipeline)");
  lowering.threads = kernelThreads;
  lowering.profile = profile;
  lowering.profileModel = getProfileModel();
  agn::LowerToNVVMOptions gpuLowering;
  gpuTarget.apply(gpuLowering);

  // Parse first: a wrong input is reported before the costly compilation.
  std::unique_ptr<agn::CompiledModel> model =
      agn::CompiledModel::parse(file->getBuffer(), inputFile, entryName, error);
  if (!model || !checkInputs(*model, arrays) ||
      failed(cuda ? model->compile(passes, gpuLowering, error)
                  : model->compile(passes, lowering, error))) {
    if (!model || !error.empty()) {
      // Diagnostics carry their own locations; a one-line reason gets the
      // file name.
      StringRef reason = StringRef(error).trim();
      if (reason.contains('\n') || reason.starts_with(inputFile.getValue())) {
        llvm::errs() << reason << "\n";
        return failWith("compiling " + inputFile + " failed");
      }
      return failWith(inputFile + ": " + reason);
    }
    return 1;
  }
  if (!outputs.empty() && outputs.size() != model->getResults().size())
    return failWith("@" + model->getEntryName() + " has " +
                    llvm::Twine(model->getResults().size()) + " results but " +
                    llvm::Twine(outputs.size()) + " -o files were given");

  SmallVector<const void *> data;
  SmallVector<SmallVector<int64_t>> shapes;
  for (const agnrun::NpyArray &array : arrays) {
    data.push_back(array.data());
    shapes.emplace_back(array.shape);
  }

  // Every call is timed, the first (cold) one included; the median is
  // reported.
  SmallVector<agnrun::NpyArray> results;
  std::vector<double> millis;
  for (unsigned call = 0; call < std::max(1u, repeat.getValue()); ++call) {
    SmallVector<void *> buffers;
    SmallVector<SmallVector<int64_t>> resultShapes;
    agn_rt_begin_inference();
    auto start = std::chrono::steady_clock::now();
    LogicalResult ran = model->run(data, shapes, buffers, resultShapes, error);
    auto stop = std::chrono::steady_clock::now();
    agn_rt_end_inference();
    if (failed(ran))
      return failWith(error);
    millis.push_back(
        std::chrono::duration<double, std::milli>(stop - start).count());
    results.clear();
    for (auto [info, buffer, shape] :
         llvm::zip(model->getResults(), buffers, resultShapes)) {
      agnrun::NpyArray &array = results.emplace_back();
      array.dtype = info.dtype;
      array.shape = shape;
      array.allocate();
      std::memcpy(array.data(), buffer,
                  array.getNumElements() * array.getElementSize());
      std::free(buffer);
    }
  }

  for (auto [path, result] : llvm::zip(outputs, results))
    if (llvm::Error writeError = agnrun::writeNpy(path, result))
      return failWith(llvm::toString(std::move(writeError)));
  if (!telemetryPath.empty() &&
      agn_rt_dump_telemetry(telemetryPath.c_str()) != 0)
    return failWith("cannot write telemetry to '" + telemetryPath +
                    "': " + agn_rt_last_error());

  if (profile) {
    std::string model = getProfileModel();
    if (!profileTrace.empty() &&
        agn_rt_profile_write_trace(model.c_str(), profileTrace.c_str()) != 0)
      return failWith("cannot write the profile trace to '" + profileTrace +
                      "': " + agn_rt_last_error());
  }

  if (!quiet) {
    llvm::raw_ostream &os = llvm::outs();
    std::vector<double> sorted = millis;
    std::sort(sorted.begin(), sorted.end());
    os << "@" << model->getEntryName() << ": " << millis.size() << " call"
       << (millis.size() == 1 ? "" : "s") << ", median "
       << llvm::format("%.3f", sorted[sorted.size() / 2]) << " ms, min "
       << llvm::format("%.3f", sorted.front()) << " ms\n";
    for (auto [index, result] : llvm::enumerate(results))
      printSummary(os, index, result);
    printDecisions(os);
    if (profile) {
      std::string model = getProfileModel();
      std::string table(agn_rt_profile_table(model.c_str(), nullptr, 0), '\0');
      agn_rt_profile_table(model.c_str(), table.data(), table.size() + 1);
      os << "\n" << table;
    }
  }
  return 0;
}
