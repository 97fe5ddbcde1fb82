//===- CompiledModel.cpp - A JIT-compiled model and its entry -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/CAPI/CompiledModel.h"

#include "agn-c/GpuRuntime.h"
#include "agn-c/Runtime.h"
#include "agn/ExecutionEngine/ExecutionEngine.h"
#include "agn/InitAGN.h"
#include "agn/Utils/CompileProgress.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace mlir;
using namespace mlir::agn;

std::string mlir::agn::getNpyDtype(Type type) {
  if (type.isF32())
    return "<f4";
  if (type.isF64())
    return "<f8";
  if (type.isF16())
    return "<f2";
  if (type.isInteger(64) || type.isIndex())
    return "<i8";
  if (type.isInteger(32))
    return "<i4";
  if (type.isInteger(8))
    return "|i1";
  if (type.isInteger(1))
    return "|b1";
  return "";
}

std::string mlir::agn::formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar (0-d)";
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << '?';
        else
          os << dim;
      },
      "x");
  return text;
}

/// Makes the runtimes forget the weights registered in (and copied to the
/// GPU from) a block of JIT memory about to be unmapped (a model destroyed):
/// a later mapping at that address is none of their business.
static void forgetReleasedWeights(const void *base, size_t bytes) {
  agn_rt_forget_weights(base, bytes);
  // Device copies of those weights too (GPU models).
  agn_gpu_forget_constants(base, bytes);
}

/// Registers passes and pipelines once per process (createExecutionEngine
/// registers the targets), and the observer of released JIT memory.
static void initializeOnce() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    registerAllPasses();
    registerAllAGNPasses();
    setJitMemoryReleaseObserver(forgetReleasedWeights);
  });
}

void mlir::agn::registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registerAllAGNDialects(registry);
}

LogicalResult mlir::agn::addTextualPipeline(OpPassManager &pm, StringRef passes,
                                            llvm::raw_ostream &errors) {
  StringRef pipeline = passes.trim();
  if (pipeline.consume_front("builtin.module(") && pipeline.ends_with(")"))
    pipeline = pipeline.drop_back();
  if (pipeline.empty())
    return success();
  if (succeeded(parsePassPipeline(pipeline, pm, errors)))
    return success();
  errors << "\nbad pass pipeline '" << passes << "'";
  return failure();
}

/// Returns the entry function, or null after adding the reason to `error`.
static func::FuncOp findEntry(ModuleOp module, StringRef name,
                              std::string &error) {
  if (!name.empty()) {
    auto entry = module.lookupSymbol<func::FuncOp>(name);
    if (entry && !entry.isExternal())
      return entry;
    error += ("no function named '" + name + "' with a body").str();
    return nullptr;
  }
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  SmallVector<func::FuncOp> candidates;
  for (auto function : module.getOps<func::FuncOp>())
    if (function.isPublic() && !function.isExternal())
      candidates.push_back(function);
  if (candidates.size() == 1)
    return candidates.front();
  error += "the module has " + std::to_string(candidates.size()) +
           " public functions and none named 'main'; name the entry";
  return nullptr;
}

/// Describes `types` as entry tensors; adds the reason to `error` and fails
/// when one cannot cross the entry boundary.
static LogicalResult
describeTensors(TypeRange types, StringRef what,
                SmallVectorImpl<CompiledModel::TensorInfo> &infos,
                std::string &error) {
  for (auto [index, type] : llvm::enumerate(types)) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    std::string dtype = tensor ? getNpyDtype(tensor.getElementType()) : "";
    if (dtype.empty() || tensor.getRank() > 8) {
      llvm::raw_string_ostream os(error);
      os << what << " #" << index << " has type " << type
         << ", which cannot cross the entry boundary; use ranked tensors (rank "
            "at most 8) of f32, f64, f16, i64, i32, i8, i1 or index";
      return failure();
    }
    unsigned size = tensor.getElementType().isIndex()
                        ? 8
                        : std::max(1u, tensor.getElementTypeBitWidth() / 8);
    infos.push_back({SmallVector<int64_t>(tensor.getShape()), dtype, size});
  }
  return success();
}

std::unique_ptr<CompiledModel> CompiledModel::parse(StringRef text,
                                                    StringRef bufferName,
                                                    StringRef entry,
                                                    std::string &error) {
  initializeOnce();
  std::unique_ptr<CompiledModel> model(new CompiledModel());
  DialectRegistry registry;
  registerCompilerDialects(registry);
  model->context = std::make_unique<MLIRContext>(registry);
  MLIRContext &context = *model->context;
  // The JIT must not spawn compile threads behind the host's back.
  context.disableMultithreading();

  model->sourceMgr = std::make_unique<llvm::SourceMgr>();
  model->sourceMgr->AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, bufferName), llvm::SMLoc());
  llvm::raw_string_ostream errors(error);
  SourceMgrDiagnosticHandler handler(*model->sourceMgr, &context, errors);
  model->module = parseSourceFile<ModuleOp>(*model->sourceMgr, &context);
  if (!model->module)
    return nullptr;
  func::FuncOp function = findEntry(*model->module, entry, error);
  if (!function)
    return nullptr;
  model->entryName = function.getSymName().str();
  FunctionType signature = function.getFunctionType();
  if (failed(describeTensors(signature.getInputs(), "argument", model->inputs,
                             error)) ||
      failed(describeTensors(signature.getResults(), "result", model->results,
                             error)))
    return nullptr;
  return model;
}

LogicalResult CompiledModel::compile(StringRef passes, std::string &error,
                                     unsigned threads) {
  LowerToLLVMOptions options;
  options.threads = threads;
  return compile(passes, options, error);
}

/// Parses `text` as the options of the pass pipeline `name` into `options`;
/// on failure sets `error` to what is wrong. An enumerated option's parser
/// reports a bad value to stderr, not to the stream: `enumHint` then says
/// which values the pipeline's enumerated options take.
template <typename OptionsT>
static LogicalResult parsePipelineOptions(StringRef name, StringRef text,
                                          StringRef enumHint, OptionsT &options,
                                          std::string &error) {
  std::string parseErrors;
  llvm::raw_string_ostream parseStream(parseErrors);
  if (succeeded(options.parseFromString(text, parseStream)))
    return success();
  error = ("bad " + name + " options '" + text + "'").str();
  if (!parseErrors.empty())
    error += ": " + StringRef(parseErrors).trim().str();
  else if (!enumHint.empty())
    error += (": a value is not one the option takes (" + enumHint + ")").str();
  return failure();
}

LogicalResult CompiledModel::compileWithOptions(StringRef passes,
                                                StringRef loweringOptions,
                                                std::string &error) {
  initializeOnce();
  LowerToLLVMOptions options;
  if (failed(parsePipelineOptions("agn-lower-to-llvm-pipeline", loweringOptions,
                                  "parallel-runtime: openmp or async", options,
                                  error)))
    return failure();
  return compile(passes, options, error);
}

LogicalResult CompiledModel::compileForGpuWithOptions(StringRef passes,
                                                      StringRef loweringOptions,
                                                      std::string &error) {
  initializeOnce();
  LowerToNVVMOptions options;
  if (failed(parsePipelineOptions("agn-lower-to-nvvm-pipeline", loweringOptions,
                                  "format: fatbin, bin, isa or llvm", options,
                                  error)))
    return failure();
  return compile(passes, options, error);
}

LogicalResult CompiledModel::compile(StringRef passes,
                                     const LowerToLLVMOptions &options,
                                     std::string &error) {
  if (options.threads < 1) {
    error = "the number of threads must be at least 1";
    return failure();
  }
  return compileWith(
      passes,
      [&options](OpPassManager &pm) { buildLowerToLLVMPipeline(pm, options); },
      options.threads, error);
}

LogicalResult CompiledModel::compile(StringRef passes,
                                     const LowerToNVVMOptions &options,
                                     std::string &error) {
  // run() reports the GPU runtime's errors; it need not print them too.
  agn_gpu_set_error_printing(0);
  return compileWith(
      passes,
      [&options](OpPassManager &pm) { buildLowerToNVVMPipeline(pm, options); },
      /*threads=*/1, error);
}

LogicalResult
CompiledModel::compileWith(StringRef passes,
                           function_ref<void(OpPassManager &)> buildLowering,
                           unsigned threads, std::string &error) {
  initializeOnce();
  MLIRContext &context = *this->context;
  llvm::raw_string_ostream errors(error);
  // Every diagnostic goes to `error`, with its location in the source.
  SourceMgrDiagnosticHandler handler(*sourceMgr, &context, errors);

  // The verifier runs once after each stage, not after every pass as
  // agn-opt's does: after each of the lowering's ~70 passes it was a third
  // of a large model's lowering (densenet121 at two levels: 17.6 s against
  // 12.1 s). A pass that breaks the IR is still caught, at the stage's end;
  // agn-opt names the pass.
  PassManager pm(&context);
  pm.enableVerifier(false);
  if (failed(addTextualPipeline(pm, passes, errors)))
    return failure();
  // Stages: agn's passes (if any), the lowering, translation, LLVM
  // optimization and machine code (createExecutionEngine's).
  bool hasPasses = pm.size() != 0;
  CompileProgress progress(hasPasses ? 5 : 4);
  if (hasPasses) {
    progress.beginStage("agn passes", pm.size());
    progress.instrument(pm);
    if (failed(pm.run(*module)) || failed(verify(*module)))
      return failure();
  }
  ir.clear();
  llvm::raw_string_ostream irStream(ir);
  module->print(irStream);

  PassManager lowering(&context);
  lowering.enableVerifier(false);
  buildLowering(lowering);
  progress.beginStage("lowering", lowering.size());
  progress.instrument(lowering);
  if (failed(lowering.run(*module)) || failed(verify(*module))) {
    errors << "\nlowering to LLVM failed";
    return failure();
  }
  // Kernels for the GPU: every call checks the GPU runtime's status.
  usesGpu = false;
  module->walk([&](gpu::BinaryOp) { usesGpu = true; });

  // Optimize for the module's target (this CPU unless it names another):
  // without a target machine LLVM's cost models know no vector registers,
  // and loops such as the controller's reductions stay scalar.
  JitOptions jitOptions;
  jitOptions.asyncRuntime = threads > 1;
  jitOptions.progress = &progress;
  std::string jitError;
  auto created = createExecutionEngine(*module, jitOptions, jitError);
  if (failed(created)) {
    errors << jitError;
    return failure();
  }
  engine = std::move(*created);
  // Machine code now, not at the first call: compile() takes the time.
  if (auto entry = engine->lookupPacked(entryName); !entry) {
    errors << "JIT compilation failed: " << llvm::toString(entry.takeError());
    return failure();
  }
  progress.finish();
  stages.assign(progress.getStages().begin(), progress.getStages().end());
  return success();
}

std::unique_ptr<CompiledModel>
CompiledModel::compile(StringRef text, StringRef bufferName, StringRef passes,
                       StringRef entry, std::string &error) {
  std::unique_ptr<CompiledModel> model = parse(text, bufferName, entry, error);
  if (!model || failed(model->compile(passes, error)))
    return nullptr;
  return model;
}

CompiledModel::~CompiledModel() {
  // Its buffers, kept for its next call, go back to the system.
  agn_rt_release_cached_buffers();
}

/// Copies the strided memref described by `descriptor` (allocated, aligned,
/// offset, sizes[rank], strides[rank], as 8-byte words) into a new
/// contiguous malloc'ed buffer: row by row (one memcpy each) when the
/// innermost dimension is contiguous, else element by element.
static void *copyStrided(const int64_t *descriptor, int64_t rank,
                         unsigned elementSize,
                         SmallVectorImpl<int64_t> &shape) {
  const char *aligned = reinterpret_cast<const char *>(descriptor[1]);
  int64_t offset = descriptor[2];
  ArrayRef<int64_t> sizes(descriptor + 3, rank);
  ArrayRef<int64_t> strides(descriptor + 3 + rank, rank);
  shape.assign(sizes.begin(), sizes.end());
  int64_t count = 1;
  for (int64_t size : sizes)
    count *= size;
  char *out = static_cast<char *>(
      std::malloc(std::max<int64_t>(count, 1) * elementSize));
  if (count == 0)
    return out;
  // Elements per memcpy: the innermost row if it is contiguous.
  int64_t run = rank > 0 && strides[rank - 1] == 1 ? sizes[rank - 1] : 1;
  int64_t outerRank = run > 1 ? rank - 1 : rank;
  SmallVector<int64_t> index(outerRank, 0);
  for (int64_t linear = 0; linear < count; linear += run) {
    int64_t source = offset;
    for (int64_t dim = 0; dim < outerRank; ++dim)
      source += index[dim] * strides[dim];
    std::memcpy(out + linear * elementSize, aligned + source * elementSize,
                run * elementSize);
    for (int64_t dim = outerRank - 1; dim >= 0; --dim) {
      if (++index[dim] < sizes[dim])
        break;
      index[dim] = 0;
    }
  }
  return out;
}

LogicalResult CompiledModel::run(
    ArrayRef<const void *> data, ArrayRef<SmallVector<int64_t>> shapes,
    SmallVectorImpl<void *> &resultData,
    SmallVectorImpl<SmallVector<int64_t>> &resultShapes, std::string &error) {
  if (data.size() != inputs.size() || shapes.size() != inputs.size()) {
    error = "@" + entryName + " takes " + std::to_string(inputs.size()) +
            " argument(s), got " + std::to_string(data.size());
    return failure();
  }
  // Each argument is a memref descriptor expanded into its fields, the way
  // the LLVM-level function takes it: allocated and aligned pointers,
  // offset, sizes and strides.
  struct Descriptor {
    const void *allocated, *aligned;
    int64_t offset = 0;
    SmallVector<int64_t> sizes, strides;
  };
  SmallVector<Descriptor> descriptors(inputs.size());
  SmallVector<void *> packed;
  for (auto [index, info, pointer, shape, descriptor] :
       llvm::enumerate(inputs, data, shapes, descriptors)) {
    bool matches = shape.size() == info.shape.size();
    for (size_t dim = 0; matches && dim < shape.size(); ++dim)
      matches = shape[dim] >= 0 && (ShapedType::isDynamic(info.shape[dim]) ||
                                    info.shape[dim] == shape[dim]);
    if (!matches) {
      error = "argument #" + std::to_string(index) + " must have shape " +
              formatShape(info.shape) + ", got " + formatShape(shape);
      return failure();
    }
    descriptor.allocated = descriptor.aligned = pointer;
    descriptor.sizes.assign(shape.begin(), shape.end());
    descriptor.strides.assign(shape.size(), 1);
    for (int64_t dim = static_cast<int64_t>(shape.size()) - 2; dim >= 0; --dim)
      descriptor.strides[dim] = descriptor.strides[dim + 1] * shape[dim + 1];
    packed.push_back(&descriptor.allocated);
    packed.push_back(&descriptor.aligned);
    packed.push_back(&descriptor.offset);
    for (int64_t &size : descriptor.sizes)
      packed.push_back(&size);
    for (int64_t &stride : descriptor.strides)
      packed.push_back(&stride);
  }

  // All results come back as one struct of descriptors of 8-byte words.
  SmallVector<int64_t> resultWords;
  for (const TensorInfo &info : results)
    resultWords.append(3 + 2 * info.shape.size(), 0);
  if (!resultWords.empty())
    packed.push_back(resultWords.data());
  // The GPU runtime's error is sticky and process-wide: one left by an
  // earlier call (of any model) fails this one before it runs. Clearing it
  // here could hide another thread's failure from that thread; the host
  // clears it (agn_gpu_clear_error) once it has dealt with it.
  if (usesGpu && agn_gpu_status() != 0) {
    error = std::string("the model's GPU kernels cannot run: an earlier GPU "
                        "error is still set (clear it with "
                        "agn_gpu_clear_error once handled): ") +
            agn_gpu_last_error();
    return failure();
  }
  // One call is one inference: its wall time feeds the runtime's latency
  // policy (`latency_target`), as agn-run's and AOT hosts' calls do.
  agn_rt_begin_inference();
  llvm::Error callError = engine->invokePacked(entryName, packed);
  agn_rt_end_inference();
  if (callError) {
    error = llvm::toString(std::move(callError));
    return failure();
  }

  // A GPU that could not run the kernels (no driver, no device, a failed
  // launch) leaves the results unwritten: report it instead of them.
  bool gpuFailed = usesGpu && agn_gpu_status() != 0;
  if (gpuFailed)
    error = std::string("the model's GPU kernels did not run: ") +
            agn_gpu_last_error();

  // The results are copied out, then their buffers freed: the function
  // returns buffers its caller owns (the deallocation pipeline clones the
  // ones it does not), but two results may share one. (Left allocated, every
  // call's results also kept the allocator from reusing memory: each call
  // page-faulted its fresh buffers, which was most of a small model's time.)
  const int64_t *descriptor = resultWords.data();
  llvm::SmallPtrSet<void *, 4> owned;
  for (const TensorInfo &info : results) {
    int64_t rank = info.shape.size();
    if (!gpuFailed)
      resultData.push_back(copyStrided(descriptor, rank, info.elementSize,
                                       resultShapes.emplace_back()));
    owned.insert(reinterpret_cast<void *>(descriptor[0]));
    descriptor += 3 + 2 * rank;
  }
  for (const void *argument : data)
    owned.erase(const_cast<void *>(argument));
  // Back to the runtime's cache, for the next call's results.
  for (void *buffer : owned)
    _mlir_memref_to_llvm_free(buffer);
  return failure(gpuFailed);
}
