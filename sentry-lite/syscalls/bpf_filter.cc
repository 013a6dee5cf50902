#include "sentry-lite/syscalls/bpf_filter.h"

#include <linux/audit.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace see::sentry {
namespace {

constexpr uint32_t kX32Bit = 0x40000000u;  // __X32_SYSCALL_BIT
constexpr int kMaxInsns = BPF_MAXINSNS;

// A tiny assembler: instructions plus symbolic jump targets patched at the end.
class Assembler {
 public:
  int NewLabel() {
    labels_.push_back(-1);
    return static_cast<int>(labels_.size()) - 1;
  }
  void Bind(int label) { labels_[label] = static_cast<int>(insns_.size()); }

  void LoadAbs(uint32_t offset) { Emit(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset)); }
  void And(uint32_t k) { Emit(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, k)); }
  void Ret(uint32_t k) { Emit(BPF_STMT(BPF_RET | BPF_K, k)); }
  // Conditional jump; a target of -1 means "the next instruction".
  void Jump(uint16_t op, uint32_t k, int true_label, int false_label) {
    fixups_.push_back({static_cast<int>(insns_.size()), true_label, false_label, false});
    Emit(BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0));
  }
  void JumpAlways(int label) {
    fixups_.push_back({static_cast<int>(insns_.size()), label, -1, true});
    Emit(BPF_STMT(BPF_JMP | BPF_JA, 0));
  }

  Result<std::vector<sock_filter>> Finish() {
    if (insns_.size() > kMaxInsns) {
      return InvalidArgument("seccomp program has " + std::to_string(insns_.size()) +
                             " instructions, above BPF_MAXINSNS");
    }
    for (const Fixup& f : fixups_) {
      sock_filter& insn = insns_[f.at];
      auto offset = [&](int label) -> int {
        return label < 0 ? 0 : labels_[label] - f.at - 1;
      };
      if (f.always) {
        insn.k = static_cast<uint32_t>(offset(f.true_label));
        continue;
      }
      int jt = offset(f.true_label), jf = offset(f.false_label);
      if (jt < 0 || jt > 255 || jf < 0 || jf > 255) {
        return Internal("seccomp program: conditional jump out of range");
      }
      insn.jt = static_cast<uint8_t>(jt);
      insn.jf = static_cast<uint8_t>(jf);
    }
    return std::move(insns_);
  }

 private:
  struct Fixup {
    int at, true_label, false_label;
    bool always;
  };
  void Emit(sock_filter insn) { insns_.push_back(insn); }

  std::vector<sock_filter> insns_;
  std::vector<int> labels_;
  std::vector<Fixup> fixups_;
};

uint32_t ErrnoAction(int err) { return SECCOMP_RET_ERRNO | (static_cast<uint32_t>(err) & SECCOMP_RET_DATA); }

uint32_t UnconditionalAction(const SyscallRow& row) {
  switch (row.cls) {
    case SyscallClass::kHost: return SECCOMP_RET_ALLOW;
    case SyscallClass::kSentry: return SECCOMP_RET_USER_NOTIF;
    case SyscallClass::kDeny: return ErrnoAction(row.err);
  }
  return SECCOMP_RET_KILL_PROCESS;
}

uint32_t ArgLowOffset(uint8_t arg) {
  // x86-64 is little-endian: the low half of args[i] comes first.
  return static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * arg);
}

void EmitRuleBlock(Assembler& a, const SyscallRow& row) {
  for (const ArgRule& rule : row.rules) {
    int next_rule = a.NewLabel();
    for (const ArgTest& t : rule.tests) {
      a.LoadAbs(ArgLowOffset(t.arg));
      if (t.mask != 0xffffffffu) a.And(t.mask);
      if (t.op == ArgTest::Op::kEq) {
        a.Jump(BPF_JEQ, t.value, -1, next_rule);
      } else {
        a.Jump(BPF_JEQ, t.value, next_rule, -1);
      }
    }
    a.Ret(rule.allow ? SECCOMP_RET_ALLOW : ErrnoAction(rule.err));
    a.Bind(next_rule);
  }
  a.Ret(row.fallback_allow ? SECCOMP_RET_ALLOW : ErrnoAction(row.err));
}

}  // namespace

Result<std::vector<sock_filter>> BuildSyscallFilter(std::span<const SyscallRow> table,
                                                    std::span<const int> hot,
                                                    const FilterOptions& options) {
  std::vector<int> order;
  std::vector<bool> placed(table.size(), false);
  auto place = [&](int nr) {
    if (nr < 0 || static_cast<size_t>(nr) >= table.size() || placed[nr]) return;
    placed[nr] = true;
    order.push_back(nr);
  };
  for (int nr : hot) place(nr);
  for (const SyscallRow& row : table) {
    if (row.cls == SyscallClass::kSentry) place(row.nr);
  }
  for (const SyscallRow& row : table) place(row.nr);

  Assembler a;
  int native_arch = a.NewLabel();
  a.LoadAbs(offsetof(seccomp_data, arch));
  a.Jump(BPF_JEQ, AUDIT_ARCH_X86_64, native_arch, -1);
  a.Ret(options.foreign_abi_action);
  a.Bind(native_arch);
  int native_nr = a.NewLabel();
  a.LoadAbs(offsetof(seccomp_data, nr));
  a.Jump(BPF_JGE, kX32Bit, -1, native_nr);
  a.Ret(options.foreign_abi_action);
  a.Bind(native_nr);

  std::vector<int> row_label(table.size(), -1);
  for (int nr : order) {
    const SyscallRow& row = table[nr];
    if (row.nr != nr) return Internal("syscall table row out of place: " + std::to_string(nr));
    // ENOSYS rows fall through to the final ENOSYS: no need to test them.
    if (row.cls == SyscallClass::kDeny && row.err == ENOSYS) continue;
    int next = a.NewLabel();
    a.Jump(BPF_JEQ, static_cast<uint32_t>(nr), -1, next);
    if (row.cls == SyscallClass::kHost && !row.rules.empty()) {
      row_label[nr] = a.NewLabel();
      a.JumpAlways(row_label[nr]);
    } else {
      a.Ret(UnconditionalAction(row));
    }
    a.Bind(next);
  }
  a.Ret(ErrnoAction(ENOSYS));
  for (int nr : order) {
    if (row_label[nr] < 0) continue;
    a.Bind(row_label[nr]);
    EmitRuleBlock(a, table[nr]);
  }
  return a.Finish();
}

Result<std::vector<sock_filter>> BuildDefaultSyscallFilter() {
  return BuildSyscallFilter(SyscallTable(), HotSyscalls());
}

int InstallSyscallFilterRaw(const sock_fprog* prog, unsigned extra_flags) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_NEW_LISTENER | extra_flags, prog);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

uint32_t RunSeccompFilter(std::span<const sock_filter> prog, const seccomp_data& data) {
  uint32_t acc = 0;
  size_t pc = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(&data);
  while (pc < prog.size()) {
    const sock_filter& in = prog[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (in.k + 4 > sizeof(data) || in.k % 4 != 0) return SECCOMP_RET_KILL_PROCESS;
        __builtin_memcpy(&acc, bytes + in.k, 4);
        ++pc;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        acc &= in.k;
        ++pc;
        break;
      case BPF_JMP | BPF_JA:
        pc += 1 + in.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += 1 + (acc == in.k ? in.jt : in.jf);
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += 1 + (acc >= in.k ? in.jt : in.jf);
        break;
      case BPF_RET | BPF_K:
        return in.k;
      default:
        return SECCOMP_RET_KILL_PROCESS;
    }
  }
  return SECCOMP_RET_KILL_PROCESS;
}

}  // namespace see::sentry
