// File descriptors over unix sockets (SCM_RIGHTS): the one implementation used by the runtime's
// sync channel, the sentry's registration channel and the shim's console sockets.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see {

inline constexpr size_t kMaxPassedFds = 16;

// Sends `len` bytes (at least 1: a stream peer cannot see fds without data) with `nfds` fds
// (at most kMaxPassedFds) in one sendmsg. Only raw syscalls: async-signal-safe, so usable between
// clone and execve. Returns 0 or -errno.
int SendWithFds(int sock, const void* data, size_t len, const int* fds, size_t nfds);

struct FdMessage {
  std::string data;
  std::vector<UniqueFd> fds;  // O_CLOEXEC
};

// Receives one message of at most `max_len` bytes and at most `max_fds` fds. kNotFound at EOF
// (no bytes, no fds). A message carrying more fds than `max_fds` (the kernel truncates the control
// data) is an error, and every fd that did arrive is closed.
Result<FdMessage> RecvWithFds(int sock, size_t max_len, size_t max_fds);

}  // namespace see
