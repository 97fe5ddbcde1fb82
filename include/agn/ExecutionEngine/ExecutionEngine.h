//===- ExecutionEngine.h - Target machines and JIT engines ------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The one place where agn turns a module lowered to the LLVM dialect into
// machine code: the target machine it is compiled for, LLVM's -O3 pipeline
// for that machine, and MLIR's ExecutionEngine with the shared libraries that
// agn's generated code calls. CompiledModel (the JIT behind agn-run and the
// C API), agn-aot (object files) and the kernel benchmark all use it, so the
// three compile the same code for the same target.
//
// The target comes from the module's upstream `llvm.target` attribute,
//
//   module attributes {llvm.target = #llvm.target<triple = "x86_64-unknown-
//       linux-gnu", chip = "x86-64-v3", features = #llvm.target_features<[
//       "+avx2", "+fma"]>>} { ... }
//
// where chip "native" names the host's CPU (with its features, before the
// listed ones); a module without the attribute is compiled for the host.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_EXECUTIONENGINE_EXECUTIONENGINE_H
#define AGN_EXECUTIONENGINE_EXECUTIONENGINE_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir::agn {

class CompileProgress;

/// How a target machine generates code.
struct TargetMachineOptions {
  /// LLVM's code generation level. The default is LLVM's JIT default; agn-aot
  /// emits object files at Aggressive (-O3).
  llvm::CodeGenOptLevel codeGenOptLevel = llvm::CodeGenOptLevel::Default;
  /// The relocation model; unset keeps the target's default. Objects meant
  /// for shared libraries need PIC.
  std::optional<llvm::Reloc::Model> relocationModel;
};

/// Returns the target machine that `module` is compiled for: the triple,
/// chip and features of its `llvm.target` attribute (chip "native": the
/// host's CPU and features), or the host when it has none. On failure (an
/// `llvm.target` that is not an #llvm.target, a triple LLVM has no target for,
/// a chip the target does not know) `error` names the triple and chip and
/// says why.
FailureOr<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(ModuleOp module, std::string &error,
                    const TargetMachineOptions &options = {});

/// Returns LLVM's optimization pipeline at -O3 for `machine` (its cost models
/// decide vector widths and unrolling; without a machine LLVM knows no vector
/// registers). `machine` must outlive the returned function. With
/// `progress`, the optimization is its stage "LLVM optimization", counted in
/// functions, and starts the stage "machine code" when it ends.
std::function<llvm::Error(llvm::Module *)>
makeOptimizer(llvm::TargetMachine *machine,
              CompileProgress *progress = nullptr);

/// What a JIT-compiled module needs at run time.
struct JitOptions {
  /// Loads MLIR's async runtime: modules lowered with
  /// agn-lower-to-llvm-pipeline{threads=N}, N > 1, run their parallel loops
  /// on it. It is loaded once per process and shared by every engine. MLIR's C
  /// runner utilities (memrefCopy, used by copies between non-contiguous
  /// buffers) are always loaded.
  bool asyncRuntime = false;
  /// Where the stages of the compilation go (translation, optimization,
  /// machine code), if anywhere. The last stage, machine code, runs at the
  /// engine's first lookup.
  CompileProgress *progress = nullptr;
};

/// Frees an engine of createExecutionEngine once MLIR's async runtime has no
/// worker left in its code.
struct EngineDeleter {
  void operator()(ExecutionEngine *engine) const;
};

/// An engine of createExecutionEngine.
using OwningExecutionEngine = std::unique_ptr<ExecutionEngine, EngineDeleter>;

/// JIT-compiles `module` (in the LLVM dialect) for the target of
/// createTargetMachine, optimized by makeOptimizer, with the shared
/// libraries of `options`. The module's target must be able to run on this
/// host (same architecture). On failure `error` says why.
FailureOr<OwningExecutionEngine>
createExecutionEngine(ModuleOp module, const JitOptions &options,
                      std::string &error);

/// A function told of each block of memory an engine of
/// createExecutionEngine unmaps (code, data, constants), before it goes.
using JitMemoryReleaseObserver = void (*)(const void *base, size_t bytes);

/// Sets the process's observer of released JIT memory (null: none).
/// CompiledModel sets one that makes agn's runtime forget the weights its
/// models registered there (agn_rt_forget_weights).
void setJitMemoryReleaseObserver(JitMemoryReleaseObserver observer);

} // namespace mlir::agn

#endif // AGN_EXECUTIONENGINE_EXECUTIONENGINE_H
