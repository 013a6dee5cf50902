#include "runtime/linux/sync.h"

#include <sys/socket.h>

#include <cerrno>

#include <cstring>
#include <vector>

#include "base/fd_passing.h"

namespace see::runtime {
namespace {
constexpr size_t kMaxPayload = 64 * 1024;
}

Status MakeSyncPair(UniqueFd* parent_end, UniqueFd* child_end) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
    return ErrnoStatus("socketpair");
  }
  parent_end->Reset(fds[0]);
  child_end->Reset(fds[1]);
  return Status::Ok();
}

Status SendFd(int sock, int fd, std::string_view payload) {
  char dummy = 0;
  const void* data = payload.empty() ? &dummy : payload.data();
  size_t len = payload.empty() ? 1 : payload.size();
  if (fd < 0) {
    // Plain sendto, not sendmsg: the init sends its last messages (ready, errors) under the
    // container's seccomp filter, and allowlist profiles (runc's, Docker's) list sendto and write
    // but not always sendmsg.
    while (sendto(sock, data, len, MSG_NOSIGNAL, nullptr, 0) < 0) {
      if (errno != EINTR) return ErrnoStatus("sendto");
    }
    return Status::Ok();
  }
  int rc = SendWithFds(sock, data, len, &fd, 1);
  return rc == 0 ? Status::Ok() : ErrnoStatus(-rc, "sendmsg");
}

Result<UniqueFd> RecvFd(int sock, std::string* payload) {
  SEE_ASSIGN_OR_RETURN(FdMessage m, RecvWithFds(sock, kMaxPayload + 8, 1));
  if (payload != nullptr) *payload = std::move(m.data);
  return m.fds.empty() ? UniqueFd() : std::move(m.fds[0]);
}

Status SendSync(int sock, SyncType type, std::string_view payload, int fd) {
  if (payload.size() > kMaxPayload) payload = payload.substr(0, kMaxPayload);
  std::string packet(sizeof(uint32_t), '\0');
  uint32_t t = static_cast<uint32_t>(type);
  memcpy(packet.data(), &t, sizeof(t));
  packet.append(payload);
  return SendFd(sock, fd, packet);
}

Result<SyncMessage> RecvSync(int sock) {
  std::string packet;
  SEE_ASSIGN_OR_RETURN(UniqueFd fd, RecvFd(sock, &packet));
  if (packet.size() < sizeof(uint32_t)) return NotFound("peer closed the socket");
  SyncMessage m;
  uint32_t t;
  memcpy(&t, packet.data(), sizeof(t));
  m.type = static_cast<SyncType>(t);
  m.payload = packet.substr(sizeof(uint32_t));
  m.fd = std::move(fd);
  return m;
}

Result<SyncMessage> ExpectSync(int sock, SyncType type) {
  auto m = RecvSync(sock);
  if (!m.ok()) return m.status().Wrap("container process exited during set-up");
  if (m->type == SyncType::kError) return Internal(m->payload);
  if (m->type != type) {
    return Internal("unexpected sync message " + std::to_string(static_cast<uint32_t>(m->type)));
  }
  return m;
}

}  // namespace see::runtime
