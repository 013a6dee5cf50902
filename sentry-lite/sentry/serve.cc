#include "sentry-lite/sentry/serve.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>

#include "base/fd_passing.h"
#include "base/logging.h"
#include "base/unix_address.h"
#include "base/unique_fd.h"
#include "sentry-lite/fs/views.h"
#include "sentry-lite/notify/notify_loop.h"
#include "sentry-lite/sentry/control_protocol.h"
#include "sentry-lite/sentry/self_confinement.h"

namespace see::sentry {
namespace {

// How often an idle sentry checks whether its last listener is gone (NotifyLoop has no
// notification for that; a 200 ms poll costs nothing measurable and bounds the exit delay).
constexpr int kIdleCheckMs = 200;

Result<UniqueFd> Listen(const std::string& path) {
  SEE_ASSIGN_OR_RETURN(UnixAddress addr, MakeUnixAddress(path));
  UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return ErrnoStatus("socket");
  (void)unlink(path.c_str());
  // 0600 from the start: nothing but host root may register.
  mode_t old = umask(0177);
  int rc = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr.addr), addr.len);
  umask(old);
  if (rc != 0) return ErrnoStatus("bind " + path);
  if (listen(fd.get(), 128) != 0) return ErrnoStatus("listen " + path);
  return fd;
}

// /proc/self/fdinfo of a seccomp listener has no distinctive field, but its link reads
// "anon_inode:seccomp notify".
bool IsSeccompListener(int fd) {
  char link[64] = {};
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(path.c_str(), link, sizeof(link) - 1);
  return n > 0 && std::string_view(link, static_cast<size_t>(n)) == "anon_inode:seccomp notify";
}

double BoottimeNow() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

class Server {
 public:
  explicit Server(const ServeOptions& o) : options_(o), loop_(DefaultHandlers()) {}

  Status Run(UniqueFd listen_fd);

 private:
  // Serves one message of a connection; false when the connection is done (closed or refused).
  bool HandleConnection(int conn);
  int Register(const Registration& r);
  bool Idle() const {
    return options_.exit_when_idle && registered_ > 0 && conns_.empty() &&
           loop_.active_listeners() == 0;
  }

  const ServeOptions& options_;
  NotifyLoop loop_;
  UniqueFd epoll_;
  std::map<int, UniqueFd> conns_;
  // A container's uptime counts from its first registration (later ones are exec'd processes).
  std::map<std::string, double> started_;
  size_t registered_ = 0;
};

int Server::Register(const Registration& r) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, r.pid, 0)));
  if (!pidfd) return errno;
  UniqueFd listener(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), r.listener_fd, 0)));
  if (!listener) return errno;
  UniqueFd root(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), r.root_fd, 0)));
  if (!root) return errno;
  // What we took must be what the process says it is: a seccomp listener and a directory.
  struct stat st{};
  if (fstat(root.get(), &st) != 0 || !S_ISDIR(st.st_mode)) return ENOTDIR;
  if (!IsSeccompListener(listener.get())) return EBADF;
  auto container = std::make_shared<Container>();
  container->root = std::move(root);
  if (!r.memory_cgroup.empty() || !r.cpu_cgroup.empty()) {
    auto [it, inserted] = started_.try_emplace(r.container_id, BoottimeNow());
    (void)inserted;
    container->views = std::make_shared<PodViews>(
        PodViewConfig{r.memory_cgroup, r.cpu_cgroup, it->second});
  }
  Status s = loop_.AddListener(std::move(listener), std::move(container));
  if (!s.ok()) {
    spdlog::error("registering {}: {}", r.container_id, s.ToString());
    return s.err() != 0 ? s.err() : EIO;
  }
  ++registered_;
  spdlog::debug("serving a process of container {}", r.container_id);
  return 0;
}

bool Server::HandleConnection(int conn) {
  // No fds are expected; any that come are closed with `m`.
  auto m = RecvWithFds(conn, kMaxPayload + sizeof(ControlHeader), kMaxPassedFds);
  if (!m.ok()) {
    if (m.status().code() != Code::kNotFound) spdlog::warn("registration: {}", m.status().ToString());
    return false;
  }
  int err = EINVAL;
  auto frame = DecodeControlMessage(m->data);
  if (frame.ok() && frame->first == ControlType::kRegister) {
    auto reg = DecodeRegistration(frame->second);
    if (reg.ok()) err = Register(*reg);
  }
  if (err == EINVAL) spdlog::warn("refused a malformed registration");
  int32_t reply = err;
  std::string bytes = EncodeControlMessage(
      ControlType::kRegistered, std::string_view(reinterpret_cast<char*>(&reply), sizeof(reply)));
  (void)send(conn, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  // One registration per connection: the process execs right after the reply.
  return false;
}

Status Server::Run(UniqueFd listen_fd) {
  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return ErrnoStatus("epoll_create1");
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) return Internal("sigmask");
  UniqueFd sigfd(signalfd(-1, &mask, SFD_CLOEXEC));
  if (!sigfd.valid()) return ErrnoStatus("signalfd");
  auto add = [&](int fd) -> Status {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return ErrnoStatus("epoll_ctl");
    return Status::Ok();
  };
  SEE_RETURN_IF_ERROR(add(listen_fd.get()));
  SEE_RETURN_IF_ERROR(add(sigfd.get()));
  if (options_.owner_fd >= 0) SEE_RETURN_IF_ERROR(add(options_.owner_fd));

  if (options_.confine_self) SEE_RETURN_IF_ERROR(ApplySelfConfinement());
  if (options_.ready_fd >= 0) {
    (void)!write(options_.ready_fd, "r", 1);
    close(options_.ready_fd);
  }

  for (;;) {
    epoll_event events[16];
    int n = epoll_wait(epoll_.get(), events, 16, options_.exit_when_idle ? kIdleCheckMs : -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("epoll_wait");
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == sigfd.get()) {
        spdlog::info("see-sentry: terminating on a signal");
        return Status::Ok();
      }
      if (fd == options_.owner_fd) {
        spdlog::info("see-sentry: owner gone, stopping");
        return Status::Ok();
      }
      if (fd == listen_fd.get()) {
        for (;;) {
          int c = accept4(listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) break;
          UniqueFd conn(c);
          if (add(c).ok()) conns_.emplace(c, std::move(conn));
        }
        continue;
      }
      if (!HandleConnection(fd)) {
        epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        conns_.erase(fd);
      }
    }
    if (Idle()) {
      spdlog::debug("see-sentry: every served process is gone, exiting");
      return Status::Ok();
    }
  }
}

}  // namespace

Status RunServe(const ServeOptions& options) {
  SEE_ASSIGN_OR_RETURN(UniqueFd listen_fd, Listen(options.socket_path));
  Server server(options);
  Status s = server.Run(std::move(listen_fd));
  // unlinkat, not unlink: the confinement allows only the *at form.
  (void)unlinkat(AT_FDCWD, options.socket_path.c_str(), 0);
  return s;
}

}  // namespace see::sentry
