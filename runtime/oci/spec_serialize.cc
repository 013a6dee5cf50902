// SpecToJson: the inverse of ParseSpec. Members are written in the spec's order and, like Go's
// `omitempty`, empty optional members are left out, so ParseSpec(SpecToJson(s)) == s.
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/oci/names.h"
#include "runtime/oci/spec.h"

namespace see::oci {
namespace {

using OJson = nlohmann::ordered_json;

template <typename T>
void PutOpt(OJson& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

void PutString(OJson& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

template <typename T>
void PutList(OJson& j, const char* key, const std::vector<T>& v) {
  if (!v.empty()) j[key] = v;
}

OJson IdMappingsJson(const std::vector<IdMapping>& maps) {
  OJson a = OJson::array();
  for (const IdMapping& m : maps) {
    a.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
  }
  return a;
}

OJson UserJson(const User& u) {
  OJson j = {{"uid", u.uid}, {"gid", u.gid}};
  PutOpt(j, "umask", u.umask);
  PutList(j, "additionalGids", u.additional_gids);
  PutString(j, "username", u.username);
  return j;
}

OJson ProcessJson(const Process& p) {
  OJson j;
  if (p.terminal) j["terminal"] = true;
  if (p.console_size) {
    j["consoleSize"] = {{"height", p.console_size->height}, {"width", p.console_size->width}};
  }
  j["user"] = UserJson(p.user);
  j["args"] = p.args;
  PutList(j, "env", p.env);
  j["cwd"] = p.cwd;
  if (p.capabilities) {
    OJson c = OJson::object();
    PutList(c, "bounding", p.capabilities->bounding);
    PutList(c, "effective", p.capabilities->effective);
    PutList(c, "inheritable", p.capabilities->inheritable);
    PutList(c, "permitted", p.capabilities->permitted);
    PutList(c, "ambient", p.capabilities->ambient);
    j["capabilities"] = std::move(c);
  }
  if (!p.rlimits.empty()) {
    OJson a = OJson::array();
    for (const Rlimit& r : p.rlimits) {
      a.push_back({{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
    }
    j["rlimits"] = std::move(a);
  }
  if (p.no_new_privileges) j["noNewPrivileges"] = true;
  PutString(j, "apparmorProfile", p.apparmor_profile);
  PutOpt(j, "oomScoreAdj", p.oom_score_adj);
  PutString(j, "selinuxLabel", p.selinux_label);
  if (p.io_priority) {
    j["ioPriority"] = {{"class", p.io_priority->io_class}, {"priority", p.io_priority->priority}};
  }
  if (p.scheduler) {
    const Scheduler& sc = *p.scheduler;
    OJson o = {{"policy", sc.policy}};
    PutOpt(o, "nice", sc.nice);
    PutOpt(o, "priority", sc.priority);
    PutList(o, "flags", sc.flags);
    PutOpt(o, "runtime", sc.runtime);
    PutOpt(o, "deadline", sc.deadline);
    PutOpt(o, "period", sc.period);
    j["scheduler"] = std::move(o);
  }
  return j;
}

OJson MountJson(const Mount& m) {
  OJson j = {{"destination", m.destination}};
  PutString(j, "type", m.type);
  PutString(j, "source", m.source);
  PutList(j, "options", m.options);
  if (!m.uid_mappings.empty()) j["uidMappings"] = IdMappingsJson(m.uid_mappings);
  if (!m.gid_mappings.empty()) j["gidMappings"] = IdMappingsJson(m.gid_mappings);
  return j;
}

void PutHooks(OJson& j, const char* key, const std::vector<Hook>& hooks) {
  if (hooks.empty()) return;
  OJson a = OJson::array();
  for (const Hook& h : hooks) {
    OJson o = {{"path", h.path}};
    PutList(o, "args", h.args);
    PutList(o, "env", h.env);
    PutOpt(o, "timeout", h.timeout);
    a.push_back(std::move(o));
  }
  j[key] = std::move(a);
}

OJson HooksJson(const Hooks& h) {
  OJson j = OJson::object();
  PutHooks(j, "prestart", h.prestart);
  PutHooks(j, "createRuntime", h.create_runtime);
  PutHooks(j, "createContainer", h.create_container);
  PutHooks(j, "startContainer", h.start_container);
  PutHooks(j, "poststart", h.poststart);
  PutHooks(j, "poststop", h.poststop);
  return j;
}

void PutThrottle(OJson& j, const char* key, const std::vector<ThrottleDevice>& v) {
  if (v.empty()) return;
  OJson a = OJson::array();
  for (const ThrottleDevice& d : v) {
    a.push_back({{"major", d.major}, {"minor", d.minor}, {"rate", d.rate}});
  }
  j[key] = std::move(a);
}

OJson ResourcesJson(const Resources& r) {
  OJson j = OJson::object();
  if (!r.devices.empty()) {
    OJson a = OJson::array();
    for (const DeviceCgroupRule& d : r.devices) {
      OJson o = {{"allow", d.allow}};
      if (d.type != "a") o["type"] = d.type;
      PutOpt(o, "major", d.major);
      PutOpt(o, "minor", d.minor);
      PutString(o, "access", d.access);
      a.push_back(std::move(o));
    }
    j["devices"] = std::move(a);
  }
  if (r.memory) {
    const MemoryResources& m = *r.memory;
    OJson o = OJson::object();
    PutOpt(o, "limit", m.limit);
    PutOpt(o, "reservation", m.reservation);
    PutOpt(o, "swap", m.swap);
    PutOpt(o, "kernel", m.kernel);
    PutOpt(o, "kernelTCP", m.kernel_tcp);
    PutOpt(o, "swappiness", m.swappiness);
    PutOpt(o, "disableOOMKiller", m.disable_oom_killer);
    PutOpt(o, "useHierarchy", m.use_hierarchy);
    PutOpt(o, "checkBeforeUpdate", m.check_before_update);
    j["memory"] = std::move(o);
  }
  if (r.cpu) {
    const CpuResources& c = *r.cpu;
    OJson o = OJson::object();
    PutOpt(o, "shares", c.shares);
    PutOpt(o, "quota", c.quota);
    PutOpt(o, "period", c.period);
    PutOpt(o, "realtimeRuntime", c.realtime_runtime);
    PutOpt(o, "realtimePeriod", c.realtime_period);
    PutString(o, "cpus", c.cpus);
    PutString(o, "mems", c.mems);
    PutOpt(o, "idle", c.idle);
    j["cpu"] = std::move(o);
  }
  if (r.pids) j["pids"] = {{"limit", r.pids->limit}};
  if (r.block_io) {
    const BlockIoResources& b = *r.block_io;
    OJson o = OJson::object();
    PutOpt(o, "weight", b.weight);
    PutOpt(o, "leafWeight", b.leaf_weight);
    if (!b.weight_device.empty()) {
      OJson a = OJson::array();
      for (const WeightDevice& d : b.weight_device) {
        OJson w = {{"major", d.major}, {"minor", d.minor}};
        PutOpt(w, "weight", d.weight);
        PutOpt(w, "leafWeight", d.leaf_weight);
        a.push_back(std::move(w));
      }
      o["weightDevice"] = std::move(a);
    }
    PutThrottle(o, "throttleReadBpsDevice", b.throttle_read_bps_device);
    PutThrottle(o, "throttleWriteBpsDevice", b.throttle_write_bps_device);
    PutThrottle(o, "throttleReadIOPSDevice", b.throttle_read_iops_device);
    PutThrottle(o, "throttleWriteIOPSDevice", b.throttle_write_iops_device);
    j["blockIO"] = std::move(o);
  }
  if (!r.hugepage_limits.empty()) {
    OJson a = OJson::array();
    for (const HugepageLimit& h : r.hugepage_limits) {
      a.push_back({{"pageSize", h.page_size}, {"limit", h.limit}});
    }
    j["hugepageLimits"] = std::move(a);
  }
  if (r.network) {
    OJson o = OJson::object();
    PutOpt(o, "classID", r.network->class_id);
    if (!r.network->priorities.empty()) {
      OJson a = OJson::array();
      for (const auto& [name, prio] : r.network->priorities) {
        a.push_back({{"name", name}, {"priority", prio}});
      }
      o["priorities"] = std::move(a);
    }
    j["network"] = std::move(o);
  }
  if (!r.unified.empty()) j["unified"] = r.unified;
  return j;
}

OJson SeccompJson(const Seccomp& s) {
  using internal::NameOf;
  OJson j = {
      {"defaultAction", std::string(NameOf(internal::SeccompActionNames(), s.default_action))}};
  PutOpt(j, "defaultErrnoRet", s.default_errno_ret);
  PutList(j, "architectures", s.architectures);
  PutList(j, "flags", s.flags);
  PutString(j, "listenerPath", s.listener_path);
  PutString(j, "listenerMetadata", s.listener_metadata);
  if (!s.syscalls.empty()) {
    OJson a = OJson::array();
    for (const SeccompSyscall& sc : s.syscalls) {
      OJson o = {{"names", sc.names},
                 {"action", std::string(NameOf(internal::SeccompActionNames(), sc.action))}};
      PutOpt(o, "errnoRet", sc.errno_ret);
      if (!sc.args.empty()) {
        OJson args = OJson::array();
        for (const SeccompArg& arg : sc.args) {
          OJson ao = {{"index", arg.index}, {"value", arg.value}};
          if (arg.value_two != 0) ao["valueTwo"] = arg.value_two;
          ao["op"] = std::string(NameOf(internal::SeccompOpNames(), arg.op));
          args.push_back(std::move(ao));
        }
        o["args"] = std::move(args);
      }
      a.push_back(std::move(o));
    }
    j["syscalls"] = std::move(a);
  }
  return j;
}

OJson LinuxJson(const Linux& l) {
  OJson j = OJson::object();
  if (!l.uid_mappings.empty()) j["uidMappings"] = IdMappingsJson(l.uid_mappings);
  if (!l.gid_mappings.empty()) j["gidMappings"] = IdMappingsJson(l.gid_mappings);
  PutOpt(j, "sysctl", l.sysctl.empty() ? std::nullopt : std::optional(l.sysctl));
  if (l.resources) j["resources"] = ResourcesJson(*l.resources);
  PutString(j, "cgroupsPath", l.cgroups_path);
  if (!l.namespaces.empty()) {
    OJson a = OJson::array();
    for (const Namespace& ns : l.namespaces) {
      OJson o = {{"type", NamespaceTypeName(ns.type)}};
      PutString(o, "path", ns.path);
      a.push_back(std::move(o));
    }
    j["namespaces"] = std::move(a);
  }
  if (!l.devices.empty()) {
    OJson a = OJson::array();
    for (const Device& d : l.devices) {
      OJson o = {{"path", d.path}, {"type", std::string(1, d.type)}};
      if (d.type != 'p' || d.major != 0 || d.minor != 0) {
        o["major"] = d.major;
        o["minor"] = d.minor;
      }
      PutOpt(o, "fileMode", d.file_mode);
      PutOpt(o, "uid", d.uid);
      PutOpt(o, "gid", d.gid);
      a.push_back(std::move(o));
    }
    j["devices"] = std::move(a);
  }
  if (l.seccomp) j["seccomp"] = SeccompJson(*l.seccomp);
  if (l.rootfs_propagation != Propagation::kUnset) {
    j["rootfsPropagation"] =
        std::string(internal::NameOf(internal::PropagationNames(), l.rootfs_propagation));
  }
  PutList(j, "maskedPaths", l.masked_paths);
  PutList(j, "readonlyPaths", l.readonly_paths);
  PutString(j, "mountLabel", l.mount_label);
  if (!l.time_offsets.empty()) {
    OJson o = OJson::object();
    for (const auto& [clock, off] : l.time_offsets) {
      o[clock] = {{"secs", off.secs}, {"nanosecs", off.nanosecs}};
    }
    j["timeOffsets"] = std::move(o);
  }
  if (l.personality) {
    OJson o = {{"domain", l.personality->domain}};
    PutList(o, "flags", l.personality->flags);
    j["personality"] = std::move(o);
  }
  if (!l.intel_rdt_clos_id.empty() || !l.intel_rdt_l3_cache_schema.empty() ||
      !l.intel_rdt_mem_bw_schema.empty()) {
    OJson o = OJson::object();
    PutString(o, "closID", l.intel_rdt_clos_id);
    PutString(o, "l3CacheSchema", l.intel_rdt_l3_cache_schema);
    PutString(o, "memBwSchema", l.intel_rdt_mem_bw_schema);
    j["intelRdt"] = std::move(o);
  }
  return j;
}

}  // namespace

std::string SpecToJson(const Spec& spec) {
  OJson j = {{"ociVersion", spec.oci_version}};
  if (spec.process) j["process"] = ProcessJson(*spec.process);
  if (spec.root) {
    OJson r = {{"path", spec.root->path}};
    if (spec.root->readonly) r["readonly"] = true;
    j["root"] = std::move(r);
  }
  PutString(j, "hostname", spec.hostname);
  PutString(j, "domainname", spec.domainname);
  if (!spec.mounts.empty()) {
    OJson a = OJson::array();
    for (const Mount& m : spec.mounts) a.push_back(MountJson(m));
    j["mounts"] = std::move(a);
  }
  if (spec.hooks) j["hooks"] = HooksJson(*spec.hooks);
  if (!spec.annotations.empty()) j["annotations"] = spec.annotations;
  if (spec.linux) j["linux"] = LinuxJson(*spec.linux);
  // replace: strings built in code (not parsed) may hold bytes that are not UTF-8.
  return j.dump(2, ' ', false, OJson::error_handler_t::replace) + "\n";
}

}  // namespace see::oci
