// PodInit: see-sentry's PID-1 duties for a pod. Starts the container init under the container
// seccomp filter (its listener comes back over a socketpair), serves it with a NotifyLoop, reaps
// every child (it is a child subreaper, or PID 1 in the pod pid ns), forwards SIGTERM, SIGINT,
// SIGHUP, SIGUSR1 and SIGUSR2 to the container init, and reports Ready and Exit messages over the
// control fd (control_protocol.h).
//
// Today one container per sentry, started from argv; the runtime integration will hand container
// roots and set-up over the control channel instead.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace see::sentry {

struct PodInitOptions {
  int control_fd = -1;         // -1: no reports
  std::string root = "/";      // the container's root as the sentry sees it
  std::vector<std::string> argv;
  bool confine_self = true;    // ApplySelfConfinement once the container is started
};

// Returns the container init's exit code (128+signal when killed). Blocks until it exits.
Result<int> RunPodInit(const PodInitOptions& options);

}  // namespace see::sentry
