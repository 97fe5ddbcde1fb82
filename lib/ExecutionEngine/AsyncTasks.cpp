//===- AsyncTasks.cpp - MLIR's async runtime, shared by every engine ------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "AsyncTasks.h"

#include "llvm/ExecutionEngine/Orc/Shared/ExecutorSymbolDef.h"
#include "llvm/Support/DynamicLibrary.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace mlir;

namespace {

/// The async runtime's view of a suspended coroutine and how to resume it
/// (mlir/ExecutionEngine/AsyncRuntime.h).
using CoroHandle = void *;
using CoroResume = void (*)(void *);

/// The runtime's scheduling entry points, as the library defines them.
struct AsyncEntryPoints {
  void (*execute)(CoroHandle, CoroResume) = nullptr;
  void (*awaitTokenAndExecute)(void *, CoroHandle, CoroResume) = nullptr;
  void (*awaitValueAndExecute)(void *, CoroHandle, CoroResume) = nullptr;
  void (*awaitAllInGroupAndExecute)(void *, CoroHandle, CoroResume) = nullptr;
};

/// What one thread is doing: the tick at which it entered JIT-compiled code
/// through a tracked task, or 0 while it is outside such code.
struct ThreadActivity {
  std::atomic<uint64_t> enteredAt{0};
};

/// Every thread that ever ran a tracked task. Threads are few (the runtime's
/// workers and the callers that run continuations inline) and their records
/// are never freed, so a waiter may read them after the thread has exited.
struct ActivityRegistry {
  std::mutex mutex;
  std::vector<ThreadActivity *> threads;
  /// Ticks once per task entry: a total order of entries.
  std::atomic<uint64_t> clock{0};
};

} // namespace

/// The registry, deliberately leaked: workers may run tasks while static
/// destructors run at exit.
static ActivityRegistry &getRegistry() {
  static ActivityRegistry *registry = new ActivityRegistry();
  return *registry;
}

static AsyncEntryPoints &getEntryPoints() {
  static AsyncEntryPoints entryPoints;
  return entryPoints;
}

/// This thread's activity record, registered on first use.
static ThreadActivity &getThreadActivity() {
  thread_local ThreadActivity *activity = [] {
    auto *created = new ThreadActivity();
    ActivityRegistry &registry = getRegistry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    registry.threads.push_back(created);
    return created;
  }();
  return *activity;
}

namespace {
/// Marks this thread as inside JIT-compiled code for its lifetime. Tasks nest
/// when a continuation runs inline (an awaited token that is already
/// available); only the outermost one counts.
class TaskScope {
public:
  TaskScope() : activity(getThreadActivity()) {
    if (depth++ == 0)
      activity.enteredAt.store(++getRegistry().clock,
                               std::memory_order_seq_cst);
  }
  ~TaskScope() {
    if (--depth == 0)
      activity.enteredAt.store(0, std::memory_order_release);
  }
  TaskScope(const TaskScope &) = delete;
  TaskScope &operator=(const TaskScope &) = delete;

private:
  ThreadActivity &activity;
  static thread_local unsigned depth;
};
thread_local unsigned TaskScope::depth = 0;

/// A coroutine to resume, carried through the runtime in place of the
/// coroutine itself.
struct PendingResume {
  CoroHandle handle;
  CoroResume resume;
};
} // namespace

/// Resumes the coroutine of `pending` (a PendingResume) inside a TaskScope.
static void resumeTracked(void *pending) {
  auto *task = static_cast<PendingResume *>(pending);
  PendingResume resume = *task;
  delete task;
  TaskScope scope;
  resume.resume(resume.handle);
}

static void trackedExecute(CoroHandle handle, CoroResume resume) {
  getEntryPoints().execute(new PendingResume{handle, resume}, resumeTracked);
}

static void trackedAwaitTokenAndExecute(void *token, CoroHandle handle,
                                        CoroResume resume) {
  getEntryPoints().awaitTokenAndExecute(
      token, new PendingResume{handle, resume}, resumeTracked);
}

static void trackedAwaitValueAndExecute(void *value, CoroHandle handle,
                                        CoroResume resume) {
  getEntryPoints().awaitValueAndExecute(
      value, new PendingResume{handle, resume}, resumeTracked);
}

static void trackedAwaitAllInGroupAndExecute(void *group, CoroHandle handle,
                                             CoroResume resume) {
  getEntryPoints().awaitAllInGroupAndExecute(
      group, new PendingResume{handle, resume}, resumeTracked);
}

LogicalResult mlir::agn::detail::loadAsyncRuntime(std::string &error) {
  static const std::string loadError = []() -> std::string {
    std::string why;
    llvm::sys::DynamicLibrary library =
        llvm::sys::DynamicLibrary::getPermanentLibrary(AGN_MLIR_ASYNC_RUNTIME,
                                                       &why);
    if (!library.isValid())
      return "cannot load MLIR's async runtime '" +
             std::string(AGN_MLIR_ASYNC_RUNTIME) + "': " + why;
    AsyncEntryPoints &entryPoints = getEntryPoints();
    auto find = [&](const char *name, auto &function) {
      function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(
          library.getAddressOfSymbol(name));
      return function != nullptr;
    };
    for (bool found : {find("mlirAsyncRuntimeExecute", entryPoints.execute),
                       find("mlirAsyncRuntimeAwaitTokenAndExecute",
                            entryPoints.awaitTokenAndExecute),
                       find("mlirAsyncRuntimeAwaitValueAndExecute",
                            entryPoints.awaitValueAndExecute),
                       find("mlirAsyncRuntimeAwaitAllInGroupAndExecute",
                            entryPoints.awaitAllInGroupAndExecute)})
      if (!found)
        return "MLIR's async runtime '" + std::string(AGN_MLIR_ASYNC_RUNTIME) +
               "' lacks a scheduling entry point this version of agn calls";
    return "";
  }();
  if (loadError.empty())
    return success();
  error = loadError;
  return failure();
}

llvm::orc::SymbolMap mlir::agn::detail::getTrackedAsyncEntryPoints(
    llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap symbols;
  auto add = [&](const char *name, auto *function) {
    symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(function),
                               llvm::JITSymbolFlags::Exported};
  };
  add("mlirAsyncRuntimeExecute", &trackedExecute);
  add("mlirAsyncRuntimeAwaitTokenAndExecute", &trackedAwaitTokenAndExecute);
  add("mlirAsyncRuntimeAwaitValueAndExecute", &trackedAwaitValueAndExecute);
  add("mlirAsyncRuntimeAwaitAllInGroupAndExecute",
      &trackedAwaitAllInGroupAndExecute);
  return symbols;
}

void mlir::agn::detail::waitForStartedAsyncTasks() {
  ActivityRegistry &registry = getRegistry();
  uint64_t now = registry.clock.load(std::memory_order_seq_cst);
  std::vector<ThreadActivity *> threads;
  {
    std::lock_guard<std::mutex> lock(registry.mutex);
    threads = registry.threads;
  }
  // A thread that entered after `now` runs a task scheduled after this call
  // began, which cannot belong to an engine being freed.
  for (ThreadActivity *activity : threads) {
    for (;;) {
      uint64_t enteredAt = activity->enteredAt.load(std::memory_order_acquire);
      if (enteredAt == 0 || enteredAt > now)
        break;
      std::this_thread::yield();
    }
  }
}
