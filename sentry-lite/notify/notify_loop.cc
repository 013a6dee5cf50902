#include "sentry-lite/notify/notify_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "base/logging.h"
#include "sentry-lite/notify/pending_installs.h"

namespace see::sentry {
namespace {

// Linux 6.6 uapi; Debian 12's headers predate it.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

// The caller changes its own credentials (syscall table: "audited"): the kernel enforces the call,
// the sentry only forgets the thread's cached identity first (fs/credentials.h).
bool ChangesOwnCredentials(int nr) {
  switch (nr) {
    case SYS_setuid: case SYS_setgid: case SYS_setreuid: case SYS_setregid:
    case SYS_setresuid: case SYS_setresgid: case SYS_setfsuid: case SYS_setfsgid:
    case SYS_setgroups: case SYS_capset:
      return true;
    default: return false;
  }
}

// Stop() interrupts workers blocked in SECCOMP_IOCTL_NOTIF_RECV with this signal (a no-op handler
// without SA_RESTART: the ioctl returns EINTR). sys_file.cc's open watchdog uses SIGRTMIN + 3.
int WakeSignal() { return SIGRTMIN + 4; }
void IgnoreSignal(int) {}

void InstallWakeHandler() {
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_handler = IgnoreSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(WakeSignal(), &sa, nullptr) == 0;
  }();
  (void)installed;
}

}  // namespace

struct NotifyLoop::Listener {
  UniqueFd fd;
  std::shared_ptr<const Container> container;
  std::atomic<size_t> idle{0};   // threads not serving a call, parked ones excepted
  std::atomic<size_t> threads{0};
  std::atomic<bool> done{false};  // every process under the filter is gone
  std::mutex park_mu;
  std::condition_variable park_cv;
  size_t parked = 0;   // guarded by park_mu: surplus threads waiting in Park()
  size_t wakeups = 0;  // guarded by park_mu: parked threads asked back (already counted idle)
};

NotifyLoop::NotifyLoop(const HandlerTable& handlers) : NotifyLoop(handlers, Options{}) {}

NotifyLoop::NotifyLoop(const HandlerTable& handlers, Options options)
    : handlers_(handlers), options_(options) {
  InstallWakeHandler();
}

NotifyLoop::~NotifyLoop() { Stop(); }

Status NotifyLoop::AddListener(UniqueFd listener, std::shared_ptr<const Container> container) {
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
    listener_list_.push_back(l);
  }
  if (!SpawnWorker(l)) {
    std::lock_guard lock(mu_);
    --listeners_;
    std::erase(listener_list_, l);
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

NotifyLoop::Wait NotifyLoop::WaitForCall(Listener& l, seccomp_notif& notif, bool surplus) {
  if (surplus) {
    Wait w = Park(l);
    if (w != Wait::kCall) return w;
  }
  for (;;) {
    if (l.done || stopping_) return Wait::kDone;
    memset(&notif, 0, sizeof(notif));
    if (ioctl(l.fd.get(), SECCOMP_IOCTL_NOTIF_RECV, &notif) == 0) return Wait::kCall;
    if (errno == EINTR) continue;  // Stop(), or a signal meant for a handler
    if (errno == ENOENT) {
      // The caller was killed before we got it, or the filter has no users left (RECV returns at
      // once then): tell them apart.
      pollfd p{l.fd.get(), POLLIN, 0};
      if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) == 0) {
        MarkDone(l);
        return Wait::kDone;
      }
      continue;
    }
    spdlog::error("seccomp notif recv: {}", strerror(errno));
    MarkDone(l);
    return Wait::kDone;
  }
}

NotifyLoop::Wait NotifyLoop::Park(Listener& l) {
  if (!TryLeave(l)) return Wait::kCall;  // no longer surplus (calls came in): receive
  std::unique_lock lock(l.park_mu);
  l.parked++;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.idle_exit_ms);
  for (;;) {
    if (l.wakeups > 0) {  // asked back: the waker counted this thread idle again
      l.wakeups--;
      l.parked--;
      return Wait::kCall;
    }
    if (l.done || stopping_ ||
        (l.park_cv.wait_until(lock, deadline) == std::cv_status::timeout && l.wakeups == 0)) {
      l.parked--;
      lock.unlock();
      // Identities of threads that exited meanwhile go with a quiet period's leaver.
      CredentialsCache::Global().SweepDead();
      return Wait::kLeft;
    }
  }
}

void NotifyLoop::AddReceiver(const std::shared_ptr<Listener>& l) {
  {
    std::lock_guard lock(l->park_mu);
    if (l->parked > l->wakeups) {
      l->wakeups++;
      l->idle++;
      l->park_cv.notify_one();
      return;
    }
  }
  if (l->threads < options_.max_threads_per_listener) SpawnWorker(l);
}

void NotifyLoop::MarkDone(Listener& l) {
  l.done = true;
  std::lock_guard lock(l.park_mu);
  l.park_cv.notify_all();
}

bool NotifyLoop::TryLeave(Listener& l) {
  // The check and the decrement are one step: of threads deciding at the same moment, only as
  // many leave the idle count as are surplus, and at least one idle thread always stays.
  size_t keep = std::max<size_t>(1, options_.max_idle_threads_per_listener);
  size_t idle = l.idle.load();
  while (idle > keep) {
    if (l.idle.compare_exchange_weak(idle, idle - 1)) return true;
  }
  return false;
}

void NotifyLoop::Worker(std::shared_ptr<Listener> l) {
  Status fs = EnterPrivateFsContext();
  // Without it, ScopedCredentials refuses: this worker's calls fail rather than take another
  // worker's caller's umask or cwd.
  if (!fs.ok()) spdlog::error("notify worker: {}; its served calls fail", fs.ToString());
  // Spawned from a thread that may block signals (pod init's signalfd): Stop() needs this one.
  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, WakeSignal());
  pthread_sigmask(SIG_UNBLOCK, &wake, nullptr);
  pthread_t self = pthread_self();
  {
    std::lock_guard lock(mu_);
    workers_.push_back(self);
  }
  // Every idle worker blocks in SECCOMP_IOCTL_NOTIF_RECV itself (the kernel lets any number wait
  // on one listener and gives each notification to one of them): no leader lock to pass on and
  // no poll before each call. The thread that receives a call serves it; one that leaves the
  // listener without an idle thread asks a parked one back or starts another first, so a call
  // that blocks (a FIFO open) never stalls the others.
  seccomp_notif notif;
  bool surplus = false;
  Wait w;
  while ((w = WaitForCall(*l, notif, surplus)) == Wait::kCall) {
    if (--l->idle == 0 && !stopping_) AddReceiver(l);
    Reply reply = Handle(*l, notif);
    // Idle again before the answer: the caller's next call can then not find every thread busy
    // (which would start one more) because this one was preempted between answer and count.
    surplus = ++l->idle > options_.max_idle_threads_per_listener;
    Answer(*l, notif, std::move(reply));
  }
  if (w != Wait::kLeft) l->idle--;  // Park's TryLeave took a leaving thread off already
  bool last = --l->threads == 0;
  // The container's processes are gone: so are their threads' cached identities (by owner: a
  // thread's pidfd may not read as exited yet when the listener already reports no users).
  if (last && l->done) {
    CredentialsCache::Global().DropOwner(l->container.get());
    CredentialsCache::Global().SweepDead();
  }
  std::lock_guard lock(mu_);
  std::erase(workers_, self);
  if (last && l->done) {
    --listeners_;
    std::erase(listener_list_, l);
  }
  if (--threads_ == 0) all_exited_.notify_all();
}

Reply NotifyLoop::Handle(Listener& l, const seccomp_notif& notif) {
  SyscallHandler handler = nullptr;
  if (notif.data.nr >= 0 && notif.data.nr <= kMaxSyscall) handler = handlers_[notif.data.nr];
  SyscallCall call(notif, l.fd.get(), *l.container);
  Reply reply;
  if (ChangesOwnCredentials(notif.data.nr)) {
    // Before the answer: the thread can't run the change (nor any other call) until it comes.
    CredentialsCache::Global().InvalidateThread(call.tid());
    reply = handler ? handler(call) : Reply::Continue();
  } else if (notif.data.nr == SYS_execve || notif.data.nr == SYS_execveat) {
    // The handler checks the path with the old program's identity and so caches it; the kernel
    // gives the new program its own (setuid files, file capabilities, a narrowed bounding set).
    // Forgotten after the handler, before the answer lets the exec run.
    reply = handler ? handler(call) : Reply::Error(ENOSYS);
    if (!CredentialsCache::Global().InvalidateExec(call.tid()) &&
        reply.kind == Reply::Kind::kContinue) {
      reply = Reply::Error(EAGAIN);  // an exec the cache can not follow does not run
    }
  } else {
    reply = handler ? handler(call) : Reply::Error(ENOSYS);
  }
  return reply;
}

void NotifyLoop::Answer(Listener& l, const seccomp_notif& notif, Reply reply) {
  if (reply.kind == Reply::Kind::kDrop) return;
  if (reply.kind == Reply::Kind::kInstallFd) {
    seccomp_notif_addfd addfd{};
    addfd.id = notif.id;
    addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
    addfd.srcfd = static_cast<__u32>(reply.fd.get());
    addfd.newfd_flags = reply.cloexec ? O_CLOEXEC : 0;
    // The caller runs on once the fd is installed; the file's other references (the kernel's,
    // dropped as the ioctl returns, and ours) go only when this thread runs again. An exec of the
    // caller's waits for them (pending_installs.h).
    uint64_t ticket = PendingInstalls::Global().Begin(l.container.get());
    int rc = ioctl(l.fd.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    int err = errno;
    reply.fd.Reset();
    PendingInstalls::Global().End(ticket);
    if (rc >= 0 || err == ENOENT) return;  // installed, or the caller is gone
    // e.g. EMFILE in the caller: the syscall fails with it.
    reply = Reply::Error(err);
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
  std::unique_lock lock(mu_);
  for (auto& l : listener_list_) {
    std::lock_guard park(l->park_mu);
    l->park_cv.notify_all();
  }
  // Workers blocked in RECV wake on the signal; one that was between its stopping_
  // check and the ioctl when signalled is signalled again on the next round.
  while (threads_ != 0) {
    for (pthread_t t : workers_) pthread_kill(t, WakeSignal());
    all_exited_.wait_for(lock, std::chrono::milliseconds(20), [&] { return threads_ == 0; });
  }
}

}  // namespace see::sentry
