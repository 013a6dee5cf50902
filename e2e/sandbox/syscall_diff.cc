// Differential syscall sequences: a seeded random walk of file-system calls over a small tree,
// one line of output per call. The same seed gives the same calls, so two runs print the same
// lines unless the calls were answered differently: sandbox_suite.py `diff` runs it in a plain
// container and under the sentry and compares the outputs line by line.
//
// The calls mix what the sentry serves and what runs natively: every path-based call (dirfds
// held as O_PATH or O_DIRECTORY, AT_* flags, openat2 resolve flags, /proc/self/fd/N and
// /proc/self/cwd prefixes, `..` out of the tree, symlinks relative, absolute, dangling and looping,
// trailing slashes, names over NAME_MAX), the caller's credentials switched between root and uid
// 1000 (setresuid, setfsuid, setresgid: the sentry must act as the caller now is), umask, and fd
// calls (write, getdents, fchdir) that change what later paths find. Each seed works in
// <dir>/s<seed>/t (on the container's /work) and <dir2>/s<seed>/t (a tmpfs), so renames and links
// between them cross a mount.
//
// What is printed is what Linux fixes: errno names, file types, modes, link counts, owners,
// sizes of regular files and links, link targets, sorted directory entries, an fd's flags and
// /proc/self/fd path. Inode and device numbers, and times not set by the sequence itself, are not.
//
// Usage: syscall_diff --dir /work --dir2 /tmp --seeds 1-40 --ops 400
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ftw.h>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int kSlots = 6;
constexpr long kSysFchmodat2 = 452;  // Linux 6.6; older headers lack SYS_fchmodat2
constexpr int kBadFd = 987;
constexpr time_t kSetTime = 123456789;  // utimensat's times; any other time prints as "t"

struct Seed {
  std::mt19937_64 rng;
  std::string d1, d2;                  // the two trees' absolute paths
  std::array<int, kSlots> slot{};      // held fds, -1 when free
  int line = 0;
  unsigned long seed = 0;

  explicit Seed(unsigned long s) : rng(s), seed(s) { slot.fill(-1); }

  uint64_t Below(uint64_t n) { return rng() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  template <typename T, size_t N>
  T Pick(const T (&a)[N]) { return a[Below(N)]; }
  template <typename T>
  T OneOf(std::initializer_list<T> a) { return a.begin()[Below(a.size())]; }
};

std::string ErrName(int e) {
  const char* n = strerrorname_np(e);
  return n != nullptr ? n : "E" + std::to_string(e);
}

// "-> ENOENT" for a failed call, else "-> " + what.
std::string Result(long rc, const std::string& what = "ok") {
  if (rc < 0) return "-> " + ErrName(errno);
  return "-> " + what;
}

// The trees' absolute paths read as $1 and $2 in the output (each run has its own).
std::string Normalize(const Seed& s, std::string p) {
  for (auto [from, to] : {std::pair{s.d1, std::string("$1")}, std::pair{s.d2, std::string("$2")}}) {
    for (size_t at; (at = p.find(from)) != std::string::npos;) p.replace(at, from.size(), to);
  }
  // An O_TMPFILE's name carries its inode number: "/#1234 (deleted)".
  for (size_t at = 0; (at = p.find("/#", at)) != std::string::npos; at += 3) {
    size_t end = p.find_first_not_of("0123456789", at + 2);
    p.replace(at + 2, (end == std::string::npos ? p.size() : end) - at - 2, "N");
  }
  return p;
}

const char* TypeName(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return "reg";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "lnk";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "sock";
    case S_IFCHR: return "chr";
    case S_IFBLK: return "blk";
    default: return "?";
  }
}

// `mtime` is printed only when the sequence set it ("m=set"). For /proc and /dev/fd paths
// (`times` false) neither times nor a link's mode are: a procfs link's inode is per procfs
// instance (the sentry looks in its own), so a time set through one (utimensat without following)
// is not what another shows, and a link's mode (its fd's access) is updated there only on lookup.
std::string Attrs(mode_t mode, nlink_t nlink, uid_t uid, gid_t gid, off_t size, time_t mtime,
                  bool times = true) {
  char buf[160];
  bool sized = S_ISREG(mode) || S_ISLNK(mode);
  if (!times && S_ISLNK(mode)) mode &= ~mode_t{07777};
  snprintf(buf, sizeof buf, "%s %04o n%lu %u:%u%s%s%s", TypeName(mode), mode & 07777,
           static_cast<unsigned long>(nlink), uid, gid, sized ? " s" : "",
           sized ? std::to_string(size).c_str() : "", times && mtime == kSetTime ? " m=set" : "");
  return buf;
}

bool ProcPath(const std::string& p) {
  return p.find("/proc/") != std::string::npos || p.find("/dev/fd") != std::string::npos;
}

std::string StatText(const struct stat& st, bool times = true) {
  return Attrs(st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_size, st.st_mtim.tv_sec, times);
}

std::string FdText(Seed& s, int fd) {
  struct stat st {};
  std::string out = "fd" + std::to_string(fd);
  char link[PATH_MAX + 1];
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(self.c_str(), link, PATH_MAX);
  std::string at = n < 0 ? ErrName(errno) : Normalize(s, std::string(link, n));
  if (fstat(fd, &st) == 0) out += " " + StatText(st, !ProcPath(at));
  // (Not O_NOFOLLOW: a served open that the sentry re-opens through its /proc/self/fd leaves it
  // out of the file's flags, which only F_GETFL shows.)
  int fl = fcntl(fd, F_GETFL);
  char flags[64];
  snprintf(flags, sizeof flags, " fl=%o", fl & (O_ACCMODE | O_APPEND | O_PATH | O_DIRECTORY));
  out += flags;
  out += " at=" + at;
  return out;
}

// A path: mostly relative names from a small vocabulary (so calls meet each other's results),
// sometimes absolute into either tree, through a held fd or the cwd in /proc, empty, or too long.
std::string RandomPath(Seed& s) {
  static const char* kNames[] = {"a", "b", "c", "f", "g", "l1", "l2", "l3", "l4", "l5",
                                 "p", "x", "y", "..", ".", "a", "f", "b"};
  std::string rel;
  size_t parts = 1 + s.Below(3);
  for (size_t i = 0; i < parts; ++i) {
    if (i > 0) rel += s.OneIn(8) ? "//" : "/";
    rel += s.Pick(kNames);
  }
  if (s.OneIn(10)) rel += "/";
  switch (s.Below(20)) {
    case 0: case 1: case 2: return s.d1 + "/" + rel;
    case 3: return s.d2 + "/" + rel;
    case 4: {
      int fd = s.slot[s.Below(kSlots)];
      return "/proc/self/fd/" + std::to_string(fd < 0 ? kBadFd : fd) + (s.OneIn(3) ? "" : "/" + rel);
    }
    case 5: return "/proc/self/cwd/" + rel;
    case 6: {
      int fd = s.slot[s.Below(kSlots)];
      return s.OneIn(4) ? "" : "/dev/fd/" + std::to_string(fd < 0 ? kBadFd : fd);
    }
    case 7: return s.OneIn(2) ? std::string(256, 'n') : rel + "/" + std::string(300, 'q');
    default: return rel;
  }
}

int RandomDirfd(Seed& s) {
  switch (s.Below(8)) {
    case 0: case 1: case 2: case 3: return AT_FDCWD;
    case 4: return s.OneIn(4) ? kBadFd : AT_FDCWD;
    default: {
      int fd = s.slot[s.Below(kSlots)];
      return fd < 0 ? AT_FDCWD : fd;
    }
  }
}

std::string DirfdText(int fd) { return fd == AT_FDCWD ? "cwd" : std::to_string(fd); }

int RandomFlags(Seed& s, std::initializer_list<int> choices) {
  int f = 0;
  for (int c : choices) {
    if (s.OneIn(3)) f |= c;
  }
  return f;
}

mode_t RandomMode(Seed& s) {
  static const mode_t kModes[] = {0777, 0755, 0700, 0644, 0600, 01777, 0, 04755, 02755, 0444, 0111};
  return s.Pick(kModes);
}

void Keep(Seed& s, int fd, std::string& out) {
  out += " " + FdText(s, fd);
  for (int& slot : s.slot) {
    if (slot < 0) {
      slot = fd;
      return;
    }
  }
  close(fd);
  out += " (closed)";
}

std::string OpenFlagsText(int flags) {
  char buf[32];
  snprintf(buf, sizeof buf, "%o", flags);
  return buf;
}

// One call; returns its line (without the seed/line prefix).
std::string Step(Seed& s) {
  std::string p = RandomPath(s);
  int dfd = RandomDirfd(s);
  std::string where = DirfdText(dfd) + " \"" + Normalize(s, p) + "\"";
  switch (s.Below(34)) {
    case 0: case 1: case 2: {
      int acc = s.OneOf<int>({O_RDONLY, O_WRONLY, O_RDWR, O_RDONLY});
      int flags = acc | O_CLOEXEC | O_NONBLOCK |
                  RandomFlags(s, {O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_APPEND, O_PATH});
      if (s.OneIn(12)) flags = (flags & ~(O_CREAT | O_DIRECTORY)) | O_TMPFILE;
      mode_t mode = RandomMode(s);
      long fd = syscall(SYS_openat, dfd, p.c_str(), flags, mode);
      std::string out = "openat " + where + " " + OpenFlagsText(flags) + " " + OpenFlagsText(mode) + " " + Result(fd);
      if (fd >= 0) Keep(s, static_cast<int>(fd), out);
      return out;
    }
    case 3: case 4: {
      open_how how{};
      how.flags = (s.OneIn(2) ? O_PATH : O_RDONLY) | O_CLOEXEC | O_NONBLOCK | RandomFlags(s, {O_DIRECTORY, O_NOFOLLOW});
      if (s.OneIn(5)) how.flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, how.mode = 0640;
      how.resolve = RandomFlags(s, {RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS,
                                    RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV});
      long fd = syscall(SYS_openat2, dfd, p.c_str(), &how, sizeof how);
      std::string out = "openat2 " + where + " " + OpenFlagsText(static_cast<int>(how.flags)) + " r" +
                        std::to_string(how.resolve) + " " + Result(fd);
      if (fd >= 0) Keep(s, static_cast<int>(fd), out);
      return out;
    }
    case 5: case 6: {
      mode_t mode = RandomMode(s);
      return "mkdirat " + where + " " + OpenFlagsText(mode) + " " + Result(mkdirat(dfd, p.c_str(), mode));
    }
    case 7: {
      // No block devices: the sentry refuses every one (docs/security-model.md), where a plain
      // container's devices cgroup lets it make them.
      mode_t type = s.OneOf<mode_t>({S_IFIFO, S_IFREG, S_IFCHR, S_IFSOCK});
      dev_t dev = type == S_IFCHR ? makedev(1, 3) : 0;
      mode_t mode = type | (RandomMode(s) & 0777);
      return "mknodat " + where + " " + OpenFlagsText(mode) + " " + Result(mknodat(dfd, p.c_str(), mode, dev));
    }
    case 8: case 9: {
      static const char* kTargets[] = {"a", "f", "../f", "..", "l1", "nowhere", "/", "/proc/self/cwd",
                                       "a/b", "c/../f"};
      std::string target = s.OneIn(3) ? RandomPath(s) : s.Pick(kTargets);
      return "symlinkat \"" + Normalize(s, target) + "\" " + where + " " +
             Result(symlinkat(target.c_str(), dfd, p.c_str()));
    }
    case 10: case 11: {
      std::string np = RandomPath(s);
      int ndfd = RandomDirfd(s);
      // Without AT_EMPTY_PATH: Linux 6.10+ lets a file's own opener link it, which the sentry
      // (the opener of every file it served) can not tell (docs/security-model.md).
      int flags = RandomFlags(s, {AT_SYMLINK_FOLLOW});
      return "linkat " + DirfdText(dfd) + " \"" + Normalize(s, p) + "\" " + DirfdText(ndfd) + " \"" +
             Normalize(s, np) + "\" " + std::to_string(flags) + " " +
             Result(linkat(dfd, p.c_str(), ndfd, np.c_str(), flags));
    }
    case 12: case 13: case 14: {
      std::string np = RandomPath(s);
      int ndfd = RandomDirfd(s);
      unsigned flags = s.OneOf<unsigned>({0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE,
                                                 RENAME_NOREPLACE | RENAME_EXCHANGE, RENAME_WHITEOUT});
      return "renameat2 " + where + " " + DirfdText(ndfd) + " \"" + Normalize(s, np) + "\" " +
             std::to_string(flags) + " " +
             Result(syscall(SYS_renameat2, dfd, p.c_str(), ndfd, np.c_str(), flags));
    }
    case 15: case 16: {
      int flags = s.OneIn(3) ? AT_REMOVEDIR : 0;
      return "unlinkat " + where + " " + std::to_string(flags) + " " + Result(unlinkat(dfd, p.c_str(), flags));
    }
    case 17: {
      mode_t mode = RandomMode(s);
      if (s.OneIn(2)) {
        return "fchmodat " + where + " " + OpenFlagsText(mode) + " " +
               Result(syscall(SYS_fchmodat, dfd, p.c_str(), mode));
      }
      int flags = RandomFlags(s, {AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH});
      return "fchmodat2 " + where + " " + OpenFlagsText(mode) + " " + std::to_string(flags) + " " +
             Result(syscall(kSysFchmodat2, dfd, p.c_str(), mode, flags));
    }
    case 18: {
      uid_t uid = s.OneOf<uid_t>({0, 1000, static_cast<uid_t>(-1)});
      gid_t gid = s.OneOf<gid_t>({0, 1000, static_cast<gid_t>(-1)});
      int flags = RandomFlags(s, {AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH});
      return "fchownat " + where + " " + std::to_string(static_cast<int>(uid)) + ":" +
             std::to_string(static_cast<int>(gid)) + " " + std::to_string(flags) + " " +
             Result(fchownat(dfd, p.c_str(), uid, gid, flags));
    }
    case 19: {
      timespec ts[2] = {{kSetTime, 0}, {kSetTime, 0}};
      if (s.OneIn(3)) ts[1].tv_nsec = UTIME_OMIT;
      int flags = RandomFlags(s, {AT_SYMLINK_NOFOLLOW});
      bool null_times = s.OneIn(4);
      return "utimensat " + where + (null_times ? " now " : " set ") + std::to_string(flags) + " " +
             Result(utimensat(dfd, p.c_str(), null_times ? nullptr : ts, flags));
    }
    case 20: {
      off_t len = s.OneOf<off_t>({0, 5, 4096, -1});
      return "truncate \"" + Normalize(s, p) + "\" " + std::to_string(len) + " " + Result(truncate(p.c_str(), len));
    }
    case 21: case 22: case 23: {
      int flags = RandomFlags(s, {AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, AT_NO_AUTOMOUNT});
      struct stat st {};
      long rc = fstatat(dfd, p.c_str(), &st, flags);
      return "fstatat " + where + " " + std::to_string(flags) + " " +
             Result(rc, rc == 0 ? StatText(st, !ProcPath(p)) : "");
    }
    case 24: {
      int flags = RandomFlags(s, {AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH});
      struct statx stx {};
      long rc = statx(dfd, p.c_str(), flags, STATX_BASIC_STATS, &stx);
      return "statx " + where + " " + std::to_string(flags) + " " +
             Result(rc, rc == 0 ? Attrs(stx.stx_mode, stx.stx_nlink, stx.stx_uid, stx.stx_gid,
                                        static_cast<off_t>(stx.stx_size), stx.stx_mtime.tv_sec, !ProcPath(p))
                                : "");
    }
    case 25: {
      int mode = s.OneOf<int>({F_OK, R_OK, W_OK, X_OK, R_OK | W_OK | X_OK});
      int flags = RandomFlags(s, {AT_EACCESS, AT_SYMLINK_NOFOLLOW});
      return "faccessat2 " + where + " " + std::to_string(mode) + " " + std::to_string(flags) + " " +
             Result(syscall(SYS_faccessat2, dfd, p.c_str(), mode, flags));
    }
    case 26: {
      char buf[PATH_MAX];
      size_t size = s.OneIn(4) ? 3 : sizeof buf;
      ssize_t n = readlinkat(dfd, p.c_str(), buf, size);
      return "readlinkat " + where + " " + std::to_string(size) + " " +
             Result(n, n >= 0 ? "\"" + Normalize(s, std::string(buf, n)) + "\"" : "");
    }
    case 27: {
      if (s.OneIn(3)) {
        int fd = s.slot[s.Below(kSlots)];
        return "fchdir " + std::to_string(fd) + " " + Result(fchdir(fd < 0 ? kBadFd : fd));
      }
      std::string out = "chdir \"" + Normalize(s, p) + "\" " + Result(chdir(p.c_str()));
      char cwd[PATH_MAX];
      return out + " " + (getcwd(cwd, sizeof cwd) != nullptr ? Normalize(s, cwd) : ErrName(errno));
    }
    case 28: {
      const char* name = s.OneOf<const char*>({"user.k", "user.k", "trusted.k", "security.k"});
      int op = static_cast<int>(s.Below(5));
      char buf[256];
      std::string out = "xattr" + std::to_string(op) + " \"" + Normalize(s, p) + "\" " + name + " ";
      long rc = 0;
      switch (op) {
        case 0: rc = setxattr(p.c_str(), name, "v1", 2, s.OneIn(3) ? XATTR_CREATE : 0); break;
        case 1: rc = lsetxattr(p.c_str(), name, "v2", 2, 0); break;
        case 2: rc = getxattr(p.c_str(), name, buf, sizeof buf); break;
        case 3: rc = llistxattr(p.c_str(), buf, sizeof buf); break;
        default: rc = removexattr(p.c_str(), name); break;
      }
      if (rc > 0 && op == 2) return out + Result(rc, std::string(buf, rc));
      if (rc >= 0 && op == 3) {
        std::vector<std::string> names;
        for (long i = 0; i < rc; i += static_cast<long>(strlen(buf + i)) + 1) names.emplace_back(buf + i);
        std::sort(names.begin(), names.end());
        std::string all;
        for (auto& n : names) all += n + ",";
        return out + Result(rc, all);
      }
      return out + Result(rc);
    }
    case 29: {
      int i = static_cast<int>(s.Below(kSlots));
      int fd = s.slot[i];
      if (fd < 0) return "close - -> skip";
      s.slot[i] = -1;
      return "close " + std::to_string(fd) + " " + Result(close(fd));
    }
    case 30: {
      int fd = s.slot[s.Below(kSlots)];
      if (fd < 0) return "io - -> skip";
      if (s.OneIn(2)) return "write " + std::to_string(fd) + " " + Result(write(fd, "abcdefg", 7), "7");
      char buf[4096];
      long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
      if (n < 0) return "getdents " + std::to_string(fd) + " " + Result(n);
      std::vector<std::string> names;
      for (long at = 0; at < n;) {
        auto* e = reinterpret_cast<struct dirent64*>(buf + at);
        names.emplace_back(e->d_name);
        at += e->d_reclen;
      }
      std::sort(names.begin(), names.end());
      std::string all;
      for (auto& name : names) all += name + ",";
      return "getdents " + std::to_string(fd) + " -> " + all;
    }
    case 31: {
      // The caller's credentials: real and saved ids stay 0, so every change can be undone.
      uid_t id = s.OneIn(2) ? 0 : 1000;
      switch (s.Below(5)) {
        case 4: {
          // Not dumpable after an euid change, until set again: the process's own /proc entries
          // become root's, which only the process itself may still use.
          int on = s.OneIn(2) ? 1 : 0;
          return "dumpable " + std::to_string(on) + " " + Result(prctl(PR_SET_DUMPABLE, on, 0, 0, 0));
        }
        case 0: return "seteuid " + std::to_string(id) + " " + Result(syscall(SYS_setresuid, -1, id, -1));
        case 1: return "setegid " + std::to_string(id) + " " + Result(syscall(SYS_setresgid, -1, id, -1));
        case 2: syscall(SYS_setfsuid, id); return "setfsuid " + std::to_string(id) + " -> " + std::to_string(setfsuid(-1));
        default: {
          mode_t m = s.OneOf<mode_t>({022, 0, 077, 0777, 002});
          return "umask " + OpenFlagsText(m) + " -> " + OpenFlagsText(umask(m));
        }
      }
    }
    case 32: {
      struct statfs st {};
      long rc = statfs(p.c_str(), &st);
      char type[32];
      snprintf(type, sizeof type, "%lx", static_cast<unsigned long>(st.f_type));
      return "statfs \"" + Normalize(s, p) + "\" " + Result(rc, type);
    }
    default: {
      int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::string out = "bind \"" + Normalize(s, p) + "\" ";
      if (p.size() >= sizeof addr.sun_path) {
        close(fd);
        return out + "-> skip";
      }
      memcpy(addr.sun_path, p.data(), p.size());
      long rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      close(fd);
      return out + Result(rc);
    }
  }
}

int RemoveOne(const char* path, const struct stat*, int, struct FTW*) { return remove(path); }

// The tree each seed starts from, in both trees. Returns the step that failed, or nullptr.
const char* MakeTree(const std::string& top, const std::string& other) {
  std::string d = top + "/t";
  auto file = [](const std::string& p, const char* data) {
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && write(fd, data, strlen(data)) == static_cast<ssize_t>(strlen(data));
    if (fd >= 0) close(fd);
    return ok;
  };
  if (mkdir(top.c_str(), 0755) != 0 || mkdir(d.c_str(), 0755) != 0) return "mkdir top";
  if (mkdir((d + "/a").c_str(), 0755) != 0 || mkdir((d + "/a/b").c_str(), 0700) != 0 ||
      mkdir((d + "/c").c_str(), 01777) != 0 || (getuid() == 0 && chown((d + "/c").c_str(), 1000, 1000) != 0)) {
    return "directories";
  }
  if (!file(d + "/f", "hello") || !file(d + "/a/g", "inner file")) return "files";
  if (symlink("a", (d + "/l1").c_str()) != 0 || symlink("../..", (d + "/l2").c_str()) != 0 ||
      symlink((other + "/t").c_str(), (d + "/l3").c_str()) != 0 ||
      symlink("missing", (d + "/l4").c_str()) != 0 || symlink("l5", (d + "/l5").c_str()) != 0) {
    return "symlinks";
  }
  if (mkfifo((d + "/p").c_str(), 0644) != 0) return "fifo";
  return nullptr;
}

int RunSeed(unsigned long seed, const std::string& dir, const std::string& dir2, int ops) {
  std::string top1 = dir + "/s" + std::to_string(seed), top2 = dir2 + "/s" + std::to_string(seed);
  for (const auto& [top, other] : {std::pair{top1, top2}, std::pair{top2, top1}}) {
    if (const char* step = MakeTree(top, other)) {
      fprintf(stderr, "seed %lu: cannot make %s (%s): %s\n", seed, top.c_str(), step, strerror(errno));
      return 1;
    }
  }
  Seed s(seed);
  s.d1 = top1 + "/t";
  s.d2 = top2 + "/t";
  if (chdir(s.d1.c_str()) != 0) return 1;
  umask(022);
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  for (int i = 0; i < ops; ++i) {
    std::string line = Step(s);
    printf("s%lu #%d %s\n", seed, i, line.c_str());
  }
  for (int fd : s.slot) {
    if (fd >= 0) close(fd);
  }
  // Back to full root for the clean-up. An euid change to 0 and back restores every effective
  // capability (a setfsuid(1000) dropped the file-system ones, and an euid change while the euid
  // stays 0 does not raise them again).
  syscall(SYS_setresgid, -1, 0, -1);
  syscall(SYS_setresuid, -1, 1000, -1);
  syscall(SYS_setresuid, -1, 0, -1);
  umask(022);
  if (chdir("/") != 0) return 1;
  // Everything in both directories goes, not only the seed's own: `..` leads out of the trees, and
  // what a seed leaves there must not reach the next.
  for (const auto& [top, mode] : {std::pair{dir, 0755}, std::pair{dir2, 01777}}) {
    nftw(top.c_str(), RemoveOne, 16, FTW_DEPTH | FTW_PHYS);  // (the mount point itself stays)
    // (Started as another user: its own directory's mode only; what else a seed made of them
    // stays, the same in both runs.)
    if (getuid() == 0 && chown(top.c_str(), 0, 0) != 0) return 1;
    if (chmod(top.c_str(), getuid() == 0 ? mode : 0755) != 0 && getuid() == 0) return 1;
  }
  fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/work", dir2 = "/tmp";
  unsigned long first = 1, last = 20;
  int ops = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir") {
      dir = v;
    } else if (k == "--dir2") {
      dir2 = v;
    } else if (k == "--ops") {
      ops = atoi(v.c_str());
    } else if (k == "--seeds") {
      size_t dash = v.find('-');
      first = strtoul(v.c_str(), nullptr, 10);
      last = dash == std::string::npos ? first : strtoul(v.c_str() + dash + 1, nullptr, 10);
    } else {
      fprintf(stderr, "usage: %s [--dir D] [--dir2 D2] [--seeds A-B] [--ops N]\n", argv[0]);
      return 2;
    }
  }
  setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
  // A call through fd 0 would reach what the runtime was started with, the host's /dev/null (the
  // suite's stdin, inherited as under runc): a chmod there once made the host's /dev/null 0600.
  // Standard input is a scratch file.
  std::string scratch = dir2 + "/stdin";
  int in = open(scratch.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (in < 0 || dup2(in, 0) != 0 || unlink(scratch.c_str()) != 0) {
    fprintf(stderr, "cannot replace standard input: %s\n", strerror(errno));
    return 1;
  }
  close(in);
  for (unsigned long seed = first; seed <= last; ++seed) {
    if (RunSeed(seed, dir, dir2, ops) != 0) return 1;
  }
  return 0;
}
