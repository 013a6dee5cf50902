#include "sentry-lite/fs/path_resolver.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "base/file_util.h"

namespace see::sentry {
namespace {

std::string FdPathOf(int fd) {
  char buf[4096];
  ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof(buf));
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// fs.protected_symlinks on for a test's duration (the sentry follows the host's setting), and back
// to what it was. on() is false where it can not be set.
class ProtectedSymlinks {
 public:
  ProtectedSymlinks() {
    std::ifstream in(kPath);
    if (!(in >> old_)) return;
    std::ofstream out(kPath);
    on_ = static_cast<bool>(out << 1);
  }
  ~ProtectedSymlinks() {
    if (on_) std::ofstream(kPath) << old_;
  }
  bool on() const { return on_; }

 private:
  static constexpr const char* kPath = "/proc/sys/fs/protected_symlinks";
  int old_ = 0;
  bool on_ = false;
};

// A temp tree: root/ with etc/passwd, dir/sub/, hostile symlinks; and outside/secret next to it.
class PathResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/see-resolver-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_path_ = base_ + "/root";
    ASSERT_TRUE(MkdirAll(root_path_ + "/etc").ok());
    ASSERT_TRUE(MkdirAll(root_path_ + "/dir/sub").ok());
    ASSERT_TRUE(MkdirAll(base_ + "/outside").ok());
    ASSERT_TRUE(WriteFile(root_path_ + "/etc/passwd", "inside").ok());
    ASSERT_TRUE(WriteFile(base_ + "/outside/secret", "outside").ok());
    ASSERT_TRUE(WriteFile(root_path_ + "/dir/file", "f").ok());
    Link("/etc", "dir/abs_etc");                    // absolute: means root/etc
    Link("../../../../../../..", "dir/sub/up");     // climbs: clamped at root
    Link("/../../outside/secret", "dir/escape");    // absolute escape attempt
    Link(base_ + "/outside", "dir/host_abs");       // host path: root/<base>/outside (absent)
    Link("loop_b", "loop_a");
    Link("loop_a", "loop_b");
    Link("/proc/self/root", "dir/procroot");        // magic link
    root_.Reset(open(root_path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }
  void TearDown() override { (void)!system(("rm -rf " + base_).c_str()); }

  void Link(const std::string& target, const std::string& name) {
    ASSERT_EQ(symlink(target.c_str(), (root_path_ + "/" + name).c_str()), 0) << name;
  }

  Result<UniqueFd> Open(const std::string& path, uint64_t flags = O_RDONLY, int start = -1) {
    PathResolver r(root_.get());
    open_how how{.flags = flags};
    return r.Open(start < 0 ? root_.get() : start, path, how);
  }

  // Every successful result must lie inside the root.
  void ExpectInside(const Result<UniqueFd>& fd) {
    if (!fd.ok()) return;
    std::string p = FdPathOf(fd->get());
    EXPECT_TRUE(p == root_path_ || p.rfind(root_path_ + "/", 0) == 0) << p;
  }

  std::string base_, root_path_;
  UniqueFd root_;
};

TEST_F(PathResolverTest, PlainPaths) {
  auto fd = Open("/etc/passwd");
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  EXPECT_EQ(ReadAll(fd->get()).value(), "inside");
  EXPECT_EQ(Open("/nope").status().err(), ENOENT);
  EXPECT_EQ(Open("/dir/file/x").status().err(), ENOTDIR);
  EXPECT_EQ(Open("").status().err(), ENOENT);
}

TEST_F(PathResolverTest, HostileSymlinksStayInside) {
  auto abs = Open("/dir/abs_etc/passwd");
  ASSERT_TRUE(abs.ok()) << abs.status().ToString();
  EXPECT_EQ(ReadAll(abs->get()).value(), "inside");
  auto up = Open("/dir/sub/up/etc/passwd");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(ReadAll(up->get()).value(), "inside");
  auto dotdot = Open("/../../../etc/passwd");
  ASSERT_TRUE(dotdot.ok());
  EXPECT_EQ(ReadAll(dotdot->get()).value(), "inside");
  EXPECT_EQ(Open("/dir/escape").status().err(), ENOENT);
  EXPECT_EQ(Open("/dir/host_abs/secret").status().err(), ENOENT);
  EXPECT_EQ(Open("/loop_a").status().err(), ELOOP);
  // /proc/self/root means the container's /proc (absent here), never the host's.
  EXPECT_EQ(Open("/dir/procroot/etc").status().err(), ENOENT);
  for (const char* p : {"/dir/sub/up", "/dir/sub/up/..", "/..", "/dir/abs_etc/../..",
                        "dir/sub/up/dir/sub/up"}) {
    auto fd = Open(p, O_PATH);
    EXPECT_TRUE(fd.ok()) << p;
    ExpectInside(fd);
  }
}

TEST_F(PathResolverTest, RelativeToStartDirectory) {
  UniqueFd sub(open((root_path_ + "/dir/sub").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(sub.valid());
  auto fd = Open("../../etc/passwd", O_RDONLY, sub.get());
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  EXPECT_EQ(ReadAll(fd->get()).value(), "inside");
  auto far = Open("../../../../../../etc/passwd", O_RDONLY, sub.get());
  ASSERT_TRUE(far.ok());
  ExpectInside(far);
}

// Runs `checks` in a child in a mount namespace of its own (private propagation); returns what it
// reported ("" when every check held).
std::string InOwnMountNamespace(const std::function<std::string()>& checks) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return "pipe";
  pid_t pid = fork();
  if (pid == 0) {
    close(out[0]);
    std::string report = unshare(CLONE_NEWNS) != 0 ||
                                 mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0
                             ? std::string("unshare/mount")
                             : checks();
    (void)!write(out[1], report.data(), report.size());
    _exit(0);
  }
  close(out[1]);
  std::string report;
  char buf[512];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof(buf))) > 0) report.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) report += " (child died)";
  return report;
}

// RESOLVE_NO_XDEV with a relative path: Linux walks from the start directory, so only the mounts
// crossed from there count, not those between the root and a start directory on another mount
// (before: every walk from a volume or tmpfs was EXDEV).
TEST_F(PathResolverTest, NoXdevCountsTheMountsCrossedFromTheStartDirectory) {
  ASSERT_TRUE(MkdirAll(root_path_ + "/mnt").ok());
  ASSERT_TRUE(MkdirAll(root_path_ + "/bound").ok());
  std::string report = InOwnMountNamespace([this]() -> std::string {
    const std::string mnt = root_path_ + "/mnt";
    if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, nullptr) != 0) return "mount tmpfs";
    // The root's own tree bound below itself: its top is the root's inode on another mount.
    if (mount(root_path_.c_str(), (root_path_ + "/bound").c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return "bind";
    }
    if (!MkdirAll(mnt + "/d").ok() || !WriteFile(mnt + "/f", "m").ok() ||
        symlink("../f", (mnt + "/d/up").c_str()) != 0 ||
        symlink("../../etc/passwd", (mnt + "/d/out").c_str()) != 0 ||
        symlink("/etc/passwd", (mnt + "/d/abs").c_str()) != 0) {
      return "set-up";
    }
    // The root as this namespace has it (root_ is the parent's: no tmpfs below it).
    UniqueFd root(open(root_path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    UniqueFd start(open(mnt.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    PathResolver r(root.get());
    auto open_at = [&r](int dir, const char* path, uint64_t resolve, uint64_t flags = O_RDONLY) {
      auto fd = r.Open(dir, path, open_how{.flags = flags, .resolve = resolve});
      if (!fd.ok()) return "errno " + std::to_string(fd.status().err());
      if ((flags & O_PATH) != 0) return std::string("opened");
      auto text = ReadAll(fd->get());
      return text.ok() ? *text : std::string("unreadable");
    };
    std::string failures;
    auto expect = [&failures](const char* what, const std::string& got, const std::string& want) {
      if (got != want) failures += std::string(what) + ": " + got + ", not " + want + "; ";
    };
    const std::string exdev = "errno " + std::to_string(EXDEV);
    expect("f", open_at(start.get(), "f", RESOLVE_NO_XDEV), "m");
    expect("d/../f", open_at(start.get(), "d/../f", RESOLVE_NO_XDEV), "m");
    expect("d/up", open_at(start.get(), "d/up", RESOLVE_NO_XDEV), "m");  // a link on the same mount
    expect(".", open_at(start.get(), ".", RESOLVE_NO_XDEV, O_PATH), "opened");
    expect("..", open_at(start.get(), "..", RESOLVE_NO_XDEV, O_PATH), exdev);  // out of the mount
    expect("d/out", open_at(start.get(), "d/out", RESOLVE_NO_XDEV), exdev);
    expect("d/abs", open_at(start.get(), "d/abs", RESOLVE_NO_XDEV), exdev);  // the root's mount
    expect("d/abs plain", open_at(start.get(), "d/abs", 0), "inside");
    expect("mnt/f", open_at(root.get(), "mnt/f", RESOLVE_NO_XDEV), exdev);  // into the mount
    expect("etc/passwd", open_at(root.get(), "etc/passwd", RESOLVE_NO_XDEV), "inside");
    // ".." out of the bind's top crosses a mount (Linux stops only at the root on its own mount).
    UniqueFd bound_etc(open((root_path_ + "/bound/etc").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    expect("bound ../../etc", open_at(bound_etc.get(), "../../etc/passwd", RESOLVE_NO_XDEV), exdev);
    expect("bound ../passwd", open_at(bound_etc.get(), "../etc/passwd", RESOLVE_NO_XDEV), "inside");
    expect("bound plain", open_at(bound_etc.get(), "../../etc/passwd", 0), "inside");
    return failures;
  });
  EXPECT_EQ(report, "");
}

// A scoped walk (RESOLVE_BENEATH / RESOLVE_IN_ROOT) from a dirfd outside the root is the kernel's
// from there, but hands out nothing of a procfs, sysfs or cgroupfs (their root directory only
// looked up, O_PATH).
TEST_F(PathResolverTest, AScopedWalkFromOutsideHandsOutNoProcfsFile) {
  const std::string out_path = base_ + "/outside";
  ASSERT_TRUE(MkdirAll(out_path + "/pm").ok());
  ASSERT_TRUE(MkdirAll(out_path + "/cg").ok());
  std::string report = InOwnMountNamespace([&]() -> std::string {
    if (mount("proc", (out_path + "/pm").c_str(), "proc", 0, nullptr) != 0) return "mount proc";
    if (mount("cgroup2", (out_path + "/cg").c_str(), "cgroup2", 0, nullptr) != 0) return "mount cgroup2";
    UniqueFd root(open(root_path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    UniqueFd out(open(out_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    PathResolver r(root.get());
    std::string failures;
    auto expect = [&](const char* path, uint64_t flags, uint64_t resolve, int want) {
      auto fd = r.Open(out.get(), path, open_how{.flags = flags, .resolve = resolve});
      int got = fd.ok() ? 0 : fd.status().err();
      if (got != want) failures += std::string(path) + ": " + std::to_string(got) + "; ";
    };
    expect("pm/self/status", O_RDONLY, RESOLVE_BENEATH, EACCES);
    expect("/pm/1/environ", O_RDONLY, RESOLVE_IN_ROOT, EACCES);
    expect("pm/self", O_PATH, RESOLVE_BENEATH, EACCES);
    expect("pm", O_PATH, RESOLVE_BENEATH, 0);
    expect("pm/self/cwd", O_PATH, RESOLVE_IN_ROOT, ELOOP);  // a magic link: never followed
    // Nor of what is mounted alike (a cgroupfs's files check a write against their opener).
    expect("cg/cgroup.procs", O_RDONLY, RESOLVE_BENEATH, EACCES);
    expect("cg/cgroup.procs", O_PATH, RESOLVE_BENEATH, EACCES);
    return failures;
  });
  EXPECT_EQ(report, "");
}

TEST_F(PathResolverTest, AStartDirectoryOutsideTheRootIsWalkedAsLinuxWalksFromIt) {
  // Another container's root reached through /proc/<pid>/root, a cwd a chroot left outside: Linux
  // walks from it for the caller, and absolute symlinks there lead to the caller's root.
  const std::string out_path = base_ + "/outside";
  ASSERT_TRUE(MkdirAll(out_path + "/d").ok());
  ASSERT_EQ(symlink("../secret", (out_path + "/d/rel").c_str()), 0);
  ASSERT_EQ(symlink("/etc/passwd", (out_path + "/d/abs").c_str()), 0);
  ASSERT_EQ(symlink("/etc", (out_path + "/d/abs_dir").c_str()), 0);
  ASSERT_EQ(symlink("d/", (out_path + "/dslash").c_str()), 0);
  ASSERT_EQ(symlink("lb", (out_path + "/la").c_str()), 0);
  ASSERT_EQ(symlink("la", (out_path + "/lb").c_str()), 0);
  ASSERT_EQ(symlink("../../../../../../../../../../proc", (out_path + "/host_proc").c_str()), 0);
  UniqueFd out(open(out_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(out.valid());
  auto read = [&](const std::string& path) -> std::string {
    auto fd = Open(path, O_RDONLY, out.get());
    if (!fd.ok()) return "errno " + std::to_string(fd.status().err());
    return ReadAll(fd->get()).value();
  };
  EXPECT_EQ(read("secret"), "outside");
  EXPECT_EQ(read("./d/../secret"), "outside");
  EXPECT_EQ(read("d/rel"), "outside");             // relative: from where it lies
  EXPECT_EQ(read("dslash/rel"), "outside");
  EXPECT_EQ(read("d/abs"), "inside");              // absolute: from the caller's root
  EXPECT_EQ(read("d/abs_dir/passwd"), "inside");
  EXPECT_EQ(read("../root/etc/passwd"), "inside");  // ".." climbs as Linux's walk
  EXPECT_EQ(read("nope"), "errno " + std::to_string(ENOENT));
  EXPECT_EQ(read("secret/"), "errno " + std::to_string(ENOTDIR));
  EXPECT_EQ(read("secret/."), "errno " + std::to_string(ENOTDIR));
  EXPECT_EQ(read("secret/x"), "errno " + std::to_string(ENOTDIR));
  EXPECT_EQ(read("la"), "errno " + std::to_string(ELOOP));
  EXPECT_EQ(Open("d/rel", O_RDONLY | O_NOFOLLOW, out.get()).status().err(), ELOOP);
  auto link = Open("d/rel", O_PATH | O_NOFOLLOW, out.get());
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  struct stat st {};
  ASSERT_EQ(fstat(link->get(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // The caller's own restrictions hold on every step.
  PathResolver r(root_.get());
  EXPECT_EQ(r.Open(out.get(), "d/rel", open_how{.flags = O_RDONLY, .resolve = RESOLVE_NO_SYMLINKS}).status().err(),
            ELOOP);
  // Created where the walk leads, with the flags' own rules.
  auto made = Open("d/new", O_WRONLY | O_CREAT | O_EXCL, out.get());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(access((out_path + "/d/new").c_str(), F_OK), 0);
  EXPECT_EQ(Open("d/new", O_WRONLY | O_CREAT | O_EXCL, out.get()).status().err(), EEXIST);
  EXPECT_EQ(Open("d/rel", O_WRONLY | O_CREAT | O_EXCL, out.get()).status().err(), EEXIST);
  EXPECT_EQ(Open("d/", O_WRONLY | O_CREAT, out.get()).status().err(), EISDIR);
  EXPECT_EQ(Open("absent/", O_WRONLY | O_CREAT, out.get()).status().err(), EISDIR);
  EXPECT_EQ(Open("secret/", O_WRONLY | O_CREAT, out.get()).status().err(), EISDIR);
  EXPECT_EQ(Open("absent/x/", O_WRONLY | O_CREAT, out.get()).status().err(), ENOENT);
  // RESOLVE_NO_XDEV: the jump to the root is EXDEV only from another mount (Linux's
  // nd_jump_root); here both trees are on one.
  auto xdev = r.Open(out.get(), "d/abs", open_how{.flags = O_RDONLY, .resolve = RESOLVE_NO_XDEV});
  ASSERT_TRUE(xdev.ok()) << xdev.status().ToString();
  EXPECT_EQ(ReadAll(xdev->get()).value(), "inside");
  // RESOLVE_BENEATH and RESOLVE_IN_ROOT from it: confined to it, as Linux's scoped walks (the
  // dirfd is the boundary, or the root), before: ENOENT for any dirfd outside the root.
  auto scoped = [&r, &out](const char* path, uint64_t resolve) {
    auto fd = r.Open(out.get(), path, open_how{.flags = O_RDONLY, .resolve = resolve});
    if (!fd.ok()) return "errno " + std::to_string(fd.status().err());
    return ReadAll(fd->get()).value();
  };
  const std::string exdev = "errno " + std::to_string(EXDEV);
  EXPECT_EQ(scoped("secret", RESOLVE_BENEATH), "outside");
  EXPECT_EQ(scoped("d/../secret", RESOLVE_BENEATH), "outside");
  EXPECT_EQ(scoped("d/rel", RESOLVE_BENEATH), "outside");  // "../secret" from d: still below
  EXPECT_EQ(scoped("../outside/secret", RESOLVE_BENEATH), exdev);
  EXPECT_EQ(scoped("d/abs", RESOLVE_BENEATH), exdev);
  EXPECT_EQ(scoped("/secret", RESOLVE_IN_ROOT), "outside");
  EXPECT_EQ(scoped("../../secret", RESOLVE_IN_ROOT), "outside");  // ".." stays at the dirfd
  EXPECT_EQ(scoped("d/abs", RESOLVE_IN_ROOT), "errno " + std::to_string(ENOENT));  // its /etc
  ASSERT_TRUE(MkdirAll(out_path + "/etc").ok());
  ASSERT_TRUE(WriteFile(out_path + "/etc/passwd", "theirs").ok());
  EXPECT_EQ(scoped("d/abs", RESOLVE_IN_ROOT), "theirs");
  EXPECT_EQ(scoped("d/abs_dir/../secret", RESOLVE_IN_ROOT), "outside");
  EXPECT_EQ(scoped("host_proc/self/status", RESOLVE_IN_ROOT), "errno " + std::to_string(ENOENT));
  // fs.protected_symlinks: in a sticky world-writable directory a link is followed by its owner,
  // or when the directory's owner owns it too (the kernel checks the links it follows; these the
  // sentry follows itself).
  ProtectedSymlinks protect;
  ASSERT_TRUE(protect.on()) << "needs root: fs.protected_symlinks";
  ASSERT_TRUE(MkdirAll(out_path + "/sticky").ok());
  ASSERT_EQ(chmod((out_path + "/sticky").c_str(), 01777), 0);
  ASSERT_EQ(symlink("../secret", (out_path + "/sticky/theirs").c_str()), 0);
  ASSERT_EQ(lchown((out_path + "/sticky/theirs").c_str(), 1000, 1000), 0);
  ASSERT_EQ(symlink("../secret", (out_path + "/sticky/mine").c_str()), 0);
  EXPECT_EQ(read("sticky/theirs"), "errno " + std::to_string(EACCES));
  EXPECT_EQ(read("sticky/mine"), "outside");
  EXPECT_TRUE(Open("sticky/theirs", O_PATH | O_NOFOLLOW, out.get()).ok());  // not followed
  // Nothing below a procfs outside the root is walked (its self and magic links name the
  // sentry); the procfs root itself may be looked at (O_PATH: stat).
  EXPECT_EQ(Open("host_proc/self/status", O_RDONLY, out.get()).status().err(), EACCES);
  EXPECT_EQ(Open("host_proc/1/root", O_PATH, out.get()).status().err(), EACCES);
  UniqueFd proc(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(Open("self/environ", O_RDONLY, proc.get()).status().err(), EACCES);
  EXPECT_TRUE(Open("host_proc", O_PATH, out.get()).ok());
  EXPECT_EQ(Open("host_proc", O_RDONLY | O_DIRECTORY, out.get()).status().err(), EACCES);
  EXPECT_TRUE(Open("/../../etc/passwd", O_RDONLY, out.get()).ok());  // absolute: the root's
  // The parent of a name below it, for mkdir/unlink/rename.
  EXPECT_EQ(r.OpenParent(out.get(), "d/rel/../x").status().err(), ENOTDIR);  // rel is a file
  auto parent = r.OpenParent(out.get(), "dslash/../x");
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  EXPECT_EQ(FdPathOf(parent->dir.get()), out_path);
  EXPECT_EQ(parent->last, "x");
}

// A process pivoted into `dir` in a mount namespace of its own, as the runtime starts a container;
// killed and reaped by the destructor.
class PivotedProcess {
 public:
  explicit PivotedProcess(const std::string& dir) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      const std::string old_root = dir + "/.old";
      if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
          (mkdir(old_root.c_str(), 0700) != 0 && errno != EEXIST) ||
          syscall(SYS_pivot_root, dir.c_str(), old_root.c_str()) != 0 || umount2("/.old", MNT_DETACH) != 0 ||
          chdir("/") != 0) {
        _exit(1);
      }
      (void)!write(ready[1], "r", 1);
      pause();
      _exit(0);
    }
    close(ready[1]);
    char c;
    if (pid_ > 0 && read(ready[0], &c, 1) == 1) {
      root_.Reset(open(("/proc/" + std::to_string(pid_) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
    close(ready[0]);
  }
  ~PivotedProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int root() const { return root_.get(); }

 private:
  pid_t pid_ = -1;
  UniqueFd root_;
};

TEST_F(PathResolverTest, ASiblingMountNamespacesTreeIsWalkedAsItself) {
  // The kernel names a directory of another mount namespace from that namespace's root: a sibling
  // container's root (/proc/<pid>/root, a cwd there) reads as "/", as the container's own root
  // does. A walk from it must be a walk in the sibling's tree (it once was the container's own /).
  ASSERT_TRUE(WriteFile(root_path_ + "/marker", "ours").ok());
  ASSERT_TRUE(MkdirAll(base_ + "/sibling/dir").ok());
  ASSERT_TRUE(WriteFile(base_ + "/sibling/marker", "theirs").ok());
  ASSERT_TRUE(WriteFile(base_ + "/sibling/dir/marker", "theirs too").ok());
  ASSERT_TRUE(MkdirAll(root_path_ + "/dir").ok());
  ASSERT_TRUE(WriteFile(root_path_ + "/dir/marker", "ours too").ok());
  ASSERT_EQ(symlink("/marker", (base_ + "/sibling/abs").c_str()), 0);
  PivotedProcess ours(root_path_), theirs(base_ + "/sibling");
  if (ours.root() < 0 || theirs.root() < 0) GTEST_SKIP() << "needs root (mount namespaces)";
  PathResolver r(ours.root());
  EXPECT_EQ(r.RootRelative(theirs.root()).value(), "");  // the name alone can not tell them apart
  auto read = [&](int start, const std::string& path) -> std::string {
    auto fd = r.Open(start, path, open_how{.flags = O_RDONLY});
    if (!fd.ok()) return "errno " + std::to_string(fd.status().err());
    return ReadAll(fd->get()).value();
  };
  EXPECT_EQ(read(theirs.root(), "marker"), "theirs");
  EXPECT_EQ(read(theirs.root(), "dir/marker"), "theirs too");
  UniqueFd their_dir(openat(theirs.root(), "dir", O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(read(their_dir.get(), "marker"), "theirs too");
  EXPECT_EQ(read(their_dir.get(), "../marker"), "theirs");
  EXPECT_EQ(read(their_dir.get(), "../../../marker"), "theirs");  // ".." stops at their root
  EXPECT_EQ(read(ours.root(), "marker"), "ours");
  // An absolute link there leads to the caller's root; under RESOLVE_NO_XDEV that jump from the
  // sibling's mount is EXDEV.
  EXPECT_EQ(read(theirs.root(), "abs"), "ours");
  EXPECT_EQ(r.Open(theirs.root(), "abs", open_how{.flags = O_RDONLY, .resolve = RESOLVE_NO_XDEV}).status().err(),
            EXDEV);
  UniqueFd our_dir(openat(ours.root(), "dir", O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(read(our_dir.get(), "marker"), "ours too");
}

TEST(SentryProcSelfFdDirTest, AForkedChildListsItsOwnFds) {
  // The directory is opened once per process: a forked child (also a raw clone, as the bind child
  // is) must not read the parent's fd table through the parent's directory.
  const int parent_dir = SentryProcSelfFdDir();
  ASSERT_GE(parent_dir, 0);
  int status = 0;
  for (bool raw : {false, true}) {
    fflush(nullptr);
    pid_t pid = raw ? static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)) : fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int only_here = open("/dev/null", O_RDONLY | O_CLOEXEC);
      int dir = SentryProcSelfFdDir();
      char buf[64] = {};
      ssize_t n = dir < 0 ? -1 : readlinkat(dir, std::to_string(only_here).c_str(), buf, sizeof(buf) - 1);
      _exit(n > 0 && std::string(buf) == "/dev/null" && SentryProcSelfFdDir() == dir ? 0 : 1);
    }
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << (raw ? "raw clone" : "fork");
  }
  EXPECT_EQ(SentryProcSelfFdDir(), parent_dir);  // the parent's stays
}

TEST_F(PathResolverTest, OpenParentSplitsLastComponent) {
  PathResolver r(root_.get());
  auto p = r.OpenParent(root_.get(), "/dir/sub/newname/");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->last, "newname");
  EXPECT_TRUE(p->trailing_slash);
  EXPECT_EQ(FdPathOf(p->dir.get()), root_path_ + "/dir/sub");
  auto q = r.OpenParent(root_.get(), "file2");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(FdPathOf(q->dir.get()), root_path_);
  EXPECT_EQ(r.OpenParent(root_.get(), "/missing/x").status().err(), ENOENT);
  EXPECT_EQ(r.OpenParent(root_.get(), "/dir/sub/up/../../..").value().last, "..");
}

// Linux re-checks the inode, not the fd's access mode: a read-only fd of a file the opener may
// write re-opens read-write; a missing fd is ENOENT (no such /proc/self/fd entry).
TEST_F(PathResolverTest, ProcSelfFdReopensCallerFdAsLinux) {
  UniqueFd ro(open((root_path_ + "/etc/passwd").c_str(), O_RDONLY | O_CLOEXEC));
  CallerView view;
  view.ns_tgid = 1;
  view.ns_tid = 1;
  view.caller_fd = [&](int n) -> Result<UniqueFd> {
    if (n != 7) return ErrnoStatus(EBADF, "no such caller fd");
    return UniqueFd(dup(ro.get()));
  };
  PathResolver r(root_.get());
  auto again = r.Open(root_.get(), "/proc/self/fd/7", open_how{.flags = O_RDONLY}, &view);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ReadAll(again->get()).value(), "inside");
  auto rw = r.Open(root_.get(), "/dev/fd/7", open_how{.flags = O_RDWR}, &view);
  ASSERT_TRUE(rw.ok()) << rw.status().ToString();
  EXPECT_EQ(fcntl(rw->get(), F_GETFL) & O_ACCMODE, O_RDWR);
  EXPECT_EQ(r.Open(root_.get(), "/proc/self/fd/8", open_how{.flags = O_RDONLY}, &view).status().err(), ENOENT);
  EXPECT_EQ(r.Open(root_.get(), "/proc/self/fd/8/x", open_how{.flags = O_RDONLY}, &view).status().err(), ENOENT);
  UniqueFd d(open(root_path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(r.Open(d.get(), "/etc/passwd", open_how{.flags = O_RDONLY, .resolve = RESOLVE_BENEATH}, &view)
                .status().err(), EXDEV);
}

// The runtime's /dev links to /proc/self (/dev/stdout -> /proc/self/fd/1, /dev/fd) mean the
// caller's fds, not the sentry's; not followed as last component they are the links themselves.
// ".." at the root does not hide /proc/self.
TEST_F(PathResolverTest, DevLinksAndDotDotBeforeProcSelf) {
  UniqueFd ro(open((root_path_ + "/etc/passwd").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(MkdirAll(root_path_ + "/dev").ok());
  Link("/proc/self/fd/1", "dev/stdout");
  CallerView view;
  view.ns_tgid = 1;
  view.ns_tid = 1;
  view.caller_fd = [&](int n) -> Result<UniqueFd> {
    if (n != 1) return ErrnoStatus(EBADF, "no such caller fd");
    return UniqueFd(dup(ro.get()));
  };
  PathResolver r(root_.get());
  auto out = r.Open(root_.get(), "/dev/stdout", open_how{.flags = O_RDONLY}, &view);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(ReadAll(out->get()).value(), "inside");
  auto link = r.Open(root_.get(), "/dev/stdout", open_how{.flags = O_PATH | O_NOFOLLOW}, &view);
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  struct stat st;
  ASSERT_EQ(fstat(link->get(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(r.Open(root_.get(), "/dev/stderr", open_how{.flags = O_RDONLY}, &view).status().err(), ENOENT);
  // "/../../proc/self/x" is rewritten like "/proc/self/x" (here: root/proc/1/x, absent).
  ASSERT_TRUE(MkdirAll(root_path_ + "/proc/1").ok());
  ASSERT_TRUE(WriteFile(root_path_ + "/proc/1/status", "caller").ok());
  auto st1 = r.Open(root_.get(), "/../../proc/self/status", open_how{.flags = O_RDONLY}, &view);
  ASSERT_TRUE(st1.ok()) << st1.status().ToString();
  EXPECT_EQ(ReadAll(st1->get()).value(), "caller");
}

// A start directory without a name (deleted; Linux still walks from it) is walked from directly;
// one outside the root stays refused, deleted or not.
TEST_F(PathResolverTest, DeletedStartDirectory) {
  ASSERT_TRUE(MkdirAll(root_path_ + "/dir/gone").ok());
  UniqueFd gone(open((root_path_ + "/dir/gone").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(rmdir((root_path_ + "/dir/gone").c_str()), 0);
  PathResolver r(root_.get());
  auto self = r.Open(gone.get(), ".", open_how{.flags = O_PATH});
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  struct stat st;
  ASSERT_EQ(fstat(self->get(), &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  auto up = r.Open(gone.get(), "../file", open_how{.flags = O_RDONLY});
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(FdPathOf(up->get()), root_path_ + "/dir/file");
  auto clamp = r.Open(gone.get(), "../../../../../../etc/passwd", open_how{.flags = O_RDONLY});
  ASSERT_TRUE(clamp.ok()) << clamp.status().ToString();
  EXPECT_EQ(FdPathOf(clamp->get()), root_path_ + "/etc/passwd");
  EXPECT_EQ(r.Open(gone.get(), "x", open_how{.flags = O_RDONLY}).status().err(), ENOENT);
  EXPECT_EQ(r.OpenParent(gone.get(), "newname").value().last, "newname");

  ASSERT_TRUE(MkdirAll(base_ + "/outside/gone").ok());
  UniqueFd out_gone(open((base_ + "/outside/gone").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(rmdir((base_ + "/outside/gone").c_str()), 0);
  // Outside the root, deleted or not, walked from as Linux walks (OpenOutside).
  auto out_self = r.Open(out_gone.get(), ".", open_how{.flags = O_PATH});
  ASSERT_TRUE(out_self.ok()) << out_self.status().ToString();
  ASSERT_EQ(fstat(out_self->get(), &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  auto out_up = r.Open(out_gone.get(), "../secret", open_how{.flags = O_RDONLY});
  ASSERT_TRUE(out_up.ok()) << out_up.status().ToString();
  EXPECT_EQ(ReadAll(out_up->get()).value(), "outside");
  EXPECT_EQ(r.Open(out_gone.get(), "x", open_how{.flags = O_RDONLY}).status().err(), ENOENT);
}

// "/proc/self/fd/N/name" with the caller's fd N a directory outside the root: the parent is the
// caller's own directory, as mkdirat(N, "name") would have it (and as Linux has it).
TEST_F(PathResolverTest, ParentThroughCallerFdIsTheCallersDirectory) {
  UniqueFd inside(open((root_path_ + "/dir").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd outside(open((base_ + "/outside").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  CallerView view;
  view.ns_tgid = 1;
  view.ns_tid = 1;
  view.caller_fd = [&](int n) -> Result<UniqueFd> {
    if (n == 3) return UniqueFd(dup(inside.get()));
    if (n == 4) return UniqueFd(dup(outside.get()));
    return ErrnoStatus(EBADF, "no such caller fd");
  };
  PathResolver r(root_.get());
  auto in = r.OpenParent(root_.get(), "/proc/self/fd/3/newname", &view);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(FdPathOf(in->dir.get()), root_path_ + "/dir");
  for (const char* p : {"/proc/self/fd/4/newname", "/dev/fd/4/x", "/dev/fd/4/./x"}) {
    auto out = r.OpenParent(root_.get(), p, &view);
    ASSERT_TRUE(out.ok()) << p << ": " << out.status().ToString();
    EXPECT_EQ(FdPathOf(out->dir.get()), base_ + "/outside") << p;
  }
  // Re-opening the caller's own fd as it is stays possible (it is the caller's file).
  EXPECT_TRUE(r.Open(root_.get(), "/dev/fd/4", open_how{.flags = O_PATH}, &view).ok());
}

// Regression (path_resolver_fuzz): "/proc/self/fd/N" with O_NOFOLLOW re-opened the sentry's own
// /proc/self/fd/N link. It names the caller's link in the container's /proc (absent here).
TEST_F(PathResolverTest, NofollowCallerFdLinkIsTheCallersLink) {
  UniqueFd inside(open((root_path_ + "/dir").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  CallerView view;
  view.ns_tgid = 1;
  view.ns_tid = 1;
  view.caller_fd = [&](int) -> Result<UniqueFd> { return UniqueFd(dup(inside.get())); };
  PathResolver r(root_.get());
  EXPECT_EQ(r.Open(root_.get(), "/proc/self/fd/3", open_how{.flags = O_PATH | O_NOFOLLOW}, &view)
                .status().err(), ENOENT);
  auto followed = r.Open(root_.get(), "/proc/self/fd/3", open_how{.flags = O_PATH}, &view);
  ASSERT_TRUE(followed.ok());
  EXPECT_EQ(FdPathOf(followed->get()), root_path_ + "/dir");
}

// /proc/self/{exe,cwd,root}, also spelled with the caller's pid, thread-self and task/<tid>, are
// the caller's own objects (CallerView::caller_link); the links themselves when not followed.
TEST_F(PathResolverTest, CallerMagicLinksAreTheCallersObjects) {
  CallerView view;
  view.ns_tgid = 7;
  view.ns_tid = 9;
  std::vector<std::string> asked;
  view.caller_link = [&](std::string_view name) -> Result<UniqueFd> {
    asked.emplace_back(name);
    std::string where = name == "exe" ? "/etc/passwd" : name == "cwd" ? "/dir" : "";
    return UniqueFd(open((root_path_ + where).c_str(), O_PATH | O_CLOEXEC));
  };
  PathResolver r(root_.get());
  for (const char* base : {"/proc/self", "/proc/7", "/proc/thread-self", "/proc/7/task/9",
                           "/proc/self/task/9", "/../proc/self"}) {
    SCOPED_TRACE(base);
    std::string b = base;
    auto exe = r.Open(root_.get(), b + "/exe", open_how{.flags = O_RDONLY}, &view);
    ASSERT_TRUE(exe.ok()) << exe.status().ToString();
    EXPECT_EQ(ReadAll(exe->get()).value(), "inside");
    auto file = r.Open(root_.get(), b + "/cwd/file", open_how{.flags = O_RDONLY}, &view);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    EXPECT_EQ(ReadAll(file->get()).value(), "f");
    auto root = r.Open(root_.get(), b + "/root/etc/passwd", open_how{.flags = O_RDONLY}, &view);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(ReadAll(root->get()).value(), "inside");
    // ".." below the caller's root stays at the container root.
    auto up = r.Open(root_.get(), b + "/root/../../etc/passwd", open_how{.flags = O_RDONLY}, &view);
    ASSERT_TRUE(up.ok()) << up.status().ToString();
    ExpectInside(up);
    EXPECT_EQ(r.Open(root_.get(), b + "/exe/x", open_how{.flags = O_RDONLY}, &view).status().err(), ENOTDIR);
    auto parent = r.OpenParent(root_.get(), b + "/cwd/newname", &view);
    ASSERT_TRUE(parent.ok()) << parent.status().ToString();
    EXPECT_EQ(FdPathOf(parent->dir.get()), root_path_ + "/dir");
  }
  // A trailing slash follows the link even with O_NOFOLLOW, and wants a directory (regression,
  // path_resolver_fuzz: the sentry's own /proc/self/fd link was opened).
  auto slash = r.Open(root_.get(), "/proc/self/cwd/", open_how{.flags = O_PATH | O_NOFOLLOW | O_DIRECTORY}, &view);
  ASSERT_TRUE(slash.ok()) << slash.status().ToString();
  EXPECT_EQ(FdPathOf(slash->get()), root_path_ + "/dir");
  EXPECT_EQ(r.Open(root_.get(), "/proc/self/exe/", open_how{.flags = O_RDONLY}, &view).status().err(), ENOTDIR);
  // Not followed: the caller's link in the container's /proc (absent in this tree), never the
  // object; another task's or process's links are not the caller's.
  asked.clear();
  EXPECT_EQ(r.Open(root_.get(), "/proc/self/cwd", open_how{.flags = O_PATH | O_NOFOLLOW}, &view)
                .status().err(), ENOENT);
  EXPECT_FALSE(r.Open(root_.get(), "/proc/8/exe", open_how{.flags = O_RDONLY}, &view).ok());
  EXPECT_FALSE(r.Open(root_.get(), "/proc/7/task/8/exe", open_how{.flags = O_RDONLY}, &view).ok());
  EXPECT_TRUE(asked.empty());
  // Without caller_link the links stay refused by the walk.
  view.caller_link = nullptr;
  EXPECT_FALSE(r.Open(root_.get(), "/proc/self/exe", open_how{.flags = O_RDONLY}, &view).ok());
}

// A symlink of the image into a procfs "self" (here: the host's /proc, with the resolver's root at
// "/") names the caller, not the resolving process; so do chains and links to /proc itself.
TEST(PathResolverProcTest, ImageSymlinksIntoProcSelfNameTheCaller) {
  char tmpl[] = "/tmp/see-resolver-proc-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root.valid());
  ASSERT_EQ(symlink("/proc/self", (dir + "/ps").c_str()), 0);
  ASSERT_EQ(symlink("/proc", (dir + "/proc").c_str()), 0);
  ASSERT_EQ(symlink("ps/status", (dir + "/st").c_str()), 0);
  ASSERT_EQ(symlink("../../proc/thread-self", (dir + "/ts").c_str()), 0);
  ASSERT_EQ(symlink("/proc/mounts", (dir + "/mtab").c_str()), 0);
  // The caller: our parent process (so the answer differs from the resolving process's).
  CallerView view;
  view.ns_tgid = getppid();
  view.ns_tid = getppid();
  const std::string want = "Pid:\t" + std::to_string(getppid()) + "\n";
  PathResolver r(root.get());
  for (const char* path : {"/ps/status", "/proc/self/status", "/st", "/ts/status"}) {
    SCOPED_TRACE(path);
    auto fd = r.Open(root.get(), dir + path, open_how{.flags = O_RDONLY}, &view);
    ASSERT_TRUE(fd.ok()) << fd.status().ToString();
    std::string status = ReadAll(fd->get()).value();
    EXPECT_NE(status.find(want), std::string::npos) << status.substr(0, 120);
  }
  auto mounts = r.Open(root.get(), dir + "/mtab", open_how{.flags = O_RDONLY}, &view);
  ASSERT_TRUE(mounts.ok()) << mounts.status().ToString();
  struct stat a, b;
  ASSERT_EQ(fstat(mounts->get(), &a), 0);
  ASSERT_EQ(stat(("/proc/" + std::to_string(getppid()) + "/mounts").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  // Relative to a start directory, and as a parent directory.
  UniqueFd start(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto rel = r.Open(start.get(), "ps/status", open_how{.flags = O_RDONLY}, &view);
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  EXPECT_NE(ReadAll(rel->get()).value().find(want), std::string::npos);
  auto parent = r.OpenParent(start.get(), "ps/status", &view);
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  EXPECT_EQ(FdPathOf(parent->dir.get()), "/proc/" + std::to_string(getppid()));
  // Not followed: the link itself.
  auto link = r.Open(root.get(), dir + "/ps", open_how{.flags = O_PATH | O_NOFOLLOW}, &view);
  ASSERT_TRUE(link.ok());
  ASSERT_EQ(fstat(link->get(), &a), 0);
  EXPECT_TRUE(S_ISLNK(a.st_mode));
  // Without a caller view the kernel's answer stands (the resolving process).
  auto own = r.Open(root.get(), dir + "/ps/status", open_how{.flags = O_RDONLY});
  ASSERT_TRUE(own.ok());
  EXPECT_NE(ReadAll(own->get()).value().find("Pid:\t" + std::to_string(getpid()) + "\n"), std::string::npos);
  (void)!system(("rm -rf " + dir).c_str());
}

// fs.protected_symlinks holds for an image link into /proc/self too: in a sticky world-writable
// directory the kernel refuses to follow another user's link (the /tmp attack), and the sentry's
// own walk of the link must not follow it instead (it did; found by review).
TEST(PathResolverProcTest, ProtectedSymlinksHoldForLinksIntoProcSelf) {
  ProtectedSymlinks protect;
  ASSERT_TRUE(protect.on()) << "needs root: fs.protected_symlinks";
  char tmpl[] = "/tmp/see-resolver-sticky-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_EQ(chmod(dir.c_str(), 01777), 0);
  ASSERT_EQ(symlink("/proc/self/status", (dir + "/theirs").c_str()), 0);
  ASSERT_EQ(lchown((dir + "/theirs").c_str(), 1000, 1000), 0);
  ASSERT_EQ(symlink("/proc/self/status", (dir + "/mine").c_str()), 0);
  // Reached through a plain link first, so that the walk without symlinks stops there (ELOOP)
  // before the kernel's check of the protected one.
  ASSERT_EQ(symlink(dir.c_str(), (dir + ".hop").c_str()), 0);
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  CallerView view;
  view.ns_tgid = getppid();
  view.ns_tid = getppid();
  PathResolver r(root.get());
  auto theirs = r.Open(root.get(), dir + ".hop/theirs", open_how{.flags = O_RDONLY}, &view);
  EXPECT_EQ(theirs.status().err(), EACCES) << (theirs.ok() ? ReadAll(theirs->get()).value().substr(0, 60) : "");
  EXPECT_EQ(r.Open(root.get(), dir + "/theirs", open_how{.flags = O_RDONLY}, &view).status().err(), EACCES);
  auto mine = r.Open(root.get(), dir + ".hop/mine", open_how{.flags = O_RDONLY}, &view);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_NE(ReadAll(mine->get()).value().find("Pid:\t" + std::to_string(getppid()) + "\n"), std::string::npos);
  (void)!system(("rm -rf " + dir + " " + dir + ".hop").c_str());
}

TEST(StripRootPrefixTest, ContainerViewOfSentryPaths) {
  EXPECT_EQ(StripRootPrefix("/run/c1/rootfs/bin/sh", "/run/c1/rootfs"), "/bin/sh");
  EXPECT_EQ(StripRootPrefix("/run/c1/rootfs", "/run/c1/rootfs"), "/");
  EXPECT_EQ(StripRootPrefix("/run/c1/rootfs2/x", "/run/c1/rootfs"), "/run/c1/rootfs2/x");
  EXPECT_EQ(StripRootPrefix("pipe:[42]", "/run/c1/rootfs"), "pipe:[42]");
  EXPECT_EQ(StripRootPrefix("/bin/sh", "/"), "/bin/sh");
}

// Where an object lies in its procfs (here the host's, with the resolver's root at "/"): the
// procfs root itself is a place too (below it: nothing), and neither it nor another process's
// directory is an entry of the resolving process's own threads.
TEST(PathResolverProcTest, PlacesInTheProcfsIncludeItsRoot) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root.valid());
  PathResolver r(root.get());
  UniqueFd proc(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(proc.valid());
  auto place = r.FsPlaceOf(proc.get());
  ASSERT_TRUE(place.ok()) << place.status().ToString();
  ASSERT_TRUE(place->has_value());
  EXPECT_TRUE((*place)->below.empty());
  auto own = r.IsSentryTaskEntry(proc.get());
  ASSERT_TRUE(own.ok());
  EXPECT_FALSE(*own);

  std::string self = "/proc/" + std::to_string(getpid());
  UniqueFd mine(open((self + "/status").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(mine.valid());
  place = r.FsPlaceOf(mine.get());
  ASSERT_TRUE(place.ok() && place->has_value());
  EXPECT_EQ((*place)->below, (std::vector<std::string>{std::to_string(getpid()), "status"}));
  own = r.IsSentryTaskEntry(mine.get());
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(*own);

  UniqueFd parents(open(("/proc/" + std::to_string(getppid()) + "/status").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(parents.valid());
  own = r.IsSentryTaskEntry(parents.get());
  ASSERT_TRUE(own.ok());
  EXPECT_FALSE(*own);
}

}  // namespace
}  // namespace see::sentry
