#include "e2e/seectl/manifest.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdio>
#include <functional>
#include <set>
#include <utility>

namespace see::seectl {
namespace {

// A YAML node and the path that names it in error messages ("spec.containers[0].image").
// Every accessor checks the node's type and reports a mismatch with that path.
class Field {
 public:
  Field(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  // Absent and explicit `null` are the same, as for the API server.
  bool present() const { return node_.IsDefined() && !node_.IsNull(); }

  Status Error(std::string_view msg) const {
    return InvalidArgument(path_.empty() ? std::string(msg) : path_ + ": " + std::string(msg));
  }

  // A child of a mapping; an absent child when this is absent. REQUIRES: present() implies IsMap
  // was checked by the caller through Map()/Child().
  Result<Field> Child(std::string_view key) const {
    std::string p = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    if (!present()) return Field(YAML::Node(YAML::NodeType::Undefined), p);
    if (!node_.IsMap()) return Error("must be a mapping");
    return Field(node_[std::string(key)], p);
  }

  Result<std::string> Str() const {
    if (!present()) return std::string();
    if (!node_.IsScalar()) return Error("must be a string");
    return node_.Scalar();
  }

  Result<std::optional<int64_t>> Int() const {
    if (!present()) return std::optional<int64_t>();
    if (!node_.IsScalar() || node_.Tag() == "!") return Error("must be an integer");
    const std::string& s = node_.Scalar();
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
      return Error("must be an integer, got \"" + s + "\"");
    }
    return std::optional<int64_t>(v);
  }

  Result<std::optional<bool>> Bool() const {
    if (!present()) return std::optional<bool>();
    if (!node_.IsScalar() || node_.Tag() == "!") return Error("must be true or false");
    const std::string& s = node_.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return std::optional<bool>(true);
    if (s == "false" || s == "False" || s == "FALSE") return std::optional<bool>(false);
    return Error("must be true or false, got \"" + s + "\"");
  }

  // Elements of a sequence; empty when absent.
  Result<std::vector<Field>> List() const {
    std::vector<Field> out;
    if (!present()) return out;
    if (!node_.IsSequence()) return Error("must be a list");
    size_t i = 0;
    for (const YAML::Node& n : node_) {
      out.emplace_back(n, path_ + "[" + std::to_string(i++) + "]");
    }
    return out;
  }

  Result<std::vector<std::string>> StrList() const {
    SEE_ASSIGN_OR_RETURN(std::vector<Field> items, List());
    std::vector<std::string> out;
    for (const Field& f : items) {
      if (!f.present()) return f.Error("must be a string");
      SEE_ASSIGN_OR_RETURN(std::string s, f.Str());
      out.push_back(std::move(s));
    }
    return out;
  }

  // A string -> string mapping (labels, annotations, nodeSelector, ...).
  Result<std::map<std::string, std::string>> StrMap() const {
    std::map<std::string, std::string> out;
    if (!present()) return out;
    if (!node_.IsMap()) return Error("must be a mapping");
    for (const auto& kv : node_) {
      if (!kv.first.IsScalar()) return Error("keys must be strings");
      const std::string& k = kv.first.Scalar();
      Field v(kv.second, path_ + "." + k);
      if (v.present() && !kv.second.IsScalar()) return v.Error("must be a string");
      SEE_ASSIGN_OR_RETURN(out[k], v.Str());
    }
    return out;
  }

  // Keys of a mapping (to find unsupported fields).
  Result<std::vector<std::string>> Keys() const {
    std::vector<std::string> out;
    if (!present()) return out;
    if (!node_.IsMap()) return Error("must be a mapping");
    for (const auto& kv : node_) {
      if (!kv.first.IsScalar()) return Error("keys must be strings");
      out.push_back(kv.first.Scalar());
    }
    return out;
  }

  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
  std::string path_;
};

// Shorthands for a child's typed value.
Result<std::string> ChildStr(const Field& f, std::string_view key) {
  SEE_ASSIGN_OR_RETURN(Field c, f.Child(key));
  return c.Str();
}
Result<std::optional<int64_t>> ChildInt(const Field& f, std::string_view key) {
  SEE_ASSIGN_OR_RETURN(Field c, f.Child(key));
  return c.Int();
}
Result<std::optional<bool>> ChildBool(const Field& f, std::string_view key) {
  SEE_ASSIGN_OR_RETURN(Field c, f.Child(key));
  return c.Bool();
}

// Refuses every key of `f` in `refused`, with the reason given there.
Status RefuseKeys(const Field& f,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> refused) {
  SEE_ASSIGN_OR_RETURN(std::vector<std::string> keys, f.Keys());
  for (const std::string& k : keys) {
    for (const auto& [name, why] : refused) {
      if (k != name) continue;
      SEE_ASSIGN_OR_RETURN(Field c, f.Child(k));
      if (!c.present()) continue;  // `field: null` asks for nothing
      return c.Error(std::string(why));
    }
  }
  return Status::Ok();
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

Result<std::optional<Quantity>> ParseQuantityField(const Field& f) {
  if (!f.present()) return std::optional<Quantity>();
  if (!f.node().IsScalar()) return f.Error("must be a quantity");
  Result<Quantity> q = ParseQuantity(f.node().Scalar());
  if (!q.ok()) return f.Error(q.status().message());
  if (q->negative) return f.Error("must not be negative");
  return std::optional<Quantity>(*q);
}

Result<ResourceList> ParseResourceList(const Field& f, std::vector<std::string>* notes) {
  ResourceList out;
  SEE_ASSIGN_OR_RETURN(std::vector<std::string> keys, f.Keys());
  for (const std::string& k : keys) {
    SEE_ASSIGN_OR_RETURN(Field c, f.Child(k));
    if (k == "cpu") {
      SEE_ASSIGN_OR_RETURN(out.cpu, ParseQuantityField(c));
    } else if (k == "memory") {
      SEE_ASSIGN_OR_RETURN(out.memory, ParseQuantityField(c));
    } else if (k.rfind("hugepages-", 0) == 0) {
      return c.Error("hugepages resources are not supported");
    } else {
      // ephemeral-storage, extended resources: accounted by the scheduler/eviction, not cgroups.
      SEE_RETURN_IF_ERROR(ParseQuantityField(c).status());
      notes->push_back(c.path() + ": not enforced by seectl (no cgroup limit for it)");
    }
  }
  return out;
}

Result<std::optional<SeccompProfile>> ParseSeccomp(const Field& sc) {
  SEE_ASSIGN_OR_RETURN(Field f, sc.Child("seccompProfile"));
  if (!f.present()) return std::optional<SeccompProfile>();
  SeccompProfile p;
  SEE_ASSIGN_OR_RETURN(p.type, ChildStr(f, "type"));
  SEE_ASSIGN_OR_RETURN(p.localhost_profile, ChildStr(f, "localhostProfile"));
  if (p.type != "RuntimeDefault" && p.type != "Unconfined" && p.type != "Localhost") {
    return f.Error("type must be RuntimeDefault, Unconfined or Localhost");
  }
  if ((p.type == "Localhost") != !p.localhost_profile.empty()) {
    return f.Error("localhostProfile must be set exactly when type is Localhost");
  }
  return std::optional<SeccompProfile>(p);
}

Status ParseContainerSecurityContext(const Field& f, ContainerSecurityContext* sc) {
  if (!f.present()) return Status::Ok();
  SEE_ASSIGN_OR_RETURN(std::optional<bool> privileged, ChildBool(f, "privileged"));
  if (privileged.value_or(false)) {
    SEE_ASSIGN_OR_RETURN(Field p, f.Child("privileged"));
    return p.Error("privileged containers are refused: see runs every container sandboxed");
  }
  SEE_RETURN_IF_ERROR(RefuseKeys(f, {
      {"windowsOptions", "Windows options are not supported"},
      {"seLinuxOptions", "SELinux options are not supported"},
      {"appArmorProfile", "AppArmor profiles are not supported"},
      {"procMount", "procMount is not supported"},
  }));
  SEE_ASSIGN_OR_RETURN(sc->run_as_user, ChildInt(f, "runAsUser"));
  SEE_ASSIGN_OR_RETURN(sc->run_as_group, ChildInt(f, "runAsGroup"));
  SEE_ASSIGN_OR_RETURN(sc->run_as_non_root, ChildBool(f, "runAsNonRoot"));
  SEE_ASSIGN_OR_RETURN(sc->read_only_root_filesystem, ChildBool(f, "readOnlyRootFilesystem"));
  SEE_ASSIGN_OR_RETURN(sc->allow_privilege_escalation, ChildBool(f, "allowPrivilegeEscalation"));
  for (auto* id : {&sc->run_as_user, &sc->run_as_group}) {
    if (id->has_value() && (**id < 0 || **id > 2147483647)) {
      return f.Error("runAsUser/runAsGroup must be between 0 and 2147483647");
    }
  }
  SEE_ASSIGN_OR_RETURN(Field caps, f.Child("capabilities"));
  if (caps.present()) {
    Capabilities c;
    SEE_ASSIGN_OR_RETURN(Field add, caps.Child("add"));
    SEE_ASSIGN_OR_RETURN(c.add, add.StrList());
    SEE_ASSIGN_OR_RETURN(Field drop, caps.Child("drop"));
    SEE_ASSIGN_OR_RETURN(c.drop, drop.StrList());
    sc->capabilities = std::move(c);
  }
  SEE_ASSIGN_OR_RETURN(sc->seccomp, ParseSeccomp(f));
  return Status::Ok();
}

Result<EnvVar> ParseEnv(const Field& f) {
  EnvVar e;
  SEE_ASSIGN_OR_RETURN(e.name, ChildStr(f, "name"));
  if (e.name.empty()) return f.Error("name is required");
  SEE_ASSIGN_OR_RETURN(Field vf, f.Child("valueFrom"));
  if (vf.present()) {
    return vf.Error("valueFrom is not supported (no API server for fieldRef/configMapKeyRef/...)");
  }
  SEE_ASSIGN_OR_RETURN(e.value, ChildStr(f, "value"));
  return e;
}

Result<Container> ParseContainer(const Field& f, std::vector<std::string>* notes) {
  Container c;
  if (!f.present() || !f.node().IsMap()) return f.Error("must be a mapping");
  SEE_RETURN_IF_ERROR(RefuseKeys(f, {
      {"envFrom", "envFrom is not supported (no ConfigMaps or Secrets without an API server)"},
      {"lifecycle", "lifecycle hooks (postStart/preStop) are not supported"},
      {"volumeDevices", "volumeDevices are not supported"},
      {"resizePolicy", "resizePolicy is not supported"},
      {"restartPolicy", "container restartPolicy (sidecar containers) is not supported"},
  }));
  SEE_ASSIGN_OR_RETURN(c.name, ChildStr(f, "name"));
  if (!IsDnsLabel(c.name)) {
    return f.Error("name \"" + c.name + "\" must be a DNS label (lowercase a-z, 0-9, '-', <= 63)");
  }
  SEE_ASSIGN_OR_RETURN(c.image, ChildStr(f, "image"));
  if (c.image.empty()) return f.Error("image is required");
  SEE_ASSIGN_OR_RETURN(c.image_pull_policy, ChildStr(f, "imagePullPolicy"));
  if (c.image_pull_policy.empty()) {
    // The API server's default: Always for :latest or an untagged image, else IfNotPresent.
    std::string_view ref = c.image;
    size_t slash = ref.rfind('/');
    std::string_view last = slash == std::string_view::npos ? ref : ref.substr(slash + 1);
    bool digest = ref.find('@') != std::string_view::npos;
    size_t colon = last.rfind(':');
    bool latest = !digest && (colon == std::string_view::npos || last.substr(colon + 1) == "latest");
    c.image_pull_policy = latest ? "Always" : "IfNotPresent";
  } else if (c.image_pull_policy != "Always" && c.image_pull_policy != "IfNotPresent" &&
             c.image_pull_policy != "Never") {
    SEE_ASSIGN_OR_RETURN(Field p, f.Child("imagePullPolicy"));
    return p.Error("must be Always, IfNotPresent or Never");
  }
  SEE_ASSIGN_OR_RETURN(Field cmd, f.Child("command"));
  SEE_ASSIGN_OR_RETURN(c.command, cmd.StrList());
  SEE_ASSIGN_OR_RETURN(Field args, f.Child("args"));
  SEE_ASSIGN_OR_RETURN(c.args, args.StrList());
  SEE_ASSIGN_OR_RETURN(c.working_dir, ChildStr(f, "workingDir"));
  SEE_ASSIGN_OR_RETURN(Field env, f.Child("env"));
  SEE_ASSIGN_OR_RETURN(std::vector<Field> envs, env.List());
  for (const Field& e : envs) {
    SEE_ASSIGN_OR_RETURN(EnvVar v, ParseEnv(e));
    c.env.push_back(std::move(v));
  }

  SEE_ASSIGN_OR_RETURN(Field res, f.Child("resources"));
  SEE_RETURN_IF_ERROR(RefuseKeys(res, {{"claims", "resource claims are not supported"}}));
  SEE_ASSIGN_OR_RETURN(Field req, res.Child("requests"));
  SEE_ASSIGN_OR_RETURN(c.resources.requests, ParseResourceList(req, notes));
  SEE_ASSIGN_OR_RETURN(Field lim, res.Child("limits"));
  SEE_ASSIGN_OR_RETURN(c.resources.limits, ParseResourceList(lim, notes));
  // API server defaulting: a request left out equals its limit.
  ResourceList& rq = c.resources.requests;
  const ResourceList& lm = c.resources.limits;
  if (!rq.cpu && lm.cpu) rq.cpu = lm.cpu;
  if (!rq.memory && lm.memory) rq.memory = lm.memory;
  // Validation as the API server's: a request may not exceed its limit.
  auto exceeds = [](const std::optional<Quantity>& r, const std::optional<Quantity>& l,
                    bool milli) -> bool {
    if (!r || !l) return false;
    Result<int64_t> rv = milli ? r->MilliValue() : r->Value();
    Result<int64_t> lv = milli ? l->MilliValue() : l->Value();
    return rv.ok() && lv.ok() && *rv > *lv;
  };
  if (exceeds(rq.cpu, lm.cpu, true)) return req.Error("cpu request must not exceed the cpu limit");
  if (exceeds(rq.memory, lm.memory, false)) {
    return req.Error("memory request must not exceed the memory limit");
  }
  for (const std::optional<Quantity>* q : {&rq.cpu, &c.resources.limits.cpu}) {
    if (*q && !(*q)->MilliValue().ok()) return res.Error("cpu quantity out of range");
  }
  for (const std::optional<Quantity>* q : {&rq.memory, &c.resources.limits.memory}) {
    if (*q && !(*q)->Value().ok()) return res.Error("memory quantity out of range");
  }

  SEE_ASSIGN_OR_RETURN(Field sc, f.Child("securityContext"));
  SEE_RETURN_IF_ERROR(ParseContainerSecurityContext(sc, &c.security_context));

  SEE_ASSIGN_OR_RETURN(Field vm, f.Child("volumeMounts"));
  SEE_ASSIGN_OR_RETURN(std::vector<Field> mounts, vm.List());
  for (const Field& m : mounts) {
    VolumeMount v;
    SEE_RETURN_IF_ERROR(RefuseKeys(m, {
        {"subPathExpr", "subPathExpr is not supported"},
        {"recursiveReadOnly", "recursiveReadOnly is not supported"},
    }));
    SEE_ASSIGN_OR_RETURN(v.name, ChildStr(m, "name"));
    SEE_ASSIGN_OR_RETURN(v.mount_path, ChildStr(m, "mountPath"));
    SEE_ASSIGN_OR_RETURN(v.sub_path, ChildStr(m, "subPath"));
    SEE_ASSIGN_OR_RETURN(std::optional<bool> ro, ChildBool(m, "readOnly"));
    v.read_only = ro.value_or(false);
    SEE_ASSIGN_OR_RETURN(v.propagation, ChildStr(m, "mountPropagation"));
    if (v.name.empty()) return m.Error("name is required");
    if (v.mount_path.empty() || v.mount_path[0] != '/') {
      return m.Error("mountPath must be an absolute path");
    }
    if (!v.sub_path.empty()) {
      if (v.sub_path[0] == '/') return m.Error("subPath must be a relative path");
      size_t start = 0;
      while (start <= v.sub_path.size()) {
        size_t end = v.sub_path.find('/', start);
        if (end == std::string::npos) end = v.sub_path.size();
        if (v.sub_path.compare(start, end - start, "..") == 0) {
          return m.Error("subPath must not contain '..'");
        }
        start = end + 1;
      }
    }
    if (v.propagation == "Bidirectional") {
      return m.Error("mountPropagation Bidirectional needs a privileged container (refused)");
    }
    if (!v.propagation.empty() && v.propagation != "None" && v.propagation != "HostToContainer") {
      return m.Error("mountPropagation must be None, HostToContainer or Bidirectional");
    }
    c.volume_mounts.push_back(std::move(v));
  }

  SEE_ASSIGN_OR_RETURN(Field ports, f.Child("ports"));
  SEE_ASSIGN_OR_RETURN(std::vector<Field> port_list, ports.List());
  for (const Field& p : port_list) {
    ContainerPort cp;
    SEE_ASSIGN_OR_RETURN(std::optional<int64_t> cport, ChildInt(p, "containerPort"));
    SEE_ASSIGN_OR_RETURN(std::optional<int64_t> hport, ChildInt(p, "hostPort"));
    if (!cport || *cport < 1 || *cport > 65535) return p.Error("containerPort must be 1-65535");
    if (hport && (*hport < 0 || *hport > 65535)) return p.Error("hostPort must be 0-65535");
    cp.container_port = static_cast<int32_t>(*cport);
    cp.host_port = static_cast<int32_t>(hport.value_or(0));
    SEE_ASSIGN_OR_RETURN(std::string proto, ChildStr(p, "protocol"));
    if (!proto.empty()) cp.protocol = proto;
    if (cp.protocol != "TCP" && cp.protocol != "UDP" && cp.protocol != "SCTP") {
      return p.Error("protocol must be TCP, UDP or SCTP");
    }
    SEE_ASSIGN_OR_RETURN(cp.host_ip, ChildStr(p, "hostIP"));
    c.ports.push_back(std::move(cp));
  }

  SEE_ASSIGN_OR_RETURN(std::optional<bool> in, ChildBool(f, "stdin"));
  SEE_ASSIGN_OR_RETURN(std::optional<bool> once, ChildBool(f, "stdinOnce"));
  SEE_ASSIGN_OR_RETURN(std::optional<bool> tty, ChildBool(f, "tty"));
  c.stdin = in.value_or(false);
  c.stdin_once = once.value_or(false);
  c.tty = tty.value_or(false);

  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    SEE_ASSIGN_OR_RETURN(Field pf, f.Child(probe));
    if (pf.present()) notes->push_back(pf.path() + ": probes are not run by seectl");
  }
  return c;
}

Result<Volume> ParseVolume(const Field& f) {
  Volume v;
  SEE_ASSIGN_OR_RETURN(v.name, ChildStr(f, "name"));
  if (!IsDnsLabel(v.name)) return f.Error("name \"" + v.name + "\" must be a DNS label");
  SEE_ASSIGN_OR_RETURN(std::vector<std::string> keys, f.Keys());
  int sources = 0;
  for (const std::string& k : keys) {
    if (k == "name") continue;
    SEE_ASSIGN_OR_RETURN(Field src, f.Child(k));
    if (k == "emptyDir") {
      ++sources;
      v.kind = Volume::Kind::kEmptyDir;
      if (src.present() && !src.node().IsMap()) return src.Error("must be a mapping");
      SEE_ASSIGN_OR_RETURN(v.medium, ChildStr(src, "medium"));
      if (!v.medium.empty() && v.medium != "Memory") {
        return src.Error("medium must be \"\" or Memory (HugePages is not supported)");
      }
      SEE_ASSIGN_OR_RETURN(Field sl, src.Child("sizeLimit"));
      SEE_ASSIGN_OR_RETURN(v.size_limit, ParseQuantityField(sl));
      if (v.size_limit && !v.size_limit->Value().ok()) return sl.Error("out of range");
    } else if (k == "hostPath") {
      ++sources;
      v.kind = Volume::Kind::kHostPath;
      SEE_ASSIGN_OR_RETURN(v.host_path, ChildStr(src, "path"));
      SEE_ASSIGN_OR_RETURN(v.host_path_type, ChildStr(src, "type"));
      if (v.host_path.empty() || v.host_path[0] != '/') {
        return src.Error("path must be an absolute path");
      }
      static const std::set<std::string> kTypes = {
          "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File",
          "Socket", "CharDevice", "BlockDevice"};
      if (!kTypes.count(v.host_path_type)) return src.Error("unknown hostPath type \"" +
                                                              v.host_path_type + "\"");
    } else {
      return src.Error("volume type " + k +
                       " is not supported (seectl supports emptyDir and hostPath)");
    }
  }
  if (sources != 1) return f.Error("exactly one volume source (emptyDir or hostPath) is required");
  return v;
}

Status ParsePodSecurityContext(const Field& f, PodSecurityContext* sc) {
  if (!f.present()) return Status::Ok();
  SEE_RETURN_IF_ERROR(RefuseKeys(f, {
      {"windowsOptions", "Windows options are not supported"},
      {"seLinuxOptions", "SELinux options are not supported"},
      {"appArmorProfile", "AppArmor profiles are not supported"},
      {"fsGroupChangePolicy", "fsGroupChangePolicy is not supported"},
      {"supplementalGroupsPolicy", "supplementalGroupsPolicy is not supported"},
  }));
  SEE_ASSIGN_OR_RETURN(sc->run_as_user, ChildInt(f, "runAsUser"));
  SEE_ASSIGN_OR_RETURN(sc->run_as_group, ChildInt(f, "runAsGroup"));
  SEE_ASSIGN_OR_RETURN(sc->run_as_non_root, ChildBool(f, "runAsNonRoot"));
  SEE_ASSIGN_OR_RETURN(sc->fs_group, ChildInt(f, "fsGroup"));
  for (auto* id : {&sc->run_as_user, &sc->run_as_group, &sc->fs_group}) {
    if (id->has_value() && (**id < 0 || **id > 2147483647)) {
      return f.Error("runAsUser/runAsGroup/fsGroup must be between 0 and 2147483647");
    }
  }
  SEE_ASSIGN_OR_RETURN(Field sg, f.Child("supplementalGroups"));
  SEE_ASSIGN_OR_RETURN(std::vector<Field> groups, sg.List());
  for (const Field& g : groups) {
    SEE_ASSIGN_OR_RETURN(std::optional<int64_t> v, g.Int());
    if (!v || *v < 0 || *v > 2147483647) return g.Error("must be a group id 0-2147483647");
    sc->supplemental_groups.push_back(*v);
  }
  SEE_ASSIGN_OR_RETURN(Field sys, f.Child("sysctls"));
  SEE_ASSIGN_OR_RETURN(std::vector<Field> sysctls, sys.List());
  for (const Field& s : sysctls) {
    SEE_ASSIGN_OR_RETURN(std::string name, ChildStr(s, "name"));
    SEE_ASSIGN_OR_RETURN(std::string value, ChildStr(s, "value"));
    if (name.empty()) return s.Error("name is required");
    sc->sysctls[name] = value;
  }
  SEE_ASSIGN_OR_RETURN(sc->seccomp, ParseSeccomp(f));
  return Status::Ok();
}

Status ParsePodSpec(const Field& f, PodSpec* spec, std::vector<std::string>* notes) {
  if (!f.present() || !f.node().IsMap()) return f.Error("must be a mapping");
  SEE_RETURN_IF_ERROR(RefuseKeys(f, {
      {"ephemeralContainers", "ephemeral containers are not supported"},
      {"hostUsers", "hostUsers (user namespaces) is not supported"},
      {"os", "os is not supported"},
      {"overhead", "overhead is not supported"},
      {"readinessGates", "readinessGates are not supported"},
      {"resourceClaims", "resourceClaims are not supported"},
      {"schedulingGates", "schedulingGates are not supported"},
      {"resources", "pod-level resources are not supported"},
  }));
  SEE_ASSIGN_OR_RETURN(Field init, f.Child("initContainers"));
  SEE_ASSIGN_OR_RETURN(std::vector<Field> inits, init.List());
  for (const Field& c : inits) {
    SEE_ASSIGN_OR_RETURN(Container ctr, ParseContainer(c, notes));
    spec->init_containers.push_back(std::move(ctr));
  }
  SEE_ASSIGN_OR_RETURN(Field ctrs, f.Child("containers"));
  SEE_ASSIGN_OR_RETURN(std::vector<Field> list, ctrs.List());
  if (list.empty()) return ctrs.Error("at least one container is required");
  for (const Field& c : list) {
    SEE_ASSIGN_OR_RETURN(Container ctr, ParseContainer(c, notes));
    spec->containers.push_back(std::move(ctr));
  }
  std::set<std::string> names;
  for (const auto* group : {&spec->init_containers, &spec->containers}) {
    for (const Container& c : *group) {
      if (!names.insert(c.name).second) {
        return f.Error("container name \"" + c.name + "\" is used twice");
      }
    }
  }

  SEE_ASSIGN_OR_RETURN(Field vols, f.Child("volumes"));
  SEE_ASSIGN_OR_RETURN(std::vector<Field> vol_list, vols.List());
  std::set<std::string> vol_names;
  for (const Field& v : vol_list) {
    SEE_ASSIGN_OR_RETURN(Volume vol, ParseVolume(v));
    if (!vol_names.insert(vol.name).second) {
      return v.Error("volume name \"" + vol.name + "\" is used twice");
    }
    spec->volumes.push_back(std::move(vol));
  }
  for (const auto* group : {&spec->init_containers, &spec->containers}) {
    for (const Container& c : *group) {
      for (const VolumeMount& m : c.volume_mounts) {
        if (!vol_names.count(m.name)) {
          return f.Error("container \"" + c.name + "\" mounts volume \"" + m.name +
                         "\", which is not in spec.volumes");
        }
      }
    }
  }

  SEE_ASSIGN_OR_RETURN(std::string rp, ChildStr(f, "restartPolicy"));
  if (!rp.empty()) spec->restart_policy = rp;
  if (spec->restart_policy != "Always" && spec->restart_policy != "OnFailure" &&
      spec->restart_policy != "Never") {
    SEE_ASSIGN_OR_RETURN(Field r, f.Child("restartPolicy"));
    return r.Error("must be Always, OnFailure or Never");
  }
  SEE_ASSIGN_OR_RETURN(std::optional<int64_t> grace, ChildInt(f, "terminationGracePeriodSeconds"));
  if (grace) {
    if (*grace < 0) return f.Error("terminationGracePeriodSeconds must not be negative");
    spec->termination_grace_period_seconds = *grace;
  }
  SEE_ASSIGN_OR_RETURN(spec->runtime_class_name, ChildStr(f, "runtimeClassName"));
  SEE_ASSIGN_OR_RETURN(std::optional<bool> hn, ChildBool(f, "hostNetwork"));
  SEE_ASSIGN_OR_RETURN(std::optional<bool> hp, ChildBool(f, "hostPID"));
  SEE_ASSIGN_OR_RETURN(std::optional<bool> hi, ChildBool(f, "hostIPC"));
  SEE_ASSIGN_OR_RETURN(std::optional<bool> sp, ChildBool(f, "shareProcessNamespace"));
  spec->host_network = hn.value_or(false);
  spec->host_pid = hp.value_or(false);
  spec->host_ipc = hi.value_or(false);
  spec->share_process_namespace = sp.value_or(false);
  if (spec->host_pid && spec->share_process_namespace) {
    return f.Error("hostPID and shareProcessNamespace cannot both be set");
  }
  SEE_ASSIGN_OR_RETURN(spec->hostname, ChildStr(f, "hostname"));
  if (!spec->hostname.empty() && !IsDnsLabel(spec->hostname)) {
    return f.Error("hostname must be a DNS label");
  }
  SEE_ASSIGN_OR_RETURN(std::string dp, ChildStr(f, "dnsPolicy"));
  if (!dp.empty()) spec->dns_policy = dp;
  if (spec->dns_policy != "ClusterFirst" && spec->dns_policy != "ClusterFirstWithHostNet" &&
      spec->dns_policy != "Default" && spec->dns_policy != "None") {
    SEE_ASSIGN_OR_RETURN(Field d, f.Child("dnsPolicy"));
    return d.Error("must be ClusterFirst, ClusterFirstWithHostNet, Default or None");
  }
  SEE_ASSIGN_OR_RETURN(Field dc, f.Child("dnsConfig"));
  if (dc.present()) {
    PodDnsConfig d;
    SEE_ASSIGN_OR_RETURN(Field ns, dc.Child("nameservers"));
    SEE_ASSIGN_OR_RETURN(d.nameservers, ns.StrList());
    SEE_ASSIGN_OR_RETURN(Field se, dc.Child("searches"));
    SEE_ASSIGN_OR_RETURN(d.searches, se.StrList());
    SEE_ASSIGN_OR_RETURN(Field op, dc.Child("options"));
    SEE_ASSIGN_OR_RETURN(std::vector<Field> opts, op.List());
    for (const Field& o : opts) {
      SEE_ASSIGN_OR_RETURN(std::string name, ChildStr(o, "name"));
      SEE_ASSIGN_OR_RETURN(std::string value, ChildStr(o, "value"));
      if (name.empty()) return o.Error("name is required");
      d.options.push_back(value.empty() ? name : name + ":" + value);
    }
    spec->dns_config = std::move(d);
  }
  if (spec->dns_policy == "None" && (!spec->dns_config || spec->dns_config->nameservers.empty())) {
    return f.Error("dnsPolicy None needs dnsConfig.nameservers");
  }
  SEE_ASSIGN_OR_RETURN(Field psc, f.Child("securityContext"));
  SEE_RETURN_IF_ERROR(ParsePodSecurityContext(psc, &spec->security_context));

  for (const char* ignored : {"nodeSelector", "affinity", "tolerations", "nodeName",
                              "priorityClassName", "topologySpreadConstraints"}) {
    SEE_ASSIGN_OR_RETURN(Field x, f.Child(ignored));
    if (x.present()) notes->push_back(x.path() + ": ignored (seectl runs on this node)");
  }
  return Status::Ok();
}

// FNV-1a: a stable digest of the document (std::hash is not specified to be stable).
std::string Digest(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Parses metadata (name, namespace, labels, annotations) into `pod`.
Status ParseMetadata(const Field& meta, Pod* pod) {
  if (!meta.present()) return meta.Error("is required");
  SEE_ASSIGN_OR_RETURN(pod->name, ChildStr(meta, "name"));
  SEE_ASSIGN_OR_RETURN(std::string generate, ChildStr(meta, "generateName"));
  if (pod->name.empty()) {
    return meta.Error(generate.empty() ? "name is required"
                                       : "name is required (generateName is not supported)");
  }
  if (!IsDnsSubdomain(pod->name)) {
    return meta.Error("name \"" + pod->name + "\" must be a DNS subdomain (lowercase a-z, 0-9, "
                      "'-', '.')");
  }
  SEE_ASSIGN_OR_RETURN(pod->namespace_, ChildStr(meta, "namespace"));
  if (!pod->namespace_.empty() && !IsDnsLabel(pod->namespace_)) {
    return meta.Error("namespace \"" + pod->namespace_ + "\" must be a DNS label");
  }
  SEE_ASSIGN_OR_RETURN(Field labels, meta.Child("labels"));
  SEE_ASSIGN_OR_RETURN(pod->labels, labels.StrMap());
  SEE_ASSIGN_OR_RETURN(Field ann, meta.Child("annotations"));
  SEE_ASSIGN_OR_RETURN(pod->annotations, ann.StrMap());
  return Status::Ok();
}

// Merges template metadata labels/annotations under an owner's pod (owner name kept as pod name
// prefix).
Status ParseTemplate(const Field& spec, Pod* pod, std::vector<std::string>* notes) {
  SEE_ASSIGN_OR_RETURN(Field tmpl, spec.Child("template"));
  if (!tmpl.present()) return tmpl.Error("is required");
  SEE_ASSIGN_OR_RETURN(Field tmeta, tmpl.Child("metadata"));
  SEE_ASSIGN_OR_RETURN(Field labels, tmeta.Child("labels"));
  SEE_ASSIGN_OR_RETURN(pod->labels, labels.StrMap());
  SEE_ASSIGN_OR_RETURN(Field ann, tmeta.Child("annotations"));
  SEE_ASSIGN_OR_RETURN(pod->annotations, ann.StrMap());
  SEE_ASSIGN_OR_RETURN(Field pspec, tmpl.Child("spec"));
  return ParsePodSpec(pspec, &pod->spec, notes);
}

Status ParseDocument(const Field& doc, Manifests* out) {
  if (!doc.node().IsMap()) return doc.Error("a document must be a mapping (a Kubernetes object)");
  SEE_ASSIGN_OR_RETURN(std::string kind, ChildStr(doc, "kind"));
  SEE_ASSIGN_OR_RETURN(std::string api, ChildStr(doc, "apiVersion"));
  SEE_ASSIGN_OR_RETURN(Field meta, doc.Child("metadata"));
  SEE_ASSIGN_OR_RETURN(Field spec, doc.Child("spec"));
  auto need_api = [&](std::initializer_list<std::string_view> ok) -> Status {
    for (std::string_view a : ok) {
      if (api == a) return Status::Ok();
    }
    return InvalidArgument("apiVersion: \"" + api + "\" is not an apiVersion of kind " + kind +
                           " (want " + std::string(*ok.begin()) + ")");
  };
  if (kind == "RuntimeClass") {
    SEE_RETURN_IF_ERROR(need_api({"node.k8s.io/v1", "node.k8s.io/v1beta1"}));
    SEE_ASSIGN_OR_RETURN(std::string name, ChildStr(meta, "name"));
    SEE_ASSIGN_OR_RETURN(std::string handler, ChildStr(doc, "handler"));
    if (name.empty()) return meta.Error("name is required");
    if (!IsDnsLabel(handler)) return doc.Error("handler must be a DNS label");
    out->runtime_classes[name] = handler;
    return Status::Ok();
  }
  Pod pod;
  pod.spec_hash = Digest(YAML::Dump(doc.node()));
  if (kind == "Pod") {
    SEE_RETURN_IF_ERROR(need_api({"v1"}));
    SEE_RETURN_IF_ERROR(ParseMetadata(meta, &pod));
    SEE_RETURN_IF_ERROR(ParsePodSpec(spec, &pod.spec, &out->notes));
  } else if (kind == "Deployment" || kind == "Job") {
    SEE_RETURN_IF_ERROR(need_api({kind == "Job" ? "batch/v1" : "apps/v1"}));
    Pod owner;
    SEE_RETURN_IF_ERROR(ParseMetadata(meta, &owner));
    if (!spec.present()) return spec.Error("is required");
    SEE_RETURN_IF_ERROR(ParseTemplate(spec, &pod, &out->notes));
    pod.owner_kind = kind;
    pod.owner_name = owner.name;
    pod.namespace_ = owner.namespace_;
    // One pod, named as a controller would name its first one but without randomness, so that
    // `apply` is repeatable and `delete -f` finds it again.
    pod.name = owner.name.size() > 240 ? owner.name.substr(0, 240) : owner.name;
    pod.name += "-0";
    if (kind == "Deployment") {
      SEE_ASSIGN_OR_RETURN(std::optional<int64_t> replicas, ChildInt(spec, "replicas"));
      if (replicas && *replicas != 1) {
        out->notes.push_back("Deployment " + owner.name + ": replicas " +
                             std::to_string(*replicas) + " ignored; seectl runs one pod");
      }
      if (pod.spec.restart_policy != "Always") {
        return InvalidArgument("spec.template.spec.restartPolicy: a Deployment needs Always");
      }
    } else {
      SEE_ASSIGN_OR_RETURN(Field tspec, spec.Child("template"));
      SEE_ASSIGN_OR_RETURN(Field pspec, tspec.Child("spec"));
      SEE_ASSIGN_OR_RETURN(Field rpf, pspec.Child("restartPolicy"));
      if (!rpf.present()) return rpf.Error("is required for a Job (Never or OnFailure)");
      if (pod.spec.restart_policy == "Always") {
        return rpf.Error("a Job needs Never or OnFailure");
      }
      for (const char* k : {"completions", "parallelism"}) {
        SEE_ASSIGN_OR_RETURN(std::optional<int64_t> n, ChildInt(spec, k));
        if (n && *n != 1) {
          SEE_ASSIGN_OR_RETURN(Field x, spec.Child(k));
          return x.Error("only 1 is supported");
        }
      }
      pod.labels["job-name"] = owner.name;
      pod.labels["batch.kubernetes.io/job-name"] = owner.name;
    }
  } else if (kind == "Service" || kind == "Namespace" || kind == "ServiceAccount" ||
             kind == "ConfigMap" || kind == "Secret" || kind == "NetworkPolicy" ||
             kind == "PodDisruptionBudget" || kind == "HorizontalPodAutoscaler" ||
             kind == "Ingress") {
    // Objects that run nothing on a node: skipped, so a Deployment + Service file still applies.
    // A pod that *uses* one (configMap volume, envFrom, ...) is refused where it does.
    SEE_ASSIGN_OR_RETURN(std::string name, ChildStr(meta, "name"));
    out->notes.push_back(kind + " " + name + ": skipped (seectl runs pods only; no API server)");
    return Status::Ok();
  } else if (kind.empty()) {
    return doc.Error("kind is required");
  } else {
    return InvalidArgument("kind " + kind +
                           " is not supported (seectl runs Pod, Deployment, Job, RuntimeClass)");
  }
  out->pods.push_back(std::move(pod));
  return Status::Ok();
}

}  // namespace

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!IsDnsLabel(part)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// One YAML document of the input: its text and the line it starts on.
struct DocumentText {
  std::string text;
  int first_line = 0;
};

bool IsDocumentMarker(std::string_view line, std::string_view marker) {
  return line.substr(0, 3) == marker &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r' ||
          line[3] == '\n');
}

// Splits at "---" / "..." lines. YAML forbids these markers at the start of a line inside any
// document content (c-forbidden), so this is exact. Each document is then parsed on its own with
// YAML::Load: yaml-cpp 0.7's LoadAll loops forever on some inputs (a stray ',' at the top
// level: the parser returns an empty document without consuming it), Load does not.
std::vector<DocumentText> SplitDocuments(std::string_view in) {
  std::vector<DocumentText> docs(1);
  int line_no = 0;
  size_t pos = 0;
  while (pos < in.size()) {
    size_t nl = in.find('\n', pos);
    size_t end = nl == std::string_view::npos ? in.size() : nl + 1;
    std::string_view line = in.substr(pos, end - pos);
    ++line_no;
    if (IsDocumentMarker(line, "---")) {
      docs.push_back({"", line_no});
      // "--- value": the document's content may start on the marker line.
      docs.back().text = std::string(3, ' ') + std::string(line.substr(3));
    } else if (IsDocumentMarker(line, "...")) {
      docs.push_back({"", line_no + 1});
    } else {
      if (docs.back().text.empty()) docs.back().first_line = line_no;
      docs.back().text.append(line);
    }
    pos = end;
  }
  return docs;
}

// True when `text` holds nothing but blank lines, comments and directives: an empty document.
bool HasNoContent(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#' && line[first] != '%') {
      std::string_view rest = line.substr(first);
      size_t last = rest.find_last_not_of(" \t\r");
      rest = rest.substr(0, last + 1);
      if (rest != "null" && rest != "~" && rest != "Null" && rest != "NULL") return false;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return true;
}

Result<Manifests> ParseManifests(std::string_view yaml) {
  if (yaml.size() > kMaxManifestBytes) {
    return InvalidArgument("manifest larger than " + std::to_string(kMaxManifestBytes) + " bytes");
  }
  Manifests out;
  std::vector<YAML::Node> docs;
  for (const DocumentText& d : SplitDocuments(yaml)) {
    YAML::Node node;
    try {
      node = YAML::Load(d.text);
    } catch (const YAML::Exception& e) {
      return InvalidArgument("invalid YAML at line " + std::to_string(d.first_line + e.mark.line) +
                             ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
    } catch (const std::exception& e) {
      return InvalidArgument(std::string("invalid YAML: ") + e.what());
    }
    if ((!node.IsDefined() || node.IsNull()) && !HasNoContent(d.text)) {
      // Load stopped before the content (e.g. a stray ',' or ']').
      return InvalidArgument("invalid YAML in the document starting at line " +
                             std::to_string(d.first_line));
    }
    docs.push_back(node);
  }
  size_t index = 0;
  for (const YAML::Node& node : docs) {
    ++index;
    if (!node.IsDefined() || node.IsNull()) continue;  // empty document ("---" at the start)
    Status st;
    std::string what = "document " + std::to_string(index);
    try {
      Field doc(node, "");
      if (node.IsMap()) {
        std::string kind = node["kind"] && node["kind"].IsScalar() ? node["kind"].Scalar() : "";
        std::string name;
        if (node["metadata"] && node["metadata"].IsMap() && node["metadata"]["name"] &&
            node["metadata"]["name"].IsScalar()) {
          name = node["metadata"]["name"].Scalar();
        }
        if (!kind.empty()) what += " (" + kind + (name.empty() ? "" : " " + name) + ")";
      }
      st = ParseDocument(doc, &out);
    } catch (const YAML::Exception& e) {
      st = InvalidArgument("invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " +
                           e.msg);
    } catch (const std::exception& e) {
      st = InvalidArgument(e.what());
    }
    if (!st.ok()) return st.Wrap(what);
  }
  if (out.pods.empty()) return InvalidArgument("no Pod, Deployment or Job in the manifest");
  // A namespace/name may appear once.
  std::set<std::pair<std::string, std::string>> seen;
  for (const Pod& p : out.pods) {
    if (!seen.insert({p.namespace_, p.name}).second) {
      return InvalidArgument("pod " + p.name + " is defined twice");
    }
  }
  return out;
}

}  // namespace see::seectl
