//===- Compiler.cpp - C API to compile and run models ---------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn-c/Compiler.h"

#include "agn/CAPI/CompiledModel.h"
#include "agn/Pipelines/Pipelines.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using namespace mlir;
using namespace mlir::agn;

/// The calling thread's last error.
static thread_local std::string lastError;

struct agn_model {
  std::unique_ptr<CompiledModel> model;
};

agn_model *agn_model_compile(const char *mlirText, const char *passes,
                             const char *entry) {
  return agn_model_compile_threads(mlirText, passes, entry, 1);
}

agn_model *agn_model_compile_threads(const char *mlirText, const char *passes,
                                     const char *entry, int64_t threads) {
  lastError.clear();
  if (!mlirText) {
    lastError = "agn_model_compile: mlir_text is NULL";
    return nullptr;
  }
  if (threads < 1 || threads > std::numeric_limits<unsigned>::max()) {
    lastError = "agn_model_compile_threads: threads must be at least 1, got " +
                std::to_string(threads);
    return nullptr;
  }
  std::unique_ptr<CompiledModel> model = CompiledModel::parse(
      mlirText, "<agn_model_compile>", entry ? entry : "", lastError);
  if (!model || failed(model->compile(passes ? passes : "", lastError,
                                      static_cast<unsigned>(threads))))
    return nullptr;
  return new agn_model{std::move(model)};
}

/// Parses `mlirText` (the C function `function` reports its errors) and
/// compiles it with `compile`; returns the model or null with lastError set.
static agn_model *
compileModel(const char *function, const char *mlirText, const char *entry,
             function_ref<LogicalResult(CompiledModel &)> compile) {
  lastError.clear();
  if (!mlirText) {
    lastError = std::string(function) + ": mlir_text is NULL";
    return nullptr;
  }
  std::unique_ptr<CompiledModel> model = CompiledModel::parse(
      mlirText, "<agn_model_compile>", entry ? entry : "", lastError);
  if (!model || failed(compile(*model)))
    return nullptr;
  return new agn_model{std::move(model)};
}

agn_model *agn_model_compile_options(const char *mlirText, const char *passes,
                                     const char *entry,
                                     const char *loweringOptions) {
  return compileModel(
      "agn_model_compile_options", mlirText, entry, [&](CompiledModel &model) {
        return model.compileWithOptions(passes ? passes : "",
                                        loweringOptions ? loweringOptions : "",
                                        lastError);
      });
}

agn_model *agn_model_compile_gpu(const char *mlirText, const char *passes,
                                 const char *entry,
                                 const char *loweringOptions) {
  return compileModel("agn_model_compile_gpu", mlirText, entry,
                      [&](CompiledModel &model) {
                        return model.compileForGpuWithOptions(
                            passes ? passes : "",
                            loweringOptions ? loweringOptions : "", lastError);
                      });
}

int agn_model_runs_on_gpu(const agn_model *model) {
  return model && model->model->runsOnGpu() ? 1 : 0;
}

const char *agn_last_error(void) { return lastError.c_str(); }

void agn_model_destroy(agn_model *model) { delete model; }

int64_t agn_model_num_inputs(const agn_model *model) {
  return model ? model->model->getInputs().size() : -1;
}

int64_t agn_model_num_results(const agn_model *model) {
  return model ? model->model->getResults().size() : -1;
}

/// Copies `info` out through the C API's describe functions.
static int64_t describe(ArrayRef<CompiledModel::TensorInfo> infos,
                        int64_t index, int64_t *rank,
                        int64_t shape[AGN_MAX_RANK], const char **dtype) {
  if (index < 0 || index >= static_cast<int64_t>(infos.size()))
    return -1;
  const CompiledModel::TensorInfo &info = infos[index];
  if (rank)
    *rank = info.shape.size();
  for (size_t dim = 0; shape && dim < info.shape.size(); ++dim)
    shape[dim] = ShapedType::isDynamic(info.shape[dim]) ? -1 : info.shape[dim];
  if (dtype)
    *dtype = info.dtype.c_str();
  return 0;
}

int64_t agn_model_input(const agn_model *model, int64_t index, int64_t *rank,
                        int64_t shape[AGN_MAX_RANK], const char **dtype) {
  return model ? describe(model->model->getInputs(), index, rank, shape, dtype)
               : -1;
}

int64_t agn_model_result(const agn_model *model, int64_t index, int64_t *rank,
                         int64_t shape[AGN_MAX_RANK], const char **dtype) {
  return model ? describe(model->model->getResults(), index, rank, shape, dtype)
               : -1;
}

const char *agn_model_ir(const agn_model *model) {
  return model ? model->model->getIR().data() : "";
}

int64_t agn_model_num_compile_stages(const agn_model *model) {
  return model ? model->model->getCompileStages().size() : 0;
}

const char *agn_model_compile_stage(const agn_model *model, int64_t index,
                                    double *seconds) {
  if (!model || index < 0 || index >= agn_model_num_compile_stages(model))
    return nullptr;
  const CompileProgress::Stage &stage = model->model->getCompileStages()[index];
  if (seconds)
    *seconds = stage.seconds;
  return stage.name.c_str();
}

int64_t agn_model_run(agn_model *model, const void *const *inputs,
                      const int64_t *inputShapes, void **results,
                      int64_t *resultShapes) {
  lastError.clear();
  if (!model) {
    lastError = "agn_model_run: model is NULL";
    return -1;
  }
  ArrayRef<CompiledModel::TensorInfo> inputInfos = model->model->getInputs();
  SmallVector<const void *> data;
  SmallVector<SmallVector<int64_t>> shapes;
  for (auto [index, info] : llvm::enumerate(inputInfos)) {
    data.push_back(inputs[index]);
    const int64_t *shape = inputShapes + index * AGN_MAX_RANK;
    shapes.emplace_back(shape, shape + info.shape.size());
  }
  SmallVector<void *> resultData;
  SmallVector<SmallVector<int64_t>> shapesOut;
  if (failed(model->model->run(data, shapes, resultData, shapesOut, lastError)))
    return -1;
  for (auto [index, buffer, shape] : llvm::enumerate(resultData, shapesOut)) {
    results[index] = buffer;
    for (auto [dim, size] : llvm::enumerate(shape))
      resultShapes[index * AGN_MAX_RANK + dim] = size;
  }
  return 0;
}

void agn_buffer_free(void *buffer) { std::free(buffer); }

//===----------------------------------------------------------------------===//
// Pipeline options
//===----------------------------------------------------------------------===//

namespace {
/// Reads the options that a pipeline's options struct declares. Each option
/// registers itself with the struct's llvm::cl::SubCommand, a protected base
/// of every PassOptions, so a derived struct may walk them; the struct itself
/// is the one PassPipelineRegistration parses, so the list cannot drift from
/// what the pipeline accepts.
template <typename OptionsT> struct OptionLister : OptionsT {
  /// Returns "<name>\t<description>\n" per option, sorted by name (the
  /// order of `mlir-opt --help`).
  std::string list() const {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto &entry : this->OptionsMap)
      entries.emplace_back(entry.first.str(), oneLine(entry.second->HelpStr));
    llvm::sort(entries);
    std::string text;
    for (const auto &[name, description] : entries)
      text += name + "\t" + description + "\n";
    return text;
  }

private:
  /// `help` with tabs and line breaks as blanks, so each option stays one
  /// line of two fields.
  static std::string oneLine(StringRef help) {
    std::string text = help.str();
    std::replace(text.begin(), text.end(), '\t', ' ');
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
  }
};

/// A pipeline agn registers and its options, listed once per process.
struct PipelineOptions {
  const char *name;
  std::string options;
};
} // namespace

/// agn's pass pipelines, by the names their PassPipelineRegistration gives
/// them (lib/Pipelines/AdaptivePipeline.cpp,
/// lib/Pipelines/LowerToLLVMPipeline.cpp, LowerToNVVMPipeline.cpp).
static const std::vector<PipelineOptions> &getPipelines() {
  static const std::vector<PipelineOptions> pipelines = {
      {"agn-adaptive-pipeline", OptionLister<AdaptivePipelineOptions>().list()},
      {"agn-lower-to-llvm-pipeline", OptionLister<LowerToLLVMOptions>().list()},
      {"agn-lower-to-nvvm-pipeline", OptionLister<LowerToNVVMOptions>().list()},
  };
  return pipelines;
}

const char *agn_pipelines(void) {
  static const std::string names = [] {
    std::string text;
    for (const PipelineOptions &pipeline : getPipelines())
      text += std::string(pipeline.name) + "\n";
    return text;
  }();
  return names.c_str();
}

const char *agn_pipeline_options(const char *pipeline) {
  lastError.clear();
  if (!pipeline) {
    lastError = "agn_pipeline_options: pipeline is NULL";
    return nullptr;
  }
  StringRef name = pipeline;
  for (const PipelineOptions &entry : getPipelines())
    if (name == entry.name)
      return entry.options.c_str();
  lastError = "agn_pipeline_options: unknown pass pipeline '" + name.str() +
              "'; known: " +
              llvm::join(llvm::map_range(getPipelines(),
                                         [](const PipelineOptions &entry) {
                                           return StringRef(entry.name);
                                         }),
                         ", ");
  return nullptr;
}
