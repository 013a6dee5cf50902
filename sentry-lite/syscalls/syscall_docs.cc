// Renders the syscall table as docs/syscalls.md (see SyscallTableMarkdown in syscall_table.h).
#include <cstring>
#include <string>

#include "sentry-lite/syscalls/syscall_table.h"

namespace see::sentry {
namespace {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : std::to_string(err);
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\";
    out += c;
  }
  return out;
}

std::string Decision(const SyscallRow& row) {
  switch (row.cls) {
    case SyscallClass::kHost:
      if (row.rules.empty()) return "native";
      return std::string("native if arguments pass, else ") +
             (row.fallback_allow ? "per rule" : ErrnoName(row.err));
    case SyscallClass::kSentry:
      return row.rules.empty() ? "served by the sentry" : "native if arguments pass, else served by the sentry";
    case SyscallClass::kDeny: return ErrnoName(row.err);
  }
  return "";
}

}  // namespace

std::string SyscallTableMarkdown() {
  std::string out =
      "# sentry-lite syscall table (x86-64)\n\n"
      "Generated from sentry-lite/syscalls/syscall_table.cc by `see-sentry syscalls --markdown`;\n"
      "do not edit by hand (a unit test fails when this file and the table differ).\n\n"
      "- **host**: runs natively under the seccomp filter, with argument checks where noted\n"
      "  (arguments are compared on their low 32 bits).\n"
      "- **sentry**: delivered to sentry-lite by seccomp user notification and served there,\n"
      "  resolving paths in the container's view.\n"
      "- **deny**: refused with the errno shown.\n\n"
      "i386 (`int $0x80`) and x32 calls get ENOSYS; numbers above the table get ENOSYS.\n\n"
      "| nr | name | class | result | note |\n|---:|---|---|---|---|\n";
  for (const SyscallRow& row : SyscallTable()) {
    out += "| " + std::to_string(row.nr) + " | " +
           (row.name.empty() ? std::string("—") : "`" + std::string(row.name) + "`") + " | " +
           SyscallClassName(row.cls) + " | " + Decision(row) + " | " + Escape(row.note) + " |\n";
  }
  return out;
}

}  // namespace see::sentry
