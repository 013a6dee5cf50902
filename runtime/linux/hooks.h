// Running OCI hooks: path + args + env, the OCI state JSON on stdin, an optional timeout.
// Safe to call from a multi-threaded process: everything the child needs is prepared before fork
// and the child only calls async-signal-safe functions before execve.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/oci/spec.h"

namespace see::runtime {

// Runs one hook to completion. A non-zero exit, a signal, or the timeout (the hook is then
// SIGKILLed and reaped) is an error naming the hook ("<kind> hook <path>: ...").
Status RunHook(const oci::Hook& hook, const std::string& state_json, const std::string& kind);

// Runs `hooks` in order; stops at the first failure.
Status RunHooks(const std::vector<oci::Hook>& hooks, const std::string& state_json,
                const std::string& kind);

}  // namespace see::runtime
