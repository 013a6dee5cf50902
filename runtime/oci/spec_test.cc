#include "runtime/oci/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "base/file_util.h"

namespace see::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TestData(const std::string& name) {
  Result<std::string> text = ReadFile(std::string(SEE_OCI_TESTDATA_DIR) + "/" + name);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

Spec ParseOk(const std::string& json) {
  Result<Spec> s = ParseSpec(json);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : Spec{};
}

TEST(ParseSpecTest, CriContainerConfig) {
  Spec s = ParseOk(TestData("cri_container.json"));
  EXPECT_EQ(s.oci_version, "1.0.2-dev");
  ASSERT_TRUE(s.process);
  EXPECT_FALSE(s.process->terminal);
  EXPECT_EQ(s.process->user.uid, 1000u);
  EXPECT_THAT(s.process->user.additional_gids, ElementsAre(1000u, 2000u));
  EXPECT_THAT(s.process->args, ElementsAre("python3", "-m", "http.server", "8080"));
  EXPECT_EQ(s.process->cwd, "/app");
  ASSERT_TRUE(s.process->capabilities);
  EXPECT_EQ(s.process->capabilities->bounding.size(), 14u);
  EXPECT_TRUE(s.process->capabilities->ambient.empty());
  EXPECT_TRUE(s.process->no_new_privileges);
  EXPECT_EQ(s.process->oom_score_adj, 968);
  EXPECT_EQ(s.process->apparmor_profile, "cri-containerd.apparmor.d");
  ASSERT_TRUE(s.root);
  EXPECT_EQ(s.root->path, "rootfs");
  EXPECT_FALSE(s.root->readonly);
  ASSERT_EQ(s.mounts.size(), 12u);
  EXPECT_EQ(s.mounts[6].destination, "/etc/hosts");
  EXPECT_EQ(s.mounts[6].type, "bind");
  EXPECT_THAT(s.mounts[6].options, ElementsAre("rbind", "rprivate", "rw"));
  EXPECT_EQ(s.annotations.at("io.kubernetes.cri.container-type"), "container");
  ASSERT_TRUE(s.linux);
  const Linux& l = *s.linux;
  ASSERT_EQ(l.namespaces.size(), 5u);
  EXPECT_EQ(l.namespaces[1].type, NamespaceType::kIpc);
  EXPECT_EQ(l.namespaces[1].path, "/proc/41877/ns/ipc");
  EXPECT_TRUE(s.HasNamespace(NamespaceType::kNetwork));
  EXPECT_FALSE(s.HasNamespace(NamespaceType::kUser));
  ASSERT_NE(s.FindNamespace(NamespaceType::kNetwork), nullptr);
  EXPECT_THAT(s.FindNamespace(NamespaceType::kNetwork)->path, HasSubstr("/var/run/netns/cni-"));
  EXPECT_THAT(l.cgroups_path, HasSubstr("/kubepods/burstable/pod"));
  ASSERT_TRUE(l.resources);
  ASSERT_EQ(l.resources->devices.size(), 1u);
  EXPECT_FALSE(l.resources->devices[0].allow);
  EXPECT_EQ(l.resources->devices[0].type, "a");
  EXPECT_FALSE(l.resources->devices[0].major);
  EXPECT_EQ(l.resources->devices[0].access, "rwm");
  ASSERT_TRUE(l.resources->memory);
  EXPECT_EQ(l.resources->memory->limit, 536870912);
  EXPECT_FALSE(l.resources->memory->reservation);
  ASSERT_TRUE(l.resources->cpu);
  EXPECT_EQ(l.resources->cpu->shares, 256u);
  EXPECT_EQ(l.resources->cpu->quota, 50000);
  EXPECT_EQ(l.resources->cpu->period, 100000u);
  EXPECT_FALSE(l.resources->pids);
  ASSERT_EQ(l.resources->hugepage_limits.size(), 2u);
  EXPECT_EQ(l.resources->hugepage_limits[1].page_size, "1GB");
  EXPECT_EQ(l.masked_paths.size(), 9u);
  EXPECT_EQ(l.readonly_paths.size(), 6u);
  ASSERT_TRUE(l.seccomp);
  EXPECT_EQ(l.seccomp->default_action, SeccompAction::kErrno);
  EXPECT_THAT(l.seccomp->architectures,
              ElementsAre("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"));
  ASSERT_EQ(l.seccomp->syscalls.size(), 10u);
  const SeccompSyscall& clone = l.seccomp->syscalls[7];
  EXPECT_THAT(clone.names, ElementsAre("clone"));
  ASSERT_EQ(clone.args.size(), 1u);
  EXPECT_EQ(clone.args[0].op, SeccompOp::kMaskedEqual);
  EXPECT_EQ(clone.args[0].value, 2114060288u);
  EXPECT_EQ(l.seccomp->syscalls[4].args[0].value, 4294967295u);
  EXPECT_EQ(l.seccomp->syscalls[8].action, SeccompAction::kErrno);
  EXPECT_EQ(l.seccomp->syscalls[8].errno_ret, 38u);
}

TEST(ParseSpecTest, CriSandboxConfig) {
  Spec s = ParseOk(TestData("cri_sandbox.json"));
  ASSERT_TRUE(s.process);
  EXPECT_THAT(s.process->args, ElementsAre("/pause"));
  EXPECT_EQ(s.process->oom_score_adj, -998);
  EXPECT_TRUE(s.root->readonly);
  EXPECT_EQ(s.hostname, "web-0");
  EXPECT_EQ(s.annotations.at("io.kubernetes.cri.container-type"), "sandbox");
  ASSERT_TRUE(s.linux);
  EXPECT_EQ(s.linux->sysctl.at("net.ipv4.ip_unprivileged_port_start"), "0");
  EXPECT_EQ(s.linux->sysctl.at("net.ipv4.ping_group_range"), "0 2147483647");
  EXPECT_EQ(s.linux->resources->cpu->shares, 2u);
}

TEST(ParseSpecTest, RuncSpecOutputEqualsDefaultSpec) {
  Spec s = ParseOk(TestData("runc_spec.json"));
  ASSERT_TRUE(s.process);
  ASSERT_EQ(s.process->rlimits.size(), 1u);
  EXPECT_EQ(s.process->rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(s.process->rlimits[0].soft, 1024u);
  EXPECT_EQ(s, DefaultSpec(false));
}

TEST(ParseSpecTest, RuncRootlessSpecOutputEqualsDefaultRootlessSpec) {
  Spec s = ParseOk(TestData("runc_spec_rootless.json"));
  // The file was written by root; DefaultSpec maps whoever runs the test.
  ASSERT_TRUE(s.linux);
  ASSERT_EQ(s.linux->uid_mappings.size(), 1u);
  ASSERT_EQ(s.linux->gid_mappings.size(), 1u);
  s.linux->uid_mappings[0].host_id = getuid();
  s.linux->gid_mappings[0].host_id = getgid();
  EXPECT_EQ(s, DefaultSpec(true));
  EXPECT_TRUE(s.HasNamespace(NamespaceType::kUser));
  EXPECT_FALSE(s.HasNamespace(NamespaceType::kNetwork));
}

// A spec that sets every field the model has, to prove the serialiser writes all of them.
Spec KitchenSinkSpec() {
  Spec s = DefaultSpec(false);
  s.oci_version = "1.1.0";
  Process& p = *s.process;
  p.console_size = ConsoleSize{.height = 24, .width = 80};
  p.user = User{.uid = 1, .gid = 2, .umask = 022, .additional_gids = {3, 4}, .username = "u"};
  p.capabilities->inheritable = {"CAP_SYS_ADMIN"};
  p.rlimits.push_back(Rlimit{.type = "RLIMIT_CORE", .resource = RLIMIT_CORE, .soft = 0,
                             .hard = UINT64_MAX});
  p.apparmor_profile = "unconfined";
  p.oom_score_adj = -1000;
  p.selinux_label = "system_u:system_r:container_t:s0:c1,c2";
  p.io_priority = IoPriority{.io_class = "IOPRIO_CLASS_BE", .priority = 4};
  p.scheduler = Scheduler{.policy = "SCHED_DEADLINE", .nice = -5, .priority = 0,
                          .flags = {"SCHED_FLAG_RESET_ON_FORK"}, .runtime = 10000,
                          .deadline = 20000, .period = 30000};
  s.domainname = "example.org";
  s.mounts.push_back(Mount{.destination = "/data", .type = "bind", .source = "/srv/data",
                           .options = {"rbind", "ridmap"},
                           .uid_mappings = {{0, 100000, 65536}},
                           .gid_mappings = {{0, 100000, 65536}}});
  Hooks h;
  h.prestart = {Hook{.path = "/bin/true"}};
  h.create_runtime = {Hook{.path = "/usr/bin/nvidia-ctk", .args = {"nvidia-ctk", "hook"},
                           .env = {"A=1"}, .timeout = 5}};
  h.create_container = {Hook{.path = "/bin/cc"}};
  h.start_container = {Hook{.path = "/bin/sc"}};
  h.poststart = {Hook{.path = "/bin/ps"}};
  h.poststop = {Hook{.path = "/bin/pst"}};
  s.hooks = h;
  s.annotations = {{"a", "b"}, {"weird\nkey", "\x01value"}};
  Linux& l = *s.linux;
  l.namespaces.push_back({NamespaceType::kUser, ""});
  l.namespaces.push_back({NamespaceType::kCgroup, "/proc/1/ns/cgroup"});
  l.namespaces.push_back({NamespaceType::kTime, ""});
  l.uid_mappings = {{0, 100000, 65536}};
  l.gid_mappings = {{0, 100000, 65536}, {65536, 5000, 1}};
  l.devices = {Device{.path = "/dev/fuse", .type = 'c', .major = 10, .minor = 229,
                      .file_mode = 0666, .uid = 0, .gid = 0},
               Device{.path = "/dev/sda", .type = 'b', .major = 8, .minor = 0},
               Device{.path = "/dev/fifo", .type = 'p'}};
  l.cgroups_path = "system.slice:see:abc";
  Resources& r = *l.resources;
  r.devices.push_back(DeviceCgroupRule{.allow = true, .type = "c", .major = 10, .minor = 229,
                                       .access = "rw"});
  r.devices.push_back(DeviceCgroupRule{.allow = true, .type = "b", .major = 8, .access = "m"});
  r.memory = MemoryResources{.limit = 1 << 30, .reservation = 1 << 29, .swap = -1,
                             .kernel = 0, .kernel_tcp = 1 << 20, .swappiness = 60,
                             .disable_oom_killer = false, .use_hierarchy = true,
                             .check_before_update = true};
  r.cpu = CpuResources{.shares = 1024, .quota = -1, .period = 100000, .realtime_runtime = 950,
                       .realtime_period = 1000, .cpus = "0-1,3", .mems = "0", .idle = 1};
  r.pids = PidsResources{.limit = 4096};
  r.block_io = BlockIoResources{
      .weight = 500, .leaf_weight = 300,
      .weight_device = {WeightDevice{.major = 8, .minor = 0, .weight = 200}},
      .throttle_read_bps_device = {ThrottleDevice{8, 0, 1048576}},
      .throttle_write_bps_device = {ThrottleDevice{8, 16, 2097152}},
      .throttle_read_iops_device = {ThrottleDevice{8, 0, 100}},
      .throttle_write_iops_device = {ThrottleDevice{8, 0, 200}}};
  r.hugepage_limits = {HugepageLimit{"2MB", 1 << 21}};
  r.network = NetworkResources{.class_id = 0x100001, .priorities = {{"eth0", 5}}};
  r.unified = {{"memory.high", "1073741824"}, {"cpu.weight", "100"}};
  l.masked_paths.push_back("/proc/foo");
  l.sysctl = {{"net.ipv4.ip_forward", "1"}, {"net/ipv4/conf/eth0.1/forwarding", "0"}};
  l.rootfs_propagation = Propagation::kRSlave;
  Seccomp sc;
  sc.default_action = SeccompAction::kErrno;
  sc.default_errno_ret = 1;
  sc.architectures = {"SCMP_ARCH_X86_64"};
  sc.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  sc.listener_path = "/run/see/seccomp.sock";
  sc.listener_metadata = "pod=abc";
  sc.syscalls = {
      SeccompSyscall{.names = {"read", "write"}, .action = SeccompAction::kAllow},
      SeccompSyscall{.names = {"mount"}, .action = SeccompAction::kNotify},
      SeccompSyscall{.names = {"ptrace"}, .action = SeccompAction::kErrno, .errno_ret = 1,
                     .args = {SeccompArg{.index = 5, .value = 7, .value_two = 3,
                                         .op = SeccompOp::kMaskedEqual},
                              SeccompArg{.index = 0, .value = 1, .op = SeccompOp::kNotEqual}}},
      SeccompSyscall{.names = {"kexec_load"}, .action = SeccompAction::kKillProcess}};
  l.seccomp = sc;
  l.personality = Personality{.domain = "LINUX32"};
  l.mount_label = "system_u:object_r:container_file_t:s0";
  l.time_offsets = {{"monotonic", TimeOffset{.secs = -86400, .nanosecs = 5}},
                    {"boottime", TimeOffset{.secs = 3600}}};
  l.intel_rdt_clos_id = "guaranteed";
  l.intel_rdt_l3_cache_schema = "L3:0=ff";
  return s;
}

TEST(SpecToJsonTest, RoundTripsEveryField) {
  Spec s = KitchenSinkSpec();
  std::string json = SpecToJson(s);
  Result<Spec> back = ParseSpec(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << json;
  EXPECT_EQ(*back, s) << json;
  // And the serialiser is stable on its own output.
  EXPECT_EQ(SpecToJson(*back), json);
}

TEST(SpecToJsonTest, RoundTripsRealConfigs) {
  for (const char* name : {"cri_container.json", "cri_sandbox.json", "runc_spec.json",
                           "runc_spec_rootless.json"}) {
    SCOPED_TRACE(name);
    Spec s = ParseOk(TestData(name));
    Result<Spec> back = ParseSpec(SpecToJson(s));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, s);
  }
}

TEST(SpecToJsonTest, WritesSpecMemberNames) {
  auto j = nlohmann::json::parse(SpecToJson(KitchenSinkSpec()));
  EXPECT_EQ(j["process"]["consoleSize"]["width"], 80);
  EXPECT_EQ(j["linux"]["resources"]["blockIO"]["throttleReadIOPSDevice"][0]["rate"], 100);
  EXPECT_EQ(j["linux"]["seccomp"]["syscalls"][2]["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(j["linux"]["rootfsPropagation"], "rslave");
  EXPECT_EQ(j["linux"]["namespaces"][5]["type"], "user");
  EXPECT_EQ(j["linux"]["devices"][0]["type"], "c");
  EXPECT_EQ(j["hooks"]["createRuntime"][0]["timeout"], 5);
  EXPECT_EQ(j["linux"]["intelRdt"]["closID"], "guaranteed");
  EXPECT_EQ(j["process"]["ioPriority"]["class"], "IOPRIO_CLASS_BE");
  EXPECT_EQ(j["process"]["scheduler"]["deadline"], 20000);
  EXPECT_EQ(j["linux"]["timeOffsets"]["monotonic"]["secs"], -86400);
  EXPECT_EQ(j["linux"]["resources"]["memory"]["checkBeforeUpdate"], true);
}

TEST(ParseSpecTest, AcceptsSpecVersions) {
  for (const char* v : {"1.0.0", "1.0.2", "1.0.2-dev", "1.1.0", "1.1.0-rc.1", "1.2.0"}) {
    SCOPED_TRACE(v);
    Spec s = DefaultSpec();
    s.oci_version = v;
    EXPECT_EQ(ParseOk(SpecToJson(s)).oci_version, v);
  }
}

TEST(ParseSpecTest, NullMeansAbsentAndUnknownKeysAreIgnored) {
  Spec s = ParseOk(R"({"ociVersion": "1.0.2", "root": {"path": "r", "x-vendor": [1, 2]},
      "hostname": null, "process": {"args": ["a"], "cwd": "/", "terminal": null,
      "oomScoreAdj": null, "futureField": {"deep": true}},
      "linux": {"resources": {"rdma": {"mlx5_0": {"hcaHandles": 3}}, "memory": null}}})");
  EXPECT_EQ(s.hostname, "");
  ASSERT_TRUE(s.process);
  EXPECT_FALSE(s.process->oom_score_adj);
  ASSERT_TRUE(s.linux && s.linux->resources);
  EXPECT_FALSE(s.linux->resources->memory);
}

TEST(ParseSpecTest, DeviceRuleWildcardsAndDefaults) {
  Spec s = ParseOk(R"({"ociVersion": "1.0.2", "root": {"path": "r"}, "linux": {"resources":
      {"devices": [{"allow": true, "type": "c", "major": -1, "minor": 5, "access": "r"},
                   {"allow": false, "type": ""}]},
      "devices": [{"type": "p", "path": "/dev/p"}]}})");
  const auto& rules = s.linux->resources->devices;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_FALSE(rules[0].major);
  EXPECT_EQ(rules[0].minor, 5);
  EXPECT_EQ(rules[1].type, "a");
  EXPECT_EQ(s.linux->devices[0].type, 'p');
  EXPECT_FALSE(s.process);
}

TEST(ParseSpecTest, JoiningAUserNamespaceNeedsNoMappings) {
  Spec s = ParseOk(R"({"ociVersion": "1.0.2", "root": {"path": "r"},
      "linux": {"namespaces": [{"type": "user", "path": "/proc/7/ns/user"}]}})");
  EXPECT_EQ(s.FindNamespace(NamespaceType::kUser)->path, "/proc/7/ns/user");
}

TEST(ParseProcessTest, ParsesExecProcessJson) {
  Result<Process> p = ParseProcess(R"({"terminal": true, "consoleSize": {"height": 40,
      "width": 120}, "user": {"uid": 5, "gid": 6, "umask": 18}, "args": ["/bin/sh", "-c", "id"],
      "env": ["A=B", "EMPTY="], "cwd": "/tmp", "rlimits": [{"type": "RLIMIT_NPROC",
      "soft": 10, "hard": 20}]})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->terminal);
  EXPECT_EQ(p->console_size, (ConsoleSize{40, 120}));
  EXPECT_EQ(p->user.umask, 18u);
  EXPECT_THAT(p->env, ElementsAre("A=B", "EMPTY="));
  EXPECT_EQ(p->rlimits[0].resource, RLIMIT_NPROC);
  EXPECT_FALSE(p->capabilities);
}

TEST(ParseResourcesTest, ParsesRuncUpdateJson) {
  // What `runc update --resources` reads (and containerd-shim-runc-v2 writes for Update).
  Result<Resources> r = ParseResources(R"({"memory": {"limit": 268435456, "reservation": 0,
      "swap": 268435456, "kernel": 0, "kernelTCP": 0, "swappiness": 0,
      "disableOOMKiller": false}, "cpu": {"shares": 512, "quota": 20000, "period": 100000,
      "realtimeRuntime": 0, "realtimePeriod": 0, "cpus": "", "mems": ""},
      "blockIO": {"weight": 0}, "pids": {"limit": 100},
      "unified": {"memory.max": "268435456"}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->memory->limit, 268435456);
  EXPECT_EQ(r->memory->swappiness, 0u);
  EXPECT_EQ(r->cpu->quota, 20000);
  EXPECT_EQ(r->cpu->cpus, "");
  EXPECT_EQ(r->pids->limit, 100);
  EXPECT_EQ(r->block_io->weight, 0);
  EXPECT_EQ(r->unified.at("memory.max"), "268435456");
}

TEST(LoadSpecTest, ReadsBundleConfigAndNamesTheFileInErrors) {
  char tmpl[] = "/tmp/see-oci-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  Result<Spec> missing = LoadSpec(dir);
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("config.json"));
  ASSERT_TRUE(WriteFile(dir + "/config.json", SpecToJson(DefaultSpec())).ok());
  Result<Spec> s = LoadSpec(dir);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, DefaultSpec());
  ASSERT_TRUE(WriteFile(dir + "/config.json", R"({"ociVersion": "1.0.0"})").ok());
  Result<Spec> bad = LoadSpec(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), dir + "/config.json: root: required");
  unlink((dir + "/config.json").c_str());
  rmdir(dir.c_str());
}

// The fuzz seeds double as tests: "bad_*" must be refused by ParseSpec, the others must be
// accepted by the parser they were written for (and round-trip when they are whole specs).
TEST(FuzzCorpusTest, SeedsParseAsTheirNamesSay) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SEE_OCI_FUZZ_CORPUS_DIR)) {
    std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    Result<std::string> text = ReadFile(entry.path().string());
    ASSERT_TRUE(text.ok());
    ++seen;
    Result<Spec> spec = ParseSpec(*text);
    if (name.rfind("bad_", 0) == 0) {
      EXPECT_FALSE(spec.ok());
    } else if (name == "process.json") {
      EXPECT_TRUE(ParseProcess(*text).ok()) << ParseProcess(*text).status().ToString();
    } else if (name == "resources.json") {
      EXPECT_TRUE(ParseResources(*text).ok()) << ParseResources(*text).status().ToString();
    } else {
      ASSERT_TRUE(spec.ok()) << spec.status().ToString();
      EXPECT_EQ(*ParseSpec(SpecToJson(*spec)), *spec);
    }
  }
  EXPECT_GE(seen, 5);
}

TEST(CapabilitiesTest, NamesAndNumbers) {
  EXPECT_EQ(*CapabilityFromName("CAP_CHOWN"), 0);
  EXPECT_EQ(*CapabilityFromName("CAP_NET_ADMIN"), 12);
  EXPECT_EQ(*CapabilityFromName("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(*CapabilityFromName("CAP_AUDIT_READ"), 37);
  EXPECT_EQ(*CapabilityFromName("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(KnownCapabilities().size(), 41u);
  Result<int> bad = CapabilityFromName("CAP_FOO");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(CapabilityFromName("cap_chown").ok());
}

TEST(NamespaceTest, NamesAndCloneFlags) {
  EXPECT_STREQ(NamespaceTypeName(NamespaceType::kNetwork), "network");
  EXPECT_STREQ(NamespaceTypeName(NamespaceType::kTime), "time");
  EXPECT_EQ(NamespaceCloneFlag(NamespaceType::kMount), CLONE_NEWNS);
  EXPECT_EQ(NamespaceCloneFlag(NamespaceType::kUser), CLONE_NEWUSER);
  EXPECT_EQ(NamespaceCloneFlag(NamespaceType::kCgroup), CLONE_NEWCGROUP);
}

}  // namespace
}  // namespace see::oci
