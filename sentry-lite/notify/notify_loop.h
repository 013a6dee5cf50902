// NotifyLoop: serves seccomp user-notification listeners (one per container filter).
//
// Concurrency: every idle worker of a listener blocks in SECCOMP_IOCTL_NOTIF_RECV itself (the
// kernel gives each notification to one waiter), and the thread that receives a call serves it: no
// leader lock handed on, no poll() per call (that hand-off was ~30 % of the sentry's CPU per
// call). A call that blocks (an open of a FIFO, a connect) never stalls the others: a worker that
// takes the last idle slot starts another thread first (up to Options::max_threads_per_listener).
// A worker counts itself idle again before it sends its answer, so the caller's next call does
// not find every thread busy. Surplus threads leave lazily: a worker that finds more than
// max_idle_threads_per_listener idle threads waits in poll() instead and exits after idle_exit_ms
// without a call. (Exiting right after a call made a busy host churn threads.) A surplus waiter
// that saw a call in poll() but lost it to another thread would then wait in RECV for good (it has
// no timeout): so the poller that leaves after a quiet idle_exit_ms also wakes the threads waiting
// in RECV (only those: a signal would break a handler's own syscall), and as many as are surplus
// leave; the cached identities of callers that exited meanwhile are swept at the same point.
// A thread leaves only by taking itself off the idle count in one atomic step that fails when no
// more than max_idle_threads_per_listener (at least one) would stay: threads deciding together
// can never all go. (They once could, and the listener closed with its last thread: every later
// call of the container got ENOSYS while the sentry, still counting the listener, never exited.)
// Stop() wakes workers blocked in RECV with a signal (SIGRTMIN + 4, no-op handler, no SA_RESTART).
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
  // Leaves the listener's idle count if more than max_idle_threads_per_listener would stay.
  bool TryLeave(Listener& listener);
  bool TakeTrim(Listener& listener);  // a surplus thread woken in RECV takes one trim: it leaves
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
};

}  // namespace see::sentry
