#include "runtime/cgroups/devices_bpf.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"

namespace see::cgroups::internal {
namespace {

constexpr uint32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

Result<uint32_t> ParseAccess(const std::string& access) {
  if (access.empty()) return kAllAccess;
  uint32_t bits = 0;
  for (char c : access) {
    switch (c) {
      case 'r': bits |= BPF_DEVCG_ACC_READ; break;
      case 'w': bits |= BPF_DEVCG_ACC_WRITE; break;
      case 'm': bits |= BPF_DEVCG_ACC_MKNOD; break;
      default: return InvalidArgument("device rule: bad access \"" + access + "\"");
    }
  }
  return bits;
}

Result<std::optional<uint32_t>> DeviceNumber(const std::optional<int64_t>& n, const char* what) {
  if (!n || *n == -1) return std::optional<uint32_t>();  // -1: wildcard, as runc
  if (*n < 0 || *n > UINT32_MAX) {
    return InvalidArgument(std::string("device rule: bad ") + what + " " + std::to_string(*n));
  }
  return std::optional<uint32_t>(static_cast<uint32_t>(*n));
}

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn LoadCtxWord(uint8_t dst, int16_t off) {
  return Insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0);
}
bpf_insn MovReg(uint8_t dst, uint8_t src) { return Insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn MovImm(uint8_t dst, int32_t imm) { return Insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn AndImm(uint8_t dst, int32_t imm) { return Insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm); }
bpf_insn RshImm(uint8_t dst, int32_t imm) { return Insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm); }
// 32-bit compare: device numbers are u32 and a 64-bit compare would sign-extend the immediate.
bpf_insn JneImm32(uint8_t dst, int32_t imm) { return Insn(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, 0, imm); }
bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

long Bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

}  // namespace

Result<DevicePolicy> EmulateV1DeviceRules(const std::vector<oci::DeviceCgroupRule>& rules) {
  DevicePolicy p;
  for (const oci::DeviceCgroupRule& r : rules) {
    const std::string type = r.type.empty() ? "a" : r.type;
    if (type == "a") {
      // As v1: "a" resets the default and drops every exception.
      p.default_allow = r.allow;
      p.exceptions.clear();
      continue;
    }
    if (type != "c" && type != "b") {
      return InvalidArgument("device rule: bad type \"" + type + "\"");
    }
    SEE_ASSIGN_OR_RETURN(uint32_t access, ParseAccess(r.access));
    SEE_ASSIGN_OR_RETURN(std::optional<uint32_t> major, DeviceNumber(r.major, "major"));
    SEE_ASSIGN_OR_RETURN(std::optional<uint32_t> minor, DeviceNumber(r.minor, "minor"));
    auto same = [&](const DeviceException& e) {
      return e.type == type[0] && e.major == major && e.minor == minor;
    };
    if (r.allow == p.default_allow) {
      // Agrees with the default: narrows an existing exception, as v1's dev_exception_rm.
      for (auto it = p.exceptions.begin(); it != p.exceptions.end();) {
        if (same(*it)) it->access &= ~access;
        it = it->access == 0 ? p.exceptions.erase(it) : it + 1;
      }
      continue;
    }
    bool merged = false;
    for (DeviceException& e : p.exceptions) {
      if (same(e)) {
        e.access |= access;
        merged = true;
      }
    }
    if (!merged) p.exceptions.push_back({type[0], major, minor, access});
  }
  return p;
}

std::vector<bpf_insn> DeviceFilterProgram(const DevicePolicy& policy) {
  // r2 = device type, r3 = requested access, r4 = major, r5 = minor.
  std::vector<bpf_insn> prog = {
      LoadCtxWord(BPF_REG_2, offsetof(bpf_cgroup_dev_ctx, access_type)),
      MovReg(BPF_REG_3, BPF_REG_2),
      RshImm(BPF_REG_3, 16),
      AndImm(BPF_REG_2, 0xffff),
      LoadCtxWord(BPF_REG_4, offsetof(bpf_cgroup_dev_ctx, major)),
      LoadCtxWord(BPF_REG_5, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (const DeviceException& e : policy.exceptions) {
    // Each test jumps past the block when it does not match; offsets are patched at the end.
    std::vector<bpf_insn> block;
    std::vector<size_t> skips;
    block.push_back(JneImm32(BPF_REG_2, e.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    skips.push_back(block.size() - 1);
    if (e.access != kAllAccess) {
      // Matches only if every requested bit is granted by the exception.
      block.push_back(MovReg(BPF_REG_6, BPF_REG_3));
      block.push_back(AndImm(BPF_REG_6, static_cast<int32_t>(~e.access & kAllAccess)));
      block.push_back(JneImm32(BPF_REG_6, 0));
      skips.push_back(block.size() - 1);
    }
    if (e.major) {
      block.push_back(JneImm32(BPF_REG_4, static_cast<int32_t>(*e.major)));
      skips.push_back(block.size() - 1);
    }
    if (e.minor) {
      block.push_back(JneImm32(BPF_REG_5, static_cast<int32_t>(*e.minor)));
      skips.push_back(block.size() - 1);
    }
    block.push_back(MovImm(BPF_REG_0, policy.default_allow ? 0 : 1));
    block.push_back(Exit());
    for (size_t i : skips) block[i].off = static_cast<int16_t>(block.size() - i - 1);
    prog.insert(prog.end(), block.begin(), block.end());
  }
  prog.push_back(MovImm(BPF_REG_0, policy.default_allow ? 1 : 0));
  prog.push_back(Exit());
  return prog;
}

Status AttachDeviceFilter(const std::string& cgroup_dir,
                          const std::vector<oci::DeviceCgroupRule>& rules) {
  SEE_ASSIGN_OR_RETURN(DevicePolicy policy, EmulateV1DeviceRules(rules));
  std::vector<bpf_insn> prog = DeviceFilterProgram(policy);

  UniqueFd cgroup(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) return ErrnoStatus("open " + cgroup_dir);

  // The programs attached so far, detached once the new one is in place (never a gap).
  uint32_t old_ids[64];
  uint32_t old_count = 0;
  {
    bpf_attr q{};
    q.query.target_fd = static_cast<uint32_t>(cgroup.get());
    q.query.attach_type = BPF_CGROUP_DEVICE;
    q.query.prog_ids = reinterpret_cast<uint64_t>(old_ids);
    q.query.prog_cnt = 64;
    if (Bpf(BPF_PROG_QUERY, &q) != 0) return ErrnoStatus("BPF_PROG_QUERY " + cgroup_dir);
    old_count = q.query.prog_cnt;
  }

  static const char kLicense[] = "Apache-2.0";
  std::string log(64 * 1024, '\0');
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  load.log_buf = reinterpret_cast<uint64_t>(log.data());
  load.log_size = static_cast<uint32_t>(log.size());
  load.log_level = 1;
  UniqueFd prog_fd(static_cast<int>(Bpf(BPF_PROG_LOAD, &load)));
  if (!prog_fd) {
    return ErrnoStatus("loading the device filter: " + std::string(log.c_str()));
  }

  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(cgroup.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attach) != 0) {
    return ErrnoStatus("attaching the device filter to " + cgroup_dir);
  }

  for (uint32_t i = 0; i < old_count && i < 64; ++i) {
    bpf_attr get{};
    get.prog_id = old_ids[i];
    UniqueFd old(static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, &get)));
    if (!old) {
      if (errno == ENOENT) continue;
      return ErrnoStatus("BPF_PROG_GET_FD_BY_ID");
    }
    bpf_attr detach{};
    detach.target_fd = static_cast<uint32_t>(cgroup.get());
    detach.attach_bpf_fd = static_cast<uint32_t>(old.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (Bpf(BPF_PROG_DETACH, &detach) != 0 && errno != ENOENT) {
      return ErrnoStatus("detaching the previous device filter from " + cgroup_dir);
    }
  }
  return Status::Ok();
}

}  // namespace see::cgroups::internal
