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

// The allowlist, for docs and tests.
std::span<const SelfRule> SentryAllowlist();

// Applies all of the above to the calling process (TSYNC: every thread). Irreversible.
Status ApplySelfConfinement();

}  // namespace see::sentry
