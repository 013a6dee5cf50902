// The persisted record of one container under <root>/<id>/ and the runc-shaped `state` JSON.
//
// Layout of <root>/<id>/: state.json (written atomically), config.json (the spec as created, used
// by exec and hooks), exec.fifo (present while the init waits for `start`). Every mutating
// operation holds an exclusive flock on the directory (ContainerLock) so that separate runsee
// invocations on one id serialise.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see::runtime {

enum class ContainerStatus { kCreating, kCreated, kRunning, kPaused, kStopped };
const char* ContainerStatusName(ContainerStatus s);  // "created", "running", ...

struct ContainerState {
  std::string id;
  pid_t init_pid = 0;
  uint64_t init_start_time = 0;  // /proc/<pid>/stat starttime, guards against pid reuse
  std::string bundle;            // absolute
  std::string rootfs;            // absolute
  std::string created;           // RFC 3339 with nanoseconds, UTC
  std::string cgroup_path;       // as resolved by the cgroup manager
  std::string spec_cgroups_path; // as written in config.json
  // The creator's own cgroup per controller (cgroups::Hierarchy::self_paths) at create time:
  // relative cgroupsPath values resolve against it, so later calls from other cgroups (the shim,
  // a shell) reopen exactly the same directories.
  std::vector<std::pair<std::string, std::string>> creator_cgroups;
  bool own_pid_ns = false;       // init is pid 1 of its own pid namespace
  std::string owner;             // "" like runc for root
  // Sandbox::kSentry: the sentry serving the container's processes (exec'd ones register there
  // too). sentry_pid is set only when Create started that sentry itself (runsee: one per
  // container), so Delete stops it; a shim-provided sentry is the shim's to stop.
  std::string sandbox = "none";  // SandboxName()
  std::string sentry_socket;
  pid_t sentry_pid = 0;
  uint64_t sentry_start_time = 0;
  std::map<std::string, std::string> annotations;
};

std::string StateToJson(const ContainerState& s);
Result<ContainerState> StateFromJson(const std::string& json);

// runc's `state` output: ociVersion,id,pid,status,bundle,rootfs,created,owner[,annotations].
// pid is 0 when stopped, as runc prints it.
std::string RuncStateJson(const ContainerState& s, ContainerStatus status);
// The OCI state given to hooks on stdin: ociVersion,id,status,pid,bundle,annotations.
std::string OciStateJson(const ContainerState& s, const std::string& status, pid_t pid);

// Container ids: [A-Za-z0-9_+.-]+, not "." or "..", as runc validates them.
Status ValidateContainerId(const std::string& id);

// Current time in RFC 3339 with nanoseconds (UTC), as Go's time.RFC3339Nano prints it.
std::string NowRfc3339Nano();

// An exclusive flock on <root>/<id> held for the lifetime of the object.
class ContainerLock {
 public:
  // kNotFound if the container directory does not exist.
  static Result<ContainerLock> Acquire(const std::string& dir);
  ContainerLock(ContainerLock&&) = default;
  ContainerLock& operator=(ContainerLock&&) = default;

 private:
  explicit ContainerLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

Status SaveState(const std::string& dir, const ContainerState& s);
// kNotFound ("container <id> does not exist") when there is no state.
Result<ContainerState> LoadState(const std::string& dir);

}  // namespace see::runtime
