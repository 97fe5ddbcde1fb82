//===- ExecutionEngine.h - Target machines and JIT engines ------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The one place where agn turns a module lowered to the LLVM dialect into
// machine code: the target machine it is compiled for, LLVM's -O3 pipeline
// for that machine, and a JIT engine (LLVM's ORC LLJIT, as MLIR's
// ExecutionEngine builds it) with the shared libraries that agn's generated
// code calls. The engine compiles the module on several threads: split by
// partitionModule, each part optimized and compiled to an object file of
// its own, and the objects linked in the JIT. CompiledModel (the JIT behind
// agn-run and the C API), agn-aot (object files) and the kernel benchmark all
// use it, so the three compile the same code for the same target.
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

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace llvm {
class MemoryBuffer;
class Module;
class TargetMachine;
namespace orc {
class LLJIT;
} // namespace orc
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

/// Runs LLVM's optimization pipeline at -O3 for `machine` on `module`, and
/// calls `onFunctionOptimized` (if any) as each function leaves the loop
/// vectorizer. Several threads may each optimize a module of their own
/// LLVMContext at once.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine,
                    llvm::function_ref<void()> onFunctionOptimized = {});

/// What a JIT-compiled module needs at run time.
struct JitOptions {
  /// Loads MLIR's async runtime when the module calls it: modules lowered
  /// with agn-lower-to-llvm-pipeline{threads=N parallel-runtime=async}, N > 1,
  /// run their parallel loops on it. It is loaded once per process and shared
  /// by every engine. (LLVM's OpenMP runtime, which runs them by default, is
  /// loaded whenever a module has OpenMP ops; MLIR's C runner utilities,
  /// memrefCopy for copies between non-contiguous buffers, always.)
  bool asyncRuntime = false;
  /// Where the stages of the compilation go (translation, optimization,
  /// machine code), if anywhere.
  CompileProgress *progress = nullptr;
  /// The threads that optimize and compile the module (0: the environment's
  /// AGN_COMPILE_THREADS, else one per hardware thread). They only compile:
  /// `threads` of agn's pipelines is the run time's. The code is the same
  /// however many there are, but for the linkage of the functions that one part
  /// calls in another.
  unsigned compileThreads = 0;
};

/// Machine code in the process, from the object files of createExecution-
/// Engine: MLIR's ExecutionEngine's interface (lookup, lookupPacked,
/// invokePacked) over an LLJIT that links objects instead of compiling IR.
class JitEngine {
public:
  /// Links `objects` (object files for this process's architecture) into a
  /// new JIT dylib, whose undefined symbols resolve to the process's and to
  /// the shared libraries `sharedLibraries`; their sections come from the
  /// file-backed constants mapper (FileBackedConstants.h).
  static llvm::Expected<std::unique_ptr<JitEngine>>
  create(SmallVector<std::unique_ptr<llvm::MemoryBuffer>> objects,
         ArrayRef<StringRef> sharedLibraries);
  ~JitEngine();

  /// Returns the address of the symbol `name`; the first lookup links the
  /// objects.
  llvm::Expected<void *> lookup(StringRef name) const;
  /// Returns the `_mlir_` wrapper of the function `name`, which takes its
  /// arguments and results as one array of pointers (MLIR's packed calling
  /// convention).
  llvm::Expected<void (*)(void **)> lookupPacked(StringRef name) const;
  /// Calls the `_mlir_` wrapper of `name` on `args`.
  llvm::Error invokePacked(StringRef name, MutableArrayRef<void *> args);
  /// Defines the symbols that `symbolMap` returns in the engine's dylib.
  void registerSymbols(
      llvm::function_ref<llvm::orc::SymbolMap(llvm::orc::MangleAndInterner)>
          symbolMap);

private:
  /// What the JIT's session reported while linking, for lookup's errors.
  struct LinkErrors {
    std::mutex mutex;
    SmallVector<std::string> messages;
  };

  JitEngine();
  std::shared_ptr<LinkErrors> linkErrors;
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

/// Frees an engine of createExecutionEngine once MLIR's async runtime has no
/// worker left in its code.
struct EngineDeleter {
  void operator()(JitEngine *engine) const;
};

/// An engine of createExecutionEngine.
using OwningExecutionEngine = std::unique_ptr<JitEngine, EngineDeleter>;

/// JIT-compiles `module` (in the LLVM dialect) for the target of
/// createTargetMachine, optimized as optimizeModule does, with the shared
/// libraries of `options`: split by partitionModule into parts that are
/// translated, optimized and compiled to objects on `compileThreads` threads
/// (position-independent code, as the parts reach each other's symbols
/// through the JIT's GOT), and linked by a JitEngine. Every public function
/// gets MLIR's `_mlir_` wrapper. The module's target must be able to run on
/// this host (same architecture). On failure `error` says why.
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
