#include "runtime/linux/seccomp.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "base/file_util.h"
#include "base/logging.h"

namespace see::runtime {
namespace {

uint32_t ActionOf(oci::SeccompAction a, std::optional<uint32_t> errno_ret) {
  switch (a) {
    case oci::SeccompAction::kKill: return SCMP_ACT_KILL_THREAD;
    case oci::SeccompAction::kKillProcess: return SCMP_ACT_KILL_PROCESS;
    case oci::SeccompAction::kKillThread: return SCMP_ACT_KILL_THREAD;
    case oci::SeccompAction::kTrap: return SCMP_ACT_TRAP;
    case oci::SeccompAction::kErrno: return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
    case oci::SeccompAction::kTrace: return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    case oci::SeccompAction::kAllow: return SCMP_ACT_ALLOW;
    case oci::SeccompAction::kLog: return SCMP_ACT_LOG;
    case oci::SeccompAction::kNotify: return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare OpOf(oci::SeccompOp op) {
  switch (op) {
    case oci::SeccompOp::kNotEqual: return SCMP_CMP_NE;
    case oci::SeccompOp::kLessThan: return SCMP_CMP_LT;
    case oci::SeccompOp::kLessEqual: return SCMP_CMP_LE;
    case oci::SeccompOp::kEqualTo: return SCMP_CMP_EQ;
    case oci::SeccompOp::kGreaterEqual: return SCMP_CMP_GE;
    case oci::SeccompOp::kGreaterThan: return SCMP_CMP_GT;
    case oci::SeccompOp::kMaskedEqual: return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

Result<uint32_t> ArchOf(const std::string& name) {
  static const std::map<std::string, uint32_t> kArchs = {
      {"SCMP_ARCH_X86", SCMP_ARCH_X86},         {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
      {"SCMP_ARCH_X32", SCMP_ARCH_X32},         {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
      {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64}, {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
      {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},   {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
      {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},   {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
      {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32}, {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
      {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},     {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
      {"SCMP_ARCH_S390", SCMP_ARCH_S390},       {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
      {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
  };
  auto it = kArchs.find(name);
  if (it == kArchs.end()) return InvalidArgument("linux.seccomp.architectures: unknown " + name);
  return it->second;
}

Status Check(int rc, const std::string& what) {
  if (rc < 0) return ErrnoStatus(-rc, "seccomp: " + what);
  return Status::Ok();
}

}  // namespace

SeccompFilter::SeccompFilter(SeccompFilter&& o) noexcept
    : ctx_(std::exchange(o.ctx_, nullptr)), uses_notify_(o.uses_notify_) {}
SeccompFilter& SeccompFilter::operator=(SeccompFilter&& o) noexcept {
  if (this != &o) {
    if (ctx_) seccomp_release(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
    uses_notify_ = o.uses_notify_;
  }
  return *this;
}
SeccompFilter::~SeccompFilter() {
  if (ctx_) seccomp_release(ctx_);
}

Result<std::string> SeccompFilter::ExportBpf() const {
  UniqueFd mem(memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!mem) return ErrnoStatus("memfd_create");
  SEE_RETURN_IF_ERROR(Check(seccomp_export_bpf(ctx_, mem.get()), "export"));
  lseek(mem.get(), 0, SEEK_SET);
  return ReadAll(mem.get());
}

Result<UniqueFd> SeccompFilter::Load() {
  SEE_RETURN_IF_ERROR(Check(seccomp_load(ctx_), "load"));
  if (!uses_notify_) return UniqueFd();
  int fd = seccomp_notify_fd(ctx_);
  if (fd < 0) return ErrnoStatus(-fd, "seccomp: notify fd");
  return UniqueFd(fd);
}

Result<SeccompFilter> BuildSeccompFilter(const oci::Seccomp& p) {
  uint32_t def = ActionOf(p.default_action, p.default_errno_ret);
  scmp_filter_ctx ctx = seccomp_init(def);
  if (ctx == nullptr) return InvalidArgument("seccomp: invalid default action");
  SeccompFilter filter(ctx);
  for (const auto& a : p.architectures) {
    SEE_ASSIGN_OR_RETURN(uint32_t arch, ArchOf(a));
    int rc = seccomp_arch_add(ctx, arch);
    if (rc < 0 && rc != -EEXIST) SEE_RETURN_IF_ERROR(Check(rc, "arch " + a));
  }
  for (const auto& f : p.flags) {
    if (f == "SECCOMP_FILTER_FLAG_LOG") {
      SEE_RETURN_IF_ERROR(Check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1), f));
    } else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      SEE_RETURN_IF_ERROR(Check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1), f));
    } else if (f == "SECCOMP_FILTER_FLAG_TSYNC") {
      SEE_RETURN_IF_ERROR(Check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1), f));
    } else if (f == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
      spdlog::warn("seccomp flag {} is not supported by this libseccomp, ignored", f);
    } else {
      return InvalidArgument("linux.seccomp.flags: unknown flag " + f);
    }
  }
  // Generated code must not depend on libseccomp picking up /proc state etc.
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

  for (const auto& rule : p.syscalls) {
    uint32_t action = ActionOf(rule.action, rule.errno_ret);
    if (action == def) continue;
    if (rule.action == oci::SeccompAction::kNotify) filter.uses_notify_ = true;
    std::vector<scmp_arg_cmp> cmps;
    bool repeated_index = false;
    for (size_t i = 0; i < rule.args.size(); ++i) {
      const auto& a = rule.args[i];
      if (a.index > 5) return InvalidArgument("seccomp: argument index out of range");
      for (size_t j = 0; j < i; ++j) repeated_index |= rule.args[j].index == a.index;
      cmps.push_back(scmp_arg_cmp{a.index, OpOf(a.op), a.value, a.value_two});
    }
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        spdlog::debug("seccomp: unknown syscall {} skipped", name);
        continue;
      }
      if (cmps.empty()) {
        SEE_RETURN_IF_ERROR(Check(seccomp_rule_add(ctx, action, nr, 0), "rule " + name));
      } else if (!repeated_index) {
        SEE_RETURN_IF_ERROR(Check(
            seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.data()),
            "rule " + name));
      } else {
        for (const auto& c : cmps) {
          SEE_RETURN_IF_ERROR(Check(seccomp_rule_add_array(ctx, action, nr, 1, &c), "rule " + name));
        }
      }
    }
  }
  return filter;
}

std::string SeccompListenerMessage(const std::string& oci_state_json, pid_t pid,
                                   const std::string& metadata) {
  nlohmann::json j = {{"ociVersion", "1.0.2"},
                      {"fds", {"seccompFd"}},
                      {"pid", pid},
                      {"metadata", metadata},
                      {"state", nlohmann::json::parse(oci_state_json, nullptr, false)}};
  return j.dump();
}

}  // namespace see::runtime
