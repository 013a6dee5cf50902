// Fuzzes the OCI seccomp profile path end to end: linux.seccomp as parsed by ParseSpec, compiled
// by BuildSeccompFilter (libseccomp) and exported as the classic BPF program the kernel would get.
//
// Besides "no crash, no hang", two contracts are checked on whatever compiles:
//   1. the exported program is well formed (non-empty, at most BPF_MAXINSNS instructions would be
//      the kernel's limit but longer is a load-time error, not a bug; every jump stays inside the
//      program; every path ends in a return), so a profile can never hand the kernel a program
//      that the verifier would have to save us from;
//   2. the program does what the profile says for x86-64: a syscall named only by argument-less
//      rules of one action gets that action, and a syscall named by no rule gets the default.
//      The program is run by the small interpreter below on a seccomp_data for each number.
//
// Input: the JSON value of linux.seccomp (the fuzzer does not have to discover the spec around
// it). Run on a scratch copy of the corpus, libFuzzer writes new inputs into its first directory:
//   cp -r runtime/oci/seccomp_fuzz_corpus /tmp/seccomp-corpus
//   build-fuzz/bin/seccomp_fuzz -dict=runtime/oci/seccomp_fuzz.dict /tmp/seccomp-corpus
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "runtime/linux/seccomp.h"
#include "runtime/oci/spec.h"

namespace {

// Runs a classic BPF seccomp program on `data`. Returns false when the program is malformed
// (a jump or load out of range, or falling off the end), which the checks treat as a finding.
bool RunBpf(const sock_filter* prog, size_t len, const seccomp_data& data, uint32_t* ret) {
  uint32_t a = 0, x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  size_t pc = 0;
  // Classic BPF only jumps forward, so a program runs at most `len` instructions.
  for (size_t steps = 0; steps <= len && pc < len; ++steps) {
    const sock_filter& in = prog[pc];
    switch (BPF_CLASS(in.code)) {
      case BPF_LD:
        if (BPF_MODE(in.code) == BPF_ABS && BPF_SIZE(in.code) == BPF_W) {
          if (in.k % 4 != 0 || in.k + 4 > sizeof(data)) return false;
          std::memcpy(&a, reinterpret_cast<const char*>(&data) + in.k, 4);
        } else if (BPF_MODE(in.code) == BPF_IMM) {
          a = in.k;
        } else if (BPF_MODE(in.code) == BPF_MEM) {
          if (in.k >= BPF_MEMWORDS) return false;
          a = mem[in.k];
        } else if (BPF_MODE(in.code) == BPF_LEN) {
          a = sizeof(data);
        } else {
          return false;  // seccomp refuses other loads
        }
        break;
      case BPF_LDX:
        if (BPF_MODE(in.code) == BPF_IMM) x = in.k;
        else if (BPF_MODE(in.code) == BPF_MEM && in.k < BPF_MEMWORDS) x = mem[in.k];
        else if (BPF_MODE(in.code) == BPF_LEN) x = sizeof(data);
        else return false;
        break;
      case BPF_ST:
        if (in.k >= BPF_MEMWORDS) return false;
        mem[in.k] = a;
        break;
      case BPF_STX:
        if (in.k >= BPF_MEMWORDS) return false;
        mem[in.k] = x;
        break;
      case BPF_ALU: {
        uint32_t v = BPF_SRC(in.code) == BPF_X ? x : in.k;
        switch (BPF_OP(in.code)) {
          case BPF_ADD: a += v; break;
          case BPF_SUB: a -= v; break;
          case BPF_MUL: a *= v; break;
          case BPF_DIV: if (v == 0) return false; a /= v; break;
          case BPF_MOD: if (v == 0) return false; a %= v; break;
          case BPF_AND: a &= v; break;
          case BPF_OR: a |= v; break;
          case BPF_XOR: a ^= v; break;
          case BPF_LSH: a = v < 32 ? a << v : 0; break;
          case BPF_RSH: a = v < 32 ? a >> v : 0; break;
          case BPF_NEG: a = -a; break;
          default: return false;
        }
        break;
      }
      case BPF_JMP: {
        size_t next;
        if (BPF_OP(in.code) == BPF_JA) {
          next = pc + 1 + in.k;
        } else {
          uint32_t v = BPF_SRC(in.code) == BPF_X ? x : in.k;
          bool taken;
          switch (BPF_OP(in.code)) {
            case BPF_JEQ: taken = a == v; break;
            case BPF_JGT: taken = a > v; break;
            case BPF_JGE: taken = a >= v; break;
            case BPF_JSET: taken = (a & v) != 0; break;
            default: return false;
          }
          next = pc + 1 + (taken ? in.jt : in.jf);
        }
        if (next >= len) return false;
        pc = next;
        continue;
      }
      case BPF_RET:
        *ret = BPF_RVAL(in.code) == BPF_A ? a : in.k;
        return true;
      case BPF_MISC:
        if (BPF_MISCOP(in.code) == BPF_TAX) x = a;
        else a = x;
        break;
      default:
        return false;
    }
    ++pc;
  }
  return false;  // fell off the end
}

// The action BuildSeccompFilter gives an OCI action (its private ActionOf, restated so the fuzzer
// checks the compiled program against the profile and not against the same code).
uint32_t ExpectedAction(see::oci::SeccompAction a, std::optional<uint32_t> errno_ret) {
  using A = see::oci::SeccompAction;
  switch (a) {
    case A::kKill: case A::kKillThread: return SCMP_ACT_KILL_THREAD;
    case A::kKillProcess: return SCMP_ACT_KILL_PROCESS;
    case A::kTrap: return SCMP_ACT_TRAP;
    case A::kErrno: return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
    case A::kTrace: return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    case A::kAllow: return SCMP_ACT_ALLOW;
    case A::kLog: return SCMP_ACT_LOG;
    case A::kNotify: return SCMP_ACT_NOTIFY;
  }
  std::abort();
}

void CheckProgram(const see::oci::Seccomp& profile, const std::string& bpf) {
  if (bpf.empty() || bpf.size() % sizeof(sock_filter) != 0) std::abort();
  const auto* prog = reinterpret_cast<const sock_filter*>(bpf.data());
  size_t len = bpf.size() / sizeof(sock_filter);

  // Per syscall number: the one action of its argument-less rules; numbers that also have
  // argument rules, or rules of different actions, are not checked (their result depends on
  // the arguments or on which rule libseccomp keeps).
  uint32_t def = ExpectedAction(profile.default_action, profile.default_errno_ret);
  std::map<int, uint32_t> want;
  std::set<int> unchecked;
  for (const auto& rule : profile.syscalls) {
    uint32_t action = ExpectedAction(rule.action, rule.errno_ret);
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str());
      if (nr < 0) continue;  // unknown here or a pseudo-syscall: skipped by the builder too
      if (!rule.args.empty()) {
        unchecked.insert(nr);
        continue;
      }
      auto [it, inserted] = want.emplace(nr, action);
      if (!inserted && it->second != action) unchecked.insert(nr);
    }
  }
  // Every named number, plus a few no rule names (read, a high unused number).
  std::set<int> probe = {0, 1, 60, 231, 449, 1000};
  for (const auto& [nr, action] : want) probe.insert(nr);
  for (int nr : probe) {
    if (unchecked.count(nr)) continue;
    seccomp_data data = {};
    data.nr = nr;
    data.arch = AUDIT_ARCH_X86_64;
    uint32_t got = 0;
    if (!RunBpf(prog, len, data, &got)) std::abort();
    auto it = want.find(nr);
    uint32_t expected = it == want.end() ? def : it->second;
    if (got != expected) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string json = R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"linux":{"seccomp":)";
  json.append(reinterpret_cast<const char*>(data), size);
  json += "}}";
  see::Result<see::oci::Spec> spec = see::oci::ParseSpec(json);
  if (!spec.ok() || !spec->linux || !spec->linux->seccomp) return 0;
  const see::oci::Seccomp& profile = *spec->linux->seccomp;
  see::Result<see::runtime::SeccompFilter> filter = see::runtime::BuildSeccompFilter(profile);
  if (!filter.ok()) return 0;
  see::Result<std::string> bpf = filter->ExportBpf();
  if (!bpf.ok()) std::abort();  // a filter that compiled must export
  // x86-64 must be in the filter for the semantic check (libseccomp always adds the native arch
  // unless removed; the builder never removes it).
  CheckProgram(profile, *bpf);
  return 0;
}
