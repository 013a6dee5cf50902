// SyscallCall: one intercepted syscall as a handler sees it, and Reply: what the handler answers.
//
// Handlers (sys_<area>.cc) share the signature `Reply Handler(SyscallCall&)`. They decode their
// arguments at the top, copying caller memory exactly once (ReadPath/Read), then check
// StillValid() before acting: after it returns true the pid/pidfd/fds they opened really belong to
// the caller (the notification id is only valid while the caller is blocked in this syscall).
//
// Thread safety: a SyscallCall is used by the one worker thread serving it.
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"
#include "sentry-lite/fs/credentials.h"
#include "sentry-lite/fs/path_resolver.h"
#include "sentry-lite/fs/views.h"

namespace see::sentry {

// Per-container state shared by every notification of one listener.
struct Container {
  UniqueFd root;  // the container's root directory, O_PATH, in the sentry's mount view
  // Where /proc and /sys views and sysinfo/sched_getaffinity take their limits from; nullptr:
  // the host's values are served unchanged (views.h).
  std::shared_ptr<const PodViews> views;
  // Set once any process of the container has called chroot (never cleared: its children and
  // execs keep the root). From then on every call resolves in its caller's own root.
  mutable std::atomic<bool> chrooted{false};
};

struct Reply {
  enum class Kind : uint8_t { kValue, kError, kInstallFd, kContinue, kDrop };
  Kind kind = Kind::kValue;
  int64_t value = 0;
  int err = 0;
  UniqueFd fd;          // kInstallFd: installed into the caller, the syscall returns its number
  bool cloexec = false;  // kInstallFd: O_CLOEXEC on the caller's new fd

  static Reply Value(int64_t v) { return Reply{Kind::kValue, v}; }
  static Reply Error(int err) { return Reply{Kind::kError, 0, err}; }
  static Reply FromStatus(const Status& s) { return Error(s.err() != 0 ? s.err() : EIO); }
  static Reply InstallFd(UniqueFd fd, bool cloexec) {
    Reply r{Kind::kInstallFd};
    r.fd = std::move(fd);
    r.cloexec = cloexec;
    return r;
  }
  // Only where the host kernel's own confinement already enforces the policy (see ARCHITECTURE
  // "Security model" 3); never as the outcome of a check on caller memory.
  static Reply Continue() { return Reply{Kind::kContinue}; }
  // The caller is gone or the notification is stale: answer nothing.
  static Reply Drop() { return Reply{Kind::kDrop}; }
};

class SyscallCall {
 public:
  SyscallCall(const seccomp_notif& notif, int listener_fd, const Container& container)
      : notif_(notif), listener_fd_(listener_fd), container_(container) {}
  SyscallCall(const SyscallCall&) = delete;
  SyscallCall& operator=(const SyscallCall&) = delete;

  int nr() const { return notif_.data.nr; }
  pid_t tid() const { return static_cast<pid_t>(notif_.pid); }
  uint64_t arg(int i) const { return notif_.data.args[i]; }
  int arg_int(int i) const { return static_cast<int>(static_cast<uint32_t>(arg(i))); }
  const Container& container() const { return container_; }
  uint64_t id() const { return notif_.id; }

  // Copies a NUL-terminated path from the caller: EFAULT (unreadable/NULL), ENAMETOOLONG
  // (no NUL within PATH_MAX).
  Result<std::string> ReadPath(uint64_t addr);
  // Copies a NUL-terminated string of at most `max_len` bytes (without the NUL): EFAULT
  // (unreadable/NULL), `too_long_err` when no NUL comes within max_len + 1 bytes.
  Result<std::string> ReadString(uint64_t addr, size_t max_len, int too_long_err);
  // Copies exactly `len` bytes; EFAULT when any of it is unreadable.
  Status Read(uint64_t addr, void* out, size_t len);
  // Writes into the caller's memory; EFAULT when not writable.
  Status Write(uint64_t addr, const void* data, size_t len);

  // SECCOMP_IOCTL_NOTIF_ID_VALID: the caller still waits in this very syscall.
  bool StillValid() const;

  // The caller's identity (read once, on first use).
  Result<const CallerCredentials*> Credentials();
  // A sentry-side duplicate of the caller's fd `fd` (pidfd_getfd); EBADF if it has none.
  Result<UniqueFd> CallerFd(int fd);
  // What the caller's own /proc/<pid>/{exe,cwd,root,ns/<type>} ("exe", "ns/net"...) names, O_PATH;
  // ESRCH if gone, ENOENT for an unknown namespace type.
  Result<UniqueFd> CallerLink(std::string_view name);
  // CallerView::peer_link: follows another process's link `name` below `dir` ("/proc/<pid>...")
  // of the procfs mounted at the caller's /proc, with the identity the thread has (the caller's,
  // in a served call): the kernel's ptrace-read check on that process is the caller's; a thread
  // of the caller's own process needs none (as natively). Never a link of the sentry's (EACCES).
  // nullopt when the directory is not a process's own in that procfs (no procfs root at /proc, a
  // mount on the way): walked as any path then.
  Result<std::optional<UniqueFd>> PeerLink(const std::string& dir, std::string_view name);
  // CallerView::caller_entry: opens the caller's own /proc entry at `rel` in its root's procfs when
  // that is its own pid namespace's (ProcOfCaller), past the ptrace check another opener must
  // pass, with the caller's identity otherwise; nullopt when it is not. REQUIRES: the caller's
  // identity is assumed (ScopedCredentials).
  Result<std::optional<UniqueFd>> CallerEntry(const std::string& rel, std::string_view entry,
                                              open_how how);
  // The root of the procfs at Root()'s /proc when it is the one of the caller's own pid namespace
  // (its pid 1's pid namespace is the caller's), else -1. Decided once per call.
  int ProcOfCaller();
  // The root (inode 1) of the procfs mounted at Root()'s /proc, whatever its pid namespace.
  Result<std::optional<UniqueFd>> ProcRoot();
  // Where a path relative to `dirfd` starts: the caller's dirfd, or its cwd for AT_FDCWD.
  Result<UniqueFd> StartDir(int dirfd);
  // /proc/self and /dev/fd as the caller means them (valid while this call lives).
  Result<const CallerView*> View();

  // A sentry-side pidfd of the calling thread (opened once per call).
  Result<int> Pidfd();

  // Where the caller's paths resolve: the container's root, or once the container has chrooted
  // (Container::chrooted) the caller's own root when that is another directory inside the
  // container's; -1 (every walk fails with ENOENT) when the caller's root lies outside it (a
  // chroot to a directory fd that came from outside the container) or the caller is gone.
  int Root();
  PathResolver resolver() { return PathResolver(Root(), container_.root.get()); }

 private:
  // One process_vm_readv (or writev) of the caller; -1 and errno on failure.
  ssize_t CallerVm(bool write, const iovec& local, const iovec& remote);

  const seccomp_notif& notif_;
  int listener_fd_;
  const Container& container_;
  UniqueFd pidfd_;
  std::optional<CallerCredentials> creds_;
  std::optional<CallerView> view_;
  std::optional<int> root_;  // Root(), decided on first use
  // The caller's own procfs at Root()'s /proc (ProcOfCaller), found on first use; invalid: none.
  std::optional<UniqueFd> own_proc_;
  UniqueFd caller_root_;     // the caller's own root when Root() is it
};

}  // namespace see::sentry
