// The sentry's own confinement (ARCHITECTURE "Security model" 7): not dumpable (pod processes can
// not ptrace it or read its /proc files), no_new_privs, and a seccomp allowlist declared as data
// with the reason for each rule. Everything else fails with EPERM; i386/x32 calls are killed.
#pragma once

#include <span>

#include "base/status.h"

namespace see::sentry {

struct SelfRule {
  int nr;
  const char* reason;
};

// The allowlist this build applies, for docs and tests. Sanitizer builds add
// SanitizerOnlyAllowlist() (what the ASan/UBSan runtimes need); production builds do not.
std::span<const SelfRule> SentryAllowlist();
std::span<const SelfRule> SanitizerOnlyAllowlist();

// Applies all of the above to the calling process (TSYNC: every thread). Irreversible.
Status ApplySelfConfinement();

}  // namespace see::sentry
