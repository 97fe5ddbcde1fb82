//===- MonitorThread.cpp - The background thread that drives ticks --------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "MonitorThread.h"

#include <chrono>
#include <csignal>
#include <cstring>
#include <new>

namespace agn::rt {

Status MonitorThread::start(std::function<void()> tick,
                            std::function<uint64_t()> intervalNs) {
  std::lock_guard<std::mutex> lifecycle(Lifecycle);
  {
    std::lock_guard<std::mutex> lock(Mu);
    if (Started)
      return Status();
    StopRequested = false;
    Woken = false;
  }
  Tick = std::move(tick);
  IntervalNs = std::move(intervalNs);

  // The new thread inherits the creator's signal mask: block everything
  // around pthread_create so that it starts with all signals blocked.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  int rc = pthread_create(&Thread, nullptr, &MonitorThread::entry, this);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (rc != 0)
    return Status::error(AGN_RT_ERR_INTERNAL,
                         std::string("cannot start the monitor thread: ") +
                             std::strerror(rc));
  pthread_setname_np(Thread, "agn-rt-monitor");
  std::lock_guard<std::mutex> lock(Mu);
  Started = true;
  return Status();
}

void MonitorThread::stop() {
  std::lock_guard<std::mutex> lifecycle(Lifecycle);
  {
    std::lock_guard<std::mutex> lock(Mu);
    if (!Started)
      return;
    StopRequested = true;
  }
  Wakeup.notify_all();
  pthread_join(Thread, nullptr);
  std::lock_guard<std::mutex> lock(Mu);
  Started = false;
  StopRequested = false;
}

bool MonitorThread::running() const {
  std::lock_guard<std::mutex> lock(Mu);
  return Started;
}

void *MonitorThread::entry(void *self) {
  static_cast<MonitorThread *>(self)->loop();
  return nullptr;
}

void MonitorThread::wake() {
  {
    std::lock_guard<std::mutex> lock(Mu);
    Woken = true;
  }
  Wakeup.notify_all();
}

void MonitorThread::loop() {
  std::unique_lock<std::mutex> lock(Mu);
  auto last = std::chrono::steady_clock::now();
  while (!StopRequested) {
    // IntervalNs reads an atomic; it takes no lock.
    auto deadline = last + std::chrono::nanoseconds(IntervalNs());
    Woken = false;
    // Woken early: go round and wait again against the current interval.
    // Spurious wakeups are absorbed by the predicate.
    if (Wakeup.wait_until(lock, deadline,
                          [this] { return StopRequested || Woken; }))
      continue;
    last = std::chrono::steady_clock::now();
    lock.unlock();
    Tick();
    lock.lock();
  }
}

void MonitorThread::forkUnlockParent() {
  Mu.unlock();
  Lifecycle.unlock();
}

void MonitorThread::forkResetChild() {
  // Only the forking thread exists in the child. The waiter that the
  // condition variable may still count is gone, so give the child a fresh
  // one; the mutexes were locked by this very thread before fork().
  new (&Wakeup) std::condition_variable();
  Started = false;
  StopRequested = false;
  Woken = false;
  Mu.unlock();
  Lifecycle.unlock();
}

} // namespace agn::rt
