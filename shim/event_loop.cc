#include "shim/event_loop.h"

#include <malloc.h>
#include <sys/eventfd.h>

#include <cerrno>

namespace see::shim {

Result<std::unique_ptr<EventLoop>> EventLoop::Create() {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  loop->epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!loop->epoll_) return ErrnoStatus("epoll_create1");
  loop->wake_.Reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!loop->wake_) return ErrnoStatus("eventfd");
  loop->on_idle_ = [] { malloc_trim(0); };
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = loop->wake_.get();
  if (epoll_ctl(loop->epoll_.get(), EPOLL_CTL_ADD, loop->wake_.get(), &ev) < 0) {
    return ErrnoStatus("epoll_ctl wake");
  }
  return loop;
}

EventLoop::~EventLoop() = default;

Status EventLoop::Add(int fd, uint32_t events, FdCallback cb) {
  if (fds_.count(fd)) return AlreadyExists("fd " + std::to_string(fd) + " already watched");
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return ErrnoStatus("epoll_ctl add");
  fds_[fd] = std::make_shared<FdCallback>(std::move(cb));
  return Status::Ok();
}

Status EventLoop::Modify(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) < 0) return ErrnoStatus("epoll_ctl mod");
  return Status::Ok();
}

void EventLoop::Remove(int fd) {
  if (fds_.erase(fd) == 0) return;
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::Post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(task));
  }
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof(one));
}

void EventLoop::RunAfter(std::chrono::milliseconds delay, Task task) {
  timers_.emplace(std::chrono::steady_clock::now() + delay, std::move(task));
}

void EventLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof(one));
}

void EventLoop::DrainPosted() {
  uint64_t n;
  (void)!read(wake_.get(), &n, sizeof(n));
  std::vector<Task> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks.swap(posted_);
  }
  for (auto& t : tasks) t();
}

Status EventLoop::RunOnce(std::chrono::milliseconds timeout) {
  auto now = std::chrono::steady_clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    Task t = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    t();
    busy_ = true;
  }
  int wait_ms = static_cast<int>(timeout.count());
  bool full_wait = true;  // not shortened by a timer
  if (!timers_.empty()) {
    auto until = std::chrono::duration_cast<std::chrono::milliseconds>(timers_.begin()->first - now);
    int until_ms = std::max<int>(0, static_cast<int>(until.count()) + 1);
    if (until_ms < wait_ms) {
      wait_ms = until_ms;
      full_wait = false;
    }
  }
  epoll_event events[64];
  int n = epoll_wait(epoll_.get(), events, 64, wait_ms);
  if (n < 0) {
    if (errno == EINTR) return Status::Ok();
    return ErrnoStatus("epoll_wait");
  }
  if (n == 0 && full_wait && busy_) {
    busy_ = false;
    if (on_idle_) on_idle_();
  }
  if (n > 0) busy_ = true;
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == wake_.get()) {
      DrainPosted();
      continue;
    }
    auto it = fds_.find(fd);
    if (it == fds_.end()) continue;  // removed by an earlier callback of this round
    std::shared_ptr<FdCallback> cb = it->second;  // keeps it alive if it removes itself
    (*cb)(events[i].events);
  }
  return Status::Ok();
}

Status EventLoop::Run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return Status::Ok();
    }
    SEE_RETURN_IF_ERROR(RunOnce(std::chrono::milliseconds(1000)));
  }
}

}  // namespace see::shim
