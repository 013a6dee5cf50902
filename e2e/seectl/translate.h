// Pod -> CRI, as the kubelet computes it: PodSandboxConfig (metadata, hostname, DNS, labels,
// annotations, log directory, cgroup parent, namespaces, sysctls, pod security context) and one
// ContainerConfig per container (command/args with $(VAR) expansion, env, working dir, mounts,
// resources -> cgroup values, oom_score_adj by QoS class, security context, log path).
//
// Pure: the host facts it needs (memory capacity, the host's resolv.conf) come in NodeConfig,
// and the host-side work (directories, tmpfs, hostPath checks) is returned as a list for the
// caller to carry out. Unit-tested without containerd.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "e2e/seectl/manifest.h"
#include "proto/cri/api.pb.h"

namespace see::seectl {

// Labels and annotations the kubelet sets, which seectl uses to find pods again.
inline constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
inline constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
inline constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";
inline constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";
// seectl's own: who made the pod (Pod/Deployment/Job and its name), and what to clean up.
inline constexpr char kOwnerKindLabel[] = "see.dev/owner-kind";
inline constexpr char kOwnerNameLabel[] = "see.dev/owner-name";
inline constexpr char kInitLabel[] = "see.dev/init-container";
inline constexpr char kSpecHashAnnotation[] = "see.dev/spec-hash";
inline constexpr char kGraceAnnotation[] = "see.dev/termination-grace-period";
inline constexpr char kPodDirAnnotation[] = "see.dev/pod-dir";
inline constexpr char kRestartPolicyAnnotation[] = "see.dev/restart-policy";
inline constexpr char kLogDirAnnotation[] = "see.dev/log-dir";
inline constexpr char kCgroupAnnotation[] = "see.dev/cgroup-dir";

struct NodeConfig {
  std::string pod_log_dir = "/var/log/pods";     // kubelet's --pod-logs-dir
  std::string pod_dir = "/var/lib/seectl/pods";  // kubelet's <root-dir>/pods
  std::string cgroup_parent = "/kubepods";       // cgroupfs driver layout
  std::string default_namespace = "default";
  int64_t memory_capacity = 0;                   // bytes (MemTotal); for Burstable oom_score_adj
  // The host's resolv.conf (dnsPolicy Default, and ClusterFirst without a cluster DNS).
  std::vector<std::string> host_nameservers;
  std::vector<std::string> host_searches;
  std::vector<std::string> host_options;
  std::string cluster_dns;  // kubelet's --cluster-dns (empty: none)
  std::string cluster_domain = "cluster.local";
};

enum class QosClass { kGuaranteed, kBurstable, kBestEffort };
const char* QosClassName(QosClass q);
QosClass ComputeQos(const PodSpec& spec);

// Host-side preparation for one volume, done by the caller before RunPodSandbox.
struct HostPath {
  enum class Action {
    kEmptyDir,        // mkdir -p (mode 0777, as the kubelet); `tmpfs` mounts a tmpfs on it
    kCheckOrCreate,   // hostPath: check `type`, create for DirectoryOrCreate/FileOrCreate
  };
  Action action = Action::kEmptyDir;
  std::string path;
  std::string type;        // hostPath type
  bool tmpfs = false;      // emptyDir medium Memory
  int64_t tmpfs_size = 0;  // bytes, 0: kernel default
  int64_t fs_group = -1;   // emptyDir: chgrp to the pod's fsGroup (-1: none)
};

struct ContainerPlan {
  runtime::v1::ContainerConfig config;
  std::string image;        // as written in the manifest
  std::string pull_policy;  // Always, IfNotPresent, Never
  // runAsNonRoot is set but runAsUser is not: the caller must check the image's user.
  bool verify_image_non_root = false;
};

struct PodPlan {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::string handler;     // CRI runtime handler ("" = containerd's default)
  QosClass qos = QosClass::kBestEffort;
  std::string pod_dir;     // <pod_dir>/<uid>
  std::string cgroup_dir;  // the pod cgroup, relative to the hierarchy roots
  runtime::v1::PodSandboxConfig sandbox;
  std::vector<ContainerPlan> init_containers;
  std::vector<ContainerPlan> containers;
  std::vector<HostPath> host_paths;
};

// REQUIRES: `uid` is a fresh pod UID (the caller's UUID).
// `runtime_classes` maps RuntimeClass names to handlers; a runtimeClassName not in it is used as
// the handler itself (there is no API server to look RuntimeClasses up in).
Result<PodPlan> PlanPod(const Pod& pod, const std::map<std::string, std::string>& runtime_classes,
                        const NodeConfig& node, const std::string& uid);

// kubelet's MilliCPUToShares / milliCPUToQuota and GetContainerOOMScoreAdjust.
int64_t MilliCpuToShares(int64_t milli_cpu);
int64_t MilliCpuToQuota(int64_t milli_cpu, int64_t period);
int64_t OomScoreAdj(QosClass qos, int64_t memory_request, int64_t memory_capacity);

// kubelet's $(VAR) expansion of command, args and env values: $(NAME) is replaced when NAME is
// defined, $$ is a literal $, anything else is kept as written.
std::string ExpandVars(std::string_view in, const std::map<std::string, std::string>& env);

// resolv.conf contents -> nameservers, searches, options.
void ParseResolvConf(std::string_view text, std::vector<std::string>* servers,
                     std::vector<std::string>* searches, std::vector<std::string>* options);

}  // namespace see::seectl
