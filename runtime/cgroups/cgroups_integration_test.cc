// Integration tests on this machine's real cgroup hierarchies (need root): the v1 controllers and
// the hybrid cgroup2 mount beside them. Every cgroup is removed and every child killed on every
// path, also when an assertion fails.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/child_process.h"
#include "base/cleanup.h"
#include "base/file_util.h"
#include "runtime/cgroups/cgroup.h"

namespace see::cgroups {
namespace {

using Workload = int (*)();

// Writes one byte to the progress pipe every millisecond, forever. Async-signal-safe.
int g_progress_fd = -1;
int Ticker() {
  for (;;) {
    char c = 't';
    if (::write(g_progress_fd, &c, 1) < 0 && errno != EAGAIN) return 1;
    ::usleep(1000);
  }
}

// Allocates and touches 100 MiB; exits 0 only if the OOM killer did not stop it.
int MemoryHog() {
  constexpr size_t kSize = 100u << 20;
  void* p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 2;
  for (size_t i = 0; i < kSize; i += 4096) static_cast<volatile char*>(p)[i] = 1;
  return 0;
}

// Forks until fork fails: exit 0 if it failed with EAGAIN (the pids limit), 1 otherwise, 2 if it
// never failed. The grandchildren pause until killed.
int ForkBomb() {
  for (int i = 0; i < 100; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
    if (pid < 0) return errno == EAGAIN ? 0 : 1;
  }
  return 2;
}

// Exit 0 if /dev/null opens and /dev/zero is refused with EPERM.
int NullOnly() {
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return 1;
  int zero_fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
  if (zero_fd >= 0) return 2;
  return errno == EPERM ? 0 : 3;
}

// Exit 0 if /dev/zero opens.
int ZeroOpens() { return ::open("/dev/zero", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 1; }

// Forks a child that waits until the parent has put it into `m`, then runs `work`.
ChildProcess SpawnInCgroup(Manager& m, Workload work) {
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return ChildProcess();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(go[1]);
    char c;
    if (::read(go[0], &c, 1) != 1) ::_exit(100);
    ::_exit(work());
  }
  ::close(go[0]);
  ChildProcess child(pid);
  Status s = m.AddProcess(pid);
  EXPECT_TRUE(s.ok()) << s.ToString();
  char c = 'g';
  if (s.ok()) {
    EXPECT_EQ(::write(go[1], &c, 1), 1);
  }
  ::close(go[1]);
  return child;
}

// Bytes the ticker wrote since the last call (non-blocking).
size_t Drain(int fd) {
  size_t total = 0;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return total;
    total += static_cast<size_t>(n);
  }
}

bool WaitReadable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

std::string CgroupOf(pid_t pid) {
  auto r = ReadFile("/proc/" + std::to_string(pid) + "/cgroup");
  return r.ok() ? *r : "";
}

class RealCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto h = DetectHierarchy();
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    h_ = *h;
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    progress_read_.Reset(p[0]);
    progress_write_.Reset(p[1]);
    g_progress_fd = p[1];
  }

  // The ticker makes progress while thawed and none while frozen.
  void ExpectFreezeStopsProgress(Manager& m) {
    ASSERT_TRUE(WaitReadable(progress_read_.get(), 5000)) << "ticker never ran";
    Status s = m.Freeze();
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto state = m.GetFreezerState();
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(*state, FreezerState::kFrozen);
    Drain(progress_read_.get());  // written before the freeze took hold
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(Drain(progress_read_.get()), 0u) << "a frozen process wrote";
    s = m.Thaw();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(*m.GetFreezerState(), FreezerState::kThawed);
    EXPECT_TRUE(WaitReadable(progress_read_.get(), 5000)) << "no progress after thaw";
  }

  Hierarchy h_;
  UniqueFd progress_read_, progress_write_;
};

TEST_F(RealCgroupTest, V1LimitsFreezeOomPidsKillDestroy) {
  if (h_.version != Version::kV1 || !PathExists(h_.root + "/memory/memory.limit_in_bytes")) {
    GTEST_SKIP() << "no cgroup v1 memory controller";
  }
  const std::string id = "see-cg-test-" + std::to_string(::getpid());
  auto created = NewManager(h_, "", id);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Manager& m = **created;
  Cleanup destroy([&m] {
    (void)m.KillAll(SIGKILL);
    (void)m.Destroy();
  });
  ASSERT_TRUE(m.Create().ok());

  oci::Resources r;
  const bool has_memsw = PathExists(h_.root + "/memory/memory.memsw.limit_in_bytes");
  // memsw == limit: the hog cannot escape into swap.
  r.memory = oci::MemoryResources{.limit = 32 << 20};
  if (has_memsw) r.memory->swap = 32 << 20;
  r.pids = oci::PidsResources{.limit = 20};
  r.cpu = oci::CpuResources{.quota = 50000, .period = 100000};
  Status s = m.Apply(r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto quota = ReadFile(h_.root + "/cpu" + "/" + id + "/cpu.cfs_quota_us");
  if (quota.ok()) {
    EXPECT_EQ(*quota, "50000\n");
  }

  ChildProcess ticker = SpawnInCgroup(m, Ticker);
  ASSERT_TRUE(ticker.valid());
  std::string cg = CgroupOf(ticker.pid());
  EXPECT_NE(cg.find(":memory:" + m.path() + "\n"), std::string::npos) << cg;
  EXPECT_NE(cg.find(":pids:/" + id + "\n"), std::string::npos) << cg;
  if (!h_.unified_root.empty()) {
    EXPECT_NE(cg.find("0::/" + id + "\n"), std::string::npos) << cg;
  }

  auto pids = m.Pids();
  ASSERT_TRUE(pids.ok()) << pids.status().ToString();
  EXPECT_NE(std::find(pids->begin(), pids->end(), ticker.pid()), pids->end());

  auto st = m.GetStats();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->version, Version::kV1);
  EXPECT_EQ(st->memory.limit, 32u << 20);
  EXPECT_GE(st->pids.current, 1u);
  EXPECT_EQ(st->pids.limit, 20u);

  ExpectFreezeStopsProgress(m);

  // OOM: the notifier fires and the count moves.
  auto oom_fd = m.OpenOomNotifier();
  ASSERT_TRUE(oom_fd.ok()) << oom_fd.status().ToString();
  // Regression (e2e/faults memory_exhausted): the shim drains it until EAGAIN on its event loop.
  EXPECT_TRUE(fcntl(oom_fd->get(), F_GETFL) & O_NONBLOCK) << "OOM notifier must be non-blocking";
  ChildProcess hog = SpawnInCgroup(m, MemoryHog);
  auto hog_status = hog.Wait();
  ASSERT_TRUE(hog_status.ok());
  EXPECT_TRUE(WIFSIGNALED(*hog_status) && WTERMSIG(*hog_status) == SIGKILL)
      << "hog wait status " << *hog_status;
  EXPECT_TRUE(WaitReadable(oom_fd->get(), 5000)) << "OOM eventfd not readable";
  auto oom_kills = m.OomKillCount();
  ASSERT_TRUE(oom_kills.ok()) << oom_kills.status().ToString();
  EXPECT_GE(*oom_kills, 1u);
  st = m.GetStats();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_GE(st->memory.max_usage, 16u << 20) << "the hog's peak should be near the limit";
  EXPECT_GE(st->memory.oom_kill, 1u);

  // pids.max: fork fails with EAGAIN.
  ChildProcess bomb = SpawnInCgroup(m, ForkBomb);
  auto bomb_status = bomb.Wait();
  ASSERT_TRUE(bomb_status.ok());
  EXPECT_TRUE(WIFEXITED(*bomb_status)) << *bomb_status;
  EXPECT_EQ(WEXITSTATUS(*bomb_status), 0) << "1: fork failed with another errno, 2: never failed";

  // The bomb's paused grandchildren and the ticker all go.
  s = m.KillAll(SIGKILL);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto ticker_status = ticker.Wait();
  ASSERT_TRUE(ticker_status.ok());
  EXPECT_TRUE(WIFSIGNALED(*ticker_status) && WTERMSIG(*ticker_status) == SIGKILL);
  pids = m.Pids();
  ASSERT_TRUE(pids.ok());
  EXPECT_TRUE(pids->empty());

  s = m.Destroy();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(PathExists(h_.root + "/pids/" + id));
  EXPECT_FALSE(PathExists(h_.root + "/memory" + m.path()));
  if (!h_.unified_root.empty()) {
    EXPECT_FALSE(PathExists(h_.unified_root + "/" + id));
  }
}

TEST_F(RealCgroupTest, DestroyRefusesWhileProcessesRemain) {
  if (h_.version != Version::kV1) GTEST_SKIP() << "v1 host expected";
  const std::string id = "see-cg-busy-" + std::to_string(::getpid());
  auto created = NewManager(h_, "", id);
  ASSERT_TRUE(created.ok());
  Manager& m = **created;
  Cleanup destroy([&m] {
    (void)m.KillAll(SIGKILL);
    (void)m.Destroy();
  });
  ASSERT_TRUE(m.Create().ok());
  ChildProcess ticker = SpawnInCgroup(m, Ticker);
  ASSERT_TRUE(ticker.valid());
  Status s = m.Destroy();
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find(id), std::string::npos) << s.message();
}

TEST_F(RealCgroupTest, V2OnHybridUnifiedMount) {
  if (h_.unified_root.empty() && h_.version != Version::kV2) GTEST_SKIP() << "no cgroup2 mount";
  const std::string mount = h_.version == Version::kV2 ? h_.root : h_.unified_root;
  if (!PathExists(mount + "/cgroup.procs")) GTEST_SKIP() << "no cgroup2 at " << mount;
  // A private parent, so enabling controllers never touches the host's root cgroup.
  const std::string base = "see-cg-v2-" + std::to_string(::getpid());
  const std::string parent = mount + "/" + base;
  ASSERT_TRUE(MkdirAll(parent).ok());
  Cleanup remove_parent([&parent] { ::rmdir(parent.c_str()); });
  Hierarchy h{.version = Version::kV2, .root = parent, .self_paths = {{"", "/"}}};

  auto created = NewManager(h, "/pod/c1", "unused");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Manager& m = **created;
  Cleanup destroy([&m, &parent] {
    (void)m.KillAll(SIGKILL);
    (void)m.Destroy();
    ::rmdir((parent + "/pod").c_str());
  });
  ASSERT_TRUE(m.Create().ok());
  ASSERT_TRUE(PathExists(parent + "/pod/c1/cgroup.procs"));
  if (!PathExists(parent + "/pod/c1/cgroup.freeze")) GTEST_SKIP() << "kernel without cgroup.freeze";

  ChildProcess ticker = SpawnInCgroup(m, Ticker);
  ASSERT_TRUE(ticker.valid());
  std::string cg = CgroupOf(ticker.pid());
  EXPECT_NE(cg.find("0::/" + base + "/pod/c1\n"), std::string::npos) << cg;
  auto pids = m.Pids();
  ASSERT_TRUE(pids.ok());
  EXPECT_EQ(*pids, std::vector<pid_t>{ticker.pid()});

  ExpectFreezeStopsProgress(m);

  Status s = m.KillAll(SIGKILL);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto status = ticker.Wait();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);

  s = m.Destroy();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(PathExists(parent + "/pod/c1"));
}

TEST_F(RealCgroupTest, V2DeviceRulesAsEbpf) {
  if (h_.unified_root.empty() && h_.version != Version::kV2) GTEST_SKIP() << "no cgroup2 mount";
  const std::string mount = h_.version == Version::kV2 ? h_.root : h_.unified_root;
  // A private parent, so enabling controllers never touches the host's root cgroup.
  const std::string parent = mount + "/see-cg-dev-" + std::to_string(::getpid());
  ASSERT_TRUE(MkdirAll(parent).ok());
  Cleanup remove_parent([&parent] { ::rmdir(parent.c_str()); });
  Hierarchy h{.version = Version::kV2, .root = parent, .self_paths = {{"", "/"}}};
  auto created = NewManager(h, "/c1", "unused");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Manager& m = **created;
  Cleanup destroy([&m] {
    (void)m.KillAll(SIGKILL);
    (void)m.Destroy();
  });
  ASSERT_TRUE(m.Create().ok());

  oci::Resources null_only;
  null_only.devices = {{.allow = false, .type = "a", .access = "rwm"},
                       {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"}};
  Status s = m.Apply(null_only);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ChildProcess child = SpawnInCgroup(m, NullOnly);
  auto status = child.Wait();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "1: /dev/null refused, 2: /dev/zero allowed, 3: wrong errno; status " << *status;

  // An update replaces the filter: with the old one still attached, /dev/zero stays refused.
  oci::Resources allow_all;
  allow_all.devices = {{.allow = true, .type = "a", .access = "rwm"}};
  s = m.Apply(allow_all);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ChildProcess child2 = SpawnInCgroup(m, ZeroOpens);
  status = child2.Wait();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;

  s = m.Destroy();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(PathExists(parent + "/c1"));
}

}  // namespace
}  // namespace see::cgroups
