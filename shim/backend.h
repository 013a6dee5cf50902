// ContainerBackend: how the shim makes and drives containers. The Task service speaks only to
// this interface.
//
// Contract shared by implementations:
//   - Processes (init and exec) become children of the calling process, which reaps them
//     (waitpid), or of a helper of the backend (the pod's see-sentry), which reaps them and whose
//     reports the backend hands to the WatchExits callback. The shim's reaper still reaps its own
//     children and the orphans it is subreaper for (also the pod's processes once that helper is
//     gone).
//   - Create leaves the init blocked until Start. stdio: the process gets fds[0..2] as its 0, 1, 2
//     (-1: /dev/null); with a terminal, the pty master is sent to `console_socket` instead.
//   - Errors carry see::Code: NotFound (no such container), FailedPrecondition (wrong state),
//     InvalidArgument (bad spec), others Internal.
//   - Calls may block for the duration of a kernel set-up (tens of milliseconds); not thread-safe:
//     one caller thread (the shim's loop).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/cgroups/cgroup.h"

namespace see::shim {

class EventLoop;

struct ProcessStdioFds {
  int fds[3] = {-1, -1, -1};
};

struct BackendCreate {
  std::string id;
  std::string bundle;  // contains config.json; rootfs already mounted at <bundle>/rootfs
  ProcessStdioFds stdio;
  std::string console_socket;  // non-empty iff process.terminal
  // Under the pod's see-sentry (the shim config's `sandbox: sentry`), or the plain path.
  bool sentry = true;
  // In the pod's user namespace (PrepareUserNamespace returned a namespace); `rootfs_idmapped`:
  // the shim mounted the rootfs through it already (else the runtime id-maps <bundle>/rootfs).
  bool pod_userns = false;
  bool rootfs_idmapped = false;
};

// The shim config's user namespace settings (config.h).
struct UsernsSettings {
  bool pod = false;
  bool idmap_host_paths = true;  // host_paths: idmap
  uint32_t base = 0;
  uint32_t ranges = 0;
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
  // Before a container of the pod is created from `bundle` (its rootfs not yet mounted): the
  // pod's user namespace, decided and claimed with the first container. Returns the user
  // namespace fd the rootfs layers are id-mapped with (owned by the backend), or -1 when the
  // container runs without one (the pod keeps host ids, or its spec brings its own namespace).
  virtual Result<int> PrepareUserNamespace(const std::string& bundle,
                                           const UsernsSettings& settings) {
    (void)bundle;
    (void)settings;
    return -1;
  }
  // A create that failed before Create: the pod's user namespace and its id range are released
  // when no container holds them.
  virtual void ReleaseUnusedUserNamespace() {}
  // The shim's reaper reaped `pid`, which is none of the containers' processes: true when it was
  // the backend's own helper (the pod's see-sentry), which then forgets it.
  virtual bool ClaimExit(pid_t pid, int wait_status) {
    (void)pid;
    (void)wait_status;
    return false;
  }
  // Where exits the backend learns go: `on_exit` runs on `loop`'s thread for each, from a loop
  // callback or from ClaimExit (a helper that is gone has its last reports delivered first, before
  // the backend changes anything). (nullptr, nullptr) detaches (the Task service's destructor).
  using ExitCallback = std::function<void(pid_t pid, int wait_status)>;
  virtual void WatchExits(EventLoop* loop, ExitCallback on_exit) {
    (void)loop;
    (void)on_exit;
  }
};

// The host backend: see_runtime (what `runsee` does), with container state under `state_root`.
// The calling binary must dispatch `<self> init ...` to see::runtime::RunInitMain.
//
// Sentry containers of the pod share ONE see-sentry, started with the first such Create (socket,
// log and pid file in `pod_dir`) and stopped (SIGTERM, then SIGKILL; reaped; files removed) when
// the pod's last container is deleted or the backend is destroyed. The sentry also exits by
// itself when the shim dies (its owner pipe closes); KillLeftoverSentry is the `delete` command's
// belt and braces. An empty `pod_dir` (the `delete` command) starts no sentry.
std::unique_ptr<ContainerBackend> NewRuntimeBackend(const std::string& state_root,
                                                    const std::string& pod_dir = "");

// The pod directory for the shim listening on `shim_socket` (containerd's per-pod socket path).
std::string PodDirForShimSocket(const std::string& shim_socket);

// Kills a see-sentry recorded in `pod_dir` whose shim is gone (pid and start time must match)
// and removes the directory. Nothing when there is none.
void KillLeftoverSentry(const std::string& pod_dir);

// Removes the user namespace range claims (<pod_dir>/../.userns-<base>) a dead shim of `pod_dir`
// left; a claim whose lock is still held (a live shim) is kept.
void ReleaseLeftoverUsernsClaims(const std::string& pod_dir);

// Whether the bind source `source` is one of the pod's own volumes, which a pod user namespace
// always id-maps: the kubelet's for this pod (<kubelet>/pods/<pod_uid>/volumes/kubernetes.io~*/
// and <kubelet>/pods/<pod_uid>/etc-hosts) or containerd's files of this sandbox
// (.../io.containerd.grpc.v1.cri/sandboxes/<sandbox_id>/). The ids come from the CRI plugin's
// annotations; a path through a symlink or `..`, or another pod's, is not the pod's own.
bool PodOwnedVolume(const std::string& source, const std::string& sandbox_id,
                    const std::string& pod_uid);

// How a bind volume is id-mapped through the pod's user namespace `userns_fd`, probed on the
// host: "ridmap" when it is bound with its submounts (`recursive`, rbind) and every one of them
// can be, "idmap" (its top mount only) when that one can, "" when it cannot be (bound as it is).
std::string IdmapOption(const std::string& source, int userns_fd, bool recursive);

}  // namespace see::shim
