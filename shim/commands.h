// The three things the binary does (runtime/v2/shim/shim.go run()):
//   start   — find or launch the pod's shim daemon, print its address
//   delete  — clean up after a shim that died, print a DeleteResponse
//   (none)  — be the daemon: serve the Task service on the socket passed as fd 3
// Each returns the process exit code.
#pragma once

#include "shim/flags.h"

namespace see::shim {

int RunStart(const ShimFlags& flags);
int RunDelete(const ShimFlags& flags);
int RunDaemon(const ShimFlags& flags);

// Where see_runtime keeps container state for a containerd namespace.
std::string RuntimeRoot(const std::string& ns);

// The pod's shim socket for the bundle in the working directory: grouped by the CRI sandbox id
// annotation (so every container of a pod shares one shim), else by the container id.
Result<std::string> ShimAddressForBundle(const ShimFlags& flags, const std::string& bundle_dir);

}  // namespace see::shim
