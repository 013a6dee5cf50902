// The container's terminal: a pty from the container's own devpts (opened after the mounts, so
// it is never a host pty), whose master goes to the caller's --console-socket.
#pragma once

#include <optional>

#include "base/status.h"
#include "runtime/oci/spec.h"

namespace see::runtime {

// Opens /dev/ptmx, sets the size, sends the master fd over `console_socket` (SCM_RIGHTS, as
// go-runc's console.ReceiveMaster expects), makes the slave the controlling terminal and fds
// 0, 1, 2. REQUIRES: the caller is a session leader in the container's mount namespace.
Status SetupConsole(int console_socket, const std::optional<oci::ConsoleSize>& size);

}  // namespace see::runtime
