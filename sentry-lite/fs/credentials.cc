#include "sentry-lite/fs/credentials.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include "base/file_util.h"

namespace see::sentry {
namespace {

struct SavedIdentity {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
  std::vector<gid_t> groups;
  mode_t umask = 0;
  uid_t fsuid = 0;
  gid_t fsgid = 0;
  bool valid = false;
};
thread_local SavedIdentity saved;
thread_local bool in_scope = false;  // a ScopedCredentials is alive on this thread

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
  return ParseProcStatus(*text);
}

Status EnterPrivateFsContext() {
  if (unshare(CLONE_FS) != 0) return ErrnoStatus("unshare(CLONE_FS)");
  return Status::Ok();
}

// The sentry thread's own identity, read once per thread: only ScopedCredentials (which restores
// it) and ScopedSentryCapabilities (which restores too) change it.
Status LoadSentryIdentity() {
  if (saved.valid) return Status::Ok();
  SEE_RETURN_IF_ERROR(GetCaps(&saved.effective, &saved.permitted, &saved.inheritable));
  int n = static_cast<int>(syscall(SYS_getgroups, 0, nullptr));
  saved.groups.resize(n > 0 ? n : 0);
  if (n > 0 && syscall(SYS_getgroups, n, saved.groups.data()) != n) return ErrnoStatus("getgroups");
  saved.fsuid = static_cast<uid_t>(syscall(SYS_setfsuid, -1));
  saved.fsgid = static_cast<gid_t>(syscall(SYS_setfsgid, -1));
  saved.valid = true;
  return Status::Ok();
}

Result<ScopedCredentials> ScopedCredentials::Assume(const CallerCredentials& creds,
                                                    bool use_real_ids) {
  if (in_scope) return FailedPrecondition("nested ScopedCredentials");
  SEE_RETURN_IF_ERROR(LoadSentryIdentity());
  ScopedCredentials scope;
  scope.active_ = true;  // from here on the destructor restores
  in_scope = true;
  saved.umask = static_cast<mode_t>(syscall(SYS_umask, creds.umask & 0777));
  // Only what differs from the sentry's identity is switched (each switch is a credential commit
  // in the kernel, and the restore another): a caller with the sentry's own identity costs none.
  if (creds.groups != saved.groups) {
    scope.groups_changed_ = true;
    if (syscall(SYS_setgroups, creds.groups.size(), creds.groups.data()) != 0) {
      return ErrnoStatus("setgroups");
    }
  }
  uid_t uid = use_real_ids ? creds.ruid : creds.fsuid;
  gid_t gid = use_real_ids ? creds.rgid : creds.fsgid;
  if (uid != saved.fsuid || gid != saved.fsgid) {
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
  // capabilities with it), so the caller's set is applied whenever the ids changed.
  if (scope.ids_changed_ || eff != saved.effective) {
    scope.caps_changed_ = true;
    if (SetCaps(eff, saved.permitted, saved.inheritable) != 0) return ErrnoStatus("capset");
  }
  return scope;
}

ScopedCredentials::~ScopedCredentials() {
  if (!active_) return;
  bool ok = true;
  // Capabilities first: setgroups needs CAP_SETGID, which the caller's identity may lack.
  if (caps_changed_ || ids_changed_ || groups_changed_) {
    ok = SetCaps(saved.effective, saved.permitted, saved.inheritable) == 0;
  }
  if (ids_changed_) {
    syscall(SYS_setfsuid, saved.fsuid);
    syscall(SYS_setfsgid, saved.fsgid);
    ok = ok && static_cast<uid_t>(syscall(SYS_setfsuid, -1)) == saved.fsuid &&
         static_cast<gid_t>(syscall(SYS_setfsgid, -1)) == saved.fsgid;
  }
  if (groups_changed_) {
    ok = ok && syscall(SYS_setgroups, saved.groups.size(), saved.groups.data()) == 0;
  }
  if (caps_changed_ || ids_changed_) {
    ok = ok && SetCaps(saved.effective, saved.permitted, saved.inheritable) == 0;
  }
  syscall(SYS_umask, saved.umask);
  in_scope = false;
  if (!ok) std::abort();
}

ScopedSentryCapabilities::ScopedSentryCapabilities() {
  if (!GetCaps(&effective_, &permitted_, &inheritable_).ok()) return;
  changed_ = effective_ != permitted_ && SetCaps(permitted_, permitted_, inheritable_) == 0;
}

ScopedSentryCapabilities::~ScopedSentryCapabilities() {
  if (changed_ && SetCaps(effective_, permitted_, inheritable_) != 0) std::abort();
}

}  // namespace see::sentry
