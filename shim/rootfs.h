// The container's root filesystem as containerd hands it over: CreateTaskRequest.rootfs is a list
// of mounts (overlay from the overlayfs snapshotter, a bind from the native one) that the shim
// mounts, in order, onto <bundle>/rootfs (containerd's mount.All), and unmounts on delete.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace see::shim {

struct RootfsMount {
  std::string type, source;
  std::vector<std::string> options;
};

// Mounts each entry onto `target` (created if missing). On failure, what was mounted is
// unmounted again. "bind"/"rbind" in options or type "bind" make a bind mount; a read-only bind is
// remounted read-only as the kernel requires.
Status MountRootfs(const std::vector<RootfsMount>& mounts, const std::string& target);

// Unmounts everything stacked on `target` (MNT_DETACH, until nothing is mounted there).
// Not mounted: OK.
Status UnmountRootfs(const std::string& target);

}  // namespace see::shim
