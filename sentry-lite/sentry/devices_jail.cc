#include "sentry-lite/sentry/devices_jail.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "base/file_util.h"
#include "base/proc_tables.h"
#include "base/unique_fd.h"
#include "sentry-lite/notify/handlers.h"

namespace see::sentry {
namespace {

long Bpf(int cmd, bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

// Loads a BPF_PROG_TYPE_CGROUP_DEVICE program that refuses every access (r0 = 0) and attaches it
// to `dir` without BPF_F_ALLOW_MULTI: it replaces the program attached before (another sentry's,
// the same), so starts never accumulate programs.
Status AttachDenyAll(const std::string& dir) {
  UniqueFd cgroup(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup.valid()) return ErrnoStatus("open " + dir);
  const bpf_insn prog[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = 0},
      {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
  };
  static const char kLicense[] = "Apache-2.0";
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog);
  load.insn_cnt = sizeof(prog) / sizeof(prog[0]);
  load.license = reinterpret_cast<uint64_t>(kLicense);
  UniqueFd prog_fd(static_cast<int>(Bpf(BPF_PROG_LOAD, &load)));
  if (!prog_fd.valid()) return ErrnoStatus("loading the deny-all device program");
  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(cgroup.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  if (Bpf(BPF_PROG_ATTACH, &attach) != 0) return ErrnoStatus("attaching the device program to " + dir);
  return Status::Ok();  // the cgroup keeps the program: no fd is held
}

}  // namespace

namespace internal {

std::optional<Mount> MountOf(const std::string& mountinfo, const std::string& fstype,
                             const std::string& option) {
  for (const MountinfoEntry& e : ParseMountinfo(mountinfo)) {
    if (e.fstype != fstype) continue;
    std::vector<std::string> opts = SplitCommas(e.super_options);
    if (option.empty() || std::find(opts.begin(), opts.end(), option) != opts.end()) {
      return Mount{e.root, e.mount_point};
    }
  }
  return std::nullopt;
}

std::optional<std::string> OwnCgroup(const std::string& proc_cgroup, DevicesJail::Kind kind) {
  for (const ProcCgroupEntry& e : ParseProcCgroup(proc_cgroup)) {
    const std::vector<std::string>& c = e.controllers;
    if (kind == DevicesJail::Kind::kV2Bpf ? e.id == "0" && c.empty()
                                          : std::find(c.begin(), c.end(), "devices") != c.end()) {
      return e.path;
    }
  }
  return std::nullopt;
}

}  // namespace internal

Result<DevicesJail> FindDevicesJail(DevicesJail::Kind kind, const std::string& name) {
  SEE_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  using internal::Mount;
  std::optional<Mount> mount = kind == DevicesJail::Kind::kV1Devices
                                   ? internal::MountOf(mountinfo, "cgroup", "devices")
                                   : internal::MountOf(mountinfo, "cgroup2", "");
  if (!mount) {
    return NotFound(kind == DevicesJail::Kind::kV1Devices ? "no v1 devices controller mounted"
                                                          : "no cgroup2 file system mounted");
  }
  // Where this process is now, as a directory under that mount: to go back to if the jail does
  // not work (half in it, the sentry's own device opens would fail). The mount may show a subtree
  // of the hierarchy (a node in a container without its own cgroup namespace).
  SEE_ASSIGN_OR_RETURN(std::string proc_cgroup, ReadFile("/proc/self/cgroup"));
  std::optional<std::string> own = internal::OwnCgroup(proc_cgroup, kind);
  if (!own) return NotFound("this process has no cgroup in the jail's hierarchy");
  std::string rel;
  if (mount->root == "/") {
    rel = *own;
  } else if (*own == mount->root || own->starts_with(mount->root + "/")) {
    rel = own->substr(mount->root.size());
  } else {
    return NotFound("this process's cgroup " + *own + " is not below the mount of " + mount->root);
  }
  if (rel == "/") rel.clear();
  return DevicesJail{kind, mount->point + "/" + name, mount->point + rel};
}

Result<DevicesJail> FindDevicesJail(const std::string& name) {
  auto v1 = FindDevicesJail(DevicesJail::Kind::kV1Devices, name);
  if (v1.ok()) return v1;
  return FindDevicesJail(DevicesJail::Kind::kV2Bpf, name);
}

Status EnterDevicesJail(const DevicesJail& jail) {
  if (mkdir(jail.dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus("mkdir " + jail.dir);
  if (jail.kind == DevicesJail::Kind::kV1Devices) {
    SEE_RETURN_IF_ERROR(WriteExistingFile(jail.dir + "/devices.deny", "a"));
  } else {
    SEE_RETURN_IF_ERROR(AttachDenyAll(jail.dir));
  }
  SEE_RETURN_IF_ERROR(WriteExistingFile(jail.dir + "/cgroup.procs", std::to_string(getpid())));
  // The kernel must now refuse a device to this process; otherwise nothing is trusted to it.
  UniqueFd probe(open(jail.probe.c_str(), O_RDONLY | O_CLOEXEC));
  if (probe.valid() || errno != EPERM) {
    int err = probe.valid() ? 0 : errno;
    Status back = WriteExistingFile(jail.back + "/cgroup.procs", std::to_string(getpid()));
    return FailedPrecondition("the devices jail " + jail.dir + " does not refuse " + jail.probe + " (" +
                              (err == 0 ? std::string("opened") : strerror(err)) + "); " +
                              (back.ok() ? "back in " + jail.back : "could not go back: " + back.ToString()));
  }
  SetDevicesRefusedToSentry(true);
  return Status::Ok();
}

}  // namespace see::sentry
