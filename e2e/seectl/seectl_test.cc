#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "e2e/seectl/host.h"
#include "e2e/seectl/manifest.h"
#include "e2e/seectl/quantity.h"
#include "e2e/seectl/translate.h"

namespace see::seectl {
namespace {

using ::testing::HasSubstr;

int64_t Milli(const char* s) {
  Result<Quantity> q = ParseQuantity(s);
  EXPECT_TRUE(q.ok()) << s << ": " << q.status().message();
  if (!q.ok()) return -1;
  Result<int64_t> v = q->MilliValue();
  EXPECT_TRUE(v.ok()) << s;
  return v.ok() ? *v : -1;
}

int64_t Bytes(const char* s) {
  Result<Quantity> q = ParseQuantity(s);
  EXPECT_TRUE(q.ok()) << s << ": " << q.status().message();
  if (!q.ok()) return -1;
  Result<int64_t> v = q->Value();
  EXPECT_TRUE(v.ok()) << s;
  return v.ok() ? *v : -1;
}

TEST(SeectlQuantity, CpuForms) {
  EXPECT_EQ(Milli("500m"), 500);
  EXPECT_EQ(Milli("1.5"), 1500);
  EXPECT_EQ(Milli("2"), 2000);
  EXPECT_EQ(Milli("0.1"), 100);
  EXPECT_EQ(Milli("100u"), 1);   // rounds up, as MilliValue()
  EXPECT_EQ(Milli("0.0001"), 1);
  EXPECT_EQ(Milli("1e3"), 1000000);
  EXPECT_EQ(Milli("1E3"), 1000000);
  EXPECT_EQ(Milli("0"), 0);
  EXPECT_EQ(Milli("+250m"), 250);
  EXPECT_EQ(Milli(".5"), 500);
}

TEST(SeectlQuantity, MemoryForms) {
  EXPECT_EQ(Bytes("512Mi"), 512LL << 20);
  EXPECT_EQ(Bytes("1G"), 1000000000LL);
  EXPECT_EQ(Bytes("1Gi"), 1LL << 30);
  EXPECT_EQ(Bytes("1.5Gi"), 1610612736LL);
  EXPECT_EQ(Bytes("128974848"), 128974848LL);
  EXPECT_EQ(Bytes("129e6"), 129000000LL);
  EXPECT_EQ(Bytes("123k"), 123000LL);
  EXPECT_EQ(Bytes("1Ki"), 1024);
  EXPECT_EQ(Bytes("1E"), 1000000000000000000LL);  // E alone is exa
  EXPECT_EQ(Bytes("0.5"), 1);  // Value() rounds up
  EXPECT_EQ(Bytes("100m"), 1);
  EXPECT_EQ(Bytes("4Ei"), 4LL << 60);
}

TEST(SeectlQuantity, Refused) {
  for (const char* bad : {"", " 1", "1 ", "abc", "1.2.3", "5MB", "1K", "Mi", "1e", "1e1000",
                          "--1", "1ei", "1Mi2", "0x10", "1,5"}) {
    EXPECT_FALSE(ParseQuantity(bad).ok()) << bad;
  }
  Result<Quantity> q = ParseQuantity("16Ei");  // 2^64: too large for int64
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->Value().ok());
  q = ParseQuantity("9223372036854775807");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->Value().ok());
  EXPECT_FALSE(q->MilliValue().ok());
}

TEST(SeectlKubelet, CpuAndOom) {
  EXPECT_EQ(MilliCpuToShares(0), 2);
  EXPECT_EQ(MilliCpuToShares(1), 2);
  EXPECT_EQ(MilliCpuToShares(250), 256);
  EXPECT_EQ(MilliCpuToShares(1000), 1024);
  EXPECT_EQ(MilliCpuToShares(1000000), 262144);
  EXPECT_EQ(MilliCpuToQuota(500, 100000), 50000);
  EXPECT_EQ(MilliCpuToQuota(1, 100000), 1000);  // minimum quota
  EXPECT_EQ(MilliCpuToQuota(0, 100000), 0);
  const int64_t huge = std::numeric_limits<int64_t>::max();  // clamps, no overflow
  EXPECT_EQ(MilliCpuToShares(huge), 262144);
  EXPECT_EQ(MilliCpuToQuota(huge, 100000), huge);
  EXPECT_EQ(OomScoreAdj(QosClass::kBurstable, huge, 1), 3);
  const int64_t cap = 8LL << 30;
  EXPECT_EQ(OomScoreAdj(QosClass::kGuaranteed, 0, cap), -997);
  EXPECT_EQ(OomScoreAdj(QosClass::kBestEffort, 0, cap), 1000);
  EXPECT_EQ(OomScoreAdj(QosClass::kBurstable, 1LL << 30, cap), 875);  // 1000 - 1000/8
  EXPECT_EQ(OomScoreAdj(QosClass::kBurstable, 0, cap), 999);          // never BestEffort's 1000
  EXPECT_EQ(OomScoreAdj(QosClass::kBurstable, cap, cap), 3);          // floor 1000 + (-997)
}

TEST(SeectlKubelet, ExpandVars) {
  std::map<std::string, std::string> env = {{"A", "x"}, {"B", "y z"}};
  EXPECT_EQ(ExpandVars("$(A)-$(B)", env), "x-y z");
  EXPECT_EQ(ExpandVars("$(C)", env), "$(C)");
  EXPECT_EQ(ExpandVars("$$(A)", env), "$(A)");
  EXPECT_EQ(ExpandVars("$(A", env), "$(A");
  EXPECT_EQ(ExpandVars("cost $5 $", env), "cost $5 $");
  EXPECT_EQ(ExpandVars("", env), "");
}

TEST(SeectlKubelet, ResolvConf) {
  std::vector<std::string> s, se, o;
  ParseResolvConf("# c\nnameserver 10.0.0.1\nnameserver 10.0.0.2 # x\nsearch a.b c.d\n"
                  "options ndots:2 edns0\n", &s, &se, &o);
  EXPECT_EQ(s, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(se, (std::vector<std::string>{"a.b", "c.d"}));
  EXPECT_EQ(o, (std::vector<std::string>{"ndots:2", "edns0"}));
}

constexpr char kPod[] = R"yaml(
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: sandboxed}
handler: see
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: team
  labels: {app: web}
  annotations: {note: hi}
spec:
  runtimeClassName: sandboxed
  terminationGracePeriodSeconds: 5
  securityContext: {fsGroup: 2000, supplementalGroups: [3000], sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "0"}]}
  volumes:
  - name: scratch
    emptyDir: {}
  - name: cache
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
  - name: host
    hostPath: {path: /srv/data, type: DirectoryOrCreate}
  containers:
  - name: app
    image: see.local/busybox:latest
    imagePullPolicy: IfNotPresent
    command: ["/bin/sh", "-c"]
    args: ["echo $(GREETING) $(MISSING)"]
    workingDir: /tmp
    env:
    - {name: WHO, value: world}
    - {name: GREETING, value: "hello $(WHO)"}
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: 500m, memory: 128Mi}
    securityContext:
      runAsUser: 1000
      runAsGroup: 1000
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: {add: [NET_ADMIN], drop: [ALL]}
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
    - {name: host, mountPath: /data, readOnly: true, subPath: sub}
    ports: [{containerPort: 80, hostPort: 8080}]
  - name: side
    image: busybox:1.36
)yaml";

NodeConfig TestNode() {
  NodeConfig n;
  n.pod_log_dir = "/logs";
  n.pod_dir = "/pods";
  n.cgroup_parent = "/kp";
  n.memory_capacity = 8LL << 30;
  n.host_nameservers = {"192.0.2.53"};
  n.host_searches = {"example.org"};
  return n;
}

TEST(SeectlManifest, PodTranslation) {
  Result<Manifests> m = ParseManifests(kPod);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->pods.size(), 1u);
  EXPECT_EQ(m->runtime_classes.at("sandboxed"), "see");
  const Pod& pod = m->pods[0];
  EXPECT_EQ(pod.spec.containers[1].image_pull_policy, "IfNotPresent");  // tagged: not Always

  Result<PodPlan> plan = PlanPod(pod, m->runtime_classes, TestNode(), "u-1");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->handler, "see");
  EXPECT_EQ(plan->qos, QosClass::kBurstable);
  EXPECT_EQ(plan->cgroup_dir, "/kp/burstable/podu-1");
  const auto& sb = plan->sandbox;
  EXPECT_EQ(sb.metadata().name(), "web");
  EXPECT_EQ(sb.metadata().namespace_(), "team");
  EXPECT_EQ(sb.metadata().uid(), "u-1");
  EXPECT_EQ(sb.hostname(), "web");
  EXPECT_EQ(sb.log_directory(), "/logs/team_web_u-1");
  EXPECT_EQ(sb.labels().at("app"), "web");
  EXPECT_EQ(sb.labels().at(kPodNameLabel), "web");
  EXPECT_EQ(sb.labels().at(kPodNamespaceLabel), "team");
  EXPECT_EQ(sb.labels().at(kPodUidLabel), "u-1");
  EXPECT_EQ(sb.annotations().at("note"), "hi");
  EXPECT_EQ(sb.annotations().at(kGraceAnnotation), "5");
  EXPECT_EQ(sb.linux().cgroup_parent(), "/kp/burstable/podu-1");
  EXPECT_EQ(sb.linux().sysctls().at("net.ipv4.ip_unprivileged_port_start"), "0");
  EXPECT_EQ(sb.linux().security_context().namespace_options().network(), runtime::v1::POD);
  EXPECT_EQ(sb.linux().security_context().namespace_options().pid(), runtime::v1::CONTAINER);
  EXPECT_EQ(sb.dns_config().servers(0), "192.0.2.53");  // no cluster DNS: host's resolv.conf
  ASSERT_EQ(sb.port_mappings_size(), 1);
  EXPECT_EQ(sb.port_mappings(0).host_port(), 8080);

  ASSERT_EQ(plan->containers.size(), 2u);
  const auto& c = plan->containers[0].config;
  EXPECT_EQ(c.metadata().name(), "app");
  EXPECT_EQ(c.log_path(), "app/0.log");
  EXPECT_EQ(c.labels().at(kContainerNameLabel), "app");
  ASSERT_EQ(c.args_size(), 1);
  EXPECT_EQ(c.args(0), "echo hello world $(MISSING)");
  EXPECT_EQ(c.envs(1).value(), "hello world");
  EXPECT_EQ(c.working_dir(), "/tmp");
  const auto& r = c.linux().resources();
  EXPECT_EQ(r.cpu_shares(), 256);
  EXPECT_EQ(r.cpu_quota(), 50000);
  EXPECT_EQ(r.cpu_period(), 100000);
  EXPECT_EQ(r.memory_limit_in_bytes(), 128LL << 20);
  EXPECT_EQ(r.oom_score_adj(), 1000 - 1000 * (64LL << 20) / (8LL << 30));
  const auto& sc = c.linux().security_context();
  EXPECT_EQ(sc.run_as_user().value(), 1000);
  EXPECT_EQ(sc.run_as_group().value(), 1000);
  EXPECT_TRUE(sc.readonly_rootfs());
  EXPECT_TRUE(sc.no_new_privs());
  EXPECT_FALSE(sc.privileged());
  EXPECT_EQ(sc.capabilities().add_capabilities(0), "NET_ADMIN");
  EXPECT_EQ(sc.capabilities().drop_capabilities(0), "ALL");
  EXPECT_EQ(sc.supplemental_groups_size(), 2);  // fsGroup first, then supplementalGroups
  EXPECT_EQ(sc.supplemental_groups(0), 2000);
  EXPECT_EQ(sc.seccomp().profile_type(), runtime::v1::SecurityProfile::Unconfined);
  ASSERT_EQ(c.mounts_size(), 2);
  EXPECT_EQ(c.mounts(0).host_path(), "/pods/u-1/volumes/kubernetes.io~empty-dir/scratch");
  EXPECT_EQ(c.mounts(1).host_path(), "/srv/data/sub");
  EXPECT_TRUE(c.mounts(1).readonly());

  // The sidecar without resources: BestEffort container in a Burstable pod gets the minimum.
  const auto& side = plan->containers[1].config.linux().resources();
  EXPECT_EQ(side.cpu_shares(), 2);
  EXPECT_EQ(side.cpu_quota(), 0);
  EXPECT_EQ(side.memory_limit_in_bytes(), 0);
  EXPECT_EQ(side.oom_score_adj(), 999);

  ASSERT_EQ(plan->host_paths.size(), 3u);
  EXPECT_EQ(plan->host_paths[1].tmpfs, true);
  EXPECT_EQ(plan->host_paths[1].tmpfs_size, 64LL << 20);
  EXPECT_EQ(plan->host_paths[2].type, "DirectoryOrCreate");
}

TEST(SeectlManifest, GuaranteedAndBestEffort) {
  Result<Manifests> m = ParseManifests(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: g}
spec:
  hostNetwork: true
  containers:
  - name: c
    image: x:1
    resources: {limits: {cpu: "1", memory: 1Gi}}
)yaml");
  ASSERT_TRUE(m.ok()) << m.status().message();
  Result<PodPlan> plan = PlanPod(m->pods[0], {}, TestNode(), "u");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->qos, QosClass::kGuaranteed);
  EXPECT_EQ(plan->cgroup_dir, "/kp/podu");
  EXPECT_EQ(plan->namespace_, "default");
  EXPECT_EQ(plan->handler, "");
  EXPECT_EQ(plan->sandbox.hostname(), "");  // host network: the node's hostname
  EXPECT_EQ(plan->sandbox.linux().security_context().namespace_options().network(),
            runtime::v1::NODE);
  const auto& r = plan->containers[0].config.linux().resources();
  EXPECT_EQ(r.cpu_shares(), 1024);  // request defaulted from the limit
  EXPECT_EQ(r.oom_score_adj(), -997);

  m = ParseManifests("apiVersion: v1\nkind: Pod\nmetadata: {name: b}\n"
                     "spec: {runtimeClassName: gvisor, containers: [{name: c, image: x}]}\n");
  ASSERT_TRUE(m.ok());
  plan = PlanPod(m->pods[0], {}, TestNode(), "u");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->qos, QosClass::kBestEffort);
  EXPECT_EQ(plan->cgroup_dir, "/kp/besteffort/podu");
  EXPECT_EQ(plan->handler, "gvisor");  // no RuntimeClass document: the name is the handler
  EXPECT_EQ(m->pods[0].spec.containers[0].image_pull_policy, "Always");  // untagged
  EXPECT_EQ(plan->containers[0].config.linux().resources().oom_score_adj(), 1000);
}

TEST(SeectlManifest, ClusterDns) {
  Result<Manifests> m = ParseManifests(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: d, namespace: ns1}
spec:
  dnsConfig: {nameservers: [1.1.1.1], options: [{name: ndots, value: "2"}]}
  containers: [{name: c, image: x}]
)yaml");
  ASSERT_TRUE(m.ok());
  NodeConfig node = TestNode();
  node.cluster_dns = "10.96.0.10";
  Result<PodPlan> plan = PlanPod(m->pods[0], {}, node, "u");
  ASSERT_TRUE(plan.ok());
  const auto& dns = plan->sandbox.dns_config();
  ASSERT_EQ(dns.servers_size(), 2);
  EXPECT_EQ(dns.servers(0), "10.96.0.10");
  EXPECT_EQ(dns.servers(1), "1.1.1.1");
  EXPECT_EQ(dns.searches(0), "ns1.svc.cluster.local");
  EXPECT_EQ(dns.searches(3), "example.org");
  ASSERT_EQ(dns.options_size(), 1);
  EXPECT_EQ(dns.options(0), "ndots:2");
}

TEST(SeectlManifest, DeploymentAndJob) {
  Result<Manifests> m = ParseManifests(R"yaml(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: x}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: jobs}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: x}]
)yaml");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->pods.size(), 2u);
  EXPECT_EQ(m->pods[0].name, "web-0");
  EXPECT_EQ(m->pods[0].owner_kind, "Deployment");
  EXPECT_EQ(m->pods[0].labels.at("app"), "web");
  EXPECT_EQ(m->pods[1].name, "once-0");
  EXPECT_EQ(m->pods[1].namespace_, "jobs");
  EXPECT_EQ(m->pods[1].labels.at("job-name"), "once");
  ASSERT_FALSE(m->notes.empty());
  EXPECT_THAT(m->notes[0], HasSubstr("replicas 3 ignored"));
}

TEST(SeectlManifest, SpecHashIsStable) {
  const char* doc = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n";
  Result<Manifests> a = ParseManifests(doc);
  Result<Manifests> b = ParseManifests(doc);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->pods[0].spec_hash, b->pods[0].spec_hash);
  Result<Manifests> c = ParseManifests(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: y}]}\n");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->pods[0].spec_hash, c->pods[0].spec_hash);
}

// Each manifest must be refused with an error naming the field.
struct BadCase {
  const char* yaml;
  const char* want;
};

TEST(SeectlManifest, ErrorsNameTheField) {
  const std::string head = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n";
  const BadCase cases[] = {
      {"  containers: [{name: c, image: x, securityContext: {privileged: true}}]\n",
       "spec.containers[0].securityContext.privileged: privileged containers are refused"},
      {"  containers: [{name: c, image: x}]\n  volumes: [{name: v, configMap: {name: m}}]\n",
       "spec.volumes[0].configMap: volume type configMap is not supported"},
      {"  containers: [{name: c, image: x, env: [{name: A, valueFrom: {fieldRef: {}}}]}]\n",
       "spec.containers[0].env[0].valueFrom: valueFrom is not supported"},
      {"  containers: [{name: c, image: x, resources: {limits: {cpu: lots}}}]\n",
       "spec.containers[0].resources.limits.cpu: invalid quantity \"lots\""},
      {"  containers: [{name: c, image: x, resources: {limits: {memory: -1Gi}}}]\n",
       "spec.containers[0].resources.limits.memory: must not be negative"},
      {"  containers: [{name: c, image: x, resources: {requests: {cpu: 2}, limits: {cpu: 1}}}]\n",
       "spec.containers[0].resources.requests: cpu request must not exceed"},
      {"  containers: [{name: C, image: x}]\n", "spec.containers[0]: name \"C\" must be a DNS label"},
      {"  containers: [{name: c}]\n", "spec.containers[0]: image is required"},
      {"  containers: []\n", "spec.containers: at least one container is required"},
      {"  containers: [{name: c, image: x}, {name: c, image: y}]\n", "is used twice"},
      {"  containers: [{name: c, image: x, volumeMounts: [{name: nope, mountPath: /x}]}]\n",
       "mounts volume \"nope\", which is not in spec.volumes"},
      {"  containers: [{name: c, image: x, volumeMounts: [{name: v, mountPath: /x, subPath: ../../etc}]}]\n"
       "  volumes: [{name: v, emptyDir: {}}]\n",
       "subPath must not contain '..'"},
      {"  containers: [{name: c, image: x}]\n  restartPolicy: Sometimes\n",
       "spec.restartPolicy: must be Always, OnFailure or Never"},
      {"  containers: [{name: c, image: x}]\n  hostNetwork: maybe\n",
       "spec.hostNetwork: must be true or false"},
      {"  containers: [{name: c, image: x}]\n  terminationGracePeriodSeconds: soon\n",
       "spec.terminationGracePeriodSeconds: must be an integer"},
      {"  containers: [{name: c, image: x, lifecycle: {preStop: {}}}]\n",
       "spec.containers[0].lifecycle: lifecycle hooks"},
      {"  containers: [{name: c, image: x, envFrom: [{configMapRef: {name: m}}]}]\n",
       "spec.containers[0].envFrom"},
      {"  containers: {name: c}\n", "spec.containers: must be a list"},
      {"  containers: [{name: c, image: x, securityContext: {runAsUser: -1}}]\n",
       "runAsUser/runAsGroup must be between"},
      {"  containers: [{name: c, image: x, securityContext: {runAsNonRoot: true, runAsUser: 0}}]\n",
       "runAsNonRoot is set but runAsUser is 0"},
  };
  for (const BadCase& bc : cases) {
    Result<Manifests> m = ParseManifests(head + bc.yaml);
    Status st = m.status();
    if (m.ok()) st = PlanPod(m->pods[0], {}, TestNode(), "u").status();
    ASSERT_FALSE(st.ok()) << bc.yaml;
    EXPECT_THAT(st.message(), HasSubstr(bc.want)) << bc.yaml;
    if (!m.ok()) {
      EXPECT_THAT(st.message(), HasSubstr("document 1 (Pod p)")) << bc.yaml;
    }
  }
}

TEST(SeectlManifest, DocumentLevelErrors) {
  const BadCase cases[] = {
      {"kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec: [\n", "invalid YAML at line"},
      {"- a\n- b\n", "a document must be a mapping"},
      {"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", "no Pod, Deployment or Job"},
      {"apiVersion: v1\nkind: ReplicationController\nmetadata: {name: s}\n",
       "kind ReplicationController is not supported"},
      {"apiVersion: v2\nkind: Pod\nmetadata: {name: p}\n", "apiVersion: \"v2\""},
      {"apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: c, image: x}]}\n",
       "must be a DNS subdomain"},
      {"apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, image: x}]}\n", "metadata: is required"},
      {"", "no Pod, Deployment or Job"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: {containers: [{name: c, image: x}]}}}\n",
       "restartPolicy: is required for a Job"},
      {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n",
       "spec.template: is required"},
      {"a: &x [*x]\n", ""},  // a self-referencing alias: any clean error, no hang
      {"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n---\n"
       "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n",
       "pod p is defined twice"},
  };
  for (const BadCase& bc : cases) {
    Result<Manifests> m = ParseManifests(bc.yaml);
    ASSERT_FALSE(m.ok()) << bc.yaml;
    EXPECT_THAT(m.status().message(), HasSubstr(bc.want)) << bc.yaml;
  }
  // yaml-cpp 0.7's LoadAll never returns on these; seectl parses document by document.
  for (const char* hang : {",", "#0#\n,  ", "---\n,\n---\n"}) {
    Result<Manifests> m = ParseManifests(hang);
    ASSERT_FALSE(m.ok()) << hang;
    EXPECT_THAT(m.status().message(), HasSubstr("invalid YAML")) << hang;
  }
  EXPECT_FALSE(ParseManifests("- a\n,").ok());
  // Document markers, "..." ends, comments, directives and empty documents.
  Result<Manifests> multi = ParseManifests(
      "%YAML 1.2\n---\n# nothing\n...\n--- \n"
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n"
      "---\nnull\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: x}]}\n");
  ASSERT_TRUE(multi.ok()) << multi.status().message();
  ASSERT_EQ(multi->pods.size(), 2u);
  EXPECT_EQ(multi->pods[1].name, "b");
  // Line numbers count from the start of the file, not of the document.
  Result<Manifests> late = ParseManifests(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n"
      "---\nkind: Pod\nspec: [\n");
  ASSERT_FALSE(late.ok());
  EXPECT_THAT(late.status().message(), HasSubstr("invalid YAML at line 8"));  // yaml-cpp marks the end
  // Deep nesting is refused by yaml-cpp's depth guard, not by a stack overflow.
  std::string deep(100000, '[');
  EXPECT_FALSE(ParseManifests(deep).ok());
  EXPECT_FALSE(ParseManifests(std::string(kMaxManifestBytes + 1, ' ')).ok());
}

TEST(SeectlManifest, InitContainersAndProbesNote) {
  Result<Manifests> m = ParseManifests(R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers: [{name: init, image: x}]
  containers: [{name: c, image: x, readinessProbe: {exec: {command: [true]}}}]
)yaml");
  ASSERT_TRUE(m.ok()) << m.status().message();
  Result<PodPlan> plan = PlanPod(m->pods[0], {}, TestNode(), "u");
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->init_containers.size(), 1u);
  EXPECT_EQ(plan->init_containers[0].config.labels().at(kInitLabel), "true");
  ASSERT_EQ(m->notes.size(), 1u);
  EXPECT_THAT(m->notes[0], HasSubstr("readinessProbe: probes are not run"));
}

TEST(SeectlHost, CriLogLines) {
  LogLine l;
  ASSERT_TRUE(ParseCriLogLine("2026-11-21T16:00:00.123456789Z stdout F hello world", &l));
  EXPECT_EQ(l.stream, "stdout");
  EXPECT_FALSE(l.partial);
  EXPECT_EQ(l.text, "hello world");
  ASSERT_TRUE(ParseCriLogLine("2026-11-21T16:00:00Z stderr P part", &l));
  EXPECT_EQ(l.stream, "stderr");
  EXPECT_TRUE(l.partial);
  EXPECT_EQ(l.text, "part");
  ASSERT_TRUE(ParseCriLogLine("2026-11-21T16:00:00Z stdout F ", &l));  // an empty line
  EXPECT_EQ(l.text, "");
  EXPECT_FALSE(ParseCriLogLine("garbage", &l));
  EXPECT_FALSE(ParseCriLogLine("t stdin F x", &l));
}

TEST(SeectlHost, CleanupRefusesForeignPaths) {
  // Only directories named after the pod are ever removed.
  EXPECT_FALSE(CleanupHost("u1", "/etc", "", "").ok());
  EXPECT_FALSE(CleanupHost("u1", "", "/var/log", "").ok());
  EXPECT_FALSE(CleanupHost("", "/pods/u1", "", "").ok());
  EXPECT_TRUE(CleanupHost("u1", "/nonexistent/pods/u1", "/nonexistent/logs/ns_p_u1", "").ok());
}

}  // namespace
}  // namespace see::seectl
