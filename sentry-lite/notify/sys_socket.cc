// bind: an AF_UNIX path is resolved in the container's view (BindPath); every other address is
// used as given. The bind runs in the sentry on a duplicate of the caller's socket (same open
// file, so the caller's socket is the one bound); the socket's network namespace is fixed at
// creation, so nothing is decided by the sentry's own namespaces.
// connect is not served (syscall_table.cc): the kernel records the connecting task as the
// server's peer (SO_PEERCRED: pid, euid, egid), and a connect made by the sentry showed the
// server the sentry's ids, root's, for any caller.
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "sentry-lite/notify/handlers.h"
#include "sentry-lite/notify/sys_file_internal.h"

namespace see::sentry {
namespace {

using file_internal::Fail;
using file_internal::kOwnProcDirCaps;

// The sentry thread's own working directory, to return to after a bind from the caller's
// directory (a cwd left in a container's tree would hold its mount busy).
int HomeDir() {
  thread_local UniqueFd home(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  return home.get();
}

// Returns the worker thread to its own cwd when it goes out of scope (after the caller's identity
// is dropped: the sentry's cwd may not be searchable by the caller).
class CwdRestore {
 public:
  ~CwdRestore() {
    if (!moved_) return;
    ScopedSentryCapabilities sentry_caps;
    if (fchdir(HomeDir()) != 0) abort();  // never serve later calls from a caller's dir
  }
  void Moved() { moved_ = true; }

 private:
  bool moved_ = false;
};

// Binds `sock` to `addr` from a child process chrooted into `root` (cwd `start` when >= 0), with
// the calling thread's identity (the caller's, assumed by the worker), and returns 0 or an errno.
// A process, not a thread: the kernel's walk may follow /proc magic links, and those to the
// sentry's own fds and directories are open to the sentry's own threads without any check; from a
// child they get the ptrace checks the caller itself would get (the sentry is not dumpable).
int BindFromChrootedChild(int sock, int root, int start, const sockaddr_un& addr, socklen_t len) {
  // Raw clone: no atfork handlers; the child makes raw syscalls only (one thread's copy of a
  // multi-threaded process) and leaves with exit_group.
  long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) return errno;
  if (pid == 0) {
    // Nothing of the sentry's but these three: fd 0 the socket, 1 the root, 2 the start dir. (The
    // sentry's own 0-2 are taken, so all three sources are above 2 and no dup3 hits one.)
    if (sock < 3 || root < 3 || (start >= 0 && start < 3) || syscall(SYS_dup3, sock, 0, 0) != 0 ||
        syscall(SYS_dup3, root, 1, 0) != 1 || (start >= 0 && syscall(SYS_dup3, start, 2, 0) != 2)) {
      syscall(SYS_exit_group, EBADF);
    }
    syscall(SYS_close_range, start >= 0 ? 3U : 2U, ~0U, 0U);
    // CAP_SYS_CHROOT for the chroot only (the permitted set is still the sentry's).
    __user_cap_header_struct head{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct caps[2]{}, raised[2]{};
    if (syscall(SYS_capget, &head, caps) != 0) syscall(SYS_exit_group, EPERM);
    raised[0] = caps[0];
    raised[1] = caps[1];
    raised[0].effective |= 1U << CAP_SYS_CHROOT;
    if (syscall(SYS_capset, &head, raised) != 0 || syscall(SYS_fchdir, 1) != 0 ||
        syscall(SYS_chroot, ".") != 0 || syscall(SYS_capset, &head, caps) != 0) {
      syscall(SYS_exit_group, EIO);
    }
    if (start >= 0 && syscall(SYS_fchdir, 2) != 0) syscall(SYS_exit_group, errno);
    long rc = syscall(SYS_bind, 0, &addr, len);
    syscall(SYS_exit_group, rc == 0 ? 0 : errno);
  }
  int status = 0;
  while (waitpid(static_cast<pid_t>(pid), &status, __WALL) < 0) {
    if (errno != EINTR) return EIO;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

// bind: the last component is created, never followed, in the parent resolved inside the root.
// The kernel records the address as passed to bind(), which getsockname shows, so the name given
// to the kernel is the caller's own string wherever that is safe:
//  - a one-component name ("x.sock", relative to the caller's cwd) is bound as it is from the
//    resolved parent made this worker's cwd (fchdir on the worker's private fs_struct, see
//    EnterPrivateFsContext): the kernel's walk is one lookup of a name without "/" in a directory
//    already confined, and bind does not follow a last-component symlink (EADDRINUSE).
//  - a longer name is bound as it is by a child process chrooted into the container's root (cwd:
//    the caller's for a relative name), with the caller's identity (BindFromChrootedChild): the
//    kernel walks it again, a symlink swapped in after the check is resolved inside that root
//    (absolute targets and ".." alike), and a /proc magic link is followed only where the
//    caller's own credentials pass the ptrace checks, as natively;
//  - when that walk fails (a name through the caller's /proc/self, which names nobody from the
//    child), the name is bound as /proc/self/fd/<parent>/<last>, which getsockname shows
//    (docs/security-model.md).
template <typename Op>
Reply BindPath(SyscallCall& call, int sock, int start, const std::string& path,
               const CallerView& view, Op op) {
  const size_t path_off = offsetof(sockaddr_un, sun_path);
  CwdRestore restore;  // destroyed after `scope`'s caller identity is dropped
  if (HomeDir() < 0) return Reply::Error(EIO);
  auto creds = call.Credentials();
  if (!creds.ok()) return Fail(creds.status());
  auto scope = ScopedCredentials::Assume(**creds);
  if (!scope.ok()) return Fail(scope.status());
  auto parent = call.resolver().OpenParent(start, path, &view);
  if (!parent.ok()) return Fail(parent.status());
  // The address for `name`, or 0 when it does not fit.
  auto address = [&](const std::string& name, sockaddr_un* via) -> socklen_t {
    *via = sockaddr_un{};
    via->sun_family = AF_UNIX;
    if (name.size() >= sizeof(via->sun_path)) return 0;
    memcpy(via->sun_path, name.data(), name.size());
    return static_cast<socklen_t>(path_off + name.size() + 1);
  };
  auto bind_as = [&](const std::string& name) {
    sockaddr_un via;
    socklen_t len = address(name, &via);
    if (len == 0) return Reply::Error(ENAMETOOLONG);
    return op(sock, reinterpret_cast<const sockaddr*>(&via), static_cast<int>(len));
  };
  if (path.find('/') == std::string::npos && parent->last == path && path != "." && path != "..") {
    if (fchdir(parent->dir.get()) != 0) return Reply::Error(errno);
    restore.Moved();
    return bind_as(path);
  }
  {
    sockaddr_un via;
    socklen_t len = address(path, &via);
    if (len == 0) return Reply::Error(ENAMETOOLONG);
    int err = BindFromChrootedChild(sock, call.Root(), path[0] == '/' ? -1 : start,
                                    via, len);
    // A walk that needs the caller's own /proc/self (the resolver's meaning) fails before
    // anything is created: bound through the resolved parent instead.
    if (err != ENOENT && err != ENOTDIR && err != ELOOP) {
      return err == 0 ? Reply::Value(0) : Reply::Error(err);
    }
  }
  // (The trailing slash stays: the kernel's ENOENT for a socket named as a directory.)
  // A name in the caller's own fd directory (kOwnProcDirCaps).
  ScopedSentryCapabilities own(parent->own_entry ? kOwnProcDirCaps : 0);
  return bind_as("/proc/self/fd/" + std::to_string(parent->dir.get()) + "/" + parent->last +
                 (parent->trailing_slash ? "/" : ""));
}

Reply SysBind(SyscallCall& call) {
  auto op = [](int s, const sockaddr* a, int len) {
    return bind(s, a, static_cast<socklen_t>(len)) == 0 ? Reply::Value(0) : Reply::Error(errno);
  };
  int fd = call.arg_int(0);
  uint64_t addr = call.arg(1);
  int len = call.arg_int(2);
  if (len < 0 || static_cast<size_t>(len) > sizeof(sockaddr_storage)) return Reply::Error(EINVAL);
  sockaddr_storage ss{};
  Status read = call.Read(addr, &ss, static_cast<size_t>(len));
  if (!read.ok()) return Fail(read);
  auto sock = call.CallerFd(fd);
  if (!sock.ok()) return Fail(sock.status());
  auto creds = call.Credentials();
  if (!creds.ok()) return Fail(creds.status());
  auto view = call.View();
  if (!view.ok()) return Fail(view.status());

  const size_t path_off = offsetof(sockaddr_un, sun_path);
  bool unix_path = ss.ss_family == AF_UNIX && static_cast<size_t>(len) > path_off &&
                   reinterpret_cast<const sockaddr_un&>(ss).sun_path[0] != '\0';
  UniqueFd start;
  std::string path;
  if (unix_path) {
    const auto& un = reinterpret_cast<const sockaddr_un&>(ss);
    path.assign(un.sun_path, strnlen(un.sun_path, static_cast<size_t>(len) - path_off));
    if (path[0] != '/') {
      auto cwd = call.StartDir(AT_FDCWD);
      if (!cwd.ok()) return Fail(cwd.status());
      start = std::move(*cwd);
    }
  }
  if (!call.StillValid()) return Reply::Drop();
  if (!unix_path) {
    auto scope = ScopedCredentials::Assume(**creds);
    if (!scope.ok()) return Fail(scope.status());
    return op(sock->get(), reinterpret_cast<const sockaddr*>(&ss), len);
  }
  return BindPath(call, sock->get(), start.get(), path, **view, op);
}

}  // namespace

void RegisterSocketHandlers(HandlerTable& t) {
  t[SYS_bind] = SysBind;
}

}  // namespace see::sentry
