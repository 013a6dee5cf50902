// The devices jail: a cgroup that allows no device at all, for the serving sentry.
//
// A served open runs on a sentry thread, so the kernel's device policy (the v1 devices controller,
// or a BPF_PROG_TYPE_CGROUP_DEVICE program on cgroup v2) checks the sentry's cgroup, not the
// caller's. The serving sentry therefore moves itself into a cgroup that refuses every device: any
// open of a device node the sentry makes fails with EPERM before the driver's open runs, and the
// notify loop answers CONTINUE for such a node, so that the caller's own open, under its own cgroup
// and credentials, decides (docs/security-model.md "Where CONTINUE is used").
//
// One cgroup per node, shared by every sentry and never removed (like a slice): "see-sentry" at
// the root of the v1 devices hierarchy when that controller is mounted, else at the root of the
// cgroup2 mount. Only the serve process (and the registrar it forks) enters it: processes of a
// container never descend from it.
//
// Thread safety: EnterDevicesJail is called once, single-threaded, before serving.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"

namespace see::sentry {

struct DevicesJail {
  enum class Kind { kV1Devices, kV2Bpf };
  Kind kind = Kind::kV1Devices;
  std::string dir;   // the cgroup directory
  std::string back;  // the directory of this process's cgroup there before (for a failed entry)
  // The device node whose open must be refused once inside (tests name a non-device to make the
  // check fail and see the process go back).
  std::string probe = "/dev/null";
};

// Where the jail named `name` lives on this node (from /proc/self/mountinfo): below the v1 devices
// controller's mount if there is one, else below the cgroup2 mount. NotFound when neither is.
Result<DevicesJail> FindDevicesJail(const std::string& name = "see-sentry");
// The same, but in the hierarchy `kind` only (tests use both on a hybrid node).
Result<DevicesJail> FindDevicesJail(DevicesJail::Kind kind, const std::string& name);

// Creates the cgroup if missing, makes it refuse every device (v1: "a" into devices.deny; v2: a
// deny-all program, attached in place of any program attached before), moves the calling process
// into it and checks that an open of `jail.probe` is now refused. On success the notify loop trusts
// the kernel to refuse devices to this process (SetDevicesRefusedToSentry); otherwise the process
// is moved back to `jail.back` and FailedPrecondition says so.
Status EnterDevicesJail(const DevicesJail& jail);

namespace internal {  // parsing, exposed for tests

struct Mount {
  std::string root;   // the path inside the file system that is mounted ("/" for its root)
  std::string point;  // where
};
// The first mount of `fstype` whose super options include `option` (empty: any), from mountinfo
// text ("36 25 0:31 / /sys/fs/cgroup/devices rw,... - cgroup cgroup rw,devices").
std::optional<Mount> MountOf(const std::string& mountinfo, const std::string& fstype,
                             const std::string& option);
// This process's cgroup in the hierarchy of `kind`, from /proc/self/cgroup text: the path of the
// v1 line whose controllers include "devices" ("4:devices,freezer:/a"), or of the v2 line
// ("0::/path").
std::optional<std::string> OwnCgroup(const std::string& proc_cgroup, DevicesJail::Kind kind);

}  // namespace internal

}  // namespace see::sentry
