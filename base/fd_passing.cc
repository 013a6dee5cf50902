#include "base/fd_passing.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace see {

int SendWithFds(int sock, const void* data, size_t len, const int* fds, size_t nfds) {
  if (len == 0 || nfds > kMaxPassedFds) return -EINVAL;
  iovec iov{const_cast<void*>(data), len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (nfds > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  for (;;) {
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(len)) return 0;
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? -errno : -EIO;  // a short write: the peer gets a torn message
  }
}

Result<FdMessage> RecvWithFds(int sock, size_t max_len, size_t max_fds) {
  if (max_fds > kMaxPassedFds) max_fds = kMaxPassedFds;
  FdMessage out;
  out.data.resize(max_len > 0 ? max_len : 1);
  iovec iov{out.data.data(), out.data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * (max_fds > 0 ? max_fds : 1));
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus("recvmsg");
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      out.fds.emplace_back(fd);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) return InvalidArgument("too many fds in one message");
  if (out.fds.size() > max_fds) return InvalidArgument("too many fds in one message");
  if (n == 0 && out.fds.empty()) return NotFound("peer closed the socket");
  out.data.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace see
