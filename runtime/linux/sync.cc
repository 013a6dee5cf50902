#include "runtime/linux/sync.h"

#include <sys/socket.h>

#include <cstring>
#include <vector>

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
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  char dummy = 0;
  if (payload.empty()) iov = {&dummy, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  if (fd < 0) {
    // Plain sendto, not sendmsg: the init sends its last messages (ready, errors) under the
    // container's seccomp filter, and allowlist profiles (runc's, Docker's) list sendto and write
    // but not always sendmsg.
    while (sendto(sock, iov.iov_base, iov.iov_len, MSG_NOSIGNAL, nullptr, 0) < 0) {
      if (errno != EINTR) return ErrnoStatus("sendto");
    }
    return Status::Ok();
  }
  while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return ErrnoStatus("sendmsg");
  }
  return Status::Ok();
}

Result<UniqueFd> RecvFd(int sock, std::string* payload) {
  std::vector<char> buf(kMaxPayload + 8);
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR) return ErrnoStatus("recvmsg");
  }
  UniqueFd fd;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int received;
      memcpy(&received, CMSG_DATA(c), sizeof(int));
      fd.Reset(received);
    }
  }
  if (n == 0 && !fd.valid()) return NotFound("peer closed the socket");
  if (payload != nullptr) payload->assign(buf.data(), static_cast<size_t>(n));
  return fd;
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
