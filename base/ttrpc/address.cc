#include "base/ttrpc/address.h"

#include <sys/un.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "base/sha256.h"

namespace see::ttrpc {

std::string JoinAndCleanPath(std::initializer_list<std::string_view> elements) {
  std::string joined;
  for (std::string_view e : elements) {
    if (e.empty()) continue;
    if (!joined.empty()) joined += '/';
    joined.append(e);
  }
  if (joined.empty()) return "";
  const bool rooted = joined[0] == '/';
  std::vector<std::string_view> parts;
  std::string_view rest = joined;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);  // a relative path keeps leading ".."; "/.." is "/"
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out.append(parts[i]);
  }
  return out.empty() ? "." : out;
}

std::string ShimSocketAddress(std::string_view containerd_address, std::string_view ns,
                              std::string_view id, std::string_view state_dir) {
  std::string key = JoinAndCleanPath({containerd_address, ns, id});
  std::string hex = Sha256Hex(key);
  return "unix://" + JoinAndCleanPath({state_dir, "s"}) + "/" + hex;
}

Result<UnixAddress> ParseUnixAddress(std::string_view address) {
  UnixAddress out;
  std::string_view name = address;
  if (name.starts_with("unix://")) {
    name.remove_prefix(7);
  } else if (!name.empty() && (name[0] == '\0' || name[0] == '@')) {
    out.abstract = true;
    name.remove_prefix(1);
  }
  if (name.empty()) return InvalidArgument("empty socket address");
  // Path sockets need a NUL terminator in sun_path; abstract names need the leading NUL.
  if (name.size() + 1 > sizeof(out.addr.sun_path)) {
    return InvalidArgument("socket address too long: " + std::string(address));
  }
  out.path = std::string(name);
  out.addr.sun_family = AF_UNIX;
  char* dst = out.addr.sun_path + (out.abstract ? 1 : 0);
  std::memcpy(dst, name.data(), name.size());
  // Path: name + NUL terminator. Abstract: leading NUL + name, no terminator (as Go does).
  out.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
  return out;
}

}  // namespace see::ttrpc
