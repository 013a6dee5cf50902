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
//
// `layer_userns_fd` >= 0 (a pod user namespace): the rootfs is seen through it. overlayfs itself
// cannot be id-mapped, so each layer is (runtime MakeIdmappedTree): every lowerdir, and the
// directory holding upperdir and workdir (they must share one mount); a bind is id-mapped whole.
Status MountRootfs(const std::vector<RootfsMount>& mounts, const std::string& target,
                   int layer_userns_fd = -1);

// Unmounts everything stacked on `target` (MNT_DETACH, until nothing is mounted there).
// Not mounted: OK.
Status UnmountRootfs(const std::string& target);

}  // namespace see::shim
