// One fd over a unix socket with SCM_RIGHTS (the container child hands its seccomp listener to the
// sentry this way). SendFd is async-signal-safe (usable between fork and exec).
#pragma once

#include "base/status.h"
#include "base/unique_fd.h"

namespace see::sentry {

// Returns 0 or -errno.
int SendFd(int sock, int fd);
// The received fd is O_CLOEXEC.
Result<UniqueFd> RecvFd(int sock);

}  // namespace see::sentry
