#include "sentry-lite/sentry/serve.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
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
#include "sentry-lite/sentry/devices_jail.h"
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

// The registering process's listener and root, taken with pidfd_getfd (`fds[0]`, `fds[1]`).
Result<std::pair<UniqueFd, UniqueFd>> TakeFds(const Registration& r) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, r.pid, 0)));
  if (!pidfd) return ErrnoStatus("pidfd_open");
  UniqueFd listener(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), r.listener_fd, 0)));
  if (!listener) return ErrnoStatus("pidfd_getfd listener");
  UniqueFd root(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), r.root_fd, 0)));
  if (!root) return ErrnoStatus("pidfd_getfd root");
  return std::make_pair(std::move(listener), std::move(root));
}

// What was taken must be what the process says it is: a seccomp listener and a directory.
int CheckTakenFds(int listener, int root) {
  struct stat st{};
  if (fstat(root, &st) != 0 || !S_ISDIR(st.st_mode)) return ENOTDIR;
  if (!IsSeccompListener(listener)) return EBADF;
  return 0;
}

// The registration a kRegister frame carries (from a container process, or the registrar).
Result<Registration> DecodeRegisterFrame(std::string_view data) {
  auto frame = DecodeControlMessage(data);
  if (!frame.ok()) return frame.status();
  if (frame->first != ControlType::kRegister) return InvalidArgument("not a registration");
  return DecodeRegistration(frame->second);
}

std::string RegisteredFrame(int32_t err) {
  return EncodeControlMessage(ControlType::kRegistered,
                              std::string_view(reinterpret_cast<char*>(&err), sizeof(err)));
}

double BoottimeNow() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

class Server {
 public:
  explicit Server(const ServeOptions& o) : options_(o), loop_(DefaultHandlers()) {}

  // Takes registrations from `listen_fd` (their fds with pidfd_getfd) or, in a pod user
  // namespace, from `registrar_fd` (fds attached).
  Status Run(UniqueFd listen_fd, UniqueFd registrar_fd);

 private:
  // Serves one message of a connection; false when the connection is done (closed or refused).
  bool HandleConnection(int conn);
  // One registration forwarded by the registrar (with its two fds); false once it is gone.
  bool HandleForwarded(int registrar);
  int Register(const Registration& r, UniqueFd listener, UniqueFd root);
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

int Server::Register(const Registration& r, UniqueFd listener, UniqueFd root) {
  int err = CheckTakenFds(listener.get(), root.get());
  if (err != 0) return err;
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
  auto reg = DecodeRegisterFrame(m->data);
  if (reg.ok()) {
    auto fds = TakeFds(*reg);
    err = fds.ok() ? Register(*reg, std::move(fds->first), std::move(fds->second))
                   : (fds.status().err() != 0 ? fds.status().err() : EIO);
  }
  if (err == EINVAL) spdlog::warn("refused a malformed registration");
  std::string bytes = RegisteredFrame(err);
  (void)send(conn, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  // One registration per connection: the process execs right after the reply.
  return false;
}

bool Server::HandleForwarded(int registrar) {
  auto m = RecvWithFds(registrar, kMaxPayload + sizeof(ControlHeader), 2);
  if (!m.ok()) {
    if (m.status().code() != Code::kNotFound) spdlog::warn("registrar: {}", m.status().ToString());
    spdlog::warn("see-sentry: the registrar is gone; no new container processes can register");
    return false;
  }
  int err = EINVAL;
  auto reg = DecodeRegisterFrame(m->data);
  if (reg.ok() && m->fds.size() == 2) {
    err = Register(*reg, std::move(m->fds[0]), std::move(m->fds[1]));
  }
  std::string bytes = RegisteredFrame(err);
  (void)send(registrar, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  return true;
}

Status Server::Run(UniqueFd listen_fd, UniqueFd registrar_fd) {
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
  if (listen_fd.valid()) SEE_RETURN_IF_ERROR(add(listen_fd.get()));
  if (registrar_fd.valid()) SEE_RETURN_IF_ERROR(add(registrar_fd.get()));
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
      if (registrar_fd.valid() && fd == registrar_fd.get()) {
        if (!HandleForwarded(fd)) {
          epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
          registrar_fd.Reset();
        }
        continue;
      }
      if (listen_fd.valid() && fd == listen_fd.get()) {
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

// The registrar of a sentry serving from inside a pod's user namespace: a child that stays in the
// host's user namespace as root, because taking a registering process's fds (pidfd_getfd) is a
// ptrace-class access to a process that has not exec'd yet (its mm still belongs to the host's
// user namespace). It accepts registrations on the socket, takes the two fds, hands them to the
// sentry over `sentry_fd` (SCM_RIGHTS) and relays the sentry's answer. It ends when the sentry
// does (EOF on `sentry_fd`, and PR_SET_PDEATHSIG).
int RunRegistrar(UniqueFd listen_fd, UniqueFd sentry_fd, pid_t sentry, bool confine) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != sentry) return 1;
  prctl(PR_SET_NAME, "see-registrar");  // ps and /proc/<pid>/comm tell it from the sentry
  if (confine && !ApplySelfConfinement().ok()) return 1;
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return 1;
  auto add = [&](int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    return epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
  };
  if (!add(listen_fd.get()) || !add(sentry_fd.get())) return 1;
  std::map<int, UniqueFd> conns;
  for (;;) {
    epoll_event events[16];
    int n = epoll_wait(epoll.get(), events, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == sentry_fd.get()) return 0;  // the sentry only writes in answer: EOF or error
      if (fd == listen_fd.get()) {
        for (;;) {
          int c = accept4(listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) break;
          UniqueFd conn(c);
          if (add(c)) conns.emplace(c, std::move(conn));
        }
        continue;
      }
      // One registration per connection, answered and closed.
      auto m = RecvWithFds(fd, kMaxPayload + sizeof(ControlHeader), kMaxPassedFds);
      int32_t err = EINVAL;
      auto reg = m.ok() ? DecodeRegisterFrame(m->data) : Result<Registration>(m.status());
      if (reg.ok()) {
        auto fds = TakeFds(*reg);
        if (!fds.ok()) {
          err = fds.status().err() != 0 ? fds.status().err() : EIO;
        } else {
          // The sentry's Register checks what the fds are (CheckTakenFds).
          int pass[2] = {fds->first.get(), fds->second.get()};
          err = EIO;
          if (SendWithFds(sentry_fd.get(), m->data.data(), m->data.size(), pass, 2) == 0) {
            char reply[sizeof(ControlHeader) + sizeof(int32_t)];
            ssize_t got;
            do {
              got = read(sentry_fd.get(), reply, sizeof(reply));  // recvfrom is not allowlisted
            } while (got < 0 && errno == EINTR);
            if (got <= 0) return 0;  // the sentry is gone
            auto answer = DecodeControlMessage(std::string_view(reply, static_cast<size_t>(got)));
            if (answer.ok() && answer->first == ControlType::kRegistered &&
                answer->second.size() == sizeof(int32_t)) {
              memcpy(&err, answer->second.data(), sizeof(err));
            }
          }
        }
      } else if (m.ok() || m.status().code() != Code::kNotFound) {
        spdlog::warn("registrar: refused a malformed registration");
      }
      if (m.ok()) {
        std::string bytes = RegisteredFrame(err);
        (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
      conns.erase(fd);
    }
  }
}

// Makes this (still single-threaded) process root of the pod's user namespace: full capabilities
// there, none on the host. Its memory stays the host namespace's (it exec'd there), so no pod
// process can ptrace it even with CAP_SYS_PTRACE in the pod.
Status JoinPodUserNamespace(int userns_fd) {
  if (setns(userns_fd, CLONE_NEWUSER) != 0) return ErrnoStatus("setns to the pod's user namespace");
  if (setresgid(0, 0, 0) != 0) return ErrnoStatus("setresgid 0 in the pod's user namespace");
  (void)setgroups(0, nullptr);  // EPERM where the namespace denies setgroups: no groups to drop
  if (setresuid(0, 0, 0) != 0) return ErrnoStatus("setresuid 0 in the pod's user namespace");
  close(userns_fd);
  return Status::Ok();
}

}  // namespace

Status RunServe(const ServeOptions& options) {
  // Host root still, before the registrar forks: both go into the devices jail. Without it (no
  // writable cgroup file system) served opens walk every path first, which is slower but as safe.
  if (options.devices_jail) {
    auto jail = FindDevicesJail();
    Status entered = jail.ok() ? EnterDevicesJail(*jail) : jail.status();
    if (!entered.ok()) {
      spdlog::warn("see-sentry: no devices jail ({}); served opens walk every path first", entered.ToString());
    }
  }
  SEE_ASSIGN_OR_RETURN(UniqueFd listen_fd, Listen(options.socket_path));
  UniqueFd registrar_fd;
  pid_t registrar = -1;
  if (options.userns_fd >= 0) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoStatus("socketpair");
    }
    UniqueFd mine(sv[0]), theirs(sv[1]);
    pid_t self = getpid();
    registrar = fork();  // single-threaded still: no worker has started
    if (registrar < 0) return ErrnoStatus("fork the registrar");
    if (registrar == 0) {
      mine.Reset();
      if (options.ready_fd >= 0) close(options.ready_fd);
      if (options.owner_fd >= 0) close(options.owner_fd);
      close(options.userns_fd);
      if (options.netns_fd >= 0) close(options.netns_fd);
      _exit(RunRegistrar(std::move(listen_fd), std::move(theirs), self, options.confine_self));
    }
    theirs.Reset();
    listen_fd.Reset();
    registrar_fd = std::move(mine);
    if (options.netns_fd >= 0) {
      if (setns(options.netns_fd, CLONE_NEWNET) != 0) return ErrnoStatus("setns to the pod's network namespace");
      close(options.netns_fd);
    }
    SEE_RETURN_IF_ERROR(JoinPodUserNamespace(options.userns_fd));
    spdlog::info("see-sentry: serving from inside the pod's user namespace (registrar pid {})",
                 registrar);
  }
  Server server(options);
  Status s = server.Run(std::move(listen_fd), std::move(registrar_fd));
  if (registrar > 0) {
    kill(registrar, SIGKILL);
    while (waitpid(registrar, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  // unlinkat, not unlink: the confinement allows only the *at form. (From inside a pod's user
  // namespace it fails: the shim removes the pod's directory.)
  (void)unlinkat(AT_FDCWD, options.socket_path.c_str(), 0);
  return s;
}

}  // namespace see::sentry
