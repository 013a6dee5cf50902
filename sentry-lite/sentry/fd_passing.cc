#include "sentry-lite/sentry/fd_passing.h"

#include "base/fd_passing.h"

namespace see::sentry {

int SendFd(int sock, int fd) {
  char dummy = 'x';
  return SendWithFds(sock, &dummy, 1, &fd, 1);
}

Result<UniqueFd> RecvFd(int sock) {
  SEE_ASSIGN_OR_RETURN(FdMessage m, RecvWithFds(sock, 1, 1));
  if (m.fds.empty()) return Internal("no fd in message");
  return std::move(m.fds[0]);
}

}  // namespace see::sentry
