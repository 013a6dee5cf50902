// Path-based syscalls that change or read inode attributes, and names that are not opens: link,
// symlink, mknod, chmod, chown, the utime family, truncate, xattrs, statfs, inotify_add_watch.
//
// Each handler checks its non-path arguments in the kernel's order (so errnos match), resolves the
// path in the container's view with the caller's identity (ScopedCredentials), and then applies
// the operation to the resolved object, never to a path string again:
//   - on the O_PATH fd with AT_EMPTY_PATH where the kernel offers it (fchmodat2, fchownat,
//     utimensat, fstatfs);
//   - through /proc/self/fd/N otherwise (linkat with AT_SYMLINK_FOLLOW, truncate, the xattr
//     calls, inotify_add_watch). Following that magic link lands on exactly the resolved object,
//     a symlink included (the kernel does not follow again after a magic-link jump).
// Permission checks are the kernel's, made with the caller's fsuid/fsgid/groups/capabilities.
// uids/gids (chown) are interpreted in the sentry's user namespace, which is the pod's.
#include <fcntl.h>
#include <limits.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include <cstring>
#include <vector>

#include "sentry-lite/notify/handlers.h"
#include "sentry-lite/notify/sys_file_internal.h"

namespace see::sentry {
namespace {

using namespace file_internal;  // NOLINT: the shared helpers of the file handlers

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

constexpr size_t kXattrNameMax = 255;     // XATTR_NAME_MAX
constexpr size_t kXattrSizeMax = 65536;   // XATTR_SIZE_MAX
constexpr int kStatAtFlags = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH;

std::string SelfFd(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// Resolves what an attribute call names (OpenForStat rules) with the caller's identity held by
// the caller of this function.
Result<UniqueFd> Target(SyscallCall& call, const Prepared& p, int dirfd, const std::string& path,
                        int at_flags) {
  return OpenForStat(call, p, dirfd, path, at_flags);
}

// --- link / symlink / mknod ---

Reply DoLink(SyscallCall& call, int olddirfd, uint64_t old_addr, int newdirfd, uint64_t new_addr,
             int flags) {
  if ((flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0) return Reply::Error(EINVAL);
  auto oldpath = call.ReadPath(old_addr);
  if (!oldpath.ok()) return Fail(oldpath.status());
  auto newpath = call.ReadPath(new_addr);
  if (!newpath.ok()) return Fail(newpath.status());
  auto po = Prepare(call, olddirfd, *oldpath, {.empty_ok = (flags & AT_EMPTY_PATH) != 0});
  if (!po.ok()) return Fail(po.status());
  // A bad new dirfd counts only after the old name's walk (do_linkat's order).
  auto pn = Prepare(call, newdirfd, *newpath);
  auto scope = ScopedCredentials::Assume(*po->creds);
  if (!scope.ok()) return Fail(scope.status());
  bool empty = oldpath->empty() && (flags & AT_EMPTY_PATH) != 0;
  int stat_flags = ((flags & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW) | (flags & AT_EMPTY_PATH);
  auto src = Target(call, *po, olddirfd, *oldpath, stat_flags);
  if (!src.ok()) return Fail(src.status());
  if (!pn.ok()) return Fail(pn.status());
  auto to = call.resolver().OpenParent(pn->start.get(), *newpath, pn->view);
  if (!to.ok()) return Fail(to.status());
  if (to->last == "." || to->last == "..") return Reply::Error(EEXIST);
  std::string name = to->last + (to->trailing_slash ? "/" : "");
  // A name in the caller's own fd directory (kOwnProcDirCaps).
  ScopedSentryCapabilities own(to->own_entry ? kOwnProcDirCaps : 0);
  if (empty) {
    // flink of a caller fd: the kernel's own AT_EMPTY_PATH rule decides (it needs
    // CAP_DAC_READ_SEARCH over the fd's opener here, as the sentry did not open it).
    return ResultOf(linkat(src->get(), "", to->dir.get(), name.c_str(), AT_EMPTY_PATH));
  }
  int procfd = SentryProcSelfFdDir();
  if (procfd >= 0) {
    return ResultOf(linkat(procfd, std::to_string(src->get()).c_str(), to->dir.get(), name.c_str(),
                           AT_SYMLINK_FOLLOW));
  }
  return ResultOf(linkat(AT_FDCWD, SelfFd(src->get()).c_str(), to->dir.get(), name.c_str(),
                         AT_SYMLINK_FOLLOW));
}
Reply SysLink(SyscallCall& call) { return DoLink(call, AT_FDCWD, call.arg(0), AT_FDCWD, call.arg(1), 0); }
Reply SysLinkat(SyscallCall& call) {
  return DoLink(call, call.arg_int(0), call.arg(1), call.arg_int(2), call.arg(3), call.arg_int(4));
}

Reply DoSymlink(SyscallCall& call, uint64_t target_addr, int newdirfd, uint64_t path_addr) {
  auto target = call.ReadPath(target_addr);
  if (!target.ok()) return Fail(target.status());
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  if (target->empty()) return Reply::Error(ENOENT);
  return OnName(call, newdirfd, *path, EEXIST, EEXIST, [&](int dir, const char* name) {
    return symlinkat(target->c_str(), dir, name);
  });
}
Reply SysSymlink(SyscallCall& call) { return DoSymlink(call, call.arg(0), AT_FDCWD, call.arg(1)); }
Reply SysSymlinkat(SyscallCall& call) {
  return DoSymlink(call, call.arg(0), call.arg_int(1), call.arg(2));
}

Reply DoMknod(SyscallCall& call, int dirfd, uint64_t path_addr, mode_t mode, unsigned dev) {
  switch (mode & S_IFMT) {
    case 0: case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK: break;
    case S_IFDIR: return Reply::Error(EPERM);
    default: return Reply::Error(EINVAL);
  }
  // A character device is the kernel's to allow, as under runc: CAP_MKNOD in the initial user
  // namespace (a pod's own user namespace never has it) and the container's devices cgroup, which
  // checks the caller's cgroup only when the caller makes the node itself (CONTINUE: the kernel
  // walks the path in the caller's root with its credentials). Opening the node is continued too
  // (sys_file.cc), so its reads and writes are the devices cgroup's as well.
  if (S_ISCHR(mode) && dev != 0) return Reply::Continue();
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  // Block devices are refused, after the name checks as the kernel refuses devices in a user
  // namespace. A whiteout (char 0:0) needs no capability, as in the kernel.
  bool device = S_ISBLK(mode);
  return OnName(call, dirfd, *path, EEXIST, EEXIST, [&](int dir, const char* name) -> long {
    if (device) {
      struct stat st;
      if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) return errno = EEXIST, -1;
      if (syscall(SYS_faccessat2, dir, "", W_OK | X_OK, AT_EMPTY_PATH | AT_EACCESS) != 0) return -1;
      return errno = EPERM, -1;
    }
    return syscall(SYS_mknodat, dir, name, mode, dev);
  });
}
Reply SysMknod(SyscallCall& call) {
  return DoMknod(call, AT_FDCWD, call.arg(0), static_cast<mode_t>(call.arg(1)),
                 static_cast<unsigned>(call.arg(2)));
}
Reply SysMknodat(SyscallCall& call) {
  return DoMknod(call, call.arg_int(0), call.arg(1), static_cast<mode_t>(call.arg(2)),
                 static_cast<unsigned>(call.arg(3)));
}

// --- chmod / chown ---

// Runs `op(fd)` on what (dirfd, path, at_flags) names, with the caller's identity.
template <typename Op>
Reply OnTarget(SyscallCall& call, int dirfd, uint64_t path_addr, int at_flags, Op op) {
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  auto p = Prepare(call, dirfd, *path, {.empty_ok = (at_flags & AT_EMPTY_PATH) != 0});
  if (!p.ok()) return Fail(p.status());
  auto scope = ScopedCredentials::Assume(*p->creds);
  if (!scope.ok()) return Fail(scope.status());
  auto fd = Target(call, *p, dirfd, *path, at_flags);
  if (!fd.ok()) return Fail(fd.status());
  return op(fd->get());
}

Reply DoChmod(SyscallCall& call, int dirfd, uint64_t path_addr, mode_t mode, int flags) {
  if ((flags & ~kStatAtFlags) != 0) return Reply::Error(EINVAL);
  return OnTarget(call, dirfd, path_addr, flags, [&](int fd) {
    return ResultOf(syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH));
  });
}
Reply SysChmod(SyscallCall& call) { return DoChmod(call, AT_FDCWD, call.arg(0), call.arg(1), 0); }
Reply SysFchmodat(SyscallCall& call) {
  return DoChmod(call, call.arg_int(0), call.arg(1), static_cast<mode_t>(call.arg(2)), 0);
}
Reply SysFchmodat2(SyscallCall& call) {
  return DoChmod(call, call.arg_int(0), call.arg(1), static_cast<mode_t>(call.arg(2)),
                 call.arg_int(3));
}

Reply DoChown(SyscallCall& call, int dirfd, uint64_t path_addr, uid_t uid, gid_t gid, int flags) {
  if ((flags & ~kStatAtFlags) != 0) return Reply::Error(EINVAL);
  return OnTarget(call, dirfd, path_addr, flags, [&](int fd) {
    return ResultOf(fchownat(fd, "", uid, gid, AT_EMPTY_PATH));
  });
}
Reply SysChown(SyscallCall& call) {
  return DoChown(call, AT_FDCWD, call.arg(0), call.arg_int(1), call.arg_int(2), 0);
}
Reply SysLchown(SyscallCall& call) {
  return DoChown(call, AT_FDCWD, call.arg(0), call.arg_int(1), call.arg_int(2), AT_SYMLINK_NOFOLLOW);
}
Reply SysFchownat(SyscallCall& call) {
  return DoChown(call, call.arg_int(0), call.arg(1), call.arg_int(2), call.arg_int(3),
                 call.arg_int(4));
}

// --- utime family ---

// `times` null: now. A NULL path with a real dirfd acts on that fd (futimens), as the kernel does.
Reply DoUtimes(SyscallCall& call, int dirfd, uint64_t path_addr, const timespec* times, int flags) {
  if (path_addr == 0 && dirfd != AT_FDCWD) {
    if (flags != 0) return Reply::Error(EINVAL);
    auto fd = call.CallerFd(dirfd);
    if (!fd.ok()) return Fail(fd.status());
    auto creds = call.Credentials();
    if (!creds.ok()) return Fail(creds.status());
    if (!call.StillValid()) return Reply::Drop();
    auto scope = ScopedCredentials::Assume(**creds);
    if (!scope.ok()) return Fail(scope.status());
    // The same open file as the caller's: O_PATH fds fail with EBADF as natively.
    return ResultOf(syscall(SYS_utimensat, fd->get(), nullptr, times, 0));
  }
  if ((flags & ~kStatAtFlags) != 0) return Reply::Error(EINVAL);
  return OnTarget(call, dirfd, path_addr, flags, [&](int fd) {
    return ResultOf(utimensat(fd, "", times, AT_EMPTY_PATH));
  });
}

Reply SysUtimensat(SyscallCall& call) {
  timespec ts[2];
  const timespec* times = nullptr;
  if (call.arg(2) != 0) {
    Status r = call.Read(call.arg(2), ts, sizeof(ts));
    if (!r.ok()) return Fail(r);
    // Nothing to do: the kernel does not even look at the path.
    if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT) return Reply::Value(0);
    times = ts;
  }
  return DoUtimes(call, call.arg_int(0), call.arg(1), times, call.arg_int(3));
}

Reply DoFutimesat(SyscallCall& call, int dirfd, uint64_t path_addr, uint64_t tv_addr) {
  timespec ts[2];
  const timespec* times = nullptr;
  if (tv_addr != 0) {
    timeval tv[2];
    Status r = call.Read(tv_addr, tv, sizeof(tv));
    if (!r.ok()) return Fail(r);
    for (const timeval& t : tv) {
      if (t.tv_usec < 0 || t.tv_usec >= 1000000) return Reply::Error(EINVAL);
    }
    for (int i = 0; i < 2; ++i) ts[i] = {tv[i].tv_sec, tv[i].tv_usec * 1000};
    times = ts;
  }
  return DoUtimes(call, dirfd, path_addr, times, 0);
}
Reply SysUtimes(SyscallCall& call) { return DoFutimesat(call, AT_FDCWD, call.arg(0), call.arg(1)); }
Reply SysFutimesat(SyscallCall& call) {
  return DoFutimesat(call, call.arg_int(0), call.arg(1), call.arg(2));
}
Reply SysUtime(SyscallCall& call) {
  timespec ts[2];
  const timespec* times = nullptr;
  if (call.arg(1) != 0) {
    utimbuf ub;
    Status r = call.Read(call.arg(1), &ub, sizeof(ub));
    if (!r.ok()) return Fail(r);
    ts[0] = {ub.actime, 0};
    ts[1] = {ub.modtime, 0};
    times = ts;
  }
  return DoUtimes(call, AT_FDCWD, call.arg(0), times, 0);
}

// --- truncate / statfs ---

Reply SysTruncate(SyscallCall& call) {
  auto length = static_cast<int64_t>(call.arg(1));
  if (length < 0) return Reply::Error(EINVAL);
  return OnTarget(call, AT_FDCWD, call.arg(0), 0, [&](int fd) {
    return ResultOf(truncate(SelfFd(fd).c_str(), length));
  });
}

Reply SysStatfs(SyscallCall& call) {
  struct statfs st;
  Reply r = OnTarget(call, AT_FDCWD, call.arg(0), 0, [&](int fd) { return ResultOf(fstatfs(fd, &st)); });
  if (r.kind != Reply::Kind::kValue) return r;
  Status w = call.Write(call.arg(1), &st, sizeof(st));
  return w.ok() ? Reply::Value(0) : Fail(w);
}

// --- xattrs ---

Result<std::string> ReadXattrName(SyscallCall& call, uint64_t addr) {
  SEE_ASSIGN_OR_RETURN(std::string name, call.ReadString(addr, kXattrNameMax, ERANGE));
  if (name.empty()) return ErrnoStatus(ERANGE, "empty xattr name");
  return name;
}

// The xattr calls act on /proc/self/fd/N of the resolved O_PATH fd, or, for the *xattrat calls
// with AT_EMPTY_PATH and "", on the caller's own open file (O_PATH: EBADF, as natively).
struct XattrTarget {
  UniqueFd fd;
  bool caller_file = false;
  std::string proc_path;
};

// The xattr calls on the resolved object by "N" under the sentry's /proc/self/fd (the *xattrat
// calls, Linux 6.13), so no walk from the sentry's "/" runs with the caller's identity. On ENOSYS
// (older kernel) or EPERM (also what the sentry's own allowlist answers if it lacks them, and a
// real outcome that the path form reproduces without side effects) the caller falls back to the
// /proc/self/fd/N path.
struct KernelXattrArgs {
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};
long XattrAt(int nr, int fd, const char* name, void* value, size_t size, int flags) {
  int dir = SentryProcSelfFdDir();
  if (dir < 0) return errno = ENOSYS, -1;
  std::string n = std::to_string(fd);
  if (nr == 465) return syscall(nr, dir, n.c_str(), 0, value, size);                  // list
  if (nr == 466) return syscall(nr, dir, n.c_str(), 0, name);                         // remove
  KernelXattrArgs args{reinterpret_cast<uint64_t>(value), static_cast<uint32_t>(size),
                       static_cast<uint32_t>(flags)};
  return syscall(nr, dir, n.c_str(), 0, name, &args, sizeof(args));                  // get/set
}

template <typename Op>
Reply OnXattrTarget(SyscallCall& call, int dirfd, uint64_t path_addr, int at_flags, Op op) {
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  auto p = Prepare(call, dirfd, *path, {.empty_ok = (at_flags & AT_EMPTY_PATH) != 0});
  if (!p.ok()) return Fail(p.status());
  auto scope = ScopedCredentials::Assume(*p->creds);
  if (!scope.ok()) return Fail(scope.status());
  XattrTarget t;
  if (path->empty() && (at_flags & AT_EMPTY_PATH) != 0) {
    if (dirfd == AT_FDCWD) return Reply::Error(EBADF);  // the kernel's fdget(AT_FDCWD)
    auto fd = call.CallerFd(dirfd);
    if (!fd.ok()) return Fail(fd.status());
    t.fd = std::move(*fd);
    t.caller_file = true;
  } else {
    auto fd = Target(call, *p, dirfd, *path, at_flags);
    if (!fd.ok()) return Fail(fd.status());
    t.fd = std::move(*fd);
    t.proc_path = SelfFd(t.fd.get());
  }
  return op(t);
}

Reply DoGetxattr(SyscallCall& call, int dirfd, uint64_t path_addr, int at_flags, uint64_t name_addr,
                 uint64_t value_addr, size_t size) {
  auto name = ReadXattrName(call, name_addr);
  if (!name.ok()) return Fail(name.status());
  size = std::min(size, kXattrSizeMax);
  std::vector<char> buf(size);
  Reply r = OnXattrTarget(call, dirfd, path_addr, at_flags, [&](const XattrTarget& t) {
    void* out = size ? buf.data() : nullptr;
    if (t.caller_file) return ResultOf(fgetxattr(t.fd.get(), name->c_str(), out, size));
    long r = XattrAt(464, t.fd.get(), name->c_str(), out, size, 0);
    if (r < 0 && (errno == ENOSYS || errno == EPERM)) r = getxattr(t.proc_path.c_str(), name->c_str(), out, size);
    return ResultOf(r);
  });
  if (r.kind != Reply::Kind::kValue || size == 0) return r;
  Status w = call.Write(value_addr, buf.data(), static_cast<size_t>(r.value));
  return w.ok() ? std::move(r) : Fail(w);
}

Reply DoSetxattr(SyscallCall& call, int dirfd, uint64_t path_addr, int at_flags, uint64_t name_addr,
                 uint64_t value_addr, size_t size, int flags) {
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) return Reply::Error(EINVAL);
  auto name = ReadXattrName(call, name_addr);
  if (!name.ok()) return Fail(name.status());
  if (size > kXattrSizeMax) return Reply::Error(E2BIG);
  std::vector<char> value(size);
  Status r = call.Read(value_addr, value.data(), size);
  if (!r.ok()) return Fail(r);
  return OnXattrTarget(call, dirfd, path_addr, at_flags, [&](const XattrTarget& t) {
    if (t.caller_file) return ResultOf(fsetxattr(t.fd.get(), name->c_str(), value.data(), size, flags));
    long r = XattrAt(463, t.fd.get(), name->c_str(), value.data(), size, flags);
    if (r < 0 && (errno == ENOSYS || errno == EPERM)) r = setxattr(t.proc_path.c_str(), name->c_str(), value.data(), size, flags);
    return ResultOf(r);
  });
}

Reply DoListxattr(SyscallCall& call, int dirfd, uint64_t path_addr, int at_flags, uint64_t list_addr,
                  size_t size) {
  size = std::min(size, kXattrSizeMax);
  std::vector<char> buf(size);
  Reply r = OnXattrTarget(call, dirfd, path_addr, at_flags, [&](const XattrTarget& t) {
    char* out = size ? buf.data() : nullptr;
    if (t.caller_file) return ResultOf(flistxattr(t.fd.get(), out, size));
    long r = XattrAt(465, t.fd.get(), nullptr, out, size, 0);
    if (r < 0 && (errno == ENOSYS || errno == EPERM)) r = listxattr(t.proc_path.c_str(), out, size);
    return ResultOf(r);
  });
  if (r.kind != Reply::Kind::kValue || size == 0) return r;
  Status w = call.Write(list_addr, buf.data(), static_cast<size_t>(r.value));
  return w.ok() ? std::move(r) : Fail(w);
}

Reply DoRemovexattr(SyscallCall& call, int dirfd, uint64_t path_addr, int at_flags,
                    uint64_t name_addr) {
  auto name = ReadXattrName(call, name_addr);
  if (!name.ok()) return Fail(name.status());
  return OnXattrTarget(call, dirfd, path_addr, at_flags, [&](const XattrTarget& t) {
    if (t.caller_file) return ResultOf(fremovexattr(t.fd.get(), name->c_str()));
    long r = XattrAt(466, t.fd.get(), name->c_str(), nullptr, 0, 0);
    if (r < 0 && (errno == ENOSYS || errno == EPERM)) r = removexattr(t.proc_path.c_str(), name->c_str());
    return ResultOf(r);
  });
}

Reply SysGetxattr(SyscallCall& c) { return DoGetxattr(c, AT_FDCWD, c.arg(0), 0, c.arg(1), c.arg(2), c.arg(3)); }
Reply SysLgetxattr(SyscallCall& c) {
  return DoGetxattr(c, AT_FDCWD, c.arg(0), AT_SYMLINK_NOFOLLOW, c.arg(1), c.arg(2), c.arg(3));
}
Reply SysSetxattr(SyscallCall& c) {
  return DoSetxattr(c, AT_FDCWD, c.arg(0), 0, c.arg(1), c.arg(2), c.arg(3), c.arg_int(4));
}
Reply SysLsetxattr(SyscallCall& c) {
  return DoSetxattr(c, AT_FDCWD, c.arg(0), AT_SYMLINK_NOFOLLOW, c.arg(1), c.arg(2), c.arg(3),
                    c.arg_int(4));
}
Reply SysListxattr(SyscallCall& c) { return DoListxattr(c, AT_FDCWD, c.arg(0), 0, c.arg(1), c.arg(2)); }
Reply SysLlistxattr(SyscallCall& c) {
  return DoListxattr(c, AT_FDCWD, c.arg(0), AT_SYMLINK_NOFOLLOW, c.arg(1), c.arg(2));
}
Reply SysRemovexattr(SyscallCall& c) { return DoRemovexattr(c, AT_FDCWD, c.arg(0), 0, c.arg(1)); }
Reply SysLremovexattr(SyscallCall& c) {
  return DoRemovexattr(c, AT_FDCWD, c.arg(0), AT_SYMLINK_NOFOLLOW, c.arg(1));
}

// The *xattrat calls (Linux 6.13): struct xattr_args {u64 value; u32 size; u32 flags;} of `usize`
// bytes, extensible (copy_struct_from_user rules).
struct XattrArgs {
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};

Result<XattrArgs> ReadXattrArgs(SyscallCall& call, uint64_t addr, size_t usize) {
  if (usize < sizeof(XattrArgs)) return ErrnoStatus(EINVAL, "xattr_args too small");
  if (usize > 4096) return ErrnoStatus(E2BIG, "xattr_args too big");
  XattrArgs a{};
  SEE_RETURN_IF_ERROR(call.Read(addr, &a, sizeof(a)));
  if (usize > sizeof(a)) {
    std::string rest(usize - sizeof(a), '\0');
    SEE_RETURN_IF_ERROR(call.Read(addr + sizeof(a), rest.data(), rest.size()));
    if (rest.find_first_not_of('\0') != std::string::npos) return ErrnoStatus(E2BIG, "xattr_args tail");
  }
  return a;
}

Reply SysGetxattrat(SyscallCall& c) {
  int at_flags = c.arg_int(2);
  if ((at_flags & ~kStatAtFlags) != 0) return Reply::Error(EINVAL);
  auto a = ReadXattrArgs(c, c.arg(4), c.arg(5));
  if (!a.ok()) return Fail(a.status());
  if (a->flags != 0) return Reply::Error(EINVAL);
  return DoGetxattr(c, c.arg_int(0), c.arg(1), at_flags, c.arg(3), a->value, a->size);
}
Reply SysSetxattrat(SyscallCall& c) {
  int at_flags = c.arg_int(2);
  if ((at_flags & ~kStatAtFlags) != 0) return Reply::Error(EINVAL);
  auto a = ReadXattrArgs(c, c.arg(4), c.arg(5));
  if (!a.ok()) return Fail(a.status());
  return DoSetxattr(c, c.arg_int(0), c.arg(1), at_flags, c.arg(3), a->value, a->size,
                    static_cast<int>(a->flags));
}
Reply SysListxattrat(SyscallCall& c) {
  int at_flags = c.arg_int(2);
  if ((at_flags & ~kStatAtFlags) != 0) return Reply::Error(EINVAL);
  return DoListxattr(c, c.arg_int(0), c.arg(1), at_flags, c.arg(3), c.arg(4));
}
Reply SysRemovexattrat(SyscallCall& c) {
  int at_flags = c.arg_int(2);
  if ((at_flags & ~kStatAtFlags) != 0) return Reply::Error(EINVAL);
  return DoRemovexattr(c, c.arg_int(0), c.arg(1), at_flags, c.arg(3));
}

// --- inotify_add_watch ---

// Served on the caller's own inotify instance (pidfd_getfd gives the same open file), so the watch
// descriptor and the events are the caller's. The path is resolved in the container view and
// watched through /proc/self/fd/N; read permission on the target is checked by the kernel with
// the caller's identity.
Reply SysInotifyAddWatch(SyscallCall& call) {
  constexpr uint32_t kAllInotifyBits = IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED |
                                       IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK |
                                       IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT;
  uint32_t mask = static_cast<uint32_t>(call.arg(2));
  if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE)) return Reply::Error(EINVAL);
  if ((mask & ~kAllInotifyBits) != 0 || (mask & kAllInotifyBits) == 0) return Reply::Error(EINVAL);
  auto ino = call.CallerFd(call.arg_int(0));
  if (!ino.ok()) return Fail(ino.status());
  // The kernel's fdget() does not see O_PATH files (pidfd_getfd does).
  int fl = fcntl(ino->get(), F_GETFL);
  if (fl < 0 || (fl & O_PATH) != 0) return Reply::Error(EBADF);
  char kind[64] = {};
  ssize_t n = readlink(SelfFd(ino->get()).c_str(), kind, sizeof(kind) - 1);
  if (n < 0 || strcmp(kind, "anon_inode:inotify") != 0) return Reply::Error(EINVAL);
  int at_flags = (mask & IN_DONT_FOLLOW) ? AT_SYMLINK_NOFOLLOW : 0;
  return OnTarget(call, AT_FDCWD, call.arg(1), at_flags, [&](int fd) -> Reply {
    if (mask & IN_ONLYDIR) {
      struct stat st;
      if (fstat(fd, &st) != 0) return Reply::Error(errno);
      if (!S_ISDIR(st.st_mode)) return Reply::Error(ENOTDIR);
    }
    // IN_DONT_FOLLOW was applied by the resolution; here it would stop at the magic link.
    return ResultOf(inotify_add_watch(ino->get(), SelfFd(fd).c_str(), mask & ~IN_DONT_FOLLOW));
  });
}

}  // namespace

void RegisterFsAttrHandlers(HandlerTable& t) {
  t[SYS_link] = SysLink;
  t[SYS_linkat] = SysLinkat;
  t[SYS_symlink] = SysSymlink;
  t[SYS_symlinkat] = SysSymlinkat;
  t[SYS_mknod] = SysMknod;
  t[SYS_mknodat] = SysMknodat;
  t[SYS_chmod] = SysChmod;
  t[SYS_fchmodat] = SysFchmodat;
  t[SYS_fchmodat2] = SysFchmodat2;
  t[SYS_chown] = SysChown;
  t[SYS_lchown] = SysLchown;
  t[SYS_fchownat] = SysFchownat;
  t[SYS_utime] = SysUtime;
  t[SYS_utimes] = SysUtimes;
  t[SYS_futimesat] = SysFutimesat;
  t[SYS_utimensat] = SysUtimensat;
  t[SYS_truncate] = SysTruncate;
  t[SYS_statfs] = SysStatfs;
  t[SYS_getxattr] = SysGetxattr;
  t[SYS_lgetxattr] = SysLgetxattr;
  t[SYS_setxattr] = SysSetxattr;
  t[SYS_lsetxattr] = SysLsetxattr;
  t[SYS_listxattr] = SysListxattr;
  t[SYS_llistxattr] = SysLlistxattr;
  t[SYS_removexattr] = SysRemovexattr;
  t[SYS_lremovexattr] = SysLremovexattr;
  t[463] = SysSetxattrat;
  t[464] = SysGetxattrat;
  t[465] = SysListxattrat;
  t[466] = SysRemovexattrat;
  t[SYS_inotify_add_watch] = SysInotifyAddWatch;
}

}  // namespace see::sentry
