// The shim daemon's log: the bundle's `log` FIFO, which containerd reads and copies into its own
// log (runtime/v2/shim/shim_unix.go openLog). Opened O_RDWR|O_NONBLOCK so that opening never
// blocks and a containerd that stopped reading (restarting) costs dropped lines, never a stalled
// shim. Falls back to no output when the FIFO is missing.
#pragma once

#include <string>

namespace see::shim {

// Replaces spdlog's default logger. `debug` sets the debug level.
void InstallShimLogger(const std::string& fifo_path, bool debug);

}  // namespace see::shim
