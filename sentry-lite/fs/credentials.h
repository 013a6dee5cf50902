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
#include <functional>
#include <mutex>
#include <unordered_map>
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
  // The thread-group id as the sentry sees it (the Tgid line; CredentialsCache uses it for execve).
  pid_t tgid = 0;
};

// Parses /proc/<tid>/status (as produced by the kernel). Fails with ESRCH when the thread is gone.
Result<CallerCredentials> ReadCallerCredentials(pid_t tid);
// The parser, for tests.
Result<CallerCredentials> ParseProcStatus(const std::string& status);

// CredentialsCache: the caller's identity per thread id, so a served call does not read
// /proc/<tid>/status every time (it was 17-29 % of the sentry's CPU per call).
//
// When an entry may be trusted:
//  - The thread is the same one: each entry holds a pidfd of the thread (PIDFD_THREAD); an entry
//    whose pidfd polls readable (thread exited, its tid may be reused) is dropped, never used.
//  - Its credentials did not change: uids/gids/groups/capabilities of a thread change only by its
//    own syscalls (set*id, setfs*id, setgroups, capset, execve/execveat; unshare/setns of a user
//    namespace are refused by the container filter; no other thread can change them since 2.6.24).
//    The container filter notifies those calls and the NotifyLoop calls InvalidateThread/
//    InvalidateExec before answering (then CONTINUE: the kernel enforces them).
//  - An entry is inserted only from a /proc read done while the caller was provably blocked in the
//    notified syscall (`still_valid` true after the read: it can't have changed its credentials
//    during the read) and when no invalidation ran since the read began (`seq_`), so a call
//    interrupted by a signal can't re-insert credentials older than a change made after it.
//  - execve from a non-leader thread moves the leader's tid to the exec'ing thread (de_thread): the
//    thread group's entries are dropped, and the leader tid is not cached until that exec is over
//    (the exec'ing thread's own tid pidfd reports exit, or it makes another call: the exec failed).
//  - umask lives in fs_struct, which other threads (CLONE_FS) share. umask(2) is notified too: the
//    NotifyLoop calls BeginUmask before it CONTINUEs it. From then until that thread makes its next
//    notified call (its umask is applied by then) or is gone, no cached umask is trusted for calls
//    that create inodes (`fresh_umask`): they read /proc again, as every create did before. After
//    it, umasks read before the change (a generation older) are read again once.
// Thread safety: all methods may be called concurrently.
class CredentialsCache {
 public:
  using Reader = std::function<Result<CallerCredentials>(pid_t tid)>;
  explicit CredentialsCache(Reader reader = ReadCallerCredentials, size_t max_entries = 512);
  ~CredentialsCache();
  CredentialsCache(const CredentialsCache&) = delete;
  CredentialsCache& operator=(const CredentialsCache&) = delete;

  // The process-wide cache the handlers use.
  static CredentialsCache& Global();

  // The credentials of `tid`, which is blocked in a notified syscall; `still_valid` tells whether
  // it still is (SECCOMP_IOCTL_NOTIF_ID_VALID).
  // `owner` tags the entry (the NotifyLoop passes the container) for DropOwner.
  Result<CallerCredentials> Get(pid_t tid, bool fresh_umask, const std::function<bool()>& still_valid,
                                const void* owner = nullptr);

  // `tid` is about to change its own credentials (set*id, setgroups, capset...).
  void InvalidateThread(pid_t tid);
  // `tid` is about to execve: its thread group's entries go, see above. False when the exec can
  // not be followed (its thread group could not be read): the caller must not let it run, since a
  // call of the group's leader served meanwhile could be cached with the old program's identity
  // for the new one.
  [[nodiscard]] bool InvalidateExec(pid_t tid);
  // `tid` is about to change its umask (then CONTINUEd), see above.
  void BeginUmask(pid_t tid);

  // Closes the entries (and pending execs) of threads that are gone. The NotifyLoop runs it when
  // a listener's last process is gone, so a finished container leaves no pidfds behind.
  void SweepDead();
  // Drops every entry tagged `owner`: a listener whose processes are all gone drops its callers'
  // entries even when their threads are still finishing their exit (pidfd not yet readable).
  void DropOwner(const void* owner);

  // For tests and benchmarks.
  struct Stats {
    uint64_t hits = 0, misses = 0;
  };
  Stats stats() const;
  size_t size() const;

 private:
  struct Entry {
    CallerCredentials creds;
    int pidfd = -1;  // owned
    const void* owner = nullptr;
    uint64_t umask_gen = 0;     // umask_gen_ when the read began
    bool umask_valid = false;   // no umask change was in flight when the read began
  };
  struct UmaskChange {
    pid_t tid;
    int pidfd;  // owned; of `tid`, or -1: never known done
  };
  struct PendingExec {
    pid_t tgid;
    pid_t tid;
    int pidfd;  // owned; of `tid`, or (whole_group) of the process or -1: never known over
    bool whole_group = false;
  };
  // REQUIRES: mu_ held. True when no exec of `tgid`'s group from another thread is in flight
  // (resolving finished ones).
  bool LeaderCacheableLocked(pid_t tid);
  // REQUIRES: mu_ held. Ends the umask changes of `tid` (it makes another call) and of threads that
  // are gone; each ended change makes older umasks stale.
  void EndUmaskChangesLocked(pid_t tid);
  void EraseLocked(pid_t tid);
  void ClearLocked();       // closes every entry
  void SweepDeadLocked();   // SweepDead with mu_ held

  const Reader reader_;
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<pid_t, Entry> entries_;  // guarded by mu_
  std::vector<PendingExec> pending_exec_;     // guarded by mu_
  std::vector<UmaskChange> umask_changes_;    // guarded by mu_: CONTINUEd umask calls not known done
  uint64_t umask_gen_ = 0;                    // guarded by mu_: bumped when one starts and ends
  uint64_t seq_ = 0;                          // guarded by mu_: bumped by every invalidation
  Stats stats_;                               // guarded by mu_
};

// Makes the calling thread its own fs_struct owner (cwd, root, umask). Call once at worker start.
// A scope on such a thread leaves the caller's umask in place (nothing the thread does outside a
// scope depends on it): a run of calls with one umask sets it once instead of twice per call.
Status EnterPrivateFsContext();

// While alive, the calling thread acts with `creds` for permission checks. With
// `use_real_ids` (access(2) without AT_EACCESS) the real uid/gid are used as fsuid/fsgid and the
// capabilities are those the kernel grants access(2): permitted set for real root, none otherwise.
// REQUIRES: the sentry has CAP_SETUID/CAP_SETGID/CAP_SETPCAP-free capset rights (it runs as root in
// the pod user namespace); the thread ran EnterPrivateFsContext; no other ScopedCredentials alive
// on this thread (either fails with kFailedPrecondition). The sentry thread's own identity (its
// effective capabilities: its whole permitted set) is read on first use and cached per thread;
// only what differs from it is switched. Restoring the sentry identity can not fail on a sane
// kernel; if it does the process aborts rather than serve later calls with someone else's
// identity. Restored are fsuid/fsgid (and with them the full capabilities). Left in place until a
// scope for a caller who differs
// (each switch is a credential commit in the kernel; a container's root has other groups and
// fewer capabilities than the sentry, so restoring them cost two setgroups and two capsets per
// served call):
//   - the supplementary groups: the sentry is root (in the pod user namespace, REQUIRES above),
//     and its own work outside a scope never depends on group membership;
//   - the effective capabilities, when the caller shares the sentry's fsuid/fsgid: outside a
//     scope the thread then has a subset of its own set. That can only make a step fail, never
//     grant one; every step outside a scope that needs the sentry's own rights (another thread's
//     /proc magic links and namespaces, pidfd_getfd, setns, the pod's cgroup files, fchdir home)
//     raises them with ScopedSentryCapabilities, and process_vm_readv/writev and the caller's cwd
//     retry under it when refused.
class ScopedCredentials {
 public:
  static Result<ScopedCredentials> Assume(const CallerCredentials& creds, bool use_real_ids = false);
  ~ScopedCredentials();
  ScopedCredentials(ScopedCredentials&& o) noexcept
      : active_(o.active_),
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
  bool ids_changed_ = false;
  bool caps_changed_ = false;
};

// While alive, the calling thread's effective capabilities are its full permitted set again, e.g.
// for pidfd_getfd inside a ScopedCredentials or after one left a caller's set (the ptrace access
// check uses the thread's current capabilities, which the caller's identity may lack). Restores the
// previous set; aborts if it can't. Costs nothing when the thread has its full set already.
class ScopedSentryCapabilities {
 public:
  // Raises the whole permitted set, or only the capabilities in `only` (CapBit) that it holds.
  explicit ScopedSentryCapabilities(uint64_t only = ~uint64_t{0});
  ~ScopedSentryCapabilities();
  ScopedSentryCapabilities(const ScopedSentryCapabilities&) = delete;
  ScopedSentryCapabilities& operator=(const ScopedSentryCapabilities&) = delete;

 private:
  uint64_t effective_ = 0;  // the set to return to
  bool changed_ = false;
};

// The bit of capability `cap` in a 64-bit capability set.
constexpr uint64_t CapBit(int cap) { return uint64_t{1} << cap; }


}  // namespace see::sentry
