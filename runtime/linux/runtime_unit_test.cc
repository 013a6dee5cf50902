// Unit tests of the pure or self-contained pieces of see_runtime.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "runtime/linux/capabilities.h"
#include "runtime/linux/hooks.h"
#include "runtime/linux/mounts.h"
#include "runtime/linux/proc_util.h"
#include "runtime/linux/process_setup.h"
#include "runtime/linux/seccomp.h"
#include "runtime/linux/signals.h"
#include "runtime/linux/state.h"
#include "runtime/linux/sync.h"

namespace see::runtime {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/see-rt-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(SignalsTest, ParsesNamesAndNumbers) {
  EXPECT_EQ(*ParseSignal("KILL"), SIGKILL);
  EXPECT_EQ(*ParseSignal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*ParseSignal("sigusr1"), SIGUSR1);
  EXPECT_EQ(*ParseSignal("9"), 9);
  EXPECT_EQ(*ParseSignal("RTMIN+1"), SIGRTMIN + 1);
  EXPECT_FALSE(ParseSignal("0").ok());
  EXPECT_FALSE(ParseSignal("NOPE").ok());
  EXPECT_FALSE(ParseSignal("").ok());
  EXPECT_FALSE(ParseSignal("9x").ok());
}

TEST(StateTest, RoundTripsThroughJson) {
  ContainerState s;
  s.id = "c1";
  s.init_pid = 1234;
  s.init_start_time = 987654321;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2024-01-01T00:00:00.5Z";
  s.cgroup_path = "/see/c1";
  s.own_pid_ns = true;
  s.annotations = {{"a", "b"}};
  auto back = StateFromJson(StateToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, "c1");
  EXPECT_EQ(back->init_pid, 1234);
  EXPECT_EQ(back->init_start_time, 987654321u);
  EXPECT_EQ(back->cgroup_path, "/see/c1");
  EXPECT_TRUE(back->own_pid_ns);
  EXPECT_EQ(back->annotations.at("a"), "b");
  EXPECT_FALSE(StateFromJson("{").ok());
}

TEST(StateTest, SaveAndLoadUnderDirectory) {
  TempDir d;
  ContainerState s;
  s.id = "x";
  s.created = NowRfc3339Nano();
  ASSERT_TRUE(SaveState(d.path(), s).ok());
  auto back = LoadState(d.path());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->created, s.created);
  EXPECT_EQ(LoadState(d.path() + "/missing").status().code(), Code::kNotFound);
  auto lock = ContainerLock::Acquire(d.path());
  EXPECT_TRUE(lock.ok());
}

TEST(StateTest, RuncStateShape) {
  ContainerState s;
  s.id = "c";
  s.init_pid = 42;
  s.bundle = "/b";
  auto j = nlohmann::json::parse(RuncStateJson(s, ContainerStatus::kRunning));
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["pid"], 42);
  EXPECT_EQ(j["ociVersion"], "1.0.2");
  auto stopped = nlohmann::json::parse(RuncStateJson(s, ContainerStatus::kStopped));
  EXPECT_EQ(stopped["pid"], 0);
  EXPECT_EQ(stopped["status"], "stopped");
}

TEST(StateTest, ValidatesIds) {
  EXPECT_TRUE(ValidateContainerId("abc-1_2.3+x").ok());
  EXPECT_FALSE(ValidateContainerId("").ok());
  EXPECT_FALSE(ValidateContainerId("..").ok());
  EXPECT_FALSE(ValidateContainerId("a/b").ok());
  EXPECT_FALSE(ValidateContainerId("a b").ok());
}

TEST(ProcTest, ParsesStatWithHostileComm) {
  std::string line = "123 (a) b) (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 19 20";
  auto st = ParseProcStat(line);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->start_time, 4242u);
  EXPECT_FALSE(ParseProcStat("garbage").ok());
}

TEST(ProcTest, DetectsRecycledPid) {
  auto self = ReadProcStat(getpid());
  ASSERT_TRUE(self.ok());
  EXPECT_TRUE(IsProcessAlive(getpid(), self->start_time));
  EXPECT_FALSE(IsProcessAlive(getpid(), self->start_time + 1));
  EXPECT_FALSE(OpenVerifiedPidfd(getpid(), self->start_time + 1).ok());
  EXPECT_TRUE(OpenVerifiedPidfd(getpid(), self->start_time).ok());
}

TEST(SyncTest, PassesMessagesAndFds) {
  UniqueFd a, b;
  ASSERT_TRUE(MakeSyncPair(&a, &b).ok());
  UniqueFd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(SendSync(a.get(), SyncType::kPid, "77", devnull.get()).ok());
  auto m = RecvSync(b.get());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, SyncType::kPid);
  EXPECT_EQ(m->payload, "77");
  EXPECT_TRUE(m->fd.valid());
  ASSERT_TRUE(SendSync(a.get(), SyncType::kError, "boom").ok());
  auto e = ExpectSync(b.get(), SyncType::kReady);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("boom"), std::string::npos);
  a.Reset();
  EXPECT_EQ(RecvSync(b.get()).status().code(), Code::kNotFound);
}

// The init sends its last messages under the container's seccomp filter; allowlist profiles
// often lack sendmsg, so fd-less messages must not need it.
TEST(SyncTest, FdlessMessagesDoNotNeedSendmsg) {
  oci::Seccomp p;
  p.default_action = oci::SeccompAction::kAllow;
  oci::SeccompSyscall rule;
  rule.names = {"sendmsg"};
  rule.action = oci::SeccompAction::kErrno;
  rule.errno_ret = EPERM;
  p.syscalls.push_back(rule);
  auto f = BuildSeccompFilter(p);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  UniqueFd a, b;
  ASSERT_TRUE(MakeSyncPair(&a, &b).ok());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (!f->Load().ok()) _exit(10);
    _exit(SendSync(a.get(), SyncType::kReady, "ready").ok() ? 0 : 11);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto m = ExpectSync(b.get(), SyncType::kReady);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->payload, "ready");
}

// Hostile image: symlinks pointing out of the rootfs must resolve inside it.
TEST(MountsTest, ResolutionStaysInsideRoot) {
  TempDir outside, root;
  ASSERT_EQ(symlink(outside.path().c_str(), (root.path() + "/escape").c_str()), 0);
  ASSERT_EQ(symlink("../../../../../../", (root.path() + "/up").c_str()), 0);
  ASSERT_EQ(symlink("/nonexistent/target", (root.path() + "/dangling").c_str()), 0);
  UniqueFd rfd(open(root.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(rfd.valid());

  auto a = MakeMountpoint(rfd.get(), "/escape/sub/dir", true);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // Created under <root><outside>/sub/dir, never under the real outside dir.
  EXPECT_FALSE(fs::exists(outside.path() + "/sub"));
  EXPECT_TRUE(fs::is_directory(root.path() + outside.path() + "/sub/dir"));

  auto b = MakeMountpoint(rfd.get(), "/up/etc/file", false);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(fs::is_regular_file(root.path() + "/etc/file"));

  // A dangling symlink as the final component of a file mountpoint is refused, not followed.
  auto c = MakeMountpoint(rfd.get(), "/dangling", false);
  EXPECT_FALSE(c.ok());
  EXPECT_FALSE(fs::exists("/nonexistent/target"));

  auto d = OpenInRoot(rfd.get(), "/../../escape", O_PATH);
  ASSERT_TRUE(d.ok());
  char buf[4096];
  ssize_t n = readlink(FdPath(d->get()).c_str(), buf, sizeof(buf) - 1);
  ASSERT_GT(n, 0);
  std::string resolved(buf, static_cast<size_t>(n));
  EXPECT_EQ(resolved.rfind(root.path(), 0), 0u) << resolved;
}

TEST(CapabilitiesTest, ComputesBitSets) {
  oci::Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_KILL"};
  caps.effective = {"CAP_KILL"};
  caps.ambient = {"CAP_NET_BIND_SERVICE"};
  auto sets = ComputeCapSets(caps, LastCap());
  ASSERT_TRUE(sets.ok());
  EXPECT_EQ(sets->bounding, (1ull << 0) | (1ull << 5));
  EXPECT_EQ(sets->effective, 1ull << 5);
  EXPECT_EQ(sets->ambient, 1ull << 10);
  EXPECT_EQ(sets->permitted, 0u);
  caps.permitted = {"CAP_BOGUS"};
  auto bad = ComputeCapSets(caps, LastCap());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("permitted"), std::string::npos);
  // A capability above the kernel's last one is dropped, not an error.
  oci::Capabilities high;
  high.bounding = {"CAP_CHECKPOINT_RESTORE"};
  auto h = ComputeCapSets(high, 30);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->bounding, 0u);
}

TEST(SeccompTest, FilterDeniesWhatTheProfileSays) {
  oci::Seccomp p;
  p.default_action = oci::SeccompAction::kAllow;
  oci::SeccompSyscall rule;
  rule.names = {"getppid", "no_such_syscall_xyz"};
  rule.action = oci::SeccompAction::kErrno;
  rule.errno_ret = 42;
  p.syscalls.push_back(rule);
  oci::SeccompSyscall masked;
  masked.names = {"personality"};
  masked.action = oci::SeccompAction::kErrno;
  masked.errno_ret = 43;
  masked.args = {{0, 0xff, 0x08, oci::SeccompOp::kMaskedEqual}};
  p.syscalls.push_back(masked);
  auto f = BuildSeccompFilter(p);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto bpf = f->ExportBpf();
  ASSERT_TRUE(bpf.ok());
  EXPECT_GT(bpf->size(), 0u);
  EXPECT_FALSE(f->uses_notify());

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (!f->Load().ok()) _exit(10);
    errno = 0;
    long r = syscall(SYS_getppid);
    if (r != -1 || errno != 42) _exit(11);
    errno = 0;
    r = syscall(SYS_personality, 0x0008);
    if (r != -1 || errno != 43) _exit(12);
    r = syscall(SYS_personality, 0xffffffff);  // query: mask does not match
    if (r == -1) _exit(13);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, RejectsUnknownArchAndFlag) {
  oci::Seccomp p;
  p.architectures = {"SCMP_ARCH_BOGUS"};
  EXPECT_FALSE(BuildSeccompFilter(p).ok());
  oci::Seccomp q;
  q.flags = {"SECCOMP_FILTER_FLAG_BOGUS"};
  EXPECT_FALSE(BuildSeccompFilter(q).ok());
  oci::Seccomp n;
  n.default_action = oci::SeccompAction::kAllow;
  oci::SeccompSyscall r;
  r.names = {"getppid"};
  r.action = oci::SeccompAction::kNotify;
  n.syscalls.push_back(r);
  auto f = BuildSeccompFilter(n);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->uses_notify());
}

TEST(HooksTest, PassesStateOnStdinAndReportsFailure) {
  TempDir d;
  std::string out = d.path() + "/out";
  oci::Hook h;
  h.path = "/bin/sh";
  h.args = {"sh", "-c", "cat > " + out + "; echo \"$FOO\" >> " + out};
  h.env = {"FOO=bar"};
  ASSERT_TRUE(RunHook(h, "{\"id\":\"x\"}", "prestart").ok());
  EXPECT_EQ(*ReadFile(out), "{\"id\":\"x\"}bar\n");

  oci::Hook bad;
  bad.path = "/bin/sh";
  bad.args = {"sh", "-c", "exit 3"};
  Status st = RunHook(bad, "{}", "poststart");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/bin/sh"), std::string::npos);
  EXPECT_NE(st.message().find("exit status 3"), std::string::npos);

  oci::Hook missing;
  missing.path = "/nonexistent/hook";
  EXPECT_FALSE(RunHook(missing, "{}", "prestart").ok());
}

TEST(HooksTest, KillsHookOnTimeout) {
  TempDir d;
  std::string pidfile = d.path() + "/pid";
  oci::Hook h;
  h.path = "/bin/sh";
  h.args = {"sh", "-c", "echo $$ > " + pidfile + "; exec sleep 100"};
  h.timeout = 1;
  Status st = RunHook(h, "{}", "createRuntime");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kDeadlineExceeded);
  auto pid_text = ReadFile(pidfile);
  ASSERT_TRUE(pid_text.ok());
  pid_t pid = std::atoi(pid_text->c_str());
  ASSERT_GT(pid, 0);
  // Reaped: no such process any more.
  EXPECT_NE(kill(pid, 0), 0);
}

TEST(ProcessSetupTest, EnvDefaultsAndLookPath) {
  auto env = BuildEnv({"A=1"}, 1000, "root:x:0:0::/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n");
  EXPECT_NE(std::find(env.begin(), env.end(), "HOME=/home/u"), env.end());
  bool has_path = false;
  for (const auto& e : env) has_path |= e.rfind("PATH=", 0) == 0;
  EXPECT_TRUE(has_path);
  auto keep = BuildEnv({"HOME=/x", "PATH=/p"}, 0, "");
  EXPECT_EQ(keep.size(), 2u);

  auto sh = LookPath("sh", {"PATH=/nonexistent:/bin"});
  ASSERT_TRUE(sh.ok());
  EXPECT_EQ(*sh, "/bin/sh");
  EXPECT_FALSE(LookPath("sh", {"PATH=/nonexistent"}).ok());
  EXPECT_TRUE(LookPath("/bin/sh", {}).ok());
  EXPECT_FALSE(LookPath("/etc/passwd", {}).ok());
}

}  // namespace
}  // namespace see::runtime
