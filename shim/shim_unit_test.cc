// Unit tests: flags, error mapping, socket address grouping, options/config, topics, metrics.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/ttrpc/address.h"
#include "base/ttrpc/rpc_status.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/pkg/runtimeoptions/v1/api.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/cgroups/v2/stats/metrics.pb.h"
#include "proto/any.h"
#include "runtime/linux/mounts.h"
#include "shim/backend.h"
#include "shim/commands.h"
#include "shim/config.h"
#include "shim/flags.h"
#include "shim/metrics.h"
#include "shim/publisher.h"

namespace see::shim {
namespace {

TEST(Flags, ContainerdStartCommandLine) {
  auto f = ParseFlags({"-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock",
                       "-publish-binary", "/usr/bin/containerd", "-id", "abc", "-debug", "start"},
                      {"TTRPC_ADDRESS=/run/containerd/containerd.sock.ttrpc", "NAMESPACE=other"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->ns, "k8s.io");
  EXPECT_EQ(f->address, "/run/containerd/containerd.sock");
  EXPECT_EQ(f->id, "abc");
  EXPECT_TRUE(f->debug);
  EXPECT_EQ(f->action, "start");
  EXPECT_EQ(f->ttrpc_address, "/run/containerd/containerd.sock.ttrpc");
}

TEST(Flags, EqualsFormDoubleDashAndEnvNamespace) {
  auto f = ParseFlags({"--id=x", "-bundle=/b", "-debug=false", "delete"}, {"NAMESPACE=ns1"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, "x");
  EXPECT_EQ(f->bundle, "/b");
  EXPECT_FALSE(f->debug);
  EXPECT_EQ(f->ns, "ns1");
  EXPECT_EQ(f->action, "delete");
}

TEST(Flags, Errors) {
  EXPECT_EQ(ParseFlags({"-bogus"}, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseFlags({"-id"}, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseFlags({"-debug=maybe"}, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseFlags({"-id", "x", "explode"}, {}).status().code(), Code::kInvalidArgument);
  auto v = ParseFlags({"-v"}, {});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->version);
}

// containerd turns these codes back into errdefs (NotFound, AlreadyExists, ...): the shim relies
// on base/ttrpc's one mapping.
TEST(ErrorMapping, CodesContainerdUnderstands) {
  using ttrpc::RpcCode;
  EXPECT_EQ(ttrpc::ToRpcCode(Code::kNotFound), RpcCode::kNotFound);
  EXPECT_EQ(ttrpc::ToRpcCode(Code::kAlreadyExists), RpcCode::kAlreadyExists);
  EXPECT_EQ(ttrpc::ToRpcCode(Code::kFailedPrecondition), RpcCode::kFailedPrecondition);
  EXPECT_EQ(ttrpc::ToRpcCode(Code::kUnimplemented), RpcCode::kUnimplemented);
  EXPECT_EQ(ttrpc::ToRpcCode(Code::kInvalidArgument), RpcCode::kInvalidArgument);
  EXPECT_EQ(ttrpc::ToRpcCode(Code::kInternal), RpcCode::kInternal);
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("see-shim-unit-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Bundle(const std::string& name, const std::string& config) {
    auto d = dir_ / name;
    std::filesystem::create_directories(d);
    EXPECT_TRUE(WriteFile(d / "config.json", config).ok());
    return d;
  }
  std::filesystem::path dir_;
};

TEST_F(BundleTest, PodContainersShareTheSandboxShimAddress) {
  ShimFlags f;
  f.ns = "k8s.io";
  f.address = "/run/containerd/containerd.sock";
  f.id = "sandbox1";
  auto sandbox = ShimAddressForBundle(
      f, Bundle("s", R"({"annotations":{"io.kubernetes.cri.container-type":"sandbox",
                         "io.kubernetes.cri.sandbox-id":"sandbox1"}})"));
  f.id = "container1";
  auto container = ShimAddressForBundle(
      f, Bundle("c", R"({"annotations":{"io.kubernetes.cri.container-type":"container",
                         "io.kubernetes.cri.sandbox-id":"sandbox1"}})"));
  f.id = "plain";
  auto plain = ShimAddressForBundle(f, Bundle("p", R"({"ociVersion":"1.0.2"})"));
  ASSERT_TRUE(sandbox.ok() && container.ok() && plain.ok());
  EXPECT_EQ(*sandbox, *container);
  EXPECT_EQ(*sandbox, ttrpc::ShimSocketAddress(f.address, "k8s.io", "sandbox1"));
  EXPECT_EQ(*plain, ttrpc::ShimSocketAddress(f.address, "k8s.io", "plain"));
  EXPECT_NE(*plain, *sandbox);
  EXPECT_EQ(plain->rfind("unix:///run/containerd/s/", 0), 0u);
}

TEST_F(BundleTest, BadConfigJson) {
  ShimFlags f;
  f.id = "x";
  EXPECT_EQ(ShimAddressForBundle(f, Bundle("b", "{not json")).status().code(),
            Code::kInvalidArgument);
  EXPECT_FALSE(ShimAddressForBundle(f, (dir_ / "missing").string()).ok());
}

TEST(Config, Yaml) {
  auto c = ParseConfigYaml("log_level: debug\n");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->log_level.value_or(""), "debug");
  EXPECT_TRUE(ParseConfigYaml("").ok());
  EXPECT_EQ(ParseConfigYaml("log_level: loud\n").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseConfigYaml("unknown: 1\n").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseConfigYaml("[1, 2").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseConfigYaml("- a\n").status().code(), Code::kInvalidArgument);
}

TEST(Config, UserNamespace) {
  auto c = ParseConfigYaml("");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->pod_user_namespace) << "every pod gets its own user namespace unless told otherwise";
  EXPECT_TRUE(c->idmap_host_paths) << "hostPaths are id-mapped by default, as Kubernetes does";
  EXPECT_EQ(c->userns_base, 1u << 30);
  EXPECT_EQ(c->userns_ranges, 1024u);
  c = ParseConfigYaml("user_namespace: pod\nhost_paths: unmapped\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->pod_user_namespace);
  EXPECT_FALSE(c->idmap_host_paths);
  c = ParseConfigYaml("user_namespace: host\nhost_paths: idmap\nuserns_base: 655360\nuserns_ranges: 3\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->pod_user_namespace);
  EXPECT_TRUE(c->idmap_host_paths);
  EXPECT_EQ(c->userns_base, 655360u);
  EXPECT_EQ(c->userns_ranges, 3u);
  for (const char* bad : {"user_namespace: yes\n", "host_paths: mapped\n", "userns_base: 1000\n", "userns_base: 0\n",
                          "userns_ranges: 0\n", "userns_base: 4294901760\n",
                          // ends above 0xFFFF0000, where the layers' extra id lives
                          "userns_base: 4294836224\nuserns_ranges: 2\n"}) {
    EXPECT_EQ(ParseConfigYaml(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

// A spec whose pod has its own network, pid and ipc namespaces (as the CRI plugin and ctr make).
constexpr char kPodNamespaces[] =
    R"({"linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                                 {"type": "mount"}]}})";

// Pod user namespace ranges: claimed without collisions, exhausted when all are taken, freed
// with the pod, and a dead shim's claim is removed by `delete`. Needs root (id maps).
TEST(UsernsRanges, ClaimReleaseAndLeftovers) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  char tmpl[] = "/tmp/see-userns-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl);
  std::filesystem::create_directories(dir / "bundle");
  ASSERT_TRUE(WriteFile((dir / "bundle/config.json").string(), kPodNamespaces).ok());
  std::string bundle = (dir / "bundle").string();
  UsernsSettings s{.pod = true, .base = 3u << 16, .ranges = 2};
  auto claim_of = [&](uint32_t base) { return dir / (".userns-" + std::to_string(base)); };
  auto a = NewRuntimeBackend((dir / "state").string(), (dir / "pod-a").string());
  auto b = NewRuntimeBackend((dir / "state").string(), (dir / "pod-b").string());
  auto c = NewRuntimeBackend((dir / "state").string(), (dir / "pod-c").string());
  auto fa = a->PrepareUserNamespace(bundle, s);
  ASSERT_TRUE(fa.ok()) << fa.status().ToString();
  EXPECT_GE(*fa, 0);
  EXPECT_EQ(*a->PrepareUserNamespace(bundle, s), *fa) << "one namespace per pod";
  ASSERT_TRUE(b->PrepareUserNamespace(bundle, s).ok());
  EXPECT_TRUE(std::filesystem::exists(claim_of(3u << 16)));
  EXPECT_TRUE(std::filesystem::exists(claim_of(4u << 16)));
  EXPECT_EQ(ReadFile(claim_of(3u << 16).string())->substr(0, (dir / "pod-a").string().size()),
            (dir / "pod-a").string());
  EXPECT_EQ(c->PrepareUserNamespace(bundle, s).status().code(), Code::kResourceExhausted);
  a.reset();  // the pod goes: its range is free again
  EXPECT_FALSE(std::filesystem::exists(claim_of(3u << 16)));
  ASSERT_TRUE(c->PrepareUserNamespace(bundle, s).ok());
  EXPECT_TRUE(std::filesystem::exists(claim_of(3u << 16)));
  // A spec with its own user namespace keeps it: no pod namespace for that container.
  ASSERT_TRUE(WriteFile((dir / "bundle/config.json").string(),
                        R"({"linux": {"namespaces": [{"type": "user"}]}})").ok());
  EXPECT_EQ(*b->PrepareUserNamespace(bundle, s), -1);
  // A dead shim's claim (nobody holds its lock): `delete` removes it, a live one is kept.
  ASSERT_TRUE(WriteFile(claim_of(9u << 16).string(), (dir / "pod-dead").string() + "\n1\n").ok());
  ReleaseLeftoverUsernsClaims((dir / "pod-dead").string());
  EXPECT_FALSE(std::filesystem::exists(claim_of(9u << 16)));
  ReleaseLeftoverUsernsClaims((dir / "pod-b").string());
  EXPECT_TRUE(std::filesystem::exists(claim_of(4u << 16)));
  b.reset();
  c.reset();
  EXPECT_FALSE(std::filesystem::exists(claim_of(3u << 16)));
  EXPECT_FALSE(std::filesystem::exists(claim_of(4u << 16)));
  std::filesystem::remove_all(dir);
}

// The pod annotation see.dev/user-namespace overrides the node's user_namespace either way; any
// other value is refused with the annotation named.
TEST(UsernsRanges, PodAnnotationChoosesEitherWay) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  char tmpl[] = "/tmp/see-userns-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl);
  std::filesystem::create_directories(dir / "bundle");
  std::string bundle = (dir / "bundle").string();
  auto with = [&](const std::string& annotations) {
    return WriteFile(bundle + "/config.json", R"({"linux": {}, "annotations": )" + annotations + "}").ok();
  };
  UsernsSettings node_host{.pod = false, .base = 3u << 16, .ranges = 2};
  UsernsSettings node_pod{.pod = true, .base = 3u << 16, .ranges = 2};
  {
    auto backend = NewRuntimeBackend((dir / "state").string(), (dir / "pod-a").string());
    ASSERT_TRUE(with(R"({"see.dev/user-namespace": "pod"})"));
    auto fd = backend->PrepareUserNamespace(bundle, node_host);
    ASSERT_TRUE(fd.ok()) << fd.status().ToString();
    EXPECT_GE(*fd, 0) << "a pod asking for its namespace on a host-mode node gets one";
    EXPECT_TRUE(std::filesystem::exists(dir / ".userns-196608"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir / ".userns-196608")) << "released with the pod";
  auto backend = NewRuntimeBackend((dir / "state").string(), (dir / "pod-b").string());
  ASSERT_TRUE(with(R"({"see.dev/user-namespace": "host"})"));
  EXPECT_EQ(*backend->PrepareUserNamespace(bundle, node_pod), -1) << "a pod may keep host ids";
  ASSERT_TRUE(with(R"({})"));
  EXPECT_EQ(*backend->PrepareUserNamespace(bundle, node_host), -1);
  for (const char* bad : {R"({"see.dev/user-namespace": "yes"})", R"({"see.dev/user-namespace": 1})"}) {
    ASSERT_TRUE(with(bad));
    auto r = backend->PrepareUserNamespace(bundle, node_host);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("see.dev/user-namespace"), std::string::npos);
  }
  backend.reset();
  std::filesystem::remove_all(dir);
}

// The node's default (pod) leaves a pod that shares the host's network, pid or ipc namespace with
// host ids, as Kubernetes refuses hostUsers: false for those; the pod's annotation still gives
// it a namespace.
TEST(UsernsRanges, HostNamespacesKeepHostIdsUnlessThePodAsks) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  char tmpl[] = "/tmp/see-userns-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl);
  std::filesystem::create_directories(dir / "bundle");
  std::string bundle = (dir / "bundle").string();
  UsernsSettings node_pod{.pod = true, .base = 3u << 16, .ranges = 2};
  for (const char* shared : {"network", "pid", "ipc"}) {
    nlohmann::json spec = nlohmann::json::parse(kPodNamespaces);
    auto& nss = spec["linux"]["namespaces"];
    nss.erase(std::remove_if(nss.begin(), nss.end(),
                             [&](const nlohmann::json& ns) { return ns["type"] == shared; }),
              nss.end());
    ASSERT_TRUE(WriteFile(bundle + "/config.json", spec.dump()).ok());
    auto backend = NewRuntimeBackend((dir / "state").string(), (dir / "pod-a").string());
    auto fd = backend->PrepareUserNamespace(bundle, node_pod);
    ASSERT_TRUE(fd.ok()) << fd.status().ToString();
    EXPECT_EQ(*fd, -1) << "host " << shared;
    EXPECT_FALSE(std::filesystem::exists(dir / ".userns-196608")) << "host " << shared;
    spec["annotations"]["see.dev/user-namespace"] = "pod";
    ASSERT_TRUE(WriteFile(bundle + "/config.json", spec.dump()).ok());
    fd = backend->PrepareUserNamespace(bundle, node_pod);
    ASSERT_TRUE(fd.ok()) << fd.status().ToString();
    EXPECT_GE(*fd, 0) << "host " << shared << " with the pod's annotation";
  }
  auto backend = NewRuntimeBackend((dir / "state").string(), (dir / "pod-b").string());
  ASSERT_TRUE(WriteFile(bundle + "/config.json", kPodNamespaces).ok());
  EXPECT_GE(*backend->PrepareUserNamespace(bundle, node_pod), 0) << "its own namespaces";
  backend.reset();

  // An app container names its sandbox's namespaces by path: the host's network namespace by
  // path is the host's, another one is the pod's own.
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char ok = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
    (void)!write(ready[1], &ok, 1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  close(ready[0]);
  EXPECT_EQ(ok, 1);
  for (auto [path, want_ns] : {std::pair<std::string, bool>{"/proc/self/ns/net", false},
                               {"/proc/" + std::to_string(child) + "/ns/net", true}}) {
    nlohmann::json spec = nlohmann::json::parse(kPodNamespaces);
    for (auto& ns : spec["linux"]["namespaces"]) {
      if (ns["type"] == "network") ns["path"] = path;
    }
    ASSERT_TRUE(WriteFile(bundle + "/config.json", spec.dump()).ok());
    auto b = NewRuntimeBackend((dir / "state").string(), (dir / "pod-c").string());
    auto fd = b->PrepareUserNamespace(bundle, node_pod);
    ASSERT_TRUE(fd.ok()) << fd.status().ToString();
    EXPECT_EQ(*fd >= 0, want_ns) << path;
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  std::filesystem::remove_all(dir);
}

// With host_paths: unmapped only the pod's own volumes are id-mapped: the kubelet's and
// containerd's directories of this pod, by the ids in its annotations; a hostPath named like one,
// another pod's volume, or a path through a symlink are not.
TEST(PodOwnedVolume, TheIdsAndThePathMustBeThePods) {
  char tmpl[] = "/tmp/see-owned-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl);
  const std::string uid = "85f03f6e-e0bc-445d-a8c8-524e8f109b46", sid = "f409faf9f313fe5f";
  auto make = [&](const std::filesystem::path& p) {
    std::filesystem::create_directories(p);
    return p.string();
  };
  std::string empty_dir = make(dir / "pods" / uid / "volumes/kubernetes.io~empty-dir/scratch");
  std::string other_pod = make(dir / "pods/0000-other/volumes/kubernetes.io~secret/token");
  std::string hosts = make(dir / "root/io.containerd.grpc.v1.cri/sandboxes" / sid / "hosts");
  std::string etc_hosts = make(dir / "pods" / uid / "etc-hosts");
  std::string named_like = make(dir / "host/volumes/kubernetes.io~empty-dir/x");
  std::filesystem::create_directory_symlink(empty_dir, dir / "link");
  EXPECT_TRUE(PodOwnedVolume(empty_dir, sid, uid));
  EXPECT_TRUE(PodOwnedVolume(etc_hosts, sid, uid));
  EXPECT_TRUE(PodOwnedVolume(hosts, sid, uid));
  EXPECT_FALSE(PodOwnedVolume(other_pod, sid, uid)) << "another pod's volume";
  EXPECT_FALSE(PodOwnedVolume(hosts, "other-sandbox", uid)) << "another sandbox's files";
  EXPECT_FALSE(PodOwnedVolume(named_like, sid, uid)) << "a hostPath named like a volume";
  EXPECT_FALSE(PodOwnedVolume((dir / "link").string(), sid, uid)) << "through a symlink";
  EXPECT_FALSE(PodOwnedVolume(empty_dir + "/../scratch", sid, uid)) << "through ..";
  EXPECT_FALSE(PodOwnedVolume(empty_dir, sid, "")) << "no CRI annotations: nothing is the pod's";
  EXPECT_FALSE(PodOwnedVolume(hosts, "", uid));
  EXPECT_FALSE(PodOwnedVolume((dir / "missing").string(), sid, uid));
  std::filesystem::remove_all(dir);
}

// A recursively bound volume is id-mapped with its submounts when each of them can be (ridmap),
// else at its top mount (idmap); a volume that cannot be id-mapped at all is bound as it is.
// Probed in a child with a mount namespace of its own, so the host's mounts stay as they are.
TEST(IdmapOption, RecursiveWhenEverySubmountCanBe) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  char tmpl[] = "/tmp/see-idmap-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl);
  for (const char* d : {"vol/tmpfs", "vol2/tmpfs", "vol2/proc"}) {
    std::filesystem::create_directories(dir / d);
  }
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string r;
    auto ns = runtime::NewUserNamespaceFd({{.container_id = 0, .host_id = 1u << 20, .size = 65536}},
                                          {{.container_id = 0, .host_id = 1u << 20, .size = 65536}});
    if (ns.ok() && unshare(CLONE_NEWNS) == 0 &&
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
        mount("tmpfs", (dir / "vol/tmpfs").c_str(), "tmpfs", 0, nullptr) == 0 &&
        mount("tmpfs", (dir / "vol2/tmpfs").c_str(), "tmpfs", 0, nullptr) == 0 &&
        mount("proc", (dir / "vol2/proc").c_str(), "proc", 0, nullptr) == 0) {
      int fd = ns->get();
      r = IdmapOption((dir / "vol").string(), fd, true) + "," +
          IdmapOption((dir / "vol2").string(), fd, true) + "," +
          IdmapOption((dir / "vol").string(), fd, false) + "," +
          IdmapOption((dir / "vol2/proc").string(), fd, true);
    } else {
      r = std::string("setup: ") + strerror(errno);
    }
    (void)!write(out[1], r.data(), r.size());
    _exit(0);
  }
  close(out[1]);
  char buf[256];
  ssize_t n = read(out[0], buf, sizeof(buf));
  close(out[0]);
  waitpid(child, nullptr, 0);
  std::filesystem::remove_all(dir);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "ridmap,idmap,idmap,")
      << "vol (tmpfs below), vol2 (proc below), vol without rbind, procfs itself";
}

TEST(Config, SandboxAndEgressRefresh) {
  auto c = ParseConfigYaml("");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->sentry) << "sentry is the default";
  EXPECT_EQ(c->egress_refresh_seconds, 30);
  c = ParseConfigYaml("sandbox: none\negress_refresh: 10\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->sentry);
  EXPECT_EQ(c->egress_refresh_seconds, 10);
  EXPECT_TRUE(ParseConfigYaml("sandbox: sentry\n")->sentry);
  EXPECT_EQ(ParseConfigYaml("sandbox: gvisor\n").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseConfigYaml("egress_refresh: 1\n").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseConfigYaml("egress_refresh: soon\n").status().code(), Code::kInvalidArgument);
}

TEST_F(BundleTest, OptionsAny) {
  EXPECT_TRUE(ConfigFromOptions(google::protobuf::Any()).ok());
  ::containerd::runc::v1::Options runc;
  runc.set_root("/x");
  EXPECT_TRUE(ConfigFromOptions(*proto::PackAny(runc)).ok());
  google::protobuf::Any prefixed = *proto::PackAny(runc);
  prefixed.set_type_url("type.googleapis.com/containerd.runc.v1.Options");
  EXPECT_TRUE(ConfigFromOptions(prefixed).ok());
  prefixed.set_value("\xff\xff");
  EXPECT_EQ(ConfigFromOptions(prefixed).status().code(), Code::kInvalidArgument);

  std::string path = dir_ / "see.yaml";
  ASSERT_TRUE(WriteFile(path, "log_level: warn\n").ok());
  ::runtimeoptions::v1::Options ro;
  ro.set_config_path(path);
  auto c = ConfigFromOptions(*proto::PackAny(ro));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log_level.value_or(""), "warn");
  ro.set_config_path(path + ".missing");
  EXPECT_FALSE(ConfigFromOptions(*proto::PackAny(ro)).ok());

  google::protobuf::Any other;
  other.set_type_url("example.Unknown");
  other.set_value("x");
  EXPECT_EQ(ConfigFromOptions(other).status().code(), Code::kInvalidArgument);
}

TEST(Topics, ContainerdNames) {
  EXPECT_EQ(TopicFor(::containerd::events::TaskCreate()), "/tasks/create");
  EXPECT_EQ(TopicFor(::containerd::events::TaskExit()), "/tasks/exit");
  EXPECT_EQ(TopicFor(::containerd::events::TaskExecAdded()), "/tasks/exec-added");
  EXPECT_EQ(TopicFor(::containerd::events::TaskExecStarted()), "/tasks/exec-started");
  EXPECT_EQ(TopicFor(::containerd::events::TaskOOM()), "/tasks/oom");
  EXPECT_EQ(TopicFor(::containerd::runc::v1::Options()), "");
  // The names the publisher sends are the messages' proto names.
  namespace ev = ::containerd::events;
  for (const google::protobuf::MessageLite* m :
       std::initializer_list<const google::protobuf::MessageLite*>{
           &ev::TaskCreate::default_instance(), &ev::TaskStart::default_instance(),
           &ev::TaskOOM::default_instance(), &ev::TaskExit::default_instance(),
           &ev::TaskDelete::default_instance(), &ev::TaskExecAdded::default_instance(),
           &ev::TaskExecStarted::default_instance(), &ev::TaskPaused::default_instance(),
           &ev::TaskResumed::default_instance(), &ev::TaskCheckpointed::default_instance()}) {
    EXPECT_EQ(EventTypeName(*m), m->GetTypeName());
    EXPECT_NE(TopicFor(*m), "");
  }
  EXPECT_EQ(EventTypeName(::containerd::runc::v1::Options()), "");
}

TEST(Metrics, V1AndV2TypeUrls) {
  cgroups::Stats s;
  s.version = cgroups::Version::kV1;
  s.cpu.usage_ns = 5000;
  s.cpu.per_cpu_ns = {1, 2};
  s.memory.usage = 42;
  s.memory.raw = {{"total_rss", 7}};
  s.pids.current = 3;
  auto v1 = MetricsAny(s);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->type_url(), "io.containerd.cgroups.v1.Metrics");
  io::containerd::cgroups::v1::Metrics m1;
  ASSERT_TRUE(proto::UnpackAny(*v1, &m1).ok());
  EXPECT_EQ(m1.cpu().usage().total(), 5000u);
  EXPECT_EQ(m1.cpu().usage().per_cpu_size(), 2);
  EXPECT_EQ(m1.memory().usage().usage(), 42u);
  EXPECT_EQ(m1.memory().total_rss(), 7u);
  EXPECT_EQ(m1.pids().current(), 3u);

  s.version = cgroups::Version::kV2;
  auto v2 = MetricsAny(s);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->type_url(), "io.containerd.cgroups.v2.Metrics");
  io::containerd::cgroups::v2::Metrics m2;
  ASSERT_TRUE(proto::UnpackAny(*v2, &m2).ok());
  EXPECT_EQ(m2.cpu().usage_usec(), 5u);
  EXPECT_EQ(m2.memory().usage(), 42u);
}

}  // namespace
}  // namespace see::shim
