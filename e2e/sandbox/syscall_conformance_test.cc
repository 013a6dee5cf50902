// Syscall conformance: the same binary runs natively, in a plain container and under the sentry;
// every test states what Linux does, so a test that passes natively and fails sandboxed is a
// sandbox bug (e2e/sandbox/sandbox_suite.py compares the per-test results).
//
// Linked statically (runs in any rootfs). Each test works in a fresh directory under
// $SEE_TEST_DIR (default /tmp) and removes it. Non-root checks run in a forked child that drops to
// uid/gid 65534; the child reports the first failing line as its exit code (ChildOk).
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

constexpr uid_t kNobody = 65534;

// errno of a failed call, 0 on success (so EXPECT_EQ(Err(...), ENOENT) reads like the man page).
int Err(long rc) { return rc < 0 ? errno : 0; }

long Openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve, uint64_t mode = 0) {
  open_how how{};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  // Directories made unreadable by a test are made traversable again first. Only directories:
  // chmod follows symlinks, and the tests leave links to "/" and "/etc" behind (this once set the
  // host's / and /etc to 0700).
  if (type == FTW_D || type == FTW_DP || type == FTW_DNR) chmod(path, 0700);
  return remove(path);
}

void WriteFile(const std::string& path, const std::string& data, mode_t mode = 0644) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  close(fd);
}

std::string ReadFd(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "<" + std::string(strerror(errno)) + ">";
  std::string s = ReadFd(fd);
  close(fd);
  return s;
}

// Runs `fn` in a forked child; returns its wait status rendered ("ok", "line N", "signal S").
std::string InChild(const std::function<int()>& fn) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) _exit(fn());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 253) return "skip";  // kUnreachable
  if (WIFEXITED(status)) return WEXITSTATUS(status) == 0 ? "ok" : "line " + std::to_string(WEXITSTATUS(status) + 0);
  return "signal " + std::to_string(WTERMSIG(status));
}

// Child-side check: exits with the (truncated) line number on failure.
#define CHILD_CHECK(cond)                                   \
  do {                                                      \
    if (!(cond)) {                                          \
      fprintf(stderr, "child check failed line %d: %s (errno %d)\n", __LINE__, #cond, errno); \
      return (__LINE__ % 250) + 1;                          \
    }                                                       \
  } while (0)

// As uid/gid 65534 with no supplementary groups. "skip" when that user can not reach `dir` (e.g.
// a host whose / is 0700: the native run can not hold these checks).
std::string AsNobody(const std::string& dir, const std::function<int()>& fn) {
  std::string r = InChild([&] {
    if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) return 254;
    if (access(dir.c_str(), X_OK) != 0) return 253;
    return fn();
  });
  return r;
}

// Expects a child (InChild/AsNobody) to end "ok"; skips the test when AsNobody could not run.
#define EXPECT_CHILD_OK(expr)                                                        \
  do {                                                                               \
    std::string child_result_ = (expr);                                              \
    if (child_result_ == "skip") GTEST_SKIP() << "uid 65534 can not reach the test dir"; \
    EXPECT_EQ(child_result_, "ok");                                                  \
  } while (0)

class Sys : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = getenv("SEE_TEST_DIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/conf.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << strerror(errno);
    dir_ = tmpl;
    // Others (the nobody child) may traverse it.
    ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
    dfd_ = open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dfd_, 0);
    old_umask_ = umask(022);
    getcwd(old_cwd_, sizeof(old_cwd_));
  }
  void TearDown() override {
    umask(old_umask_);
    if (chdir(old_cwd_) != 0) chdir("/");
    close(dfd_);
    nftw(dir_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
  }
  std::string P(const std::string& rel) const { return dir_ + "/" + rel; }

  std::string dir_;
  int dfd_ = -1;
  mode_t old_umask_ = 022;
  char old_cwd_[PATH_MAX] = "/";
};

// ------------------------------------------------------------------ open / openat / openat2 flags

TEST_F(Sys, OpenCreatExcl) {
  int fd = open(P("f").c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(Err(open(P("f").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600)), EEXIST);
  // O_EXCL with a dangling symlink: EEXIST, the link is not followed.
  ASSERT_EQ(symlink("nowhere", P("dangling").c_str()), 0);
  EXPECT_EQ(Err(open(P("dangling").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600)), EEXIST);
  // Without O_EXCL a dangling symlink is followed and its target created.
  fd = open(P("dangling").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  struct stat st;
  EXPECT_EQ(stat(P("nowhere").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(Sys, OpenTruncAppend) {
  WriteFile(P("f"), "hello world");
  int fd = open(P("f").c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(ReadFile(P("f")), "");
  WriteFile(P("f"), "ab");
  fd = open(P("f").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "cd", 2), 2);
  EXPECT_EQ(fcntl(fd, F_GETFL) & O_APPEND, O_APPEND);
  close(fd);
  EXPECT_EQ(ReadFile(P("f")), "abcd");
}

TEST_F(Sys, OpenCloexecAndFlagsVisible) {
  WriteFile(P("f"), "x");
  int fd = open(P("f").c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  close(fd);
  fd = open(P("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  close(fd);
}

TEST_F(Sys, OpenLowestFreeFd) {
  WriteFile(P("f"), "x");
  int a = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  int b = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  close(a);
  int c = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(c, a);
  close(b);
  close(c);
}

TEST_F(Sys, OpenTmpfile) {
  int fd = open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
  if (fd < 0 && errno == EOPNOTSUPP) GTEST_SKIP() << "file system without O_TMPFILE";
  ASSERT_GE(fd, 0) << strerror(errno);
  ASSERT_EQ(write(fd, "tmp", 3), 3);
  // Not in the directory.
  DIR* d = opendir(dir_.c_str());
  ASSERT_NE(d, nullptr);
  int entries = 0;
  while (dirent* e = readdir(d)) entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  closedir(d);
  EXPECT_EQ(entries, 0);
  // Linked in through /proc/self/fd (the documented way without CAP_DAC_READ_SEARCH).
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  ASSERT_EQ(linkat(AT_FDCWD, self.c_str(), AT_FDCWD, P("named").c_str(), AT_SYMLINK_FOLLOW), 0)
      << strerror(errno);
  EXPECT_EQ(ReadFile(P("named")), "tmp");
  struct stat st;
  ASSERT_EQ(stat(P("named").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  close(fd);
  // O_TMPFILE without write access: EINVAL; on a file: ENOTDIR.
  EXPECT_EQ(Err(open(dir_.c_str(), O_TMPFILE | O_RDONLY, 0600)), EINVAL);
  EXPECT_EQ(Err(open(P("named").c_str(), O_TMPFILE | O_RDWR, 0600)), ENOTDIR);
  // O_EXCL: may not be linked.
  fd = open(dir_.c_str(), O_TMPFILE | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  self = "/proc/self/fd/" + std::to_string(fd);
  EXPECT_EQ(Err(linkat(AT_FDCWD, self.c_str(), AT_FDCWD, P("excl").c_str(), AT_SYMLINK_FOLLOW)),
            ENOENT);
  close(fd);
}

TEST_F(Sys, OpenPath) {
  WriteFile(P("f"), "data");
  int fd = open(P("f").c_str(), O_PATH | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  char c;
  EXPECT_EQ(Err(read(fd, &c, 1)), EBADF);
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(fcntl(fd, F_GETFL) & O_PATH, O_PATH);
  EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  // Re-opened for reading through /proc/self/fd.
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  int rfd = open(self.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(rfd, 0) << strerror(errno);
  EXPECT_EQ(ReadFd(rfd), "data");
  close(rfd);
  close(fd);
  // O_PATH|O_NOFOLLOW on a symlink opens the link itself.
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  fd = open(P("l").c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  ASSERT_GE(fd, 0) << strerror(errno);
  ASSERT_EQ(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  char buf[16] = {};
  EXPECT_EQ(readlinkat(fd, "", buf, sizeof(buf)), 1);
  EXPECT_STREQ(buf, "f");
  close(fd);
  // O_PATH of a directory works as a dirfd.
  fd = open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  rfd = openat(fd, "f", O_RDONLY | O_CLOEXEC);
  EXPECT_GE(rfd, 0);
  close(rfd);
  close(fd);
}

TEST_F(Sys, OpenNofollow) {
  WriteFile(P("f"), "x");
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  EXPECT_EQ(Err(open(P("l").c_str(), O_RDONLY | O_NOFOLLOW)), ELOOP);
  // Only the last component: a symlinked directory on the way is followed.
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  WriteFile(P("d/g"), "y");
  ASSERT_EQ(symlink("d", P("ld").c_str()), 0);
  int fd = open(P("ld/g").c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  close(fd);
}

TEST_F(Sys, OpenDirectory) {
  WriteFile(P("f"), "x");
  EXPECT_EQ(Err(open(P("f").c_str(), O_RDONLY | O_DIRECTORY)), ENOTDIR);
  int fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(Err(open(dir_.c_str(), O_WRONLY)), EISDIR);
  EXPECT_EQ(Err(open(dir_.c_str(), O_RDWR)), EISDIR);
  // O_CREAT|O_DIRECTORY is EINVAL since Linux 6.4.
  EXPECT_EQ(Err(open(P("new").c_str(), O_CREAT | O_DIRECTORY | O_RDONLY, 0600)), EINVAL);
  // Trailing slash on a non-directory.
  EXPECT_EQ(Err(open(P("f/").c_str(), O_RDONLY)), ENOTDIR);
  EXPECT_EQ(Err(open(P("nothere/").c_str(), O_CREAT | O_RDWR, 0600)), EISDIR);
}

TEST_F(Sys, OpenEnoentEnotdir) {
  WriteFile(P("f"), "x");
  EXPECT_EQ(Err(open(P("missing").c_str(), O_RDONLY)), ENOENT);
  EXPECT_EQ(Err(open(P("missing/x").c_str(), O_RDONLY)), ENOENT);
  EXPECT_EQ(Err(open(P("f/x").c_str(), O_RDONLY)), ENOTDIR);
  EXPECT_EQ(Err(open("", O_RDONLY)), ENOENT);
  EXPECT_EQ(Err(open(P("missing/x").c_str(), O_CREAT | O_RDWR, 0600)), ENOENT);
  EXPECT_EQ(Err(syscall(SYS_open, nullptr, O_RDONLY)), EFAULT);
  EXPECT_EQ(Err(open(reinterpret_cast<const char*>(8), O_RDONLY)), EFAULT);
}

// RESOLVE_NO_XDEV counts the mounts crossed from the dirfd (or the cwd), not those above it; and
// RESOLVE_IN_ROOT makes the dirfd the root of an absolute path too. (In a container the test
// directory is on a tmpfs: the sentry gave EXDEV for every such walk, and EBADF for the second.)
TEST_F(Sys, Openat2NoXdevAndInRootStartAtTheDirfd) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  WriteFile(P("f"), "x");
  WriteFile(P("d/g"), "g");
  ASSERT_EQ(symlink("../f", P("d/up").c_str()), 0);
  int d = open(P("d").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(d, 0);
  auto err = [](long fd) {
    if (fd < 0) return errno;
    close(static_cast<int>(fd));
    return 0;
  };
  EXPECT_EQ(err(Openat2(dfd_, "f", O_RDONLY, RESOLVE_NO_XDEV)), 0);
  EXPECT_EQ(err(Openat2(d, "../f", O_RDONLY, RESOLVE_NO_XDEV)), 0);
  EXPECT_EQ(err(Openat2(d, "up", O_RDONLY, RESOLVE_NO_XDEV)), 0);
  EXPECT_EQ(err(Openat2(d, ".", O_PATH, RESOLVE_NO_XDEV)), 0);
  EXPECT_EQ(err(Openat2(d, "g", O_WRONLY | O_CREAT, RESOLVE_NO_XDEV, 0600)), 0);
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  EXPECT_EQ(err(Openat2(AT_FDCWD, "d/g", O_RDONLY, RESOLVE_NO_XDEV)), 0);
  // From "/" the walk crosses whatever mount the test directory is on.
  struct statx root_sx {}, dir_sx {};
  ASSERT_EQ(statx(AT_FDCWD, "/", 0, STATX_MNT_ID, &root_sx), 0);
  ASSERT_EQ(statx(AT_FDCWD, dir_.c_str(), 0, STATX_MNT_ID, &dir_sx), 0);
  const int from_root = root_sx.stx_mnt_id == dir_sx.stx_mnt_id ? 0 : EXDEV;
  EXPECT_EQ(err(Openat2(AT_FDCWD, P("f").c_str(), O_RDONLY, RESOLVE_NO_XDEV)), from_root);
  EXPECT_EQ(err(Openat2(d, "../../../../../../../../..", O_PATH, RESOLVE_NO_XDEV)), from_root);
  // RESOLVE_IN_ROOT: an absolute path starts at the dirfd, as its root, or at the cwd.
  EXPECT_EQ(err(Openat2(d, "/g", O_RDONLY, RESOLVE_IN_ROOT)), 0);
  EXPECT_EQ(err(Openat2(d, "/up", O_RDONLY, RESOLVE_IN_ROOT)), ENOENT);  // ".." stays in d
  EXPECT_EQ(err(Openat2(AT_FDCWD, "/d/g", O_RDONLY, RESOLVE_IN_ROOT)), 0);
  close(d);
}

TEST_F(Sys, Openat2Resolve) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  WriteFile(P("f"), "x");
  ASSERT_EQ(symlink("../f", P("d/up").c_str()), 0);
  ASSERT_EQ(symlink("/etc", P("d/abs").c_str()), 0);
  int d = open(P("d").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(d, 0);
  EXPECT_EQ(Err(Openat2(d, "up", O_RDONLY, RESOLVE_BENEATH)), EXDEV);
  EXPECT_EQ(Err(Openat2(d, "../f", O_RDONLY, RESOLVE_BENEATH)), EXDEV);
  EXPECT_EQ(Err(Openat2(d, "/etc/passwd", O_RDONLY, RESOLVE_BENEATH)), EXDEV);
  EXPECT_EQ(Err(Openat2(d, "up", O_RDONLY, RESOLVE_NO_SYMLINKS)), ELOOP);
  // RESOLVE_IN_ROOT: ".." and absolute links stay in d.
  EXPECT_EQ(Err(Openat2(d, "up", O_RDONLY, RESOLVE_IN_ROOT)), ENOENT);
  EXPECT_EQ(Err(Openat2(d, "abs/passwd", O_RDONLY, RESOLVE_IN_ROOT)), ENOENT);
  long fd = Openat2(d, "../../..", O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT);
  ASSERT_GE(fd, 0);
  struct stat a, b;
  fstat(static_cast<int>(fd), &a);
  fstat(d, &b);
  EXPECT_EQ(a.st_ino, b.st_ino);
  close(static_cast<int>(fd));
  EXPECT_EQ(Err(Openat2(AT_FDCWD, "/proc/self/exe", O_RDONLY, RESOLVE_NO_MAGICLINKS)), ELOOP);
  EXPECT_EQ(Err(Openat2(AT_FDCWD, "/proc/self/exe", O_RDONLY, RESOLVE_NO_XDEV)), EXDEV);
  // Argument checks.
  EXPECT_EQ(Err(Openat2(d, "x", O_RDONLY, 1u << 30)), EINVAL);
  EXPECT_EQ(Err(Openat2(d, "f", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT)), EINVAL);
  EXPECT_EQ(Err(Openat2(d, "/f", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT)), EINVAL);
  EXPECT_EQ(Err(Openat2(d, "x", O_RDONLY, 0, 0644)), EINVAL);  // mode without O_CREAT
  EXPECT_EQ(Err(Openat2(d, "x", 1ull << 40, 0)), EINVAL);
  open_how how{};
  EXPECT_EQ(Err(syscall(SYS_openat2, d, "x", &how, 8)), EINVAL);
  struct {
    open_how how;
    uint64_t extra;
  } big{};
  big.how.flags = O_RDONLY;
  big.extra = 1;
  EXPECT_EQ(Err(syscall(SYS_openat2, dfd_, "f", &big, sizeof(big))), E2BIG);
  big.extra = 0;
  fd = syscall(SYS_openat2, dfd_, "f", &big, sizeof(big));
  EXPECT_GE(fd, 0);
  close(static_cast<int>(fd));
  close(d);
}

TEST_F(Sys, OpenModeAndUmask) {
  umask(027);
  int fd = open(P("f").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0777);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_EQ(mkdir(P("d").c_str(), 0777), 0);
  struct stat st;
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  ASSERT_EQ(stat(P("d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  // umask set in one thread is seen by others (fs_struct shared with CLONE_FS).
  umask(077);
  std::thread t([&] {
    int f = open(P("g").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (f >= 0) close(f);
  });
  t.join();
  ASSERT_EQ(stat(P("g").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // mkfifo and mknod honour it too.
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0666), 0);
  ASSERT_EQ(stat(P("fifo").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(Sys, Creat) {
  int fd = creat(P("c").c_str(), 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "z", 1), 1);
  EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
  close(fd);
  fd = creat(P("c").c_str(), 0600);
  close(fd);
  EXPECT_EQ(ReadFile(P("c")), "");
}

// ------------------------------------------------------------------ dirfds, AT_EMPTY_PATH, cwd

TEST_F(Sys, Dirfds) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  WriteFile(P("d/f"), "in d");
  int d = open(P("d").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(d, 0);
  int fd = openat(d, "f", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(ReadFd(fd), "in d");
  // A file as dirfd: ENOTDIR for a relative path, ignored for an absolute one.
  EXPECT_EQ(Err(openat(fd, "x", O_RDONLY)), ENOTDIR);
  int abs = openat(fd, P("d/f").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(abs, 0);
  close(abs);
  close(fd);
  EXPECT_EQ(Err(openat(9999, "f", O_RDONLY)), EBADF);
  EXPECT_EQ(Err(openat(-5, "f", O_RDONLY)), EBADF);
  // The dirfd keeps naming the directory after a rename.
  ASSERT_EQ(rename(P("d").c_str(), P("e").c_str()), 0);
  fd = openat(d, "f", O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  close(fd);
  struct stat st;
  EXPECT_EQ(fstatat(d, "f", &st, 0), 0);
  EXPECT_EQ(mkdirat(d, "sub", 0755), 0);
  EXPECT_EQ(stat(P("e/sub").c_str(), &st), 0);
  close(d);
}

TEST_F(Sys, DirfdOfRemovedDirectory) {
  ASSERT_EQ(mkdir(P("gone").c_str(), 0755), 0);
  int d = open(P("gone").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(d, 0);
  ASSERT_EQ(rmdir(P("gone").c_str()), 0);
  EXPECT_EQ(Err(openat(d, "x", O_CREAT | O_RDWR, 0600)), ENOENT);
  EXPECT_EQ(Err(mkdirat(d, "x", 0755)), ENOENT);
  struct stat st;
  EXPECT_EQ(fstatat(d, ".", &st, 0), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  close(d);
}

TEST_F(Sys, AtEmptyPath) {
  WriteFile(P("f"), "12345");
  int fd = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(Err(fstatat(fd, "", &st, 0)), ENOENT);
  struct statx sx;
  ASSERT_EQ(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx), 0);
  EXPECT_EQ(sx.stx_size, 5u);
  // AT_FDCWD with "": the cwd.
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  struct stat cwd, d;
  ASSERT_EQ(fstatat(AT_FDCWD, "", &cwd, AT_EMPTY_PATH), 0);
  ASSERT_EQ(stat(dir_.c_str(), &d), 0);
  EXPECT_EQ(cwd.st_ino, d.st_ino);
  EXPECT_EQ(Err(fstatat(4242, "", &st, AT_EMPTY_PATH)), EBADF);
  EXPECT_EQ(Err(fstatat(fd, "", &st, 0x80000)), EINVAL);
  // fchownat/utimensat/fchmodat2 on the fd itself.
  EXPECT_EQ(fchownat(fd, "", getuid(), getgid(), AT_EMPTY_PATH), 0);
  timespec ts[2] = {{1000, 0}, {2000, 0}};
  EXPECT_EQ(syscall(SYS_utimensat, fd, nullptr, ts, 0), 0);  // NULL path: the fd (futimens)
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_mtime, 2000);
  EXPECT_EQ(syscall(452 /* fchmodat2 */, fd, "", 0600, AT_EMPTY_PATH), 0);
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  close(fd);
}

TEST_F(Sys, ChdirThenRelative) {
  ASSERT_EQ(mkdir(P("a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(P("a/b").c_str(), 0755), 0);
  WriteFile(P("a/b/f"), "deep");
  WriteFile(P("top"), "top");
  ASSERT_EQ(chdir(P("a/b").c_str()), 0);
  EXPECT_EQ(ReadFile("f"), "deep");
  EXPECT_EQ(ReadFile("./f"), "deep");
  EXPECT_EQ(ReadFile("../../top"), "top");
  EXPECT_EQ(ReadFile("../b/../../a/b/f"), "deep");
  char buf[PATH_MAX];
  ASSERT_NE(getcwd(buf, sizeof(buf)), nullptr);
  EXPECT_EQ(std::string(buf), P("a/b"));
  // Relative creation and removal.
  ASSERT_EQ(mkdir("new", 0755), 0);
  ASSERT_EQ(rename("new", "../renamed"), 0);
  struct stat st;
  EXPECT_EQ(stat(P("a/renamed").c_str(), &st), 0);
  ASSERT_EQ(rmdir("../renamed"), 0);
  // fchdir to a dirfd, then relative.
  int d = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_EQ(fchdir(d), 0);
  close(d);
  EXPECT_EQ(ReadFile("top"), "top");
  // chdir errors.
  EXPECT_EQ(Err(chdir("top")), ENOTDIR);
  EXPECT_EQ(Err(chdir("missing")), ENOENT);
  EXPECT_EQ(Err(chdir("")), ENOENT);
  // A thread's chdir moves the whole process (CLONE_FS).
  std::thread([&] { chdir(P("a").c_str()); }).join();
  EXPECT_EQ(ReadFile("b/f"), "deep");
  // The cwd removed under us: relative lookups fail with ENOENT.
  ASSERT_EQ(mkdir(P("cwdgone").c_str(), 0755), 0);
  ASSERT_EQ(chdir(P("cwdgone").c_str()), 0);
  ASSERT_EQ(rmdir(P("cwdgone").c_str()), 0);
  EXPECT_EQ(Err(open("x", O_CREAT | O_RDWR, 0600)), ENOENT);
  EXPECT_EQ(Err(stat("..", &st)), 0);
}

TEST_F(Sys, DotDotAtRoot) {
  struct stat root, st;
  ASSERT_EQ(stat("/", &root), 0);
  ASSERT_EQ(stat("/..", &st), 0);
  EXPECT_EQ(st.st_ino, root.st_ino);
  ASSERT_EQ(stat("/../../..", &st), 0);
  EXPECT_EQ(st.st_ino, root.st_ino);
  EXPECT_EQ(st.st_dev, root.st_dev);
  ASSERT_EQ(chdir("/"), 0);
  ASSERT_EQ(stat("../../..", &st), 0);
  EXPECT_EQ(st.st_ino, root.st_ino);
  // From a directory, more ".." than depth stop at the root.
  std::string up;
  for (int i = 0; i < 64; ++i) up += "../";
  ASSERT_EQ(stat((dir_ + "/" + up).c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, root.st_ino);
  int fd = open((up + "proc/self/status").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  close(fd);
  // A symlink to ".." chains stop at the root too.
  ASSERT_EQ(symlink("../../../../../../../../../../..", P("up").c_str()), 0);
  ASSERT_EQ(stat(P("up").c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, root.st_ino);
}

TEST_F(Sys, StatThroughProcMagicLinks) {
  // stat() follows /proc/self/{exe,cwd,root} to the objects they name.
  struct stat a, b;
  ASSERT_EQ(stat("/proc/self/exe", &a), 0) << strerror(errno);
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << strerror(errno);
  ASSERT_EQ(fstat(fd, &b), 0);
  close(fd);
  EXPECT_EQ(a.st_ino, b.st_ino);
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  ASSERT_EQ(stat("/proc/self/cwd", &a), 0) << strerror(errno);
  ASSERT_EQ(stat(dir_.c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  ASSERT_EQ(stat("/proc/self/root", &a), 0) << strerror(errno);
  ASSERT_EQ(stat("/", &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST_F(Sys, ProcMagicLinksOfOwnProcess) {
  // The same links spelled with the caller's own pid, thread-self and task/<tid>; access, statx,
  // readlink, and paths continuing below cwd and root.
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  WriteFile(P("f"), "in cwd");
  struct stat exe, cwd, st;
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << strerror(errno);
  ASSERT_EQ(fstat(fd, &exe), 0);
  close(fd);
  ASSERT_EQ(stat(dir_.c_str(), &cwd), 0);
  std::string pid = "/proc/" + std::to_string(getpid());
  std::string task = pid + "/task/" + std::to_string(static_cast<pid_t>(syscall(SYS_gettid)));
  for (const std::string& base : {std::string("/proc/self"), pid, std::string("/proc/thread-self"), task}) {
    SCOPED_TRACE(base);
    ASSERT_EQ(stat((base + "/exe").c_str(), &st), 0) << strerror(errno);
    EXPECT_EQ(st.st_ino, exe.st_ino);
    ASSERT_EQ(stat((base + "/cwd").c_str(), &st), 0) << strerror(errno);
    EXPECT_EQ(st.st_ino, cwd.st_ino);
    EXPECT_EQ(access((base + "/exe").c_str(), X_OK), 0) << strerror(errno);
    EXPECT_EQ(access((base + "/cwd/f").c_str(), R_OK), 0) << strerror(errno);
    EXPECT_EQ(ReadFile(base + "/cwd/f"), "in cwd");
    EXPECT_EQ(ReadFile(base + "/root" + P("f")), "in cwd");
    struct statx sx{};
    ASSERT_EQ(statx(AT_FDCWD, (base + "/exe").c_str(), 0, STATX_INO, &sx), 0) << strerror(errno);
    EXPECT_EQ(sx.stx_ino, exe.st_ino);
    // lstat: the link itself.
    ASSERT_EQ(lstat((base + "/cwd").c_str(), &st), 0) << strerror(errno);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    char buf[PATH_MAX];
    ssize_t n = readlink((base + "/cwd").c_str(), buf, sizeof(buf));
    ASSERT_GT(n, 0) << strerror(errno);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), dir_);
    EXPECT_EQ(Err(stat((base + "/exe/x").c_str(), &st)), ENOTDIR);
  }
}

TEST_F(Sys, SymlinkIntoProcSelf) {
  // An image's own symlink into /proc/self means the process following it.
  ASSERT_EQ(symlink("/proc/self", P("ps").c_str()), 0);
  std::string status = ReadFile(P("ps/status"));
  EXPECT_NE(status.find("Pid:\t" + std::to_string(getpid()) + "\n"), std::string::npos) << status.substr(0, 80);
}

TEST_F(Sys, SymlinksIntoProcSelfAnySpelling) {
  // Links made by an image: to a /proc/self file (/etc/mtab-like), to /proc/self/fd/N
  // (/dev/stdin-like), to /proc itself, to /proc/thread-self, chains of links, and relative ones.
  std::string mounts = ReadFile("/proc/self/mounts");
  ASSERT_EQ(symlink("/proc/self/mounts", P("mtab").c_str()), 0);
  EXPECT_EQ(ReadFile(P("mtab")), mounts);
  ASSERT_EQ(symlink("mtab", P("mtab2").c_str()), 0);
  EXPECT_EQ(ReadFile(P("mtab2")), mounts);
  WriteFile(P("f"), "through fd");
  int fd = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string fdlink = "/proc/self/fd/" + std::to_string(fd);
  ASSERT_EQ(symlink(fdlink.c_str(), P("myfd").c_str()), 0);
  EXPECT_EQ(ReadFile(P("myfd")), "through fd");
  struct stat a, b;
  ASSERT_EQ(stat(P("myfd").c_str(), &a), 0) << strerror(errno);
  ASSERT_EQ(fstat(fd, &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  close(fd);
  ASSERT_EQ(symlink("/proc/self/fd", P("fds").c_str()), 0);
  DIR* d = opendir(P("fds").c_str());
  ASSERT_NE(d, nullptr) << strerror(errno);
  int fds_seen = 0;
  bool found_own = false;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    fds_seen++;
    if (std::string(e->d_name) == std::to_string(dirfd(d))) found_own = true;
  }
  closedir(d);
  EXPECT_GT(fds_seen, 0);
  EXPECT_TRUE(found_own) << "the listing is not this process's fd table";
  ASSERT_EQ(symlink("/proc", P("proc").c_str()), 0);
  std::string status = ReadFile(P("proc/self/status"));
  EXPECT_NE(status.find("Pid:\t" + std::to_string(getpid()) + "\n"), std::string::npos) << status.substr(0, 80);
  ASSERT_EQ(symlink("/proc/thread-self", P("ts").c_str()), 0);
  std::atomic<pid_t> seen{0};
  std::string ts_status;
  std::thread t([&] {
    seen = static_cast<pid_t>(syscall(SYS_gettid));
    ts_status = ReadFile(P("ts/status"));
  });
  t.join();
  EXPECT_NE(ts_status.find("Pid:\t" + std::to_string(seen.load()) + "\n"), std::string::npos) << ts_status.substr(0, 80);
  // Magic links reached through an image link: the caller's own cwd and exe.
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  ASSERT_EQ(symlink("/proc/self/cwd", P("mycwd").c_str()), 0);
  EXPECT_EQ(ReadFile(P("mycwd/f")), "through fd");
  ASSERT_EQ(symlink("/proc/self/exe", P("myexe").c_str()), 0);
  ASSERT_EQ(stat(P("myexe").c_str(), &a), 0) << strerror(errno);
  ASSERT_EQ(stat("/proc/self/exe", &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  // The link itself is still a link.
  ASSERT_EQ(symlink("/proc/self", P("ps").c_str()), 0);
  ASSERT_EQ(lstat(P("ps").c_str(), &a), 0);
  EXPECT_TRUE(S_ISLNK(a.st_mode));
  // In a child process the same link names the child.
  EXPECT_CHILD_OK(InChild([&] {
    std::string s = ReadFile(P("ps/status"));
    CHILD_CHECK(s.find("Pid:\t" + std::to_string(getpid()) + "\n") != std::string::npos);
    return 0;
  }));
}

TEST_F(Sys, Eloop) {
  ASSERT_EQ(symlink("b", P("a").c_str()), 0);
  ASSERT_EQ(symlink("a", P("b").c_str()), 0);
  EXPECT_EQ(Err(open(P("a").c_str(), O_RDONLY)), ELOOP);
  struct stat st;
  EXPECT_EQ(Err(stat(P("a").c_str(), &st)), ELOOP);
  EXPECT_EQ(lstat(P("a").c_str(), &st), 0);
  EXPECT_EQ(Err(stat(P("a/x").c_str(), &st)), ELOOP);
  EXPECT_EQ(Err(mkdir(P("a/x").c_str(), 0755)), ELOOP);
  // 40 links are followed, 41 are not.
  WriteFile(P("t"), "end");
  std::string prev = "t";
  for (int i = 1; i <= 41; ++i) {
    std::string name = "l" + std::to_string(i);
    ASSERT_EQ(symlink(prev.c_str(), P(name).c_str()), 0);
    prev = name;
  }
  EXPECT_EQ(ReadFile(P("l40")), "end");
  EXPECT_EQ(Err(open(P("l41").c_str(), O_RDONLY)), ELOOP);
  EXPECT_EQ(Err(chdir(P("a").c_str())), ELOOP);
  EXPECT_EQ(Err(access(P("a").c_str(), F_OK)), ELOOP);
}

TEST_F(Sys, ReopenThroughProcSelfFd) {
  WriteFile(P("f"), "content");
  int fd = open(P("f").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  int r = open(self.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(r, 0) << strerror(errno);
  EXPECT_EQ(ReadFd(r), "content");
  // An independent open file: its own offset.
  EXPECT_EQ(lseek(r, 0, SEEK_CUR), 7);
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
  close(r);
  // /dev/fd is the same.
  std::string devfd = "/dev/fd/" + std::to_string(fd);
  r = open(devfd.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(r, 0);
  close(r);
  // The file keeps being reachable after unlink.
  ASSERT_EQ(unlink(P("f").c_str()), 0);
  r = open(self.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(r, 0) << strerror(errno);
  EXPECT_EQ(ReadFd(r), "content");
  close(r);
  // readlink shows the path with " (deleted)".
  char buf[PATH_MAX] = {};
  ASSERT_GT(readlink(self.c_str(), buf, sizeof(buf) - 1), 0);
  EXPECT_EQ(std::string(buf), P("f") + " (deleted)");
  close(fd);
  EXPECT_EQ(Err(open("/proc/self/fd/9999", O_RDONLY)), ENOENT);
  // A directory fd as a path prefix.
  int d = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  WriteFile(P("g"), "gee");
  EXPECT_EQ(ReadFile("/proc/self/fd/" + std::to_string(d) + "/g"), "gee");
  close(d);
  // A pipe re-opened through /proc/self/fd.
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  std::string wpath = "/proc/self/fd/" + std::to_string(p[1]);
  int w = open(wpath.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(w, 0) << strerror(errno);
  ASSERT_EQ(write(w, "p", 1), 1);
  char c = 0;
  ASSERT_EQ(read(p[0], &c, 1), 1);
  EXPECT_EQ(c, 'p');
  close(w);
  close(p[0]);
  close(p[1]);
}

TEST_F(Sys, ReopenThroughProcSelfFdWithCreateFlags) {
  WriteFile(P("f"), "x");
  int fd = open(P("f").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  // The link exists: O_CREAT|O_EXCL fails as on any existing name, O_CREAT alone opens the file.
  EXPECT_EQ(Err(open(self.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)), EEXIST);
  int r = open(self.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  EXPECT_GE(r, 0) << strerror(errno);
  if (r >= 0) close(r);
  EXPECT_EQ(Err(open(self.c_str(), O_RDONLY | O_CREAT | O_DIRECTORY | O_CLOEXEC, 0600)), EINVAL);
  // O_TMPFILE through a directory fd makes an unnamed file in that directory.
  int d = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(d, 0);
  std::string dself = "/proc/self/fd/" + std::to_string(d);
  int t = open(dself.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
  ASSERT_GE(t, 0) << strerror(errno);
  struct stat st;
  ASSERT_EQ(fstat(t, &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(st.st_mode & 0777, 0640u & ~022u);
  close(t);
  // ... and is refused as natively: read-only, or through a file that is no directory.
  EXPECT_EQ(Err(open(dself.c_str(), O_TMPFILE | O_RDONLY | O_CLOEXEC, 0600)), EINVAL);
  EXPECT_EQ(Err(open(self.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)), ENOTDIR);
  close(d);
  close(fd);
}

TEST_F(Sys, ANonDumpableProcessReadsItsOwnProcEntries) {
  // A process that dropped privileges without an exec (a daemon's worker, sshd's privilege
  // separation) is not dumpable: other processes of its uid may not read its /proc entries, but it
  // may read its own (Linux exempts a process's own thread group from the ptrace check). glibc
  // reads /proc/self/maps for pthread_getattr_np, and many programs /proc/self/exe and fd/.
  EXPECT_CHILD_OK(AsNobody(dir_, [] {
    CHILD_CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0);
    int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    CHILD_CHECK(maps >= 0);
    char buf[64];
    CHILD_CHECK(read(maps, buf, sizeof(buf)) > 0);
    close(maps);
    char exe[PATH_MAX];
    CHILD_CHECK(readlink("/proc/self/exe", exe, sizeof(exe)) > 0);
    // Spelled with its pid and thread id too.
    CHILD_CHECK(readlink(("/proc/" + std::to_string(getpid()) + "/exe").c_str(), exe, sizeof(exe)) > 0);
    CHILD_CHECK(readlink(("/proc/self/task/" + std::to_string(gettid()) + "/cwd").c_str(), exe, sizeof(exe)) > 0);
    DIR* fds = opendir("/proc/self/fd");
    CHILD_CHECK(fds != nullptr);
    closedir(fds);
    struct stat st;
    CHILD_CHECK(stat("/proc/self/fd/0", &st) == 0 || errno == ENOENT);
    int environ_fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
    // Owned by root while not dumpable (0400): refused by its mode, not by the ptrace check.
    CHILD_CHECK(environ_fd == -1 && errno == EACCES);
    DIR* task_fds = opendir("/proc/thread-self/fd");
    CHILD_CHECK(task_fds != nullptr);
    closedir(task_fds);
    // The same entries spelled with its own pid and thread id.
    const std::string own = "/proc/" + std::to_string(getpid());
    for (const std::string& spelled : {own + "/maps", own + "/task/" + std::to_string(gettid()) + "/maps"}) {
      int m = open(spelled.c_str(), O_RDONLY | O_CLOEXEC);
      CHILD_CHECK(m >= 0);
      close(m);
    }
    DIR* own_fds = opendir((own + "/fd").c_str());
    CHILD_CHECK(own_fds != nullptr);
    closedir(own_fds);
    // And another thread's links of its own process (no check within a thread group).
    int hold[2];
    CHILD_CHECK(pipe2(hold, O_CLOEXEC) == 0);
    std::atomic<pid_t> other{0};
    std::thread t([&] {
      other = static_cast<pid_t>(syscall(SYS_gettid));
      char c;
      (void)!read(hold[0], &c, 1);
    });
    while (other == 0) usleep(1000);
    const std::string task = "/proc/self/task/" + std::to_string(other.load());
    struct stat tst;
    int exe_rc = stat((task + "/exe").c_str(), &tst);
    int exe_err = errno;
    int fd_rc = stat((task + "/fd/" + std::to_string(hold[0])).c_str(), &tst);
    int fd_err = errno;
    close(hold[1]);
    t.join();
    close(hold[0]);
    errno = exe_err;
    CHILD_CHECK(exe_rc == 0);
    errno = fd_err;
    CHILD_CHECK(fd_rc == 0);
    // Another process of the same uid (a child, which makes itself dumpable) may not read this
    // one's entries: for it the ptrace check applies.
    pid_t me = getpid();
    pid_t kid = fork();
    if (kid == 0) {
      prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
      std::string theirs = "/proc/" + std::to_string(me) + "/maps";
      int m = open(theirs.c_str(), O_RDONLY | O_CLOEXEC);
      _exit(m == -1 && errno == EACCES ? 0 : 1);
    }
    int status = 0;
    CHILD_CHECK(kid > 0 && waitpid(kid, &status, 0) == kid && WIFEXITED(status) &&
                WEXITSTATUS(status) == 0);
    return 0;
  }));
}

// Found by syscall_diff (e2e/sandbox, sandbox.diff): each of these gave another answer under the
// sentry.

// The kernel refuses bad flag combinations before it reads the path, and open/openat drop a mode
// that no create uses (glibc's __O_TMPFILE carries O_DIRECTORY: an O_DIRECTORY open with a mode
// was refused once).
TEST_F(Sys, OpenFlagsCheckedAsTheKernelChecksThem) {
  int fd = static_cast<int>(syscall(SYS_openat, dfd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0755));
  EXPECT_GE(fd, 0) << strerror(errno);
  if (fd >= 0) close(fd);
  // O_PATH keeps only its own flags for openat, and openat2 refuses the others.
  fd = static_cast<int>(syscall(SYS_openat, dfd_, ".", O_PATH | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0755));
  EXPECT_GE(fd, 0) << strerror(errno);
  if (fd >= 0) close(fd);
  EXPECT_EQ(Err(Openat2(dfd_, "missing/x", O_PATH | O_NONBLOCK | O_CLOEXEC, 0)), EINVAL);
  // Flags before the path: EINVAL, not ENOENT or EBADF.
  EXPECT_EQ(Err(syscall(SYS_openat, 987, "", O_TMPFILE | O_RDONLY, 0600)), EINVAL);
  EXPECT_EQ(Err(syscall(SYS_openat, dfd_, "missing/x", O_TMPFILE | O_RDONLY | O_TRUNC, 0600)), EINVAL);
  // An empty path is ENOENT before its dirfd is looked at.
  EXPECT_EQ(Err(syscall(SYS_openat, 987, "", O_RDONLY)), ENOENT);
  struct stat st;
  EXPECT_EQ(Err(fstatat(987, "", &st, 0)), ENOENT);
  // A name over NAME_MAX after a walk that fails first.
  ASSERT_EQ(close(open(P("f").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
  EXPECT_EQ(Err(mkdir(P("f/" + std::string(300, 'q')).c_str(), 0755)), ENOTDIR);
  EXPECT_EQ(Err(mkdir(P(std::string(300, 'q')).c_str(), 0755)), ENAMETOOLONG);
}

TEST_F(Sys, RenameAndLinkCheckInTheKernelsOrder) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  ASSERT_EQ(close(open(P("f").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
  // Flags first, then the old name's walk, then the new dirfd.
  EXPECT_EQ(Err(syscall(SYS_renameat2, dfd_, "missing", dfd_, "x", RENAME_NOREPLACE | RENAME_EXCHANGE)), EINVAL);
  EXPECT_EQ(Err(syscall(SYS_renameat2, dfd_, "f/x", 987, "x", 0)), ENOTDIR);
  EXPECT_EQ(Err(linkat(dfd_, "f/x", 987, "x", 0)), ENOTDIR);
  // "..": EBUSY, and EEXIST as the new name with RENAME_NOREPLACE.
  EXPECT_EQ(Err(syscall(SYS_renameat2, dfd_, "d/..", dfd_, "x", 0)), EBUSY);
  EXPECT_EQ(Err(syscall(SYS_renameat2, dfd_, "f", dfd_, "d/..", RENAME_NOREPLACE)), EEXIST);
  // A trailing "." wants a directory; for O_CREAT it is a name of its own.
  EXPECT_EQ(Err(open(P("f/.").c_str(), O_RDONLY | O_CLOEXEC)), ENOTDIR);
  EXPECT_EQ(Err(open(("/proc/self/fd/" + std::to_string(dfd_) + "/g/.").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), ENOENT);
  EXPECT_EQ(Err(open(P("d").c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0644)), EISDIR);
  std::string via_fd = "/dev/fd/" + std::to_string(open(P("d").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(Err(open(via_fd.c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0644)), EISDIR);
}

// access() of a device node: the caller's devices cgroup answers (the sentry's refused every
// device: EPERM for `test -w /dev/null`).
TEST_F(Sys, AccessOfADeviceNode) {
  EXPECT_EQ(Err(access("/dev/null", F_OK)), 0);
  EXPECT_EQ(Err(access("/dev/null", R_OK | W_OK)), 0);
  EXPECT_EQ(Err(faccessat(AT_FDCWD, "/dev/zero", R_OK, AT_EACCESS)), 0);
}

// A process whose cwd lies below a directory it may no longer search (it dropped privileges
// after its chdir): Linux walks relative names from the cwd and never searches the ancestors.
TEST_F(Sys, ARelativeWalkSearchesOnlyFromItsStart) {
  ASSERT_EQ(mkdir(P("locked").c_str(), 0700), 0);
  ASSERT_EQ(mkdir(P("locked/open").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(P("locked/open/sub").c_str(), 0755), 0);
  ASSERT_EQ(symlink("sub", P("locked/open/link").c_str()), 0);
  ASSERT_EQ(symlink("../..", P("locked/open/up").c_str()), 0);
  ASSERT_EQ(close(open(P("locked/open/f").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
  const std::string cwd = P("locked/open");
  EXPECT_CHILD_OK(InChild([&] {
    CHILD_CHECK(chdir(cwd.c_str()) == 0);
    CHILD_CHECK(syscall(SYS_setresuid, -1, kNobody, -1) == 0);
    struct stat st;
    CHILD_CHECK(stat("f", &st) == 0);
    CHILD_CHECK(stat("link/.", &st) == 0);
    CHILD_CHECK(stat("..", &st) == 0 && S_ISDIR(st.st_mode));  // "locked" itself, not searched
    CHILD_CHECK(stat("../", &st) == 0);
    errno = 0;
    CHILD_CHECK(stat("../open", &st) == -1 && errno == EACCES);  // that one searches "locked"
    CHILD_CHECK(lstat("up", &st) == 0 && S_ISLNK(st.st_mode));
    int fd = open("f", O_RDONLY | O_CLOEXEC);
    CHILD_CHECK(fd >= 0);
    close(fd);
    CHILD_CHECK(mkdir("new", 0755) == -1 && errno == EACCES);  // "open" is root's 0755
    return 0;
  }));
}

// A non-dumpable process's own fd directory is root's, and still its own to search: readlink and
// lstat of its links, and a name call there answered by procfs (EEXIST, EPERM), as natively.
TEST_F(Sys, ANonDumpableProcessUsesItsOwnFdDirectory) {
  EXPECT_CHILD_OK(InChild([&] {
    CHILD_CHECK(syscall(SYS_setresuid, -1, kNobody, -1) == 0);  // not dumpable from here on
    CHILD_CHECK(prctl(PR_GET_DUMPABLE) == 0);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHILD_CHECK(fd >= 0);
    const std::string link = "/proc/self/fd/" + std::to_string(fd), dev = "/dev/fd/" + std::to_string(fd);
    char buf[64];
    CHILD_CHECK(readlink(link.c_str(), buf, sizeof(buf)) == 9);
    CHILD_CHECK(readlink(dev.c_str(), buf, sizeof(buf)) == 9);
    struct stat st;
    CHILD_CHECK(lstat(link.c_str(), &st) == 0 && S_ISLNK(st.st_mode));
    CHILD_CHECK(access(dev.c_str(), F_OK) == 0);
    errno = 0;
    CHILD_CHECK(mkdir(link.c_str(), 0755) == -1 && errno == EEXIST);
    errno = 0;
    CHILD_CHECK(mkdir(dev.c_str(), 0755) == -1 && errno == EEXIST);
    errno = 0;
    CHILD_CHECK(unlink(link.c_str()) == -1 && errno == EPERM);
    errno = 0;
    CHILD_CHECK(mkdir("/proc/self/fd/987", 0755) == -1 && errno == ENOENT);
    close(fd);
    return 0;
  }));
}

TEST_F(Sys, OwnProcEntriesByPidTakeResolveFlagsAsAnyPath) {
  // /proc/<own pid>/maps holds no symlink: openat2's RESOLVE_NO_SYMLINKS does not refuse it (it
  // does /proc/self/maps).
  std::string own = "/proc/" + std::to_string(getpid()) + "/maps";
  open_how how{.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
  int fd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, own.c_str(), &how, sizeof(how)));
  EXPECT_GE(fd, 0) << strerror(errno);
  if (fd >= 0) close(fd);
  fd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, "/proc/self/maps", &how, sizeof(how)));
  EXPECT_EQ(Err(fd), ELOOP);
  if (fd >= 0) close(fd);
}

TEST_F(Sys, TheOwnFdDirectoryLeadsBackToTheRoot) {
  // /proc/self/fd is a directory of the caller's own procfs: ".." from it climbs to the caller's
  // root, never beyond (a directory of another procfs, the sentry's, led to the host's root).
  int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(d, 0) << strerror(errno);
  struct stat up {}, root {};
  // AT_EMPTY_PATH: a call the kernel runs itself, from the directory given.
  ASSERT_EQ(fstatat(d, "../../..", &up, AT_EMPTY_PATH), 0) << strerror(errno);
  ASSERT_EQ(stat("/", &root), 0);
  EXPECT_EQ(up.st_dev, root.st_dev);
  EXPECT_EQ(up.st_ino, root.st_ino);
  // Its entries resolve from it.
  struct stat st {};
  EXPECT_EQ(fstatat(d, "0", &st, 0), 0) << strerror(errno);
  // open(2) with O_PATH ignores the flags O_PATH does not take (openat2 would refuse them).
  int p = open("/proc/self/maps", O_PATH | O_NONBLOCK | O_RDWR | O_CLOEXEC);
  EXPECT_GE(p, 0) << strerror(errno);
  if (p >= 0) close(p);
  p = open(dir_.c_str(), O_PATH | O_NONBLOCK | O_CLOEXEC);
  EXPECT_GE(p, 0) << strerror(errno);
  if (p >= 0) close(p);
  // /proc/<pid>/task/<tid>/fd is five levels below the root, /proc/<pid>/fdinfo three.
  for (auto [dir, up_path] : {std::pair{"/proc/thread-self/fd", "../../../../.."},
                              std::pair{"/proc/self/fdinfo", "../../.."}}) {
    int t = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(t, 0) << dir << ": " << strerror(errno);
    ASSERT_EQ(fstatat(t, up_path, &up, AT_EMPTY_PATH), 0) << strerror(errno);
    EXPECT_EQ(up.st_dev, root.st_dev) << dir;
    EXPECT_EQ(up.st_ino, root.st_ino) << dir;
    close(t);
  }
  close(d);
}

TEST_F(Sys, ReopenProcSelfFdWiderAccess) {
  // Linux checks the inode's permissions again: an O_RDONLY fd of a writable file re-opens O_RDWR.
  WriteFile(P("f"), "x");
  int fd = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  int w = open(self.c_str(), O_RDWR | O_CLOEXEC);
  EXPECT_GE(w, 0) << strerror(errno);
  if (w >= 0) close(w);
  close(fd);
}

TEST_F(Sys, ProcSelfIsCaller) {
  char buf[PATH_MAX] = {};
  ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(atoi(buf), getpid());
  std::string status = ReadFile("/proc/self/status");
  EXPECT_NE(status.find("Pid:\t" + std::to_string(getpid()) + "\n"), std::string::npos);
  // From a thread: /proc/thread-self is the thread.
  pid_t tid = 0;
  std::string tstatus;
  std::thread([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    tstatus = ReadFile("/proc/thread-self/status");
  }).join();
  EXPECT_NE(tstatus.find("Pid:\t" + std::to_string(tid) + "\n"), std::string::npos) << tstatus.substr(0, 200);
  // /proc/self/exe names this binary, cwd the cwd.
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  memset(buf, 0, sizeof(buf));
  ASSERT_GT(readlink("/proc/self/cwd", buf, sizeof(buf) - 1), 0);
  EXPECT_EQ(std::string(buf), dir_);
  // In a forked child /proc/self is the child.
  EXPECT_CHILD_OK(InChild([] {
              char b2[64] = {};
              if (readlink("/proc/self", b2, sizeof(b2) - 1) <= 0) return 1;
              return atoi(b2) == getpid() ? 0 : 2;
            }));
}

TEST_F(Sys, ProcListsTheProcesses) {
  // ps, top, pgrep and psutil list /proc and read the pid directories they find.
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[1]);
    char c;
    (void)!read(ready[0], &c, 1);  // until the parent closes its end
    _exit(0);
  }
  close(ready[0]);
  auto listed = [] {
    std::vector<pid_t> pids;
    DIR* d = opendir("/proc");
    if (d == nullptr) return std::make_pair(errno, pids);
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] >= '1' && e->d_name[0] <= '9') pids.push_back(atoi(e->d_name));
    }
    closedir(d);
    return std::make_pair(0, pids);
  };
  auto [err, pids] = listed();
  close(ready[1]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(err, 0) << strerror(err);
  EXPECT_NE(std::find(pids.begin(), pids.end(), getpid()), pids.end());
  EXPECT_NE(std::find(pids.begin(), pids.end(), child), pids.end());
  // The same directory through "/proc/" and from a dirfd of the root.
  int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(root, 0);
  int proc = openat(root, "proc/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_GE(proc, 0) << strerror(errno);
  struct stat a {}, b {};
  EXPECT_EQ(fstat(proc, &a), 0);
  EXPECT_EQ(stat("/proc", &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  if (proc >= 0) close(proc);
  close(root);
  std::string stat_line = ReadFile("/proc/" + std::to_string(getpid()) + "/stat");
  EXPECT_EQ(atoi(stat_line.c_str()), getpid()) << stat_line.substr(0, 80);
}

TEST_F(Sys, StatFollowsOwnNamespaceLinks) {
  // stat() follows /proc/<pid>/ns/<type> to the namespace (nsfs) inode that readlink names
  // ("net:[4026531840]"); lsns, ip netns identify and `stat -L` compare namespaces this way.
  std::string pid = "/proc/" + std::to_string(getpid());
  for (const std::string& base : {std::string("/proc/self"), pid, std::string("/proc/thread-self")}) {
    for (const char* type : {"net", "pid", "mnt", "user", "uts", "ipc", "cgroup"}) {
      std::string link = base + "/ns/" + type;
      SCOPED_TRACE(link);
      char buf[128] = {};
      ssize_t n = readlink(link.c_str(), buf, sizeof(buf) - 1);
      ASSERT_GT(n, 0) << strerror(errno);
      std::string text(buf, static_cast<size_t>(n));
      std::string prefix = std::string(type) + ":[";
      ASSERT_EQ(text.rfind(prefix, 0), 0u) << text;
      unsigned long ino = strtoul(text.c_str() + prefix.size(), nullptr, 10);
      struct stat st {};
      ASSERT_EQ(stat(link.c_str(), &st), 0) << strerror(errno);
      EXPECT_EQ(st.st_ino, ino);
      ASSERT_EQ(lstat(link.c_str(), &st), 0) << strerror(errno);
      EXPECT_TRUE(S_ISLNK(st.st_mode));
      int fd = open(link.c_str(), O_RDONLY | O_CLOEXEC);
      ASSERT_GE(fd, 0) << strerror(errno);
      ASSERT_EQ(fstat(fd, &st), 0);
      EXPECT_EQ(st.st_ino, ino);
      close(fd);
      EXPECT_EQ(Err(stat((link + "/x").c_str(), &st)), ENOTDIR);
    }
  }
}

TEST_F(Sys, StatFollowsAnotherProcessesLinks) {
  // lsns, lsfd, lsof and `stat -L` follow /proc/<pid>/{exe,cwd,root,ns/*,fd/N} of other processes
  // (a process may when it passes the ptrace-read check: here, a child of the same user).
  WriteFile(P("f"), "held");
  int held = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  int ready[2], moved[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(moved, O_CLOEXEC), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[1]);
    if (chdir(dir_.c_str()) != 0) _exit(1);
    close(moved[1]);
    char c;
    (void)!read(ready[0], &c, 1);  // until the parent closes its end
    _exit(0);
  }
  close(ready[0]);
  close(moved[1]);
  char c;
  ASSERT_EQ(read(moved[0], &c, 1), 0);  // the child is in dir_
  close(moved[0]);
  std::string p = "/proc/" + std::to_string(child);
  struct stat st {}, want {};
  std::string results;
  auto check = [&](const std::string& path, const struct stat& expect) {
    int rc = stat(path.c_str(), &st);
    results += path.substr(p.size()) + "=" +
               (rc != 0 ? strerror(errno) : st.st_ino == expect.st_ino && st.st_dev == expect.st_dev ? "same" : "other") +
               " ";
  };
  ASSERT_EQ(stat("/proc/self/exe", &want), 0);
  check(p + "/exe", want);
  ASSERT_EQ(stat(dir_.c_str(), &want), 0);
  check(p + "/cwd", want);
  check(p + "/task/" + std::to_string(child) + "/cwd", want);
  ASSERT_EQ(stat("/", &want), 0);
  check(p + "/root", want);
  ASSERT_EQ(stat("/proc/self/ns/net", &want), 0);
  check(p + "/ns/net", want);
  ASSERT_EQ(fstat(held, &want), 0);
  check(p + "/fd/" + std::to_string(held), want);
  check(p + "/cwd/f", want);
  std::string through = ReadFile(p + "/cwd/f");
  close(ready[1]);
  int status = 0;
  waitpid(child, &status, 0);
  close(held);
  EXPECT_EQ(results, "/exe=same /cwd=same /task/" + std::to_string(child) +
                         "/cwd=same /root=same /ns/net=same /fd/" + std::to_string(held) + "=same /cwd/f=same ");
  EXPECT_EQ(through, "held");
  // Gone: ENOENT, as natively.
  EXPECT_EQ(Err(stat((p + "/cwd").c_str(), &st)), ENOENT);
}

TEST_F(Sys, AChrootLeavesTheCwdAndHeldDirectoriesWalkable) {
  // chroot without the chdir("/") that usually follows leaves the cwd outside the new root, and a
  // directory opened before it stays held: Linux walks from both as they are, ".." included, with
  // absolute symlinks leading to the new root. (The same walk serves /proc/<pid>/root/... of another
  // container in a shared pid namespace: kubectl debug --target.)
  ASSERT_EQ(mkdir(P("jail").c_str(), 0755), 0);
  WriteFile(P("jail/inner"), "inner");
  WriteFile(P("outer"), "outer");
  ASSERT_EQ(symlink("/inner", P("abs").c_str()), 0);
  ASSERT_EQ(symlink("outer", P("rel").c_str()), 0);
  ASSERT_EQ(symlink("jail/../outer", P("rel2").c_str()), 0);
  const std::string base = dir_.substr(dir_.rfind('/') + 1);
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  std::string child = InChild([&] {
    close(out[0]);
    int held = open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHILD_CHECK(held >= 0);
    CHILD_CHECK(chdir(dir_.c_str()) == 0);
    if (chroot("jail") != 0) return errno == EPERM ? 253 : 1;
    std::string r = ReadFile("outer") + " " + ReadFile("rel") + " " + ReadFile("abs") + " " +
                    ReadFile("/inner") + " " + ReadFile("jail/inner") + " " + ReadFile("../" + base + "/outer");
    int fd = openat(held, "rel", O_RDONLY | O_CLOEXEC);
    r += " " + (fd < 0 ? "<" + std::string(strerror(errno)) + ">" : ReadFd(fd));
    r += mkdirat(held, "made", 0755) == 0 ? " made" : " mkdirat " + std::string(strerror(errno));
    r += unlinkat(AT_FDCWD, "rel", 0) == 0 ? " unlinked" : " unlink " + std::string(strerror(errno));
    struct stat st {};
    r += stat("outer/", &st) == 0 ? " dir?" : " " + std::string(strerror(errno));
    r += stat("nope", &st) == 0 ? " found?" : " " + std::string(strerror(errno));
    // openat2 confined to the held directory: RESOLVE_BENEATH keeps below it, RESOLVE_IN_ROOT
    // makes it the root (absolute links and paths start there).
    auto scoped = [held](const char* path, uint64_t resolve) {
      long fd = Openat2(held, path, O_RDONLY | O_CLOEXEC, resolve);
      return fd < 0 ? std::string(strerror(errno)) : ReadFd(static_cast<int>(fd));
    };
    r += " [" + scoped("rel2", RESOLVE_BENEATH) + "|" + scoped("abs", RESOLVE_BENEATH) + "|" +
         scoped("../x", RESOLVE_BENEATH) + "|" + scoped("abs", RESOLVE_IN_ROOT) + "|" +
         scoped("/jail/inner", RESOLVE_IN_ROOT) + "|" + scoped("../../outer", RESOLVE_IN_ROOT) + "]";
    CHILD_CHECK(write(out[1], r.data(), r.size()) == static_cast<ssize_t>(r.size()));
    return 0;
  });
  close(out[1]);
  std::string got = ReadFd(out[0]);
  close(out[0]);
  if (child == "skip") GTEST_SKIP() << "chroot refused (no CAP_SYS_CHROOT)";
  EXPECT_EQ(child, "ok");
  EXPECT_EQ(got, "outer outer inner inner inner outer outer made unlinked Not a directory "
                 "No such file or directory [outer|Invalid cross-device link|Invalid cross-device "
                 "link|No such file or directory|inner|outer]");
  EXPECT_EQ(access(P("made").c_str(), F_OK), 0);
  EXPECT_NE(access(P("rel").c_str(), F_OK), 0);
}

// ------------------------------------------------------------------ stat / statx / access / readlink

TEST_F(Sys, StatFamily) {
  WriteFile(P("f"), "12345678");
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  struct stat st, lst, fst;
  ASSERT_EQ(stat(P("l").c_str(), &st), 0);
  ASSERT_EQ(lstat(P("l").c_str(), &lst), 0);
  int fd = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_EQ(fstat(fd, &fst), 0);
  close(fd);
  EXPECT_EQ(st.st_ino, fst.st_ino);
  EXPECT_EQ(st.st_size, 8);
  EXPECT_TRUE(S_ISLNK(lst.st_mode));
  EXPECT_EQ(lst.st_size, 1);
  EXPECT_NE(lst.st_ino, st.st_ino);
  ASSERT_EQ(fstatat(dfd_, "l", &lst, AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_TRUE(S_ISLNK(lst.st_mode));
  struct statx sx;
  ASSERT_EQ(statx(AT_FDCWD, P("l").c_str(), 0, STATX_ALL, &sx), 0);
  EXPECT_EQ(sx.stx_ino, st.st_ino);
  EXPECT_EQ(sx.stx_size, 8u);
  EXPECT_TRUE(sx.stx_mask & STATX_INO);
  ASSERT_EQ(statx(dfd_, "l", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx), 0);
  EXPECT_TRUE(S_ISLNK(sx.stx_mode));
  EXPECT_EQ(Err(statx(AT_FDCWD, P("f").c_str(), 0, 0x80000000u, &sx)), EINVAL);
  EXPECT_EQ(Err(statx(AT_FDCWD, P("f").c_str(), AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx)), EINVAL);
  EXPECT_EQ(Err(statx(AT_FDCWD, P("nope").c_str(), 0, STATX_BASIC_STATS, &sx)), ENOENT);
  EXPECT_EQ(Err(syscall(SYS_stat, P("f").c_str(), nullptr)), EFAULT);
  // Directories: nlink counts subdirectories.
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(P("d/s").c_str(), 0755), 0);
  ASSERT_EQ(stat(P("d").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 3u);
}

TEST_F(Sys, AccessFamily) {
  WriteFile(P("f"), "x", 0640);
  WriteFile(P("x"), "#!/bin/sh\n", 0755);
  EXPECT_EQ(access(P("f").c_str(), R_OK | W_OK), 0);
  EXPECT_EQ(access(P("x").c_str(), X_OK), 0);
  // Root: X_OK needs at least one x bit.
  EXPECT_EQ(Err(access(P("f").c_str(), X_OK)), EACCES);
  EXPECT_EQ(Err(access(P("missing").c_str(), F_OK)), ENOENT);
  EXPECT_EQ(Err(access(P("f").c_str(), 0x40)), EINVAL);
  EXPECT_EQ(faccessat(dfd_, "f", R_OK, AT_EACCESS), 0);
  EXPECT_EQ(Err(syscall(SYS_faccessat2, dfd_, "f", R_OK, 0x4000)), EINVAL);
  ASSERT_EQ(symlink("missing", P("dangling").c_str()), 0);
  EXPECT_EQ(Err(access(P("dangling").c_str(), F_OK)), ENOENT);
  EXPECT_EQ(syscall(SYS_faccessat2, dfd_, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              CHILD_CHECK(access(P("f").c_str(), R_OK) == -1 && errno == EACCES);
              CHILD_CHECK(access(P("x").c_str(), R_OK | X_OK) == 0);
              CHILD_CHECK(access(P("x").c_str(), W_OK) == -1 && errno == EACCES);
              CHILD_CHECK(access(P("f").c_str(), F_OK) == 0);
              return 0;
            }));
  // access() uses the real uid: a process with euid nobody but ruid root is granted.
  EXPECT_CHILD_OK(InChild([&] {
              if (setresuid(0, kNobody, 0) != 0) return 200;
              CHILD_CHECK(access(P("f").c_str(), W_OK) == 0);
              CHILD_CHECK(faccessat(AT_FDCWD, P("f").c_str(), W_OK, AT_EACCESS) == -1 && errno == EACCES);
              return 0;
            }));
}

TEST_F(Sys, Readlink) {
  ASSERT_EQ(symlink("some/target/path", P("l").c_str()), 0);
  char buf[64];
  memset(buf, 'Z', sizeof(buf));
  ASSERT_EQ(readlink(P("l").c_str(), buf, sizeof(buf)), 16);
  EXPECT_EQ(std::string(buf, 16), "some/target/path");
  EXPECT_EQ(buf[16], 'Z');  // no NUL added
  // Truncated to the buffer.
  memset(buf, 'Z', sizeof(buf));
  ASSERT_EQ(readlink(P("l").c_str(), buf, 4), 4);
  EXPECT_EQ(std::string(buf, 5), "someZ");
  WriteFile(P("f"), "x");
  EXPECT_EQ(Err(readlink(P("f").c_str(), buf, sizeof(buf))), EINVAL);
  EXPECT_EQ(Err(readlink(P("missing").c_str(), buf, sizeof(buf))), ENOENT);
  EXPECT_EQ(Err(readlink(P("l").c_str(), buf, 0)), EINVAL);
  EXPECT_EQ(readlinkat(dfd_, "l", buf, sizeof(buf)), 16);
  // A symlink through a symlinked directory.
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  ASSERT_EQ(symlink("d", P("ld").c_str()), 0);
  ASSERT_EQ(symlink("tgt", P("d/inner").c_str()), 0);
  EXPECT_EQ(readlink(P("ld/inner").c_str(), buf, sizeof(buf)), 3);
  // Magic links render paths as the process sees them.
  int fd = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  char m[PATH_MAX] = {};
  ASSERT_GT(readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), m, sizeof(m) - 1), 0);
  EXPECT_EQ(std::string(m), P("f"));
  close(fd);
  memset(m, 0, sizeof(m));
  ASSERT_GT(readlink("/proc/self/root", m, sizeof(m) - 1), 0);
  EXPECT_EQ(std::string(m), "/");
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  memset(m, 0, sizeof(m));
  ASSERT_GT(readlink(("/proc/self/fd/" + std::to_string(p[0])).c_str(), m, sizeof(m) - 1), 0);
  EXPECT_EQ(std::string(m).rfind("pipe:[", 0), 0u) << m;
  close(p[0]);
  close(p[1]);
}

// ------------------------------------------------------------------ mkdir / rename / link / unlink

TEST_F(Sys, MkdirRmdir) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  EXPECT_EQ(Err(mkdir(P("d").c_str(), 0755)), EEXIST);
  EXPECT_EQ(Err(mkdir(P("x/y").c_str(), 0755)), ENOENT);
  EXPECT_EQ(mkdir(P("t/").c_str(), 0755), 0);
  EXPECT_EQ(Err(mkdir(P("d/.").c_str(), 0755)), EEXIST);
  EXPECT_EQ(Err(mkdir(P("d/..").c_str(), 0755)), EEXIST);
  EXPECT_EQ(Err(mkdir("/", 0755)), EEXIST);
  WriteFile(P("d/f"), "x");
  EXPECT_EQ(Err(rmdir(P("d").c_str())), ENOTEMPTY);
  EXPECT_EQ(Err(rmdir(P("d/f").c_str())), ENOTDIR);
  EXPECT_EQ(Err(rmdir(P("d/.").c_str())), EINVAL);
  EXPECT_EQ(Err(rmdir(P("d/..").c_str())), ENOTEMPTY);
  EXPECT_EQ(Err(rmdir(P("missing").c_str())), ENOENT);
  EXPECT_EQ(rmdir(P("t/").c_str()), 0);
  // Setgid directories pass their group and the bit on.
  ASSERT_EQ(mkdir(P("sg").c_str(), 0755), 0);
  ASSERT_EQ(chown(P("sg").c_str(), 0, 4242), 0);
  ASSERT_EQ(chmod(P("sg").c_str(), 02775), 0);
  ASSERT_EQ(mkdir(P("sg/child").c_str(), 0755), 0);
  struct stat st;
  ASSERT_EQ(stat(P("sg/child").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 4242u);
  EXPECT_TRUE(st.st_mode & S_ISGID);
  WriteFile(P("sg/file"), "x");
  ASSERT_EQ(stat(P("sg/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 4242u);
  // Sticky bit in a directory (umask applied, bit kept).
  ASSERT_EQ(mkdir(P("sticky").c_str(), 01777), 0);
  ASSERT_EQ(stat(P("sticky").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01755u);
}

TEST_F(Sys, Rename) {
  WriteFile(P("a"), "A");
  WriteFile(P("b"), "B");
  ASSERT_EQ(rename(P("a").c_str(), P("b").c_str()), 0);
  EXPECT_EQ(ReadFile(P("b")), "A");
  EXPECT_EQ(Err(rename(P("a").c_str(), P("c").c_str())), ENOENT);
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(P("e").c_str(), 0755), 0);
  WriteFile(P("e/x"), "x");
  EXPECT_EQ(Err(rename(P("b").c_str(), P("d").c_str())), EISDIR);
  EXPECT_EQ(Err(rename(P("d").c_str(), P("b").c_str())), ENOTDIR);
  EXPECT_EQ(Err(rename(P("d").c_str(), P("e").c_str())), ENOTEMPTY);
  EXPECT_EQ(Err(rename(P("d").c_str(), P("d/sub").c_str())), EINVAL);
  EXPECT_EQ(rename(P("e").c_str(), P("d").c_str()), 0);  // over an empty directory
  EXPECT_EQ(Err(rename(P("d/.").c_str(), P("z").c_str())), EBUSY);
  EXPECT_EQ(Err(rename(P("b/").c_str(), P("z").c_str())), ENOTDIR);
  EXPECT_EQ(rename(P("d/").c_str(), P("dd/").c_str()), 0);
  EXPECT_EQ(rename(P("b").c_str(), P("b").c_str()), 0);
  // renameat with dirfds.
  int dd = open(P("dd").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  EXPECT_EQ(renameat(dd, "x", dfd_, "moved"), 0);
  EXPECT_EQ(ReadFile(P("moved")), "x");
  close(dd);
  // A symlink is renamed, not its target.
  ASSERT_EQ(symlink("moved", P("l").c_str()), 0);
  ASSERT_EQ(rename(P("l").c_str(), P("l2").c_str()), 0);
  struct stat st;
  EXPECT_EQ(lstat(P("l2").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(ReadFile(P("moved")), "x");
}

TEST_F(Sys, Renameat2Flags) {
  WriteFile(P("a"), "A");
  WriteFile(P("b"), "B");
  EXPECT_EQ(Err(syscall(SYS_renameat2, dfd_, "a", dfd_, "b", RENAME_NOREPLACE)), EEXIST);
  EXPECT_EQ(syscall(SYS_renameat2, dfd_, "a", dfd_, "c", RENAME_NOREPLACE), 0);
  EXPECT_EQ(syscall(SYS_renameat2, dfd_, "c", dfd_, "b", RENAME_EXCHANGE), 0);
  EXPECT_EQ(ReadFile(P("b")), "A");
  EXPECT_EQ(ReadFile(P("c")), "B");
  EXPECT_EQ(Err(syscall(SYS_renameat2, dfd_, "c", dfd_, "none", RENAME_EXCHANGE)), ENOENT);
  EXPECT_EQ(Err(syscall(SYS_renameat2, dfd_, "b", dfd_, "c", RENAME_EXCHANGE | RENAME_NOREPLACE)),
            EINVAL);
  EXPECT_EQ(Err(syscall(SYS_renameat2, dfd_, "b", dfd_, "c", 1u << 10)), EINVAL);
  // Exchange a file and a directory.
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  EXPECT_EQ(syscall(SYS_renameat2, dfd_, "b", dfd_, "d", RENAME_EXCHANGE), 0);
  struct stat st;
  ASSERT_EQ(stat(P("b").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(Sys, LinkUnlink) {
  WriteFile(P("f"), "x");
  ASSERT_EQ(link(P("f").c_str(), P("g").c_str()), 0);
  struct stat st;
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(Err(link(P("f").c_str(), P("g").c_str())), EEXIST);
  EXPECT_EQ(Err(link(P("missing").c_str(), P("h").c_str())), ENOENT);
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  EXPECT_EQ(Err(link(P("d").c_str(), P("dl").c_str())), EPERM);
  // link() does not follow a symlink (links the link); linkat AT_SYMLINK_FOLLOW does.
  ASSERT_EQ(symlink("f", P("s").c_str()), 0);
  ASSERT_EQ(link(P("s").c_str(), P("s2").c_str()), 0);
  ASSERT_EQ(lstat(P("s2").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(linkat(dfd_, "s", dfd_, "s3", AT_SYMLINK_FOLLOW), 0);
  ASSERT_EQ(lstat(P("s3").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(Err(linkat(dfd_, "f", dfd_, "x", 0x1)), EINVAL);
  ASSERT_EQ(unlink(P("g").c_str()), 0);
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);  // f, s3
  EXPECT_EQ(Err(unlink(P("g").c_str())), ENOENT);
  EXPECT_EQ(Err(unlink(P("d").c_str())), EISDIR);
  EXPECT_EQ(Err(unlink(P("f/").c_str())), ENOTDIR);
  EXPECT_EQ(unlinkat(dfd_, "d", AT_REMOVEDIR), 0);
  EXPECT_EQ(Err(unlinkat(dfd_, "f", 0x1)), EINVAL);
  // Unlinking a symlink leaves the target.
  ASSERT_EQ(unlink(P("s").c_str()), 0);
  EXPECT_EQ(ReadFile(P("f")), "x");
}

TEST_F(Sys, Symlink) {
  ASSERT_EQ(symlink("any thing", P("l").c_str()), 0);
  EXPECT_EQ(Err(symlink("x", P("l").c_str())), EEXIST);
  EXPECT_EQ(Err(symlink("", P("e").c_str())), ENOENT);
  EXPECT_EQ(Err(symlink("x", P("missing/l").c_str())), ENOENT);
  EXPECT_EQ(symlinkat("tgt", dfd_, "l2"), 0);
  struct stat st;
  ASSERT_EQ(lstat(P("l2").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 3);
}

// ------------------------------------------------------------------ chmod / chown / utimes / truncate

TEST_F(Sys, Chmod) {
  WriteFile(P("f"), "x");
  ASSERT_EQ(chmod(P("f").c_str(), 04751), 0);
  struct stat st;
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04751u);
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  ASSERT_EQ(chmod(P("l").c_str(), 0600), 0);  // follows
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(Err(fchmodat(dfd_, "l", 0644, AT_SYMLINK_NOFOLLOW)), EOPNOTSUPP);
  EXPECT_EQ(Err(chmod(P("missing").c_str(), 0644)), ENOENT);
  EXPECT_EQ(Err(fchmodat(dfd_, "f", 0644, 0x4000)), EINVAL);
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              CHILD_CHECK(chmod(P("f").c_str(), 0777) == -1 && errno == EPERM);
              return 0;
            }));
}

TEST_F(Sys, Chown) {
  WriteFile(P("f"), "x");
  ASSERT_EQ(chown(P("f").c_str(), 1000, 1001), 0);
  struct stat st;
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  ASSERT_EQ(chown(P("f").c_str(), -1, 1002), 0);
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1002u);
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  ASSERT_EQ(lchown(P("l").c_str(), 7, 7), 0);
  ASSERT_EQ(lstat(P("l").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 7u);
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  ASSERT_EQ(fchownat(dfd_, "l", 8, 8, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_EQ(lstat(P("l").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 8u);
  // chown clears setuid.
  ASSERT_EQ(chmod(P("f").c_str(), 04755), 0);
  ASSERT_EQ(chown(P("f").c_str(), 1000, 1000), 0);
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              CHILD_CHECK(chown(P("f").c_str(), kNobody, kNobody) == -1 && errno == EPERM);
              return 0;
            }));
}

TEST_F(Sys, Utimes) {
  WriteFile(P("f"), "x");
  timespec ts[2] = {{100, 5}, {200, 7}};
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), ts, 0), 0);
  struct stat st;
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_atim.tv_sec, 100);
  EXPECT_EQ(st.st_atim.tv_nsec, 5);
  EXPECT_EQ(st.st_mtim.tv_sec, 200);
  timespec omit[2] = {{0, UTIME_OMIT}, {300, 0}};
  ASSERT_EQ(utimensat(dfd_, "f", omit, 0), 0);
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_atim.tv_sec, 100);
  EXPECT_EQ(st.st_mtim.tv_sec, 300);
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  ASSERT_EQ(utimensat(dfd_, "l", ts, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_EQ(lstat(P("l").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 200);
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 300);
  timespec bad[2] = {{0, 2000000000}, {0, 0}};
  EXPECT_EQ(Err(utimensat(dfd_, "f", bad, 0)), EINVAL);
  EXPECT_EQ(Err(utimensat(dfd_, "missing", ts, 0)), ENOENT);
  // Now (NULL times).
  time_t before = time(nullptr);
  ASSERT_EQ(utimes(P("f").c_str(), nullptr), 0);
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_GE(st.st_mtim.tv_sec, before);
  timeval tv[2] = {{10, 1}, {20, 2}};
  ASSERT_EQ(utimes(P("f").c_str(), tv), 0);
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_nsec, 2000);
  timeval badtv[2] = {{10, 1000000}, {20, 2}};
  EXPECT_EQ(Err(utimes(P("f").c_str(), badtv)), EINVAL);
  // Non-owner: explicit times EPERM, "now" needs write access.
  ASSERT_EQ(chmod(P("f").c_str(), 0644), 0);
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              timespec t2[2] = {{1, 0}, {1, 0}};
              CHILD_CHECK(utimensat(AT_FDCWD, P("f").c_str(), t2, 0) == -1 && errno == EPERM);
              CHILD_CHECK(utimensat(AT_FDCWD, P("f").c_str(), nullptr, 0) == -1 && errno == EACCES);
              return 0;
            }));
}

TEST_F(Sys, Truncate) {
  WriteFile(P("f"), "0123456789");
  ASSERT_EQ(truncate(P("f").c_str(), 4), 0);
  EXPECT_EQ(ReadFile(P("f")), "0123");
  ASSERT_EQ(truncate(P("f").c_str(), 6), 0);
  EXPECT_EQ(ReadFile(P("f")), std::string("0123\0\0", 6));
  EXPECT_EQ(Err(truncate(P("f").c_str(), -1)), EINVAL);
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  EXPECT_EQ(Err(truncate(P("d").c_str(), 0)), EISDIR);
  EXPECT_EQ(Err(truncate(P("missing").c_str(), 0)), ENOENT);
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  ASSERT_EQ(truncate(P("l").c_str(), 1), 0);
  EXPECT_EQ(ReadFile(P("f")), "0");
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              CHILD_CHECK(truncate(P("f").c_str(), 0) == -1 && errno == EACCES);
              return 0;
            }));
}

// ------------------------------------------------------------------ xattrs

TEST_F(Sys, Xattrs) {
  WriteFile(P("f"), "x");
  if (setxattr(P("f").c_str(), "user.probe", "1", 1, 0) != 0 && errno == EOPNOTSUPP) {
    GTEST_SKIP() << "no user xattrs on this file system";
  }
  ASSERT_EQ(setxattr(P("f").c_str(), "user.k", "value", 5, 0), 0);
  char buf[64] = {};
  EXPECT_EQ(getxattr(P("f").c_str(), "user.k", buf, sizeof(buf)), 5);
  EXPECT_STREQ(buf, "value");
  EXPECT_EQ(getxattr(P("f").c_str(), "user.k", nullptr, 0), 5);
  EXPECT_EQ(Err(getxattr(P("f").c_str(), "user.k", buf, 2)), ERANGE);
  EXPECT_EQ(Err(getxattr(P("f").c_str(), "user.none", buf, sizeof(buf))), ENODATA);
  EXPECT_EQ(Err(setxattr(P("f").c_str(), "user.k", "v", 1, XATTR_CREATE)), EEXIST);
  EXPECT_EQ(Err(setxattr(P("f").c_str(), "user.new", "v", 1, XATTR_REPLACE)), ENODATA);
  EXPECT_EQ(Err(setxattr(P("f").c_str(), "bogus.k", "v", 1, 0)), EOPNOTSUPP);
  EXPECT_EQ(Err(setxattr(P("f").c_str(), "", "v", 1, 0)), ERANGE);
  EXPECT_EQ(Err(setxattr(P("f").c_str(), std::string(300, 'a').insert(0, "user.").c_str(), "v", 1, 0)),
            ERANGE);
  ssize_t n = listxattr(P("f").c_str(), buf, sizeof(buf));
  ASSERT_GT(n, 0);
  std::string list(buf, static_cast<size_t>(n));
  EXPECT_NE(list.find("user.k"), std::string::npos);
  EXPECT_EQ(listxattr(P("f").c_str(), nullptr, 0), n);
  ASSERT_EQ(removexattr(P("f").c_str(), "user.k"), 0);
  EXPECT_EQ(Err(removexattr(P("f").c_str(), "user.k")), ENODATA);
  // l* calls on a symlink: user xattrs are not allowed on symlinks.
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  EXPECT_EQ(Err(lsetxattr(P("l").c_str(), "user.k", "v", 1, 0)), EPERM);
  ASSERT_EQ(setxattr(P("l").c_str(), "user.via", "v", 1, 0), 0);  // follows
  EXPECT_EQ(getxattr(P("f").c_str(), "user.via", buf, sizeof(buf)), 1);
  EXPECT_EQ(Err(lgetxattr(P("l").c_str(), "user.via", buf, sizeof(buf))), ENODATA);
  // f* on an fd are native but must agree.
  int fd = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(fgetxattr(fd, "user.via", buf, sizeof(buf)), 1);
  close(fd);
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              char b[8];
              CHILD_CHECK(setxattr(P("f").c_str(), "user.n", "v", 1, 0) == -1 && errno == EACCES);
              CHILD_CHECK(getxattr(P("f").c_str(), "user.via", b, sizeof(b)) == 1);
              return 0;
            }));
}

// ------------------------------------------------------------------ PATH_MAX, NAME_MAX

TEST_F(Sys, PathMax) {
  std::string name(NAME_MAX, 'n');
  int fd = open(P(name).c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << strerror(errno);
  close(fd);
  EXPECT_EQ(Err(open(P(name + "x").c_str(), O_CREAT | O_RDWR, 0600)), ENAMETOOLONG);
  EXPECT_EQ(Err(mkdir(P(name + "x").c_str(), 0755)), ENAMETOOLONG);
  struct stat st;
  EXPECT_EQ(Err(stat(P(name + "x").c_str(), &st)), ENAMETOOLONG);
  // A path of PATH_MAX bytes (no room for the NUL): ENAMETOOLONG; PATH_MAX - 1 is fine.
  std::string longp = "/";
  while (longp.size() < PATH_MAX) longp += "./";
  longp.resize(PATH_MAX);
  EXPECT_EQ(Err(stat(longp.c_str(), &st)), ENAMETOOLONG);
  std::string ok = "/";
  while (ok.size() < PATH_MAX - 2) ok += "./";
  ok.resize(PATH_MAX - 1);
  if (ok.back() != '/' && ok.back() != '.') ok.back() = '/';
  EXPECT_EQ(stat(ok.c_str(), &st), 0) << strerror(errno);
  // Deep trees: each relative step short, the absolute path longer than PATH_MAX.
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  std::string comp(200, 'd');
  int depth = 0;
  for (; depth < 25; ++depth) {
    ASSERT_EQ(mkdir(comp.c_str(), 0755), 0) << depth << strerror(errno);
    ASSERT_EQ(chdir(comp.c_str()), 0) << depth << strerror(errno);
  }
  // The absolute path is > PATH_MAX; relative operations still work.
  fd = open("leaf", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  EXPECT_GE(fd, 0) << strerror(errno);
  close(fd);
  EXPECT_EQ(stat("leaf", &st), 0);
  EXPECT_EQ(stat(("../" + comp + "/leaf").c_str(), &st), 0);
  char buf[PATH_MAX];
  // The kernel says ENAMETOOLONG; glibc then walks ".." itself and reports ERANGE.
  EXPECT_EQ(getcwd(buf, sizeof(buf)), nullptr);
  EXPECT_TRUE(errno == ERANGE || errno == ENAMETOOLONG) << errno;
  // Cleanup needs relative steps too (nftw would hit ENAMETOOLONG).
  unlink("leaf");
  for (int i = 0; i < depth; ++i) {
    ASSERT_EQ(chdir(".."), 0);
    ASSERT_EQ(rmdir(comp.c_str()), 0) << strerror(errno);
  }
}

// ------------------------------------------------------------------ non-root errors

TEST_F(Sys, NonRootErrnos) {
  ASSERT_EQ(mkdir(P("private").c_str(), 0700), 0);
  WriteFile(P("private/secret"), "s", 0644);
  ASSERT_EQ(mkdir(P("noread").c_str(), 0711), 0);
  WriteFile(P("noread/visible"), "v", 0644);
  WriteFile(P("ro"), "r", 0444);
  WriteFile(P("file"), "f", 0644);
  ASSERT_EQ(mkdir(P("pub").c_str(), 0777), 0);
  ASSERT_EQ(chmod(P("pub").c_str(), 01777), 0);
  WriteFile(P("pub/rootsfile"), "r", 0666);
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              struct stat st;
              CHILD_CHECK(open(P("private/secret").c_str(), O_RDONLY) == -1 && errno == EACCES);
              CHILD_CHECK(stat(P("private/secret").c_str(), &st) == -1 && errno == EACCES);
              CHILD_CHECK(stat(P("private/missing").c_str(), &st) == -1 && errno == EACCES);
              CHILD_CHECK(open(P("private").c_str(), O_RDONLY | O_DIRECTORY) == -1 && errno == EACCES);
              CHILD_CHECK(stat(P("private").c_str(), &st) == 0);
              CHILD_CHECK(chdir(P("private").c_str()) == -1 && errno == EACCES);
              // Search but no read permission.
              CHILD_CHECK(open(P("noread").c_str(), O_RDONLY | O_DIRECTORY) == -1 && errno == EACCES);
              int fd = open(P("noread/visible").c_str(), O_RDONLY);
              CHILD_CHECK(fd >= 0);
              close(fd);
              CHILD_CHECK(chdir(P("noread").c_str()) == 0);
              CHILD_CHECK(open("visible", O_RDONLY) >= 0);
              CHILD_CHECK(open(P("ro").c_str(), O_WRONLY) == -1 && errno == EACCES);
              CHILD_CHECK(open(P("ro").c_str(), O_RDONLY) >= 0);
              CHILD_CHECK(open(P("newfile").c_str(), O_CREAT | O_WRONLY, 0600) == -1 && errno == EACCES);
              CHILD_CHECK(mkdir(P("newdir").c_str(), 0755) == -1 && errno == EACCES);
              CHILD_CHECK(unlink(P("file").c_str()) == -1 && errno == EACCES);
              CHILD_CHECK(rename(P("file").c_str(), P("pub/x").c_str()) == -1 && errno == EACCES);
              CHILD_CHECK(stat(P("file/x").c_str(), &st) == -1 && errno == ENOTDIR);
              CHILD_CHECK(stat(P("missing").c_str(), &st) == -1 && errno == ENOENT);
              CHILD_CHECK(symlink("x", P("sl").c_str()) == -1 && errno == EACCES);
              CHILD_CHECK(link(P("file").c_str(), P("pub/hl").c_str()) == -1 && errno == EPERM);  // protected_hardlinks
              // Sticky directory: may create, may not remove root's file.
              fd = open(P("pub/mine").c_str(), O_CREAT | O_WRONLY, 0600);
              CHILD_CHECK(fd >= 0);
              close(fd);
              CHILD_CHECK(stat(P("pub/mine").c_str(), &st) == 0 && st.st_uid == kNobody);
              CHILD_CHECK(unlink(P("pub/rootsfile").c_str()) == -1 && errno == EPERM);
              CHILD_CHECK(unlink(P("pub/mine").c_str()) == 0);
              CHILD_CHECK(mkdir(P("pub/d").c_str(), 0700) == 0);
              CHILD_CHECK(rmdir(P("pub/d").c_str()) == 0);
              return 0;
            }));
}

TEST_F(Sys, SupplementaryGroups) {
  ASSERT_EQ(mkdir(P("g").c_str(), 0770), 0);
  ASSERT_EQ(chown(P("g").c_str(), 0, 4321), 0);
  WriteFile(P("g/f"), "group", 0640);
  ASSERT_EQ(chown(P("g/f").c_str(), 0, 4321), 0);
  EXPECT_CHILD_OK(InChild([&] {
              gid_t groups[] = {4321};
              if (setgroups(1, groups) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) return 200;
              if (access(dir_.c_str(), X_OK) != 0) return 253;
              CHILD_CHECK(ReadFile(P("g/f")) == "group");
              // Without the group again.
              return 0;
            }));
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              CHILD_CHECK(open(P("g/f").c_str(), O_RDONLY) == -1 && errno == EACCES);
              return 0;
            }));
}

// ------------------------------------------------------------------ FIFOs, unix sockets, inotify

TEST_F(Sys, Fifos) {
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0600), 0);
  EXPECT_EQ(Err(mkfifo(P("fifo").c_str(), 0600)), EEXIST);
  EXPECT_EQ(Err(open(P("fifo").c_str(), O_WRONLY | O_NONBLOCK)), ENXIO);
  int r = open(P("fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(r, 0);
  int w = open(P("fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(w, 0);
  ASSERT_EQ(write(w, "hi", 2), 2);
  char buf[4] = {};
  EXPECT_EQ(read(r, buf, sizeof(buf)), 2);
  close(w);
  close(r);
  // Blocking opens pair up across threads.
  int rfd = -1;
  std::thread reader([&] { rfd = open(P("fifo").c_str(), O_RDONLY | O_CLOEXEC); });
  w = open(P("fifo").c_str(), O_WRONLY | O_CLOEXEC);
  reader.join();
  ASSERT_GE(w, 0);
  ASSERT_GE(rfd, 0);
  ASSERT_EQ(write(w, "xyz", 3), 3);
  close(w);
  EXPECT_EQ(ReadFd(rfd), "xyz");
  close(rfd);
  // O_RDWR never blocks.
  int rw = open(P("fifo").c_str(), O_RDWR | O_CLOEXEC);
  EXPECT_GE(rw, 0);
  close(rw);
  // mknod S_IFIFO too.
  EXPECT_EQ(mknod(P("fifo2").c_str(), S_IFIFO | 0600, 0), 0);
  struct stat st;
  ASSERT_EQ(stat(P("fifo2").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(Sys, FifoBetweenProcesses) {
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0666), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int w = open(P("fifo").c_str(), O_WRONLY);
    if (w < 0) _exit(1);
    _exit(write(w, "child", 5) == 5 ? 0 : 2);
  }
  int r = open(P("fifo").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(r, 0);
  EXPECT_EQ(ReadFd(r), "child");
  close(r);
  int status;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

sockaddr_un UnixAddr(const std::string& path, socklen_t* len) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof(a.sun_path), "%s", path.c_str());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return a;
}

TEST_F(Sys, UnixSocketsBoundToPaths) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  socklen_t len;
  sockaddr_un a = UnixAddr(P("sock"), &len);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
  ASSERT_EQ(listen(s, 4), 0);
  struct stat st;
  ASSERT_EQ(stat(P("sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0755u);  // 0777 & ~umask(022)
  // Second bind to the same path: EADDRINUSE.
  int s2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(Err(bind(s2, reinterpret_cast<sockaddr*>(&a), len)), EADDRINUSE);
  close(s2);
  int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
  int acc = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(acc, 0);
  ASSERT_EQ(write(c, "ping", 4), 4);
  char buf[8] = {};
  EXPECT_EQ(read(acc, buf, sizeof(buf)), 4);
  close(acc);
  close(c);
  // Relative paths after chdir; connect through a symlink.
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  int r = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un ra = UnixAddr("rel.sock", &len);
  ASSERT_EQ(bind(r, reinterpret_cast<sockaddr*>(&ra), len), 0) << strerror(errno);
  ASSERT_EQ(symlink("rel.sock", P("link.sock").c_str()), 0);
  int d = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un la = UnixAddr(P("link.sock"), &len);
  ASSERT_EQ(connect(d, reinterpret_cast<sockaddr*>(&la), len), 0) << strerror(errno);
  ASSERT_EQ(send(d, "dg", 2, 0), 2);
  EXPECT_EQ(recv(r, buf, sizeof(buf), 0), 2);
  close(d);
  close(r);
  // Errors.
  int e = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un none = UnixAddr(P("none.sock"), &len);
  EXPECT_EQ(Err(connect(e, reinterpret_cast<sockaddr*>(&none), len)), ENOENT);
  WriteFile(P("plain"), "x");
  sockaddr_un plain = UnixAddr(P("plain"), &len);
  EXPECT_EQ(Err(connect(e, reinterpret_cast<sockaddr*>(&plain), len)), ECONNREFUSED);
  sockaddr_un missingdir = UnixAddr(P("nodir/s"), &len);
  EXPECT_EQ(Err(bind(e, reinterpret_cast<sockaddr*>(&missingdir), len)), ENOENT);
  close(e);
  // Abstract sockets are untouched by paths.
  int ab = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un abs{};
  abs.sun_family = AF_UNIX;
  std::string abs_name = "see-conf-" + std::to_string(getpid());
  memcpy(abs.sun_path + 1, abs_name.data(), abs_name.size());
  socklen_t alen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abs_name.size());
  EXPECT_EQ(bind(ab, reinterpret_cast<sockaddr*>(&abs), alen), 0);
  close(ab);
  // Non-root may not connect without write permission on the socket file.
  ASSERT_EQ(chmod(P("sock").c_str(), 0700), 0);
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              int x = socket(AF_UNIX, SOCK_STREAM, 0);
              socklen_t l;
              sockaddr_un sa = UnixAddr(P("sock"), &l);
              CHILD_CHECK(connect(x, reinterpret_cast<sockaddr*>(&sa), l) == -1 && errno == EACCES);
              return 0;
            }));
  close(s);
}

TEST_F(Sys, TheServerSeesTheConnectingProcessAsItsPeer) {
  // SO_PEERCRED of an accepted socket is the connecting process (pid, euid, egid as of connect),
  // which servers use to authorise (dbus, peer authentication). A connect made for the caller by
  // another process would show that process's ids instead.
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  socklen_t len;
  sockaddr_un a = UnixAddr(P("peer.sock"), &len);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
  ASSERT_EQ(chmod(P("peer.sock").c_str(), 0777), 0);
  ASSERT_EQ(listen(s, 4), 0);
  // The child connects (the backlog completes it without an accept), says its pid and leaves.
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHILD_CHECK(c >= 0 && connect(c, reinterpret_cast<const sockaddr*>(&a), len) == 0);
    pid_t me = getpid();
    CHILD_CHECK(write(c, &me, sizeof(me)) == static_cast<ssize_t>(sizeof(me)));
    return 0;
  }));
  int acc = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(acc, 0) << strerror(errno);
  pid_t child = 0;
  ASSERT_EQ(read(acc, &child, sizeof(child)), static_cast<ssize_t>(sizeof(child)));
  ucred peer{};
  socklen_t plen = sizeof(peer);
  ASSERT_EQ(getsockopt(acc, SOL_SOCKET, SO_PEERCRED, &peer, &plen), 0) << strerror(errno);
  EXPECT_EQ(peer.uid, kNobody);
  EXPECT_EQ(peer.gid, kNobody);
  EXPECT_EQ(peer.pid, child);
  close(acc);
  close(s);
}

TEST_F(Sys, UnixSocketNames) {
  // getsockname/getpeername give back the path exactly as the caller bound it.
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_un a = UnixAddr(P("named.sock"), &len);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
  ASSERT_EQ(listen(s, 1), 0);
  sockaddr_un got{};
  socklen_t glen = sizeof(got);
  ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&got), &glen), 0);
  EXPECT_STREQ(got.sun_path, P("named.sock").c_str());
  EXPECT_EQ(glen, len);
  int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), len), 0);
  got = {};
  glen = sizeof(got);
  ASSERT_EQ(getpeername(c, reinterpret_cast<sockaddr*>(&got), &glen), 0);
  EXPECT_STREQ(got.sun_path, P("named.sock").c_str());
  close(c);
  close(s);
}

TEST_F(Sys, UnixSocketNameThroughASymlinkedParentServesOtherProcesses) {
  // As Python's multiprocessing does: bind a path whose parent is reached through a symlink
  // (/var/run -> /run style), publish getsockname, and let another process connect to that.
  ASSERT_EQ(mkdir(P("real").c_str(), 0755), 0);
  ASSERT_EQ(symlink(P("real").c_str(), P("run").c_str()), 0);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_un a = UnixAddr(P("run/listener"), &len);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
  ASSERT_EQ(listen(s, 1), 0);
  sockaddr_un got{};
  socklen_t glen = sizeof(got);
  ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&got), &glen), 0);
  EXPECT_STREQ(got.sun_path, P("run/listener").c_str());
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    _exit(connect(c, reinterpret_cast<sockaddr*>(&got), glen) == 0 && write(c, "hi", 2) == 2 ? 0 : 1);
  }
  int acc = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(acc, 0);
  char buf[4] = {};
  EXPECT_EQ(read(acc, buf, sizeof(buf)), 2);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(acc);
  close(s);
}

TEST_F(Sys, UnixSocketRelativeName) {
  // A name relative to the cwd is recorded as given; a client connecting by another spelling sees
  // the server's own name.
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  socklen_t len;
  int r = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un ra = UnixAddr("rel.sock", &len);
  ASSERT_EQ(bind(r, reinterpret_cast<sockaddr*>(&ra), len), 0) << strerror(errno);
  sockaddr_un got{};
  socklen_t glen = sizeof(got);
  ASSERT_EQ(getsockname(r, reinterpret_cast<sockaddr*>(&got), &glen), 0);
  EXPECT_STREQ(got.sun_path, "rel.sock");
  EXPECT_EQ(glen, len);
  // Bound twice: EADDRINUSE; a symlink as the name is not followed by bind.
  int r2 = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(Err(bind(r2, reinterpret_cast<sockaddr*>(&ra), len)), EADDRINUSE);
  ASSERT_EQ(symlink("elsewhere.sock", P("dangling.sock").c_str()), 0);
  sockaddr_un da = UnixAddr("dangling.sock", &len);
  EXPECT_EQ(Err(bind(r2, reinterpret_cast<sockaddr*>(&da), len)), EADDRINUSE);
  struct stat st;
  EXPECT_EQ(Err(lstat(P("elsewhere.sock").c_str(), &st)), ENOENT);
  close(r2);
  int c = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un abs = UnixAddr(P("rel.sock"), &len);
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&abs), len), 0) << strerror(errno);
  got = {};
  glen = sizeof(got);
  ASSERT_EQ(getpeername(c, reinterpret_cast<sockaddr*>(&got), &glen), 0);
  EXPECT_STREQ(got.sun_path, "rel.sock");
  close(c);
  close(r);
}

TEST_F(Sys, UnixConnectThroughSymlinks) {
  // connect follows symlinks (absolute, relative, chains) to the socket; a link to a non-socket
  // gives ECONNREFUSED, a dangling one ENOENT.
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_un a = UnixAddr(P("srv.sock"), &len);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
  ASSERT_EQ(listen(s, 8), 0);
  ASSERT_EQ(symlink(P("srv.sock").c_str(), P("abs.sock").c_str()), 0);
  ASSERT_EQ(symlink("srv.sock", P("rel.sock").c_str()), 0);
  ASSERT_EQ(symlink("rel.sock", P("chain.sock").c_str()), 0);
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  ASSERT_EQ(symlink("../srv.sock", P("d/up.sock").c_str()), 0);
  for (const char* name : {"abs.sock", "rel.sock", "chain.sock", "d/up.sock"}) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un ca = UnixAddr(P(name), &len);
    EXPECT_EQ(connect(c, reinterpret_cast<sockaddr*>(&ca), len), 0) << name << ": " << strerror(errno);
    close(c);
  }
  WriteFile(P("plain"), "x");
  ASSERT_EQ(symlink("plain", P("notsock.sock").c_str()), 0);
  ASSERT_EQ(symlink("nothing", P("dangling.sock").c_str()), 0);
  int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un ca = UnixAddr(P("notsock.sock"), &len);
  EXPECT_EQ(Err(connect(c, reinterpret_cast<sockaddr*>(&ca), len)), ECONNREFUSED);
  ca = UnixAddr(P("dangling.sock"), &len);
  EXPECT_EQ(Err(connect(c, reinterpret_cast<sockaddr*>(&ca), len)), ENOENT);
  close(c);
  close(s);
}

TEST_F(Sys, Inotify) {
  int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  ASSERT_GE(in, 0);
  int wd = inotify_add_watch(in, dir_.c_str(), IN_CREATE | IN_DELETE);
  ASSERT_GE(wd, 0) << strerror(errno);
  WriteFile(P("new"), "x");
  ASSERT_EQ(unlink(P("new").c_str()), 0);
  alignas(inotify_event) char buf[4096];
  ssize_t n = read(in, buf, sizeof(buf));
  ASSERT_GT(n, 0);
  std::vector<std::pair<uint32_t, std::string>> events;
  for (char* p = buf; p < buf + n;) {
    auto* ev = reinterpret_cast<inotify_event*>(p);
    EXPECT_EQ(ev->wd, wd);
    events.emplace_back(ev->mask, ev->len ? ev->name : "");
    p += sizeof(inotify_event) + ev->len;
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].first, static_cast<uint32_t>(IN_CREATE));
  EXPECT_EQ(events[0].second, "new");
  EXPECT_EQ(events[1].first, static_cast<uint32_t>(IN_DELETE));
  // Same path again: the same watch descriptor.
  EXPECT_EQ(inotify_add_watch(in, dir_.c_str(), IN_CREATE), wd);
  EXPECT_EQ(inotify_rm_watch(in, wd), 0);
  WriteFile(P("f"), "x");
  EXPECT_EQ(Err(inotify_add_watch(in, P("f").c_str(), IN_MODIFY | IN_ONLYDIR)), ENOTDIR);
  EXPECT_EQ(Err(inotify_add_watch(in, P("missing").c_str(), IN_MODIFY)), ENOENT);
  EXPECT_EQ(Err(inotify_add_watch(in, P("f").c_str(), 0)), EINVAL);
  EXPECT_EQ(Err(inotify_add_watch(999, P("f").c_str(), IN_MODIFY)), EBADF);
  int notino = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(Err(inotify_add_watch(notino, P("f").c_str(), IN_MODIFY)), EINVAL);
  close(notino);
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  int lw = inotify_add_watch(in, P("l").c_str(), IN_ATTRIB | IN_DONT_FOLLOW);
  ASSERT_GE(lw, 0);
  int fw = inotify_add_watch(in, P("l").c_str(), IN_ATTRIB);
  EXPECT_NE(lw, fw);
  close(in);
}

// ------------------------------------------------------------------ exec

TEST_F(Sys, ExecScriptsAndElf) {
  // A script whose interpreter is this very binary is not portable; /bin/sh is in every image.
  WriteFile(P("script.sh"), "#!/bin/sh\nexit 7\n", 0755);
  WriteFile(P("noexec.sh"), "#!/bin/sh\nexit 0\n", 0644);
  WriteFile(P("badinterp"), "#!/nonexistent/interp\n", 0755);
  WriteFile(P("garbage"), "\x01\x02\x03 not an executable", 0755);
  auto run = [](const std::vector<std::string>& argv) -> int {
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      char* env[] = {nullptr};
      execve(a[0], a.data(), env);
      _exit(100 + errno);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  };
  EXPECT_EQ(run({P("script.sh")}), 7);
  EXPECT_EQ(run({P("noexec.sh")}), 100 + EACCES);
  EXPECT_EQ(run({P("badinterp")}), 100 + ENOENT);
  EXPECT_EQ(run({P("garbage")}), 100 + ENOEXEC);
  EXPECT_EQ(run({P("missing")}), 100 + ENOENT);
  EXPECT_EQ(run({dir_}), 100 + EACCES);
  // ELF: this binary (through /proc/self/exe) with a flag that lists tests and exits 0.
  EXPECT_EQ(run({"/proc/self/exe", "--gtest_list_tests", "--gtest_filter=Nothing"}), 0);
  // A relative path after chdir, and a symlink to a script.
  ASSERT_EQ(symlink("script.sh", P("link.sh").c_str()), 0);
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  EXPECT_EQ(run({"./link.sh"}), 7);
  // execveat with a dirfd and AT_EMPTY_PATH on an fd.
  pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {const_cast<char*>("x"), nullptr};
    char* env[] = {nullptr};
    int fd = open(P("script.sh").c_str(), O_PATH);
    syscall(SYS_execveat, fd, "", argv, env, AT_EMPTY_PATH);
    _exit(100 + errno);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 7);
  pid = fork();
  if (pid == 0) {
    char* argv[] = {const_cast<char*>("x"), nullptr};
    char* env[] = {nullptr};
    int d = open(dir_.c_str(), O_PATH | O_DIRECTORY);
    syscall(SYS_execveat, d, "script.sh", argv, env, 0);
    _exit(100 + errno);
  }
  waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 7);
  // As nobody: no x permission for others.
  WriteFile(P("owneronly"), "#!/bin/sh\nexit 0\n", 0700);
  EXPECT_CHILD_OK(AsNobody(dir_, [&] {
              char* argv[] = {const_cast<char*>("x"), nullptr};
              char* env[] = {nullptr};
              execve(P("owneronly").c_str(), argv, env);
              CHILD_CHECK(errno == EACCES);
              return 0;
            }));
}

// ------------------------------------------------------------------ threads, signals, children

std::atomic<int> g_signals{0};
void CountSignal(int) { g_signals.fetch_add(1); }

TEST_F(Sys, SignalInterruptsBlockedFifoOpen) {
  // A thread blocked in open() of a FIFO is interrupted by a signal: EINTR without SA_RESTART,
  // restarted (and completed later) with it.
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0600), 0);
  struct sigaction sa{}, old{};
  sa.sa_handler = CountSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  g_signals = 0;
  std::atomic<int> result{-2}, err{0};
  std::atomic<pid_t> tid{0};
  std::thread t([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    int fd = open(P("fifo").c_str(), O_RDONLY | O_CLOEXEC);
    err = errno;
    result = fd;
    if (fd >= 0) close(fd);
  });
  while (tid == 0) usleep(1000);
  // Keep signalling until the open returns (the first signal may land before the thread blocks).
  for (int i = 0; i < 2000 && result == -2; ++i) {
    syscall(SYS_tgkill, getpid(), tid.load(), SIGUSR1);
    usleep(5000);
  }
  if (result == -2) {
    // Unblock it so the test can end.
    int w = open(P("fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    t.join();
    if (w >= 0) close(w);
    sigaction(SIGUSR1, &old, nullptr);
    FAIL() << "open was not interrupted";
  }
  t.join();
  EXPECT_EQ(result, -1);
  EXPECT_EQ(err, EINTR);
  EXPECT_GE(g_signals.load(), 1);

  // SA_RESTART: the open goes on after the handler and completes when a writer comes.
  sa.sa_flags = SA_RESTART;
  ASSERT_EQ(sigaction(SIGUSR1, &sa, nullptr), 0);
  g_signals = 0;
  result = -2;
  tid = 0;
  std::thread t2([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    int fd = open(P("fifo").c_str(), O_RDONLY | O_CLOEXEC);
    err = errno;
    result = fd;
    if (fd >= 0) close(fd);
  });
  while (tid == 0) usleep(1000);
  for (int i = 0; i < 20; ++i) {
    syscall(SYS_tgkill, getpid(), tid.load(), SIGUSR1);
    usleep(5000);
  }
  EXPECT_EQ(result, -2) << "restarted open returned early: errno " << err;
  int w = open(P("fifo").c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(w, 0);
  t2.join();
  close(w);
  EXPECT_GE(result, 0);
  EXPECT_GE(g_signals.load(), 1);
  sigaction(SIGUSR1, &old, nullptr);
}

TEST_F(Sys, SignalStormDuringServedCalls) {
  // Served calls (stat, open) keep giving right answers while signals with SA_RESTART rain on the
  // threads making them.
  WriteFile(P("f"), "x");
  struct sigaction sa{}, old{};
  sa.sa_handler = CountSignal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR2, &sa, &old), 0);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, done{0};
  std::vector<std::thread> threads;
  std::vector<pid_t> tids(4);
  std::atomic<int> started{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      tids[i] = static_cast<pid_t>(syscall(SYS_gettid));
      started++;
      while (!stop) {
        struct stat st;
        int r = stat(P("f").c_str(), &st);
        if (r != 0 && errno != EINTR) bad++;
        int fd = open(P("f").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno != EINTR) bad++;
        if (fd >= 0) close(fd);
        if (stat(P("missing").c_str(), &st) == 0 || (errno != ENOENT && errno != EINTR)) bad++;
        done++;
      }
    });
  }
  while (started < 4) usleep(1000);
  for (int i = 0; i < 400; ++i) {
    syscall(SYS_tgkill, getpid(), tids[i % 4], SIGUSR2);
    usleep(500);
  }
  stop = true;
  for (auto& t : threads) t.join();
  sigaction(SIGUSR2, &old, nullptr);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(done.load(), 0);
}

TEST_F(Sys, StatNeverEintrUnderSignalStorm) {
  // stat, access, readlink, mkdir and unlink do not block: Linux never fails them with EINTR, even
  // with a handler installed without SA_RESTART (as a SIGALRM timer of an interpreter is).
  WriteFile(P("f"), "x");
  ASSERT_EQ(symlink("f", P("l").c_str()), 0);
  struct sigaction sa{}, old{};
  sa.sa_handler = CountSignal;
  sa.sa_flags = 0;  // no SA_RESTART
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGALRM, &sa, &old), 0);
  g_signals = 0;
  std::atomic<bool> stop{false};
  std::atomic<int> eintr{0}, other{0}, done{0};
  std::atomic<pid_t> tid{0};
  std::thread t([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    char buf[16];
    for (int i = 0; !stop; ++i) {
      struct stat st;
      long r[] = {stat(P("f").c_str(), &st), access(P("f").c_str(), R_OK),
                  readlink(P("l").c_str(), buf, sizeof(buf)),
                  mkdir(P("d" + std::to_string(i % 4)).c_str(), 0755),
                  rmdir(P("d" + std::to_string(i % 4)).c_str())};
      for (long v : r) {
        if (v < 0 && errno == EINTR) eintr++;
        else if (v < 0) other++;
      }
      done++;
    }
  });
  while (tid == 0) usleep(100);
  for (int i = 0; i < 3000; ++i) {
    syscall(SYS_tgkill, getpid(), tid.load(), SIGALRM);
    usleep(200);
  }
  stop = true;
  t.join();
  sigaction(SIGALRM, &old, nullptr);
  EXPECT_EQ(eintr.load(), 0) << "of " << done.load() * 5 << " calls, " << g_signals.load() << " signals";
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(g_signals.load(), 0);
  EXPECT_GT(done.load(), 0);
}

TEST_F(Sys, ManyThreadsServedCalls) {
  WriteFile(P("f"), "x");
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 50; ++j) {
        std::string own = P("t" + std::to_string(i));
        int fd = open(own.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) {
          bad++;
          continue;
        }
        struct stat st;
        if (fstat(fd, &st) != 0 || stat(P("f").c_str(), &st) != 0 || st.st_size != 1) bad++;
        close(fd);
        if (unlink(own.c_str()) != 0) bad++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(Sys, ChildrenKeepFilter) {
  // Whatever the sandbox does to path calls, fork, vfork and raw clone children see the same files
  // with the same errors as the parent (they keep the filter; natively this holds trivially).
  WriteFile(P("f"), "kid");
  auto probe = [this]() -> int {
    struct stat st;
    if (stat(P("f").c_str(), &st) != 0 || st.st_size != 3) return 1;
    if (stat(P("missing").c_str(), &st) == 0 || errno != ENOENT) return 2;
    int fd = open(P("child-made").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return 3;
    close(fd);
    char buf[64] = {};
    if (readlink("/proc/self", buf, sizeof(buf) - 1) <= 0 || atoi(buf) != getpid()) return 4;
    return 0;
  };
  EXPECT_EQ(InChild(probe), "ok");
  ASSERT_EQ(unlink(P("child-made").c_str()), 0);
  // vfork + exec of a shell that stats the file.
  std::string cmd = "test -f " + P("f") + " && ! test -e " + P("missing") + " && : > " + P("vf");
  pid_t pid = vfork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  struct stat st;
  EXPECT_EQ(stat(P("vf").c_str(), &st), 0);
  // clone() with a fresh stack, no CLONE_FS: the child's chdir does not move the parent.
  static char stack[256 * 1024];
  struct Arg {
    std::string dir;
  } arg{dir_};
  pid = clone(
      [](void* a) -> int {
        auto* x = static_cast<Arg*>(a);
        if (chdir(x->dir.c_str()) != 0) return 1;
        int fd = open("cloned", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0) return 2;
        close(fd);
        return 0;
      },
      stack + sizeof(stack), SIGCHLD, &arg);
  ASSERT_GT(pid, 0);
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(stat(P("cloned").c_str(), &st), 0);
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ(std::string(cwd), std::string(old_cwd_));
  // The filter is inherited: a grandchild shows the same seccomp mode as us.
  std::string mine = ReadFile("/proc/self/status");
  auto seccomp_line = [](const std::string& s) {
    size_t at = s.find("Seccomp:");
    return at == std::string::npos ? std::string() : s.substr(at, s.find('\n', at) - at);
  };
  EXPECT_CHILD_OK(InChild([&] {
              return InChild([&] {
                       return seccomp_line(ReadFile("/proc/self/status")) == seccomp_line(mine) ? 0 : 1;
                     }) == "ok"
                         ? 0
                         : 1;
            }));
}

TEST_F(Sys, PtraceSeesServedCallsAndReadsMemory) {
  // What strace and gdb do: a traced child stops at every syscall's entry and exit, served ones
  // included, with their results; the tracer reads its memory (PTRACE_PEEKDATA, process_vm_readv)
  // and may rewrite a call at its entry stop (here getppid into getpid, both native).
  WriteFile(P("traced"), "abc");
  const std::string path = P("traced");
  static char word[16] = "tracee-memory";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(10);
    raise(SIGSTOP);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    char buf[4] = {};
    if (fd < 0 || read(fd, buf, 3) != 3) _exit(11);
    close(fd);
    pid_t asked = static_cast<pid_t>(syscall(SYS_getppid));  // rewritten into getpid
    _exit(strcmp(buf, "abc") != 0 ? 12 : asked == getpid() ? 0 : 13);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP) << status;
  ASSERT_EQ(ptrace(PTRACE_SETOPTIONS, pid, nullptr, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL), 0)
      << strerror(errno);
  std::string r;
  errno = 0;
  long peeked = ptrace(PTRACE_PEEKDATA, pid, word, nullptr);
  r += std::string("peek=") + (errno == 0 && memcmp(&peeked, word, sizeof(peeked)) == 0 ? "ok" : strerrorname_np(errno));
  char got[16] = {};
  iovec local{got, sizeof(got)}, remote{word, sizeof(word)};
  r += std::string(" vm_readv=") +
       (process_vm_readv(pid, &local, 1, &remote, 1, 0) == sizeof(got) && strcmp(got, word) == 0
            ? "ok" : strerrorname_np(errno));
  bool opened = false, rewrote = false;
  long open_result = -1;
  for (int stops = 0; stops < 200; ++stops) {
    if (ptrace(PTRACE_SYSCALL, pid, nullptr, nullptr) != 0) break;
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) break;
    if (WSTOPSIG(status) != (SIGTRAP | 0x80)) continue;
    __ptrace_syscall_info info{};
    if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) <= 0) break;
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == SYS_openat) {
      opened = true;
    } else if (info.op == PTRACE_SYSCALL_INFO_EXIT && opened && open_result == -1) {
      open_result = info.exit.rval;
    } else if (info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == SYS_getppid) {
      user_regs_struct regs{};
      ptrace(PTRACE_GETREGS, pid, nullptr, &regs);
      regs.orig_rax = SYS_getpid;
      rewrote = ptrace(PTRACE_SETREGS, pid, nullptr, &regs) == 0;
    }
  }
  if (!WIFEXITED(status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  r += std::string(" openat=") + (open_result >= 0 ? "fd" : std::to_string(open_result));
  r += std::string(" rewrote=") + (rewrote ? "yes" : "no");
  r += " exit=" + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  EXPECT_EQ(r, "peek=ok vm_readv=ok openat=fd rewrote=yes exit=0");
}

TEST_F(Sys, CallerMemoryEdgeCases) {
  // A path that ends right before an unmapped page, and one that runs into it.
  long page = sysconf(_SC_PAGESIZE);
  char* m = static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(m, MAP_FAILED);
  ASSERT_EQ(munmap(m + page, page), 0);
  std::string p = P("f");
  WriteFile(p, "x");
  char* at = m + page - p.size() - 1;
  memcpy(at, p.c_str(), p.size() + 1);
  struct stat st;
  EXPECT_EQ(stat(at, &st), 0);
  memset(m, 'a', page);
  EXPECT_EQ(Err(stat(m + 128, &st)), EFAULT);  // the fault comes before PATH_MAX bytes
  // stat buffer in unmapped memory: EFAULT (and no crash of whoever writes it).
  EXPECT_EQ(Err(stat(p.c_str(), reinterpret_cast<struct stat*>(m + page))), EFAULT);
  munmap(m, page);
}

TEST_F(Sys, Statfs) {
  struct statfs a, b;
  ASSERT_EQ(statfs(dir_.c_str(), &a), 0);
  int fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_EQ(fstatfs(fd, &b), 0);
  close(fd);
  EXPECT_EQ(a.f_type, b.f_type);
  EXPECT_EQ(a.f_bsize, b.f_bsize);
  EXPECT_EQ(Err(statfs(P("missing").c_str(), &a)), ENOENT);
  ASSERT_EQ(statfs("/proc", &a), 0);
  EXPECT_EQ(a.f_type, 0x9fa0);  // PROC_SUPER_MAGIC
}

TEST_F(Sys, Getdents) {
  for (const char* n : {"a", "b", "c"}) WriteFile(P(n), "x");
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  DIR* d = opendir(dir_.c_str());
  ASSERT_NE(d, nullptr);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.push_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "a", "b", "c", "d"}));
}

TEST_F(Sys, SysinfoConsistentWithMeminfo) {
  struct sysinfo si;
  ASSERT_EQ(sysinfo(&si), 0);
  std::string mi = ReadFile("/proc/meminfo");
  unsigned long kb = 0;
  ASSERT_EQ(sscanf(mi.c_str(), "MemTotal: %lu kB", &kb), 1);
  EXPECT_EQ(static_cast<unsigned long long>(si.totalram) * si.mem_unit / 1024, kb);
  // What free(1) shows as used is never negative: free memory and the page cache fit in the
  // total (MemFree + Buffers + Cached + SReclaimable <= MemTotal), and sysinfo's buffers are
  // meminfo's.
  auto field = [&mi](const char* key) -> long {
    size_t at = mi.find(std::string("\n") + key + ":");
    return at == std::string::npos ? -1 : atol(mi.c_str() + at + strlen(key) + 2);
  };
  long free_kb = field("MemFree"), buffers = field("Buffers"), cached = field("Cached");
  long reclaimable = field("SReclaimable");
  ASSERT_GE(free_kb, 0);
  ASSERT_GE(buffers, 0);
  ASSERT_GE(cached, 0);
  ASSERT_GE(reclaimable, 0);
  EXPECT_LE(free_kb + buffers + cached + reclaimable, static_cast<long>(kb)) << mi.substr(0, 600);
  // Both read at slightly different moments: within 64 MiB.
  EXPECT_NEAR(static_cast<double>(si.bufferram) * si.mem_unit / 1024, buffers, 65536.0);
  // nproc's source and sysconf agree.
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_LE(CPU_COUNT(&set), online);
  EXPECT_GE(CPU_COUNT(&set), 1);
}

}  // namespace
