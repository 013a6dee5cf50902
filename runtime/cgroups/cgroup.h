// cgroups for one container: v1 (one directory per controller, hybrid hosts like this one) and v2
// (unified). Both behind one interface so the lifecycle code never branches on the version.
//
// Paths: `cgroups_path` from config.json. An absolute path ("/kubepods/pod1/c1") is relative to
// the hierarchy's root (each v1 controller's mount, or the v2 mount). A relative path is relative
// to the cgroup of the calling process, per controller (as runc: with this process in
// memory:/a/b and cpu:/, "t1" is memory:/a/b/t1 and cpu:/t1). Empty: the relative path "<id>",
// as runc does. ".." is applied lexically and clamped at the root. The systemd driver's
// "slice:prefix:name" form is refused (kUnimplemented, "systemd cgroup driver not supported yet").
//
// Hybrid v1 hosts with a cgroup2 mount beside the controllers (/sys/fs/cgroup/unified): the same
// path is also created there and processes join it, best-effort (failures are logged), as runc.
//
// Device rules: v1 writes devices.allow/deny in order; v2 compiles the same rules (with v1
// semantics) into an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program attached with BPF_F_ALLOW_MULTI,
// replacing the programs attached to the container's cgroup before.
//
// Thread safety: none; one Manager per container, used by one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "runtime/oci/spec.h"

namespace see::cgroups {

enum class Version { kV1, kV2 };

// Where the hierarchies are. Detect() reads the host's /proc/self/mountinfo; tests build one that
// points into a temporary fake tree.
struct Hierarchy {
  Version version = Version::kV2;
  // v2: the unified mount (e.g. /sys/fs/cgroup). v1: parent of the controller mounts, each at
  // `<root>/<controller>` (cpu, cpuacct, cpuset, memory, devices, freezer, blkio, pids, hugetlb,
  // net_cls, net_prio, perf_event, ...), as /sys/fs/cgroup on Debian.
  std::string root;
  // v1 only: a cgroup2 mount beside the v1 controllers (hybrid), e.g. /sys/fs/cgroup/unified;
  // empty if none.
  std::string unified_root;
  // The calling process's own cgroup path per controller (v2: under key ""), from
  // /proc/self/cgroup; used to resolve relative cgroups_path.
  std::vector<std::pair<std::string, std::string>> self_paths;
};

Result<Hierarchy> DetectHierarchy();

struct MemoryStats {
  // Unlimited ("max") reads as UINT64_MAX. v2 failcnt: memory.events "max".
  uint64_t usage = 0, max_usage = 0, limit = 0, failcnt = 0;
  uint64_t swap_usage = 0, swap_limit = 0;
  uint64_t cache = 0, rss = 0;  // v1 names; v2: file, anon
  uint64_t oom_kill = 0;        // v2 memory.events oom_kill / v1 memory.oom_control oom_kill
  std::vector<std::pair<std::string, uint64_t>> raw;  // memory.stat key/values as read
};

struct CpuStats {
  uint64_t usage_ns = 0, user_ns = 0, system_ns = 0;
  std::vector<uint64_t> per_cpu_ns;  // v1 only
  uint64_t nr_periods = 0, nr_throttled = 0, throttled_ns = 0;
};

struct PidsStats {
  uint64_t current = 0;
  uint64_t limit = 0;  // 0: max
};

struct BlkioEntry {
  uint64_t major = 0, minor = 0;
  std::string op;  // "Read", "Write", ...
  uint64_t value = 0;
};

struct HugetlbStats {
  std::string page_size;
  uint64_t usage = 0, max = 0, failcnt = 0;
};

struct Stats {
  Version version = Version::kV2;
  CpuStats cpu;
  MemoryStats memory;
  PidsStats pids;
  std::vector<BlkioEntry> io_service_bytes, io_serviced;
  std::vector<HugetlbStats> hugetlb;
};

enum class FreezerState { kThawed, kFreezing, kFrozen };

class Manager {
 public:
  virtual ~Manager() = default;

  virtual Version version() const = 0;
  // The container's path inside the hierarchy ("/kubepods/pod1/c1"). v1 with a relative
  // cgroupsPath, where controllers can differ: the path in the memory controller.
  virtual const std::string& path() const = 0;
  // The host directory holding `controller`'s files ("memory", "cpu"): v1 the controller's
  // directory for this cgroup ("" when the host lacks the controller), v2 the unified directory.
  virtual std::string ControllerDir(const std::string& controller) const = 0;

  // Creates the directories (mkdir -p) for every controller. Idempotent.
  virtual Status Create() = 0;
  // Moves `pid` into the cgroup (every v1 controller).
  virtual Status AddProcess(pid_t pid) = 0;
  // Writes every resource present in `r`; absent fields are left alone. Used at create and by
  // `update`. v1 memory: limit is written before/after swap in the order the kernel accepts.
  // Unsupported on this host (e.g. hugetlb controller missing) with a non-zero value: error.
  virtual Status Apply(const oci::Resources& r) = 0;

  virtual Status Freeze() = 0;  // returns once the cgroup reports frozen (bounded wait)
  virtual Status Thaw() = 0;
  virtual Result<FreezerState> GetFreezerState() = 0;

  // Every pid in the cgroup and its descendants.
  virtual Result<std::vector<pid_t>> Pids() = 0;
  virtual Result<Stats> GetStats() = 0;

  // A non-blocking fd that becomes readable when an OOM kill happens in the cgroup. v1: an eventfd
  // registered through cgroup.event_control on memory.oom_control (it also fires once when the
  // cgroup is removed); v2: a non-blocking inotify fd watching memory.events (the caller drains it, then
  // compares OomKillCount()). kNotFound when there is no memory controller for this cgroup.
  virtual Result<UniqueFd> OpenOomNotifier() = 0;
  virtual Result<uint64_t> OomKillCount() = 0;

  // Signals every process in the cgroup and its descendants (v2 with sig == SIGKILL: cgroup.kill
  // when present). Otherwise the cgroup is frozen first (when a freezer is available) so that no
  // process forks between listing and signalling. With SIGKILL, waits (bounded, ~5 s) until the
  // cgroup is empty; kDeadlineExceeded if processes remain.
  virtual Status KillAll(int sig) = 0;

  // Removes the directories, deepest first. Fails with kFailedPrecondition if processes remain
  // after a short retry (rmdir gives EBUSY). Missing directories are fine.
  virtual Status Destroy() = 0;
};

// `cgroups_path` as in config.json; `id` is used when it is empty.
Result<std::unique_ptr<Manager>> NewManager(const Hierarchy& h, const std::string& cgroups_path,
                                            const std::string& id);

}  // namespace see::cgroups
