#include "e2e/seectl/translate.h"

#include <algorithm>
#include <limits>
#include <set>
#include <sstream>

namespace see::seectl {
namespace {

namespace cri = runtime::v1;

// kubelet constants (pkg/kubelet/cm, pkg/kubelet/qos, pkg/kubelet/network/dns).
constexpr int64_t kMinShares = 2;
constexpr int64_t kMaxShares = 262144;
constexpr int64_t kSharesPerCpu = 1024;
constexpr int64_t kMilliCpuToCpu = 1000;
constexpr int64_t kQuotaPeriod = 100000;
constexpr int64_t kMinQuotaPeriod = 1000;
constexpr int64_t kGuaranteedOomScoreAdj = -997;
constexpr int64_t kBestEffortOomScoreAdj = 1000;
constexpr size_t kMaxDnsNameservers = 3;
constexpr size_t kMaxDnsSearchPaths = 32;
constexpr char kSeccompProfileRoot[] = "/var/lib/kubelet/seccomp";

// What the kubelet sends for procMount: Default (pkg/securitycontext/util.go).
const char* const kDefaultMaskedPaths[] = {
    "/proc/asound",     "/proc/acpi",        "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap",
};
const char* const kDefaultReadonlyPaths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

int64_t MilliOf(const std::optional<Quantity>& q) {
  if (!q) return 0;
  Result<int64_t> v = q->MilliValue();
  return v.ok() ? *v : 0;  // ranges were validated by the parser
}

int64_t BytesOf(const std::optional<Quantity>& q) {
  if (!q) return 0;
  Result<int64_t> v = q->Value();
  return v.ok() ? *v : 0;
}

void AppendUnique(std::vector<std::string>* out, const std::vector<std::string>& in) {
  for (const std::string& s : in) {
    if (std::find(out->begin(), out->end(), s) == out->end()) out->push_back(s);
  }
}

// kubelet's getHostnameFromPod + truncation to 63 characters.
std::string PodHostname(const Pod& pod) {
  std::string h = pod.spec.hostname.empty() ? pod.name : pod.spec.hostname;
  if (h.size() > 63) {
    h.resize(63);
    while (!h.empty() && (h.back() == '-' || h.back() == '.')) h.pop_back();
  }
  return h;
}

// kubelet's dns.Configurer.GetPodDNS.
void BuildDns(const Pod& pod, const std::string& ns, const NodeConfig& node, cri::DNSConfig* dns) {
  std::string policy = pod.spec.dns_policy;
  if (policy == "ClusterFirst" && pod.spec.host_network) policy = "Default";
  if ((policy == "ClusterFirst" || policy == "ClusterFirstWithHostNet") &&
      node.cluster_dns.empty()) {
    policy = "Default";  // the kubelet's fallback when no cluster DNS is configured
  }
  std::vector<std::string> servers, searches, options;
  if (policy == "Default") {
    servers = node.host_nameservers;
    searches = node.host_searches;
    options = node.host_options;
  } else if (policy != "None") {
    const std::string& d = node.cluster_domain;
    servers = {node.cluster_dns};
    searches = {ns + ".svc." + d, "svc." + d, d};
    AppendUnique(&searches, node.host_searches);
    options = {"ndots:5"};
  }
  if (pod.spec.dns_config) {
    AppendUnique(&servers, pod.spec.dns_config->nameservers);
    AppendUnique(&searches, pod.spec.dns_config->searches);
    // Options override by name.
    for (const std::string& o : pod.spec.dns_config->options) {
      std::string name = o.substr(0, o.find(':'));
      std::erase_if(options, [&](const std::string& x) { return x.substr(0, x.find(':')) == name; });
      options.push_back(o);
    }
  }
  if (servers.size() > kMaxDnsNameservers) servers.resize(kMaxDnsNameservers);
  if (searches.size() > kMaxDnsSearchPaths) searches.resize(kMaxDnsSearchPaths);
  for (const std::string& s : servers) dns->add_servers(s);
  for (const std::string& s : searches) dns->add_searches(s);
  for (const std::string& s : options) dns->add_options(s);
}

void SetSeccomp(const std::optional<SeccompProfile>& p, cri::SecurityProfile* out) {
  if (!p || p->type == "Unconfined") {
    out->set_profile_type(cri::SecurityProfile::Unconfined);  // kubelet default (SeccompDefault off)
  } else if (p->type == "RuntimeDefault") {
    out->set_profile_type(cri::SecurityProfile::RuntimeDefault);
  } else {
    out->set_profile_type(cri::SecurityProfile::Localhost);
    out->set_localhost_ref(std::string(kSeccompProfileRoot) + "/" + p->localhost_profile);
  }
}

void SetNamespaces(const PodSpec& spec, cri::NamespaceOption* ns) {
  ns->set_network(spec.host_network ? cri::NODE : cri::POD);
  ns->set_ipc(spec.host_ipc ? cri::NODE : cri::POD);
  // The kubelet asks for a per-container PID namespace unless the pod shares one.
  ns->set_pid(spec.host_pid ? cri::NODE : spec.share_process_namespace ? cri::POD : cri::CONTAINER);
}

std::vector<int64_t> SupplementalGroups(const PodSecurityContext& sc) {
  std::vector<int64_t> out;
  if (sc.fs_group) out.push_back(*sc.fs_group);
  out.insert(out.end(), sc.supplemental_groups.begin(), sc.supplemental_groups.end());
  return out;
}

Status BuildContainer(const Pod& pod, const PodPlan& plan, const Container& c, bool init,
                      const std::map<std::string, std::string>& volume_host_paths,
                      const NodeConfig& node, ContainerPlan* out, std::vector<HostPath>* host) {
  cri::ContainerConfig& cfg = out->config;
  out->image = c.image;
  out->pull_policy = c.image_pull_policy;
  cfg.mutable_metadata()->set_name(c.name);
  cfg.mutable_metadata()->set_attempt(0);
  cfg.mutable_image()->set_image(c.image);

  // env first: later values may refer to earlier ones, command/args to all of them.
  std::map<std::string, std::string> env;
  for (const EnvVar& e : c.env) {
    std::string v = ExpandVars(e.value, env);
    env[e.name] = v;
    cri::KeyValue* kv = cfg.add_envs();
    kv->set_key(e.name);
    kv->set_value(v);
  }
  for (const std::string& s : c.command) cfg.add_command(ExpandVars(s, env));
  for (const std::string& s : c.args) cfg.add_args(ExpandVars(s, env));
  cfg.set_working_dir(c.working_dir);

  for (const VolumeMount& m : c.volume_mounts) {
    const Volume* vol = nullptr;
    for (const Volume& v : pod.spec.volumes) {
      if (v.name == m.name) vol = &v;
    }
    std::string hp = volume_host_paths.at(m.name);
    if (!m.sub_path.empty()) {
      hp += "/" + m.sub_path;
      if (vol && vol->kind == Volume::Kind::kEmptyDir) {
        // The kubelet creates a missing subPath inside the volume.
        HostPath sub;
        sub.action = HostPath::Action::kEmptyDir;
        sub.path = hp;
        host->push_back(sub);
      }
    }
    cri::Mount* mount = cfg.add_mounts();
    mount->set_container_path(m.mount_path);
    mount->set_host_path(hp);
    mount->set_readonly(m.read_only);
    mount->set_propagation(m.propagation == "HostToContainer" ? cri::PROPAGATION_HOST_TO_CONTAINER
                                                              : cri::PROPAGATION_PRIVATE);
  }

  (*cfg.mutable_labels())[kContainerNameLabel] = c.name;
  (*cfg.mutable_labels())[kPodNameLabel] = plan.name;
  (*cfg.mutable_labels())[kPodNamespaceLabel] = plan.namespace_;
  (*cfg.mutable_labels())[kPodUidLabel] = plan.uid;
  if (init) (*cfg.mutable_labels())[kInitLabel] = "true";
  auto& ann = *cfg.mutable_annotations();
  ann["io.kubernetes.container.restartCount"] = "0";
  ann["io.kubernetes.container.terminationMessagePath"] = "/dev/termination-log";
  ann["io.kubernetes.container.terminationMessagePolicy"] = "File";
  ann["io.kubernetes.pod.terminationGracePeriod"] =
      std::to_string(pod.spec.termination_grace_period_seconds);
  cfg.set_log_path(c.name + "/0.log");
  cfg.set_stdin(c.stdin);
  cfg.set_stdin_once(c.stdin_once);
  cfg.set_tty(c.tty);

  // Resources, as kubelet's generateLinuxContainerResources (cgroupfs, CFS quota on).
  cri::LinuxContainerResources* res = cfg.mutable_linux()->mutable_resources();
  int64_t cpu_request = MilliOf(c.resources.requests.cpu);
  int64_t cpu_limit = MilliOf(c.resources.limits.cpu);
  if (cpu_request == 0 && cpu_limit != 0) cpu_request = cpu_limit;
  res->set_cpu_shares(MilliCpuToShares(cpu_request));
  if (cpu_limit != 0) {
    res->set_cpu_period(kQuotaPeriod);
    res->set_cpu_quota(MilliCpuToQuota(cpu_limit, kQuotaPeriod));
  }
  int64_t mem_limit = BytesOf(c.resources.limits.memory);
  if (mem_limit != 0) res->set_memory_limit_in_bytes(mem_limit);
  res->set_oom_score_adj(
      OomScoreAdj(plan.qos, BytesOf(c.resources.requests.memory), node.memory_capacity));

  // Security context: the container's fields over the pod's (determineEffectiveSecurityContext).
  const PodSecurityContext& psc = pod.spec.security_context;
  const ContainerSecurityContext& csc = c.security_context;
  cri::LinuxContainerSecurityContext* sc = cfg.mutable_linux()->mutable_security_context();
  std::optional<int64_t> uid = csc.run_as_user ? csc.run_as_user : psc.run_as_user;
  std::optional<int64_t> gid = csc.run_as_group ? csc.run_as_group : psc.run_as_group;
  std::optional<bool> non_root = csc.run_as_non_root ? csc.run_as_non_root : psc.run_as_non_root;
  if (gid && !uid) {
    // The CRI requires run_as_user with run_as_group; the kubelet has the image user then.
    return InvalidArgument("containers[" + c.name +
                           "].securityContext.runAsGroup: needs runAsUser (seectl does not read "
                           "the image's user to pair with a group)");
  }
  if (uid) sc->mutable_run_as_user()->set_value(*uid);
  if (gid) sc->mutable_run_as_group()->set_value(*gid);
  if (non_root.value_or(false)) {
    if (uid && *uid == 0) {
      return InvalidArgument("container " + c.name +
                             ": securityContext.runAsNonRoot is set but runAsUser is 0");
    }
    out->verify_image_non_root = !uid.has_value();
  }
  sc->set_readonly_rootfs(csc.read_only_root_filesystem.value_or(false));
  sc->set_no_new_privs(csc.allow_privilege_escalation.has_value() &&
                       !*csc.allow_privilege_escalation);
  if (csc.capabilities) {
    for (const std::string& cap : csc.capabilities->add) {
      sc->mutable_capabilities()->add_add_capabilities(cap);
    }
    for (const std::string& cap : csc.capabilities->drop) {
      sc->mutable_capabilities()->add_drop_capabilities(cap);
    }
  }
  for (int64_t g : SupplementalGroups(psc)) sc->add_supplemental_groups(g);
  SetNamespaces(pod.spec, sc->mutable_namespace_options());
  SetSeccomp(csc.seccomp ? csc.seccomp : psc.seccomp, sc->mutable_seccomp());
  for (const char* p : kDefaultMaskedPaths) sc->add_masked_paths(p);
  for (const char* p : kDefaultReadonlyPaths) sc->add_readonly_paths(p);
  return Status::Ok();
}

}  // namespace

const char* QosClassName(QosClass q) {
  switch (q) {
    case QosClass::kGuaranteed: return "Guaranteed";
    case QosClass::kBurstable: return "Burstable";
    case QosClass::kBestEffort: return "BestEffort";
  }
  return "?";
}

// pkg/apis/core/v1/helper/qos.GetPodQOS for cpu and memory.
QosClass ComputeQos(const PodSpec& spec) {
  __int128 req_cpu = 0, req_mem = 0, lim_cpu = 0, lim_mem = 0;  // sums of int64 values
  bool any_request = false, any_limit = false, guaranteed = true;
  for (const auto* group : {&spec.init_containers, &spec.containers}) {
    for (const Container& c : *group) {
      int64_t rc = MilliOf(c.resources.requests.cpu), rm = BytesOf(c.resources.requests.memory);
      int64_t lc = MilliOf(c.resources.limits.cpu), lm = BytesOf(c.resources.limits.memory);
      any_request |= rc != 0 || rm != 0;
      any_limit |= lc != 0 || lm != 0;
      req_cpu += rc;
      req_mem += rm;
      lim_cpu += lc;
      lim_mem += lm;
      if (lc == 0 || lm == 0) guaranteed = false;
    }
  }
  if (!any_request && !any_limit) return QosClass::kBestEffort;
  if (guaranteed && req_cpu == lim_cpu && req_mem == lim_mem) return QosClass::kGuaranteed;
  return QosClass::kBurstable;
}

// 128-bit intermediates: a huge (valid) quantity must clamp, not overflow.
int64_t MilliCpuToShares(int64_t milli_cpu) {
  if (milli_cpu == 0) return kMinShares;
  __int128 shares = static_cast<__int128>(milli_cpu) * kSharesPerCpu / kMilliCpuToCpu;
  return static_cast<int64_t>(std::clamp<__int128>(shares, kMinShares, kMaxShares));
}

int64_t MilliCpuToQuota(int64_t milli_cpu, int64_t period) {
  if (milli_cpu == 0) return 0;
  __int128 quota = static_cast<__int128>(milli_cpu) * period / kMilliCpuToCpu;
  return static_cast<int64_t>(
      std::clamp<__int128>(quota, kMinQuotaPeriod, std::numeric_limits<int64_t>::max()));
}

int64_t OomScoreAdj(QosClass qos, int64_t memory_request, int64_t memory_capacity) {
  if (qos == QosClass::kGuaranteed) return kGuaranteedOomScoreAdj;
  if (qos == QosClass::kBestEffort) return kBestEffortOomScoreAdj;
  if (memory_capacity <= 0) return kBestEffortOomScoreAdj - 1;
  // 128-bit: 1000 * request must not overflow for huge requests.
  __int128 adj = 1000 - static_cast<__int128>(1000) * memory_request / memory_capacity;
  if (adj < 1000 + kGuaranteedOomScoreAdj) return 1000 + kGuaranteedOomScoreAdj;
  if (adj == kBestEffortOomScoreAdj) return kBestEffortOomScoreAdj - 1;
  return static_cast<int64_t>(adj);
}

std::string ExpandVars(std::string_view in, const std::map<std::string, std::string>& env) {
  std::string out;
  size_t checkpoint = 0;
  for (size_t cursor = 0; cursor < in.size(); ++cursor) {
    if (in[cursor] != '$' || cursor + 1 >= in.size()) continue;
    out.append(in.substr(checkpoint, cursor - checkpoint));
    std::string_view rest = in.substr(cursor + 1);
    size_t advance = 1;
    if (rest[0] == '$') {
      out += '$';
    } else if (rest[0] == '(') {
      size_t close = rest.find(')', 1);
      if (close == std::string_view::npos) {
        out += "$(";
      } else {
        std::string name(rest.substr(1, close - 1));
        auto it = env.find(name);
        out += it != env.end() ? it->second : "$(" + name + ")";
        advance = close + 1;
      }
    } else {
      out += '$';
      out += rest[0];
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  if (checkpoint < in.size()) out.append(in.substr(checkpoint));
  return out;
}

void ParseResolvConf(std::string_view text, std::vector<std::string>* servers,
                     std::vector<std::string>* searches, std::vector<std::string>* options) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t hash = line.find_first_of("#;");
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string key, w;
    if (!(words >> key)) continue;
    std::vector<std::string> rest;
    while (words >> w) rest.push_back(w);
    if (key == "nameserver" && !rest.empty()) {
      servers->push_back(rest[0]);
    } else if (key == "search" || key == "domain") {
      *searches = rest;  // the last search/domain line wins, as in the resolver
    } else if (key == "options") {
      options->insert(options->end(), rest.begin(), rest.end());
    }
  }
}

Result<PodPlan> PlanPod(const Pod& pod, const std::map<std::string, std::string>& runtime_classes,
                        const NodeConfig& node, const std::string& uid) {
  PodPlan plan;
  plan.uid = uid;
  plan.name = pod.name;
  plan.namespace_ = pod.namespace_.empty() ? node.default_namespace : pod.namespace_;
  plan.qos = ComputeQos(pod.spec);

  if (!pod.spec.runtime_class_name.empty()) {
    auto it = runtime_classes.find(pod.spec.runtime_class_name);
    plan.handler = it != runtime_classes.end() ? it->second : pod.spec.runtime_class_name;
    if (!IsDnsLabel(plan.handler)) {
      return InvalidArgument("spec.runtimeClassName: handler \"" + plan.handler +
                             "\" is not a DNS label");
    }
  }

  plan.pod_dir = node.pod_dir + "/" + uid;
  switch (plan.qos) {
    case QosClass::kGuaranteed: plan.cgroup_dir = node.cgroup_parent + "/pod" + uid; break;
    case QosClass::kBurstable: plan.cgroup_dir = node.cgroup_parent + "/burstable/pod" + uid; break;
    case QosClass::kBestEffort:
      plan.cgroup_dir = node.cgroup_parent + "/besteffort/pod" + uid;
      break;
  }

  cri::PodSandboxConfig& sb = plan.sandbox;
  cri::PodSandboxMetadata* md = sb.mutable_metadata();
  md->set_name(plan.name);
  md->set_namespace_(plan.namespace_);
  md->set_uid(uid);
  md->set_attempt(0);
  if (!pod.spec.host_network) sb.set_hostname(PodHostname(pod));
  sb.set_log_directory(node.pod_log_dir + "/" + plan.namespace_ + "_" + plan.name + "_" + uid);
  BuildDns(pod, plan.namespace_, node, sb.mutable_dns_config());
  for (const auto* group : {&pod.spec.init_containers, &pod.spec.containers}) {
    for (const Container& c : *group) {
      for (const ContainerPort& p : c.ports) {
        cri::PortMapping* pm = sb.add_port_mappings();
        pm->set_protocol(p.protocol == "UDP" ? cri::UDP : p.protocol == "SCTP" ? cri::SCTP
                                                                                : cri::TCP);
        pm->set_container_port(p.container_port);
        pm->set_host_port(p.host_port);
        pm->set_host_ip(p.host_ip);
      }
    }
  }
  auto& labels = *sb.mutable_labels();
  for (const auto& [k, v] : pod.labels) labels[k] = v;
  labels[kPodNameLabel] = plan.name;
  labels[kPodNamespaceLabel] = plan.namespace_;
  labels[kPodUidLabel] = uid;
  labels[kOwnerKindLabel] = pod.owner_kind;
  labels[kOwnerNameLabel] = pod.owner_kind == "Pod" ? pod.name : pod.owner_name;
  auto& ann = *sb.mutable_annotations();
  for (const auto& [k, v] : pod.annotations) ann[k] = v;
  ann[kSpecHashAnnotation] = pod.spec_hash;
  ann[kGraceAnnotation] = std::to_string(pod.spec.termination_grace_period_seconds);
  ann[kPodDirAnnotation] = plan.pod_dir;
  ann[kRestartPolicyAnnotation] = pod.spec.restart_policy;
  ann[kLogDirAnnotation] = sb.log_directory();
  ann[kCgroupAnnotation] = plan.cgroup_dir;

  cri::LinuxPodSandboxConfig* linux = sb.mutable_linux();
  linux->set_cgroup_parent(plan.cgroup_dir);
  for (const auto& [k, v] : pod.spec.security_context.sysctls) (*linux->mutable_sysctls())[k] = v;
  cri::LinuxSandboxSecurityContext* ssc = linux->mutable_security_context();
  SetNamespaces(pod.spec, ssc->mutable_namespace_options());
  const PodSecurityContext& psc = pod.spec.security_context;
  if (psc.run_as_user) ssc->mutable_run_as_user()->set_value(*psc.run_as_user);
  if (psc.run_as_group) ssc->mutable_run_as_group()->set_value(*psc.run_as_group);
  for (int64_t g : SupplementalGroups(psc)) ssc->add_supplemental_groups(g);
  SetSeccomp(psc.seccomp, ssc->mutable_seccomp());

  // Volumes: where each lives on the host, and what the caller must prepare.
  std::map<std::string, std::string> volume_host_paths;
  for (const Volume& v : pod.spec.volumes) {
    HostPath hp;
    if (v.kind == Volume::Kind::kEmptyDir) {
      hp.action = HostPath::Action::kEmptyDir;
      hp.path = plan.pod_dir + "/volumes/kubernetes.io~empty-dir/" + v.name;
      hp.tmpfs = v.medium == "Memory";
      if (v.size_limit) hp.tmpfs_size = BytesOf(v.size_limit);
      hp.fs_group = psc.fs_group.value_or(-1);
    } else {
      hp.action = HostPath::Action::kCheckOrCreate;
      hp.path = v.host_path;
      hp.type = v.host_path_type;
    }
    volume_host_paths[v.name] = hp.path;
    plan.host_paths.push_back(hp);
  }

  for (const Container& c : pod.spec.init_containers) {
    ContainerPlan cp;
    SEE_RETURN_IF_ERROR(
        BuildContainer(pod, plan, c, true, volume_host_paths, node, &cp, &plan.host_paths));
    plan.init_containers.push_back(std::move(cp));
  }
  for (const Container& c : pod.spec.containers) {
    ContainerPlan cp;
    SEE_RETURN_IF_ERROR(
        BuildContainer(pod, plan, c, false, volume_host_paths, node, &cp, &plan.host_paths));
    plan.containers.push_back(std::move(cp));
  }
  return plan;
}

}  // namespace see::seectl
