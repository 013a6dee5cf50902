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
  if (row.cls == SyscallClass::kSentry) {
    a.Ret(SECCOMP_RET_USER_NOTIF);
  } else {
    a.Ret(row.fallback_allow ? SECCOMP_RET_ALLOW : ErrnoAction(row.err));
  }
}

}  // namespace

namespace {

// A run of consecutive syscall numbers with one decision: an action, or (one number) a rule block.
struct Range {
  uint32_t lo;             // first number of the run; it ends where the next one starts
  uint32_t action;         // when rule_nr < 0
  int rule_nr = -1;        // a row with argument rules
};

// Instructions the subtree over ranges[i, j) takes, and whether each split fits a short jump.
size_t TreeSize(const std::vector<Range>& r, size_t i, size_t j) {
  if (j - i == 1) return 1;
  size_t mid = (i + j) / 2;
  size_t left = TreeSize(r, i, mid);
  // jge lo(mid) -> right: a short conditional jump over the left subtree, or, when that is
  // longer than 255 instructions, jge to a `ja right` (32-bit offset).
  return left + TreeSize(r, mid, j) + (left > 255 ? 2 : 1);
}

void EmitTree(Assembler& a, const std::vector<Range>& r, size_t i, size_t j,
              std::vector<int>& rule_label) {
  if (j - i == 1) {
    if (r[i].rule_nr >= 0) {
      a.JumpAlways(rule_label[r[i].rule_nr]);
    } else {
      a.Ret(r[i].action);
    }
    return;
  }
  size_t mid = (i + j) / 2;
  int right = a.NewLabel();
  if (TreeSize(r, i, mid) > 255) {
    int left = a.NewLabel();
    a.Jump(BPF_JGE, r[mid].lo, -1, left);
    a.JumpAlways(right);
    a.Bind(left);
  } else {
    a.Jump(BPF_JGE, r[mid].lo, right, -1);
  }
  EmitTree(a, r, i, mid, rule_label);
  a.Bind(right);
  EmitTree(a, r, mid, j, rule_label);
}

}  // namespace

Result<std::vector<sock_filter>> BuildSyscallFilter(std::span<const SyscallRow> table,
                                                    const FilterOptions& options) {
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

  // Runs of equal decisions over 0..table.size(), then everything above: ENOSYS.
  std::vector<Range> ranges;
  std::vector<int> rule_label(table.size(), -1);
  for (size_t nr = 0; nr < table.size(); ++nr) {
    const SyscallRow& row = table[nr];
    if (row.nr != static_cast<int>(nr)) {
      return Internal("syscall table row out of place: " + std::to_string(nr));
    }
    if (!row.rules.empty()) {
      rule_label[nr] = a.NewLabel();
      ranges.push_back({static_cast<uint32_t>(nr), 0, static_cast<int>(nr)});
      continue;
    }
    uint32_t action = UnconditionalAction(row);
    if (!ranges.empty() && ranges.back().rule_nr < 0 && ranges.back().action == action) continue;
    ranges.push_back({static_cast<uint32_t>(nr), action});
  }
  uint32_t enosys = ErrnoAction(ENOSYS);
  if (ranges.empty() || ranges.back().rule_nr >= 0 || ranges.back().action != enosys) {
    ranges.push_back({static_cast<uint32_t>(table.size()), enosys});
  }
  EmitTree(a, ranges, 0, ranges.size(), rule_label);
  for (size_t nr = 0; nr < table.size(); ++nr) {
    if (rule_label[nr] < 0) continue;
    a.Bind(rule_label[nr]);
    EmitRuleBlock(a, table[nr]);
  }
  return a.Finish();
}

Result<std::vector<sock_filter>> BuildDefaultSyscallFilter() {
  return BuildSyscallFilter(SyscallTable());
}

int InstallSyscallFilterRaw(const sock_fprog* prog, unsigned extra_flags, bool no_new_privs) {
  if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_NEW_LISTENER | extra_flags, prog);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

uint32_t RunSeccompFilter(std::span<const sock_filter> prog, const seccomp_data& data,
                          size_t* steps) {
  uint32_t acc = 0;
  size_t pc = 0;
  size_t n = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(&data);
  auto done = [&](uint32_t verdict) {
    if (steps != nullptr) *steps = n;
    return verdict;
  };
  while (pc < prog.size()) {
    const sock_filter& in = prog[pc];
    ++n;
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (in.k + 4 > sizeof(data) || in.k % 4 != 0) return done(SECCOMP_RET_KILL_PROCESS);
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
        return done(in.k);
      default:
        return done(SECCOMP_RET_KILL_PROCESS);
    }
  }
  return done(SECCOMP_RET_KILL_PROCESS);
}

bool KernelCachesAllow(std::span<const sock_filter> prog, int nr) {
  // kernel/seccomp.c seccomp_is_const_allow(), for the native arch.
  uint32_t reg = 0;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& in = prog[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (in.k == offsetof(seccomp_data, nr)) {
          reg = static_cast<uint32_t>(nr);
        } else if (in.k == offsetof(seccomp_data, arch)) {
          reg = AUDIT_ARCH_X86_64;
        } else {
          return false;
        }
        break;
      case BPF_RET | BPF_K:
        return in.k == SECCOMP_RET_ALLOW;
      case BPF_JMP | BPF_JA:
        pc += in.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += reg == in.k ? in.jt : in.jf;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += reg >= in.k ? in.jt : in.jf;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += reg > in.k ? in.jt : in.jf;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (reg & in.k) != 0 ? in.jt : in.jf;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        reg &= in.k;
        break;
      default:
        return false;
    }
  }
  return false;
}

}  // namespace see::sentry
