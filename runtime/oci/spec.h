// The OCI runtime configuration (config.json), runtime-spec 1.0.2 and 1.1, Linux only.
//
// ParseSpec() turns JSON text into a Spec and validates it. Every error names the offending field
// with its JSON path, e.g. `linux.namespaces[2].type: unknown namespace type "foo"`. Unknown keys
// are ignored (the spec allows extensions) except inside enumerations, where an unknown value is an
// error. Fields absent from the JSON keep the defaults below; std::optional marks fields whose
// absence means "leave the kernel's value alone". A JSON null counts as absent (as Go's decoder,
// which wrote most configs, treats it). Integers must be JSON integers within the field's C++
// range; floats and out-of-range values are errors. The parsers never throw and never abort on
// any input (they are fuzzed).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace see::oci {

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;  // ignored on Linux
  bool operator==(const User&) const = default;
};

struct Capabilities {
  // Names as in the spec ("CAP_SYS_ADMIN"). Validated against the known capability list.
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
  bool operator==(const Capabilities&) const = default;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  int resource = 0;  // the RLIMIT_* constant, resolved by the parser
  uint64_t soft = 0;
  uint64_t hard = 0;
  bool operator==(const Rlimit&) const = default;
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
  bool operator==(const ConsoleSize&) const = default;
};

// process.ioPriority (runtime-spec 1.1): ioprio_set(IOPRIO_WHO_PROCESS) before exec.
struct IoPriority {
  std::string io_class;  // "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE" or "IOPRIO_CLASS_IDLE"
  int priority = 0;      // 0..7
  bool operator==(const IoPriority&) const = default;
};

// process.scheduler (runtime-spec 1.1): sched_setattr(2) before exec.
struct Scheduler {
  std::string policy;  // "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO",
                       // "SCHED_IDLE", "SCHED_DEADLINE"
  std::optional<int32_t> nice, priority;
  std::vector<std::string> flags;  // "SCHED_FLAG_RESET_ON_FORK", ... (validated)
  std::optional<uint64_t> runtime, deadline, period;  // nanoseconds, SCHED_DEADLINE
  bool operator==(const Scheduler&) const = default;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;  // REQUIRED, non-empty for create/run (exec too)
  std::vector<std::string> env;
  std::string cwd = "/";  // REQUIRED, absolute
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int> oom_score_adj;
  std::string selinux_label;
  std::optional<IoPriority> io_priority;
  std::optional<Scheduler> scheduler;
  bool operator==(const Process&) const = default;
};

struct Root {
  std::string path;  // as written: relative to the bundle or absolute
  bool readonly = false;
  bool operator==(const Root&) const = default;
};

struct Mount {
  std::string destination;  // absolute inside the container
  std::string type;         // may be empty (bind mounts)
  std::string source;
  std::vector<std::string> options;  // raw, as in the spec
  // Id-mapped mount (runtime-spec 1.1): container id -> host id.
  struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
    bool operator==(const IdMapping&) const = default;
  };
  std::vector<IdMapping> uid_mappings, gid_mappings;
  bool operator==(const Mount&) const = default;
};

struct Hook {
  std::string path;  // absolute
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds, > 0
  bool operator==(const Hook&) const = default;
};

struct Hooks {
  std::vector<Hook> prestart;  // deprecated, still run (after createRuntime)
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
  bool operator==(const Hooks&) const = default;
};

enum class NamespaceType { kPid, kNetwork, kMount, kIpc, kUts, kUser, kCgroup, kTime };
const char* NamespaceTypeName(NamespaceType t);  // spec name: "pid", "network", ...
int NamespaceCloneFlag(NamespaceType t);         // CLONE_NEWPID, ...

struct Namespace {
  NamespaceType type;
  std::string path;  // empty: create a new one; else join
  bool operator==(const Namespace&) const = default;
};

using IdMapping = Mount::IdMapping;

struct Device {
  std::string path;  // absolute inside the container
  char type = 'c';   // 'c', 'b', 'u', 'p'
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  bool operator==(const Device&) const = default;
};

struct DeviceCgroupRule {
  bool allow = false;
  std::string type = "a";  // "a", "c", "b"
  std::optional<int64_t> major, minor;  // nullopt: wildcard
  std::string access;                   // subset of "rwm"
  bool operator==(const DeviceCgroupRule&) const = default;
};

struct MemoryResources {
  std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;
  std::optional<bool> use_hierarchy;
  std::optional<bool> check_before_update;  // 1.1: refuse a limit below current usage
  bool operator==(const MemoryResources&) const = default;
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus, mems;
  std::optional<int64_t> idle;
  bool operator==(const CpuResources&) const = default;
};

struct PidsResources {
  int64_t limit = 0;  // <= 0: unlimited
  bool operator==(const PidsResources&) const = default;
};

struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
  bool operator==(const WeightDevice&) const = default;
};
struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
  bool operator==(const ThrottleDevice&) const = default;
};
struct BlockIoResources {
  std::optional<uint16_t> weight, leaf_weight;
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> throttle_read_bps_device, throttle_write_bps_device,
      throttle_read_iops_device, throttle_write_iops_device;
  bool operator==(const BlockIoResources&) const = default;
};

struct HugepageLimit {
  std::string page_size;  // "2MB"
  uint64_t limit = 0;
  bool operator==(const HugepageLimit&) const = default;
};

struct NetworkResources {
  std::optional<uint32_t> class_id;
  std::vector<std::pair<std::string, uint32_t>> priorities;  // interface name, priority
  bool operator==(const NetworkResources&) const = default;
};

struct Resources {
  std::vector<DeviceCgroupRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  std::optional<BlockIoResources> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<NetworkResources> network;
  std::map<std::string, std::string> unified;  // cgroup v2 file -> value
  bool operator==(const Resources&) const = default;
};

enum class SeccompAction {
  kKill,         // SCMP_ACT_KILL (thread)
  kKillProcess,  // SCMP_ACT_KILL_PROCESS
  kKillThread,   // SCMP_ACT_KILL_THREAD
  kTrap,
  kErrno,
  kTrace,
  kAllow,
  kLog,
  kNotify,
};

enum class SeccompOp { kNotEqual, kLessThan, kLessEqual, kEqualTo, kGreaterEqual, kGreaterThan,
                       kMaskedEqual };

struct SeccompArg {
  uint32_t index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  SeccompOp op = SeccompOp::kEqualTo;
  bool operator==(const SeccompArg&) const = default;
};

struct SeccompSyscall {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::kAllow;
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
  bool operator==(const SeccompSyscall&) const = default;
};

struct Seccomp {
  SeccompAction default_action = SeccompAction::kAllow;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64", ...
  std::vector<std::string> flags;          // "SECCOMP_FILTER_FLAG_LOG", ...
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompSyscall> syscalls;
  bool operator==(const Seccomp&) const = default;
};

struct Personality {
  std::string domain;  // "LINUX" or "LINUX32"
  std::vector<std::string> flags;
  bool operator==(const Personality&) const = default;
};

enum class Propagation { kUnset, kPrivate, kRPrivate, kShared, kRShared, kSlave, kRSlave,
                         kUnbindable, kRUnbindable };

// linux.timeOffsets (runtime-spec 1.1): written to /proc/<pid>/timens_offsets of a new time
// namespace.
struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
  bool operator==(const TimeOffset&) const = default;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::vector<Device> devices;
  std::string cgroups_path;  // empty: runtime picks one
  std::optional<Resources> resources;
  std::vector<std::string> masked_paths, readonly_paths;
  std::map<std::string, std::string> sysctl;
  Propagation rootfs_propagation = Propagation::kUnset;
  std::optional<Seccomp> seccomp;
  std::optional<Personality> personality;
  std::string mount_label;
  std::map<std::string, TimeOffset> time_offsets;  // clock ("monotonic", "boottime") -> offset
  // linux.intelRdt: parsed so the runtime can refuse it (no RDT support) instead of silently
  // running without the requested cache/bandwidth partitioning.
  std::string intel_rdt_clos_id;
  std::string intel_rdt_l3_cache_schema;
  std::string intel_rdt_mem_bw_schema;
  bool operator==(const Linux&) const = default;
};

struct Spec {
  std::string oci_version;  // REQUIRED, any 1.x (later 1.x minors only add fields)
  std::optional<Process> process;  // REQUIRED for create/run
  std::optional<Root> root;        // REQUIRED on Linux
  std::string hostname, domainname;
  std::vector<Mount> mounts;
  std::optional<Hooks> hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;

  bool HasNamespace(NamespaceType t) const;
  const Namespace* FindNamespace(NamespaceType t) const;
  bool operator==(const Spec&) const = default;
};

// Parses and validates a whole config.json. Errors name the field: InvalidArgument.
Result<Spec> ParseSpec(std::string_view json);
// Reads `<bundle>/config.json` and parses it.
Result<Spec> LoadSpec(const std::string& bundle_dir);
// Parses a lone process object (`runsee exec --process process.json`). Error paths are relative
// to that document ("args: must not be empty").
Result<Process> ParseProcess(std::string_view json);
// Parses a lone LinuxResources object (`runsee update --resources r.json`, runc's format).
// Error paths are relative to that document ("memory.swappiness: ...").
Result<Resources> ParseResources(std::string_view json);

// Serialises back to JSON (for `runsee spec` and round-trip tests).
std::string SpecToJson(const Spec& spec);
// The default spec `runsee spec` writes (as runc's: sh, caps AUDIT_WRITE/KILL/NET_BIND_SERVICE,
// standard mounts, masked/readonly paths, namespaces pid/network/ipc/uts/mount[/cgroup]).
// `rootless` adds a user namespace with the caller's ids mapped.
Spec DefaultSpec(bool rootless = false);

// Capability name -> number (CAP_CHOWN -> 0). InvalidArgument for unknown names.
Result<int> CapabilityFromName(const std::string& name);
// All capability names this build knows, in number order.
const std::vector<std::string>& KnownCapabilities();

// Parses a mount's `options` into flags: MS_* set/cleared, propagation flags, recursive attrs and
// what remains as fs data ("size=65536k,mode=755"). Options are applied in order, so a later
// "rw" undoes an earlier "ro"; the last propagation option wins. Words it does not know are fs
// data, as in runc, so it fails only on an option that would corrupt the data string (one
// containing a NUL byte): InvalidArgument naming the option. Empty words are skipped.
struct MountFlags {
  unsigned long flags = 0;             // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...
  unsigned long propagation = 0;       // MS_SHARED/MS_PRIVATE/MS_SLAVE/MS_UNBINDABLE (+MS_REC)
  uint64_t attr_set = 0, attr_clr = 0; // MOUNT_ATTR_* for recursive options ("rro", "rnosuid"...)
  bool recursive_attrs = false;
  bool idmap = false;                  // "idmap"/"ridmap"
  bool recursive_idmap = false;        // "ridmap": id-map every submount of a recursive bind too
  bool tmpcopyup = false;              // "tmpcopyup": copy the directory's content into the tmpfs
  std::string data;                    // comma-joined unknown options, passed to mount(2)
  bool operator==(const MountFlags&) const = default;
};
Result<MountFlags> ParseMountOptions(const std::vector<std::string>& options);

}  // namespace see::oci
