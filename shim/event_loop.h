// EventLoop: the shim's one epoll loop for everything that is not ttrpc — process exits
// (signalfd SIGCHLD), stdio copying, OOM notifications — and, through Post(), every Task request:
// the ttrpc server thread only decodes and forwards, so the shim's container state has exactly one
// thread and needs no locks.
//
// Threading: Run() on one thread; Post() and Stop() from any thread; everything else (Add, Modify,
// Remove, AddTimer) only on the loop thread (or before Run()). Callbacks run on the loop thread
// and must not block for long: the whole pod's stdio waits while they run.
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see::shim {

class EventLoop {
 public:
  using FdCallback = std::function<void(uint32_t events)>;
  using Task = std::function<void()>;

  static Result<std::unique_ptr<EventLoop>> Create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches `fd` (not owned; the caller Remove()s it before closing it). AlreadyExists if watched.
  Status Add(int fd, uint32_t events, FdCallback cb);
  Status Modify(int fd, uint32_t events);
  // Safe from inside the fd's own callback; a removed fd's pending events are dropped.
  void Remove(int fd);

  // Runs `task` on the loop thread soon (FIFO order). Any thread.
  void Post(Task task);
  // Runs `task` on the loop thread after `delay` (one-shot).
  void RunAfter(std::chrono::milliseconds delay, Task task);

  // Runs until Stop(). Returns an error only if epoll itself fails.
  Status Run();
  void Stop();

  // Runs posted tasks and ready fds once without blocking longer than `timeout` (tests).
  Status RunOnce(std::chrono::milliseconds timeout);

  // Called on the loop thread when a wait of RunOnce (Run(): one second) passes with nothing to do
  // after the loop did some work: once per busy -> idle transition. By default malloc_trim(0), so
  // an idle shim gives the free pages of its heap back (what start-up and the last requests
  // allocated and freed; ~100 KiB of the idle shim's PSS). Loop thread or before Run().
  void SetOnIdle(Task on_idle) { on_idle_ = std::move(on_idle); }

 private:
  EventLoop() = default;
  void DrainPosted();

  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: Post() and Stop() from other threads
  std::map<int, std::shared_ptr<FdCallback>> fds_;
  std::mutex mu_;
  std::vector<Task> posted_;  // guarded by mu_
  bool stop_ = false;         // guarded by mu_
  std::multimap<std::chrono::steady_clock::time_point, Task> timers_;
  Task on_idle_;
  bool busy_ = false;  // did work since on_idle_ last ran
};

}  // namespace see::shim
