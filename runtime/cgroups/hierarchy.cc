// Hierarchy detection, cgroupsPath resolution and the Manager factory.
#include <sys/stat.h>

#include <map>

#include "base/file_util.h"
#include "base/proc_tables.h"
#include "base/strings.h"
#include "runtime/cgroups/internal.h"

namespace see::cgroups {
namespace internal {
namespace {

std::string Dirname(const std::string& p) {
  size_t slash = p.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return p.substr(0, slash);
}

struct MountEntry {
  std::string root;        // the mount's root inside its hierarchy
  std::string mountpoint;
};

}  // namespace

Result<Hierarchy> HierarchyFromProc(std::string_view mountinfo, std::string_view proc_cgroup) {
  std::map<std::string, MountEntry> v1;  // controller ("memory", "name=systemd") -> mount
  std::optional<MountEntry> v2;
  for (const MountinfoEntry& e : ParseMountinfo(mountinfo)) {
    MountEntry m{e.root, e.mount_point};
    if (e.fstype == "cgroup2") {
      // Prefer the conventional location when several cgroup2 mounts exist.
      if (!v2 || m.mountpoint == "/sys/fs/cgroup" || m.mountpoint == "/sys/fs/cgroup/unified") {
        v2 = m;
      }
    } else if (e.fstype == "cgroup") {
      for (const std::string& opt : SplitCommas(e.super_options)) {
        if (opt == "rw" || opt == "ro" || opt.starts_with("release_agent=") ||
            opt == "clone_children" || opt == "noprefix" || opt == "xattr" ||
            opt == "cpuset_v2_mode" || opt == "favordynmods") {
          continue;
        }
        v1.emplace(opt, m);
      }
    }
  }

  Hierarchy h;
  bool has_v1_controller = false;
  for (const auto& [name, m] : v1) {
    if (!name.starts_with("name=")) has_v1_controller = true;
  }
  if (has_v1_controller) {
    h.version = Version::kV1;
    // Controllers live at <root>/<name>; take the root from a controller mount we know.
    const MountEntry* ref = nullptr;
    for (const char* c : {"memory", "cpu", "pids", "devices", "freezer"}) {
      if (auto it = v1.find(c); it != v1.end()) {
        ref = &it->second;
        break;
      }
    }
    if (ref == nullptr) ref = &v1.begin()->second;
    h.root = Dirname(ref->mountpoint);
    if (v2) h.unified_root = v2->mountpoint;
  } else if (v2) {
    h.version = Version::kV2;
    h.root = v2->mountpoint;
  } else {
    return NotFound("no cgroup or cgroup2 mount in /proc/self/mountinfo");
  }

  for (const ProcCgroupEntry& e : ParseProcCgroup(proc_cgroup)) {
    const std::string& path = e.path;
    // A mount of a sub-tree (e.g. inside a cgroup namespace) sees paths relative to its root.
    auto relative_to_mount = [&path](const MountEntry* m) {
      if (m == nullptr || m->root == "/" || !path.starts_with(m->root)) return path;
      std::string p = path.substr(m->root.size());
      return p.empty() ? std::string("/") : p;
    };
    if (e.controllers.empty()) {
      if (e.id == "0") h.self_paths.emplace_back("", relative_to_mount(v2 ? &*v2 : nullptr));
      continue;
    }
    for (const std::string& c : e.controllers) {
      auto it = v1.find(c);
      h.self_paths.emplace_back(c, relative_to_mount(it == v1.end() ? nullptr : &it->second));
    }
  }
  return h;
}

std::string SelfPath(const Hierarchy& h, std::string_view key) {
  for (const auto& [k, p] : h.self_paths) {
    if (k == key) return p;
  }
  return "/";
}

std::string CleanAbsolutePath(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::string_view c : Split(path, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(c);
  }
  std::string out;
  for (std::string_view c : parts) {
    out += '/';
    out += c;
  }
  return out.empty() ? "/" : out;
}

Result<std::string> ResolvePath(const Hierarchy& h, std::string_view self_key,
                                const std::string& cgroups_path, const std::string& id) {
  std::string p = cgroups_path;
  if (p.empty()) {
    if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..") {
      return InvalidArgument("cgroupsPath is empty and container id \"" + id +
                             "\" cannot name a cgroup");
    }
    p = id;
  }
  if (!p.starts_with('/') && Split(p, ':').size() == 3) {
    return Unimplemented("cgroupsPath \"" + p +
                         "\": systemd cgroup driver not supported yet (use a cgroupfs path)");
  }
  if (p.starts_with('/')) return CleanAbsolutePath(p);
  return CleanAbsolutePath(SelfPath(h, self_key) + "/" + p);
}

}  // namespace internal

Result<Hierarchy> DetectHierarchy() {
  SEE_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  SEE_ASSIGN_OR_RETURN(std::string self, ReadFile("/proc/self/cgroup"));
  return internal::HierarchyFromProc(mountinfo, self);
}

Result<std::unique_ptr<Manager>> NewManager(const Hierarchy& h, const std::string& cgroups_path,
                                            const std::string& id) {
  using internal::ResolvePath;
  if (h.version == Version::kV2) {
    SEE_ASSIGN_OR_RETURN(std::string path, ResolvePath(h, "", cgroups_path, id));
    if (path == "/") return InvalidArgument("cgroupsPath resolves to the root cgroup");
    std::string dir = h.root + path;
    return internal::NewV2Manager(std::move(path), {"", h.root, std::move(dir)});
  }
  std::vector<internal::CgroupDir> dirs;
  std::string primary_path;
  for (const auto& [name, key] : internal::KnownV1Controllers()) {
    std::string mount = h.root + "/" + name;
    struct stat st;
    if (::stat(mount.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    // Not SEE_ASSIGN_OR_RETURN: GCC 12 reports a false maybe-uninitialized on it here.
    Result<std::string> path = ResolvePath(h, key, cgroups_path, id);
    if (!path.ok()) return path.status();
    if (*path == "/") return InvalidArgument("cgroupsPath resolves to the root cgroup");
    if (primary_path.empty() || name == "memory") primary_path = *path;
    dirs.push_back({name, mount, mount + *path});
  }
  if (dirs.empty()) return NotFound("no cgroup v1 controller under " + h.root);
  internal::CgroupDir unified;
  if (!h.unified_root.empty()) {
    SEE_ASSIGN_OR_RETURN(std::string path, ResolvePath(h, "", cgroups_path, id));
    if (path != "/") unified = {"", h.unified_root, h.unified_root + path};
  }
  return internal::NewV1Manager(std::move(primary_path), std::move(dirs), std::move(unified));
}

}  // namespace see::cgroups
