// cgroup statistics in the message types containerd's `ctr task metrics` and the CRI plugin
// decode: io.containerd.cgroups.v1.Metrics on v1 hosts, io.containerd.cgroups.v2.Metrics on v2.
#pragma once

#include <google/protobuf/any.pb.h>

#include "base/status.h"
#include "runtime/cgroups/cgroup.h"

namespace see::shim {

// Packs `stats` into the Any that StatsResponse.stats carries (version picked from stats.version).
Result<google::protobuf::Any> MetricsAny(const cgroups::Stats& stats);

}  // namespace see::shim
