#include "sentry-lite/notify/notify_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <cstring>
#include <thread>

#include "base/logging.h"

namespace see::sentry {
namespace {

// Linux 6.6 uapi; Debian 12's headers predate it.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

}  // namespace

struct NotifyLoop::Listener {
  UniqueFd fd;
  std::shared_ptr<const Container> container;
  std::mutex leader;             // held by the one thread waiting for the next notification
  std::atomic<size_t> idle{0};   // threads not serving a call
  std::atomic<size_t> threads{0};
  std::atomic<bool> done{false};  // every process under the filter is gone
};

NotifyLoop::NotifyLoop(const HandlerTable& handlers) : NotifyLoop(handlers, Options{}) {}

NotifyLoop::NotifyLoop(const HandlerTable& handlers, Options options)
    : handlers_(handlers), options_(options), stop_event_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

NotifyLoop::~NotifyLoop() { Stop(); }

Status NotifyLoop::AddListener(UniqueFd listener, std::shared_ptr<const Container> container) {
  if (!stop_event_.valid()) return Internal("notify loop has no stop eventfd");
  if (stopping_) return FailedPrecondition("notify loop stopped");
  uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
  if (ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) != 0) {
    spdlog::debug("seccomp listener: no synchronous wake-up ({})", strerror(errno));
  }
  auto l = std::make_shared<Listener>();
  l->fd = std::move(listener);
  l->container = std::move(container);
  {
    std::lock_guard lock(mu_);
    ++listeners_;
  }
  if (!SpawnWorker(l)) {
    std::lock_guard lock(mu_);
    --listeners_;
    return Internal("cannot start a notify worker thread");
  }
  return Status::Ok();
}

bool NotifyLoop::SpawnWorker(const std::shared_ptr<Listener>& listener) {
  {
    std::lock_guard lock(mu_);
    ++threads_;
  }
  listener->threads++;
  listener->idle++;
  // Detached: the loop tracks liveness through threads_ and Stop() waits for it to reach zero.
  std::thread t;
  t = std::thread(&NotifyLoop::Worker, this, listener);
  t.detach();
  return true;
}

void NotifyLoop::Worker(std::shared_ptr<Listener> l) {
  Status fs = EnterPrivateFsContext();
  if (!fs.ok()) spdlog::error("notify worker: {}", fs.ToString());
  seccomp_notif notif;
  for (;;) {
    {
      std::unique_lock leader(l->leader);
      if (l->done || stopping_) break;
      pollfd fds[2] = {{l->fd.get(), POLLIN, 0}, {stop_event_.get(), POLLIN, 0}};
      int n = poll(fds, 2, options_.idle_exit_ms);
      if (n == 0) {
        // A quiet period: one surplus idle thread (this leader) goes.
        if (l->idle > options_.max_idle_threads_per_listener) break;
        continue;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        spdlog::error("notify poll: {}", strerror(errno));
        l->done = true;
        break;
      }
      if (fds[1].revents != 0) break;
      if ((fds[0].revents & POLLIN) == 0) {
        // POLLHUP: the filter has no users left.
        l->done = true;
        break;
      }
      memset(&notif, 0, sizeof(notif));
      if (ioctl(l->fd.get(), SECCOMP_IOCTL_NOTIF_RECV, &notif) != 0) {
        // ENOENT: the caller was killed between poll and receive.
        continue;
      }
    }
    if (--l->idle == 0 && l->threads < options_.max_threads_per_listener && !stopping_) {
      SpawnWorker(l);
    }
    Serve(*l, notif);
    l->idle++;
  }
  l->idle--;
  bool last = --l->threads == 0;
  std::lock_guard lock(mu_);
  if (last && l->done) --listeners_;
  if (--threads_ == 0) all_exited_.notify_all();
}

void NotifyLoop::Serve(Listener& l, const seccomp_notif& notif) {
  SyscallHandler handler = nullptr;
  if (notif.data.nr >= 0 && notif.data.nr <= kMaxSyscall) handler = handlers_[notif.data.nr];
  SyscallCall call(notif, l.fd.get(), *l.container);
  Reply reply = handler ? handler(call) : Reply::Error(ENOSYS);

  if (reply.kind == Reply::Kind::kDrop) return;
  if (reply.kind == Reply::Kind::kInstallFd) {
    seccomp_notif_addfd addfd{};
    addfd.id = notif.id;
    addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
    addfd.srcfd = static_cast<__u32>(reply.fd.get());
    addfd.newfd_flags = reply.cloexec ? O_CLOEXEC : 0;
    if (ioctl(l.fd.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) >= 0) return;
    if (errno == ENOENT) return;  // caller gone; reply.fd closes with the reply
    // e.g. EMFILE in the caller: the syscall fails with it.
    reply = Reply::Error(errno == EMFILE ? EMFILE : errno);
  }
  seccomp_notif_resp resp{};
  resp.id = notif.id;
  switch (reply.kind) {
    case Reply::Kind::kValue: resp.val = reply.value; break;
    case Reply::Kind::kError: resp.error = -reply.err; break;
    case Reply::Kind::kContinue: resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE; break;
    default: break;
  }
  if (ioctl(l.fd.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno != ENOENT) {
    spdlog::warn("seccomp notif send (nr {}): {}", notif.data.nr, strerror(errno));
  }
}

size_t NotifyLoop::active_listeners() const {
  std::lock_guard lock(mu_);
  return listeners_;
}

size_t NotifyLoop::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

void NotifyLoop::Stop() {
  stopping_ = true;
  if (stop_event_.valid()) {
    uint64_t one = 1;
    (void)!write(stop_event_.get(), &one, sizeof(one));
  }
  std::unique_lock lock(mu_);
  all_exited_.wait(lock, [&] { return threads_ == 0; });
}

}  // namespace see::sentry
