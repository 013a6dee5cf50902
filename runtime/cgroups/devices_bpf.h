// cgroup v2 device rules: the OCI rule list, with cgroup v1 devices.allow/deny semantics, compiled
// into an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program and attached to the cgroup directory.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/oci/spec.h"

namespace see::cgroups::internal {

// What v1's devices controller would hold after the rules were written in order: a default
// (allow or deny everything) and exceptions to it. Access bits: BPF_DEVCG_ACC_{MKNOD,READ,WRITE}.
struct DeviceException {
  char type = 'c';                      // 'c' or 'b'
  std::optional<uint32_t> major, minor;  // nullopt: any
  uint32_t access = 0;
};
struct DevicePolicy {
  bool default_allow = true;  // a fresh v1 cgroup allows everything
  std::vector<DeviceException> exceptions;
};

// InvalidArgument for a bad type, access string or negative number.
Result<DevicePolicy> EmulateV1DeviceRules(const std::vector<oci::DeviceCgroupRule>& rules);

// The filter: an access matching an exception gets the opposite of the default.
std::vector<bpf_insn> DeviceFilterProgram(const DevicePolicy& policy);

// Loads the program for `rules` and attaches it to `cgroup_dir` with BPF_F_ALLOW_MULTI, then
// detaches the device programs attached to that cgroup before (an update replaces the policy).
// The kernel keeps the program alive while it is attached; no fd is kept.
Status AttachDeviceFilter(const std::string& cgroup_dir,
                          const std::vector<oci::DeviceCgroupRule>& rules);

}  // namespace see::cgroups::internal
