// The control channel between the shim (parent) and see-sentry: a unix socket fd passed at start.
// Framing: a fixed little header {uint32 type, uint32 length} then `length` payload bytes; one
// message per write, at most kMaxPayload bytes. Payloads are fixed-layout structs below (the
// channel never leaves the host, both ends are built from this header).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace see::sentry {

enum class ControlType : uint32_t {
  kReady = 1,  // sentry -> shim: serving; payload ReadyMessage
  kExit = 2,   // sentry -> shim: a container init exited; payload ExitMessage
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

// Writes one framed message (EINTR-safe, whole or error).
Status WriteControlMessage(int fd, ControlType type, const void* payload, uint32_t length);
// Reads one framed message; kNotFound at a clean EOF before a header.
Result<std::pair<ControlType, std::string>> ReadControlMessage(int fd);

}  // namespace see::sentry
