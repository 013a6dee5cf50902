// The part of the Kubernetes object model seectl runs: Pods, and the pod template of Deployments
// and Jobs, plus RuntimeClasses. ParseManifests() turns multi-document YAML into these structs;
// it validates as the API server would for what it models and refuses, naming the field, anything
// that would change how the pod runs but that seectl cannot honour. Fields it does not model and
// that do not change semantics (scheduling hints, ownerReferences, status, ...) are ignored, as
// kubectl's lenient decoding does.
//
// Pure: no I/O, no exceptions escape (yaml-cpp's are caught and reported with their position).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "e2e/seectl/quantity.h"

namespace see::seectl {

struct EnvVar {
  std::string name;
  std::string value;
};

struct VolumeMount {
  std::string name;
  std::string mount_path;
  std::string sub_path;
  bool read_only = false;
  // "None" (default), "HostToContainer"; "Bidirectional" is refused (it needs privileged).
  std::string propagation;
};

// cpu and memory of requests or limits; other resource names are ignored (with a note).
struct ResourceList {
  std::optional<Quantity> cpu;
  std::optional<Quantity> memory;
};

struct Resources {
  ResourceList requests;
  ResourceList limits;
};

struct SeccompProfile {
  std::string type;  // RuntimeDefault, Unconfined, Localhost
  std::string localhost_profile;
};

struct Capabilities {
  std::vector<std::string> add;
  std::vector<std::string> drop;
};

struct ContainerSecurityContext {
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::optional<bool> run_as_non_root;
  std::optional<bool> read_only_root_filesystem;
  std::optional<bool> allow_privilege_escalation;
  std::optional<Capabilities> capabilities;
  std::optional<SeccompProfile> seccomp;
};

struct ContainerPort {
  int32_t container_port = 0;
  int32_t host_port = 0;
  std::string protocol = "TCP";
  std::string host_ip;
};

struct Container {
  std::string name;
  std::string image;
  std::string image_pull_policy;  // Always, IfNotPresent, Never (defaulted as the API server does)
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string working_dir;
  std::vector<EnvVar> env;
  Resources resources;
  ContainerSecurityContext security_context;
  std::vector<VolumeMount> volume_mounts;
  std::vector<ContainerPort> ports;
  bool stdin = false;
  bool stdin_once = false;
  bool tty = false;
};

struct Volume {
  enum class Kind { kEmptyDir, kHostPath };
  std::string name;
  Kind kind = Kind::kEmptyDir;
  std::string medium;  // emptyDir: "" (node disk) or "Memory" (tmpfs)
  std::optional<Quantity> size_limit;
  std::string host_path;       // hostPath.path
  std::string host_path_type;  // "", DirectoryOrCreate, Directory, FileOrCreate, File, Socket, ...
};

struct PodSecurityContext {
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::optional<bool> run_as_non_root;
  std::optional<int64_t> fs_group;
  std::vector<int64_t> supplemental_groups;
  std::map<std::string, std::string> sysctls;
  std::optional<SeccompProfile> seccomp;
};

struct PodDnsConfig {
  std::vector<std::string> nameservers;
  std::vector<std::string> searches;
  std::vector<std::string> options;  // "name" or "name:value", resolv.conf syntax
};

struct PodSpec {
  std::vector<Container> init_containers;
  std::vector<Container> containers;
  std::vector<Volume> volumes;
  std::string restart_policy = "Always";
  int64_t termination_grace_period_seconds = 30;
  std::string runtime_class_name;
  bool host_network = false;
  bool host_pid = false;
  bool host_ipc = false;
  bool share_process_namespace = false;
  std::string hostname;
  std::string dns_policy = "ClusterFirst";
  std::optional<PodDnsConfig> dns_config;
  PodSecurityContext security_context;
};

struct Pod {
  std::string name;
  std::string namespace_;  // empty: the caller's default namespace
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  PodSpec spec;
  // Where the pod came from: "Pod", "Deployment" or "Job", and that object's name.
  std::string owner_kind = "Pod";
  std::string owner_name;
  // A digest of the document's pod-relevant content: `apply` of an unchanged file is a no-op.
  std::string spec_hash;
};

struct Manifests {
  std::vector<Pod> pods;
  // RuntimeClass name -> handler, from RuntimeClass documents in the same input.
  std::map<std::string, std::string> runtime_classes;
  // Things accepted but not honoured, for the user ("replicas: 3 runs 1 pod", ...).
  std::vector<std::string> notes;
};

// Upper bound on the input size; larger inputs are refused before parsing.
inline constexpr size_t kMaxManifestBytes = 4 << 20;

// Parses every YAML document of `yaml`. Errors name the document and the field path, e.g.
// "document 2 (Deployment web): spec.template.spec.containers[0].securityContext.privileged:
//  privileged containers are not supported".
Result<Manifests> ParseManifests(std::string_view yaml);

// Kubernetes name checks (exposed for the CLI's arguments).
bool IsDnsLabel(std::string_view s);      // RFC 1123 label, <= 63
bool IsDnsSubdomain(std::string_view s);  // RFC 1123 subdomain, <= 253

}  // namespace see::seectl
