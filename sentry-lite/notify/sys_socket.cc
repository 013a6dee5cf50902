// bind/connect: AF_UNIX paths are resolved in the container's view (BindPath, connect below);
// every other address is used as given. The operation runs in the sentry on a duplicate of the caller's socket (same open
// file, so the caller's socket is the one bound/connected); the socket's network namespace is
// fixed at creation, so nothing is decided by the sentry's own namespaces.
#include <fcntl.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "base/file_util.h"
#include "sentry-lite/notify/handlers.h"

namespace see::sentry {
namespace {

Reply Fail(const Status& s) { return s.err() == ESRCH ? Reply::Drop() : Reply::FromStatus(s); }

// The sentry thread's own working directory, to return to after a bind from the caller's
// directory (a cwd left in a container's tree would hold its mount busy).
int HomeDir() {
  thread_local UniqueFd home(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  return home.get();
}

// The sentry's own root, to return to after a bind from a chroot. First opened before any worker
// has chrooted (every caller opens it before its own chroot, and workers' fs_structs are private).
int SentryRoot() {
  static UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  return root.get();
}

// Returns the worker thread to its own root and cwd when it goes out of scope (after the caller's
// identity is dropped: the sentry's cwd may not be searchable by the caller).
class CwdRestore {
 public:
  ~CwdRestore() { Restore(); }
  void Moved() { moved_ = true; }
  void Chrooted() { chrooted_ = true; }
  void Restore() {
    if (!moved_ && !chrooted_) return;
    ScopedSentryCapabilities sentry_caps;
    // Never serve later calls from a caller's directory or root.
    if (chrooted_ && (fchdir(SentryRoot()) != 0 || chroot(".") != 0)) abort();
    if (fchdir(HomeDir()) != 0) abort();
    moved_ = chrooted_ = false;
  }

 private:
  bool moved_ = false;
  bool chrooted_ = false;
};

// Octal escapes of /proc/<pid>/mountinfo fields (\040 for a space, ...).
std::string UnescapeMountField(std::string_view f) {
  std::string out;
  auto octal = [](char c) { return c >= '0' && c <= '7'; };
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\' && i + 3 < f.size() && octal(f[i + 1]) &&
        octal(f[i + 2]) && octal(f[i + 3])) {
      out.push_back(static_cast<char>((f[i + 1] - '0') * 64 + (f[i + 2] - '0') * 8 + (f[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(f[i]);
    }
  }
  return out;
}

// Whether some procfs in the caller's mount tree lists the sentry's own processes (a host /proc
// mounted into the container, or a container in the host's pid namespace). A kernel walk from a
// chroot in the container's root could then follow /proc/<sentry>/{cwd,root,fd/N}, magic links the
// kernel lets the sentry's own threads follow without any check. Anything unclear counts as yes.
bool ProcfsShowsSentry(SyscallCall& call, const CallerView& view) {
  std::string info;
  {
    ScopedSentryCapabilities sentry_caps;
    auto text = ReadFile("/proc/" + std::to_string(call.tid()) + "/mountinfo");
    if (!text.ok()) return true;
    info = std::move(*text);
  }
  size_t pos = 0;
  while (pos < info.size()) {
    size_t nl = info.find('\n', pos);
    if (nl == std::string::npos) nl = info.size();
    std::string_view line(info.data() + pos, nl - pos);
    pos = nl + 1;
    // "id parent maj:min root mountpoint options [optional...] - fstype source superoptions"
    size_t sep = line.find(" - ");
    if (sep == std::string_view::npos) continue;
    std::string_view after = line.substr(sep + 3);
    if (after.substr(0, after.find(' ')) != "proc") continue;
    size_t f = 0;
    for (int field = 0; field < 4; ++field) {
      f = line.find(' ', f);
      if (f == std::string_view::npos) return true;
      ++f;
    }
    std::string mountpoint = UnescapeMountField(line.substr(f, line.find(' ', f) - f));
    open_how how{.flags = O_PATH | O_DIRECTORY, .resolve = RESOLVE_NO_SYMLINKS};
    auto dir = call.resolver().Open(-1, mountpoint, how, &view);
    if (!dir.ok()) return true;
    char link[32];
    if (readlinkat(dir->get(), "self", link, sizeof(link)) >= 0) return true;
  }
  return false;
}

// bind: the last component is created, never followed, in the parent resolved inside the root.
// The kernel records the address as passed to bind(), which getsockname shows, so the name given
// to the kernel is the caller's own string wherever that is safe:
//  - a one-component name ("x.sock", relative to the caller's cwd) is bound as it is from the
//    resolved parent made this worker's cwd (fchdir on the worker's private fs_struct, see
//    EnterPrivateFsContext): the kernel's walk is one lookup of a name without "/" in a directory
//    already confined, and bind does not follow a last-component symlink (EADDRINUSE).
//  - a longer name is bound as it is from a chroot in the container's root (and the caller's cwd
//    for a relative one): the kernel walks it again, with the caller's identity, and a symlink
//    swapped in after the check is resolved inside that root (absolute targets and ".." alike).
//    What could lead out is a /proc magic link; those lead only where the container's own
//    processes' fds and directories are, unless a procfs in the container's tree also lists the
//    sentry (ProcfsShowsSentry), whose fds and cwd the kernel lets its own threads follow;
//  - then, and when the walk from the chroot fails (a name through the caller's /proc/self, which
//    names nobody from the sentry), the name is bound as /proc/self/fd/<parent>/<last>, which
//    getsockname shows (docs/security-model.md).
template <typename Op>
Reply BindPath(SyscallCall& call, int sock, int start, const std::string& path,
               const CallerView& view, Op op) {
  const size_t path_off = offsetof(sockaddr_un, sun_path);
  CwdRestore restore;  // destroyed after `scope`'s caller identity is dropped
  if (HomeDir() < 0 || SentryRoot() < 0) return Reply::Error(EIO);
  auto creds = call.Credentials();
  if (!creds.ok()) return Fail(creds.status());
  auto scope = ScopedCredentials::Assume(**creds);
  if (!scope.ok()) return Fail(scope.status());
  auto parent = call.resolver().OpenParent(start, path, &view);
  if (!parent.ok()) return Fail(parent.status());
  auto bind_as = [&](const std::string& name) {
    sockaddr_un via{};
    via.sun_family = AF_UNIX;
    if (name.size() >= sizeof(via.sun_path)) return Reply::Error(ENAMETOOLONG);
    memcpy(via.sun_path, name.data(), name.size());
    return op(sock, reinterpret_cast<const sockaddr*>(&via),
              static_cast<int>(path_off + name.size() + 1));
  };
  if (path.find('/') == std::string::npos && parent->last == path && path != "." && path != "..") {
    if (fchdir(parent->dir.get()) != 0) return Reply::Error(errno);
    restore.Moved();
    return bind_as(path);
  }
  if (!ProcfsShowsSentry(call, view)) {
    {
      ScopedSentryCapabilities sentry_caps;  // CAP_SYS_CHROOT, whatever the caller has
      restore.Chrooted();
      if (fchdir(call.container().root.get()) != 0 || chroot(".") != 0) return Reply::Error(EIO);
    }
    if (path[0] != '/' && fchdir(start) != 0) return Reply::Error(errno);
    Reply r = bind_as(path);
    // A walk that needs the caller's own /proc/self (the resolver's meaning, not the kernel's
    // from here) fails before anything is created: bound through the resolved parent instead.
    if (r.kind != Reply::Kind::kError || (r.err != ENOENT && r.err != ENOTDIR && r.err != ELOOP)) {
      return r;
    }
    restore.Restore();  // /proc/self/fd/N below must be the sentry's
  }
  return bind_as("/proc/self/fd/" + std::to_string(parent->dir.get()) + "/" + parent->last);
}

template <typename Op>
Reply DoSockaddrCall(SyscallCall& call, Op op, bool is_bind) {
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
  if (is_bind) return BindPath(call, sock->get(), start.get(), path, **view, op);
  auto scope = ScopedCredentials::Assume(**creds);
  if (!scope.ok()) return Fail(scope.status());
  // connect: the whole path, a symlink as last component too, is resolved in the container's root
  // (an O_PATH fd of the socket file; search permission checked with the caller's identity), and
  // the kernel connects through the sentry's magic link to it: no name is walked with the
  // sentry's own root. The peer's name (getpeername) is the server's own bound name either way.
  open_how how{.flags = O_PATH};
  auto target = call.resolver().Open(start.get(), path, how, *view);
  if (!target.ok()) return Fail(target.status());
  sockaddr_un via{};
  via.sun_family = AF_UNIX;
  int n = snprintf(via.sun_path, sizeof(via.sun_path), "/proc/self/fd/%d", target->get());
  if (n < 0 || static_cast<size_t>(n) >= sizeof(via.sun_path)) return Reply::Error(ENAMETOOLONG);
  return op(sock->get(), reinterpret_cast<const sockaddr*>(&via),
            static_cast<int>(path_off + static_cast<size_t>(n) + 1));
}

Reply SysBind(SyscallCall& call) {
  return DoSockaddrCall(call, [](int s, const sockaddr* a, int len) {
    return bind(s, a, static_cast<socklen_t>(len)) == 0 ? Reply::Value(0) : Reply::Error(errno);
  }, /*is_bind=*/true);
}

Reply SysConnect(SyscallCall& call) {
  return DoSockaddrCall(call, [](int s, const sockaddr* a, int len) {
    return connect(s, a, static_cast<socklen_t>(len)) == 0 ? Reply::Value(0) : Reply::Error(errno);
  }, /*is_bind=*/false);
}

}  // namespace

void RegisterSocketHandlers(HandlerTable& t) {
  t[SYS_bind] = SysBind;
  t[SYS_connect] = SysConnect;
}

}  // namespace see::sentry
