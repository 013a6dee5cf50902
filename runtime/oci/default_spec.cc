// DefaultSpec: the same content `runc spec` (runc 1.1) writes, so `runsee spec` is a drop-in.
#include <sys/resource.h>
#include <unistd.h>

#include "runtime/oci/spec.h"

namespace see::oci {

Spec DefaultSpec(bool rootless) {
  Spec s;
  s.oci_version = "1.0.2-dev";

  Process p;
  p.terminal = true;
  p.args = {"sh"};
  p.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  p.cwd = "/";
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  Capabilities c;
  c.bounding = c.effective = c.permitted = c.ambient = caps;
  p.capabilities = c;
  p.rlimits = {Rlimit{.type = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE, .soft = 1024,
                      .hard = 1024}};
  p.no_new_privileges = true;
  s.process = p;

  s.root = Root{.path = "rootfs", .readonly = true};
  s.hostname = "runc";

  s.mounts = {
      {.destination = "/proc", .type = "proc", .source = "proc"},
      {.destination = "/dev", .type = "tmpfs", .source = "tmpfs",
       .options = {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {.destination = "/dev/pts", .type = "devpts", .source = "devpts",
       .options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {.destination = "/dev/shm", .type = "tmpfs", .source = "shm",
       .options = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {.destination = "/dev/mqueue", .type = "mqueue", .source = "mqueue",
       .options = {"nosuid", "noexec", "nodev"}},
      {.destination = "/sys", .type = "sysfs", .source = "sysfs",
       .options = {"nosuid", "noexec", "nodev", "ro"}},
      {.destination = "/sys/fs/cgroup", .type = "cgroup", .source = "cgroup",
       .options = {"nosuid", "noexec", "nodev", "relatime", "ro"}},
  };

  Linux l;
  l.namespaces = {{NamespaceType::kPid, ""}, {NamespaceType::kNetwork, ""},
                  {NamespaceType::kIpc, ""}, {NamespaceType::kUts, ""},
                  {NamespaceType::kMount, ""}};
  l.masked_paths = {"/proc/acpi",        "/proc/asound",     "/proc/kcore",
                    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                    "/proc/scsi"};
  l.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

  if (rootless) {
    // As `runc spec --rootless`: no gid=5 (group 5 is unmapped), sysfs cannot be mounted without
    // owning the network namespace so it is bind-mounted, the host network is kept, and the
    // caller's ids become root in a new user namespace. No device cgroup: it cannot be managed.
    s.mounts[2].options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
    s.mounts[5] = {.destination = "/sys", .type = "none", .source = "/sys",
                   .options = {"rbind", "nosuid", "noexec", "nodev", "ro"}};
    l.namespaces = {{NamespaceType::kPid, ""}, {NamespaceType::kIpc, ""},
                    {NamespaceType::kUts, ""}, {NamespaceType::kMount, ""},
                    {NamespaceType::kUser, ""}};
    l.uid_mappings = {{.container_id = 0, .host_id = static_cast<uint32_t>(getuid()), .size = 1}};
    l.gid_mappings = {{.container_id = 0, .host_id = static_cast<uint32_t>(getgid()), .size = 1}};
  } else {
    Resources r;
    r.devices = {DeviceCgroupRule{.allow = false, .type = "a", .access = "rwm"}};
    l.resources = r;
  }
  s.linux = l;
  return s;
}

}  // namespace see::oci
