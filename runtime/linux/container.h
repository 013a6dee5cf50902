// The container lifecycle as a library: what `runsee <verb>` does, callable from the shim.
//
// Every call takes the state root (RuntimeOptions::root) and works on <root>/<id>/ under an
// exclusive lock, so separate processes cooperate. Failures leave nothing behind: create rolls
// back (kills the init, removes the cgroup and the state directory; all mounts live in the
// container's mount namespace and vanish with it).
//
// Processes: the container's init and exec'd processes become children of the CALLER (they are
// cloned with CLONE_PARENT from a re-exec'd helper). A caller that exits leaves them to its
// subreaper, exactly like runc's `create`. With RuntimeOptions::pod_init_fd the helper is started
// by the pod's see-sentry instead, whose children they then are.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/child_process.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "runtime/cgroups/cgroup.h"
#include "runtime/linux/state.h"
#include "runtime/oci/spec.h"

namespace see::runtime {

struct RuntimeOptions {
  std::string root = "/run/runsee";
  // The binary re-executed as `<init_path> init <fd-base>` (see init.h). The default works for
  // any binary that calls RunInitMain.
  std::string init_path = "/proc/self/exe";
  // The see-sentry binary. Empty: `see-sentry` beside the running executable, then $PATH.
  std::string sentry_path;
  // A pod init's control socket (SentryProcess::control): set-up helpers are started by the pod
  // init instead of forked here, so container processes become its children, not the caller's
  // (it reaps them and reports their exits on that socket). The caller's fds 0-2 and preserved
  // fds go with the request. -1: the caller's children, as with runc.
  int pod_init_fd = -1;
};

// How a container's processes run.
//   kSentry: under sentry-lite. Right before execve the container process installs the syscall
//            filter of sentry-lite/syscalls (after any OCI seccomp profile, which therefore stays
//            on top) and registers its listener and its root with a see-sentry, which serves the
//            sentry-class calls. Installing the filter sets no_new_privs.
//   kNone:   the plain runc-like path (for comparison; `runsee --sandbox=none`).
enum class Sandbox { kSentry, kNone };
const char* SandboxName(Sandbox s);  // "sentry", "none"

// A running see-sentry that serves every container process registering on `socket`.
struct SentryProcess {
  ChildProcess process;
  std::string socket;
  // A pod init's control socket (SentryOptions::pod_init): kSpawn goes out (RuntimeOptions::
  // pod_init_fd), kExit comes back. Closing it (or the owner dying) stops the sentry and kills
  // what is left of the pod.
  UniqueFd control;
};
struct SentryOptions {
  std::string socket_path;
  // runsee's sentry per container: it exits by itself once every process it served is gone.
  // Otherwise the sentry is the pod's init (the shim's sentry per pod): the parent of the pod's
  // container processes, which it reaps and reports over `SentryProcess::control`
  // (sentry-lite/sentry/pod_init.h); it serves until killed or the control socket is closed.
  bool exit_when_idle = false;
  // A pod's user namespace to serve from, after joining the network namespace `netns_fd` if
  // given (the pod's: its /proc/sys/net then shows the pod's, which a sentry inside the user
  // namespace could not enter later; sentry-lite/sentry/serve.h).
  int userns_fd = -1;
  int netns_fd = -1;
};
// Starts `see-sentry serve --socket <socket_path>` as a child of the caller, in its own session,
// stdin/stdout on /dev/null and stderr appended to `<socket_path>.log`, no other fd inherited.
// Returns once the socket accepts registrations. Safe to call from a multi-threaded process (only
// async-signal-safe calls between fork and exec).
Result<SentryProcess> StartSentry(const RuntimeOptions& rt, const SentryOptions& options);

struct CreateOptions {
  std::string id;
  std::string bundle;          // relative paths are made absolute
  std::string pid_file;        // optional; written atomically once the init waits for start
  std::string console_socket;  // required when process.terminal
  int preserve_fds = 0;        // fds 3..3+N-1 of the caller pass to the container
  bool no_pivot = false;
  bool no_new_keyring = false;  // accepted; no session keyring is created either way
  Sandbox sandbox = Sandbox::kSentry;
  // kSentry: the socket of a running sentry to register with (the shim's one sentry per pod).
  // Empty: Create starts a sentry for this container alone (StartSentry with exit_when_idle) and
  // Delete stops it. Exec'd processes register with the same sentry as the init (stored in state).
  std::string sentry_socket;
};

// Returns the init's pid (in the caller's pid namespace). The init is blocked before user code.
Result<pid_t> Create(const RuntimeOptions& rt, const CreateOptions& o);

// Makes `spec` (a config.json) join the namespace of `type` ("user", "network") that this process
// holds as `fd`: the type's entry in linux.namespaces gets the path /proc/<this pid>/fd/<fd> (an
// entry is added when there is none). The container's init opens it while the fd is held.
void JoinHeldNamespace(nlohmann::json& spec, std::string_view type, int fd);
// kFailedPrecondition unless the container is created; runs poststart hooks (failures warn).
Status Start(const RuntimeOptions& rt, const std::string& id);

struct ContainerInfo {
  ContainerState state;
  ContainerStatus status = ContainerStatus::kStopped;
};
Result<ContainerInfo> GetState(const RuntimeOptions& rt, const std::string& id);
// Every container under the root (unreadable entries skipped).
std::vector<ContainerInfo> List(const RuntimeOptions& rt);

// Signals the init (pidfd, verified start time); `all` signals every process in the cgroup.
// kFailedPrecondition when the container is stopped (as runc: "container not running").
Status Kill(const RuntimeOptions& rt, const std::string& id, int sig, bool all);
// Stopped or created containers are deleted; running/paused ones only with `force` (SIGKILL to
// all, then wait). Removes the cgroup and the state dir, then runs poststop hooks (warn only).
Status Delete(const RuntimeOptions& rt, const std::string& id, bool force);

struct ExecOptions {
  std::string id;
  std::string process_json;  // an OCI process object
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
};
// Starts a process in the running container; returns once it has exec'd (its pid). The caller
// reaps it (it is the caller's child; with RuntimeOptions::pod_init_fd, the pod init's).
Result<pid_t> Exec(const RuntimeOptions& rt, const ExecOptions& o);

Status Pause(const RuntimeOptions& rt, const std::string& id);
Status Resume(const RuntimeOptions& rt, const std::string& id);
Result<std::vector<pid_t>> Pids(const RuntimeOptions& rt, const std::string& id);
Status Update(const RuntimeOptions& rt, const std::string& id, const oci::Resources& r);
Result<cgroups::Stats> Stats(const RuntimeOptions& rt, const std::string& id);
// The container's cgroup manager (for events: OOM notifier, stats).
Result<std::unique_ptr<cgroups::Manager>> OpenCgroup(const RuntimeOptions& rt,
                                                     const std::string& id);
// The container's config.json as stored at create.
Result<std::string> StoredSpecJson(const RuntimeOptions& rt, const std::string& id);

// Blocks until `pid` (a child of the caller) exits while forwarding every catchable signal the
// caller receives to it; returns the exit code (128+signal when killed). Used by `run` and `exec`
// in the foreground.
Result<int> WaitForwardingSignals(pid_t pid);

}  // namespace see::runtime
