#include "sentry-lite/fs/path_resolver.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
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
  // A start directory outside the root is refused, not followed.
  UniqueFd out(open((base_ + "/outside").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(Open("secret", O_RDONLY, out.get()).status().err(), ENOENT);
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
  EXPECT_EQ(r.Open(out_gone.get(), ".", open_how{.flags = O_PATH}).status().err(), ENOENT);
  EXPECT_EQ(r.Open(out_gone.get(), "../secret", open_how{.flags = O_RDONLY}).status().err(), ENOENT);
  UniqueFd outside(open((base_ + "/outside").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(r.Open(outside.get(), "secret", open_how{.flags = O_RDONLY}).status().err(), ENOENT);
}

// Regression (path_resolver_fuzz): "/proc/self/fd/N/name" with the caller's fd N a directory
// outside the root gave OpenParent a parent outside the root.
TEST_F(PathResolverTest, ParentThroughCallerFdMustBeInsideRoot) {
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
  EXPECT_EQ(r.OpenParent(root_.get(), "/proc/self/fd/4/newname", &view).status().err(), ENOENT);
  EXPECT_EQ(r.OpenParent(root_.get(), "/dev/fd/4/x", &view).status().err(), ENOENT);
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
