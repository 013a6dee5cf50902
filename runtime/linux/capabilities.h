// Capability sets from process.capabilities, and applying them in the child.
#pragma once

#include <cstdint>
#include <optional>

#include "base/status.h"
#include "runtime/oci/spec.h"

namespace see::runtime {

struct CapSets {
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};

// Bit sets from the names. Unknown names: InvalidArgument naming the set. Capabilities above the
// running kernel's cap_last_cap are dropped with a warning (as runc does for newer specs).
Result<CapSets> ComputeCapSets(const oci::Capabilities& caps, int last_cap);

// /proc/sys/kernel/cap_last_cap (CAP_LAST_CAP of the headers if unreadable).
int LastCap();

// Drops every capability not in `bounding` from the bounding set. REQUIRES: CAP_SETPCAP, i.e.
// call before changing uid.
Status ApplyBoundingSet(uint64_t bounding, int last_cap);
// capset(effective, permitted, inheritable), then the ambient set (raising an ambient capability
// the kernel refuses is logged, not fatal, as runc).
Status ApplyCapSets(const CapSets& sets, int last_cap);

// The calling thread's effective, permitted and inheritable sets (capget), and setting just those
// three (capset; bounding and ambient are left as they are).
Result<CapSets> ReadCapSets();
Status SetCapSets(const CapSets& sets);

}  // namespace see::runtime
