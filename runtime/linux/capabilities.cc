#include "runtime/linux/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "base/file_util.h"
#include "base/logging.h"

namespace see::runtime {
namespace {

Result<uint64_t> ToBits(const std::vector<std::string>& names, const char* set, int last_cap) {
  uint64_t bits = 0;
  for (const auto& n : names) {
    auto cap = oci::CapabilityFromName(n);
    if (!cap.ok()) return cap.status().Wrap(std::string("process.capabilities.") + set);
    if (*cap > last_cap) {
      spdlog::warn("capability {} is not known to the running kernel, ignored", n);
      continue;
    }
    bits |= uint64_t{1} << *cap;
  }
  return bits;
}

}  // namespace

int LastCap() {
  auto s = ReadFile("/proc/sys/kernel/cap_last_cap");
  if (s.ok()) {
    try {
      return std::stoi(*s);
    } catch (...) {
    }
  }
  return CAP_LAST_CAP;
}

Result<CapSets> ComputeCapSets(const oci::Capabilities& caps, int last_cap) {
  CapSets out;
  SEE_ASSIGN_OR_RETURN(out.bounding, ToBits(caps.bounding, "bounding", last_cap));
  SEE_ASSIGN_OR_RETURN(out.effective, ToBits(caps.effective, "effective", last_cap));
  SEE_ASSIGN_OR_RETURN(out.permitted, ToBits(caps.permitted, "permitted", last_cap));
  SEE_ASSIGN_OR_RETURN(out.inheritable, ToBits(caps.inheritable, "inheritable", last_cap));
  SEE_ASSIGN_OR_RETURN(out.ambient, ToBits(caps.ambient, "ambient", last_cap));
  return out;
}

Status ApplyBoundingSet(uint64_t bounding, int last_cap) {
  for (int cap = 0; cap <= last_cap; ++cap) {
    if (bounding & (uint64_t{1} << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
      return ErrnoStatus("dropping capability " + std::to_string(cap) + " from the bounding set");
    }
  }
  return Status::Ok();
}

Result<CapSets> ReadCapSets() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) < 0) return ErrnoStatus("capget");
  auto join = [](uint32_t lo, uint32_t hi) { return (uint64_t{hi} << 32) | lo; };
  CapSets sets;
  sets.effective = join(data[0].effective, data[1].effective);
  sets.permitted = join(data[0].permitted, data[1].permitted);
  sets.inheritable = join(data[0].inheritable, data[1].inheritable);
  return sets;
}

Status SetCapSets(const CapSets& sets) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = static_cast<uint32_t>(sets.effective);
  data[1].effective = static_cast<uint32_t>(sets.effective >> 32);
  data[0].permitted = static_cast<uint32_t>(sets.permitted);
  data[1].permitted = static_cast<uint32_t>(sets.permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(sets.inheritable);
  data[1].inheritable = static_cast<uint32_t>(sets.inheritable >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) return ErrnoStatus("capset");
  return Status::Ok();
}

Status ApplyCapSets(const CapSets& sets, int last_cap) {
  SEE_RETURN_IF_ERROR(SetCapSets(sets));
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    return ErrnoStatus("clearing ambient capabilities");
  }
  for (int cap = 0; cap <= last_cap; ++cap) {
    if (!(sets.ambient & (uint64_t{1} << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
      spdlog::warn("cannot raise ambient capability {}: {}", cap, strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace see::runtime
