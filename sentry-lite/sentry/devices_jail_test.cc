// The devices jail on this node, in each hierarchy it has (a hybrid node has both the v1 devices
// controller and a cgroup2 mount): a process that entered it may open no device, its other opens
// work, and entering again (another sentry) neither fails nor piles up programs.
#include "sentry-lite/sentry/devices_jail.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "base/unique_fd.h"
#include "sentry-lite/notify/handlers.h"

namespace see::sentry {
namespace {

// In a child: enters `jail`, then 0 when /dev/null and /dev/zero are refused with EPERM, a
// regular file still opens and the notify loop was told; else the step that failed.
int EnterInChild(const DevicesJail& jail) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!EnterDevicesJail(jail).ok()) _exit(2);
    if (!DevicesRefusedToSentry()) _exit(3);
    for (const char* dev : {"/dev/null", "/dev/zero"}) {
      int fd = open(dev, O_RDONLY | O_CLOEXEC);
      if (fd >= 0 || errno != EPERM) _exit(4);
    }
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    _exit(fd >= 0 ? 0 : 5);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

uint32_t DeviceProgramsOn(const std::string& dir) {
  UniqueFd cgroup(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  uint32_t ids[8];
  bpf_attr q{};
  q.query.target_fd = static_cast<uint32_t>(cgroup.get());
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = reinterpret_cast<uint64_t>(ids);
  q.query.prog_cnt = 8;
  if (syscall(SYS_bpf, BPF_PROG_QUERY, &q, sizeof(q)) != 0) return 999;
  return q.query.prog_cnt;
}

class DevicesJailTest : public ::testing::TestWithParam<DevicesJail::Kind> {};

TEST_P(DevicesJailTest, RefusesEveryDeviceAndNothingElse) {
  const std::string name = "see-sentry-test-" + std::to_string(getpid());
  auto jail = FindDevicesJail(GetParam(), name);
  if (!jail.ok()) GTEST_SKIP() << jail.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(jail->back + "/cgroup.procs")) << "where a failed entry goes back: " << jail->back;
  EXPECT_EQ(EnterInChild(*jail), 0);
  EXPECT_EQ(EnterInChild(*jail), 0) << "a second sentry enters the same jail";
  if (GetParam() == DevicesJail::Kind::kV2Bpf) {
    EXPECT_EQ(DeviceProgramsOn(jail->dir), 1u);
  }
  // This process never entered it: its own opens of devices are untouched.
  UniqueFd null(open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(null.valid());
  EXPECT_FALSE(DevicesRefusedToSentry());
  EXPECT_EQ(rmdir(jail->dir.c_str()), 0) << jail->dir;  // both children are gone
}

// In a child: enters `jail`, whose probe the jail does not refuse. 0 when entry fails, saying the
// process went back, and the process is in its old cgroup again, opens devices and was not
// trusted to be refused them; else the step that failed.
int FailEntryInChild(const DevicesJail& jail) {
  pid_t pid = fork();
  if (pid == 0) {
    Status entered = EnterDevicesJail(jail);
    if (entered.ok()) _exit(2);
    if (entered.ToString().find("back in " + jail.back) == std::string::npos) _exit(3);
    if (DevicesRefusedToSentry()) _exit(4);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) _exit(5);
    close(fd);
    std::ifstream cgroup("/proc/self/cgroup");
    std::string text((std::istreambuf_iterator<char>(cgroup)), std::istreambuf_iterator<char>());
    auto own = internal::OwnCgroup(text, jail.kind);
    if (!own.has_value() || own->find(jail.dir.substr(jail.dir.rfind('/'))) != std::string::npos) _exit(6);
    _exit(0);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST_P(DevicesJailTest, AJailThatDoesNotRefuseItsProbeIsLeftAgain) {
  const std::string name = "see-sentry-test-back-" + std::to_string(getpid());
  auto jail = FindDevicesJail(GetParam(), name);
  if (!jail.ok()) GTEST_SKIP() << jail.status().ToString();
  jail->probe = "/proc/self/status";  // not a device: the jail lets it open
  EXPECT_EQ(FailEntryInChild(*jail), 0);
  EXPECT_EQ(rmdir(jail->dir.c_str()), 0) << jail->dir;
}

TEST(DevicesJailParse, MountsAndOwnCgroups) {
  const std::string mountinfo =
      "25 1 0:23 / /sys/fs/cgroup ro - tmpfs tmpfs ro\n"
      "30 25 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
      "36 25 0:31 /docker/abc /sys/fs/cgroup/devices rw - cgroup cgroup rw,freezer,devices\n";
  auto v1 = internal::MountOf(mountinfo, "cgroup", "devices");
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->root, "/docker/abc");
  EXPECT_EQ(v1->point, "/sys/fs/cgroup/devices");
  auto v2 = internal::MountOf(mountinfo, "cgroup2", "");
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->point, "/sys/fs/cgroup/unified");
  EXPECT_FALSE(internal::MountOf(mountinfo, "cgroup", "pids").has_value());
  EXPECT_FALSE(internal::MountOf("garbage\n - \n", "cgroup2", "").has_value());

  const std::string cgroups = "12:pids:/x\n4:freezer,devices:/docker/abc/y\n1:name=systemd:/z\n0::/u\n";
  EXPECT_EQ(internal::OwnCgroup(cgroups, DevicesJail::Kind::kV1Devices), "/docker/abc/y");
  EXPECT_EQ(internal::OwnCgroup(cgroups, DevicesJail::Kind::kV2Bpf), "/u");
  EXPECT_FALSE(internal::OwnCgroup("12:pids:/x\n", DevicesJail::Kind::kV1Devices).has_value());
  EXPECT_FALSE(internal::OwnCgroup("10::/not-v2\n", DevicesJail::Kind::kV2Bpf).has_value());
}

INSTANTIATE_TEST_SUITE_P(Hierarchies, DevicesJailTest,
                         ::testing::Values(DevicesJail::Kind::kV1Devices, DevicesJail::Kind::kV2Bpf),
                         [](const auto& info) {
                           return info.param == DevicesJail::Kind::kV1Devices ? "V1Devices" : "V2Bpf";
                         });

}  // namespace
}  // namespace see::sentry
