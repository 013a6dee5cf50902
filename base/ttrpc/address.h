// Socket addresses as containerd spells them.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <string>
#include <string_view>

#include "base/status.h"

namespace see::ttrpc {

// The shim socket address containerd 1.6 derives (runtime/v2/shim/util_unix.go SocketAddress):
//   "unix:///run/containerd/s/" + hex(sha256(filepath.Join(containerd_address, ns, id)))
// `containerd_address` is containerd's own GRPC address passed to `shim start` as -address.
// `state_dir` is containerd's defaults.DefaultStateDir.
std::string ShimSocketAddress(std::string_view containerd_address, std::string_view ns,
                              std::string_view id, std::string_view state_dir = "/run/containerd");

// Go's filepath.Join for '/'-separated paths: joins the non-empty elements and cleans the result
// (collapses "//", removes ".", resolves ".." lexically).
std::string JoinAndCleanPath(std::initializer_list<std::string_view> elements);

struct UnixAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
  bool abstract = false;
  std::string path;  // filesystem path, or the abstract name without its leading NUL
};

// "unix:///p" or "/p" -> a path socket; "\0name" or "@name" -> abstract. InvalidArgument when
// empty or too long for sun_path.
Result<UnixAddress> ParseUnixAddress(std::string_view address);

}  // namespace see::ttrpc
