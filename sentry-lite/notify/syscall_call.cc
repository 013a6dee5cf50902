#include "sentry-lite/notify/syscall_call.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace see::sentry {
namespace {

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

constexpr size_t kPage = 4096;

// Calls whose result depends on the caller's umask (they create inodes): the cached umask is not
// trusted for them (another thread sharing the caller's fs_struct may have changed it).
bool UsesUmask(int nr, const seccomp_data& d) {
  constexpr uint32_t kCreates = O_CREAT | (O_TMPFILE & ~O_DIRECTORY);
  switch (nr) {
    case SYS_open: return (d.args[1] & kCreates) != 0;
    case SYS_openat: return (d.args[2] & kCreates) != 0;
    case SYS_openat2:  // flags in caller memory
    case SYS_creat:
    case SYS_mkdir:
    case SYS_mkdirat:
    case SYS_mknod:
    case SYS_mknodat:
    case SYS_bind:  // AF_UNIX socket inodes
      return true;
    default: return false;
  }
}

}  // namespace

// process_vm_readv/writev of the caller, retried with the sentry's own capabilities on EPERM:
// outside a scope the thread may have a caller's set (credentials.h), and the ptrace check wants
// CAP_SYS_PTRACE for a non-dumpable caller or one with capabilities beyond that set.
ssize_t SyscallCall::CallerVm(bool write, const iovec& local, const iovec& remote) {
  auto once = [&] {
    return write ? process_vm_writev(tid(), &local, 1, &remote, 1, 0)
                 : process_vm_readv(tid(), &local, 1, &remote, 1, 0);
  };
  ssize_t n = once();
  if (n >= 0 || errno != EPERM) return n;
  ScopedSentryCapabilities sentry_caps;
  return once();
}

Status SyscallCall::Read(uint64_t addr, void* out, size_t len) {
  if (len == 0) return Status::Ok();
  if (addr == 0) return ErrnoStatus(EFAULT, "NULL pointer");
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = CallerVm(false, local, remote);
  if (n != static_cast<ssize_t>(len)) return ErrnoStatus(n < 0 && errno == ESRCH ? ESRCH : EFAULT, "read caller memory");
  return Status::Ok();
}

Status SyscallCall::Write(uint64_t addr, const void* data, size_t len) {
  if (len == 0) return Status::Ok();
  if (addr == 0) return ErrnoStatus(EFAULT, "NULL pointer");
  iovec local{const_cast<void*>(data), len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = CallerVm(true, local, remote);
  if (n != static_cast<ssize_t>(len)) return ErrnoStatus(EFAULT, "write caller memory");
  return Status::Ok();
}

Result<std::string> SyscallCall::ReadPath(uint64_t addr) {
  return ReadString(addr, PATH_MAX - 1, ENAMETOOLONG);
}

Result<std::string> SyscallCall::ReadString(uint64_t addr, size_t max_len, int too_long_err) {
  if (addr == 0) return ErrnoStatus(EFAULT, "NULL string");
  std::string out;
  char buf[kPage];
  // Page by page: a string may end just before an unmapped page, which must not turn into EFAULT.
  while (out.size() <= max_len) {
    size_t chunk = kPage - (addr % kPage);
    iovec local{buf, chunk};
    iovec remote{reinterpret_cast<void*>(addr), chunk};
    ssize_t n = CallerVm(false, local, remote);
    // EPERM (the caller's memory is not the sentry's to read: a runtime init before its execve,
    // when the sentry serves from inside a pod's user namespace) stays apart from EFAULT.
    if (n <= 0) {
      int err = n < 0 && (errno == ESRCH || errno == EPERM) ? errno : EFAULT;
      return ErrnoStatus(err, "read caller path");
    }
    const char* nul = static_cast<const char*>(memchr(buf, '\0', static_cast<size_t>(n)));
    if (nul != nullptr) {
      out.append(buf, static_cast<size_t>(nul - buf));
      if (out.size() > max_len) break;
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
    addr += static_cast<uint64_t>(n);
  }
  return ErrnoStatus(too_long_err, "string too long");
}

bool SyscallCall::StillValid() const {
  uint64_t id = notif_.id;
  return ioctl(listener_fd_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

namespace {

// A magic link of a /proc/<pid> directory the sentry follows for a caller: exe, cwd, root,
// ns/<type> and (`with_fds`) fd/<n>. ENOENT for a namespace type or fd that can not exist, ELOOP
// for any other name (refused as a magic link).
Status CheckLinkName(std::string_view name, bool with_fds) {
  static constexpr std::string_view kNamespaces[] = {
      "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts"};
  if (name.starts_with("ns/")) {
    if (std::find(std::begin(kNamespaces), std::end(kNamespaces), name.substr(3)) == std::end(kNamespaces)) {
      return ErrnoStatus(ENOENT, "no such namespace link");
    }
  } else if (with_fds && name.starts_with("fd/")) {
    std::string_view n = name.substr(3);
    if (n.empty() || !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return ErrnoStatus(ENOENT, "no such fd link");
    }
  } else if (name != "exe" && name != "cwd" && name != "root") {
    return ErrnoStatus(ELOOP, "magic link");
  }
  return Status::Ok();
}

// A namespace link leads to a namespace, an object with nothing below it (an fd of it lets the
// caller do what its own /proc would: setns stays refused by the filter).
Status CheckNamespaceObject(std::string_view name, int fd, const std::string& where) {
  struct statfs fs {};
  if (name.starts_with("ns/") && (fstatfs(fd, &fs) != 0 || fs.f_type != NSFS_MAGIC)) {
    return ErrnoStatus(ELOOP, "not a namespace: " + where);
  }
  return Status::Ok();
}

}  // namespace

Result<UniqueFd> SyscallCall::CallerLink(std::string_view name) {
  SEE_RETURN_IF_ERROR(CheckLinkName(name, /*with_fds=*/false));
  const bool ns = name.starts_with("ns/");
  std::string link = "/proc/" + std::to_string(tid()) + "/" + std::string(name);
  int fd;
  int err;
  {
    // Following another process's magic link is a ptrace-read check on the current (possibly the
    // caller's) identity; the caller's own links are always its own to follow.
    ScopedSentryCapabilities sentry_caps;
    fd = open(link.c_str(), O_PATH | O_CLOEXEC);
    err = errno;
  }
  if (fd < 0) return ErrnoStatus(err == ENOENT && !ns ? ESRCH : err, "open " + link);
  UniqueFd out(fd);
  SEE_RETURN_IF_ERROR(CheckNamespaceObject(name, out.get(), link));
  // The tid is the caller's only while the caller waits in this call (it can not be reused before).
  if (!StillValid()) return ErrnoStatus(ESRCH, "caller gone");
  return out;
}

Result<std::optional<UniqueFd>> SyscallCall::ProcRoot() {
  const int root = Root();
  if (root < 0) return std::optional<UniqueFd>();
  // The procfs mounted at /proc itself (its root: inode 1), from which everything below is
  // resolved without crossing a mount: a mount over /proc/<pid> (a volume) is never taken for it.
  open_how at_proc{.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                   .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  Result<UniqueFd> proc = OpenAt2(root, "proc", at_proc);
  if (!proc.ok()) return std::optional<UniqueFd>();
  struct statfs fs {};
  struct stat st {};
  if (fstatfs(proc->get(), &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC || fstat(proc->get(), &st) != 0 ||
      st.st_ino != 1) {
    return std::optional<UniqueFd>();
  }
  return std::optional<UniqueFd>(std::move(*proc));
}

int SyscallCall::ProcOfCaller() {
  if (own_proc_) return own_proc_->get();
  own_proc_.emplace();
  auto proc = ProcRoot();
  if (!proc.ok() || !proc->has_value()) return -1;
  // Its pid 1 is the init of the pid namespace it shows, so that namespace is the caller's when
  // the two ns links match; then <ns_tgid> there is the caller. (Not a host /proc bound there, nor
  // a chroot into another tree's.) Read with the sentry's rights: another process's ns link is a
  // ptrace-read check, and hidepid hides pid 1 from a caller.
  open_how below{.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                 .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  char theirs[64], callers[64];
  ssize_t a = -1, b = -1;
  {
    ScopedSentryCapabilities sentry_caps;
    Result<UniqueFd> link = OpenAt2((*proc)->get(), "1/ns/pid", below);
    if (link.ok()) a = readlinkat(link->get(), "", theirs, sizeof(theirs));
    b = readlink(("/proc/" + std::to_string(tid()) + "/ns/pid").c_str(), callers, sizeof(callers));
  }
  if (a <= 0 || a != b || memcmp(theirs, callers, static_cast<size_t>(a)) != 0 || !StillValid()) {
    return -1;
  }
  own_proc_ = std::move(**proc);
  return own_proc_->get();
}

Result<std::optional<UniqueFd>> SyscallCall::PeerLink(const std::string& dir, std::string_view name) {
  SEE_RETURN_IF_ERROR(CheckLinkName(name, /*with_fds=*/true));
  constexpr std::string_view kProc = "/proc/";
  if (!dir.starts_with(kProc)) return std::optional<UniqueFd>();
  SEE_ASSIGN_OR_RETURN(std::optional<UniqueFd> proc, ProcRoot());
  if (!proc) return std::optional<UniqueFd>();
  // The process's directory right below that root, without crossing a mount: a directory mounted
  // over /proc/<pid> (a bind of the sentry's own, from a host /proc) is walked as any path (found
  // by review). The caller's own search rights on the way.
  open_how how{.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
               .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  Result<UniqueFd> process = OpenAt2(proc->get(), dir.substr(kProc.size()), how);
  if (!process.ok() && process.status().err() == EXDEV) return std::optional<UniqueFd>();
  if (!process.ok()) return process.status();
  {
    // None of the sentry's: the kernel skips the ptrace check for a process's own links, and the
    // sentry's root is the host's.
    ScopedSentryCapabilities sentry_caps;
    SEE_ASSIGN_OR_RETURN(bool sentry, resolver().IsSentryTaskEntry(process->get()));
    if (sentry) return ErrnoStatus(EACCES, "a sentry thread's link");
  }
  // Another thread of the caller's own process (/proc/self/task/<tid>) in its own pid namespace's
  // procfs: Linux follows its links without a check (same thread group).
  SEE_ASSIGN_OR_RETURN(const CallerCredentials* c, Credentials());
  const std::string own_tasks = std::string(kProc) + std::to_string(c->ns_tgid) + "/task/";
  struct stat a {}, b {};
  const int own_proc = dir.starts_with(own_tasks) ? ProcOfCaller() : -1;
  const bool own_thread = own_proc >= 0 && fstat(own_proc, &a) == 0 && fstat(proc->get(), &b) == 0 &&
                          a.st_dev == b.st_dev;
  // The directory holds that process (its inode pins it: a pid reused since is another directory).
  // The kernel follows the link with the thread's identity, the caller's: its ptrace-read check
  // (PTRACE_MODE_READ_FSCREDS) is the one Linux makes for the caller.
  int fd;
  int err;
  {
    // (Its fd/ directory a process may always search itself, whatever its mode: proc_fd_permission.)
    std::optional<ScopedSentryCapabilities> ptrace;
    if (own_thread) {
      ptrace.emplace(CapBit(CAP_SYS_PTRACE) | (name.starts_with("fd/") ? CapBit(CAP_DAC_READ_SEARCH) : 0));
    }
    fd = openat(process->get(), std::string(name).c_str(), O_PATH | O_CLOEXEC);
    err = errno;
  }
  if (fd < 0) return ErrnoStatus(err, "open " + dir + "/" + std::string(name));
  UniqueFd out(fd);
  SEE_RETURN_IF_ERROR(CheckNamespaceObject(name, out.get(), dir + "/" + std::string(name)));
  // <ns_tgid> is the caller's only while the caller waits in this call.
  if (own_thread && !StillValid()) return ErrnoStatus(ESRCH, "caller gone");
  return std::optional<UniqueFd>(std::move(out));
}

Result<std::optional<UniqueFd>> SyscallCall::CallerEntry(const std::string& rel, std::string_view entry,
                                                         open_how how) {
  const int proc = IsOwnProcEntry(entry) ? ProcOfCaller() : -1;
  if (proc < 0) return std::optional<UniqueFd>();
  // The container's procfs, not the sentry's: a directory handed out (fd/) leads by ".." to the
  // caller's root, never to the host's (a first version used the host's /proc/<tid>/: found by
  // review). openat2 keeps Linux's flag checks, and the mount's own (a read-only /proc).
  const std::string below_proc = rel.substr(rel.find('/') + 1);  // rel is "proc/..."
  how.flags |= O_CLOEXEC;
  how.resolve |= RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  Result<UniqueFd> out = Internal("not opened");
  {
    // Linux lets a process open these entries of its own without the ptrace check; the sentry
    // passes it with CAP_SYS_PTRACE and keeps the caller's identity for the entry's mode (environ
    // and mem are 0400/0600, and root's while the caller is not dumpable: refused to it natively
    // too). The directories fd and fdinfo a process may always open for itself, whatever their
    // mode (proc_fd_permission): with CAP_DAC_READ_SEARCH too.
    bool dir = entry == "fd" || entry == "fdinfo";
    ScopedSentryCapabilities caps(CapBit(CAP_SYS_PTRACE) | (dir ? CapBit(CAP_DAC_READ_SEARCH) : 0));
    out = OpenAt2(proc, below_proc, how);
  }
  // <ns_tgid> is the caller's only while the caller waits in this call (it can not be reused before).
  if (!StillValid()) return ErrnoStatus(ESRCH, "caller gone");
  // A mount below /proc on the way (a volume over /proc/<pid>): not the entry; walked as any path.
  if (!out.ok() && out.status().err() == EXDEV) return std::optional<UniqueFd>();
  if (!out.ok()) return out.status();
  return std::optional<UniqueFd>(std::move(*out));
}

int SyscallCall::Root() {
  if (root_) return *root_;
  const int container_root = container_.root.get();
  root_ = container_root;
  if (!container_.chrooted.load(std::memory_order_acquire)) return *root_;
  auto own = CallerLink("root");
  struct stat a {}, b {};
  if (!own.ok() || fstat(own->get(), &a) != 0 || fstat(container_root, &b) != 0) {
    root_ = -1;
  } else if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
    // Another directory: served only inside the container's root, as a cwd or dirfd is (a root
    // outside it came from an fd the container should not have had; the sentry never walks there).
    if (PathResolver(container_root).CheckNamedInsideRoot(own->get()).ok()) {
      caller_root_ = std::move(*own);
      root_ = caller_root_.get();
    } else {
      root_ = -1;
    }
  }
  return *root_;
}

Result<const CallerCredentials*> SyscallCall::Credentials() {
  if (!creds_) {
    SEE_ASSIGN_OR_RETURN(CallerCredentials c,
                         CredentialsCache::Global().Get(tid(), UsesUmask(nr(), notif_.data),
                                                        [this] { return StillValid(); },
                                                        &container_));
    creds_ = std::move(c);
  }
  return &*creds_;
}

Result<int> SyscallCall::Pidfd() {
  if (!pidfd_.valid()) {
    long fd = syscall(SYS_pidfd_open, tid(), PIDFD_THREAD);
    if (fd < 0) return ErrnoStatus(ESRCH, "pidfd_open");
    pidfd_.Reset(static_cast<int>(fd));
  }
  return pidfd_.get();
}

Result<UniqueFd> SyscallCall::CallerFd(int fd) {
  if (fd < 0) return ErrnoStatus(EBADF, "negative fd");
  SEE_ASSIGN_OR_RETURN(int pidfd, Pidfd());
  ScopedSentryCapabilities sentry_caps;  // may run inside the caller's identity
  long r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  if (r < 0) return ErrnoStatus(errno == EBADF ? EBADF : errno, "pidfd_getfd");
  return UniqueFd(static_cast<int>(r));
}

Result<UniqueFd> SyscallCall::StartDir(int dirfd) {
  if (dirfd != AT_FDCWD) return CallerFd(dirfd);
  std::string cwd = "/proc/" + std::to_string(tid()) + "/cwd";
  int fd = open(cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && (errno == EACCES || errno == EPERM)) {
    // A ptrace-read check on the thread's current set, which may be a caller's (credentials.h).
    ScopedSentryCapabilities sentry_caps;
    fd = open(cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd < 0) return ErrnoStatus(errno == ENOENT ? ESRCH : errno, "open " + cwd);
  return UniqueFd(fd);
}

Result<const CallerView*> SyscallCall::View() {
  if (!view_) {
    SEE_ASSIGN_OR_RETURN(const CallerCredentials* c, Credentials());
    CallerView v;
    v.ns_tgid = c->ns_tgid;
    v.ns_tid = c->ns_tid;
    v.caller_fd = [this](int fd) { return CallerFd(fd); };
    v.caller_link = [this](std::string_view name) { return CallerLink(name); };
    v.peer_link = [this](const std::string& dir, std::string_view name) { return PeerLink(dir, name); };
    v.caller_entry = [this](const std::string& rel, std::string_view entry, const open_how& how) {
      return CallerEntry(rel, entry, how);
    };
    // A caller chrooted elsewhere has /proc/self only where its root has a procfs at /proc.
    const int root = Root();
    if (root != container_.root.get()) {
      open_how how{.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                   .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
      Result<UniqueFd> proc = root < 0 ? Result<UniqueFd>(ErrnoStatus(ENOENT, "no root")) : OpenAt2(root, "proc", how);
      struct statfs fs {};
      v.lexical = proc.ok() && fstatfs(proc->get(), &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
    }
    view_ = std::move(v);
  }
  return &*view_;
}

}  // namespace see::sentry
