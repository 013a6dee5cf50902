// RunCommand (`see-sentry run -- <cmd...>`): one command under sentry-lite without a container, for
// tests that compare a program natively and under the filter (e2e/sandbox). Starts the command
// under the container seccomp filter (its listener comes back over a socketpair), serves it with a
// NotifyLoop, reaps every child (it is a child subreaper), forwards SIGTERM, SIGINT, SIGHUP,
// SIGUSR1 and SIGUSR2 to the command, and reports Ready and Exit messages over the control fd
// (control_protocol.h). Containers run under `see-sentry serve` instead (serve.h, pod_init.h).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace see::sentry {

struct RunCommandOptions {
  int control_fd = -1;         // -1: no reports
  std::string root = "/";      // the container's root as the sentry sees it
  std::vector<std::string> argv;
  bool confine_self = true;    // ApplySelfConfinement once the container is started
};

// Returns the container init's exit code (128+signal when killed). Blocks until it exits.
Result<int> RunCommand(const RunCommandOptions& options);

}  // namespace see::sentry
