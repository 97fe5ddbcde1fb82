//===- MonitorThread.h - The thread that drives ticks -----------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A plain pthread rather than std::thread: after fork(2) the child has no
// monitor thread, and a std::thread object that still looks joinable can be
// neither joined nor destroyed there. With a pthread_t the child simply
// forgets the handle. The thread blocks all signals so that the process's
// signals keep going to the application's threads.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_MONITORTHREAD_H
#define AGN_LIB_RUNTIME_MONITORTHREAD_H

#include "Status.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <pthread.h>

namespace agn::rt {

/// Calls a tick function every interval until stopped.
class MonitorThread {
public:
  MonitorThread() = default;
  ~MonitorThread() { stop(); }
  MonitorThread(const MonitorThread &) = delete;
  MonitorThread &operator=(const MonitorThread &) = delete;

  /// Starts the thread; \p intervalNs is asked before every wait, so that an
  /// interval change applies at the next tick. Does nothing if running.
  Status start(std::function<void()> tick,
               std::function<uint64_t()> intervalNs);

  /// Stops and joins the thread; returns once no tick runs. Must not be
  /// called from the tick itself.
  void stop();

  bool running() const;

  /// Makes the thread re-read its interval now instead of at the end of the
  /// current wait (which, after a change from 1h to 10ms, could be long).
  void wake();

  /// Fork support. Around fork() the parent takes the lifecycle lock first
  /// and the state lock last (the manager takes its own locks in between),
  /// then releases all; the child forgets the thread that did not survive.
  void forkLockLifecycle() { Lifecycle.lock(); }
  void forkLockState() { Mu.lock(); }
  void forkUnlockParent();
  void forkResetChild();

private:
  static void *entry(void *self);
  void loop();

  /// Serialises start() and stop().
  std::mutex Lifecycle;
  /// Guards the flags below; the thread sleeps on Wakeup.
  mutable std::mutex Mu;
  std::condition_variable Wakeup;
  bool StopRequested = false;
  bool Woken = false;
  bool Started = false;
  pthread_t Thread{};
  std::function<void()> Tick;
  std::function<uint64_t()> IntervalNs;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_MONITORTHREAD_H
