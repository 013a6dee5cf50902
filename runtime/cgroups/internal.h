// Pieces shared by the v1 and v2 managers and exercised directly by the unit tests: /proc
// parsing, path resolution, cgroupfs file access, stat-file parsers and the value conversions runc
// applies. Not part of the public cgroups API.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "runtime/cgroups/cgroup.h"

namespace see::cgroups::internal {

using KeyValues = std::vector<std::pair<std::string, uint64_t>>;

// Builds a Hierarchy from the text of /proc/self/mountinfo and /proc/self/cgroup. v1 wins when
// any v1 controller is mounted (hybrid hosts); NotFound when no cgroup mount is present.
Result<Hierarchy> HierarchyFromProc(std::string_view mountinfo, std::string_view proc_cgroup);

// The caller's own cgroup for `key` ("memory", "name=systemd"; v2: ""), "/" when unknown.
std::string SelfPath(const Hierarchy& h, std::string_view key);

// Lexically cleans `path` into an absolute path: duplicate slashes and "." dropped, ".." applied
// and clamped at "/" (as runc's CleanPath).
std::string CleanAbsolutePath(std::string_view path);

// The non-empty '/'-separated components of `path`.
std::vector<std::string> PathComponents(std::string_view path);

// Resolves config.json's cgroupsPath for one controller (see cgroup.h). Unimplemented for the
// systemd "slice:prefix:name" form; InvalidArgument when both are empty or `id` contains '/'.
Result<std::string> ResolvePath(const Hierarchy& h, std::string_view self_key,
                                const std::string& cgroups_path, const std::string& id);

// cgroupfs access. Writes use O_WRONLY|O_TRUNC (no O_CREAT: a missing file is a missing kernel
// feature, reported as NotFound). Errors name the file.
Status WriteCgroupFile(const std::string& dir, std::string_view file, std::string_view value);
// The contents without the trailing newline.
Result<std::string> ReadCgroupFile(const std::string& dir, std::string_view file);
Result<uint64_t> ReadCgroupUint(const std::string& dir, std::string_view file);
bool CgroupFileExists(const std::string& dir, std::string_view file);

// "123" -> 123, "max" -> UINT64_MAX; surrounding whitespace ignored. InvalidArgument otherwise.
Result<uint64_t> ParseUint(std::string_view s);
// "key value" lines (memory.stat, cpu.stat, memory.events, oom_control); bad lines skipped.
KeyValues ParseFlatKeyed(std::string_view text);
std::optional<uint64_t> FindKey(const KeyValues& kv, std::string_view key);
// Whitespace separated numbers (cpuacct.usage_percpu, cgroup.procs).
std::vector<uint64_t> ParseUintList(std::string_view text);
// v1 blkio.throttle.io_service_bytes / io_serviced: "8:0 Read 123" lines; "Total" skipped.
std::vector<BlkioEntry> ParseBlkioV1(std::string_view text);
// v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." into bytes and ios entries
// ("Read"/"Write"/"Discard").
void ParseIoStatV2(std::string_view text, std::vector<BlkioEntry>* bytes,
                   std::vector<BlkioEntry>* ios);

// Page sizes ("2MB") of the files "hugetlb.<size><suffix>" in `dir`, sorted.
std::vector<std::string> HugePageSizes(const std::string& dir, std::string_view suffix);

// Every pid in `dir`'s cgroup.procs and in all descendant cgroups.
Result<std::vector<pid_t>> ReadPidsRecursive(const std::string& dir);
// rmdir of `dir`'s descendants then `dir`, retrying EBUSY briefly. ENOENT is success;
// FailedPrecondition naming the path if a cgroup still holds processes.
Status RemoveCgroupTree(const std::string& dir);

// v1 devices.allow/devices.deny line: "c 1:3 rwm", "a *:* rwm".
std::string DeviceRuleV1(const oci::DeviceCgroupRule& rule);
// runc's shares -> cpu.weight: 1 + ((shares - 2) * 9999) / 262142; shares clamped to [2, 262144].
uint64_t CpuSharesToWeight(uint64_t shares);
// runc's blkio weight [10, 1000] -> io.weight [1, 10000].
uint64_t BlkioWeightToIoWeight(uint64_t weight);
// runc's v1 memory+swap -> v2 memory.swap.max: -1 stays "max"; otherwise swap - limit.
// InvalidArgument when swap is set without a memory limit or is below it.
Result<int64_t> SwapToV2(int64_t swap, int64_t limit);
// A `unified` key must name a file in the cgroup directory itself.
Status ValidateUnifiedKey(std::string_view key);
// "max" for negative values (runc's -1 = unlimited), the number otherwise.
std::string LimitString(int64_t v);

// Controllers the v1 manager knows, as (directory under the v1 root, key in /proc/self/cgroup).
const std::vector<std::pair<std::string, std::string>>& KnownV1Controllers();

// One cgroup directory: `dir` (absolute) lies under `mount`, the controller's (or cgroup2) mount.
struct CgroupDir {
  std::string controller;  // v1 directory name under the root ("memory"); "" for cgroup2
  std::string mount;
  std::string dir;
};

// The managers. `dirs`: one entry per v1 controller present on the host. `unified`: the same
// path in the hybrid cgroup2 mount; dir empty if none.
std::unique_ptr<Manager> NewV1Manager(std::string path, std::vector<CgroupDir> dirs,
                                      CgroupDir unified);
std::unique_ptr<Manager> NewV2Manager(std::string path, CgroupDir dir);

// mkdir of every component of `d.dir` below `d.mount`. With `enable_controllers` (v2), each
// parent first gets every controller of its cgroup.controllers enabled in cgroup.subtree_control
// (failures to enable are logged; Apply then names the missing file).
Status CreateV2Path(const CgroupDir& d, bool enable_controllers);

// KillAll by listing: freezes `m` when `can_freeze` (best-effort), signals every pid, thaws; with
// SIGKILL repeats until the cgroup is empty (bounded, kDeadlineExceeded).
Status SignalAllProcesses(Manager& m, bool can_freeze, int sig);
// Polls m.Pids() until empty (bounded, kDeadlineExceeded).
Status WaitUntilEmpty(Manager& m);

}  // namespace see::cgroups::internal
