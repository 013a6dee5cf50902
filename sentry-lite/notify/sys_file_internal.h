// Helpers shared by the file-system handlers (sys_file.cc, sys_fsattr.cc, sys_views.cc, and
// sys_socket.cc's bind to a path). Internal
// to notify/: not an API.
#pragma once

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <string_view>

#include "sentry-lite/notify/syscall_call.h"

namespace see::sentry::file_internal {

struct Prepared {
  UniqueFd start;  // caller's dirfd or cwd (for relative or empty paths, and `dirfd_is_root`)
  const CallerCredentials* creds = nullptr;
  const CallerView* view = nullptr;
};

// ESRCH (the caller vanished) means "answer nothing".
inline Reply Fail(const Status& s) { return s.err() == ESRCH ? Reply::Drop() : Reply::FromStatus(s); }

struct PrepareOptions {
  bool dirfd_is_root = false;  // an absolute path starts at the dirfd too (RESOLVE_IN_ROOT)
  bool empty_ok = false;       // "" names the dirfd itself (AT_EMPTY_PATH; readlinkat always)
};

// An empty path the call does not take is ENOENT before its dirfd is looked at (the kernel's
// getname refuses it first).
inline Result<Prepared> Prepare(SyscallCall& call, int dirfd, std::string_view path,
                                PrepareOptions options = {}) {
  if (path.empty() && !options.empty_ok) return ErrnoStatus(ENOENT, "empty path");
  Prepared p;
  if (path.empty() || path[0] != '/' || options.dirfd_is_root) {
    SEE_ASSIGN_OR_RETURN(p.start, call.StartDir(dirfd));
  }
  SEE_ASSIGN_OR_RETURN(p.creds, call.Credentials());
  SEE_ASSIGN_OR_RETURN(p.view, call.View());
  if (!call.StillValid()) return ErrnoStatus(ESRCH, "caller gone");
  return p;
}

inline Reply ResultOf(long rc) { return rc < 0 ? Reply::Error(errno) : Reply::Value(rc); }

// Opens what a stat-like call names: the caller's fd itself for AT_EMPTY_PATH with "", otherwise
// the path resolved O_PATH (no follow for AT_SYMLINK_NOFOLLOW).
inline Result<UniqueFd> OpenForStat(SyscallCall& call, const Prepared& p, int dirfd,
                             const std::string& path, int at_flags) {
  if (path.empty()) {
    if ((at_flags & AT_EMPTY_PATH) == 0) return ErrnoStatus(ENOENT, "empty path");
    if (dirfd == AT_FDCWD) return UniqueFd(dup(p.start.get()));
    return call.CallerFd(dirfd);
  }
  open_how how{.flags = static_cast<uint64_t>(O_PATH | ((at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0))};
  return call.resolver().Open(p.start.get(), path, how, p.view);
}

// A name in the caller's own /proc fd (or fdinfo) directory (PathResolver::Parent::own_entry):
// Linux lets a process past every permission check there, and procfs itself then refuses every
// change (EEXIST, ENOENT, EPERM, ENOTDIR). The sentry acts there with these of its capabilities, so
// that the answer is procfs's; the directory holds only magic links and its ops create nothing.
constexpr uint64_t kOwnProcDirCaps = CapBit(CAP_DAC_OVERRIDE) | CapBit(CAP_DAC_READ_SEARCH);

// Runs `op(parent_fd, name)` for the last component of the path, with the caller's identity.
// `dot_err` is what the syscall gives for "." / ".." as last component. The name keeps a trailing
// slash so the kernel applies its own trailing-slash rules.
template <typename Op>
Reply OnName(SyscallCall& call, int dirfd, const std::string& path, int dot_err, int dotdot_err,
             Op op) {
  auto p = Prepare(call, dirfd, path);
  if (!p.ok()) return Fail(p.status());
  auto scope = ScopedCredentials::Assume(*p->creds);
  if (!scope.ok()) return Fail(scope.status());
  auto parent = call.resolver().OpenParent(p->start.get(), path, p->view);
  if (!parent.ok()) return Fail(parent.status());
  if (parent->last == ".") return Reply::Error(dot_err);
  if (parent->last == "..") return Reply::Error(dotdot_err);
  std::string name = parent->last + (parent->trailing_slash ? "/" : "");
  ScopedSentryCapabilities own(parent->own_entry ? kOwnProcDirCaps : 0);
  return ResultOf(op(parent->dir.get(), name.c_str()));
}

// If the container has views and `fd` (just opened read-only for the caller; `fs_type` is its
// file system's type from fstatfs, `place` the resolver's FsPlaceOf it) is one of the view files
// (fs/views.h), a sealed read-only memfd with the pod's content to install instead; nullopt when
// `fd` is to be installed as it is. (sys_views.cc)
Result<std::optional<UniqueFd>> ServeViewFile(SyscallCall& call, int fd, long fs_type,
                                              uint64_t open_flags,
                                              const Result<std::optional<PathResolver::FsPlace>>& place);

}  // namespace see::sentry::file_internal
