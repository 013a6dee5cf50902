#include "sentry-lite/fs/credentials.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "base/unique_fd.h"

namespace see::sentry {
namespace {

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

struct SavedIdentity {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
  std::vector<gid_t> groups;
  uid_t fsuid = 0;
  gid_t fsgid = 0;
  bool valid = false;
};
thread_local SavedIdentity saved;
thread_local bool in_scope = false;  // a ScopedCredentials is alive on this thread
// The supplementary groups this thread has now: a scope leaves the caller's groups in place (see
// ScopedCredentials in the header), so a run of calls from one identity switches them once.
thread_local std::vector<gid_t> current_groups;
// On a thread with its own fs_struct (EnterPrivateFsContext) the umask a scope set stays too.
thread_local bool private_fs = false;
thread_local mode_t current_umask = 0;
// The effective capabilities this thread has now. A scope whose caller shares the sentry's fsuid
// and fsgid (a container's root) leaves the caller's effective set in place: a run of calls from
// one identity costs no capset, where setting and restoring it cost two per call. Outside a scope
// the thread therefore has *at most* its own set; every step that needs more raises it
// (ScopedSentryCapabilities). Only ever a subset of `saved.permitted`.
thread_local uint64_t current_effective = 0;

Status GetCaps(uint64_t* eff, uint64_t* prm, uint64_t* inh) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return ErrnoStatus("capget");
  *eff = data[0].effective | (uint64_t{data[1].effective} << 32);
  *prm = data[0].permitted | (uint64_t{data[1].permitted} << 32);
  *inh = data[0].inheritable | (uint64_t{data[1].inheritable} << 32);
  return Status::Ok();
}

int SetCaps(uint64_t eff, uint64_t prm, uint64_t inh) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0] = {static_cast<uint32_t>(eff), static_cast<uint32_t>(prm), static_cast<uint32_t>(inh)};
  data[1] = {static_cast<uint32_t>(eff >> 32), static_cast<uint32_t>(prm >> 32),
             static_cast<uint32_t>(inh >> 32)};
  return static_cast<int>(syscall(SYS_capset, &hdr, data));
}

bool ParseIds(const std::string& rest, unsigned* out, int n) {
  std::istringstream in(rest);
  for (int i = 0; i < n; ++i) {
    if (!(in >> out[i])) return false;
  }
  return true;
}

pid_t LastField(const std::string& rest) {
  std::istringstream in(rest);
  long v = 0, last = 0;
  while (in >> v) last = v;
  return static_cast<pid_t>(last);
}

}  // namespace

Result<CallerCredentials> ParseProcStatus(const std::string& status) {
  CallerCredentials c;
  bool have_uid = false, have_gid = false;
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon), rest = line.substr(colon + 1);
    unsigned ids[4];
    if (key == "Uid" && ParseIds(rest, ids, 4)) {
      c.ruid = ids[0], c.euid = ids[1], c.suid = ids[2], c.fsuid = ids[3];
      have_uid = true;
    } else if (key == "Gid" && ParseIds(rest, ids, 4)) {
      c.rgid = ids[0], c.egid = ids[1], c.sgid = ids[2], c.fsgid = ids[3];
      have_gid = true;
    } else if (key == "Groups") {
      std::istringstream g(rest);
      unsigned gid;
      while (g >> gid) c.groups.push_back(gid);
    } else if (key == "CapEff") {
      c.cap_effective = std::strtoull(rest.c_str(), nullptr, 16);
    } else if (key == "CapPrm") {
      c.cap_permitted = std::strtoull(rest.c_str(), nullptr, 16);
    } else if (key == "Umask") {
      c.umask = static_cast<mode_t>(std::strtoul(rest.c_str(), nullptr, 8));
    } else if (key == "Tgid") {
      c.tgid = static_cast<pid_t>(std::strtol(rest.c_str(), nullptr, 10));
    } else if (key == "NStgid") {
      c.ns_tgid = LastField(rest);
    } else if (key == "NSpid") {
      c.ns_tid = LastField(rest);
    }
  }
  if (!have_uid || !have_gid) return InvalidArgument("proc status without Uid/Gid lines");
  return c;
}

Result<CallerCredentials> ReadCallerCredentials(pid_t tid) {
  auto text = ReadFile("/proc/" + std::to_string(tid) + "/status");
  if (!text.ok()) {
    return Status(text.status().code(), text.status().message(),
                  text.status().err() == ENOENT ? ESRCH : text.status().err());
  }
  auto creds = ParseProcStatus(*text);
  // A caller in another user namespace than ours (a pod's, while the sentry runs host-side) has
  // its capabilities there, not over the host: served calls get none of them (fail closed).
  static const ino_t own_userns = [] {
    struct stat st{};
    return stat("/proc/self/ns/user", &st) == 0 ? st.st_ino : 0;
  }();
  struct stat st{};
  int ns_rc;
  {
    // Following another thread's ns link is a ptrace-read check on this thread's current set,
    // which may be a caller's (ScopedCredentials): a refusal would read as "no capabilities".
    ScopedSentryCapabilities sentry_caps;
    ns_rc = stat(("/proc/" + std::to_string(tid) + "/ns/user").c_str(), &st);
  }
  if (creds.ok() && (ns_rc != 0 || st.st_ino != own_userns)) {
    creds->cap_effective = 0;
    creds->cap_permitted = 0;
  }
  return creds;
}

namespace {

// The thread behind `pidfd` has exited (or the pidfd is unusable): its tid may be reused.
bool ThreadGone(int pidfd) {
  if (pidfd < 0) return false;  // a record without a pidfd is never known over
  pollfd p{pidfd, POLLIN, 0};
  int n = poll(&p, 1, 0);
  return n != 0;  // readable, hung up, or poll failed: don't trust
}

int OpenThreadPidfd(pid_t tid) {
  return static_cast<int>(syscall(SYS_pidfd_open, tid, PIDFD_THREAD));
}

// Removes the records of `v` (each owning a pidfd) that `drop` selects, closing their pidfds.
// True if any went.
template <typename Record, typename Pred>
bool DropRecords(std::vector<Record>& v, Pred drop) {
  return std::erase_if(v, [&](const Record& r) {
           if (!drop(r)) return false;
           if (r.pidfd >= 0) close(r.pidfd);
           return true;
         }) != 0;
}

}  // namespace

CredentialsCache::CredentialsCache(Reader reader, size_t max_entries)
    : reader_(std::move(reader)), max_entries_(max_entries) {}

CredentialsCache::~CredentialsCache() {
  for (auto& [tid, e] : entries_) close(e.pidfd);
  for (PendingExec& p : pending_exec_) {
    if (p.pidfd >= 0) close(p.pidfd);
  }
  for (UmaskChange& u : umask_changes_) {
    if (u.pidfd >= 0) close(u.pidfd);
  }
}

CredentialsCache& CredentialsCache::Global() {
  static CredentialsCache* cache = new CredentialsCache();  // never destroyed: used by detached threads
  return *cache;
}

void CredentialsCache::EraseLocked(pid_t tid) {
  auto it = entries_.find(tid);
  if (it == entries_.end()) return;
  close(it->second.pidfd);
  entries_.erase(it);
}

bool CredentialsCache::LeaderCacheableLocked(pid_t tid) {
  // An exec'ing thread whose old tid is gone: that exec is over (or it died). Over, it killed the
  // group's other threads, the leader with any call it had in flight, and gave the leader's tid
  // to the new program (whose pidfd is the old leader's): a read begun before is not cached
  // (seq_), whether this Get or another finds the exec over (found by review).
  if (DropRecords(pending_exec_,
                  [&](const PendingExec& p) { return p.tgid == tid && ThreadGone(p.pidfd); })) {
    ++seq_;
  }
  return std::none_of(pending_exec_.begin(), pending_exec_.end(),
                      [&](const PendingExec& p) { return p.tgid == tid; });
}

Result<CallerCredentials> CredentialsCache::Get(pid_t tid, bool fresh_umask,
                                                const std::function<bool()>& still_valid,
                                                const void* owner) {
  uint64_t seq0, umask_gen0;
  bool umask_valid0;
  {
    std::lock_guard lock(mu_);
    // A call from a thread with an exec in flight: that exec is over (it failed, or the tid was
    // reused after it), so it no longer holds its leader's tid back.
    if (DropRecords(pending_exec_, [&](const PendingExec& p) { return p.tid == tid; })) ++seq_;
    EndUmaskChangesLocked(tid);
    auto it = entries_.find(tid);
    if (it != entries_.end()) {
      const Entry& e = it->second;
      if (ThreadGone(e.pidfd) || !LeaderCacheableLocked(tid)) {
        EraseLocked(tid);
      } else if (!fresh_umask ||
                 (e.umask_valid && e.umask_gen == umask_gen_ && umask_changes_.empty())) {
        ++stats_.hits;
        return e.creds;
      }
    }
    ++stats_.misses;
    seq0 = seq_;
    umask_gen0 = umask_gen_;
    umask_valid0 = umask_changes_.empty();
  }
  // The pidfd first: if the call is still valid after the read, the thread held `tid` all along,
  // so the pidfd, the credentials read and the caller are one thread.
  UniqueFd pidfd(OpenThreadPidfd(tid));
  SEE_ASSIGN_OR_RETURN(CallerCredentials creds, reader_(tid));
  if (!pidfd.valid() || !still_valid()) return creds;  // answered from the read, not cached
  std::lock_guard lock(mu_);
  // LeaderCacheableLocked first: an exec it finds over bumps seq_ (below).
  if (!LeaderCacheableLocked(tid) || seq_ != seq0) return creds;
  EraseLocked(tid);
  if (entries_.size() >= max_entries_) {
    SweepDeadLocked();
    if (entries_.size() >= max_entries_) ClearLocked();
  }
  entries_.emplace(tid, Entry{creds, pidfd.Release(), owner, umask_gen0, umask_valid0});
  return creds;
}

void CredentialsCache::BeginUmask(pid_t tid) {
  UniqueFd pidfd(OpenThreadPidfd(tid));
  std::lock_guard lock(mu_);
  ++umask_gen_;
  // At most one record per thread (a thread calling umask in a loop once held a pidfd per call
  // until the sentry ran out of fds, found by review): an earlier change of `tid` is applied by
  // now (the thread made this call since), and this one is in flight under the same record. A
  // record of a thread that is gone was another thread's with this tid: it takes this one's pidfd.
  // No pidfd: the thread is gone (its change can not be applied later) or pidfds fail, and then
  // the change can never be known done: creates keep reading /proc, as they did before; one such
  // record says that for all.
  for (UmaskChange& u : umask_changes_) {
    if (u.pidfd < 0 && !pidfd.valid()) return;
    if (u.tid != tid || u.pidfd < 0) continue;
    if (ThreadGone(u.pidfd)) {
      close(u.pidfd);
      u.pidfd = pidfd.valid() ? pidfd.Release() : -1;
    }
    return;
  }
  umask_changes_.push_back({tid, pidfd.valid() ? pidfd.Release() : -1});
}

void CredentialsCache::EndUmaskChangesLocked(pid_t tid) {
  // Without a pidfd a change is never known done (BeginUmask).
  if (DropRecords(umask_changes_, [&](const UmaskChange& u) {
        return u.pidfd >= 0 && (u.tid == tid || ThreadGone(u.pidfd));
      })) {
    ++umask_gen_;
  }
}

void CredentialsCache::InvalidateThread(pid_t tid) {
  std::lock_guard lock(mu_);
  ++seq_;
  EraseLocked(tid);
}

bool CredentialsCache::InvalidateExec(pid_t tid) {
  // Which thread group: execve is rare and slow, one /proc read more is fine.
  auto creds = reader_(tid);
  UniqueFd pidfd;
  if (creds.ok() && creds->tgid != tid) pidfd.Reset(OpenThreadPidfd(tid));
  std::lock_guard lock(mu_);
  ++seq_;
  EraseLocked(tid);
  if (!creds.ok() || creds->tgid <= 0) {
    ClearLocked();  // unknown group: forget everything rather than guess
    return false;
  }
  pid_t tgid = creds->tgid;
  for (auto i = entries_.begin(); i != entries_.end();) {
    if (i->second.creds.tgid == tgid) {
      close(i->second.pidfd);
      i = entries_.erase(i);
    } else {
      ++i;
    }
  }
  if (tgid == tid) return true;
  for (const PendingExec& p : pending_exec_) {
    if (p.tid == tid && p.tgid == tgid) return true;  // this thread's earlier exec is still pending
  }
  // Without a pidfd of `tid` (pidfds of threads need Linux 6.9; or no fd left) the exec is not
  // known over until the whole process is (a pidfd of the group), or never: the group's leader is
  // not cached again until then (or `tid` calls again: the exec failed). One such record per
  // group: a process exec'ing from threads in a loop adds no more.
  if (!pidfd.valid()) {
    for (const PendingExec& p : pending_exec_) {
      if (p.tgid == tgid && p.whole_group) return true;
    }
    pidfd.Reset(static_cast<int>(syscall(SYS_pidfd_open, tgid, 0)));
    pending_exec_.push_back({tgid, tid, pidfd.valid() ? pidfd.Release() : -1, /*whole_group=*/true});
    return true;
  }
  pending_exec_.push_back({tgid, tid, pidfd.Release(), /*whole_group=*/false});
  return true;
}

void CredentialsCache::ClearLocked() {
  for (auto& [t, e] : entries_) close(e.pidfd);
  entries_.clear();
}

void CredentialsCache::SweepDead() {
  std::lock_guard lock(mu_);
  SweepDeadLocked();
}

void CredentialsCache::SweepDeadLocked() {
  EndUmaskChangesLocked(0);
  for (auto i = entries_.begin(); i != entries_.end();) {
    if (ThreadGone(i->second.pidfd)) {
      close(i->second.pidfd);
      i = entries_.erase(i);
    } else {
      ++i;
    }
  }
  if (DropRecords(pending_exec_, [](const PendingExec& p) { return ThreadGone(p.pidfd); })) {
    ++seq_;  // as in LeaderCacheableLocked
  }
}

void CredentialsCache::DropOwner(const void* owner) {
  std::lock_guard lock(mu_);
  for (auto i = entries_.begin(); i != entries_.end();) {
    if (i->second.owner == owner) {
      close(i->second.pidfd);
      i = entries_.erase(i);
    } else {
      ++i;
    }
  }
}

CredentialsCache::Stats CredentialsCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

size_t CredentialsCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

Status EnterPrivateFsContext() {
  if (unshare(CLONE_FS) != 0) return ErrnoStatus("unshare(CLONE_FS)");
  current_umask = static_cast<mode_t>(syscall(SYS_umask, 022));
  syscall(SYS_umask, current_umask);
  private_fs = true;
  return Status::Ok();
}

// The sentry thread's own identity, read once per thread: only ScopedCredentials (which restores
// it) and ScopedSentryCapabilities (which restores too) change it.
Status LoadSentryIdentity() {
  if (saved.valid) return Status::Ok();
  // The sentry's own effective set is its whole permitted set. The thread's set now may be a
  // caller's (a worker that starts another thread passes on the set it kept, see below).
  uint64_t effective_now = 0;
  SEE_RETURN_IF_ERROR(GetCaps(&effective_now, &saved.permitted, &saved.inheritable));
  saved.effective = saved.permitted;
  int n = static_cast<int>(syscall(SYS_getgroups, 0, nullptr));
  saved.groups.resize(n > 0 ? n : 0);
  if (n > 0 && syscall(SYS_getgroups, n, saved.groups.data()) != n) return ErrnoStatus("getgroups");
  saved.fsuid = static_cast<uid_t>(syscall(SYS_setfsuid, -1));
  saved.fsgid = static_cast<gid_t>(syscall(SYS_setfsgid, -1));
  current_groups = saved.groups;
  current_effective = effective_now;
  saved.valid = true;
  return Status::Ok();
}

Result<ScopedCredentials> ScopedCredentials::Assume(const CallerCredentials& creds,
                                                    bool use_real_ids) {
  if (in_scope) return FailedPrecondition("nested ScopedCredentials");
  // A umask and cwd shared with the other workers would be another caller's meanwhile.
  if (!private_fs) return FailedPrecondition("this thread shares its fs context (umask, cwd)");
  SEE_RETURN_IF_ERROR(LoadSentryIdentity());
  ScopedCredentials scope;
  scope.active_ = true;  // from here on the destructor restores
  in_scope = true;
  mode_t want = creds.umask & 0777;
  if (want != current_umask) {
    syscall(SYS_umask, want);
    current_umask = want;
  }
  // Only what differs from the sentry's identity is switched (each switch is a credential commit
  // in the kernel, and the restore another): a caller with the sentry's own identity costs none.
  uid_t uid = use_real_ids ? creds.ruid : creds.fsuid;
  gid_t gid = use_real_ids ? creds.rgid : creds.fsgid;
  const bool switch_groups = creds.groups != current_groups;
  const bool switch_ids = uid != saved.fsuid || gid != saved.fsgid;
  // setgroups and setfsuid/setfsgid need CAP_SETGID/CAP_SETUID, which the set a previous caller
  // left on this thread may lack (that switch failed, and so did every later one on the thread).
  if ((switch_groups || switch_ids) && current_effective != saved.permitted) {
    if (SetCaps(saved.permitted, saved.permitted, saved.inheritable) != 0) std::abort();
    current_effective = saved.permitted;
  }
  if (switch_groups) {
    // Forget the groups first: if the switch fails, the thread's groups are unknown.
    current_groups.assign(1, static_cast<gid_t>(-1));
    if (syscall(SYS_setgroups, creds.groups.size(), creds.groups.data()) != 0) {
      return ErrnoStatus("setgroups");
    }
    current_groups = creds.groups;
  }
  if (switch_ids) {
    scope.ids_changed_ = true;
    syscall(SYS_setfsgid, gid);
    syscall(SYS_setfsuid, uid);
    if (static_cast<uid_t>(syscall(SYS_setfsuid, -1)) != uid ||
        static_cast<gid_t>(syscall(SYS_setfsgid, -1)) != gid) {
      return Status(Code::kPermissionDenied, "setfsuid/setfsgid refused", EPERM);
    }
  }
  uint64_t eff = creds.cap_effective;
  if (use_real_ids) eff = creds.ruid == 0 ? creds.cap_permitted : 0;
  eff &= saved.permitted;
  // A changed fsuid also changes the effective set (the kernel drops or raises the fs
  // capabilities with it), so the caller's set is applied whenever the ids changed; the destructor
  // restores both. With the sentry's own ids the caller's set stays after the scope (above).
  if (scope.ids_changed_ || eff != current_effective) {
    scope.caps_changed_ = true;
    if (SetCaps(eff, saved.permitted, saved.inheritable) != 0) {
      Status failed = ErrnoStatus("capset");
      uint64_t prm = 0, inh = 0;  // the set is whatever the kernel kept: track that
      if (!GetCaps(&current_effective, &prm, &inh).ok()) std::abort();
      return failed;
    }
    current_effective = eff;
  }
  return scope;
}

ScopedCredentials::~ScopedCredentials() {
  if (!active_) return;
  bool ok = true;
  // The supplementary groups stay (header), and so does the effective set when only it changed:
  // both only ever narrow what the thread may do outside a scope.
  if (ids_changed_) {
    // setfsuid back needs CAP_SETUID, which the caller's set may lack.
    ok = SetCaps(saved.effective, saved.permitted, saved.inheritable) == 0;
    syscall(SYS_setfsuid, saved.fsuid);
    syscall(SYS_setfsgid, saved.fsgid);
    ok = ok && static_cast<uid_t>(syscall(SYS_setfsuid, -1)) == saved.fsuid &&
         static_cast<gid_t>(syscall(SYS_setfsgid, -1)) == saved.fsgid;
    // setfsuid back to the sentry's id raised the fs capabilities again; the exact set once more.
    ok = ok && SetCaps(saved.effective, saved.permitted, saved.inheritable) == 0;
    current_effective = saved.effective;
  }
  in_scope = false;
  if (!ok) std::abort();
}

ScopedSentryCapabilities::ScopedSentryCapabilities(uint64_t only) {
  if (!LoadSentryIdentity().ok()) return;
  effective_ = current_effective;
  uint64_t raised = effective_ | (saved.permitted & only);
  if (raised == effective_) return;
  if (SetCaps(raised, saved.permitted, saved.inheritable) != 0) std::abort();
  current_effective = raised;
  changed_ = true;
}

ScopedSentryCapabilities::~ScopedSentryCapabilities() {
  if (!changed_) return;
  if (SetCaps(effective_, saved.permitted, saved.inheritable) != 0) std::abort();
  current_effective = effective_;
}

}  // namespace see::sentry
