// The identity a served syscall runs with: the calling thread's uids/gids/groups/capabilities and
// umask, read from /proc/<tid>/status, and a scope that makes the current sentry thread take them.
//
// setfsuid/setfsgid/setgroups/capset are per-thread at the syscall level (glibc broadcasts
// setgroups to all threads, so raw syscalls are used). The umask lives in fs_struct, shared by all
// threads unless the thread did unshare(CLONE_FS): EnterPrivateFsContext() does that once per
// worker thread, so umask changes stay on the thread and the kernel applies the caller's umask
// exactly (including the default-ACL exception).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "base/status.h"

namespace see::sentry {

struct CallerCredentials {
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;
  uint64_t cap_effective = 0;
  uint64_t cap_permitted = 0;
  mode_t umask = 022;
  // The caller's thread-group and thread ids in its own (innermost) pid namespace: what
  // /proc/self and /proc/thread-self mean to it.
  pid_t ns_tgid = 0;
  pid_t ns_tid = 0;
};

// Parses /proc/<tid>/status (as produced by the kernel). Fails with ESRCH when the thread is gone.
Result<CallerCredentials> ReadCallerCredentials(pid_t tid);
// The parser, for tests.
Result<CallerCredentials> ParseProcStatus(const std::string& status);

// Makes the calling thread its own fs_struct owner (cwd, root, umask). Call once at worker start.
Status EnterPrivateFsContext();

// While alive, the calling thread acts with `creds` for permission checks. With
// `use_real_ids` (access(2) without AT_EACCESS) the real uid/gid are used as fsuid/fsgid and the
// capabilities are those the kernel grants access(2): permitted set for real root, none otherwise.
// REQUIRES: the sentry has CAP_SETUID/CAP_SETGID/CAP_SETPCAP-free capset rights (it runs as root in
// the pod user namespace); no other ScopedCredentials alive on this thread (nesting fails with
// kFailedPrecondition). The sentry thread's own identity is read on first use and cached per
// thread; only what differs from it is switched. Restoring the sentry identity can not fail on a
// sane kernel; if it does the process aborts rather than serve later calls with someone else's
// identity.
class ScopedCredentials {
 public:
  static Result<ScopedCredentials> Assume(const CallerCredentials& creds, bool use_real_ids = false);
  ~ScopedCredentials();
  ScopedCredentials(ScopedCredentials&& o) noexcept
      : active_(o.active_),
        groups_changed_(o.groups_changed_),
        ids_changed_(o.ids_changed_),
        caps_changed_(o.caps_changed_) {
    o.active_ = false;
  }
  ScopedCredentials(const ScopedCredentials&) = delete;
  ScopedCredentials& operator=(const ScopedCredentials&) = delete;
  ScopedCredentials& operator=(ScopedCredentials&&) = delete;

 private:
  ScopedCredentials() = default;
  bool active_ = false;
  // What Assume switched (and the destructor restores).
  bool groups_changed_ = false;
  bool ids_changed_ = false;
  bool caps_changed_ = false;
};

// While alive, the calling thread's effective capabilities are its full permitted set again, e.g.
// for pidfd_getfd inside a ScopedCredentials (the ptrace access check uses the thread's current
// capabilities, which the caller's identity may lack). Restores the previous set; aborts if it can't.
class ScopedSentryCapabilities {
 public:
  ScopedSentryCapabilities();
  ~ScopedSentryCapabilities();
  ScopedSentryCapabilities(const ScopedSentryCapabilities&) = delete;
  ScopedSentryCapabilities& operator=(const ScopedSentryCapabilities&) = delete;

 private:
  uint64_t effective_ = 0, permitted_ = 0, inheritable_ = 0;
  bool changed_ = false;
};

}  // namespace see::sentry
