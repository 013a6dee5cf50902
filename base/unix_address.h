// Unix socket addresses for paths of any length. sun_path holds 107 bytes, and state paths of
// CRI containers (64-hex ids under containerd's state dirs) are longer: those go through
// /proc/self/fd/<dirfd>/<name>, which bind() and connect() resolve like any path.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see {

struct UnixAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
  UniqueFd dir;  // keeps the directory open for a long path; bind/connect before it is closed
};

Result<UnixAddress> MakeUnixAddress(const std::string& path);

// A connected unix socket (O_CLOEXEC) of `type` (SOCK_STREAM, SOCK_SEQPACKET) to `path`.
Result<UniqueFd> ConnectUnixSocket(const std::string& path, int type);

}  // namespace see
