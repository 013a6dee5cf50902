// ParseSpec / ParseProcess / ParseResources: JSON -> Spec with validation. One function per spec
// object; each reads its members with the path-aware helpers of json_reader.h, so every error
// names the field it is about.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_util.h"
#include "runtime/oci/json_reader.h"
#include "runtime/oci/names.h"
#include "runtime/oci/spec.h"

namespace see::oci {
namespace {

using internal::Node;
using internal::Quote;
using internal::Read;
using internal::ReadArray;
using internal::ReadObject;
using internal::ReadRequired;

constexpr size_t kHostNameMax = 64;  // HOST_NAME_MAX: sethostname(2) refuses longer names.

bool IsAbsolute(std::string_view p) { return !p.empty() && p[0] == '/'; }

Status RequireAbsolute(const Node& obj, std::string_view key, const std::string& value) {
  if (IsAbsolute(value)) return Status::Ok();
  return InvalidArgument(obj.ChildPath(key) + ": must be an absolute path, got " + Quote(value));
}

// Reads a member that must be an absolute path if present (and, if `required`, present).
Status ReadAbsolutePath(const Node& obj, std::string_view key, std::string* out, bool required) {
  if (required) {
    SEE_RETURN_IF_ERROR(ReadRequired(obj, key, out));
  } else {
    SEE_RETURN_IF_ERROR(Read(obj, key, out));
    if (out->empty()) return Status::Ok();
  }
  return RequireAbsolute(obj, key, *out);
}

// A string array whose entries are absolute paths (maskedPaths, readonlyPaths).
Status ReadPathList(const Node& obj, std::string_view key, std::vector<std::string>* out) {
  return ReadArray(obj, key, out, [](const Node& n, std::string* s) -> Status {
    SEE_ASSIGN_OR_RETURN(*s, n.AsString());
    if (!IsAbsolute(*s)) return n.Error("must be an absolute path, got " + Quote(*s));
    return Status::Ok();
  });
}

// "KEY=VALUE" entries (process.env, hooks[].env): execve takes anything, but a runtime that
// merges environments must be able to find the key.
Status ReadEnv(const Node& obj, std::string_view key, std::vector<std::string>* out) {
  return ReadArray(obj, key, out, [](const Node& n, std::string* s) -> Status {
    SEE_ASSIGN_OR_RETURN(*s, n.AsString());
    size_t eq = s->find('=');
    if (eq == std::string::npos || eq == 0) {
      return n.Error("must be KEY=VALUE with a non-empty KEY, got " + Quote(*s));
    }
    return Status::Ok();
  });
}

template <typename T>
Status ReadUintArray(const Node& obj, std::string_view key, std::vector<T>* out) {
  return ReadArray(obj, key, out, [](const Node& n, T* v) -> Status {
    SEE_ASSIGN_OR_RETURN(*v, n.AsInt<T>());
    return Status::Ok();
  });
}

// Reads an enumeration word and maps it through `table`.
template <typename E>
Status ReadEnum(const Node& obj, std::string_view key, std::span<const internal::NamedValue<E>> table,
                std::string_view what, E* out, bool required) {
  std::optional<Node> n = obj.Get(key);
  if (!n) {
    if (required) return InvalidArgument(obj.ChildPath(key) + ": required");
    return Status::Ok();
  }
  SEE_ASSIGN_OR_RETURN(std::string word, n->AsString());
  std::optional<E> v = internal::ValueOf(table, word);
  if (!v) return n->Error("unknown " + std::string(what) + " " + Quote(word));
  *out = *v;
  return Status::Ok();
}

// Reads a string array whose entries must be words of `known`.
Status ReadWordList(const Node& obj, std::string_view key, std::span<const std::string_view> known,
                    std::string_view what, std::vector<std::string>* out) {
  return ReadArray(obj, key, out, [&](const Node& n, std::string* s) -> Status {
    SEE_ASSIGN_OR_RETURN(*s, n.AsString());
    if (!internal::Contains(known, *s)) {
      return n.Error("unknown " + std::string(what) + " " + Quote(*s));
    }
    return Status::Ok();
  });
}

Status ParseIdMapping(const Node& n, IdMapping* m) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadRequired(n, "containerID", &m->container_id));
  SEE_RETURN_IF_ERROR(ReadRequired(n, "hostID", &m->host_id));
  SEE_RETURN_IF_ERROR(ReadRequired(n, "size", &m->size));
  if (m->size == 0) return InvalidArgument(n.ChildPath("size") + ": must be greater than 0");
  // The kernel refuses a range that wraps around the 32-bit id space.
  if (uint64_t{m->container_id} + m->size - 1 > UINT32_MAX ||
      uint64_t{m->host_id} + m->size - 1 > UINT32_MAX) {
    return InvalidArgument(n.ChildPath("size") + ": range exceeds the 32-bit id space");
  }
  return Status::Ok();
}

Status ReadIdMappings(const Node& obj, std::string_view key, std::vector<IdMapping>* out) {
  return ReadArray(obj, key, out, ParseIdMapping);
}

// ---- process ------------------------------------------------------------------------------

Status ParseUser(const Node& n, User* u) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(Read(n, "uid", &u->uid));
  SEE_RETURN_IF_ERROR(Read(n, "gid", &u->gid));
  SEE_RETURN_IF_ERROR(Read(n, "umask", &u->umask));
  if (u->umask && *u->umask > 0777) {
    return InvalidArgument(n.ChildPath("umask") + ": must be at most 0777, got " +
                           std::to_string(*u->umask));
  }
  SEE_RETURN_IF_ERROR(ReadUintArray(n, "additionalGids", &u->additional_gids));
  SEE_RETURN_IF_ERROR(Read(n, "username", &u->username));
  return Status::Ok();
}

Status ParseCapabilities(const Node& n, Capabilities* c) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  auto read_set = [&](std::string_view key, std::vector<std::string>* out) {
    return ReadArray(n, key, out, [](const Node& e, std::string* s) -> Status {
      SEE_ASSIGN_OR_RETURN(*s, e.AsString());
      Result<int> cap = CapabilityFromName(*s);
      if (!cap.ok()) return e.Error(cap.status().message());
      return Status::Ok();
    });
  };
  SEE_RETURN_IF_ERROR(read_set("bounding", &c->bounding));
  SEE_RETURN_IF_ERROR(read_set("effective", &c->effective));
  SEE_RETURN_IF_ERROR(read_set("inheritable", &c->inheritable));
  SEE_RETURN_IF_ERROR(read_set("permitted", &c->permitted));
  SEE_RETURN_IF_ERROR(read_set("ambient", &c->ambient));
  return Status::Ok();
}

Status ParseRlimit(const Node& n, Rlimit* r) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadRequired(n, "type", &r->type));
  std::optional<int> res = internal::ValueOf(internal::RlimitNames(), r->type);
  if (!res) return InvalidArgument(n.ChildPath("type") + ": unknown rlimit " + Quote(r->type));
  r->resource = *res;
  SEE_RETURN_IF_ERROR(ReadRequired(n, "soft", &r->soft));
  SEE_RETURN_IF_ERROR(ReadRequired(n, "hard", &r->hard));
  if (r->soft > r->hard) {
    return InvalidArgument(n.ChildPath("soft") + ": " + std::to_string(r->soft) +
                           " exceeds the hard limit " + std::to_string(r->hard));
  }
  return Status::Ok();
}

// Reads a string member that must be one of `known`.
Status ReadWord(const Node& obj, std::string_view key, std::span<const std::string_view> known,
                std::string_view what, std::string* out, bool required) {
  if (required) {
    SEE_RETURN_IF_ERROR(ReadRequired(obj, key, out));
  } else {
    SEE_RETURN_IF_ERROR(Read(obj, key, out));
    if (out->empty()) return Status::Ok();
  }
  if (!internal::Contains(known, *out)) {
    return InvalidArgument(obj.ChildPath(key) + ": unknown " + std::string(what) + " " +
                           Quote(*out));
  }
  return Status::Ok();
}

Status ParseIoPriority(const Node& n, IoPriority* io) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadWord(n, "class", internal::IoPriorityClassNames(), "I/O priority class",
                               &io->io_class, /*required=*/true));
  SEE_RETURN_IF_ERROR(Read(n, "priority", &io->priority));
  if (io->priority < 0 || io->priority > 7) {
    return InvalidArgument(n.ChildPath("priority") + ": must be in 0..7, got " +
                           std::to_string(io->priority));
  }
  return Status::Ok();
}

Status ParseScheduler(const Node& n, Scheduler* s) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadWord(n, "policy", internal::SchedulerPolicyNames(), "scheduler policy",
                               &s->policy, /*required=*/true));
  SEE_RETURN_IF_ERROR(Read(n, "nice", &s->nice));
  if (s->nice && (*s->nice < -20 || *s->nice > 19)) {
    return InvalidArgument(n.ChildPath("nice") + ": must be in -20..19, got " +
                           std::to_string(*s->nice));
  }
  SEE_RETURN_IF_ERROR(Read(n, "priority", &s->priority));
  SEE_RETURN_IF_ERROR(ReadWordList(n, "flags", internal::SchedulerFlagNames(), "scheduler flag",
                                   &s->flags));
  SEE_RETURN_IF_ERROR(Read(n, "runtime", &s->runtime));
  SEE_RETURN_IF_ERROR(Read(n, "deadline", &s->deadline));
  SEE_RETURN_IF_ERROR(Read(n, "period", &s->period));
  return Status::Ok();
}

Status ParseProcessObject(const Node& n, Process* p) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(Read(n, "terminal", &p->terminal));
  SEE_RETURN_IF_ERROR(ReadObject(n, "consoleSize", &p->console_size,
                                 [](const Node& c, ConsoleSize* cs) -> Status {
                                   SEE_RETURN_IF_ERROR(c.ExpectObject());
                                   SEE_RETURN_IF_ERROR(Read(c, "height", &cs->height));
                                   return Read(c, "width", &cs->width);
                                 }));
  if (std::optional<Node> u = n.Get("user")) SEE_RETURN_IF_ERROR(ParseUser(*u, &p->user));
  SEE_RETURN_IF_ERROR(Read(n, "args", &p->args));
  if (p->args.empty()) return InvalidArgument(n.ChildPath("args") + ": must not be empty");
  SEE_RETURN_IF_ERROR(ReadEnv(n, "env", &p->env));
  SEE_RETURN_IF_ERROR(ReadAbsolutePath(n, "cwd", &p->cwd, /*required=*/true));
  SEE_RETURN_IF_ERROR(ReadObject(n, "capabilities", &p->capabilities, ParseCapabilities));
  SEE_RETURN_IF_ERROR(ReadArray(n, "rlimits", &p->rlimits, ParseRlimit));
  std::set<int> seen;
  for (size_t i = 0; i < p->rlimits.size(); ++i) {
    if (!seen.insert(p->rlimits[i].resource).second) {
      return InvalidArgument(n.ChildPath("rlimits") + "[" + std::to_string(i) +
                             "].type: duplicate rlimit " + Quote(p->rlimits[i].type));
    }
  }
  SEE_RETURN_IF_ERROR(Read(n, "noNewPrivileges", &p->no_new_privileges));
  SEE_RETURN_IF_ERROR(Read(n, "apparmorProfile", &p->apparmor_profile));
  SEE_RETURN_IF_ERROR(Read(n, "oomScoreAdj", &p->oom_score_adj));
  if (p->oom_score_adj && (*p->oom_score_adj < -1000 || *p->oom_score_adj > 1000)) {
    return InvalidArgument(n.ChildPath("oomScoreAdj") + ": must be in -1000..1000, got " +
                           std::to_string(*p->oom_score_adj));
  }
  SEE_RETURN_IF_ERROR(Read(n, "selinuxLabel", &p->selinux_label));
  SEE_RETURN_IF_ERROR(ReadObject(n, "ioPriority", &p->io_priority, ParseIoPriority));
  SEE_RETURN_IF_ERROR(ReadObject(n, "scheduler", &p->scheduler, ParseScheduler));
  return Status::Ok();
}

// ---- mounts and hooks ---------------------------------------------------------------------

Status ParseMount(const Node& n, Mount* m) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadAbsolutePath(n, "destination", &m->destination, /*required=*/true));
  SEE_RETURN_IF_ERROR(Read(n, "type", &m->type));
  SEE_RETURN_IF_ERROR(Read(n, "source", &m->source));
  SEE_RETURN_IF_ERROR(Read(n, "options", &m->options));
  if (Result<MountFlags> f = ParseMountOptions(m->options); !f.ok()) {
    return InvalidArgument(n.ChildPath("options") + ": " + f.status().message());
  }
  SEE_RETURN_IF_ERROR(ReadIdMappings(n, "uidMappings", &m->uid_mappings));
  SEE_RETURN_IF_ERROR(ReadIdMappings(n, "gidMappings", &m->gid_mappings));
  // An id-mapped mount needs both maps: mount_setattr takes one user namespace for both.
  if (m->uid_mappings.empty() != m->gid_mappings.empty()) {
    std::string_view missing = m->uid_mappings.empty() ? "uidMappings" : "gidMappings";
    return InvalidArgument(n.ChildPath(missing) + ": required when " +
                           (m->uid_mappings.empty() ? "gidMappings" : "uidMappings") + " is set");
  }
  return Status::Ok();
}

Status ParseHook(const Node& n, Hook* h) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadAbsolutePath(n, "path", &h->path, /*required=*/true));
  SEE_RETURN_IF_ERROR(Read(n, "args", &h->args));
  SEE_RETURN_IF_ERROR(ReadEnv(n, "env", &h->env));
  SEE_RETURN_IF_ERROR(Read(n, "timeout", &h->timeout));
  if (h->timeout && *h->timeout <= 0) {
    return InvalidArgument(n.ChildPath("timeout") + ": must be greater than 0, got " +
                           std::to_string(*h->timeout));
  }
  return Status::Ok();
}

Status ParseHooks(const Node& n, Hooks* h) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadArray(n, "prestart", &h->prestart, ParseHook));
  SEE_RETURN_IF_ERROR(ReadArray(n, "createRuntime", &h->create_runtime, ParseHook));
  SEE_RETURN_IF_ERROR(ReadArray(n, "createContainer", &h->create_container, ParseHook));
  SEE_RETURN_IF_ERROR(ReadArray(n, "startContainer", &h->start_container, ParseHook));
  SEE_RETURN_IF_ERROR(ReadArray(n, "poststart", &h->poststart, ParseHook));
  SEE_RETURN_IF_ERROR(ReadArray(n, "poststop", &h->poststop, ParseHook));
  return Status::Ok();
}

// ---- linux.resources ----------------------------------------------------------------------

// Device numbers in cgroup rules: absent or -1 is the wildcard.
Status ReadDeviceNumber(const Node& obj, std::string_view key, std::optional<int64_t>* out) {
  SEE_RETURN_IF_ERROR(Read(obj, key, out));
  if (*out && **out < -1) {
    return InvalidArgument(obj.ChildPath(key) + ": must be -1 (any) or a device number, got " +
                           std::to_string(**out));
  }
  if (*out == -1) out->reset();
  return Status::Ok();
}

Status ParseDeviceCgroupRule(const Node& n, DeviceCgroupRule* r) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadRequired(n, "allow", &r->allow));
  SEE_RETURN_IF_ERROR(Read(n, "type", &r->type));
  if (r->type.empty()) r->type = "a";
  if (r->type != "a" && r->type != "c" && r->type != "b") {
    return InvalidArgument(n.ChildPath("type") + ": unknown device type " + Quote(r->type) +
                           " (a, c or b)");
  }
  SEE_RETURN_IF_ERROR(ReadDeviceNumber(n, "major", &r->major));
  SEE_RETURN_IF_ERROR(ReadDeviceNumber(n, "minor", &r->minor));
  SEE_RETURN_IF_ERROR(Read(n, "access", &r->access));
  if (r->access.find_first_not_of("rwm") != std::string::npos) {
    return InvalidArgument(n.ChildPath("access") + ": " + Quote(r->access) +
                           " is not a combination of r, w and m");
  }
  return Status::Ok();
}

Status ParseMemory(const Node& n, MemoryResources* m) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(Read(n, "limit", &m->limit));
  SEE_RETURN_IF_ERROR(Read(n, "reservation", &m->reservation));
  SEE_RETURN_IF_ERROR(Read(n, "swap", &m->swap));
  SEE_RETURN_IF_ERROR(Read(n, "kernel", &m->kernel));
  SEE_RETURN_IF_ERROR(Read(n, "kernelTCP", &m->kernel_tcp));
  SEE_RETURN_IF_ERROR(Read(n, "swappiness", &m->swappiness));
  if (m->swappiness && *m->swappiness > 100) {
    return InvalidArgument(n.ChildPath("swappiness") + ": must be in 0..100, got " +
                           std::to_string(*m->swappiness));
  }
  SEE_RETURN_IF_ERROR(Read(n, "disableOOMKiller", &m->disable_oom_killer));
  SEE_RETURN_IF_ERROR(Read(n, "useHierarchy", &m->use_hierarchy));
  SEE_RETURN_IF_ERROR(Read(n, "checkBeforeUpdate", &m->check_before_update));
  return Status::Ok();
}

// cpuset list syntax: "0-3,5,7-8". Empty means "inherit".
bool IsCpuList(std::string_view s) {
  if (s.empty()) return true;
  size_t pos = 0;
  while (true) {
    size_t end = s.find(',', pos);
    std::string_view item = s.substr(pos, end == std::string_view::npos ? s.npos : end - pos);
    size_t dash = item.find('-');
    std::string_view lo = item.substr(0, dash);
    std::string_view hi = dash == std::string_view::npos ? lo : item.substr(dash + 1);
    auto number = [](std::string_view d, uint64_t* v) {
      if (d.empty() || d.size() > 9) return false;
      *v = 0;
      for (char c : d) {
        if (c < '0' || c > '9') return false;
        *v = *v * 10 + static_cast<uint64_t>(c - '0');
      }
      return true;
    };
    uint64_t a = 0, b = 0;
    if (!number(lo, &a) || !number(hi, &b) || a > b) return false;
    if (end == std::string_view::npos) return true;
    pos = end + 1;
  }
}

Status ParseCpu(const Node& n, CpuResources* c) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(Read(n, "shares", &c->shares));
  SEE_RETURN_IF_ERROR(Read(n, "quota", &c->quota));
  SEE_RETURN_IF_ERROR(Read(n, "period", &c->period));
  SEE_RETURN_IF_ERROR(Read(n, "realtimeRuntime", &c->realtime_runtime));
  SEE_RETURN_IF_ERROR(Read(n, "realtimePeriod", &c->realtime_period));
  SEE_RETURN_IF_ERROR(Read(n, "cpus", &c->cpus));
  if (!IsCpuList(c->cpus)) {
    return InvalidArgument(n.ChildPath("cpus") + ": invalid CPU list " + Quote(c->cpus));
  }
  SEE_RETURN_IF_ERROR(Read(n, "mems", &c->mems));
  if (!IsCpuList(c->mems)) {
    return InvalidArgument(n.ChildPath("mems") + ": invalid memory node list " + Quote(c->mems));
  }
  SEE_RETURN_IF_ERROR(Read(n, "idle", &c->idle));
  return Status::Ok();
}

Status ParseWeightDevice(const Node& n, WeightDevice* d) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadRequired(n, "major", &d->major));
  SEE_RETURN_IF_ERROR(ReadRequired(n, "minor", &d->minor));
  SEE_RETURN_IF_ERROR(Read(n, "weight", &d->weight));
  SEE_RETURN_IF_ERROR(Read(n, "leafWeight", &d->leaf_weight));
  return Status::Ok();
}

Status ParseThrottleDevice(const Node& n, ThrottleDevice* d) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadRequired(n, "major", &d->major));
  SEE_RETURN_IF_ERROR(ReadRequired(n, "minor", &d->minor));
  SEE_RETURN_IF_ERROR(ReadRequired(n, "rate", &d->rate));
  return Status::Ok();
}

Status ParseBlockIo(const Node& n, BlockIoResources* b) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(Read(n, "weight", &b->weight));
  SEE_RETURN_IF_ERROR(Read(n, "leafWeight", &b->leaf_weight));
  SEE_RETURN_IF_ERROR(ReadArray(n, "weightDevice", &b->weight_device, ParseWeightDevice));
  SEE_RETURN_IF_ERROR(ReadArray(n, "throttleReadBpsDevice", &b->throttle_read_bps_device,
                                ParseThrottleDevice));
  SEE_RETURN_IF_ERROR(ReadArray(n, "throttleWriteBpsDevice", &b->throttle_write_bps_device,
                                ParseThrottleDevice));
  SEE_RETURN_IF_ERROR(ReadArray(n, "throttleReadIOPSDevice", &b->throttle_read_iops_device,
                                ParseThrottleDevice));
  SEE_RETURN_IF_ERROR(ReadArray(n, "throttleWriteIOPSDevice", &b->throttle_write_iops_device,
                                ParseThrottleDevice));
  return Status::Ok();
}

// "2MB", "1GB", "64KB": the suffixes of hugetlb.<size>.limit_in_bytes file names.
bool IsHugepageSize(std::string_view s) {
  if (s.size() < 3) return false;
  std::string_view unit = s.substr(s.size() - 2);
  if (unit != "KB" && unit != "MB" && unit != "GB") return false;
  std::string_view digits = s.substr(0, s.size() - 2);
  return digits.find_first_not_of("0123456789") == std::string_view::npos;
}

Status ParseHugepageLimit(const Node& n, HugepageLimit* h) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadRequired(n, "pageSize", &h->page_size));
  if (!IsHugepageSize(h->page_size)) {
    return InvalidArgument(n.ChildPath("pageSize") + ": invalid page size " +
                           Quote(h->page_size) + " (e.g. \"2MB\")");
  }
  SEE_RETURN_IF_ERROR(ReadRequired(n, "limit", &h->limit));
  return Status::Ok();
}

Status ParseNetwork(const Node& n, NetworkResources* net) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(Read(n, "classID", &net->class_id));
  return ReadArray(n, "priorities", &net->priorities,
                   [](const Node& p, std::pair<std::string, uint32_t>* out) -> Status {
                     SEE_RETURN_IF_ERROR(p.ExpectObject());
                     SEE_RETURN_IF_ERROR(ReadRequired(p, "name", &out->first));
                     return ReadRequired(p, "priority", &out->second);
                   });
}

Status ParseResourcesObject(const Node& n, Resources* r) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadArray(n, "devices", &r->devices, ParseDeviceCgroupRule));
  SEE_RETURN_IF_ERROR(ReadObject(n, "memory", &r->memory, ParseMemory));
  SEE_RETURN_IF_ERROR(ReadObject(n, "cpu", &r->cpu, ParseCpu));
  SEE_RETURN_IF_ERROR(ReadObject(n, "pids", &r->pids, [](const Node& p, PidsResources* out) {
    SEE_RETURN_IF_ERROR(p.ExpectObject());
    return ReadRequired(p, "limit", &out->limit);
  }));
  SEE_RETURN_IF_ERROR(ReadObject(n, "blockIO", &r->block_io, ParseBlockIo));
  SEE_RETURN_IF_ERROR(ReadArray(n, "hugepageLimits", &r->hugepage_limits, ParseHugepageLimit));
  SEE_RETURN_IF_ERROR(ReadObject(n, "network", &r->network, ParseNetwork));
  SEE_RETURN_IF_ERROR(Read(n, "unified", &r->unified));
  // Keys become file names inside the container's cgroup: anything that is not a plain name
  // would let the config write outside it.
  for (const auto& [file, value] : r->unified) {
    if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos ||
        file.find('\0') != std::string::npos) {
      return InvalidArgument(n.ChildPath("unified") + "[" + Quote(file) +
                             "]: not a cgroup file name");
    }
  }
  return Status::Ok();
}

// ---- linux --------------------------------------------------------------------------------

Status ParseNamespace(const Node& n, Namespace* ns) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadEnum<NamespaceType>(n, "type", internal::NamespaceNames(),
                                              "namespace type", &ns->type, /*required=*/true));
  return ReadAbsolutePath(n, "path", &ns->path, /*required=*/false);
}

Status ParseDevice(const Node& n, Device* d) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  std::string type;
  SEE_RETURN_IF_ERROR(ReadRequired(n, "type", &type));
  if (type != "c" && type != "b" && type != "u" && type != "p") {
    return InvalidArgument(n.ChildPath("type") + ": unknown device type " + Quote(type) +
                           " (c, b, u or p)");
  }
  d->type = type[0];
  SEE_RETURN_IF_ERROR(ReadAbsolutePath(n, "path", &d->path, /*required=*/true));
  if (d->type == 'p') {
    SEE_RETURN_IF_ERROR(Read(n, "major", &d->major));
    SEE_RETURN_IF_ERROR(Read(n, "minor", &d->minor));
  } else {
    SEE_RETURN_IF_ERROR(ReadRequired(n, "major", &d->major));
    SEE_RETURN_IF_ERROR(ReadRequired(n, "minor", &d->minor));
  }
  if (d->major < 0) return InvalidArgument(n.ChildPath("major") + ": must not be negative");
  if (d->minor < 0) return InvalidArgument(n.ChildPath("minor") + ": must not be negative");
  SEE_RETURN_IF_ERROR(Read(n, "fileMode", &d->file_mode));
  SEE_RETURN_IF_ERROR(Read(n, "uid", &d->uid));
  SEE_RETURN_IF_ERROR(Read(n, "gid", &d->gid));
  return Status::Ok();
}

// Sysctl keys become paths under /proc/sys; "net.ipv4.ip_forward" and "net/ipv4/ip_forward" are
// both accepted (a '/' form lets interface names contain dots), but no component may climb out.
bool IsSysctlKey(std::string_view key) {
  if (key.empty() || key.find('\0') != std::string_view::npos) return false;
  char sep = key.find('/') != std::string_view::npos ? '/' : '.';
  size_t pos = 0;
  while (true) {
    size_t end = key.find(sep, pos);
    std::string_view part = key.substr(pos, end == std::string_view::npos ? key.npos : end - pos);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string_view::npos) return true;
    pos = end + 1;
  }
}

Status ParseSeccompArg(const Node& n, SeccompArg* a) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadRequired(n, "index", &a->index));
  if (a->index >= 6) {
    return InvalidArgument(n.ChildPath("index") + ": must be in 0..5, got " +
                           std::to_string(a->index));
  }
  SEE_RETURN_IF_ERROR(ReadRequired(n, "value", &a->value));
  SEE_RETURN_IF_ERROR(Read(n, "valueTwo", &a->value_two));
  return ReadEnum<SeccompOp>(n, "op", internal::SeccompOpNames(), "seccomp operator", &a->op,
                             /*required=*/true);
}

Status ParseSeccompSyscall(const Node& n, SeccompSyscall* s) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(Read(n, "names", &s->names));
  if (s->names.empty()) return InvalidArgument(n.ChildPath("names") + ": must not be empty");
  SEE_RETURN_IF_ERROR(ReadEnum<SeccompAction>(n, "action", internal::SeccompActionNames(),
                                              "seccomp action", &s->action, /*required=*/true));
  SEE_RETURN_IF_ERROR(Read(n, "errnoRet", &s->errno_ret));
  return ReadArray(n, "args", &s->args, ParseSeccompArg);
}

Status ParseSeccomp(const Node& n, Seccomp* s) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadEnum<SeccompAction>(n, "defaultAction", internal::SeccompActionNames(),
                                              "seccomp action", &s->default_action,
                                              /*required=*/true));
  SEE_RETURN_IF_ERROR(Read(n, "defaultErrnoRet", &s->default_errno_ret));
  SEE_RETURN_IF_ERROR(ReadWordList(n, "architectures", internal::SeccompArchNames(),
                                   "seccomp architecture", &s->architectures));
  SEE_RETURN_IF_ERROR(
      ReadWordList(n, "flags", internal::SeccompFlagNames(), "seccomp flag", &s->flags));
  SEE_RETURN_IF_ERROR(ReadAbsolutePath(n, "listenerPath", &s->listener_path, /*required=*/false));
  SEE_RETURN_IF_ERROR(Read(n, "listenerMetadata", &s->listener_metadata));
  SEE_RETURN_IF_ERROR(ReadArray(n, "syscalls", &s->syscalls, ParseSeccompSyscall));
  // The runtime-spec: a notify action needs somewhere to send the listener fd.
  bool notify = s->default_action == SeccompAction::kNotify;
  for (const SeccompSyscall& sc : s->syscalls) notify |= sc.action == SeccompAction::kNotify;
  if (notify && s->listener_path.empty()) {
    return InvalidArgument(n.ChildPath("listenerPath") + ": required when SCMP_ACT_NOTIFY is used");
  }
  return Status::Ok();
}

Status ParsePersonality(const Node& n, Personality* p) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadRequired(n, "domain", &p->domain));
  if (p->domain != "LINUX" && p->domain != "LINUX32") {
    return InvalidArgument(n.ChildPath("domain") + ": unknown personality domain " +
                           Quote(p->domain) + " (LINUX or LINUX32)");
  }
  // The runtime-spec defines no flag values yet, so every word is unknown.
  return ReadWordList(n, "flags", {}, "personality flag", &p->flags);
}

Status ParseLinux(const Node& n, Linux* l) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadArray(n, "namespaces", &l->namespaces, ParseNamespace));
  std::set<NamespaceType> seen;
  for (size_t i = 0; i < l->namespaces.size(); ++i) {
    if (!seen.insert(l->namespaces[i].type).second) {
      return InvalidArgument(n.ChildPath("namespaces") + "[" + std::to_string(i) +
                             "].type: duplicate namespace " +
                             Quote(NamespaceTypeName(l->namespaces[i].type)));
    }
  }
  SEE_RETURN_IF_ERROR(ReadIdMappings(n, "uidMappings", &l->uid_mappings));
  SEE_RETURN_IF_ERROR(ReadIdMappings(n, "gidMappings", &l->gid_mappings));
  const Namespace* userns = nullptr;
  for (const Namespace& ns : l->namespaces) {
    if (ns.type == NamespaceType::kUser) userns = &ns;
  }
  for (auto [key, maps] : {std::pair{"uidMappings", &l->uid_mappings},
                           std::pair{"gidMappings", &l->gid_mappings}}) {
    // A new user namespace without a map leaves every id unmapped (nobody); joining one keeps
    // the maps it already has.
    if (userns && userns->path.empty() && maps->empty()) {
      return InvalidArgument(n.ChildPath(key) + ": required when creating a user namespace");
    }
    if (!userns && !maps->empty()) {
      return InvalidArgument(n.ChildPath(key) +
                             ": set, but linux.namespaces has no user namespace");
    }
  }
  SEE_RETURN_IF_ERROR(ReadArray(n, "devices", &l->devices, ParseDevice));
  SEE_RETURN_IF_ERROR(Read(n, "cgroupsPath", &l->cgroups_path));
  // The cgroup managers join this below their root; ".." would leave it.
  {
    std::string_view p = l->cgroups_path;
    size_t pos = 0;
    while (pos <= p.size()) {
      size_t end = p.find_first_of("/:", pos);
      if (end == std::string_view::npos) end = p.size();
      if (p.substr(pos, end - pos) == "..") {
        return InvalidArgument(n.ChildPath("cgroupsPath") + ": must not contain \"..\", got " +
                               Quote(l->cgroups_path));
      }
      pos = end + 1;
    }
  }
  SEE_RETURN_IF_ERROR(ReadObject(n, "resources", &l->resources, ParseResourcesObject));
  SEE_RETURN_IF_ERROR(ReadPathList(n, "maskedPaths", &l->masked_paths));
  SEE_RETURN_IF_ERROR(ReadPathList(n, "readonlyPaths", &l->readonly_paths));
  SEE_RETURN_IF_ERROR(Read(n, "sysctl", &l->sysctl));
  for (const auto& [key, value] : l->sysctl) {
    if (!IsSysctlKey(key)) {
      return InvalidArgument(n.ChildPath("sysctl") + "[" + Quote(key) + "]: invalid sysctl name");
    }
  }
  {
    std::optional<Node> p = n.Get("rootfsPropagation");
    std::string word;
    SEE_RETURN_IF_ERROR(Read(n, "rootfsPropagation", &word));
    if (!word.empty()) {
      std::optional<Propagation> v = internal::ValueOf(internal::PropagationNames(), word);
      if (!v) return p->Error("unknown propagation " + Quote(word));
      l->rootfs_propagation = *v;
    }
  }
  SEE_RETURN_IF_ERROR(ReadObject(n, "seccomp", &l->seccomp, ParseSeccomp));
  SEE_RETURN_IF_ERROR(ReadObject(n, "personality", &l->personality, ParsePersonality));
  SEE_RETURN_IF_ERROR(Read(n, "mountLabel", &l->mount_label));
  if (std::optional<Node> offsets = n.Get("timeOffsets")) {
    SEE_RETURN_IF_ERROR(offsets->ExpectObject());
    for (auto it = offsets->value().begin(); it != offsets->value().end(); ++it) {
      Node clock(it.value(), offsets->path() + "[" + Quote(it.key()) + "]");
      if (!internal::Contains(internal::TimeNamespaceClockNames(), it.key())) {
        return clock.Error("unknown clock (monotonic or boottime)");
      }
      SEE_RETURN_IF_ERROR(clock.ExpectObject());
      TimeOffset off;
      SEE_RETURN_IF_ERROR(Read(clock, "secs", &off.secs));
      SEE_RETURN_IF_ERROR(Read(clock, "nanosecs", &off.nanosecs));
      if (off.nanosecs >= 1000000000) {
        return InvalidArgument(clock.ChildPath("nanosecs") + ": must be below 1000000000, got " +
                               std::to_string(off.nanosecs));
      }
      l->time_offsets[it.key()] = off;
    }
  }
  if (std::optional<Node> rdt = n.Get("intelRdt")) {
    SEE_RETURN_IF_ERROR(rdt->ExpectObject());
    SEE_RETURN_IF_ERROR(Read(*rdt, "closID", &l->intel_rdt_clos_id));
    SEE_RETURN_IF_ERROR(Read(*rdt, "l3CacheSchema", &l->intel_rdt_l3_cache_schema));
    SEE_RETURN_IF_ERROR(Read(*rdt, "memBwSchema", &l->intel_rdt_mem_bw_schema));
  }
  return Status::Ok();
}

// ---- the whole spec -----------------------------------------------------------------------

// "1.0.2", "1.1.0-rc.1", "1.0.2-dev": major version 1 is what this parser implements.
Status CheckVersion(const std::string& v) {
  if (v.empty()) return InvalidArgument("ociVersion: required");
  if (v.rfind("1.", 0) != 0 || v.size() < 3 || v[2] < '0' || v[2] > '9') {
    return InvalidArgument("ociVersion: unsupported version " + Quote(v) +
                           " (runtime-spec 1.x required)");
  }
  return Status::Ok();
}

Status ParseSpecObject(const Node& n, Spec* s) {
  SEE_RETURN_IF_ERROR(n.ExpectObject());
  SEE_RETURN_IF_ERROR(ReadRequired(n, "ociVersion", &s->oci_version));
  SEE_RETURN_IF_ERROR(CheckVersion(s->oci_version));
  SEE_RETURN_IF_ERROR(ReadObject(n, "process", &s->process, ParseProcessObject));
  SEE_RETURN_IF_ERROR(ReadObject(n, "root", &s->root, [](const Node& r, Root* out) -> Status {
    SEE_RETURN_IF_ERROR(r.ExpectObject());
    SEE_RETURN_IF_ERROR(ReadRequired(r, "path", &out->path));
    if (out->path.empty()) return InvalidArgument(r.ChildPath("path") + ": must not be empty");
    return Read(r, "readonly", &out->readonly);
  }));
  if (!s->root) return InvalidArgument("root: required");
  SEE_RETURN_IF_ERROR(Read(n, "hostname", &s->hostname));
  if (s->hostname.size() > kHostNameMax) {
    return InvalidArgument("hostname: longer than " + std::to_string(kHostNameMax) + " bytes");
  }
  SEE_RETURN_IF_ERROR(Read(n, "domainname", &s->domainname));
  if (s->domainname.size() > kHostNameMax) {
    return InvalidArgument("domainname: longer than " + std::to_string(kHostNameMax) + " bytes");
  }
  SEE_RETURN_IF_ERROR(ReadArray(n, "mounts", &s->mounts, ParseMount));
  SEE_RETURN_IF_ERROR(ReadObject(n, "hooks", &s->hooks, ParseHooks));
  SEE_RETURN_IF_ERROR(Read(n, "annotations", &s->annotations));
  if (s->annotations.count("")) return InvalidArgument("annotations: keys must not be empty");
  SEE_RETURN_IF_ERROR(ReadObject(n, "linux", &s->linux, ParseLinux));
  return Status::Ok();
}

// Parses `text` and runs `parse` on its root; catches anything nlohmann might still throw.
template <typename T, typename Parse>
Result<T> ParseDocument(std::string_view text, Parse parse) {
  SEE_ASSIGN_OR_RETURN(internal::Json doc, internal::ParseJsonText(text));
  T out{};
  try {
    SEE_RETURN_IF_ERROR(parse(Node(doc, ""), &out));
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("unexpected JSON error: ") + e.what());
  }
  return out;
}

}  // namespace

Result<Spec> ParseSpec(std::string_view json) {
  return ParseDocument<Spec>(json, ParseSpecObject);
}

Result<Process> ParseProcess(std::string_view json) {
  return ParseDocument<Process>(json, ParseProcessObject);
}

Result<Resources> ParseResources(std::string_view json) {
  return ParseDocument<Resources>(json, ParseResourcesObject);
}

Result<Spec> LoadSpec(const std::string& bundle_dir) {
  std::string path = bundle_dir + "/config.json";
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status().Wrap("reading " + path);
  Result<Spec> spec = ParseSpec(*text);
  if (!spec.ok()) return spec.status().Wrap(path);
  return spec;
}

bool Spec::HasNamespace(NamespaceType t) const { return FindNamespace(t) != nullptr; }

const Namespace* Spec::FindNamespace(NamespaceType t) const {
  if (!linux) return nullptr;
  for (const Namespace& ns : linux->namespaces) {
    if (ns.type == t) return &ns;
  }
  return nullptr;
}

}  // namespace see::oci
