// End-to-end tests of build/bin/runsee on a tiny busybox rootfs. Need root, cgroups and
// namespaces (label: integration). Every test also checks that nothing is left behind.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "runtime/linux/container.h"
#include "sentry-lite/sentry/control_protocol.h"

namespace see::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kRunsee = SEE_RUNSEE_BIN;

struct RunResult {
  int code = -1;
  std::string out, err;
};

class IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    // Like containerd's shim: orphaned container processes are reparented to us.
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    char tmpl[] = "/tmp/see-rt-it-XXXXXX";
    dir_ = mkdtemp(tmpl);
    root_ = dir_ + "/state";
    bundle_ = dir_ + "/bundle";
    std::string rootfs = bundle_ + "/rootfs";
    fs::create_directories(rootfs + "/bin");
    fs::create_directories(rootfs + "/etc");
    fs::copy_file("/bin/busybox", rootfs + "/bin/busybox");
    for (const char* applet : {"sh", "sleep", "cat", "echo", "ls", "id", "hostname", "true",
                               "false", "ps", "env", "pwd", "touch", "readlink", "grep", "wc"}) {
      fs::create_symlink("busybox", rootfs + "/bin/" + applet);
    }
    ASSERT_TRUE(WriteFile(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n").ok());
    RunResult r = Runsee({"spec", "--bundle", bundle_});
    ASSERT_EQ(r.code, 0) << r.err;
    spec_ = json::parse(*ReadFile(bundle_ + "/config.json"));
    spec_["process"]["terminal"] = false;
    spec_["root"]["readonly"] = false;
    SetArgs({"sleep", "100"});
    fds_before_ = CountFds();
  }

  void TearDown() override {
    if (dir_.empty()) return;
    // Leak checks: no mount of the bundle, no state.
    auto mountinfo = ReadFile("/proc/self/mountinfo");
    ASSERT_TRUE(mountinfo.ok());
    EXPECT_EQ(mountinfo->find(bundle_), std::string::npos) << "a mount of the bundle leaked";
    for (const auto& c : cgroup_dirs_) EXPECT_FALSE(fs::exists(c)) << c << " leaked";
    if (fs::exists(root_)) {
      EXPECT_TRUE(fs::is_empty(root_)) << "state left under " << root_;
    }
    EXPECT_EQ(CountFds(), fds_before_) << "fd leak in the test process";
    // A pod init's server may still be unlinking its socket as it exits: retry, never throw.
    std::error_code ec;
    for (int i = 0; i < 100 && fs::remove_all(dir_, ec) == static_cast<std::uintmax_t>(-1); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(fs::exists(dir_)) << ec.message();
  }

  void SetArgs(std::vector<std::string> args) {
    spec_["process"]["args"] = args;
    WriteSpec();
  }
  void WriteSpec() { ASSERT_TRUE(WriteFile(bundle_ + "/config.json", spec_.dump()).ok()); }

  static int CountFds() {
    int n = 0;
    for (auto it = fs::directory_iterator("/proc/self/fd"); it != fs::directory_iterator(); ++it) ++n;
    return n;
  }

  // Runs runsee with stdout/stderr in files (a container init would keep pipes open).
  RunResult Runsee(std::vector<std::string> args, const std::string& stdin_data = "") {
    std::vector<std::string> full = {kRunsee, "--root", root_};
    full.insert(full.end(), args.begin(), args.end());
    std::string out = dir_ + "/out", err = dir_ + "/err", in = dir_ + "/in";
    (void)WriteFile(in, stdin_data);
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      int i = open(in.c_str(), O_RDONLY);
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(i, 0);
      dup2(o, 1);
      dup2(e, 2);
      execv(kRunsee, argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = ReadFile(out).value();
    r.err = ReadFile(err).value();
    return r;
  }

  json State(const std::string& id) {
    RunResult r = Runsee({"state", id});
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  // Records the container's cgroup dirs so TearDown can check they are gone.
  void RememberCgroup(const std::string& id) {
    auto st = ReadFile(root_ + "/" + id + "/state.json");
    ASSERT_TRUE(st.ok());
    std::string path = json::parse(*st)["cgroup_path"];
    for (const char* c : {"pids", "memory", "freezer", "cpu,cpuacct"}) {
      std::string d = std::string("/sys/fs/cgroup/") + c + path;
      if (fs::exists(d)) cgroup_dirs_.push_back(d);
    }
    ASSERT_FALSE(cgroup_dirs_.empty());
  }

  void WaitStatus(const std::string& id, const std::string& want) {
    for (int i = 0; i < 500; ++i) {
      if (State(id)["status"] == want) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << id << " never reached " << want;
  }

  std::string dir_, root_, bundle_;
  json spec_;
  int fds_before_ = 0;
  std::vector<std::string> cgroup_dirs_;
};

TEST_F(IntegrationTest, FullLifecycle) {
  std::string pidfile = dir_ + "/pid";
  RunResult r = Runsee({"create", "--bundle", bundle_, "--pid-file", pidfile, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  RememberCgroup("c1");
  json st = State("c1");
  EXPECT_EQ(st["status"], "created");
  EXPECT_EQ(st["id"], "c1");
  EXPECT_EQ(st["bundle"], bundle_);
  int pid = st["pid"];
  EXPECT_EQ(std::to_string(pid), *ReadFile(pidfile));
  EXPECT_EQ(Runsee({"create", "--bundle", bundle_, "c1"}).code, 1);  // id exists
  // list names the owner as runc does ("root"), unlike state.
  r = Runsee({"list", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json list = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(list.is_array() && list.size() == 1) << r.out;
  EXPECT_EQ(list[0]["id"], "c1");
  EXPECT_EQ(list[0]["owner"], "root");

  r = Runsee({"start", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(State("c1")["status"], "running");
  EXPECT_NE(Runsee({"start", "c1"}).code, 0);

  r = Runsee({"exec", "c1", "sh", "-c", "echo hello; exit 3"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.out, "hello\n");
  // Repeated value options take one value each and leave <id> and the command alone.
  r = Runsee({"exec", "--env", "FOO=bar", "-e", "BAR=baz", "--cwd", "/etc", "--cap", "CAP_KILL",
              "c1", "sh", "-c", "echo $FOO $BAR $(pwd)"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "bar baz /etc\n");

  r = Runsee({"ps", "--format", "json", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  json pids = json::parse(r.out);
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_EQ(pids[0], pid);

  ASSERT_EQ(Runsee({"pause", "c1"}).code, 0);
  EXPECT_EQ(State("c1")["status"], "paused");
  EXPECT_NE(Runsee({"delete", "c1"}).code, 0);
  ASSERT_EQ(Runsee({"resume", "c1"}).code, 0);
  EXPECT_EQ(State("c1")["status"], "running");

  r = Runsee({"update", "--pids-limit", "77", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& d : cgroup_dirs_) {
    if (d.find("/pids/") != std::string::npos) {
      EXPECT_EQ(*ReadFile(d + "/pids.max"), "77\n");
    }
  }
  r = Runsee({"events", "--stats", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["type"], "stats");

  EXPECT_NE(Runsee({"delete", "c1"}).code, 0);  // running
  ASSERT_EQ(Runsee({"kill", "c1", "KILL"}).code, 0);
  WaitStatus("c1", "stopped");
  EXPECT_NE(Runsee({"kill", "c1", "TERM"}).code, 0);
  r = Runsee({"delete", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(Runsee({"state", "c1"}).code, 0);
  // We are the subreaper (like the shim): the init was reparented to us and is gone.
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

// A created container's init waits for `start` in a pid namespace a sibling may share, holding
// what its program will not (the sentry's socket, capabilities). A process with the same ids and
// the same capabilities (root of a sibling with the spec's set) must not be able to ptrace it or
// open its memory: it is not dumpable until the program's execve (found by review; runc's init is
// not dumpable either, CVE-2016-9962).
TEST_F(IntegrationTest, ACreatedInitCanNotBeTracedByAnEqualProcess) {
  RunResult r = Runsee({"create", "--bundle", bundle_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  RememberCgroup("c1");
  int pid = State("c1")["pid"];
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status").value();
  size_t at = status.find("CapPrm:\t");
  ASSERT_NE(at, std::string::npos);
  uint64_t prm = std::stoull(status.substr(at + 8, 16), nullptr, 16);
  pid_t child = fork();
  if (child == 0) {
    __user_cap_header_struct head{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct caps[2]{};
    caps[0].permitted = caps[0].effective = static_cast<uint32_t>(prm);
    caps[1].permitted = caps[1].effective = static_cast<uint32_t>(prm >> 32);
    if (syscall(SYS_capset, &head, caps) != 0) _exit(10);
    int rc = 0;
    if (ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) == 0) rc |= 1;
    int fd = open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) rc |= 2;
    // A read-mode access too (Yama's ptrace_scope restricts attach only).
    char buf[64];
    if (readlink(("/proc/" + std::to_string(pid) + "/root").c_str(), buf, sizeof(buf)) > 0) rc |= 4;
    _exit(rc);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus)) << wstatus;
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "1: ptrace attached, 2: /proc/PID/mem opened, 4: its root "
                                         "link read, 10: capset";
  r = Runsee({"delete", "--force", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(IntegrationTest, RunForegroundReturnsExitCode) {
  SetArgs({"sh", "-c", "test \"$(hostname)\" = see-host && exit 7"});
  spec_["hostname"] = "see-host";
  WriteSpec();
  RunResult r = Runsee({"run", "--bundle", bundle_, "r1"});
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_NE(Runsee({"state", "r1"}).code, 0);
}

TEST_F(IntegrationTest, CreateFailureRollsBack) {
  SetArgs({"/no/such/binary"});
  RunResult r = Runsee({"--log-format", "json", "--log", dir_ + "/log.json", "create", "--bundle",
                        bundle_, "bad"});
  EXPECT_EQ(r.code, 1);
  auto log = ReadFile(dir_ + "/log.json");
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("\"level\":\"error\""), std::string::npos) << *log;
  EXPECT_NE(log->find("/no/such/binary"), std::string::npos) << *log;
  EXPECT_FALSE(fs::exists(root_ + "/bad"));
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/pids/see/bad"));
}

TEST_F(IntegrationTest, NoHostFdOrCwdReachesTheContainer) {
  // The test process holds extra fds; none may appear in the container (only 0-2 and ls's own).
  UniqueFd leak(open("/etc/hostname", O_RDONLY));  // deliberately without O_CLOEXEC
  SetArgs({"sh", "-c", "ls /proc/self/fd | wc -l; pwd"});
  spec_["process"]["cwd"] = "/work/dir";
  WriteSpec();
  RunResult r = Runsee({"run", "--bundle", bundle_, "fds"});
  ASSERT_EQ(r.code, 0) << r.err;
  // 0,1,2 and the directory fd ls opens.
  EXPECT_EQ(r.out, "4\n/work/dir\n");
}

TEST_F(IntegrationTest, HostileSymlinkCannotRedirectMounts) {
  std::string outside = dir_ + "/outside";
  fs::create_directories(outside);
  fs::create_symlink(outside, bundle_ + "/rootfs/evil");
  spec_["mounts"].push_back({{"destination", "/evil/sub"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                             {"options", {"nosuid"}}});
  SetArgs({"true"});
  RunResult r = Runsee({"run", "--bundle", bundle_, "evil"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(outside + "/sub"));
}

TEST_F(IntegrationTest, NothingButLxcfsFilesIsMountedInsideProc) {
  // As runc: a bind over /proc/<pid> (or the files under it) is refused with a clear error, also
  // when an image symlink leads there; lxcfs's files may be bound over /proc's.
  std::string src = dir_ + "/src";
  fs::create_directories(src);
  ASSERT_TRUE(WriteFile(dir_ + "/meminfo", "MemTotal:       1024 kB\n").ok());
  fs::create_symlink("/proc", bundle_ + "/rootfs/p");
  SetArgs({"true"});
  for (const char* dest : {"/proc/1", "/proc/self/", "/p/1", "/proc/sys/kernel", "/proc/./1"}) {
    SCOPED_TRACE(dest);
    json saved = spec_["mounts"];
    spec_["mounts"].push_back({{"destination", dest}, {"type", "bind"}, {"source", src}, {"options", {"rbind"}}});
    WriteSpec();
    RunResult r = Runsee({"run", "--bundle", bundle_, "procbind"});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("is inside /proc"), std::string::npos) << r.err;
    spec_["mounts"] = saved;
  }
  // Nor a cgroup file system there (mounted by another path).
  {
    json saved = spec_["mounts"];
    spec_["mounts"].push_back({{"destination", "/proc/1"}, {"type", "cgroup"}, {"source", "cgroup"}});
    WriteSpec();
    RunResult r = Runsee({"run", "--bundle", bundle_, "procbind"});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("is inside /proc"), std::string::npos) << r.err;
    spec_["mounts"] = saved;
  }
  // On /proc itself only a procfs (or a bind of one), also when a bind says type "proc".
  for (const char* type : {"bind", "proc"}) {
    SCOPED_TRACE(type);
    json saved = spec_["mounts"];
    spec_["mounts"].push_back({{"destination", "/proc"}, {"type", type}, {"source", src}, {"options", {"rbind"}}});
    WriteSpec();
    RunResult r = Runsee({"run", "--bundle", bundle_, "procbind"});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("only a procfs may be mounted on /proc"), std::string::npos) << r.err;
    spec_["mounts"] = saved;
  }
  spec_["mounts"].push_back(
      {{"destination", "/proc/meminfo"}, {"type", "bind"}, {"source", dir_ + "/meminfo"}, {"options", {"bind", "ro"}}});
  SetArgs({"cat", "/proc/meminfo"});
  RunResult r = Runsee({"run", "--bundle", bundle_, "lxcfs"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "MemTotal:       1024 kB\n");
}

TEST_F(IntegrationTest, ReadonlyRootAndMaskedPaths) {
  spec_["root"]["readonly"] = true;
  SetArgs({"sh", "-c", "touch /x 2>/dev/null && exit 1; cat /proc/kcore | wc -c"});
  RunResult r = Runsee({"run", "--bundle", bundle_, "ro"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");
}

TEST_F(IntegrationTest, LibraryCallsLeaveNoFdsOrChildren) {
  // Earlier tests' `runsee create`/`run -d` leave their sentries to us (we are a subreaper, like
  // the shim): collect those first so only this test's children count.
  int drained = 0;
  while (waitpid(-1, &drained, WNOHANG) > 0) {
  }
  RuntimeOptions rt;
  rt.root = root_;
  rt.init_path = kRunsee;
  CreateOptions o;
  o.id = "lib";
  o.bundle = bundle_;
  auto pid = Create(rt, o);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  RememberCgroup("lib");
  ASSERT_TRUE(Start(rt, "lib").ok());
  auto info = GetState(rt, "lib");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->status, ContainerStatus::kRunning);
  ASSERT_TRUE(Kill(rt, "lib", SIGKILL, false).ok());
  int status = 0;
  ASSERT_EQ(waitpid(*pid, &status, 0), *pid);  // the init is our child
  EXPECT_TRUE(WIFSIGNALED(status));
  ASSERT_TRUE(Delete(rt, "lib", false).ok());
  pid_t left = waitpid(-1, &status, WNOHANG);
  EXPECT_EQ(left, -1) << "child left behind: " << left << " cmdline readable: "
                      << ReadFile("/proc/" + std::to_string(left) + "/cmdline").ok();
}

// The shim's sentry is the pod's init (sentry-lite/sentry/pod_init.h): with pod_init_fd the
// runtime has it start the set-up helpers, so the container's processes are its children, not
// ours; it reports their exits on the control socket.
class PodInitTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped()) return;
    int drained = 0;
    while (waitpid(-1, &drained, WNOHANG) > 0) {
    }
    rt_.root = root_;
    rt_.init_path = kRunsee;
    std::string bin = kRunsee;
    rt_.sentry_path = bin.substr(0, bin.rfind('/') + 1) + "see-sentry";
    auto sp = StartSentry(rt_, {.socket_path = dir_ + "/pod.sock"});
    ASSERT_TRUE(sp.ok()) << sp.status().ToString();
    sentry_ = std::make_unique<SentryProcess>(std::move(*sp));
    rt_.pod_init_fd = sentry_->control.get();
  }
  void TearDown() override {
    sentry_.reset();
    IntegrationTest::TearDown();
  }

  // Creates container `id` from the bundle under the pod init.
  Result<pid_t> CreateInPod(const std::string& id) {
    CreateOptions o;
    o.id = id;
    o.bundle = bundle_;
    o.sentry_socket = sentry_->socket;
    return Create(rt_, o);
  }

  // The next kExit report, or {-1, -1} after 10 s.
  std::pair<pid_t, int> NextExit() {
    pollfd p{sentry_->control.get(), POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) return {-1, -1};
    // One datagram: a SOCK_SEQPACKET message is read whole or not at all.
    char buf[sizeof(sentry::ControlHeader) + sizeof(sentry::ExitMessage)];
    ssize_t n = recv(sentry_->control.get(), buf, sizeof(buf), 0);
    if (n <= 0) return {-1, -1};
    auto e = sentry::DecodeExitMessage(std::string_view(buf, static_cast<size_t>(n)));
    if (!e.ok()) return {-1, -1};
    return {e->pid, e->wait_status};
  }

  std::string SentryLog() {
    auto text = ReadFile(dir_ + "/pod.sock.log");
    return text.ok() ? *text : text.status().ToString();
  }

  static pid_t ParentOf(pid_t pid) {
    auto text = ReadFile("/proc/" + std::to_string(pid) + "/status");
    if (!text.ok()) return -1;
    size_t at = text->find("PPid:");
    return at == std::string::npos ? -1 : std::atoi(text->c_str() + at + 5);
  }

  RuntimeOptions rt_;
  std::unique_ptr<SentryProcess> sentry_;
};

TEST_F(PodInitTest, StartsReapsAndReportsTheContainersProcesses) {
  auto pid = CreateInPod("pod1");
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  RememberCgroup("pod1");
  EXPECT_EQ(ParentOf(*pid), sentry_->process.pid()) << "the init is the pod init's child";
  ASSERT_TRUE(Start(rt_, "pod1").ok());
  auto exec = Exec(rt_, {.id = "pod1",
                         .process_json = R"({"args":["sh","-c","exit 5"],"cwd":"/","env":["PATH=/bin"]})"});
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  auto [epid, estatus] = NextExit();
  EXPECT_EQ(epid, *exec);
  EXPECT_TRUE(WIFEXITED(estatus) && WEXITSTATUS(estatus) == 5) << estatus;
  Status killed = Kill(rt_, "pod1", SIGKILL, false);
  ASSERT_TRUE(killed.ok()) << killed.ToString() << "\n" << SentryLog();
  auto [ipid, istatus] = NextExit();
  EXPECT_EQ(ipid, *pid);
  EXPECT_TRUE(WIFSIGNALED(istatus) && WTERMSIG(istatus) == SIGKILL) << istatus;
  int status = 0;
  EXPECT_EQ(waitpid(*pid, &status, WNOHANG), -1) << "the init is not ours to reap";
  ASSERT_TRUE(Delete(rt_, "pod1", false).ok());
  // Closing the control socket stops the pod init, which stops its server.
  sentry_->control.Reset();
  auto st = sentry_->process.Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st, 0);
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1) << "a child left behind";
}

TEST_F(PodInitTest, AShimThatGoesAwayTakesThePodWithIt) {
  auto pid = CreateInPod("pod2");
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  RememberCgroup("pod2");
  ASSERT_TRUE(Start(rt_, "pod2").ok());
  UniqueFd init_pidfd(static_cast<int>(syscall(SYS_pidfd_open, *pid, 0)));
  ASSERT_TRUE(init_pidfd.valid());
  sentry_->control.Reset();  // as when the shim dies
  pollfd p{init_pidfd.get(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 10000), 1) << "the container's init outlived the pod init's owner";
  auto st = sentry_->process.Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st, 0);
  ASSERT_TRUE(Delete(rt_, "pod2", false).ok());
}

// Exit reports the shim has not read yet never stop the pod init from taking the next spawn: with
// its socket full (a few hundred reports), a blocking send would leave it unable to start the
// helper the runtime is waiting for.
TEST_F(PodInitTest, UnreadExitReportsDoNotBlockSpawns) {
  auto pid = CreateInPod("pod4");
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  RememberCgroup("pod4");
  ASSERT_TRUE(Start(rt_, "pod4").ok());
  std::set<pid_t> execs;
  const std::string trivial = R"({"args":["true"],"cwd":"/","env":["PATH=/bin"]})";
  for (int i = 0; i < 400; ++i) {
    auto e = Exec(rt_, {.id = "pod4", .process_json = trivial});
    ASSERT_TRUE(e.ok()) << i << ": " << e.status().ToString();
    execs.insert(*e);
  }
  size_t reported = 0;
  for (;;) {
    auto [epid, estatus] = NextExit();
    if (epid < 0) break;
    EXPECT_TRUE(execs.count(epid)) << epid;
    reported += execs.count(epid);
    if (reported == execs.size()) break;
  }
  EXPECT_EQ(reported, execs.size());
  ASSERT_TRUE(Delete(rt_, "pod4", true).ok());
}

// A spawn request that does not come with its executable and cwd starts nothing, and the pod init
// goes on serving (the runtime waiting on the helper would see EOF).
TEST_F(PodInitTest, MalformedSpawnRequestsStartNothing) {
  std::string bad = sentry::EncodeControlMessage(sentry::ControlType::kSpawn, "xx");
  ASSERT_EQ(send(sentry_->control.get(), bad.data(), bad.size(), 0), static_cast<ssize_t>(bad.size()));
  std::string no_fds = sentry::EncodeSpawnRequest({{"/bin/true"}, {}});
  ASSERT_EQ(send(sentry_->control.get(), no_fds.data(), no_fds.size(), 0),
            static_cast<ssize_t>(no_fds.size()));
  auto pid = CreateInPod("pod3");
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  RememberCgroup("pod3");
  EXPECT_EQ(ParentOf(*pid), sentry_->process.pid());
  ASSERT_TRUE(Delete(rt_, "pod3", true).ok());
  auto [ipid, istatus] = NextExit();
  EXPECT_EQ(ipid, *pid) << "only the container's init is reported";
}

// A SIGTERM to the pod init goes to the pod's processes, and the server keeps serving them until
// they are gone: here an init that outlives the TERM (a pid namespace's init without a handler
// ignores it) until it is killed; then the server stops, and so does the pod init.
TEST_F(PodInitTest, AfterASigtermTheServerServesThePodUntilItIsGone) {
  auto pid = CreateInPod("pod7");
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  RememberCgroup("pod7");
  ASSERT_TRUE(Start(rt_, "pod7").ok());
  pid_t server = -1;
  auto children = ReadFile("/proc/" + std::to_string(sentry_->process.pid()) + "/task/" +
                           std::to_string(sentry_->process.pid()) + "/children");
  ASSERT_TRUE(children.ok());
  std::istringstream in(*children);
  for (pid_t c; in >> c;) {
    auto comm = ReadFile("/proc/" + std::to_string(c) + "/comm");
    if (comm.ok() && *comm == "see-sentry\n") server = c;
  }
  ASSERT_GT(server, 0) << *children;
  UniqueFd server_pidfd(static_cast<int>(syscall(SYS_pidfd_open, server, 0)));
  ASSERT_TRUE(server_pidfd.valid());
  ASSERT_EQ(kill(sentry_->process.pid(), SIGTERM), 0);
  pollfd p{server_pidfd.get(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 500), 0) << "the server stopped while the pod's init still ran";
  EXPECT_EQ(kill(*pid, 0), 0) << "the container's init did not outlive the TERM";
  ASSERT_TRUE(Kill(rt_, "pod7", SIGKILL, false).ok());
  EXPECT_EQ(poll(&p, 1, 5000), 1) << "the server outlived the pod";
  auto st = sentry_->process.Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st, 0);
  ASSERT_TRUE(Delete(rt_, "pod7", false).ok());
}

// A spawn request the pod init would refuse as too large (the caller's environment goes with it)
// fails the create with the reason, before anything is sent.
TEST_F(PodInitTest, AnEnvironmentTooLargeForASpawnIsRefusedClearly) {
  ASSERT_EQ(setenv("SEE_TEST_HUGE", std::string(sentry::kMaxPayload, 'x').c_str(), 1), 0);
  auto pid = CreateInPod("pod5");
  unsetenv("SEE_TEST_HUGE");
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), Code::kInvalidArgument);
  EXPECT_NE(pid.status().message().find("environment is too large"), std::string::npos)
      << pid.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(root_ + "/pod5")) << "a failed create leaves no state";
  pid = CreateInPod("pod6");  // and the pod init still starts containers
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  RememberCgroup("pod6");
  EXPECT_EQ(ParentOf(*pid), sentry_->process.pid());
  ASSERT_TRUE(Delete(rt_, "pod6", true).ok());
}

// /proc/sys is a readonly path in the default spec: sysctls must be written before it is.
TEST_F(IntegrationTest, SysctlsAreWrittenBeforeReadonlyPaths) {
  spec_["linux"]["sysctl"] = {{"kernel.msgmax", "4096"}};
  SetArgs({"cat", "/proc/sys/kernel/msgmax"});
  RunResult r = Runsee({"run", "--bundle", bundle_, "sysctl"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "4096\n");
}

// The init's last sync messages go out under the container's filter: a profile without sendmsg
// (as allowlists often are) must still start, with and without noNewPrivileges.
TEST_F(IntegrationTest, SeccompProfileWithoutSendmsgStarts) {
  for (bool nnp : {true, false}) {
    spec_["process"]["noNewPrivileges"] = nnp;
    spec_["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64"}},
        {"syscalls", {{{"names", {"sendmsg", "recvmsg"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
    SetArgs({"echo", "started"});
    RunResult r = Runsee({"run", "--bundle", bundle_, "seccomp"});
    EXPECT_EQ(r.code, 0) << "nnp=" << nnp << " " << r.err;
    EXPECT_EQ(r.out, "started\n") << "nnp=" << nnp;
  }
}

// A profile that refuses what the sentry's registration needs before exec (capget; seccomp(2);
// capset without no_new_privs, where the runtime's own capability drop already fails) fails create
// with the reason, instead of a container that exits at start. With no_new_privs the registration
// makes no capset: such a profile runs.
// --no-pivot keeps the host's root as the mount namespace's: with chroot served, a process could
// chroot into a subdirectory and race a continued chdir out of the rootfs. Refused under the
// sentry, with nothing left behind; the plain path still takes it.
TEST_F(IntegrationTest, NoPivotIsRefusedUnderTheSentry) {
  // The spec names a cgroup that exists and holds a process: a refusal touches neither.
  const std::string cg = "see-nopivot-" + std::to_string(getpid());
  const std::string pids_dir = "/sys/fs/cgroup/pids/" + cg;
  const bool v1 = fs::exists("/sys/fs/cgroup/pids");
  const std::string dir = v1 ? pids_dir : "/sys/fs/cgroup/" + cg;
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  pid_t sleeper = fork();
  if (sleeper == 0) {
    execlp("sleep", "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(WriteFile(dir + "/cgroup.procs", std::to_string(sleeper)).ok());
  spec_["linux"]["cgroupsPath"] = "/" + cg;
  SetArgs({"echo", "started"});
  RunResult r = Runsee({"create", "--no-pivot", "--bundle", bundle_, "nopivot"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--no-pivot is not supported with the sentry"), std::string::npos) << r.err;
  EXPECT_NE(Runsee({"state", "nopivot"}).code, 0) << "no state left";
  if (r.code == 0) Runsee({"delete", "--force", "nopivot"});
  EXPECT_EQ(waitpid(sleeper, nullptr, WNOHANG), 0) << "the process in the existing cgroup was killed";
  EXPECT_TRUE(fs::exists(dir)) << "the existing cgroup was removed";
  kill(sleeper, SIGKILL);
  waitpid(sleeper, nullptr, 0);
  rmdir(dir.c_str());
  spec_["linux"].erase("cgroupsPath");
  RunResult plain = Runsee({"--sandbox", "none", "run", "--no-pivot", "--bundle", bundle_, "nopivot2"});
  EXPECT_EQ(plain.code, 0) << plain.err;
  EXPECT_NE(plain.out.find("started"), std::string::npos) << plain.out;
}

TEST_F(IntegrationTest, SeccompProfileRefusingTheSentrysCallsFailsCreate) {
  auto profile = [&](const char* call, bool nnp) {
    spec_["process"]["noNewPrivileges"] = nnp;
    spec_["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64"}},
        {"syscalls", {{{"names", {call}}, {"action", "SCMP_ACT_ERRNO"}}}}};
    SetArgs({"echo", "started"});
  };
  for (auto [call, nnp] : {std::pair{"capget", true}, std::pair{"seccomp", true}, std::pair{"seccomp", false}}) {
    profile(call, nnp);
    RunResult r = Runsee({"create", "--bundle", bundle_, "refused"});
    EXPECT_NE(r.code, 0) << call << " nnp=" << nnp;
    EXPECT_NE(r.err.find("linux.seccomp refuses"), std::string::npos) << call << " nnp=" << nnp << ": " << r.err;
    if (r.code == 0) Runsee({"delete", "--force", "refused"});
  }
  // A profile with its own listener: the kernel allows one per filter chain.
  profile("mkdir", true);
  spec_["linux"]["seccomp"]["listenerPath"] = dir_ + "/agent.sock";
  spec_["linux"]["seccomp"]["syscalls"][0]["action"] = "SCMP_ACT_NOTIFY";
  WriteSpec();
  int agent = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string agent_path = dir_ + "/agent.sock";
  ASSERT_LT(agent_path.size(), sizeof(addr.sun_path));
  memcpy(addr.sun_path, agent_path.c_str(), agent_path.size() + 1);
  ASSERT_EQ(bind(agent, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(agent, 4), 0);
  RunResult notify = Runsee({"create", "--bundle", bundle_, "notify"});
  close(agent);
  unlink(agent_path.c_str());
  EXPECT_NE(notify.code, 0);
  EXPECT_NE(notify.err.find("SCMP_ACT_NOTIFY"), std::string::npos) << notify.err;
  if (notify.code == 0) Runsee({"delete", "--force", "notify"});
  spec_["linux"]["seccomp"].erase("listenerPath");
  // Runs: capset with no_new_privs (the registration makes none), and a profile that refuses
  // clone (the check's own fork fails: skipped, the container's program needs no fork).
  for (const char* call : {"capset", "clone"}) {
    profile(call, true);
    RunResult r = Runsee({"run", "--bundle", bundle_, call});
    EXPECT_EQ(r.code, 0) << call << ": " << r.err;
    EXPECT_EQ(r.out, "started\n") << call;
  }
}

TEST_F(IntegrationTest, RootfsPropagationShared) {
  spec_["linux"]["rootfsPropagation"] = "rshared";
  SetArgs({"cat", "/proc/self/mountinfo"});
  RunResult r = Runsee({"run", "--bundle", bundle_, "shared"});
  EXPECT_EQ(r.code, 0) << r.err;
  // The line whose mount point (field 5) is "/" carries a "shared:N" optional field.
  std::string root_line;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mp;
    f >> id >> parent >> dev >> root >> mp;
    if (mp == "/") root_line = line;
  }
  EXPECT_NE(root_line.find(" shared:"), std::string::npos) << r.out;
}

// A relative cgroupsPath lives under the creator's own cgroup of each controller; kill and delete
// (freezer included) must find it there without warnings, and remove it.
TEST_F(IntegrationTest, RelativeCgroupsPathIsFoundByKillAndDelete) {
  std::string rel = "see-it-rel-" + std::to_string(getpid());
  spec_["linux"]["cgroupsPath"] = rel;
  WriteSpec();
  // "dir/." is stored as "dir", as runc (Go's filepath.Abs) does.
  ASSERT_EQ(Runsee({"create", "--bundle", bundle_ + "/.", "rel"}).code, 0);
  EXPECT_EQ(State("rel")["bundle"], bundle_);
  auto st = ReadFile(root_ + "/rel/state.json");
  ASSERT_TRUE(st.ok());
  std::string freezer = "/sys/fs/cgroup/freezer";
  for (const auto& [k, p] : json::parse(*st)["creator_cgroups"].get<std::vector<std::pair<std::string, std::string>>>()) {
    if (k == "freezer") freezer += (p == "/" ? "" : p);
  }
  freezer += "/" + rel;
  EXPECT_TRUE(fs::exists(freezer + "/freezer.state")) << freezer;
  cgroup_dirs_.push_back(freezer);
  ASSERT_EQ(Runsee({"start", "rel"}).code, 0);
  std::string log = dir_ + "/rel.log";
  RunResult r = Runsee({"--log-format", "json", "--log", log, "kill", "--all", "rel", "KILL"});
  EXPECT_EQ(r.code, 0) << r.err;
  WaitStatus("rel", "stopped");
  r = Runsee({"--log-format", "json", "--log", log, "delete", "--force", "rel"});
  EXPECT_EQ(r.code, 0) << r.err;
  auto text = ReadFile(log);
  EXPECT_EQ(text.ok() ? text->find("\"warn") : std::string::npos, std::string::npos) << *text;
}

// /proc/sys shows the opener's network namespace: the sentry opens from inside the caller's. With
// a user namespace its sentry serves from inside that too, and could not enter the host's IPC and
// UTS namespaces (which the container shares with it here): it used to give up on all three and
// showed the host's network interfaces.
TEST_F(IntegrationTest, SysctlsOfAUserNamespaceContainerAreItsOwn) {
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);  // the container's uids traverse it to the rootfs
  json maps = json::array({{{"containerID", 0}, {"hostID", 300000}, {"size", 65536}}});
  json namespaces = json::array();
  for (const auto& ns : spec_["linux"]["namespaces"]) {
    if (ns["type"] != "ipc" && ns["type"] != "uts") namespaces.push_back(ns);
  }
  namespaces.push_back({{"type", "user"}});
  spec_["linux"]["namespaces"] = namespaces;
  spec_["linux"]["uidMappings"] = maps;
  spec_["linux"]["gidMappings"] = maps;
  spec_["annotations"]["see.dev/rootfs-idmap"] = "true";
  spec_.erase("hostname");
  json mounts = json::array();
  for (const auto& m : spec_["mounts"]) {
    if (m["destination"] != "/dev/mqueue") mounts.push_back(m);  // needs its own IPC namespace
  }
  spec_["mounts"] = mounts;
  SetArgs({"ls", "/proc/sys/net/ipv4/conf"});
  std::string out[2];
  int i = 0;
  for (std::string sandbox : {"none", "sentry"}) {
    RunResult r = Runsee({"--sandbox", sandbox, "run", "--bundle", bundle_, "sysctl-" + sandbox});
    EXPECT_EQ(r.code, 0) << sandbox << ": " << r.err;
    out[i++] = r.out;
  }
  EXPECT_EQ(out[0], "all\ndefault\nlo\n");  // a new network namespace
  EXPECT_EQ(out[1], out[0]);
}

}  // namespace
}  // namespace see::runtime

namespace see::runtime {
namespace {

std::string UidLine(pid_t pid) {
  auto status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  if (!status.ok()) return "";
  size_t at = status->find("\nUid:");
  return at == std::string::npos ? "" : status->substr(at + 1, status->find('\n', at + 1) - at - 1);
}

// OCI 1.1 id-mapped mounts and the see.dev/rootfs-idmap rootfs: the container's root is host uid
// 200000, yet files owned by 0 on disk are its own and what it writes is stored as 0.
TEST_F(IntegrationTest, IdMappedRootfsAndVolumes) {
  std::string rootfs = bundle_ + "/rootfs";
  for (const char* applet : {"stat", "mkdir"}) fs::create_symlink("busybox", rootfs + "/bin/" + applet);
  std::string vol = dir_ + "/vol", vol2 = dir_ + "/vol2", vol3 = dir_ + "/vol3";
  fs::create_directories(vol);
  fs::create_directories(vol2);
  fs::create_directories(vol3);
  // Host root's file in a volume that is not id-mapped: out of the container root's reach.
  ASSERT_TRUE(WriteFile(vol3 + "/secret", "host", 0600).ok());
  ASSERT_EQ(chmod(vol3.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(vol + "/owned", "x").ok());
  ASSERT_TRUE(WriteFile(vol2 + "/f1000", "x").ok());
  ASSERT_EQ(chown((vol2 + "/f1000").c_str(), 1000, 1000), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);  // the container's uids traverse it to the rootfs
  json maps = json::array({{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}});
  spec_["linux"]["namespaces"].push_back({{"type", "user"}});
  spec_["linux"]["uidMappings"] = maps;
  spec_["linux"]["gidMappings"] = maps;
  spec_["annotations"]["see.dev/rootfs-idmap"] = "true";
  spec_["mounts"].push_back(
      {{"destination", "/vol"}, {"type", "bind"}, {"source", vol}, {"options", {"rbind", "idmap"}}});
  // Own mappings (not the container's): on-disk 1000 is host 200000, the container's root.
  json own = json::array({{{"containerID", 1000}, {"hostID", 200000}, {"size", 1}}});
  spec_["mounts"].push_back({{"destination", "/vol2"},
                             {"type", "bind"},
                             {"source", vol2},
                             {"options", {"bind"}},
                             {"uidMappings", own},
                             {"gidMappings", own}});
  spec_["mounts"].push_back(
      {{"destination", "/vol3"}, {"type", "bind"}, {"source", vol3}, {"options", {"rbind"}}});
  // The container's root may override permissions on its own files, never on host root's.
  for (const char* set : {"bounding", "effective", "permitted"}) {
    spec_["process"]["capabilities"][set].push_back("CAP_DAC_OVERRIDE");
  }
  SetArgs({"sleep", "100"});
  RunResult r;
  // The same under the sentry as on the kernel path: runsee makes the user namespace before its
  // sentry starts and the sentry serves from inside it (it used to serve as host root: stat showed
  // host ids, and the container's root read host root's 0600 file through a served open).
  for (std::string sandbox : {"none", "sentry"}) {
    SCOPED_TRACE(sandbox);
    std::string id = "idm-" + sandbox;
    r = Runsee({"--sandbox", sandbox, "create", "--bundle", bundle_, id});
    ASSERT_EQ(r.code, 0) << r.err;
    if (sandbox == "none") RememberCgroup(id);
    int pid = State(id)["pid"];
    EXPECT_EQ(UidLine(pid), "Uid:\t200000\t200000\t200000\t200000");
    ASSERT_EQ(Runsee({"start", id}).code, 0);
    r = Runsee({"exec", id, "sh", "-c",
                "id -u; stat -c %u /vol/owned /vol2/f1000 /bin/busybox /; touch /vol/new-" + sandbox +
                    " /made-" + sandbox + "; mkdir /vol/d-" + sandbox +
                    "; cat /vol3/secret 2>/dev/null || echo refused"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0\n0\n0\n0\n0\nrefused\n");
    struct stat st{};
    for (const std::string& p :
         {vol + "/new-" + sandbox, vol + "/d-" + sandbox, rootfs + "/made-" + sandbox}) {
      ASSERT_EQ(stat(p.c_str(), &st), 0) << p;
      EXPECT_EQ(st.st_uid, 0u) << p;
      EXPECT_EQ(st.st_gid, 0u) << p;
    }
    ASSERT_EQ(Runsee({"kill", id, "KILL"}).code, 0);
    WaitStatus(id, "stopped");
    ASSERT_EQ(Runsee({"delete", id}).code, 0);
  }
  // Not a bind: refused with a clear error before anything runs.
  spec_["mounts"].push_back(
      {{"destination", "/t"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"idmap"}}});
  WriteSpec();
  r = Runsee({"create", "--bundle", bundle_, "idm2"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("must be bind mounts"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace see::runtime
