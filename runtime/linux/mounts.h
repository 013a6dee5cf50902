// Child-side root filesystem set-up: every path inside the container is resolved relative to an
// fd of the rootfs with openat2(RESOLVE_IN_ROOT), so a symlink in the image can never make a mount
// land outside the rootfs; mounts target the resolved O_PATH fd through /proc/self/fd/N.
//
// All functions run in the container's (new) mount namespace, single-threaded, before pivot_root
// unless stated. They change only that namespace; nothing here is visible on the host.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "runtime/oci/spec.h"

namespace see::runtime {

// "/proc/self/fd/<fd>", for syscalls that only take paths (mount(2)).
std::string FdPath(int fd);

// Opens `path` (container view, absolute or relative to the root) with `flags` (O_PATH etc.)
// inside `root_fd`. ".." and absolute symlinks are clamped at the root.
Result<UniqueFd> OpenInRoot(int root_fd, const std::string& path, int flags);

// mkdir -p inside the root; returns an O_PATH fd of the final directory. A dangling symlink on
// the way is followed by creating its target inside the root (never outside); a non-directory
// component is an error.
Result<UniqueFd> MkdirAllInRoot(int root_fd, const std::string& path, mode_t mode = 0755);

// Returns an O_PATH fd of `path` inside the root, creating it as a directory (or as an empty file
// when `directory` is false) if missing, with its parents.
Result<UniqueFd> MakeMountpoint(int root_fd, const std::string& path, bool directory);

// What the child knows about its surroundings when mounting.
struct RootfsContext {
  std::string rootfs;         // absolute host path
  bool user_ns = false;       // the container has its own user namespace
  bool new_net_ns = false;    // ... its own network namespace
  bool new_cgroup_ns = false; // ... its own cgroup namespace
  bool cgroup_v2 = false;
  std::string cgroup_path;    // the container's path in the hierarchy (v2)
  // v1: /proc/self/cgroup of the container process read before unsharing its cgroup namespace:
  // hierarchy controllers ("cpu,cpuacct", "name=systemd") -> the container's path in it.
  std::map<std::string, std::string> v1_paths;
  // Id-mapped mount sources the runtime made on the host side (MakeIdmappedTree): spec mount
  // index -> detached mount fd, moved into place instead of a bind; the rootfs likewise (-1: none).
  std::map<size_t, int> idmapped_mounts;
  int idmapped_rootfs = -1;
  // The process's cwd is the rootfs (entered before joining any namespace): PrepareRootfs works
  // from "." and leaves the cwd in the rootfs mount, for EnterRootfs(".").
  bool rootfs_is_cwd = false;
};

// --- Id-mapped mounts (OCI runtime-spec 1.1 mounts[].uidMappings/gidMappings, "idmap"/"ridmap").
// Made by the runtime in the HOST user namespace (mount_setattr(MOUNT_ATTR_IDMAP) needs
// CAP_SYS_ADMIN over the filesystem), as detached trees (open_tree(OPEN_TREE_CLONE)) that the
// container process moves into place (move_mount) inside its own mount namespace, as runc 1.2.
//
// An id-mapped mount with user namespace U shows a file whose on-disk owner is N as owned by the
// host id U maps N to: with the container's own mappings (0 -> H), files owned by 0 on disk are
// the container's root, and what the container's root writes is stored as 0.

// Annotation asking for the rootfs to be id-mapped with the container's user namespace ("true").
// The rootfs's filesystem must support id-mapped mounts (ext4, xfs, btrfs, tmpfs; not overlayfs,
// whose layers the caller id-maps instead, see MakeIdmappedTree).
inline constexpr char kRootfsIdmapAnnotation[] = "see.dev/rootfs-idmap";

// "<inside> <outside> <count>" lines, as /proc/<pid>/uid_map takes them.
std::string RenderIdMap(const std::vector<oci::IdMapping>& maps);

// A user namespace with these mappings, held by the returned fd (its short-lived creator process
// is gone when this returns). Needs CAP_SETUID/CAP_SETGID over the host ids.
Result<UniqueFd> NewUserNamespaceFd(const std::vector<oci::IdMapping>& uids,
                                    const std::vector<oci::IdMapping>& gids);

// A detached copy of the mount tree at host `path` (with its submounts when `recursive_tree`),
// id-mapped through `userns_fd` (every submount too when `recursive_idmap`).
Result<UniqueFd> MakeIdmappedTree(const std::string& path, int userns_fd, bool recursive_tree,
                                  bool recursive_idmap);

// Whether spec mount `m` asks for an id-mapped mount (mappings or "idmap"/"ridmap").
bool WantsIdmap(const oci::Mount& m);

// Parses /proc/<pid>/cgroup content into controllers -> path (v2's "" entry included).
std::map<std::string, std::string> ParseProcCgroup(const std::string& content);

// Steps before pivot_root in runc's order: root propagation, bind of the rootfs onto itself, every
// spec mount, devices, /dev symlinks, /dev/ptmx, /dev/shm.
Status PrepareRootfs(const oci::Spec& spec, const RootfsContext& ctx);

// pivot_root into ctx.rootfs and detach the old root (no_pivot: MS_MOVE + chroot instead).
Status EnterRootfs(const std::string& rootfs, bool no_pivot);

// After pivot_root: linux.rootfsPropagation shared/rshared makes the new root shared (the tree is a
// slave of the host until then, since pivot_root refuses shared mounts); others are a no-op.
Status ApplyRootPropagation(const oci::Spec& spec);

// After pivot_root: readonlyPaths, maskedPaths, root.readonly, applied in that order.
Status FinalizeRootfs(const oci::Spec& spec);

// Flags to carry over on a remount so that locked flags (nosuid/nodev/noexec/atime in a user
// namespace) are kept; taken from statfs of `path`.
unsigned long LockedMountFlags(const std::string& path);

}  // namespace see::runtime
