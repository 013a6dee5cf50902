// PodViews: /proc and /sys files, sysinfo(2) and CPU counts as the pod's cgroup limits make them
// (ARCHITECTURE "Security model" 5), so the JVM, Python, Go and nproc size their pools from the pod,
// not from the host.
//
// The limits are read from the pod's (or container's) cgroup directories on every call (a few small
// file reads; no caching, so an update of the limits shows at the next open):
//   memory: v1 memory.limit_in_bytes / memory.usage_in_bytes, v2 memory.max / memory.current
//           (memory.stat's inactive_file counts as reclaimable for MemAvailable)
//   cpu:    v1 cpu.cfs_quota_us / cpu.cfs_period_us, v2 cpu.max;
//           usage from v1 cpuacct.usage or v2 cpu.stat usage_usec (for the idle figure of uptime)
//   tasks:  v1 tasks or v2 cgroup.threads (sysinfo procs, loadavg's total)
// Missing files mean "no limit": the host's value is used. A limit is never more than the host's.
//
// Rendering is pure: it takes the host's own text (read from the real file the caller opened) and
// the limits, so it is unit-tested with fixed inputs.
//
// Thread safety: PodViews is immutable; every method may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace see::sentry {

struct PodViewConfig {
  std::string memory_cgroup;  // memory controller directory (v1) or the unified directory (v2)
  std::string cpu_cgroup;     // cpu controller directory (v1; cpuacct is read beside it) or v2
  // CLOCK_BOOTTIME seconds at which the pod started (uptime counts from there).
  double start_boottime = 0;
};

// What the host has, as the sentry sees it.
struct HostInfo {
  uint64_t mem_total = 0;  // bytes
  int cpus = 1;            // CPUs the sentry may run on
  double boottime = 0;     // CLOCK_BOOTTIME seconds now
  double loads[3] = {0, 0, 0};
};

struct PodLimits {
  uint64_t mem_total = 0;      // bytes: the limit capped at the host's
  uint64_t mem_free = 0;       // mem_total - usage
  uint64_t mem_available = 0;  // mem_free + reclaimable page cache, at most mem_total
  int cpus = 1;                // ceil(quota / period), 1 .. host cpus
  double uptime = 0;           // seconds since the pod started
  double cpu_usage = 0;        // seconds of CPU the pod used (0 if unknown)
  int tasks = -1;              // threads in the cgroup, -1 if unknown
  // The pod's own figure (bytes) for a /proc/meminfo line ("Cached:", "Buffers:", "Shmem:"...),
  // from its memory.stat; none for a line memory.stat has no figure for, or when the pod's
  // memory.stat can not be read. Page cache and reclaimable slab never exceed what the pod uses
  // (mem_total - mem_free): tools compute "used" as MemTotal - MemFree - Buffers - Cached -
  // SReclaimable, which the host's figures would make negative.
  std::vector<std::pair<std::string_view, uint64_t>> mem_figures;
  std::optional<uint64_t> MemFigure(std::string_view meminfo_key) const;
};

// The view files, by their path under the container root.
enum class ViewFile : uint8_t {
  kNone,
  kMeminfo,      // proc/meminfo
  kCpuinfo,      // proc/cpuinfo
  kStat,         // proc/stat
  kUptime,       // proc/uptime
  kLoadavg,      // proc/loadavg
  kCpuOnline,    // sys/devices/system/cpu/online
  kCpuPossible,  // sys/devices/system/cpu/possible
  kMountinfo,    // proc/<pid>[/task/<tid>]/mountinfo: no host paths (see RenderMountinfo)
  kMounts,       // proc/<pid>[/task/<tid>]/mounts
};

// The mount tables as the container may see them: overlay's lowerdir=/upperdir=/workdir= options
// (host paths of the image layers) are dropped, and mountinfo's "root" field (the path of a bind
// mount's source inside its file system: host directories of volumes) reads "/".
std::string RenderMountinfo(std::string_view host_text);
std::string RenderMounts(std::string_view host_text);

// `root_relative` as PathResolver::RootRelative returns it ("proc/meminfo").
ViewFile ClassifyViewPath(std::string_view root_relative);

// Reads the host's figures (sysinfo, sched_getaffinity, CLOCK_BOOTTIME).
HostInfo ReadHostInfo();

class PodViews {
 public:
  explicit PodViews(PodViewConfig config) : config_(std::move(config)) {}

  // The limits now. Never fails: unreadable files fall back to the host's figures.
  PodLimits Limits(const HostInfo& host) const;

  const PodViewConfig& config() const { return config_; }

 private:
  PodViewConfig config_;
};

// The content of `file` for a pod with `limits`, given `host_text`, the host file's own content
// (used for the lines that are not limits: cpuinfo model fields, the non-CPU lines of stat...).
std::string RenderViewFile(ViewFile file, std::string_view host_text, const PodLimits& limits,
                           const HostInfo& host);

// The cpu list "0-(n-1)" ("0" for one CPU), newline-terminated, as sysfs prints it.
std::string CpuListText(int n);

}  // namespace see::sentry
