// Unit tests against fake cgroup trees in a temporary directory: a regular file stands in for each
// kernel file, so what a manager writes can be read back exactly.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "base/file_util.h"
#include "runtime/cgroups/cgroup.h"
#include "runtime/cgroups/internal.h"

namespace see::cgroups {
namespace {

namespace fs = std::filesystem;
using internal::CleanAbsolutePath;
using internal::HierarchyFromProc;
using internal::ResolvePath;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/see-cgroups-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void Put(const std::string& path, const std::string& content = "") {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(WriteFile(path, content).ok()) << path;
}

std::string Get(const std::string& path) {
  auto r = ReadFile(path);
  return r.ok() ? *r : "<missing: " + r.status().ToString() + ">";
}

// This machine's layout: v1 controllers, a hybrid cgroup2, and a caller in a memory sub-cgroup.
constexpr std::string_view kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr std::string_view kHybridSelf =
    "9:name=systemd:/\n4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n0::/\n";

TEST(HierarchyTest, DetectsHybridAsV1WithUnifiedBeside) {
  auto h = HierarchyFromProc(kHybridMountinfo, kHybridSelf);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->version, Version::kV1);
  EXPECT_EQ(h->root, "/sys/fs/cgroup");
  EXPECT_EQ(h->unified_root, "/sys/fs/cgroup/unified");
  EXPECT_EQ(internal::SelfPath(*h, "memory"), "/process_api/abc");
  EXPECT_EQ(internal::SelfPath(*h, "cpu"), "/");
  EXPECT_EQ(internal::SelfPath(*h, "name=systemd"), "/");
  EXPECT_EQ(internal::SelfPath(*h, ""), "/");
}

TEST(HierarchyTest, DetectsPureV2AndCombinedV1Controllers) {
  auto v2 = HierarchyFromProc(
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n", "0::/kube/x\n");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, Version::kV2);
  EXPECT_EQ(v2->root, "/sys/fs/cgroup");
  EXPECT_TRUE(v2->unified_root.empty());
  EXPECT_EQ(internal::SelfPath(*v2, ""), "/kube/x");

  auto v1 = HierarchyFromProc(
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n",
      "2:cpu,cpuacct:/a\n");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->version, Version::kV1);
  EXPECT_EQ(v1->root, "/sys/fs/cgroup");
  EXPECT_EQ(internal::SelfPath(*v1, "cpu"), "/a");
  EXPECT_EQ(internal::SelfPath(*v1, "cpuacct"), "/a");

  EXPECT_EQ(HierarchyFromProc("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n", "").status().code(),
            Code::kNotFound);
}

TEST(HierarchyTest, MountOfSubtreeMakesSelfPathRelative) {
  auto h = HierarchyFromProc("30 23 0:26 /kube /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
                             "0::/kube/pod\n");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(internal::SelfPath(*h, ""), "/pod");
}

TEST(PathTest, ResolvesAbsoluteRelativeAndEmpty) {
  auto h = HierarchyFromProc(kHybridMountinfo, kHybridSelf);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*ResolvePath(*h, "memory", "/kubepods/pod1/c1", "id"), "/kubepods/pod1/c1");
  EXPECT_EQ(*ResolvePath(*h, "memory", "t1", "id"), "/process_api/abc/t1");
  EXPECT_EQ(*ResolvePath(*h, "cpu", "t1", "id"), "/t1");
  EXPECT_EQ(*ResolvePath(*h, "memory", "", "c9"), "/process_api/abc/c9");
  EXPECT_EQ(*ResolvePath(*h, "", "", "c9"), "/c9");
  EXPECT_EQ(*ResolvePath(*h, "cpu", "/a/../../b//c/.", "id"), "/b/c");

  auto systemd = ResolvePath(*h, "memory", "system.slice:cri-containerd:abc", "id");
  ASSERT_FALSE(systemd.ok());
  EXPECT_EQ(systemd.status().code(), Code::kUnimplemented);
  EXPECT_NE(systemd.status().message().find("systemd cgroup driver not supported yet"),
            std::string::npos);

  EXPECT_EQ(ResolvePath(*h, "memory", "", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ResolvePath(*h, "memory", "", "a/b").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(CleanAbsolutePath(""), "/");
}

TEST(ConversionTest, MatchesRunc) {
  EXPECT_EQ(internal::CpuSharesToWeight(1024), 39u);
  EXPECT_EQ(internal::CpuSharesToWeight(2), 1u);
  EXPECT_EQ(internal::CpuSharesToWeight(262144), 10000u);
  EXPECT_EQ(internal::CpuSharesToWeight(1), 1u);  // clamped, no underflow
  EXPECT_EQ(internal::BlkioWeightToIoWeight(10), 1u);
  EXPECT_EQ(internal::BlkioWeightToIoWeight(1000), 10000u);
  EXPECT_EQ(internal::BlkioWeightToIoWeight(500), 4950u);
  EXPECT_EQ(*internal::SwapToV2(96, 64), 32);
  EXPECT_EQ(*internal::SwapToV2(-1, 64), -1);
  EXPECT_EQ(internal::SwapToV2(32, 64).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(internal::SwapToV2(32, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(internal::LimitString(-1), "max");
  EXPECT_EQ(internal::LimitString(5), "5");
  EXPECT_EQ(internal::DeviceRuleV1({.allow = false, .type = "a", .access = "rwm"}), "a *:* rwm");
  EXPECT_EQ(internal::DeviceRuleV1({.allow = true, .type = "c", .major = 1, .minor = 3,
                                    .access = "rw"}),
            "c 1:3 rw");
  EXPECT_EQ(internal::DeviceRuleV1({.allow = true, .type = "b", .major = 8, .access = ""}),
            "b 8:* rwm");
}

TEST(ConversionTest, UnifiedKeyValidation) {
  EXPECT_TRUE(internal::ValidateUnifiedKey("memory.high").ok());
  EXPECT_FALSE(internal::ValidateUnifiedKey("").ok());
  EXPECT_FALSE(internal::ValidateUnifiedKey("..").ok());
  EXPECT_FALSE(internal::ValidateUnifiedKey("../memory.max").ok());
  EXPECT_FALSE(internal::ValidateUnifiedKey("sub/memory.max").ok());
}

TEST(ParseTest, StatFormats) {
  auto kv = internal::ParseFlatKeyed("cache 10\nrss 20\nbad line here\n\nswap max\n");
  EXPECT_EQ(internal::FindKey(kv, "cache"), 10u);
  EXPECT_EQ(internal::FindKey(kv, "rss"), 20u);
  EXPECT_EQ(internal::FindKey(kv, "swap"), UINT64_MAX);
  EXPECT_EQ(internal::FindKey(kv, "bad"), std::nullopt);

  EXPECT_EQ(*internal::ParseUint(" 42\n"), 42u);
  EXPECT_FALSE(internal::ParseUint("4x").ok());
  EXPECT_FALSE(internal::ParseUint("").ok());
  EXPECT_EQ(internal::ParseUintList("1 2\n3\n"), (std::vector<uint64_t>{1, 2, 3}));

  auto blk = internal::ParseBlkioV1("8:0 Read 100\n8:0 Write 200\n8:0 Total 300\nTotal 300\n");
  ASSERT_EQ(blk.size(), 3u);
  EXPECT_EQ(blk[0].major, 8u);
  EXPECT_EQ(blk[0].op, "Read");
  EXPECT_EQ(blk[1].value, 200u);

  std::vector<BlkioEntry> bytes, ios;
  internal::ParseIoStatV2("8:16 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n", &bytes, &ios);
  ASSERT_EQ(bytes.size(), 3u);
  ASSERT_EQ(ios.size(), 3u);
  EXPECT_EQ(bytes[0].minor, 16u);
  EXPECT_EQ(bytes[1].op, "Write");
  EXPECT_EQ(bytes[1].value, 2u);
  EXPECT_EQ(ios[0].value, 3u);
  EXPECT_EQ(ios[2].op, "Discard");
}

// ---- v1 fake tree ----

class FakeV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path();
    for (const char* c : {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
                          "pids", "hugetlb", "net_cls", "net_prio"}) {
      fs::create_directories(root_ + "/" + c);
    }
    Put(root_ + "/cpuset/cpuset.cpus", "0-1\n");
    Put(root_ + "/cpuset/cpuset.mems", "0\n");
    // Intermediate cpuset level as the kernel leaves it: files present but empty.
    Put(root_ + "/cpuset/mid/cpuset.cpus");
    Put(root_ + "/cpuset/mid/cpuset.mems");
    h_.version = Version::kV1;
    h_.root = root_;
    h_.self_paths = {{"memory", "/parent"}, {"cpuset", "/mid"}};
  }

  std::string Dir(const std::string& controller) {
    if (controller == "memory") return root_ + "/memory/parent/c1";
    if (controller == "cpuset") return root_ + "/cpuset/mid/c1";
    return root_ + "/" + controller + "/c1";
  }

  // The files the kernel would create in the new cgroup.
  void CreateKernelFiles() {
    for (const char* f : {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                          "memory.soft_limit_in_bytes", "memory.swappiness", "memory.oom_control",
                          "memory.use_hierarchy", "memory.kmem.limit_in_bytes"}) {
      Put(Dir("memory") + "/" + f);
    }
    Put(Dir("memory") + "/memory.limit_in_bytes", "9223372036854771712\n");
    for (const char* f : {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us",
                          "cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle"}) {
      Put(Dir("cpu") + "/" + f);
    }
    Put(Dir("cpuset") + "/cpuset.cpus");
    Put(Dir("cpuset") + "/cpuset.mems");
    Put(Dir("pids") + "/pids.max");
    for (const char* f : {"blkio.weight", "blkio.leaf_weight", "blkio.weight_device",
                          "blkio.leaf_weight_device", "blkio.throttle.read_bps_device",
                          "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device",
                          "blkio.throttle.write_iops_device"}) {
      Put(Dir("blkio") + "/" + f);
    }
    Put(Dir("hugetlb") + "/hugetlb.2MB.limit_in_bytes");
    Put(Dir("net_cls") + "/net_cls.classid");
    Put(Dir("net_prio") + "/net_prio.ifpriomap");
    Put(Dir("devices") + "/devices.allow");
    Put(Dir("devices") + "/devices.deny");
    Put(Dir("freezer") + "/freezer.state", "THAWED\n");
  }

  std::unique_ptr<Manager> NewCreated() {
    auto m = NewManager(h_, "", "c1");
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return nullptr;
    Status s = (*m)->Create();
    EXPECT_TRUE(s.ok()) << s.ToString();
    CreateKernelFiles();
    return std::move(*m);
  }

  TempDir tmp_;
  std::string root_;
  Hierarchy h_;
};

TEST_F(FakeV1Test, CreatesEveryControllerAndFillsIntermediateCpuset) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->version(), Version::kV1);
  EXPECT_EQ(m->path(), "/parent/c1");
  EXPECT_TRUE(fs::is_directory(Dir("memory")));
  EXPECT_TRUE(fs::is_directory(Dir("pids")));
  EXPECT_TRUE(fs::is_directory(Dir("cpuset")));
  EXPECT_EQ(Get(root_ + "/cpuset/mid/cpuset.cpus"), "0-1");
  EXPECT_EQ(Get(root_ + "/cpuset/mid/cpuset.mems"), "0");
}

TEST_F(FakeV1Test, AppliesFullResources) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  oci::Resources r;
  r.devices = {{.allow = false, .type = "a", .access = "rwm"},
               {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"}};
  r.memory = oci::MemoryResources{.limit = 32 << 20, .reservation = 16 << 20, .swap = 64 << 20,
                                  .kernel = 1 << 20, .swappiness = 10,
                                  .disable_oom_killer = true, .use_hierarchy = true};
  r.cpu = oci::CpuResources{.shares = 512, .quota = 50000, .period = 100000,
                            .realtime_runtime = 950, .realtime_period = 1000, .cpus = "0",
                            .mems = "0", .idle = 0};
  r.pids = oci::PidsResources{.limit = 20};
  r.block_io = oci::BlockIoResources{
      .weight = 300, .leaf_weight = 200,
      .weight_device = {{.major = 8, .minor = 0, .weight = 400, .leaf_weight = 100}},
      .throttle_read_bps_device = {{.major = 8, .minor = 0, .rate = 1000}},
      .throttle_write_bps_device = {{.major = 8, .minor = 0, .rate = 2000}},
      .throttle_read_iops_device = {{.major = 8, .minor = 0, .rate = 30}},
      .throttle_write_iops_device = {{.major = 8, .minor = 0, .rate = 40}}};
  r.hugepage_limits = {{.page_size = "2MB", .limit = 4 << 20}};
  r.network = oci::NetworkResources{.class_id = 0x100001, .priorities = {{"eth0", 5}}};
  Status s = m->Apply(r);
  ASSERT_TRUE(s.ok()) << s.ToString();

  EXPECT_EQ(Get(Dir("memory") + "/memory.limit_in_bytes"), std::to_string(32 << 20));
  EXPECT_EQ(Get(Dir("memory") + "/memory.memsw.limit_in_bytes"), std::to_string(64 << 20));
  EXPECT_EQ(Get(Dir("memory") + "/memory.soft_limit_in_bytes"), std::to_string(16 << 20));
  EXPECT_EQ(Get(Dir("memory") + "/memory.kmem.limit_in_bytes"), std::to_string(1 << 20));
  EXPECT_EQ(Get(Dir("memory") + "/memory.swappiness"), "10");
  EXPECT_EQ(Get(Dir("memory") + "/memory.oom_control"), "1");
  EXPECT_EQ(Get(Dir("memory") + "/memory.use_hierarchy"), "1");
  EXPECT_EQ(Get(Dir("cpu") + "/cpu.shares"), "512");
  EXPECT_EQ(Get(Dir("cpu") + "/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(Get(Dir("cpu") + "/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Get(Dir("cpu") + "/cpu.rt_period_us"), "1000");
  EXPECT_EQ(Get(Dir("cpu") + "/cpu.rt_runtime_us"), "950");
  EXPECT_EQ(Get(Dir("cpu") + "/cpu.idle"), "0");
  EXPECT_EQ(Get(Dir("cpuset") + "/cpuset.cpus"), "0");
  EXPECT_EQ(Get(Dir("cpuset") + "/cpuset.mems"), "0");
  EXPECT_EQ(Get(Dir("pids") + "/pids.max"), "20");
  EXPECT_EQ(Get(Dir("blkio") + "/blkio.weight"), "300");
  EXPECT_EQ(Get(Dir("blkio") + "/blkio.leaf_weight"), "200");
  EXPECT_EQ(Get(Dir("blkio") + "/blkio.weight_device"), "8:0 400");
  EXPECT_EQ(Get(Dir("blkio") + "/blkio.leaf_weight_device"), "8:0 100");
  EXPECT_EQ(Get(Dir("blkio") + "/blkio.throttle.read_bps_device"), "8:0 1000");
  EXPECT_EQ(Get(Dir("blkio") + "/blkio.throttle.write_bps_device"), "8:0 2000");
  EXPECT_EQ(Get(Dir("blkio") + "/blkio.throttle.read_iops_device"), "8:0 30");
  EXPECT_EQ(Get(Dir("blkio") + "/blkio.throttle.write_iops_device"), "8:0 40");
  EXPECT_EQ(Get(Dir("hugetlb") + "/hugetlb.2MB.limit_in_bytes"), std::to_string(4 << 20));
  EXPECT_EQ(Get(Dir("net_cls") + "/net_cls.classid"), std::to_string(0x100001));
  EXPECT_EQ(Get(Dir("net_prio") + "/net_prio.ifpriomap"), "eth0 5");
  EXPECT_EQ(Get(Dir("devices") + "/devices.deny"), "a *:* rwm");
  EXPECT_EQ(Get(Dir("devices") + "/devices.allow"), "c 1:3 rwm");
}

TEST_F(FakeV1Test, PidsUnlimitedAndMemoryMinusOneMeansBothUnlimited) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  oci::Resources r;
  r.pids = oci::PidsResources{.limit = 0};
  r.memory = oci::MemoryResources{.limit = -1};
  ASSERT_TRUE(m->Apply(r).ok());
  EXPECT_EQ(Get(Dir("pids") + "/pids.max"), "max");
  EXPECT_EQ(Get(Dir("memory") + "/memory.limit_in_bytes"), "-1");
  EXPECT_EQ(Get(Dir("memory") + "/memory.memsw.limit_in_bytes"), "-1");
}

TEST_F(FakeV1Test, RefusesWhatTheHostCannotDo) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  fs::remove(Dir("memory") + "/memory.memsw.limit_in_bytes");
  oci::Resources swap;
  swap.memory = oci::MemoryResources{.limit = 32 << 20, .swap = 64 << 20};
  EXPECT_EQ(m->Apply(swap).code(), Code::kFailedPrecondition);

  oci::Resources unified;
  unified.unified = {{"memory.high", "1"}};
  EXPECT_EQ(m->Apply(unified).code(), Code::kInvalidArgument);

  oci::Resources swappiness;
  swappiness.memory = oci::MemoryResources{.swappiness = 101};
  EXPECT_EQ(m->Apply(swappiness).code(), Code::kInvalidArgument);

  // A controller this host lacks.
  fs::remove_all(root_ + "/hugetlb");
  auto m2 = NewManager(h_, "", "c1");
  ASSERT_TRUE(m2.ok());
  oci::Resources huge;
  huge.hugepage_limits = {{.page_size = "2MB", .limit = 1}};
  EXPECT_EQ((*m2)->Apply(huge).code(), Code::kFailedPrecondition);
}

TEST_F(FakeV1Test, StatsFromFixtures) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  Put(Dir("cpuacct") + "/cpuacct.usage", "5000\n");
  Put(Dir("cpuacct") + "/cpuacct.usage_percpu", "3000 2000 \n");
  Put(Dir("cpuacct") + "/cpuacct.stat", "user 2\nsystem 1\n");
  Put(Dir("cpu") + "/cpu.stat", "nr_periods 7\nnr_throttled 3\nthrottled_time 99\n");
  Put(Dir("memory") + "/memory.usage_in_bytes", "1000\n");
  Put(Dir("memory") + "/memory.max_usage_in_bytes", "2000\n");
  Put(Dir("memory") + "/memory.limit_in_bytes", "4096\n");
  Put(Dir("memory") + "/memory.failcnt", "4\n");
  Put(Dir("memory") + "/memory.memsw.usage_in_bytes", "1500\n");
  Put(Dir("memory") + "/memory.memsw.limit_in_bytes", "8192\n");
  Put(Dir("memory") + "/memory.stat", "cache 100\nrss 200\nmapped_file 5\n");
  Put(Dir("memory") + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  Put(Dir("pids") + "/pids.current", "3\n");
  Put(Dir("pids") + "/pids.max", "max\n");
  Put(Dir("blkio") + "/blkio.throttle.io_service_bytes", "8:0 Read 10\n8:0 Write 20\nTotal 30\n");
  Put(Dir("blkio") + "/blkio.throttle.io_serviced", "8:0 Read 1\n");
  Put(Dir("hugetlb") + "/hugetlb.2MB.usage_in_bytes", "2097152\n");
  Put(Dir("hugetlb") + "/hugetlb.2MB.max_usage_in_bytes", "4194304\n");
  Put(Dir("hugetlb") + "/hugetlb.2MB.failcnt", "1\n");
  Put(Dir("hugetlb") + "/hugetlb.2MB.rsvd.usage_in_bytes", "0\n");

  auto st = m->GetStats();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->version, Version::kV1);
  EXPECT_EQ(st->cpu.usage_ns, 5000u);
  EXPECT_EQ(st->cpu.per_cpu_ns, (std::vector<uint64_t>{3000, 2000}));
  const uint64_t tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  EXPECT_EQ(st->cpu.user_ns, 2 * tick);
  EXPECT_EQ(st->cpu.system_ns, tick);
  EXPECT_EQ(st->cpu.nr_periods, 7u);
  EXPECT_EQ(st->cpu.nr_throttled, 3u);
  EXPECT_EQ(st->cpu.throttled_ns, 99u);
  EXPECT_EQ(st->memory.usage, 1000u);
  EXPECT_EQ(st->memory.max_usage, 2000u);
  EXPECT_EQ(st->memory.limit, 4096u);
  EXPECT_EQ(st->memory.failcnt, 4u);
  EXPECT_EQ(st->memory.swap_usage, 1500u);
  EXPECT_EQ(st->memory.swap_limit, 8192u);
  EXPECT_EQ(st->memory.cache, 100u);
  EXPECT_EQ(st->memory.rss, 200u);
  EXPECT_EQ(st->memory.raw.size(), 3u);
  EXPECT_EQ(st->memory.oom_kill, 2u);
  EXPECT_EQ(st->pids.current, 3u);
  EXPECT_EQ(st->pids.limit, 0u);
  ASSERT_EQ(st->io_service_bytes.size(), 2u);
  EXPECT_EQ(st->io_service_bytes[1].value, 20u);
  ASSERT_EQ(st->io_serviced.size(), 1u);
  ASSERT_EQ(st->hugetlb.size(), 1u);
  EXPECT_EQ(st->hugetlb[0].page_size, "2MB");
  EXPECT_EQ(st->hugetlb[0].usage, 2097152u);
  EXPECT_EQ(st->hugetlb[0].max, 4194304u);
  EXPECT_EQ(st->hugetlb[0].failcnt, 1u);
  EXPECT_EQ(*m->OomKillCount(), 2u);
}

TEST_F(FakeV1Test, FreezerAndPids) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->Freeze().ok());
  EXPECT_EQ(Get(Dir("freezer") + "/freezer.state"), "FROZEN");
  EXPECT_EQ(*m->GetFreezerState(), FreezerState::kFrozen);
  ASSERT_TRUE(m->Thaw().ok());
  EXPECT_EQ(*m->GetFreezerState(), FreezerState::kThawed);
  Put(Dir("freezer") + "/freezer.state", "FREEZING\n");
  EXPECT_EQ(*m->GetFreezerState(), FreezerState::kFreezing);

  Put(Dir("pids") + "/cgroup.procs", "10\n11\n");
  Put(Dir("pids") + "/sub/cgroup.procs", "12\n");
  auto pids = m->Pids();
  ASSERT_TRUE(pids.ok()) << pids.status().ToString();
  std::sort(pids->begin(), pids->end());
  EXPECT_EQ(*pids, (std::vector<pid_t>{10, 11, 12}));
}

// ---- v2 fake tree ----

class FakeV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path();
    Put(root_ + "/cgroup.controllers", "cpu memory\n");
    Put(root_ + "/cgroup.subtree_control", "memory\n");
    h_.version = Version::kV2;
    h_.root = root_;
    h_.self_paths = {{"", "/"}};
  }

  std::unique_ptr<Manager> NewCreated(const std::string& path = "/kube/pod1/c1") {
    auto m = NewManager(h_, path, "ignored");
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return nullptr;
    Status s = (*m)->Create();
    EXPECT_TRUE(s.ok()) << s.ToString();
    dir_ = root_ + (*m)->path();
    for (const char* f : {"cpu.weight", "cpu.idle", "cpuset.cpus", "cpuset.mems", "memory.max",
                          "memory.low", "memory.swap.max", "memory.high", "pids.max",
                          "io.weight", "io.max", "hugetlb.2MB.max", "cgroup.freeze"}) {
      Put(dir_ + "/" + f);
    }
    Put(dir_ + "/cpu.max", "max 100000\n");
    Put(dir_ + "/cgroup.events", "populated 0\nfrozen 0\n");
    return std::move(*m);
  }

  TempDir tmp_;
  std::string root_, dir_;
  Hierarchy h_;
};

TEST_F(FakeV2Test, CreateEnablesMissingControllersInParents) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->version(), Version::kV2);
  EXPECT_EQ(m->path(), "/kube/pod1/c1");
  EXPECT_TRUE(fs::is_directory(root_ + "/kube/pod1/c1"));
  // "memory" was already on; only cpu is written.
  EXPECT_EQ(Get(root_ + "/cgroup.subtree_control"), "+cpu");
}

TEST_F(FakeV2Test, AppliesFullResources) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  oci::Resources r;
  r.cpu = oci::CpuResources{.shares = 1024, .quota = 50000, .period = 100000, .cpus = "0-1",
                            .mems = "0", .idle = 1};
  r.memory = oci::MemoryResources{.limit = 64 << 20, .reservation = 16 << 20, .swap = 96 << 20};
  r.pids = oci::PidsResources{.limit = -1};
  r.block_io = oci::BlockIoResources{
      .weight = 500, .throttle_write_iops_device = {{.major = 8, .minor = 0, .rate = 40}}};
  r.hugepage_limits = {{.page_size = "2MB", .limit = 4 << 20}};
  r.unified = {{"memory.high", "50000000"}};
  Status s = m->Apply(r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Get(dir_ + "/cpu.weight"), "39");
  EXPECT_EQ(Get(dir_ + "/cpu.max"), "50000 100000");
  EXPECT_EQ(Get(dir_ + "/cpu.idle"), "1");
  EXPECT_EQ(Get(dir_ + "/cpuset.cpus"), "0-1");
  EXPECT_EQ(Get(dir_ + "/cpuset.mems"), "0");
  EXPECT_EQ(Get(dir_ + "/memory.max"), std::to_string(64 << 20));
  EXPECT_EQ(Get(dir_ + "/memory.low"), std::to_string(16 << 20));
  EXPECT_EQ(Get(dir_ + "/memory.swap.max"), std::to_string(32 << 20));
  EXPECT_EQ(Get(dir_ + "/pids.max"), "max");
  EXPECT_EQ(Get(dir_ + "/io.weight"), "4950");
  EXPECT_EQ(Get(dir_ + "/io.max"), "8:0 wiops=40");
  EXPECT_EQ(Get(dir_ + "/hugetlb.2MB.max"), std::to_string(4 << 20));
  EXPECT_EQ(Get(dir_ + "/memory.high"), "50000000");
}

TEST_F(FakeV2Test, CpuMaxKeepsTheHalfNotUpdated) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  oci::Resources quota;
  quota.cpu = oci::CpuResources{.quota = 20000};
  ASSERT_TRUE(m->Apply(quota).ok());
  EXPECT_EQ(Get(dir_ + "/cpu.max"), "20000 100000");
  oci::Resources period;
  period.cpu = oci::CpuResources{.period = 50000};
  ASSERT_TRUE(m->Apply(period).ok());
  EXPECT_EQ(Get(dir_ + "/cpu.max"), "20000 50000");
  oci::Resources unlimited;
  unlimited.cpu = oci::CpuResources{.quota = -1};
  ASSERT_TRUE(m->Apply(unlimited).ok());
  EXPECT_EQ(Get(dir_ + "/cpu.max"), "max 50000");
}

TEST_F(FakeV2Test, RejectsBadInput) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  oci::Resources escape;
  escape.unified = {{"../memory.max", "1"}};
  EXPECT_EQ(m->Apply(escape).code(), Code::kInvalidArgument);
  EXPECT_FALSE(PathExists(root_ + "/kube/pod1/memory.max"));
  oci::Resources nested;
  nested.unified = {{"sub/memory.max", "1"}};
  EXPECT_EQ(m->Apply(nested).code(), Code::kInvalidArgument);
  oci::Resources swap_only;
  swap_only.memory = oci::MemoryResources{.swap = 1 << 20};
  EXPECT_EQ(m->Apply(swap_only).code(), Code::kInvalidArgument);
  oci::Resources rt;
  rt.cpu = oci::CpuResources{.realtime_runtime = 100};
  EXPECT_EQ(m->Apply(rt).code(), Code::kInvalidArgument);
  oci::Resources missing;
  missing.unified = {{"nosuch.file", "1"}};
  EXPECT_EQ(m->Apply(missing).code(), Code::kNotFound);
  EXPECT_EQ(NewManager(h_, "a.slice:see:x", "x").status().code(), Code::kUnimplemented);
  EXPECT_EQ(NewManager(h_, "/", "x").status().code(), Code::kInvalidArgument);
}

TEST_F(FakeV2Test, StatsFreezerAndOomFromFixtures) {
  auto m = NewCreated();
  ASSERT_NE(m, nullptr);
  Put(dir_ + "/cpu.stat",
      "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 5\nnr_throttled 2\n"
      "throttled_usec 7\n");
  Put(dir_ + "/memory.current", "3000\n");
  Put(dir_ + "/memory.max", "max\n");
  Put(dir_ + "/memory.swap.current", "100\n");
  Put(dir_ + "/memory.stat", "anon 1000\nfile 2000\n");
  Put(dir_ + "/memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n");
  Put(dir_ + "/pids.current", "4\n");
  Put(dir_ + "/pids.max", "50\n");
  Put(dir_ + "/io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n");
  Put(dir_ + "/hugetlb.2MB.current", "0\n");
  Put(dir_ + "/hugetlb.2MB.max", "max\n");
  Put(dir_ + "/hugetlb.2MB.events", "max 3\n");
  auto st = m->GetStats();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->version, Version::kV2);
  EXPECT_EQ(st->cpu.usage_ns, 10000u);
  EXPECT_EQ(st->cpu.user_ns, 6000u);
  EXPECT_EQ(st->cpu.system_ns, 4000u);
  EXPECT_EQ(st->cpu.nr_periods, 5u);
  EXPECT_EQ(st->cpu.throttled_ns, 7000u);
  EXPECT_EQ(st->memory.usage, 3000u);
  EXPECT_EQ(st->memory.limit, UINT64_MAX);
  EXPECT_EQ(st->memory.swap_usage, 100u);
  EXPECT_EQ(st->memory.rss, 1000u);
  EXPECT_EQ(st->memory.cache, 2000u);
  EXPECT_EQ(st->memory.failcnt, 9u);
  EXPECT_EQ(st->memory.oom_kill, 1u);
  EXPECT_EQ(st->pids.current, 4u);
  EXPECT_EQ(st->pids.limit, 50u);
  ASSERT_EQ(st->io_service_bytes.size(), 3u);
  EXPECT_EQ(st->io_service_bytes[0].value, 100u);
  ASSERT_EQ(st->hugetlb.size(), 1u);
  EXPECT_EQ(st->hugetlb[0].max, UINT64_MAX);
  EXPECT_EQ(st->hugetlb[0].failcnt, 3u);
  EXPECT_EQ(*m->OomKillCount(), 1u);
  auto notifier = m->OpenOomNotifier();
  ASSERT_TRUE(notifier.ok()) << notifier.status().ToString();
  EXPECT_TRUE(notifier->valid());

  EXPECT_EQ(*m->GetFreezerState(), FreezerState::kThawed);
  Put(dir_ + "/cgroup.freeze", "1\n");
  EXPECT_EQ(*m->GetFreezerState(), FreezerState::kFreezing);
  Put(dir_ + "/cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_TRUE(m->Freeze().ok());
  EXPECT_EQ(Get(dir_ + "/cgroup.freeze"), "1");
  EXPECT_EQ(*m->GetFreezerState(), FreezerState::kFrozen);
  ASSERT_TRUE(m->Thaw().ok());
  EXPECT_EQ(Get(dir_ + "/cgroup.freeze"), "0");
}

}  // namespace
}  // namespace see::cgroups
