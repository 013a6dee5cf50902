// bind/connect: AF_UNIX paths are resolved in the container's view; every other address is used
// as given. The operation runs in the sentry on a duplicate of the caller's socket (same open
// file, so the caller's socket is the one bound/connected); the socket's network namespace is
// fixed at creation, so nothing is decided by the sentry's own namespaces.
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "sentry-lite/notify/handlers.h"

namespace see::sentry {
namespace {

Reply Fail(const Status& s) { return s.err() == ESRCH ? Reply::Drop() : Reply::FromStatus(s); }

template <typename Op>
Reply DoSockaddrCall(SyscallCall& call, Op op) {
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
  auto scope = ScopedCredentials::Assume(**creds);
  if (!scope.ok()) return Fail(scope.status());
  if (!unix_path) return op(sock->get(), reinterpret_cast<const sockaddr*>(&ss), len);

  auto parent = call.resolver().OpenParent(start.get(), path, *view);
  if (!parent.ok()) return Fail(parent.status());
  // The kernel resolves this through the sentry's own /proc: the parent is already confined, the
  // last component is a plain name (a symlink there is followed by connect inside the parent's
  // file system only as the caller's kernel would).
  sockaddr_un via{};
  via.sun_family = AF_UNIX;
  int n = snprintf(via.sun_path, sizeof(via.sun_path), "/proc/self/fd/%d/%s", parent->dir.get(),
                   parent->last.c_str());
  if (n < 0 || static_cast<size_t>(n) >= sizeof(via.sun_path)) return Reply::Error(ENAMETOOLONG);
  return op(sock->get(), reinterpret_cast<const sockaddr*>(&via),
            static_cast<int>(path_off + static_cast<size_t>(n) + 1));
}

Reply SysBind(SyscallCall& call) {
  return DoSockaddrCall(call, [](int s, const sockaddr* a, int len) {
    return bind(s, a, static_cast<socklen_t>(len)) == 0 ? Reply::Value(0) : Reply::Error(errno);
  });
}

Reply SysConnect(SyscallCall& call) {
  return DoSockaddrCall(call, [](int s, const sockaddr* a, int len) {
    return connect(s, a, static_cast<socklen_t>(len)) == 0 ? Reply::Value(0) : Reply::Error(errno);
  });
}

}  // namespace

void RegisterSocketHandlers(HandlerTable& t) {
  t[SYS_bind] = SysBind;
  t[SYS_connect] = SysConnect;
}

}  // namespace see::sentry
