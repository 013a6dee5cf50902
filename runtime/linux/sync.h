// The channel between the runtime (parent) and a container process being set up (child): a
// SOCK_SEQPACKET socketpair, one message per packet, optionally carrying one fd (SCM_RIGHTS).
//
// Protocol (create):      parent                         child (init)
//                           <- kPid(pid)                  stage 0 after clone
//                           kMountFd(fd) ->               id-mapped mount sources (0..n; payload
//                                                         "rootfs" or the spec mount's index)
//                           kGo ->                        cgroup joined, id maps written
//                           <- kRunHooks                  namespaces and mounts ready
//                           kHooksDone ->
//                           <- kSeccompFd(fd)             only with a listenerPath
//                           kSeccompDone ->
//                           <- kReady                     blocked on exec.fifo next
// exec: the same without hooks; the parent reads until EOF (the socket is O_CLOEXEC, so EOF
// without kError means execve succeeded). Any side may send kError(message) and exit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see::runtime {

enum class SyncType : uint32_t {
  kPid = 1,
  kGo,
  kRunHooks,
  kHooksDone,
  kSeccompFd,
  kSeccompDone,
  kReady,
  kError,
  kMountFd,
};

struct SyncMessage {
  SyncType type = SyncType::kError;
  std::string payload;
  UniqueFd fd;  // when one was passed
};

// A connected SOCK_SEQPACKET pair, both ends O_CLOEXEC.
Status MakeSyncPair(UniqueFd* parent_end, UniqueFd* child_end);

// Payload is limited to 64 KiB.
Status SendSync(int sock, SyncType type, std::string_view payload = {}, int fd = -1);
// kNotFound on EOF (peer closed: exited or exec'd).
Result<SyncMessage> RecvSync(int sock);
// Receives and checks the type; a kError message becomes an error Status with its text.
Result<SyncMessage> ExpectSync(int sock, SyncType type);

// Sends / receives one fd with a small payload over any unix socket (console sockets, seccomp
// listeners).
Status SendFd(int sock, int fd, std::string_view payload);
Result<UniqueFd> RecvFd(int sock, std::string* payload);

}  // namespace see::runtime
