// The channels of see-sentry, all host-local unix sockets, both ends built from this header:
//  - the pod init's control socket (`see-sentry serve --control-fd`, SOCK_SEQPACKET, the shim's
//    end is the pod's owner): kSpawn from the shim (a container set-up helper to start, fds
//    attached), kExit from the pod init (a container process it reaped);
//  - `see-sentry run --control-fd` (one command under the sentry, run_command.h): kReady, kExit;
//  - the registration socket (`see-sentry serve --socket`, SOCK_SEQPACKET): a container process,
//    right after installing its filter and before execve, sends one kRegister message naming its
//    host pid and the numbers of two of its fds (the seccomp listener, its root directory as
//    O_PATH), and waits for kRegistered. The sentry takes both with pidfd_getfd: the message is a
//    plain write(), which OCI seccomp profiles allow where sendmsg (SCM_RIGHTS) may be refused.
//    (A sentry inside a pod's user namespace has its host-side registrar take them and receives
//    the same message from it with the two fds attached, serve.cc.)
// Framing: a fixed little header {uint32 type, uint32 length} then `length` payload bytes; one
// message per write, at most kMaxPayload bytes. Payloads are fixed-layout structs or, for
// kRegister, "key=value" lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace see::sentry {

enum class ControlType : uint32_t {
  kReady = 1,  // sentry -> shim: serving; payload ReadyMessage
  kExit = 2,   // sentry -> shim: a container process exited; payload ExitMessage
  kRegister = 3,    // container process -> sentry: Registration
  kRegistered = 4,  // sentry -> container process: payload int32 errno (0: being served)
  kSpawn = 5,       // shim -> pod init: SpawnRequest; fds [executable, cwd, the child's 0..n-1]
};

struct ControlHeader {
  uint32_t type;
  uint32_t length;
};

struct ReadyMessage {
  int32_t init_pid;  // the container init, in the sentry's pid namespace
};

struct ExitMessage {
  int32_t pid;
  int32_t wait_status;  // raw, as from waitpid
};

inline constexpr uint32_t kMaxPayload = 64 * 1024;

// What a registering process tells the sentry besides its fds.
struct Registration {
  std::string container_id;
  int pid = 0;           // the registering process, in the sentry's (host) pid namespace
  int listener_fd = -1;  // its seccomp listener
  int root_fd = -1;      // its root directory, O_PATH
  // Host paths of the container's cgroup directories the /proc views read their limits from
  // (PodViewConfig); empty: host figures.
  std::string memory_cgroup;
  std::string cpu_cgroup;
};

// A process the pod init starts for the shim's runtime: the container set-up helper
// (`<shim> init <fd>`), which clones the container process with CLONE_PARENT, so that process is
// the pod init's child. The fds travel beside it (kSpawn).
struct SpawnRequest {
  std::vector<std::string> argv;  // at least argv[0]
  std::vector<std::string> envp;
};
// Payload: uint32 argc, uint32 envc, then argc + envc NUL-terminated strings, nothing after.
std::string EncodeSpawnRequest(const SpawnRequest& r);
Result<SpawnRequest> DecodeSpawnRequest(std::string_view payload);

// The whole framed message (header + payload), so a caller between clone and execve can send
// bytes built beforehand.
std::string EncodeControlMessage(ControlType type, std::string_view payload);
std::string EncodeRegistration(const Registration& r);
// Parses a kRegister payload; unknown keys are ignored, malformed lines are an error.
Result<Registration> DecodeRegistration(std::string_view payload);
// One kExit frame (as received whole from the pod init's SOCK_SEQPACKET socket): InvalidArgument
// for any other frame or a payload that is not an ExitMessage.
Result<ExitMessage> DecodeExitMessage(std::string_view frame);
// Splits one framed message (as received whole from a SOCK_SEQPACKET socket).
Result<std::pair<ControlType, std::string>> DecodeControlMessage(std::string_view frame);

// Writes one framed message (EINTR-safe, whole or error).
Status WriteControlMessage(int fd, ControlType type, const void* payload, uint32_t length);
// Reads one framed message from a stream (pipe, SOCK_STREAM); kNotFound at a clean EOF before a
// header. Not for SOCK_SEQPACKET, where reading the header alone drops the rest of the message:
// receive it whole and use DecodeControlMessage.
Result<std::pair<ControlType, std::string>> ReadControlMessage(int fd);

}  // namespace see::sentry
