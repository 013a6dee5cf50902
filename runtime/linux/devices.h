// Device nodes in the container's /dev: the default set (null, zero, full, random, urandom, tty)
// plus the spec's devices. In a user namespace mknod is not permitted, so nodes are bind-mounted
// from the host instead, as runc does.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/oci/spec.h"

namespace see::runtime {

// The devices every container gets (as runc's AllowedDevices with a path).
const std::vector<oci::Device>& DefaultDevices();

// REQUIRES: called in the container's mount namespace before pivot_root; `root_fd` is the rootfs.
Status CreateDevices(int root_fd, const std::vector<oci::Device>& spec_devices, bool bind_from_host);

// /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr (and /dev/core when /proc/kcore exists).
Status CreateDevSymlinks(int root_fd);

// Cgroup device rules runc adds after the spec's own: mknod of anything, and rwm on the default
// devices, /dev/pts/*, /dev/ptmx, /dev/net/tun. (Spec devices need their own rules in the spec,
// as with runc.)
std::vector<oci::DeviceCgroupRule> DefaultDeviceRules();

}  // namespace see::runtime
