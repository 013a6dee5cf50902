#include "runtime/linux/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/linux/mounts.h"

namespace see::runtime {
namespace {

oci::Device CharDevice(const char* path, int64_t major, int64_t minor) {
  oci::Device d;
  d.path = path;
  d.type = 'c';
  d.major = major;
  d.minor = minor;
  d.file_mode = 0666;
  d.uid = 0;
  d.gid = 0;
  return d;
}

Status CreateOne(int root_fd, const oci::Device& d, bool bind_from_host) {
  std::string path = d.path;
  size_t slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash == std::string::npos) {
    return InvalidArgument("device path " + path + " is not absolute");
  }
  if (bind_from_host) {
    SEE_ASSIGN_OR_RETURN(UniqueFd mp, MakeMountpoint(root_fd, path, false));
    if (mount(path.c_str(), FdPath(mp.get()).c_str(), nullptr, MS_BIND, nullptr) < 0) {
      return ErrnoStatus("bind device " + path);
    }
    return Status::Ok();
  }
  SEE_ASSIGN_OR_RETURN(UniqueFd dir, MkdirAllInRoot(root_fd, path.substr(0, slash)));
  std::string base = path.substr(slash + 1);
  mode_t type = 0;
  switch (d.type) {
    case 'c':
    case 'u': type = S_IFCHR; break;
    case 'b': type = S_IFBLK; break;
    case 'p': type = S_IFIFO; break;
    default: return InvalidArgument("device " + path + ": unknown type");
  }
  mode_t mode = (d.file_mode ? *d.file_mode : 0666) & 07777;
  // mknodat on an existing entry (e.g. an image that ships /dev/null) keeps what is there, as runc.
  if (mknodat(dir.get(), base.c_str(), type | mode,
              makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor))) < 0) {
    if (errno == EEXIST) return Status::Ok();
    return ErrnoStatus("mknod " + path);
  }
  if (fchownat(dir.get(), base.c_str(), d.uid.value_or(0), d.gid.value_or(0),
               AT_SYMLINK_NOFOLLOW) < 0) {
    return ErrnoStatus("chown " + path);
  }
  return Status::Ok();
}

}  // namespace

const std::vector<oci::Device>& DefaultDevices() {
  static const std::vector<oci::Device> kDevices = {
      CharDevice("/dev/null", 1, 3),    CharDevice("/dev/zero", 1, 5),
      CharDevice("/dev/full", 1, 7),    CharDevice("/dev/random", 1, 8),
      CharDevice("/dev/urandom", 1, 9), CharDevice("/dev/tty", 5, 0),
  };
  return kDevices;
}

Status CreateDevices(int root_fd, const std::vector<oci::Device>& spec_devices,
                     bool bind_from_host) {
  for (const auto& d : DefaultDevices()) {
    bool overridden = false;
    for (const auto& s : spec_devices) overridden |= s.path == d.path;
    if (!overridden) SEE_RETURN_IF_ERROR(CreateOne(root_fd, d, bind_from_host));
  }
  for (const auto& d : spec_devices) SEE_RETURN_IF_ERROR(CreateOne(root_fd, d, bind_from_host));
  return Status::Ok();
}

Status CreateDevSymlinks(int root_fd) {
  SEE_ASSIGN_OR_RETURN(UniqueFd dev, MkdirAllInRoot(root_fd, "/dev"));
  std::vector<std::pair<const char*, const char*>> links = {
      {"/proc/self/fd", "fd"},
      {"/proc/self/fd/0", "stdin"},
      {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"},
  };
  if (access("/proc/kcore", F_OK) == 0) links.emplace_back("/proc/kcore", "core");
  for (const auto& [target, name] : links) {
    if (symlinkat(target, dev.get(), name) < 0 && errno != EEXIST) {
      return ErrnoStatus(std::string("symlink /dev/") + name);
    }
  }
  return Status::Ok();
}

std::vector<oci::DeviceCgroupRule> DefaultDeviceRules() {
  auto rule = [](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                 const char* access) {
    oci::DeviceCgroupRule r;
    r.allow = true;
    r.type = type;
    r.major = major;
    r.minor = minor;
    r.access = access;
    return r;
  };
  std::vector<oci::DeviceCgroupRule> rules = {
      rule("c", std::nullopt, std::nullopt, "m"),
      rule("b", std::nullopt, std::nullopt, "m"),
  };
  for (const auto& d : DefaultDevices()) rules.push_back(rule("c", d.major, d.minor, "rwm"));
  rules.push_back(rule("c", 136, std::nullopt, "rwm"));  // /dev/pts/*
  rules.push_back(rule("c", 5, 2, "rwm"));               // /dev/ptmx
  rules.push_back(rule("c", 10, 200, "rwm"));            // /dev/net/tun
  return rules;
}

}  // namespace see::runtime
