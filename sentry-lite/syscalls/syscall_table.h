// The sentry's syscall table: one row per x86-64 syscall number, as data.
//
// Every number from 0 to kMaxSyscall has exactly one row (unassigned numbers are explicit rows
// with an empty name, class kDeny, ENOSYS). The seccomp filter (bpf_filter.h) and the generated
// docs/syscalls.md are both derived from this table, so the table is the one place where policy is
// decided.
//
// Thread safety: the table is immutable after first use; SyscallTable() may be called from any
// thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace see::sentry {

// Highest syscall number in the table (file_setattr, Linux 6.17). Anything above is ENOSYS.
inline constexpr int kMaxSyscall = 469;

enum class SyscallClass : uint8_t {
  kHost,    // runs natively; optional argument rules below
  kSentry,  // delivered to the sentry by seccomp user notification and served there, unless an
            // argument rule below lets the call run natively
  kDeny,    // refused with `err`
};

const char* SyscallClassName(SyscallClass c);

// One comparison on a syscall argument. Only the low 32 bits are compared: every filtered argument
// (clone flags, ioctl/fcntl/prctl commands, socket family/type/protocol, personality) is a 32-bit
// value to the kernel, which ignores the high half; comparing 64 bits would let a caller slip past
// a deny rule by setting high bits (e.g. TIOCSTI | 1<<32).
struct ArgTest {
  enum class Op : uint8_t { kEq, kNe };
  uint8_t arg;     // 0..5
  uint32_t mask;   // applied to the low 32 bits before comparing
  Op op;
  uint32_t value;
};

// An argument rule: when all `tests` hold, the row's verdict is `allow` (or errno `err`).
struct ArgRule {
  std::vector<ArgTest> tests;
  bool allow = false;
  int err = 0;
};

struct SyscallRow {
  int nr = 0;
  std::string_view name;  // empty for unassigned numbers
  SyscallClass cls = SyscallClass::kDeny;
  // kDeny: the errno returned. kHost with rules: the errno when no rule decides and
  // `fallback_allow` is false.
  int err = 0;
  // Evaluated in order, first match decides. kHost: no match -> fallback. kSentry: allowing rules
  // only (checked at start-up); no match -> served. kDeny: none.
  std::vector<ArgRule> rules;
  bool fallback_allow = true;
  std::string_view note;  // one line, for docs/syscalls.md
};

// All rows, indexed by number: SyscallTable()[nr].nr == nr for 0 <= nr <= kMaxSyscall.
std::span<const SyscallRow> SyscallTable();

// The row for `nr`, or nullptr when out of range.
const SyscallRow* FindSyscall(int nr);
// Number for `name`, or -1.
int SyscallNumber(std::string_view name);

// The verdict the table gives a call, as the filter must implement it (used by tests and docs).
struct Verdict {
  enum class Kind : uint8_t { kAllow, kNotify, kErrno };
  Kind kind;
  int err = 0;
};
Verdict Evaluate(int nr, const uint64_t args[6]);

// docs/syscalls.md: a Markdown rendering of the table.
std::string SyscallTableMarkdown();

}  // namespace see::sentry
