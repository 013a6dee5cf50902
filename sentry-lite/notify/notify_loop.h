// NotifyLoop: serves seccomp user-notification listeners (one per container filter).
//
// Concurrency: leader/followers per listener. One thread at a time (the leader) waits in poll()
// and SECCOMP_IOCTL_NOTIF_RECV; as soon as it has a notification it hands leadership on and serves
// the call itself, so a served call costs no thread hand-off, and a call that blocks (an open of a
// FIFO, a connect) never stalls the others: when no idle thread is left, one is started (up to
// Options::max_threads_per_listener). Surplus threads leave lazily: a leader that saw no
// notification for idle_exit_ms exits when more than max_idle_threads_per_listener threads are idle.
// (Exiting right after a call made a busy host churn threads: a server preempted after SEND still
// counts as busy, so the next call started a thread and the late one then exited, ~90 us of sentry
// CPU per call in sentry_bench under load.)
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

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

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
  void Serve(Listener& listener, const seccomp_notif& notif);

  const HandlerTable& handlers_;
  const Options options_;
  UniqueFd stop_event_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable all_exited_;
  size_t threads_ = 0;    // guarded by mu_
  size_t listeners_ = 0;  // guarded by mu_
};

}  // namespace see::sentry
