#include "sentry-lite/fs/views.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "base/file_util.h"

namespace see::sentry {
namespace {

class PodViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/see-views-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    host_.mem_total = 8ull << 30;
    host_.cpus = 4;
    host_.boottime = 1000;
    host_.loads[0] = 2.0;
  }
  void TearDown() override { (void)!system(("rm -rf " + dir_).c_str()); }
  void Put(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteFile(dir_ + "/" + name, text).ok());
  }
  PodLimits Limits(double start = 900) const {
    return PodViews(PodViewConfig{dir_, dir_, start}).Limits(host_);
  }

  std::string dir_;
  HostInfo host_;
};

TEST_F(PodViewsTest, CgroupV1Limits) {
  Put("memory.limit_in_bytes", "536870912\n");
  Put("memory.usage_in_bytes", "104857600\n");
  Put("memory.stat", "cache 1\ntotal_inactive_file 52428800\n");
  Put("cpu.cfs_quota_us", "150000\n");
  Put("cpu.cfs_period_us", "100000\n");
  Put("cpuacct.usage", "30000000000\n");
  Put("tasks", "1\n2\n3\n");
  PodLimits l = Limits();
  EXPECT_EQ(l.mem_total, 512ull << 20);
  EXPECT_EQ(l.mem_free, 412ull << 20);
  EXPECT_EQ(l.mem_available, 462ull << 20);
  EXPECT_EQ(l.cpus, 2);
  EXPECT_DOUBLE_EQ(l.uptime, 100);
  EXPECT_DOUBLE_EQ(l.cpu_usage, 30);
  EXPECT_EQ(l.tasks, 3);
}

TEST_F(PodViewsTest, CgroupV2Limits) {
  Put("memory.max", "1073741824\n");
  Put("memory.current", "0\n");
  Put("cpu.max", "50000 100000\n");
  PodLimits l = Limits();
  EXPECT_EQ(l.mem_total, 1ull << 30);
  EXPECT_EQ(l.cpus, 1);
}

TEST_F(PodViewsTest, NoLimitMeansHostAndLimitsAreCapped) {
  Put("memory.max", "max\n");
  Put("cpu.max", "max 100000\n");
  EXPECT_EQ(Limits().mem_total, host_.mem_total);
  EXPECT_EQ(Limits().cpus, 4);
  Put("memory.max", "99999999999999\n");
  Put("cpu.max", "1000000 100000\n");
  EXPECT_EQ(Limits().mem_total, host_.mem_total);
  EXPECT_EQ(Limits().cpus, 4);
}

TEST_F(PodViewsTest, V1UnlimitedAndMissingFiles) {
  Put("memory.limit_in_bytes", "9223372036854771712\n");
  Put("cpu.cfs_quota_us", "-1\n");
  Put("cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(Limits().mem_total, host_.mem_total);
  EXPECT_EQ(Limits().cpus, 4);
  PodLimits none = PodViews(PodViewConfig{dir_ + "/absent", "", 0}).Limits(host_);
  EXPECT_EQ(none.mem_total, host_.mem_total);
  EXPECT_EQ(none.cpus, 4);
}

// "used" as free(1), psutil and htop compute it (MemTotal - MemFree - Buffers - Cached -
// SReclaimable) must be the pod's and never negative: the page cache lines are the pod's own.
TEST_F(PodViewsTest, PageCacheFiguresAreThePodsOwn) {
  std::string host =
      "MemTotal:        8388608 kB\nMemFree:         1000000 kB\nMemAvailable:    7000000 kB\n"
      "Buffers:          300000 kB\nCached:          5000000 kB\nShmem:             90000 kB\n"
      "SReclaimable:     400000 kB\nKernelStack:       20000 kB\nAnonPages:       2000000 kB\n";
  auto used_kb = [](const std::string& meminfo) {
    auto get = [&](const std::string& key) {
      size_t at = meminfo.find(key + ":");
      return at == std::string::npos ? -1L : atol(meminfo.c_str() + at + key.size() + 1);
    };
    return get("MemTotal") - get("MemFree") - get("Buffers") - get("Cached") - get("SReclaimable");
  };
  // No limit (the host's total), 100 MiB used, 60 MiB of it page cache (8 MiB shmem).
  Put("memory.max", "max\n");
  Put("memory.current", "104857600\n");
  Put("memory.stat", "anon 20971520\nfile 62914560\nshmem 8388608\nslab_reclaimable 4194304\n"
                     "inactive_file 31457280\nkernel_stack 65536\n");
  PodLimits l = Limits();
  std::string v2 = RenderViewFile(ViewFile::kMeminfo, host, l, HostInfo{});
  EXPECT_EQ(used_kb(v2), (100 - 60 - 4) * 1024) << v2;
  EXPECT_NE(v2.find("Buffers:               0 kB\n"), std::string::npos) << v2;
  EXPECT_NE(v2.find("Shmem:              8192 kB\n"), std::string::npos) << v2;
  EXPECT_NE(v2.find("KernelStack:          64 kB\n"), std::string::npos) << v2;
  EXPECT_EQ(l.MemFigure("Shmem:"), 8ull << 20);
  EXPECT_EQ(l.MemFigure("HugePages_Total:"), std::nullopt);

  // cgroup v1: hierarchical totals preferred; no slab figures (0). A cache figure above the
  // usage (the counters are read one after the other) is held to it.
  std::remove((dir_ + "/memory.max").c_str());
  Put("memory.limit_in_bytes", "536870912\n");
  Put("memory.usage_in_bytes", "52428800\n");
  Put("memory.stat", "cache 1\ntotal_cache 62914560\ntotal_rss 10485760\ntotal_shmem 1048576\n");
  l = Limits();
  std::string v1 = RenderViewFile(ViewFile::kMeminfo, host, l, HostInfo{});
  EXPECT_EQ(used_kb(v1), 0) << v1;
  EXPECT_NE(v1.find("MemTotal:         524288 kB\n"), std::string::npos) << v1;
  EXPECT_NE(v1.find("AnonPages:         10240 kB\n"), std::string::npos) << v1;
  EXPECT_NE(v1.find("SReclaimable:          0 kB\n"), std::string::npos) << v1;

  // No memory.stat: the host's figures, capped at the pod's total, as before.
  std::remove((dir_ + "/memory.stat").c_str());
  l = Limits();
  EXPECT_TRUE(l.mem_figures.empty());
  EXPECT_NE(RenderViewFile(ViewFile::kMeminfo, host, l, HostInfo{}).find("Cached:           524288 kB\n"),
            std::string::npos);
}

TEST(ViewRenderTest, Classify) {
  EXPECT_EQ(ClassifyViewPath("proc/meminfo"), ViewFile::kMeminfo);
  EXPECT_EQ(ClassifyViewPath("sys/devices/system/cpu/online"), ViewFile::kCpuOnline);
  EXPECT_EQ(ClassifyViewPath("proc/self/status"), ViewFile::kNone);
  EXPECT_EQ(ClassifyViewPath("x/proc/meminfo"), ViewFile::kNone);
}

TEST(ViewRenderTest, Meminfo) {
  PodLimits l;
  l.mem_total = 512ull << 20;
  l.mem_free = 400ull << 20;
  l.mem_available = 450ull << 20;
  std::string host =
      "MemTotal:        8000000 kB\nMemFree:         7000000 kB\nMemAvailable:    7500000 kB\n"
      "Cached:          2000000 kB\nHugePages_Total:       0\n";
  EXPECT_EQ(RenderViewFile(ViewFile::kMeminfo, host, l, HostInfo{}),
            "MemTotal:         524288 kB\nMemFree:          409600 kB\n"
            "MemAvailable:     460800 kB\nCached:           524288 kB\nHugePages_Total:       0\n");
}

TEST(ViewRenderTest, CpuinfoStatAndLists) {
  PodLimits l;
  l.cpus = 2;
  std::string cpuinfo =
      "processor\t: 0\nmodel name\t: X\nsiblings\t: 4\n\nprocessor\t: 1\nmodel name\t: X\n"
      "siblings\t: 4\n\nprocessor\t: 2\nmodel name\t: X\nsiblings\t: 4\n\n";
  EXPECT_EQ(RenderViewFile(ViewFile::kCpuinfo, cpuinfo, l, HostInfo{}),
            "processor\t: 0\nmodel name\t: X\nsiblings\t: 2\n\nprocessor\t: 1\nmodel name\t: X\n"
            "siblings\t: 2\n\n");
  std::string stat = "cpu  6 6 6\ncpu0 1 2 3\ncpu1 1 2 3\ncpu2 4 2 0\nintr 5\nbtime 7\n";
  EXPECT_EQ(RenderViewFile(ViewFile::kStat, stat, l, HostInfo{}),
            "cpu  2 4 6\ncpu0 1 2 3\ncpu1 1 2 3\nintr 5\nbtime 7\n");
  EXPECT_EQ(CpuListText(1), "0\n");
  EXPECT_EQ(CpuListText(3), "0-2\n");
  l.uptime = 10;
  l.cpu_usage = 5;
  EXPECT_EQ(RenderViewFile(ViewFile::kUptime, "", l, HostInfo{}), "10.00 15.00\n");
  HostInfo h;
  h.cpus = 4;
  l.tasks = 7;
  EXPECT_EQ(RenderViewFile(ViewFile::kLoadavg, "4.00 2.00 1.00 3/500 1234\n", l, h),
            "2.00 1.00 0.50 2/7 1234\n");
}

}  // namespace
TEST(ViewsTest, MountTablesLoseHostPaths) {
  EXPECT_EQ(ClassifyViewPath("proc/12/mountinfo"), ViewFile::kMountinfo);
  EXPECT_EQ(ClassifyViewPath("proc/12/task/13/mountinfo"), ViewFile::kMountinfo);
  EXPECT_EQ(ClassifyViewPath("proc/12/mounts"), ViewFile::kMounts);
  EXPECT_EQ(ClassifyViewPath("proc/x/mounts"), ViewFile::kNone);
  EXPECT_EQ(ClassifyViewPath("proc/12/mountstats"), ViewFile::kNone);
  std::string info =
      "26 1 0:30 / / ro,relatime - overlay overlay rw,lowerdir=/var/lib/c/1/fs:/var/lib/c/2/fs,"
      "upperdir=/var/lib/c/3/fs,workdir=/var/lib/c/3/work,index=off\n"
      "27 26 8:1 /var/lib/kubelet/pods/x/volumes/v /data rw shared:5 - ext4 /dev/vda1 rw\n";
  std::string got = RenderMountinfo(info);
  EXPECT_EQ(got,
            "26 1 0:30 / / ro,relatime - overlay overlay rw,index=off\n"
            "27 26 8:1 / /data rw shared:5 - ext4 /dev/vda1 rw\n");
  EXPECT_EQ(RenderMounts("overlay / overlay rw,lowerdir=/a,upperdir=/b,workdir=/c 0 0\n"),
            "overlay / overlay rw 0 0\n");
}

}  // namespace see::sentry
