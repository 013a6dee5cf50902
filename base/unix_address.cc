#include "base/unix_address.h"

#include <fcntl.h>

#include <cstddef>
#include <cstring>

namespace see {

Result<UnixAddress> MakeUnixAddress(const std::string& path) {
  UnixAddress out;
  out.addr.sun_family = AF_UNIX;
  std::string target = path;
  if (path.empty()) return InvalidArgument("empty unix socket path");
  if (path.size() >= sizeof(out.addr.sun_path)) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash + 1 == path.size()) {
      return InvalidArgument("unix socket path too long: " + path);
    }
    std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    out.dir.Reset(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!out.dir) return ErrnoStatus("opening " + dir);
    target = "/proc/self/fd/" + std::to_string(out.dir.get()) + "/" + path.substr(slash + 1);
    if (target.size() >= sizeof(out.addr.sun_path)) {
      return InvalidArgument("unix socket name too long: " + path);
    }
  }
  memcpy(out.addr.sun_path, target.c_str(), target.size() + 1);
  out.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + target.size() + 1);
  return out;
}

Result<UniqueFd> ConnectUnixSocket(const std::string& path, int type) {
  SEE_ASSIGN_OR_RETURN(UnixAddress addr, MakeUnixAddress(path));
  UniqueFd fd(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr.addr), addr.len) < 0) {
    return ErrnoStatus("connect " + path);
  }
  return fd;
}

}  // namespace see
