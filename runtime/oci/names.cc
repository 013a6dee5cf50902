#include "runtime/oci/names.h"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>

namespace see::oci::internal {
namespace {

constexpr NamedValue<int> kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

constexpr NamedValue<NamespaceType> kNamespaces[] = {
    {"pid", NamespaceType::kPid}, {"network", NamespaceType::kNetwork},
    {"mount", NamespaceType::kMount}, {"ipc", NamespaceType::kIpc},
    {"uts", NamespaceType::kUts}, {"user", NamespaceType::kUser},
    {"cgroup", NamespaceType::kCgroup}, {"time", NamespaceType::kTime},
};

constexpr NamedValue<SeccompAction> kSeccompActions[] = {
    {"SCMP_ACT_KILL", SeccompAction::kKill},
    {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess},
    {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
    {"SCMP_ACT_TRAP", SeccompAction::kTrap},
    {"SCMP_ACT_ERRNO", SeccompAction::kErrno},
    {"SCMP_ACT_TRACE", SeccompAction::kTrace},
    {"SCMP_ACT_ALLOW", SeccompAction::kAllow},
    {"SCMP_ACT_LOG", SeccompAction::kLog},
    {"SCMP_ACT_NOTIFY", SeccompAction::kNotify},
};

constexpr NamedValue<SeccompOp> kSeccompOps[] = {
    {"SCMP_CMP_NE", SeccompOp::kNotEqual},     {"SCMP_CMP_LT", SeccompOp::kLessThan},
    {"SCMP_CMP_LE", SeccompOp::kLessEqual},    {"SCMP_CMP_EQ", SeccompOp::kEqualTo},
    {"SCMP_CMP_GE", SeccompOp::kGreaterEqual}, {"SCMP_CMP_GT", SeccompOp::kGreaterThan},
    {"SCMP_CMP_MASKED_EQ", SeccompOp::kMaskedEqual},
};

constexpr NamedValue<Propagation> kPropagations[] = {
    {"private", Propagation::kPrivate},       {"rprivate", Propagation::kRPrivate},
    {"shared", Propagation::kShared},         {"rshared", Propagation::kRShared},
    {"slave", Propagation::kSlave},           {"rslave", Propagation::kRSlave},
    {"unbindable", Propagation::kUnbindable}, {"runbindable", Propagation::kRUnbindable},
};

// The architectures libseccomp 2.5 and the runtime-spec know.
constexpr std::string_view kSeccompArchs[] = {
    "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",      "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",      "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_S390",     "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64",  "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",      "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",
};

constexpr std::string_view kSeccompFlags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

constexpr std::string_view kIoPriorityClasses[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                                   "IOPRIO_CLASS_IDLE"};

constexpr std::string_view kSchedulerPolicies[] = {"SCHED_OTHER", "SCHED_FIFO",  "SCHED_RR",
                                                   "SCHED_BATCH", "SCHED_ISO",   "SCHED_IDLE",
                                                   "SCHED_DEADLINE"};

constexpr std::string_view kSchedulerFlags[] = {
    "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",        "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",    "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
};

// The clocks a time namespace can offset (timens_offsets accepts only these two).
constexpr std::string_view kTimeNamespaceClocks[] = {"monotonic", "boottime"};

}  // namespace

std::span<const std::string_view> IoPriorityClassNames() { return kIoPriorityClasses; }
std::span<const std::string_view> SchedulerPolicyNames() { return kSchedulerPolicies; }
std::span<const std::string_view> SchedulerFlagNames() { return kSchedulerFlags; }
std::span<const std::string_view> TimeNamespaceClockNames() { return kTimeNamespaceClocks; }
std::span<const NamedValue<int>> RlimitNames() { return kRlimits; }
std::span<const NamedValue<NamespaceType>> NamespaceNames() { return kNamespaces; }
std::span<const NamedValue<SeccompAction>> SeccompActionNames() { return kSeccompActions; }
std::span<const NamedValue<SeccompOp>> SeccompOpNames() { return kSeccompOps; }
std::span<const NamedValue<Propagation>> PropagationNames() { return kPropagations; }
std::span<const std::string_view> SeccompArchNames() { return kSeccompArchs; }
std::span<const std::string_view> SeccompFlagNames() { return kSeccompFlags; }

bool Contains(std::span<const std::string_view> words, std::string_view w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

}  // namespace see::oci::internal

namespace see::oci {

const char* NamespaceTypeName(NamespaceType t) {
  std::string_view name = internal::NameOf<NamespaceType>(internal::NamespaceNames(), t);
  // Table names are literals, so data() is NUL-terminated.
  return name.empty() ? "unknown" : name.data();
}

int NamespaceCloneFlag(NamespaceType t) {
  switch (t) {
    case NamespaceType::kPid: return CLONE_NEWPID;
    case NamespaceType::kNetwork: return CLONE_NEWNET;
    case NamespaceType::kMount: return CLONE_NEWNS;
    case NamespaceType::kIpc: return CLONE_NEWIPC;
    case NamespaceType::kUts: return CLONE_NEWUTS;
    case NamespaceType::kUser: return CLONE_NEWUSER;
    case NamespaceType::kCgroup: return CLONE_NEWCGROUP;
    case NamespaceType::kTime: return CLONE_NEWTIME;
  }
  return 0;
}

}  // namespace see::oci
