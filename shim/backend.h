// ContainerBackend: how the shim makes and drives containers. The Task service speaks only to
// this interface, so running a pod's containers under see-sentry instead of directly on the host
// is a new implementation of this one class (the sentry would become the shim's only child and
// report exits over its control channel).
//
// Contract shared by implementations:
//   - Processes (init and exec) become children of the calling process; the shim reaps them and
//     learns exits through waitpid, never through the backend.
//   - Create leaves the init blocked until Start. stdio: the process gets fds[0..2] as its 0, 1, 2
//     (-1: /dev/null); with a terminal, the pty master is sent to `console_socket` instead.
//   - Errors carry see::Code: NotFound (no such container), FailedPrecondition (wrong state),
//     InvalidArgument (bad spec), others Internal.
//   - Calls may block for the duration of a kernel set-up (tens of milliseconds); not thread-safe:
//     one caller thread (the shim's loop).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/cgroups/cgroup.h"

namespace see::shim {

struct ProcessStdioFds {
  int fds[3] = {-1, -1, -1};
};

struct BackendCreate {
  std::string id;
  std::string bundle;  // contains config.json; rootfs already mounted at <bundle>/rootfs
  ProcessStdioFds stdio;
  std::string console_socket;  // non-empty iff process.terminal
};

struct BackendExec {
  std::string id;
  std::string process_json;  // OCI process object
  ProcessStdioFds stdio;
  std::string console_socket;
};

class ContainerBackend {
 public:
  virtual ~ContainerBackend() = default;

  virtual Result<pid_t> Create(const BackendCreate& c) = 0;
  virtual Status Start(const std::string& id) = 0;
  virtual Result<pid_t> Exec(const BackendExec& e) = 0;
  // Signals the init, or with `all` every process of the container.
  virtual Status Kill(const std::string& id, int sig, bool all) = 0;
  // Removes what the container left (cgroup, state); `force` kills what still runs.
  virtual Status Delete(const std::string& id, bool force) = 0;
  virtual Status Pause(const std::string& id) = 0;
  virtual Status Resume(const std::string& id) = 0;
  virtual Result<std::vector<pid_t>> Pids(const std::string& id) = 0;
  // `resources_json`: an OCI LinuxResources object (what containerd sends in UpdateTaskRequest).
  virtual Status Update(const std::string& id, const std::string& resources_json) = 0;
  virtual Result<cgroups::Stats> Stats(const std::string& id) = 0;
  // The container's cgroup, for the OOM notifier. NotFound when there is none.
  virtual Result<std::unique_ptr<cgroups::Manager>> Cgroup(const std::string& id) = 0;
  // True when the init is not pid 1 of its own pid namespace: then the init's exit does not end
  // the other processes and the shim kills them (containerd's ShouldKillAllOnExit).
  virtual bool SharesPidNamespace(const std::string& id) = 0;
};

// The host backend: see_runtime (what `runsee` does), with container state under `state_root`.
// The calling binary must dispatch `<self> init ...` to see::runtime::RunInitMain.
std::unique_ptr<ContainerBackend> NewRuntimeBackend(const std::string& state_root);

}  // namespace see::shim
