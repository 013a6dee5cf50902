// NotifyLoop: serves seccomp user-notification listeners (one per container filter).
//
// Concurrency: every idle worker of a listener blocks in SECCOMP_IOCTL_NOTIF_RECV itself (the
// kernel gives each notification to one waiter), and the thread that receives a call serves it: no
// leader lock handed on, no poll() per call (that hand-off was ~30 % of the sentry's CPU per
// call). A call that blocks (an open of a FIFO, a walk on a hung network mount) never stalls the
// others: a worker that takes the last idle slot asks a parked worker back or starts another
// thread first (up to Options::max_threads_per_listener). A worker counts itself idle again before it sends its
// answer, so the caller's next call does not find every thread busy. A worker that then finds
// more than max_idle_threads_per_listener idle threads is surplus: it takes itself off the idle
// count (one atomic step that fails when no more than max_idle_threads_per_listener, at least
// one, would stay: threads deciding together can never all go) and parks on a condition
// variable, from which it is asked back or leaves after idle_exit_ms. It does not wait on the
// listener: the kernel wakes every RECV or poll() waiter of a listener for each notification and
// all but one go back to sleep, each a context switch that runs, on the caller's CPU, before the
// caller's own (a surplus thread that polled the listener stayed for good under steady calls, one
// more such switch per call). (Threads leaving together once took the listener's last thread
// with them: every later call of the container got ENOSYS while the sentry, still counting the
// listener, never exited.)
// Stop() wakes parked workers, and workers blocked in RECV with a signal (SIGRTMIN + 4, no-op
// handler, no SA_RESTART).
//
// Each worker thread has a private fs_struct (umask/cwd) so handlers can take the caller's
// identity per call (fs/credentials.h).
//
// Answers: a value or errno (SECCOMP_IOCTL_NOTIF_SEND), or a new fd installed atomically with
// SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND. If the caller died or was interrupted the
// kernel answers ENOENT: the reply (and any fd in it) is dropped and closed.
// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is set when the kernel has it (6.6+), so the caller is woken
// on the CPU of the serving thread.
//
// Lifetime: a listener is served until every process under its filter is gone (POLLHUP), then its
// threads exit and its Container is released. Stop() (also run by the destructor) ends all
// threads; it waits for handlers still running.
// Thread safety: AddListener/Stop may be called from any thread.
#pragma once

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "sentry-lite/notify/handlers.h"
#include "sentry-lite/notify/syscall_call.h"

namespace see::sentry {

class NotifyLoop {
 public:
  struct Options {
    size_t max_threads_per_listener = 1024;
    size_t max_idle_threads_per_listener = 2;
    int idle_exit_ms = 1000;
  };

  explicit NotifyLoop(const HandlerTable& handlers);
  NotifyLoop(const HandlerTable& handlers, Options options);
  ~NotifyLoop();
  NotifyLoop(const NotifyLoop&) = delete;
  NotifyLoop& operator=(const NotifyLoop&) = delete;

  // Starts serving `listener` for `container`. Fails if the loop is stopped or a thread can't start.
  Status AddListener(UniqueFd listener, std::shared_ptr<const Container> container);

  // Number of listeners still served.
  size_t active_listeners() const;
  // Worker threads alive across listeners (for tests and metrics).
  size_t threads() const;

  void Stop();

 private:
  struct Listener;
  void Worker(std::shared_ptr<Listener> listener);
  bool SpawnWorker(const std::shared_ptr<Listener>& listener);
  enum class Wait { kCall, kLeft, kDone };
  // Blocks until a notification arrives (kCall), this surplus thread has left the idle count
  // (kLeft), or the listener is done or the loop stopping (kDone).
  Wait WaitForCall(Listener& listener, seccomp_notif& notif, bool surplus);
  // A surplus thread off the idle count waits to be asked back (kCall), or leaves after a quiet
  // idle_exit_ms or when the listener is done or the loop stopping (kLeft); kCall at once if it is
  // no longer surplus.
  Wait Park(Listener& listener);
  // The last idle thread took a call: a parked thread is asked back, or a new one started.
  void AddReceiver(const std::shared_ptr<Listener>& listener);
  // Leaves the listener's idle count if more than max_idle_threads_per_listener would stay.
  bool TryLeave(Listener& listener);
  void MarkDone(Listener& listener);  // every process under the filter is gone: parked ones go
  Reply Handle(Listener& listener, const seccomp_notif& notif);
  void Answer(Listener& listener, const seccomp_notif& notif, Reply reply);

  const HandlerTable& handlers_;
  const Options options_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable all_exited_;
  size_t threads_ = 0;    // guarded by mu_
  size_t listeners_ = 0;  // guarded by mu_
  std::vector<pthread_t> workers_;  // guarded by mu_: live worker threads, for Stop()
  std::vector<std::shared_ptr<Listener>> listener_list_;  // guarded by mu_: for Stop()
};

}  // namespace see::sentry
