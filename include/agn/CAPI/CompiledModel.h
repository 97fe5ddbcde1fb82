//===- CompiledModel.h - A JIT-compiled model and its entry -----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Compiles an MLIR module for this CPU (an optional pass pipeline, then
// agn-lower-to-llvm-pipeline), JIT-compiles it with MLIR's ExecutionEngine and
// calls its entry function on dense row-major buffers. The C API
// (agn-c/Compiler.h) and agn-run are built on it.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CAPI_COMPILEDMODEL_H
#define AGN_CAPI_COMPILEDMODEL_H

#include "agn/ExecutionEngine/ExecutionEngine.h"
#include "agn/Pipelines/Pipelines.h"
#include "agn/Utils/CompileProgress.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <string>

namespace mlir::agn {

/// A JIT-compiled module whose entry function takes and returns ranked
/// tensors.
class CompiledModel {
public:
  /// An argument or result of the entry function.
  struct TensorInfo {
    /// Dimensions; ShapedType::kDynamic for dynamic ones.
    llvm::SmallVector<int64_t> shape;
    /// NumPy dtype string ("<f4", "<i8", ...).
    std::string dtype;
    /// Bytes per element.
    unsigned elementSize;
  };

  /// Parses `text` (named `bufferName` in diagnostics) and finds the entry
  /// function `entry` ("" for main or the only public function), whose
  /// signature is then known. Returns null and sets `error` (with every
  /// diagnostic) on failure.
  static std::unique_ptr<CompiledModel> parse(llvm::StringRef text,
                                              llvm::StringRef bufferName,
                                              llvm::StringRef entry,
                                              std::string &error);

  /// Runs `passes` (a textual pipeline, with or without its
  /// builtin.module(...) anchor; may be empty), then
  /// agn-lower-to-llvm-pipeline (its matmul kernels on `threads` threads),
  /// and JIT-compiles the result.
  mlir::LogicalResult compile(llvm::StringRef passes, std::string &error,
                              unsigned threads = 1);

  /// compile() with the options of agn-lower-to-llvm-pipeline (threads,
  /// profile, target, ...).
  mlir::LogicalResult compile(llvm::StringRef passes,
                              const LowerToLLVMOptions &options,
                              std::string &error);

  /// compile() for NVIDIA GPUs: agn-lower-to-nvvm-pipeline with `options`.
  /// The kernels run through libagn_gpu_runtime; run() fails with the GPU
  /// runtime's message when they cannot (no driver, no device).
  mlir::LogicalResult compile(llvm::StringRef passes,
                              const LowerToNVVMOptions &options,
                              std::string &error);

  /// Returns whether the compiled model runs kernels on a GPU.
  bool runsOnGpu() const { return usesGpu; }

  /// compile() with the options of agn-lower-to-llvm-pipeline as text
  /// (`threads=2 profile=true`, as after the pipeline's name on the command
  /// line; empty for the defaults), as the C API takes them. A bad option
  /// fails with the parser's message in `error`.
  mlir::LogicalResult compileWithOptions(llvm::StringRef passes,
                                         llvm::StringRef loweringOptions,
                                         std::string &error);

  /// compile() for NVIDIA GPUs with the options of
  /// agn-lower-to-nvvm-pipeline as text (`chip=sm_90 format=isa`; empty for
  /// the defaults), as the C API takes them. A bad option fails with the
  /// parser's message in `error`.
  mlir::LogicalResult compileForGpuWithOptions(llvm::StringRef passes,
                                               llvm::StringRef loweringOptions,
                                               std::string &error);

  /// parse() then compile().
  static std::unique_ptr<CompiledModel>
  compile(llvm::StringRef text, llvm::StringRef bufferName,
          llvm::StringRef passes, llvm::StringRef entry, std::string &error);

  ~CompiledModel();

  llvm::ArrayRef<TensorInfo> getInputs() const { return inputs; }
  llvm::ArrayRef<TensorInfo> getResults() const { return results; }
  llvm::StringRef getEntryName() const { return entryName; }
  /// The module after `passes`, before lowering.
  llvm::StringRef getIR() const { return ir; }
  /// The stages of the last successful compile() with their times (agn
  /// passes, lowering, translation to LLVM IR, LLVM optimization, machine
  /// code).
  llvm::ArrayRef<CompileProgress::Stage> getCompileStages() const {
    return stages;
  }

  /// Calls the entry function on `data` (one contiguous row-major buffer per
  /// argument, of shape `shapes[i]`) and returns each result as a new
  /// malloc'ed buffer with its shape. Sets `error` and fails on a shape that
  /// does not match the signature.
  mlir::LogicalResult
  run(llvm::ArrayRef<const void *> data,
      llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes,
      llvm::SmallVectorImpl<void *> &resultData,
      llvm::SmallVectorImpl<llvm::SmallVector<int64_t>> &resultShapes,
      std::string &error);

private:
  CompiledModel() = default;

  /// Runs `passes`, then the lowering `buildLowering` adds, and JIT-compiles
  /// the result (with the runtime of its parallel loops when `threads` > 1:
  /// libomp, or MLIR's async runtime with parallel-runtime=async).
  mlir::LogicalResult
  compileWith(llvm::StringRef passes,
              llvm::function_ref<void(mlir::OpPassManager &)> buildLowering,
              unsigned threads, std::string &error);

  std::unique_ptr<mlir::MLIRContext> context;
  std::unique_ptr<llvm::SourceMgr> sourceMgr;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::agn::OwningExecutionEngine engine;
  std::string entryName;
  std::string ir;
  llvm::SmallVector<TensorInfo> inputs, results;
  llvm::SmallVector<CompileProgress::Stage> stages;
  bool usesGpu = false;
};

/// Registers what agn's compilers parse and translate: every upstream
/// dialect and extension, the translations to LLVM IR, and agn.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Adds the textual pipeline `passes` (with or without its
/// builtin.module(...) anchor; may be empty) to `pm`; parse errors go to
/// `errors`.
mlir::LogicalResult addTextualPipeline(mlir::OpPassManager &pm,
                                       llvm::StringRef passes,
                                       llvm::raw_ostream &errors);

/// Returns the NumPy dtype string of a tensor element type, "" if agn cannot
/// pass it across the entry boundary.
std::string getNpyDtype(mlir::Type elementType);

/// Formats a shape as `16x?x3` (or "scalar (0-d)").
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::agn

#endif // AGN_CAPI_COMPILEDMODEL_H
