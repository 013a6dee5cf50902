#include "sentry-lite/fs/path_resolver.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <mutex>
#include <vector>

#include "sentry-lite/fs/credentials.h"

namespace see::sentry {
namespace {

Status Errno(int err, std::string what) { return ErrnoStatus(err, std::move(what)); }

// The sentry's own /proc/self/fd, opened once at start-up with the sentry's identity: read through
// it, fd links need no search permission on the sentry's "/" (a 0700 host root would refuse a
// caller's uid walking "/proc/self/fd/N" by name while its identity is assumed).
// Reopened in a forked child (a directory fd of /proc/self/fd stays bound to the process that
// opened it: after fork it would list the parent's fds).
int ProcSelfFdDir() {
  static std::mutex mu;
  static pid_t owner = 0;
  static int fd = -1;
  std::lock_guard<std::mutex> lock(mu);
  pid_t me = getpid();
  if (owner != me) {
    if (fd >= 0) close(fd);
    fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    owner = me;
  }
  return fd;
}
// Opened at start-up with the sentry's own identity (see above).
[[maybe_unused]] const int g_proc_self_fd_init = ProcSelfFdDir();

Result<std::string> FdPath(int fd) {
  char buf[PATH_MAX + 1];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  int dir = ProcSelfFdDir();
  ssize_t n = dir >= 0 ? readlinkat(dir, std::to_string(fd).c_str(), buf, PATH_MAX)
                       : readlink(link.c_str(), buf, PATH_MAX);
  if (n < 0) return Errno(errno == ENOENT ? EBADF : errno, "readlink " + link);
  return std::string(buf, static_cast<size_t>(n));
}

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (!c.empty() && c != ".") out.push_back(c);
    i = j + 1;
  }
  return out;
}

// The last component is "." ("a/.", "a/./"): it searches the directory before it, where a
// trailing slash alone does not.
bool EndsWithDot(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path == "." || path.ends_with("/.");
}

// Whether the current identity may search directory `fd`: what Linux checks before it looks up
// a name there (may_lookup). 0, or the errno (EACCES).
int SearchError(int fd) {
  return syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) == 0 ? 0 : errno;
}

bool ParseFdNumber(std::string_view s, int* fd) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *fd);
  return ec == std::errc() && p == s.data() + s.size() && *fd >= 0;
}

std::string Join(const std::vector<std::string_view>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) {
    if (!out.empty()) out += '/';
    out += parts[i];
  }
  return out;
}

}  // namespace

Result<UniqueFd> OpenAt2(int dirfd, const std::string& path, open_how how) {
  const char* p = path.empty() ? "." : path.c_str();
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, dirfd, p, &how, sizeof(how));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != EAGAIN || attempt >= 16) return Errno(errno, "openat2 " + path);
  }
}

namespace {

// Whether the kernel walk that gave `result` for `full` may have passed a procfs "self" or
// "thread-self" reached through a symlink (which names the sentry there): the walk failed the way
// such a detour fails (no such pid in that procfs, a refused magic link) or ended on procfs, and the
// same walk without symlinks fails with ELOOP (it met one). Plain paths cost nothing more.
bool MayHaveMetProcSelf(int root_fd, const std::string& full, const open_how& how,
                        const Result<UniqueFd>& result) {
  if (result.ok()) {
    struct statfs sfs;
    if (fstatfs(result->get(), &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC) return false;
  } else {
    int err = result.status().err();
    if (err != ENOENT && err != ELOOP && err != ENOTDIR && err != EXDEV && err != EACCES) return false;
  }
  open_how probe{.flags = O_PATH | O_CLOEXEC | (how.flags & (O_NOFOLLOW | O_DIRECTORY)),
                 .resolve = how.resolve | RESOLVE_NO_SYMLINKS};
  long fd = syscall(SYS_openat2, root_fd, full.empty() ? "." : full.c_str(), &probe, sizeof(probe));
  if (fd >= 0) {
    close(static_cast<int>(fd));
    return false;
  }
  return errno == ELOOP;
}

bool SameInode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Deep enough for any tree a path walk can build (each level needs at least 2 bytes of path per
// relative step, and the walk is bounded anyway by the file system's own depth).
constexpr int kMaxAncestorWalk = 1 << 16;

}  // namespace

Status PathResolver::CheckInsideRoot(int fd) const {
  // With the sentry's rights: the directory is held already, and Linux walks from it whether or
  // not the caller may search its ancestors.
  ScopedSentryCapabilities sentry_caps;
  struct stat root, cur;
  if (fstat(root_fd_, &root) != 0) return Errno(errno, "fstat root");
  UniqueFd walk(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!walk.valid()) return Errno(errno, "dup");
  for (int i = 0; i < kMaxAncestorWalk; ++i) {
    if (fstat(walk.get(), &cur) != 0) return Errno(errno, "fstat");
    if (SameInode(cur, root)) return Status::Ok();
    UniqueFd up(openat(walk.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!up.valid()) return Errno(errno == ENOENT ? ENOENT : errno, "open ..");
    struct stat parent;
    if (fstat(up.get(), &parent) != 0) return Errno(errno, "fstat ..");
    if (SameInode(parent, cur)) break;  // the top of the sentry's tree: never met the root
    walk = std::move(up);
  }
  return Errno(ENOENT, "start directory outside the container root");
}

Result<bool> PathResolver::InsideRoot(int fd) const {
  Result<std::string> name = NameInsideRoot(fd);
  if (name.ok()) return true;
  if (name.status().err() != ENOENT && name.status().err() != ENAMETOOLONG) return name.status();
  Status inside = CheckInsideRoot(fd);  // unnamed: deleted, too deep, or another object's name
  if (inside.ok()) return true;
  if (inside.err() != ENOENT) return inside;
  return false;
}

Result<PathResolver::Start> PathResolver::StartOf(int start_fd, std::string_view path) const {
  Start out;
  // The joined path must stay a valid path for openat2.
  auto fits = [](const std::string& prefix, std::string_view rest) {
    return prefix.size() + rest.size() + 2 < PATH_MAX;
  };
  Result<std::string> rr = NameInsideRoot(start_fd);
  if (rr.ok() && fits(*rr, path)) {
    out.prefix = std::move(*rr);
    out.rest = std::string(path);
    return out;
  }
  if (!rr.ok() && rr.status().err() != ENOENT && rr.status().err() != ENAMETOOLONG) return rr.status();
  // The directory has no usable path to name it by: deleted (the caller's cwd removed under it),
  // too deep, or outside the root. Linux still walks from it, so do we: from the directory itself,
  // beneath it once it is known to lie inside the root (its ancestors lead to the root; a named one
  // is inside by NameInsideRoot), as Linux walks outside otherwise (OpenOutside).
  if (!rr.ok()) {
    Status inside = CheckInsideRoot(start_fd);
    if (!inside.ok() && inside.err() != ENOENT) return inside;
    if (!inside.ok()) {
      out.beneath = UniqueFd(fcntl(start_fd, F_DUPFD_CLOEXEC, 0));
      if (!out.beneath.valid()) return Errno(errno, "dup");
      out.rest = std::string(path);
      out.outside = true;
      return out;
    }
  }
  struct stat root, cur;
  if (fstat(root_fd_, &root) != 0) return Errno(errno, "fstat root");
  UniqueFd at(fcntl(start_fd, F_DUPFD_CLOEXEC, 0));
  if (!at.valid()) return Errno(errno, "dup");
  std::vector<std::string_view> parts = Components(path);
  size_t i = 0;
  // Leading ".." climb (staying at the root, as the kernel does); a named ancestor ends the detour.
  for (; i < parts.size() && parts[i] == ".."; ++i) {
    if (fstat(at.get(), &cur) != 0) return Errno(errno, "fstat");
    if (SameInode(cur, root)) continue;
    UniqueFd up(openat(at.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!up.valid()) return Errno(errno, "open ..");
    at = std::move(up);
    Result<std::string> named = RootRelative(at.get());
    if (named.ok() && fits(*named, Join(parts, i + 1))) {
      out.prefix = std::move(*named);
      out.rest = Join(parts, i + 1);
      if (path.back() == '/' && !out.rest.empty()) out.rest += '/';
      return out;
    }
  }
  out.beneath = std::move(at);
  out.rest = Join(parts, i);
  if (!path.empty() && path.back() == '/' && !out.rest.empty()) out.rest += '/';
  return out;
}

int SentryProcSelfFdDir() { return ProcSelfFdDir(); }

Result<std::string> PathResolver::RootRelative(int fd) const {
  if (root_fd_ < 0) return Errno(ENOENT, "the caller's root is outside the container's");
  Result<std::string> root_or = FdPath(root_fd_);
  if (!root_or.ok()) return root_or.status();
  Result<std::string> p_or = FdPath(fd);
  if (!p_or.ok()) return p_or.status();
  const std::string& root = *root_or;
  const std::string& p = *p_or;
  if (!p.starts_with('/') || p.ends_with(" (deleted)")) {
    return Errno(ENOENT, "start directory is gone or unreachable: " + p);
  }
  if (root == "/") return p.substr(1);
  if (p == root) return std::string();
  if (p.size() > root.size() && p.compare(0, root.size(), root) == 0 && p[root.size()] == '/') {
    return p.substr(root.size() + 1);
  }
  return Errno(ENOENT, "start directory outside the container root: " + p);
}

namespace {

UniqueFd OpenPathAt(int base, const std::string& p, uint64_t flags, uint64_t resolve) {
  open_how how{.flags = flags | O_PATH | O_CLOEXEC, .resolve = resolve};
  return UniqueFd(static_cast<int>(syscall(SYS_openat2, base, p.c_str(), &how, sizeof(how))));
}

// The inode number directory `dir` lists for `name` (readdir does not cross mounts: the entry's
// own, not what is mounted on it); 0 if none.
ino_t ListedInode(int dir, const std::string& name) {
  UniqueFd d(openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d.valid()) return 0;
  alignas(8) char buf[8192];
  for (;;) {
    long n = syscall(SYS_getdents64, d.get(), buf, sizeof(buf));
    if (n <= 0) return 0;
    for (long off = 0; off < n;) {
      auto* e = reinterpret_cast<struct dirent64*>(buf + off);
      if (name == e->d_name) return e->d_ino;
      off += e->d_reclen;
    }
  }
}

// Whether every mount met on the way from the procfs root `root` down `below` is a bind of the
// very directory or file it covers (runc's read-only /proc/sys, /proc/bus...), so that the names
// still say what the objects are. Something else mounted there (the sentry's /proc/<pid> bound over
// /proc/1, its mem over /proc/meminfo) is not: the name would say another process's.
bool OnlySelfBindsOnTheWay(int root, const std::vector<std::string>& below) {
  const uint64_t beneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd held;
  int dir = root;
  for (const std::string& name : below) {
    UniqueFd next = OpenPathAt(dir, name, O_NOFOLLOW, beneath | RESOLVE_NO_XDEV);
    if (!next.valid()) {
      if (errno != EXDEV) return false;
      next = OpenPathAt(dir, name, O_NOFOLLOW, beneath);  // what is mounted there
      struct stat st, parent;
      if (!next.valid() || fstat(next.get(), &st) != 0 || fstat(dir, &parent) != 0 ||
          st.st_dev != parent.st_dev || st.st_ino != ListedInode(dir, name)) {
        return false;
      }
    }
    held = std::move(next);
    dir = held.get();
  }
  return true;
}

}  // namespace

Result<std::string> PathResolver::NameInsideRoot(int fd) const {
  SEE_ASSIGN_OR_RETURN(std::string rel, RootRelative(fd));
  // On the root's own mount (held by root_fd_, so its id is not another's) the name is this
  // tree's. Not cached for other mounts: ids are reused once a mount is gone, a mount stacked on
  // a directory later hides it from its name, and a chrooted caller's mountinfo lists only what
  // its root reaches (found by review of a per-container cache of the container's mount ids).
  if (OnRootMount(fd)) return rel;
  SEE_RETURN_IF_ERROR(CheckNamedAt(fd, rel));
  return rel;
}

namespace {

// The kernel's interfaces mounted as file systems: procfs and sysfs, and what is mounted on them
// (cgroupfs, whose files check a write against their opener's credentials and cgroup namespace;
// securityfs, debugfs, tracefs, bpffs, efivarfs, binfmt_misc, pstore, selinuxfs, smackfs).
bool IsKernelInterfaceFs(long type) {
  switch (type) {
    case PROC_SUPER_MAGIC: case SYSFS_MAGIC: case CGROUP_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC:
    case SECURITYFS_MAGIC: case DEBUGFS_MAGIC: case TRACEFS_MAGIC: case BPF_FS_MAGIC:
    case EFIVARFS_MAGIC: case BINFMTFS_MAGIC: case PSTOREFS_MAGIC: case SELINUX_MAGIC:
    case SMACK_MAGIC:
      return true;
    default:
      return false;
  }
}

// Outside the root nothing below a kernel interface file system (IsKernelInterfaceFs) is walked,
// and of one only its root directory itself is looked up (an O_PATH walk): their self and
// magic links would name the sentry, the views and the own-entry check go by a file's place in
// the container's tree, and the sentry would be the opener of record.
Status RefuseKernelInterfaces(int fd, bool below, bool path_only) {
  struct statfs sfs;
  struct stat st {};
  if (fstatfs(fd, &sfs) != 0 || fstat(fd, &st) != 0) return Errno(errno, "fstatfs");
  if (IsKernelInterfaceFs(static_cast<long>(sfs.f_type)) &&
      (below || !path_only || !S_ISDIR(st.st_mode) || st.st_ino != 1)) {
    return Errno(EACCES, "a kernel interface file system outside the container's root");
  }
  return Status::Ok();
}

}  // namespace

bool PathResolver::OnRootMount(int fd) const {
  struct statx a {}, b {};
  return statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &a) == 0 &&
         statx(root_fd_, "", AT_EMPTY_PATH, STATX_MNT_ID, &b) == 0 && (a.stx_mask & STATX_MNT_ID) != 0 &&
         (b.stx_mask & STATX_MNT_ID) != 0 && a.stx_mnt_id == b.stx_mnt_id;
}

Status PathResolver::CheckNamedInsideRoot(int fd) const {
  SEE_ASSIGN_OR_RETURN(std::string rel, RootRelative(fd));
  return CheckNamedAt(fd, rel);
}

Status PathResolver::CheckNamedAt(int fd, const std::string& rel) const {
  UniqueFd again;
  {
    // With the sentry's rights: the object is already held, its ancestors need not be searchable
    // by the caller (a dirfd opened before it dropped privileges; found by review).
    ScopedSentryCapabilities sentry_caps;
    again = OpenPathAt(root_fd_, rel.empty() ? "." : rel, 0,
                       RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  }
  struct statx a {}, b {};
  const unsigned mask = STATX_INO | STATX_MNT_ID;
  if (!again.valid() || statx(fd, "", AT_EMPTY_PATH, mask, &a) != 0 ||
      statx(again.get(), "", AT_EMPTY_PATH, mask, &b) != 0 || a.stx_dev_major != b.stx_dev_major ||
      a.stx_dev_minor != b.stx_dev_minor || a.stx_ino != b.stx_ino || a.stx_mnt_id != b.stx_mnt_id) {
    return Errno(ENOENT, "not the object its name leads to inside the root");
  }
  return Status::Ok();
}

Result<std::optional<PathResolver::FsPlace>> PathResolver::FsPlaceOf(int fd) const {
  struct stat object;
  if (fstat(fd, &object) != 0) return Errno(errno, "fstat");
  // The object's name from the container's root. Only prefixes of that name are walked, and only
  // from that root: a name the container chose is never walked in the sentry's own mount
  // namespace (where it could trigger the host's automounts; found by review). An object with no
  // such name (outside the root) has no place.
  Result<std::string> rel = PathResolver(ns_root_fd_).RootRelative(fd);
  if (!rel.ok()) return std::optional<FsPlace>();
  std::vector<std::string_view> parts = Components(*rel);
  // The root of the object's own instance: the shortest prefix that is a directory of the same
  // device with inode 1 (the whole name when the object is that root: /proc itself).
  for (size_t i = 1; i <= parts.size(); ++i) {
    std::string prefix = "/";
    for (size_t j = 0; j < i; ++j) prefix += std::string(parts[j]) + "/";
    UniqueFd root = OpenPathAt(ns_root_fd_, prefix, O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
    struct stat st;
    if (!root.valid() || fstat(root.get(), &st) != 0 || st.st_dev != object.st_dev || st.st_ino != 1) {
      continue;
    }
    FsPlace place{.root = std::move(root), .object = object};
    for (size_t j = i; j < parts.size(); ++j) place.below.emplace_back(parts[j]);
    return std::optional<FsPlace>(std::move(place));
  }
  return std::optional<FsPlace>();
}

Result<bool> PathResolver::IsSentryTaskEntry(int fd) const { return IsSentryTaskEntry(FsPlaceOf(fd)); }

Result<bool> PathResolver::IsSentryTaskEntry(const Result<std::optional<FsPlace>>& found) const {
  if (!found.ok()) return found.status();
  const std::optional<FsPlace>& place = *found;
  if (!place) return true;  // no root of its procfs on its path (raced or out of reach): refused
  const uint64_t beneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  // A procfs whose pid namespace does not hold the sentry has no "self" for it.
  if (!OpenPathAt(place->root.get(), "self", 0, beneath).valid()) return false;
  // Below, names decide: a mount on the way that is not the same object again makes them say
  // nothing (found by review).
  if (!OnlySelfBindsOnTheWay(place->root.get(), place->below)) return true;
  // The entry of a thread of the sentry: its pid directory right below that root.
  int tid = 0;
  if (!place->below.empty() && ParseFdNumber(place->below[0], &tid) &&
      OpenPathAt(place->root.get(), "self/task/" + place->below[0], 0, beneath).valid()) {
    return true;
  }
  // Not one now: the object must still be what that name leads to from the root (a sentry
  // thread that has exited since the open is gone from there, a renamed directory leads
  // elsewhere). Otherwise it can not be told: refused.
  std::string name;
  for (const std::string& part : place->below) name += (name.empty() ? "" : "/") + part;
  if (name.empty()) name = ".";  // the procfs root itself
  UniqueFd again = OpenPathAt(place->root.get(), name, O_NOFOLLOW, beneath | RESOLVE_NO_SYMLINKS);
  struct stat st;
  return !(again.valid() && fstat(again.get(), &st) == 0 && st.st_dev == place->object.st_dev &&
           st.st_ino == place->object.st_ino);
}

Result<std::string> PathResolver::Absolutize(int start_fd, std::string_view path,
                                             const CallerView* caller, CallerObject* object,
                                             Start* beneath, bool nofollow_last) const {
  *object = CallerObject();
  if (path.empty()) return Errno(ENOENT, "empty path");
  if (path.size() >= PATH_MAX) return Errno(ENAMETOOLONG, "path too long");
  std::string full;
  if (path[0] == '/') {
    full = std::string(path);
  } else {
    SEE_ASSIGN_OR_RETURN(Start start, StartOf(start_fd, path));
    if (start.beneath.valid()) {
      std::string rest = std::move(start.rest);
      *beneath = std::move(start);
      return rest;
    }
    full = "/" + start.prefix + "/" + start.rest;
  }
  if (caller == nullptr || !caller->lexical) return full;
  // Lexical: /proc/self and friends as the caller spelled them, and the /dev links the runtime
  // makes to them (runtime-spec "dev symbolic links": /dev/fd, /dev/std{in,out,err}), which the
  // kernel would resolve as the sentry. Other spellings (a symlink of the image's own pointing into
  // /proc/self) are found after the kernel walk (LinksIntoProcSelf).
  std::vector<std::string_view> parts = Components(full);
  object->via_symlink = (parts.size() >= 2 && parts[0] == "dev") ||
                        (parts.size() >= 2 && parts[0] == "proc" && (parts[1] == "self" || parts[1] == "thread-self"));
  // ".." at the root is the root: "/../proc/self" is /proc/self.
  size_t lead = 0;
  while (lead < parts.size() && parts[lead] == "..") ++lead;
  parts.erase(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(lead));
  // A last "." (dropped from `parts`) wants a directory, as a trailing slash does ("f/." of a
  // file is ENOTDIR), but is a name of its own for O_CREAT (ENOENT for a missing "g/.", where
  // "g/" is EISDIR): it is kept as it was spelled.
  const bool last_dot = EndsWithDot(full);
  bool trailing = full.back() == '/' || last_dot;
  const std::string tail = last_dot ? "/." : trailing ? "/" : "";
  auto rest_from = [&](size_t i) {
    std::string rest = Join(parts, i);
    return rest.empty() ? rest : "/" + rest + tail;
  };
  // A trailing slash on the object itself ("/proc/self/cwd/") follows it and wants a directory:
  // "." below it says so (found by path_resolver_fuzz).
  auto after_from = [&](size_t i) {
    std::string rest = Join(parts, i);
    if (trailing) rest += rest.empty() ? "." : tail;
    return rest;
  };
  // The link itself when it is the last component and is not followed (lstat /dev/stdout).
  auto is_last_link = [&](size_t len) { return nofollow_last && !trailing && parts.size() == len; };
  if (parts.size() >= 2 && parts[0] == "dev" &&
      (parts[1] == "stdin" || parts[1] == "stdout" || parts[1] == "stderr") && !is_last_link(2)) {
    object->fd = parts[1] == "stdin" ? 0 : parts[1] == "stdout" ? 1 : 2;
    object->after = after_from(2);
    return std::string();
  }
  // /dev/fd itself: the caller's own fd directory, as /proc/self/fd is (below).
  if (parts.size() == 2 && parts[0] == "dev" && parts[1] == "fd" && caller->caller_entry && !is_last_link(2)) {
    object->entry = "fd";
    object->entry_path = "proc/" + std::to_string(caller->ns_tgid) + "/fd" + (trailing ? "/" : "");
    return std::string();
  }
  // The caller's own /proc directory: /proc/self, /proc/thread-self, /proc/<its pid>, and
  // task/<its tid> below the first and third. `own` indexes the first component below it.
  const std::string tgid = std::to_string(caller->ns_tgid);
  const std::string tid = std::to_string(caller->ns_tid);
  size_t own = 0;
  if (parts.size() >= 3 && parts[0] == "proc") {
    if (parts[1] == "thread-self") {
      own = 2;
    } else if (parts[1] == "self" || (caller->ns_tgid > 0 && parts[1] == tgid)) {
      own = parts.size() >= 5 && parts[2] == "task" && parts[3] == tid ? 4 : 2;
    }
  }
  size_t fd_at = 0;
  if (own != 0 && parts.size() >= own + 2 && parts[own] == "fd") {
    fd_at = own + 1;
  } else if (parts.size() >= 3 && parts[0] == "dev" && parts[1] == "fd") {
    fd_at = 2;
  }
  int n = -1;
  if (fd_at != 0 && ParseFdNumber(parts[fd_at], &n)) {
    object->fd = n;
    object->after = after_from(fd_at + 1);
    return std::string();
  }
  // The caller's own entries that Linux opens for it without a ptrace check, spelled with "self",
  // "thread-self" or its pid (which names the caller only in its own pid namespace's procfs: the
  // only one caller_entry opens them in).
  if (own != 0 && parts.size() == own + 1 && caller->caller_entry && IsOwnProcEntry(parts[own])) {
    object->entry = std::string(parts[own]);
    object->entry_by_pid = parts[1] == tgid;
    object->entry_path = "proc/" + tgid + (own == 4 || parts[1] == "thread-self" ? "/task/" + tid : "") +
                         "/" + object->entry + (trailing ? "/" : "");  // "maps/": ENOTDIR there
    return std::string();
  }
  if (own != 0 && parts.size() > own && !is_last_link(own + 1) && caller->caller_link &&
      (parts[own] == "exe" || parts[own] == "cwd" || parts[own] == "root")) {
    object->link = std::string(parts[own]);
    object->after = after_from(own + 1);
    return std::string();
  }
  // Its namespace links: ns/net names the namespace's own (nsfs) inode.
  if (own != 0 && parts.size() > own + 1 && parts[own] == "ns" && parts[own + 1] != ".." &&
      !is_last_link(own + 2) && caller->caller_link) {
    object->link = "ns/" + std::string(parts[own + 1]);
    object->after = after_from(own + 2);
    return std::string();
  }
  // Another process's (or another thread's) links, /proc/<pid>[/task/<tid>]/<link>: followed for
  // the caller by CallerView::peer_link, which leaves the ptrace check to the kernel.
  if (caller->peer_link && parts.size() >= 3 && parts[0] == "proc") {
    int n = 0;
    const bool self = parts[1] == "self" || parts[1] == tgid;
    size_t at = 0;
    std::string dir;
    if (parts.size() >= 5 && (self || ParseFdNumber(parts[1], &n)) && parts[2] == "task" &&
        ParseFdNumber(parts[3], &n) && !(self && parts[3] == tid)) {
      at = 4;
      dir = "/proc/" + (self ? tgid : std::string(parts[1])) + "/task/" + std::string(parts[3]);
    } else if (!self && parts[1] != "thread-self" && ParseFdNumber(parts[1], &n)) {
      at = 2;
      dir = "/proc/" + std::string(parts[1]);
    }
    size_t len = 0;
    if (at != 0 && parts.size() > at) {
      if (parts[at] == "exe" || parts[at] == "cwd" || parts[at] == "root") {
        len = 1;
      } else if (parts.size() > at + 1 && ((parts[at] == "ns" && parts[at + 1] != "..") ||
                                           (parts[at] == "fd" && ParseFdNumber(parts[at + 1], &n)))) {
        len = 2;
      }
    }
    if (len != 0 && !is_last_link(at + len)) {
      object->peer = dir;
      object->peer_path = dir + "/" + Join(parts, at) + (trailing ? "/" : "");
      object->link = std::string(parts[at]) + (len == 2 ? "/" + std::string(parts[at + 1]) : "");
      object->after = after_from(at + len);
      return std::string();
    }
  }
  if (parts.size() >= 2 && parts[0] == "dev" && parts[1] == "fd" && !is_last_link(2)) {
    return "/proc/" + tgid + "/fd" + rest_from(2);
  }
  if (parts.size() >= 2 && parts[0] == "proc" && parts[1] == "self" && !is_last_link(2)) {
    return "/proc/" + tgid + rest_from(2);
  }
  // procfs's own links into self: /proc/mounts -> self/mounts, /proc/net -> self/net.
  if (parts.size() >= 2 && parts[0] == "proc" && (parts[1] == "mounts" || parts[1] == "net") &&
      !is_last_link(2)) {
    return "/proc/" + tgid + "/" + std::string(parts[1]) + rest_from(2);
  }
  if (parts.size() >= 2 && parts[0] == "proc" && parts[1] == "thread-self" && !is_last_link(2)) {
    return "/proc/" + tgid + "/task/" + tid + rest_from(2);
  }
  return full;
}

namespace {

// fs.protected_symlinks, which the kernel applies to the links it follows and the sentry must to
// the links it reads and follows itself: a link in a sticky world-writable directory (/tmp) is
// followed only by its owner or when the directory's owner owns it too (EACCES otherwise). Checked
// with the fsuid the worker holds, the caller's. The sysctl (global, not namespaced) is read each
// time, only on these rare paths; unreadable, it counts as on (every distribution's default).
Status MayFollowLink(int dir, int link) {
  {
    UniqueFd f(open("/proc/sys/fs/protected_symlinks", O_RDONLY | O_CLOEXEC));
    char c = '1';
    if (f.valid() && read(f.get(), &c, 1) == 1 && c == '0') return Status::Ok();
  }
  struct stat d {}, l {};
  if (fstat(dir, &d) != 0 || fstat(link, &l) != 0) return Errno(errno, "fstat");
  if ((d.st_mode & (S_ISVTX | S_IWOTH)) != (S_ISVTX | S_IWOTH)) return Status::Ok();
  const uid_t fsuid = static_cast<uid_t>(setfsuid(static_cast<uid_t>(-1)));
  if (l.st_uid == fsuid || l.st_uid == d.st_uid) return Status::Ok();
  return Errno(EACCES, "protected_symlinks: a link in a sticky world-writable directory");
}

}  // namespace

std::optional<std::string> PathResolver::LinksIntoProcSelf(const std::string& full,
                                                           bool nofollow_last,
                                                           const CallerView& caller) const {
  // Components still to walk, the next one last; the resolved (symlink-free) components so far.
  std::vector<std::string> todo, done;
  auto push_front = [&todo](std::string_view path) {
    std::vector<std::string_view> c = Components(path);
    for (auto it = c.rbegin(); it != c.rend(); ++it) todo.emplace_back(*it);
  };
  push_front(full);
  // A last "." (dropped by Components) wants a directory, as a trailing slash does, and stays
  // spelled as it was (Absolutize).
  const bool last_dot = EndsWithDot(full);
  bool trailing = !full.empty() && (full.back() == '/' || last_dot);
  auto joined = [&done]() {
    std::string out;
    for (const std::string& c : done) out += "/" + c;
    return out;
  };
  auto open_plain = [this](const std::string& path, uint64_t flags) {
    open_how how{.flags = flags | O_PATH | O_CLOEXEC,
                 .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    return OpenAt2(root_fd_, path.empty() ? "/" : path, how);
  };
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c == "..") {
      if (!done.empty()) done.pop_back();  // `done` has no symlinks: ".." is its parent
      continue;
    }
    bool last = todo.empty();
    bool follow = !last || !nofollow_last || trailing;
    if ((c == "self" || c == "thread-self") && follow) {
      Result<UniqueFd> dir = open_plain(joined(), O_DIRECTORY);
      struct statfs sfs;
      struct stat st;
      if (dir.ok() && fstatfs(dir->get(), &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC &&
          fstat(dir->get(), &st) == 0 && st.st_ino == 1 /* PROC_ROOT_INO */) {
        std::string rest;
        for (auto it = todo.rbegin(); it != todo.rend(); ++it) rest += "/" + *it;
        if (trailing) rest += last_dot ? "/." : "/";
        if (done.size() == 1 && done[0] == "proc") return "/proc/" + c + rest;
        std::string own = std::to_string(caller.ns_tgid);
        if (c == "thread-self") own += "/task/" + std::to_string(caller.ns_tid);
        return joined() + "/" + own + rest;
      }
    }
    std::string cand = joined() + "/" + c;
    Result<UniqueFd> fd = open_plain(cand, O_NOFOLLOW);
    if (!fd.ok()) return std::nullopt;
    struct stat st;
    if (fstat(fd->get(), &st) != 0) return std::nullopt;
    if (!S_ISLNK(st.st_mode) || !follow) {
      done.push_back(std::move(c));
      continue;
    }
    // Only plain symlinks are followed by their text: a procfs link below the procfs root is a
    // magic link (exe, cwd, fd/N of some process), which the resolver never follows.
    struct statfs sfs;
    if (fstatfs(fd->get(), &sfs) != 0) return std::nullopt;
    if (sfs.f_type == PROC_SUPER_MAGIC) {
      Result<UniqueFd> dir = open_plain(joined(), O_DIRECTORY);
      struct stat dst;
      if (!dir.ok() || fstat(dir->get(), &dst) != 0 || dst.st_ino != 1) return std::nullopt;
    }
    if (++links > 40) return std::nullopt;  // the kernel's ELOOP stands
    // A link the kernel's walk would not follow (fs.protected_symlinks: its EACCES, or the
    // EACCES of a walk that stopped there, stands; found by review).
    {
      Result<UniqueFd> dir = open_plain(joined(), O_DIRECTORY);
      if (!dir.ok() || !MayFollowLink(dir->get(), fd->get()).ok()) return std::nullopt;
    }
    char target[PATH_MAX];
    ssize_t n = readlinkat(fd->get(), "", target, sizeof(target));
    if (n <= 0 || n >= static_cast<ssize_t>(sizeof(target))) return std::nullopt;
    std::string_view t(target, static_cast<size_t>(n));
    if (t[0] == '/') done.clear();
    push_front(t);
    // A link's target ending in "/" (or a last component followed) keeps the original trailing rule.
  }
  return std::nullopt;
}

Result<UniqueFd> PathResolver::Open(int start_fd, std::string_view path, open_how how,
                                    const CallerView* caller, bool* own_entry) const {
  return OpenImpl(start_fd, path, how, caller, nullptr, /*proc_walk=*/true, own_entry);
}

bool IsOwnProcEntry(std::string_view name) {
  static constexpr std::string_view kEntries[] = {
      "maps", "smaps", "smaps_rollup", "numa_maps", "mem",         "pagemap", "auxv",
      "environ", "stack", "syscall",  "personality", "io",  "fd",      "fdinfo"};
  return std::find(std::begin(kEntries), std::end(kEntries), name) != std::end(kEntries);
}

Result<UniqueFd> PathResolver::OpenImpl(int start_fd, std::string_view path, open_how how,
                                        const CallerView* caller, bool* reopened,
                                        bool proc_walk, bool* own_entry) const {
  if (reopened != nullptr) *reopened = false;
  if (own_entry != nullptr) *own_entry = false;
  if (root_fd_ < 0) return Errno(ENOENT, "the caller's root is outside the container's");
  how.flags |= O_CLOEXEC;
  const open_how asked = how;
  // RESOLVE_BENEATH refuses absolute paths before looking at anything (the kernel's path_init).
  if ((how.resolve & RESOLVE_BENEATH) != 0 && !path.empty() && path[0] == '/') {
    return Errno(EXDEV, "absolute path with RESOLVE_BENEATH");
  }
  // The caller confining itself to its dirfd (RESOLVE_BENEATH, RESOLVE_IN_ROOT): the kernel's
  // scoped walk from there is the caller's own (its root is the dirfd, not the caller's), and it
  // keeps below a dirfd inside our root, so the result is inside too. Below a dirfd outside the
  // root (a directory held over a chroot, /proc/<pid>/root of a sibling) it is Linux's walk as
  // well, but nothing on a procfs, sysfs or other kernel interface file system is handed out from
  // there (RefuseKernelInterfaces).
  if ((how.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0 && !path.empty() &&
      (path[0] != '/' || (how.resolve & RESOLVE_IN_ROOT) != 0)) {
    SEE_ASSIGN_OR_RETURN(bool inside, InsideRoot(start_fd));
    how.resolve |= RESOLVE_NO_MAGICLINKS;
    Result<UniqueFd> fd = OpenAt2(start_fd, std::string(path), how);
    if (!inside && fd.ok()) {
      SEE_RETURN_IF_ERROR(RefuseKernelInterfaces(fd->get(), /*below=*/false, (how.flags & O_PATH) != 0));
    }
    return fd;
  }
  if ((how.resolve & RESOLVE_NO_XDEV) != 0 && !path.empty() && path[0] != '/') {
    std::optional<Result<UniqueFd>> walked = OpenNoXdevFromStart(start_fd, path, how, caller,
                                                                 reopened, own_entry);
    if (walked) return std::move(*walked);
  }
  CallerObject object;
  Start beneath;
  UniqueFd peer_fd;  // another process's link, followed (CallerView::peer_link)
  const bool nofollow = (how.flags & O_NOFOLLOW) != 0;
  SEE_ASSIGN_OR_RETURN(std::string full, Absolutize(start_fd, path, caller, &object, &beneath, nofollow));
  if (beneath.outside) return OpenOutside(std::move(beneath.beneath), full, how, caller, reopened, own_entry);
  if (beneath.beneath.valid()) return OpenBeneath(beneath.beneath.get(), full, how);
  if (!object.entry.empty() && object.entry_by_pid &&
      (how.resolve & (RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)) != 0) {
    full = "/" + object.entry_path;  // the caller's own restrictions decide on the walk
    object = CallerObject{};
  }
  // The caller's spelling reaches /proc (or /dev) by crossing into its mount before any of the
  // links there, unless it starts inside procfs: RESOLVE_NO_XDEV then refuses it first (EXDEV
  // before the links' ELOOP, as the kernel's walk meets them).
  auto crossed_first = [&]() {
    if ((how.resolve & RESOLVE_NO_XDEV) == 0) return false;
    if (path.empty() || path[0] == '/') return true;
    struct statfs sfs {};
    return fstatfs(start_fd, &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC;
  };
  if (!object.entry.empty()) {
    // /proc/self/<entry>: "self" is a plain symlink, and crossing into /proc a mount.
    if (crossed_first()) return Errno(EXDEV, "/proc with RESOLVE_NO_XDEV");
    if ((how.resolve & RESOLVE_NO_SYMLINKS) != 0) return Errno(ELOOP, "/proc/self with RESOLVE_NO_SYMLINKS");
    if ((how.resolve & RESOLVE_NO_XDEV) != 0) return Errno(EXDEV, "/proc/self with RESOLVE_NO_XDEV");
    SEE_ASSIGN_OR_RETURN(std::optional<UniqueFd> fd,
                         caller->caller_entry(object.entry_path, object.entry, how));
    if (fd) {
      if (own_entry != nullptr) *own_entry = true;
      return std::move(*fd);
    }
    full = "/" + object.entry_path;  // not the caller's own procfs: walked as any path
    object = CallerObject{};
  }
  // Reaching a caller fd or magic link is a magic-link jump (and the spellings go through
  // symlinks, /proc/self or /dev/std*): refused by the caller's own restrictions as Linux does.
  auto magic_jump = [&how, &crossed_first]() -> Status {
    if (crossed_first()) return Errno(EXDEV, "/proc or /dev with RESOLVE_NO_XDEV");
    if ((how.resolve & (RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)) != 0) {
      return Errno(ELOOP, "magic link with RESOLVE_NO_MAGICLINKS");
    }
    if ((how.resolve & RESOLVE_NO_XDEV) != 0) return Errno(EXDEV, "magic link with RESOLVE_NO_XDEV");
    return Status::Ok();
  };
  if (!object.peer.empty()) {
    // Another process's link: the kernel's to follow, with the caller's rights (peer_link).
    SEE_RETURN_IF_ERROR(magic_jump());
    SEE_ASSIGN_OR_RETURN(std::optional<UniqueFd> fd, caller->peer_link(object.peer, object.link));
    if (!fd) {
      full = object.peer_path;  // not a process directory of the procfs at /proc: walked
      object = CallerObject{};
    } else {
      object.peer.clear();
      peer_fd = std::move(*fd);
    }
  }
  UniqueFd object_dir;  // the caller's fd or magic link that a named object's `after` is below
  if (object.named()) {
    // In the kernel's order: the mount crossed on the way, then the fd's entry (ENOENT), then the
    // jump (none for the link itself, not followed; the spelling's own symlinks still count).
    if (crossed_first()) return Errno(EXDEV, "/proc or /dev with RESOLVE_NO_XDEV");
    if (object.via_symlink && (how.resolve & RESOLVE_NO_SYMLINKS) != 0) {
      return Errno(ELOOP, "/proc/self or /dev/fd with RESOLVE_NO_SYMLINKS");
    }
    UniqueFd fd;
    if (object.fd >= 0) {
      if (!caller->caller_fd) return Errno(EBADF, "no access to caller fds");
      Result<UniqueFd> fd_or = caller->caller_fd(object.fd);
      // No such fd: /proc/self/fd has no such entry.
      if (!fd_or.ok() && fd_or.status().err() == EBADF) {
        return Errno(ENOENT, "no caller fd " + std::to_string(object.fd));
      }
      SEE_ASSIGN_OR_RETURN(fd, std::move(fd_or));
      if (!object.after.empty() || !nofollow) SEE_RETURN_IF_ERROR(magic_jump());
      if (object.after.empty() && nofollow) {
        // The fd link itself, not the file: the caller's own /proc/<pid>/fd/N in the container's
        // /proc (re-opening the sentry's /proc/self/fd/N would hand out the sentry's link; found by
        // path_resolver_fuzz). A trailing O_PATH|O_NOFOLLOW magic link is allowed by openat2.
        // Looked up as the caller's own entry (CallerView::caller_entry), past the search
        // permission a non-dumpable caller's fd directory asks of any other process.
        const std::string rel = "proc/" + std::to_string(caller->ns_tgid) + "/fd/" + std::to_string(object.fd);
        if (caller->caller_entry) {
          SEE_ASSIGN_OR_RETURN(std::optional<UniqueFd> own, caller->caller_entry(rel, "fd", how));
          if (own) return std::move(*own);
        }
        how.resolve |= RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        return OpenAt2(root_fd_, "/" + rel, how);
      }
    } else {
      SEE_RETURN_IF_ERROR(magic_jump());
      // The caller's own exe/cwd/root or namespace, or another process's link (never the link
      // itself: Absolutize leaves an unfollowed last component to the walk).
      if (peer_fd.valid()) {
        fd = std::move(peer_fd);
      } else {
        SEE_ASSIGN_OR_RETURN(fd, caller->caller_link(object.link));
      }
      if (object.link.starts_with("ns/") && !object.after.empty()) {
        return Errno(ENOTDIR, "a namespace is not a directory");
      }
    }
    if (object.after.empty()) {
      if (reopened != nullptr) *reopened = true;
      // The object, never the sentry's own /proc/self/fd link to it (O_NOFOLLOW would open that).
      return ReopenCallerFd(fd.get(), static_cast<int>(how.flags & ~uint64_t{O_NOFOLLOW}),
                            static_cast<mode_t>(how.mode));
    }
    SEE_ASSIGN_OR_RETURN(Start start, StartOf(fd.get(), object.after));
    if (start.outside) return OpenOutside(std::move(start.beneath), start.rest, how, caller, reopened, own_entry);
    if (start.beneath.valid()) return OpenBeneath(start.beneath.get(), start.rest, how);
    full = start.prefix + "/" + start.rest;
    object_dir = std::move(fd);
  }
  // A relative path (or one below a caller fd or magic link) is walked from the root through the
  // start directory's name, which searches that directory's ancestors too: Linux walks from the
  // directory itself and never looks at them (a cwd entered before the caller dropped privileges,
  // below a directory it may not search). An EACCES is therefore checked by the caller's own walk
  // from the start: its leading ".." climbed one by one (each a search of the directory climbed
  // from, stopping at the root), the rest walked beneath where that led, or, when the rest leaves
  // that directory (EXDEV: a ".." further up, or an absolute symlink), name by name.
  const int rel_start = object_dir.valid() ? object_dir.get()
                        : (!path.empty() && path[0] != '/') ? start_fd : -1;
  const std::string_view rel_path = object_dir.valid() ? std::string_view(object.after) : path;
  auto from_start = [&](Result<UniqueFd> walked) -> Result<UniqueFd> {
    if (walked.ok() || walked.status().err() != EACCES || rel_start < 0 || !proc_walk) return walked;
    struct stat root {}, cur {};
    UniqueFd at(fcntl(rel_start, F_DUPFD_CLOEXEC, 0));
    if (!at.valid() || fstat(root_fd_, &root) != 0) return walked;
    std::string_view rest = rel_path;
    bool last_dotdot = false;  // the last name looked up was "..": the directory itself not searched
    for (int i = 0; i < kMaxAncestorWalk; ++i) {
      while (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
      if (rest == "." || rest.starts_with("./")) {
        if (rest == "." || rest == "./") break;  // a last "." searches the directory: walked below
        rest.remove_prefix(1);
        continue;
      }
      if (rest != ".." && !rest.starts_with("../")) break;
      rest.remove_prefix(2);
      last_dotdot = true;
      if (fstat(at.get(), &cur) != 0) return walked;
      if (SameInode(cur, root) && OnRootMount(at.get())) continue;  // ".." at the root is the root
      // A search of `at` (EACCES, or ENOTDIR from a file's fd); the caller's RESOLVE_NO_XDEV
      // holds on the way up, as in its own walk.
      open_how up{.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                  .resolve = asked.resolve & (RESOLVE_NO_XDEV | RESOLVE_CACHED)};
      SEE_ASSIGN_OR_RETURN(at, OpenAt2(at.get(), "..", up));
    }
    // Inside the root still (a rename, or the host, may have moved the start since StartOf
    // named it): outside, Linux's walk from there is OpenOutside's, with its refusals.
    Result<bool> inside = InsideRoot(at.get());
    if (!inside.ok()) return walked;
    if (!*inside) return OpenOutside(std::move(at), rest, asked, caller, reopened, own_entry);
    while (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
    if (rest.empty() && last_dotdot) {  // where ".." led, looked up from below (no search of it)
      struct statfs sfs {};
      if (fstatfs(at.get(), &sfs) != 0 || sfs.f_type == PROC_SUPER_MAGIC) return walked;
      if ((asked.flags & O_PATH) != 0) return at;
      return ReopenCallerFd(at.get(), static_cast<int>(asked.flags & ~uint64_t{O_NOFOLLOW}),
                            static_cast<mode_t>(asked.mode));
    }
    open_how beneath = asked;
    beneath.resolve |= RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    Result<UniqueFd> fd = OpenAt2(at.get(), rest.empty() ? std::string(".") : std::string(rest), beneath);
    // Never a procfs file from here: a spelling through /proc/self (or thread-self) walked by
    // the kernel names the sentry, which only the root walk's detour (LinksIntoProcSelf) turns
    // into the caller's (found by review).
    struct statfs sfs {};
    if (fd.ok() && (fstatfs(fd->get(), &sfs) != 0 || sfs.f_type == PROC_SUPER_MAGIC)) return walked;
    // A rename raced the walk (EAGAIN): the root walk's answer stands.
    if (!fd.ok() && fd.status().err() == EAGAIN) return walked;
    if (fd.ok() || fd.status().err() != EXDEV) return fd;
    // It leaves: walked name by name from there as Linux walks (OpenOutside: ".." clamped at the
    // root, an absolute link handed to the walk from the root, the caller's identity throughout,
    // nothing of a kernel interface file system).
    return OpenOutside(std::move(at), rest, asked, caller, reopened, own_entry);
  };
  how.resolve |= RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const bool check_detour = caller != nullptr && proc_walk;
  if (check_detour) {
    // Most paths hold no symlink: walked without following any, they give what the full walk
    // gives (the same walk, with nothing to follow), and a walk that follows no symlink cannot
    // have detoured through a procfs self. Only a walk that met one (ELOOP; it fails there,
    // before any open or create) is walked again below. One openat2 instead of openat2 plus an
    // fstatfs (or a second openat2 when the walk failed).
    open_how plain = how;
    plain.resolve |= RESOLVE_NO_SYMLINKS;
    Result<UniqueFd> first = OpenAt2(root_fd_, full, plain);
    if (first.ok() || first.status().err() != ELOOP) return from_start(std::move(first));
  }
  Result<UniqueFd> out = from_start(OpenAt2(root_fd_, full, how));
  if (!check_detour || !MayHaveMetProcSelf(root_fd_, full, how, out)) return out;
  std::optional<std::string> via = LinksIntoProcSelf(full, nofollow, *caller);
  if (!via) return out;
  // Such a detour may meet another (a link to /proc/self/cwd below a directory that one reached):
  // each is a symlink of the caller's walk, which Linux follows up to MAXSYMLINKS (40) times.
  thread_local int detours = 0;
  if (detours >= 40) return Errno(ELOOP, "too many links into /proc/self");
  struct Nested {
    Nested() { ++detours; }
    ~Nested() { --detours; }
  } nested;
  return OpenImpl(root_fd_, *via, asked, caller, reopened, /*proc_walk=*/true, own_entry);
}

std::optional<Result<UniqueFd>> PathResolver::OpenNoXdevFromStart(
    int start_fd, std::string_view path, open_how how, const CallerView* caller, bool* reopened,
    bool* own_entry) const {
  struct statfs sfs;
  if (fstatfs(start_fd, &sfs) != 0) return Result<UniqueFd>(Errno(errno, "fstatfs start"));
  if (sfs.f_type == PROC_SUPER_MAGIC) return std::nullopt;
  if (!CheckNamedInsideRoot(start_fd).ok()) return std::nullopt;  // StartOf's cases
  open_how beneath = how;
  beneath.resolve |= RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  Result<UniqueFd> fd = OpenAt2(start_fd, std::string(path), beneath);
  if (fd.ok() || (fd.status().err() != EXDEV && fd.status().err() != ELOOP)) return fd;
  // OpenOutside walks nothing below a sysfs (its links climb far above the start).
  if (sfs.f_type == SYSFS_MAGIC || OnRootMount(start_fd)) return std::nullopt;
  UniqueFd dir(fcntl(start_fd, F_DUPFD_CLOEXEC, 0));
  if (!dir.valid()) return Result<UniqueFd>(Errno(errno, "dup"));
  return OpenOutside(std::move(dir), path, how, caller, reopened, own_entry);
}

Result<UniqueFd> PathResolver::OpenBeneath(int dir_fd, const std::string& rest, open_how how) const {
  // Inside the root already (StartOf checked): no escape may leave `dir_fd`'s subtree. A ".." or an
  // absolute symlink that would (EXDEV) is beyond what this detour serves: ENOENT.
  how.resolve |= RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  how.flags |= O_CLOEXEC;
  Result<UniqueFd> fd = OpenAt2(dir_fd, rest, how);
  if (!fd.ok() && fd.status().err() == EXDEV) return Errno(ENOENT, "walk from an unnamed directory left it");
  return fd;
}

Result<UniqueFd> PathResolver::OpenOutside(UniqueFd dir, std::string_view rest, open_how how,
                                           const CallerView* caller, bool* reopened,
                                           bool* own_entry) const {
  // Linux's 40 links per walk, counted across the walks an absolute link hands back and forth
  // (a link below another container's root leading to /proc/<its pid>/root again); the links the
  // kernel follows itself inside a handed-over walk are its own count.
  static thread_local int depth = 0;
  static thread_local int links = 0;
  struct Depth {
    Depth() {
      if (depth++ == 0) links = 0;
    }
    ~Depth() { --depth; }
  } in_walk;
  const bool trailing = !rest.empty() && rest.back() == '/';
  std::deque<std::string> parts;
  for (size_t i = 0; i < rest.size();) {  // "." kept: "file/." is ENOTDIR
    size_t j = std::min(rest.find('/', i), rest.size());
    if (j > i) parts.emplace_back(rest.substr(i, j - i));
    i = j + 1;
  }
  if (parts.empty()) parts.emplace_back(".");
  // "name/": name is followed and must be a directory, which is then what is opened ("." in it);
  // with O_CREAT that is EISDIR once the walk reaches that last name (below), as Linux's.
  // The trailing slash is kept as an empty last part (kSlash), walked as "." (a search of the
  // directory: "file/" is ENOTDIR), except right after ".." (always a directory, and Linux does
  // not search where ".." leads, also when a symlink's target ends in "..").
  static const std::string kSlash;
  if (trailing) parts.emplace_back(kSlash);
  auto push_link = [&](std::string_view target) {
    std::vector<std::string> t;
    for (std::string_view c : Components(target)) t.emplace_back(c);
    if (target.ends_with("/.") || target == ".") {
      t.emplace_back(".");
    } else if (target.ends_with('/')) {
      t.emplace_back(kSlash);
    }
    parts.insert(parts.begin(), t.begin(), t.end());
  };
  // The caller's own walk restrictions hold on every step.
  const uint64_t kept = how.resolve & (RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_CACHED);
  const bool follow_last = (how.flags & O_NOFOLLOW) == 0;
  how.flags |= O_CLOEXEC;
  struct stat root {};
  if (fstat(root_fd_, &root) != 0) return Errno(errno, "fstat root");
  UniqueFd cur = std::move(dir);
  while (!parts.empty()) {
    std::string name = std::move(parts.front());
    parts.pop_front();
    if (name == kSlash) name = ".";
    const bool last = parts.empty();
    SEE_RETURN_IF_ERROR(RefuseKernelInterfaces(cur.get(), /*below=*/true, false));
    if (trailing && (how.flags & O_CREAT) != 0 && parts.size() == 1 && parts.front() == kSlash) {
      // The last named component's "/", after the search of its directory (may_lookup).
      if (int err = SearchError(cur.get()); err != 0) return Errno(err, "search before " + name);
      return Errno(EISDIR, "O_CREAT with a trailing slash");
    }
    if (name == "..") {
      struct stat st {};
      if (fstat(cur.get(), &st) != 0) return Errno(errno, "fstat");
      // The caller's root stops it, as Linux's walk: that directory on that mount (a bind of the
      // root's tree elsewhere is climbed out of; found by review).
      if (!SameInode(st, root) || !OnRootMount(cur.get())) {
        open_how up{.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = kept & ~RESOLVE_NO_SYMLINKS};
        SEE_ASSIGN_OR_RETURN(cur, OpenAt2(cur.get(), "..", up));
      }
      if (last || (parts.size() == 1 && parts.front() == kSlash)) {
        // Where the last ".." led, looked up from below: Linux does not search it (a "." walked
        // there would: EACCES in a directory the caller may not search).
        SEE_RETURN_IF_ERROR(RefuseKernelInterfaces(cur.get(), /*below=*/false, (how.flags & O_PATH) != 0));
        if ((how.flags & O_PATH) != 0) return cur;
        return ReopenCallerFd(cur.get(), static_cast<int>(how.flags & ~uint64_t{O_NOFOLLOW}),
                              static_cast<mode_t>(how.mode));
      }
      continue;
    }
    const uint64_t scoped = kept | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    UniqueFd link;
    if (!last) {
      open_how step{.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC, .resolve = scoped};
      SEE_ASSIGN_OR_RETURN(UniqueFd next, OpenAt2(cur.get(), name, step));
      struct stat st {};
      if (fstat(next.get(), &st) != 0) return Errno(errno, "fstat");
      if (S_ISDIR(st.st_mode)) {
        cur = std::move(next);
        continue;
      }
      if (!S_ISLNK(st.st_mode)) return Errno(ENOTDIR, "not a directory: " + name);
      if ((kept & RESOLVE_NO_SYMLINKS) != 0) return Errno(ELOOP, "symlink with RESOLVE_NO_SYMLINKS");
      link = std::move(next);
    } else {
      open_how final = how;
      final.resolve = scoped | (follow_last ? RESOLVE_NO_SYMLINKS : 0);
      Result<UniqueFd> fd = OpenAt2(cur.get(), name, final);
      if (!fd.ok() && fd.status().err() == ELOOP && follow_last && (kept & RESOLVE_NO_SYMLINKS) == 0) {
        open_how nofollow{.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC, .resolve = scoped};
        Result<UniqueFd> l = OpenAt2(cur.get(), name, nofollow);
        struct stat st {};
        if (l.ok() && fstat(l->get(), &st) == 0 && S_ISLNK(st.st_mode)) link = std::move(*l);
      }
      if (!link.valid()) {
        if (fd.ok()) SEE_RETURN_IF_ERROR(RefuseKernelInterfaces(fd->get(), /*below=*/false, (how.flags & O_PATH) != 0));
        return fd;
      }
    }
    // A symlink to follow, read from the very inode just looked up.
    if (++links > 40) return Errno(ELOOP, "too many levels of symbolic links");
    SEE_RETURN_IF_ERROR(MayFollowLink(cur.get(), link.get()));
    char target[PATH_MAX];
    ssize_t n = readlinkat(link.get(), "", target, sizeof(target));
    if (n < 0) return Errno(errno, "readlink " + name);
    if (n == 0) return Errno(ENOENT, "empty symlink");
    if (n >= static_cast<ssize_t>(sizeof(target))) return Errno(ENAMETOOLONG, "symlink target");
    std::string_view t(target, static_cast<size_t>(n));
    if (t[0] != '/') {
      push_link(t);
      continue;
    }
    // An absolute link: from the caller's root, the rest resolved there as any path. Jumping to
    // the root from another mount is EXDEV for RESOLVE_NO_XDEV (Linux's nd_jump_root).
    if ((kept & RESOLVE_NO_XDEV) != 0 && !OnRootMount(cur.get())) {
      return Errno(EXDEV, "absolute symlink with RESOLVE_NO_XDEV");
    }
    std::string full(t);
    for (const std::string& p : parts) full += "/" + p;
    return OpenImpl(root_fd_, full, how, caller, reopened, /*proc_walk=*/true, own_entry);
  }
  return Errno(ENOENT, "empty walk");  // not reached: the last part returns
}

Result<PathResolver::Parent> PathResolver::OpenParent(int start_fd, std::string_view path,
                                                      const CallerView* caller) const {
  if (path.empty()) return Errno(ENOENT, "empty path");
  Parent out;
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') --end;
  out.trailing_slash = end != path.size();
  std::string_view trimmed = path.substr(0, end);
  if (trimmed == "/") {
    out.last = ".";
    open_how how{.flags = O_PATH | O_DIRECTORY};
    SEE_ASSIGN_OR_RETURN(out.dir, Open(start_fd, "/", how, caller));
    return out;
  }
  size_t slash = trimmed.rfind('/');
  std::string dir;
  if (slash == std::string_view::npos) {
    dir = ".";
    out.last = std::string(trimmed);
  } else {
    dir = slash == 0 ? "/" : std::string(trimmed.substr(0, slash));
    out.last = std::string(trimmed.substr(slash + 1));
  }
  // A last name over NAME_MAX is the call's own ENAMETOOLONG on `out.dir`, after the walk's errors
  // (ENOENT, ENOTDIR, EACCES on the way), as Linux finds it.
  open_how how{.flags = O_PATH | O_DIRECTORY};
  // "/proc/self/fd/N/name": the caller's own directory, inside the root or not (OpenOutside).
  SEE_ASSIGN_OR_RETURN(out.dir, OpenImpl(start_fd, dir, how, caller, nullptr, /*proc_walk=*/true, &out.own_entry));
  // Linux searches the parent for the last name before it looks at that name (may_lookup), even
  // "." and ".." (whose answers the callers make without the kernel); an O_PATH open of the
  // parent did not need that permission. (The caller's own fd directory it may always search; a
  // parent that is no directory is the call's own ENOTDIR.)
  struct stat st {};
  if (!out.own_entry && fstat(out.dir.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    if (int err = SearchError(out.dir.get()); err != 0) return ErrnoStatus(err, "search " + std::string(dir));
  }
  return out;
}

std::string StripRootPrefix(const std::string& sentry_path, const std::string& root) {
  if (root == "/" || sentry_path.empty() || sentry_path[0] != '/') return sentry_path;
  if (sentry_path == root) return "/";
  if (sentry_path.size() > root.size() && sentry_path.compare(0, root.size(), root) == 0 &&
      sentry_path[root.size()] == '/') {
    return sentry_path.substr(root.size());
  }
  return sentry_path;
}

std::string PathResolver::ToContainerView(const std::string& sentry_path) const {
  Result<std::string> root = FdPath(root_fd_);
  return root.ok() ? StripRootPrefix(sentry_path, *root) : sentry_path;
}

open_how LegacyOpenHow(uint64_t flags, uint64_t mode) {
  open_how how{.flags = flags & kValidOpenFlags, .mode = mode & 07777};
  if ((how.flags & O_PATH) != 0) how.flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  if ((how.flags & (O_CREAT | kOpenTmpfileBit)) == 0) how.mode = 0;
  return how;
}

int OpenHowError(const open_how& how) {
  constexpr uint64_t kResolveFlags = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
                                     RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;
  const uint64_t f = how.flags;
  if ((f & ~kValidOpenFlags) != 0 || (how.resolve & ~kResolveFlags) != 0) return EINVAL;
  if ((how.resolve & RESOLVE_BENEATH) != 0 && (how.resolve & RESOLVE_IN_ROOT) != 0) return EINVAL;
  const bool creates = (f & (O_CREAT | kOpenTmpfileBit)) != 0;
  if (creates ? (how.mode & ~uint64_t{07777}) != 0 : how.mode != 0) return EINVAL;
  if ((f & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT)) return EINVAL;
  if ((f & kOpenTmpfileBit) != 0) {
    const bool writes = (f & O_ACCMODE) != O_RDONLY;  // (O_TRUNC counts only after this check)
    if ((f & (kOpenTmpfileBit | O_DIRECTORY | O_CREAT)) != O_TMPFILE || !writes) return EINVAL;
  }
  if ((f & O_PATH) != 0 && (f & ~uint64_t{O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC}) != 0) {
    return EINVAL;
  }
  // A cached lookup is never tried for an open that creates or truncates.
  if ((how.resolve & RESOLVE_CACHED) != 0 && (f & (O_TRUNC | O_CREAT | kOpenTmpfileBit)) != 0) return EAGAIN;
  return 0;
}

Result<UniqueFd> ReopenCallerFd(int fd, int flags, mode_t mode) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  // The magic link exists, so O_CREAT|O_EXCL fails as on any existing name (EEXIST, as Linux);
  // without O_EXCL it creates nothing. O_TMPFILE (which carries O_DIRECTORY; with O_EXCL: not
  // linkable) goes to the kernel as it is: it checks the flags and makes the file in the
  // directory the link leads to.
  int f = flags | O_CLOEXEC;
  if ((flags & kOpenTmpfileBit) == 0) {
    // Linux (6.4+) refuses O_CREAT with O_DIRECTORY before any walk.
    if ((flags & O_CREAT) != 0 && (flags & O_DIRECTORY) != 0) {
      return Errno(EINVAL, "re-open " + link + " with O_CREAT|O_DIRECTORY");
    }
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
      return Errno(EEXIST, "re-open " + link + " with O_CREAT|O_EXCL");
    }
    struct stat st {};
    if ((flags & O_CREAT) != 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      return Errno(EISDIR, "re-open " + link + " with O_CREAT");  // do_open's, before the access
    }
    f &= ~(O_CREAT | O_EXCL);
  }
  int self_fd_dir = ProcSelfFdDir();
  int r = self_fd_dir >= 0 ? openat(self_fd_dir, std::to_string(fd).c_str(), f, mode)
                           : open(link.c_str(), f, mode);
  if (r < 0) return Errno(errno, "re-open " + link);
  return UniqueFd(r);
}

}  // namespace see::sentry
