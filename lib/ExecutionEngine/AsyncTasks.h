//===- AsyncTasks.h - MLIR's async runtime, shared by every engine -*- C++
//-*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Code lowered with agn-lower-to-llvm-pipeline{threads=N}, N > 1, runs its
// parallel loops as tasks on MLIR's async runtime (libmlir_async_runtime.so),
// whose thread pool is one per process. Two facts of that library decide how
// agn's JIT engines share it:
//
// - Handed to mlir::ExecutionEngine as a shared library, the library's
//   `__mlir_execution_engine_destroy` runs when the engine is destroyed and
//   resets the process-wide runtime: every other engine's next parallel loop
//   then dereferences a null runtime. So the library is loaded once, for the
//   life of the process, and engines find its entry points among the
//   process's symbols.
// - A worker that completes a task's token wakes the caller and then still
//   runs the task's last instructions (freeing its coroutine frame) in the
//   engine's code. Freeing that code as soon as the caller returns races with
//   those instructions. So engines schedule tasks through wrappers that
//   record when each worker enters and leaves JIT-compiled code, and an
//   engine is freed only once every task that began before is over.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_EXECUTIONENGINE_ASYNCTASKS_H
#define AGN_LIB_EXECUTIONENGINE_ASYNCTASKS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"

#include <string>

namespace mlir::agn::detail {

/// Loads MLIR's async runtime into the process (once; later calls only report
/// the first call's outcome). On failure `error` says why.
LogicalResult loadAsyncRuntime(std::string &error);

/// The task-scheduling entry points of the async runtime, replaced by wrappers
/// that track the tasks they run. Requires a successful loadAsyncRuntime.
llvm::orc::SymbolMap
getTrackedAsyncEntryPoints(llvm::orc::MangleAndInterner interner);

/// Returns once every tracked task that had started when it was called has
/// finished: no worker is left in code that was JIT-compiled before.
void waitForStartedAsyncTasks();

} // namespace mlir::agn::detail

#endif // AGN_LIB_EXECUTIONENGINE_ASYNCTASKS_H
