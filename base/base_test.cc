#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/child_process.h"
#include "base/cleanup.h"
#include "base/fd_passing.h"
#include "base/proc_tables.h"
#include "base/sha256.h"
#include "base/unix_address.h"
#include "base/file_util.h"
#include "base/logging.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace see {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  SEE_ASSIGN_OR_RETURN(int h, Half(x));
  *out = h;
  return Status::Ok();
}

TEST(StatusTest, WrapKeepsCodeAndErrno) {
  Status s = ErrnoStatus(ENOENT, "open /x");
  EXPECT_EQ(s.code(), Code::kNotFound);
  Status w = s.Wrap("loading");
  EXPECT_EQ(w.message(), "loading: open /x");
  EXPECT_EQ(w.err(), ENOENT);
  EXPECT_NE(w.ToString().find("No such file"), std::string::npos);
}

TEST(StatusTest, AssignOrReturnPropagates) {
  int out = 0;
  EXPECT_TRUE(UseHalf(4, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = UseHalf(3, &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(out, 2);
}

TEST(UniqueFdTest, ClosesOnDestructionAndMove) {
  int raw;
  {
    UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    raw = a.get();
    ASSERT_GE(raw, 0);
    UniqueFd b = std::move(a);
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(ChildProcessTest, DestructorKillsAndReaps) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  { ChildProcess child(pid); }
  // Reaped already: waitpid has nothing to collect.
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ChildProcessTest, WaitReportsExitCode) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(7);
  ChildProcess child(pid);
  auto st = child.Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(ExitCodeFromWaitStatus(*st), 7);
  EXPECT_FALSE(child.valid());
}

TEST(ChildProcessTest, ReleaseLeavesChildAlive) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  {
    ChildProcess child(pid);
    EXPECT_EQ(child.Release(), pid);
  }
  EXPECT_EQ(::kill(pid, 0), 0);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

TEST(CleanupTest, RunsUnlessReleased) {
  int n = 0;
  { Cleanup c([&] { n++; }); }
  EXPECT_EQ(n, 1);
  {
    Cleanup c([&] { n++; });
    c.Release();
  }
  EXPECT_EQ(n, 1);
  std::string order;
  {
    UndoStack u;
    u.Push([&] { order += "a"; });
    u.Push([&] { order += "b"; });
  }
  EXPECT_EQ(order, "ba");
}

TEST(FileUtilTest, WriteReadMkdirAll) {
  auto dir = std::filesystem::temp_directory_path() / ("see-base-test-" + std::to_string(getpid()));
  Cleanup rm([&] { std::filesystem::remove_all(dir); });
  ASSERT_TRUE(MkdirAll((dir / "a/b/c").string()).ok());
  ASSERT_TRUE(MkdirAll((dir / "a/b/c").string()).ok());
  ASSERT_TRUE(WriteFileAtomic((dir / "a/f").string(), "hello").ok());
  auto r = ReadFile((dir / "a/f").string());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "hello");
  EXPECT_EQ(ReadFile((dir / "nope").string()).status().code(), Code::kNotFound);
  EXPECT_FALSE(MkdirAll((dir / "a/f/x").string()).ok());
}

TEST(LoggingTest, JsonLinesMatchRuncShape) {
  auto path = std::filesystem::temp_directory_path() / ("see-log-" + std::to_string(getpid()));
  Cleanup rm([&] { std::filesystem::remove(path); });
  ASSERT_TRUE(InitLogging({path.string(), LogFormat::kJson, spdlog::level::info, "t"}).ok());
  spdlog::error("bad \"thing\"\n");
  spdlog::debug("hidden");
  spdlog::default_logger()->flush();
  auto r = ReadFile(path.string());
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->find(R"("level":"error")"), std::string::npos) << *r;
  EXPECT_NE(r->find(R"("msg":"bad \"thing\"\n")"), std::string::npos) << *r;
  EXPECT_EQ(r->find("hidden"), std::string::npos);
  ASSERT_TRUE(InitLogging({}).ok());
}

TEST(FdPassingTest, SendsDataAndSeveralFds) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd r(p[0]), w(p[1]);
  int fds[] = {r.get(), w.get()};
  ASSERT_EQ(SendWithFds(a.get(), "hello", 5, fds, 2), 0);
  auto m = RecvWithFds(b.get(), 64, 4);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data, "hello");
  ASSERT_EQ(m->fds.size(), 2u);
  // The received write end reaches the original read end.
  ASSERT_EQ(write(m->fds[1].get(), "x", 1), 1);
  char c = 0;
  ASSERT_EQ(read(r.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
  EXPECT_TRUE(fcntl(m->fds[0].get(), F_GETFD) & FD_CLOEXEC);
}

TEST(FdPassingTest, TooManyFdsIsAnErrorAndNothingLeaks) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  int fds[] = {0, 1, 2};
  ASSERT_EQ(SendWithFds(a.get(), "x", 1, fds, 3), 0);
  auto m = RecvWithFds(b.get(), 8, 1);
  EXPECT_FALSE(m.ok());
  EXPECT_EQ(SendWithFds(a.get(), "", 0, nullptr, 0), -EINVAL);
}

TEST(FdPassingTest, EofIsNotFound) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  a.Reset();
  auto m = RecvWithFds(b.get(), 8, 1);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Code::kNotFound);
}

TEST(UnixAddressTest, LongPathsBindAndConnectThroughTheDirFd) {
  char tmpl[] = "/tmp/see-unix-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string deep = dir + "/" + std::string(60, 'a') + "/" + std::string(60, 'b');
  ASSERT_TRUE(MkdirAll(deep, 0700).ok());
  std::string path = deep + "/s.sock";
  ASSERT_GT(path.size(), sizeof(sockaddr_un::sun_path));
  auto a = MakeUnixAddress(path);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  UniqueFd server(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(bind(server.get(), reinterpret_cast<sockaddr*>(&a->addr), a->len), 0) << strerror(errno);
  ASSERT_EQ(listen(server.get(), 1), 0);
  struct stat st{};
  EXPECT_EQ(stat(path.c_str(), &st), 0);  // the socket is where the long path says
  auto b = MakeUnixAddress(path);
  ASSERT_TRUE(b.ok());
  UniqueFd client(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&b->addr), b->len), 0);
  EXPECT_FALSE(MakeUnixAddress("").ok());
  std::filesystem::remove_all(dir);
}

TEST(Sha256Test, KnownVectors) {
  // FIPS 180-4 examples and the padding edge cases (55, 56 and 64 bytes).
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Sha256Hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Sha256Hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ProcTablesTest, MountinfoFieldsAreUnescapedAndMalformedLinesSkipped) {
  auto m = ParseMountinfo(
      "36 25 0:31 /docker/a\\040b /sys/fs/cgroup/devices rw,nosuid shared:1 - cgroup cg\\134x rw,freezer,devices\n"
      "garbage\n"
      "1 2 3 - short\n"
      "30 25 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].root, "/docker/a b");
  EXPECT_EQ(m[0].mount_point, "/sys/fs/cgroup/devices");
  EXPECT_EQ(m[0].fstype, "cgroup");
  EXPECT_EQ(m[0].source, "cg\\x");
  EXPECT_EQ(m[0].super_options, "rw,freezer,devices");
  EXPECT_EQ(m[1].fstype, "cgroup2");
}

TEST(ProcTablesTest, ProcCgroupLines) {
  auto c = ParseProcCgroup("4:freezer,devices:/a:b\n0::/u\nbad\n1:name=systemd:/\n");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].id, "4");
  EXPECT_EQ(c[0].controllers, (std::vector<std::string>{"freezer", "devices"}));
  EXPECT_EQ(c[0].path, "/a:b");
  EXPECT_EQ(c[1].id, "0");
  EXPECT_TRUE(c[1].controllers.empty());
  EXPECT_EQ(c[1].path, "/u");
  EXPECT_EQ(c[2].controllers, (std::vector<std::string>{"name=systemd"}));
}

}  // namespace
}  // namespace see
