// cgroup v2: one unified directory.
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "base/logging.h"
#include "runtime/cgroups/devices_bpf.h"
#include "runtime/cgroups/internal.h"

namespace see::cgroups::internal {
namespace {

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\n') ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

void EnableControllers(const std::string& dir) {
  auto available = ReadCgroupFile(dir, "cgroup.controllers");
  if (!available.ok()) return;
  auto enabled = ReadCgroupFile(dir, "cgroup.subtree_control");
  std::vector<std::string> on = enabled.ok() ? Words(*enabled) : std::vector<std::string>{};
  for (const std::string& c : Words(*available)) {
    if (std::find(on.begin(), on.end(), c) != on.end()) continue;
    // One at a time, so one controller the kernel refuses does not block the others.
    Status s = WriteCgroupFile(dir, "cgroup.subtree_control", "+" + c);
    if (!s.ok()) spdlog::warn("cgroup {}: enabling controller {}: {}", dir, c, s.ToString());
  }
}

std::string MajMin(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

class V2Manager final : public Manager {
 public:
  V2Manager(std::string path, CgroupDir d) : path_(std::move(path)), d_(std::move(d)) {}

  Version version() const override { return Version::kV2; }
  const std::string& path() const override { return path_; }
  std::string ControllerDir(const std::string&) const override { return d_.dir; }

  Status Create() override { return CreateV2Path(d_, /*enable_controllers=*/true); }

  Status AddProcess(pid_t pid) override {
    return WriteCgroupFile(d_.dir, "cgroup.procs", std::to_string(pid));
  }

  Status Apply(const oci::Resources& r) override {
    const std::string& dir = d_.dir;
    if (r.cpu) SEE_RETURN_IF_ERROR(ApplyCpu(*r.cpu));
    if (r.memory) SEE_RETURN_IF_ERROR(ApplyMemory(*r.memory));
    if (r.pids) {
      SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "pids.max",
                                          LimitString(r.pids->limit > 0 ? r.pids->limit : -1)));
    }
    if (r.block_io) SEE_RETURN_IF_ERROR(ApplyIo(*r.block_io));
    for (const auto& h : r.hugepage_limits) {
      if (h.page_size.empty() || h.page_size.find('/') != std::string::npos) {
        return InvalidArgument("hugepageLimits: bad page size \"" + h.page_size + "\"");
      }
      SEE_RETURN_IF_ERROR(
          WriteCgroupFile(dir, "hugetlb." + h.page_size + ".max", std::to_string(h.limit)));
    }
    if (r.network && (r.network->class_id || !r.network->priorities.empty())) {
      spdlog::warn("cgroup {}: network classID/priorities have no cgroup v2 equivalent; ignored",
                   dir);
    }
    if (!r.devices.empty()) {
      SEE_RETURN_IF_ERROR(AttachDeviceFilter(dir, r.devices).Wrap("cgroup v2 device rules"));
    }
    // Last, so that explicit unified values override the converted ones (as runc).
    for (const auto& [key, value] : r.unified) {
      SEE_RETURN_IF_ERROR(ValidateUnifiedKey(key));
      Status s = WriteCgroupFile(dir, key, value);
      if (!s.ok() && s.err() == ENOENT) {
        return s.Wrap("unified: " + key + " does not exist (controller not enabled?)");
      }
      SEE_RETURN_IF_ERROR(s);
    }
    return Status::Ok();
  }

  Status Freeze() override {
    SEE_RETURN_IF_ERROR(RequireFreezer());
    SEE_RETURN_IF_ERROR(WriteCgroupFile(d_.dir, "cgroup.freeze", "1"));
    constexpr int kPolls = 1000;
    for (int i = 0; i < kPolls; ++i) {
      SEE_ASSIGN_OR_RETURN(FreezerState state, GetFreezerState());
      if (state == FreezerState::kFrozen) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    Status thaw = Thaw();
    if (!thaw.ok()) spdlog::warn("thaw after failed freeze: {}", thaw.ToString());
    return Status(Code::kDeadlineExceeded, "cgroup " + d_.dir + " did not freeze in time");
  }

  Status Thaw() override {
    SEE_RETURN_IF_ERROR(RequireFreezer());
    return WriteCgroupFile(d_.dir, "cgroup.freeze", "0");
  }

  Result<FreezerState> GetFreezerState() override {
    if (!CgroupFileExists(d_.dir, "cgroup.freeze")) return FreezerState::kThawed;
    SEE_ASSIGN_OR_RETURN(std::string wanted, ReadCgroupFile(d_.dir, "cgroup.freeze"));
    SEE_ASSIGN_OR_RETURN(std::string events, ReadCgroupFile(d_.dir, "cgroup.events"));
    bool frozen = FindKey(ParseFlatKeyed(events), "frozen").value_or(0) == 1;
    if (frozen) return FreezerState::kFrozen;
    return wanted == "1" ? FreezerState::kFreezing : FreezerState::kThawed;
  }

  Result<std::vector<pid_t>> Pids() override { return ReadPidsRecursive(d_.dir); }

  Result<Stats> GetStats() override {
    const std::string& dir = d_.dir;
    Stats st;
    st.version = Version::kV2;
    // Controllers that are not enabled have no files: their stats stay zero.
    if (auto v = ReadCgroupFile(dir, "cpu.stat"); v.ok()) {
      KeyValues kv = ParseFlatKeyed(*v);
      st.cpu.usage_ns = FindKey(kv, "usage_usec").value_or(0) * 1000;
      st.cpu.user_ns = FindKey(kv, "user_usec").value_or(0) * 1000;
      st.cpu.system_ns = FindKey(kv, "system_usec").value_or(0) * 1000;
      st.cpu.nr_periods = FindKey(kv, "nr_periods").value_or(0);
      st.cpu.nr_throttled = FindKey(kv, "nr_throttled").value_or(0);
      st.cpu.throttled_ns = FindKey(kv, "throttled_usec").value_or(0) * 1000;
    }
    MemoryStats& m = st.memory;
    if (auto v = ReadCgroupUint(dir, "memory.current"); v.ok()) m.usage = *v;
    if (auto v = ReadCgroupUint(dir, "memory.peak"); v.ok()) m.max_usage = *v;
    if (auto v = ReadCgroupUint(dir, "memory.max"); v.ok()) m.limit = *v;
    if (auto v = ReadCgroupUint(dir, "memory.swap.current"); v.ok()) m.swap_usage = *v;
    if (auto v = ReadCgroupUint(dir, "memory.swap.max"); v.ok()) m.swap_limit = *v;
    if (auto v = ReadCgroupFile(dir, "memory.stat"); v.ok()) {
      m.raw = ParseFlatKeyed(*v);
      m.cache = FindKey(m.raw, "file").value_or(0);
      m.rss = FindKey(m.raw, "anon").value_or(0);
    }
    if (auto v = ReadCgroupFile(dir, "memory.events"); v.ok()) {
      KeyValues kv = ParseFlatKeyed(*v);
      m.failcnt = FindKey(kv, "max").value_or(0);
      m.oom_kill = FindKey(kv, "oom_kill").value_or(0);
    }
    if (auto v = ReadCgroupUint(dir, "pids.current"); v.ok()) st.pids.current = *v;
    if (auto v = ReadCgroupUint(dir, "pids.max"); v.ok()) {
      st.pids.limit = *v == UINT64_MAX ? 0 : *v;
    }
    if (auto v = ReadCgroupFile(dir, "io.stat"); v.ok()) {
      ParseIoStatV2(*v, &st.io_service_bytes, &st.io_serviced);
    }
    for (const std::string& size : HugePageSizes(dir, ".current")) {
      HugetlbStats h;
      h.page_size = size;
      if (auto v = ReadCgroupUint(dir, "hugetlb." + size + ".current"); v.ok()) h.usage = *v;
      if (auto v = ReadCgroupUint(dir, "hugetlb." + size + ".max"); v.ok()) h.max = *v;
      if (auto v = ReadCgroupFile(dir, "hugetlb." + size + ".events"); v.ok()) {
        h.failcnt = FindKey(ParseFlatKeyed(*v), "max").value_or(0);
      }
      st.hugetlb.push_back(std::move(h));
    }
    return st;
  }

  Result<UniqueFd> OpenOomNotifier() override {
    std::string events = d_.dir + "/memory.events";
    if (!CgroupFileExists(d_.dir, "memory.events")) {
      return NotFound("no " + events + " (memory controller not enabled for this cgroup)");
    }
    UniqueFd fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!fd) return ErrnoStatus("inotify_init1");
    if (::inotify_add_watch(fd.get(), events.c_str(), IN_MODIFY) < 0) {
      return ErrnoStatus("inotify_add_watch " + events);
    }
    return fd;
  }

  Result<uint64_t> OomKillCount() override {
    SEE_ASSIGN_OR_RETURN(std::string text, ReadCgroupFile(d_.dir, "memory.events"));
    return FindKey(ParseFlatKeyed(text), "oom_kill").value_or(0);
  }

  Status KillAll(int sig) override {
    if (sig == SIGKILL && CgroupFileExists(d_.dir, "cgroup.kill")) {
      // The kernel kills the whole subtree atomically with respect to forks.
      SEE_RETURN_IF_ERROR(WriteCgroupFile(d_.dir, "cgroup.kill", "1"));
      return WaitUntilEmpty(*this);
    }
    return SignalAllProcesses(*this, CgroupFileExists(d_.dir, "cgroup.freeze"), sig);
  }

  Status Destroy() override { return RemoveCgroupTree(d_.dir); }

 private:
  Status RequireFreezer() const {
    if (!CgroupFileExists(d_.dir, "cgroup.freeze")) {
      return Unimplemented("no " + d_.dir + "/cgroup.freeze (kernel older than 5.2?)");
    }
    return Status::Ok();
  }

  Status ApplyCpu(const oci::CpuResources& c) {
    const std::string& dir = d_.dir;
    if ((c.realtime_runtime && *c.realtime_runtime != 0) ||
        (c.realtime_period && *c.realtime_period != 0)) {
      return InvalidArgument("cpu.realtimeRuntime/realtimePeriod are not supported on cgroup v2");
    }
    if (c.shares && *c.shares != 0) {
      SEE_RETURN_IF_ERROR(
          WriteCgroupFile(dir, "cpu.weight", std::to_string(CpuSharesToWeight(*c.shares))));
    }
    if ((c.quota && *c.quota != 0) || (c.period && *c.period != 0)) {
      // cpu.max holds both; keep the current half that the update does not set.
      std::string quota = "max", period = "100000";
      if (auto cur = ReadCgroupFile(dir, "cpu.max"); cur.ok()) {
        auto w = Words(*cur);
        if (w.size() == 2) {
          quota = w[0];
          period = w[1];
        }
      }
      if (c.quota && *c.quota != 0) quota = LimitString(*c.quota);
      if (c.period && *c.period != 0) period = std::to_string(*c.period);
      SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "cpu.max", quota + " " + period));
    }
    if (c.idle) SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "cpu.idle", std::to_string(*c.idle)));
    if (!c.cpus.empty()) SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "cpuset.cpus", c.cpus));
    if (!c.mems.empty()) SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "cpuset.mems", c.mems));
    return Status::Ok();
  }

  Status ApplyMemory(const oci::MemoryResources& m) {
    const std::string& dir = d_.dir;
    // runc's conventions: 0 means "not set"; -1 is unlimited.
    const int64_t limit = m.limit.value_or(0);
    int64_t swap = m.swap.value_or(0);
    if (limit == -1 && swap == 0) swap = -1;
    if (swap != 0) {
      SEE_ASSIGN_OR_RETURN(int64_t v2_swap, SwapToV2(swap, limit));
      if (CgroupFileExists(dir, "memory.swap.max")) {
        SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "memory.swap.max", LimitString(v2_swap)));
      } else if (v2_swap != -1) {
        return FailedPrecondition("memory.swap requested but the kernel has no " + dir +
                                  "/memory.swap.max (swap accounting disabled?)");
      }
    }
    if (limit != 0) SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "memory.max", LimitString(limit)));
    if (m.reservation && *m.reservation != 0) {
      SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "memory.low", LimitString(*m.reservation)));
    }
    if ((m.kernel && *m.kernel != 0) || (m.kernel_tcp && *m.kernel_tcp != 0)) {
      spdlog::warn("cgroup {}: kernel memory limits do not exist on cgroup v2; ignored", dir);
    }
    if (m.swappiness) {
      spdlog::warn("cgroup {}: memory.swappiness does not exist on cgroup v2; ignored", dir);
    }
    if (m.disable_oom_killer && *m.disable_oom_killer) {
      spdlog::warn("cgroup {}: disableOOMKiller is not supported on cgroup v2; ignored", dir);
    }
    return Status::Ok();
  }

  Status ApplyIo(const oci::BlockIoResources& b) {
    const std::string& dir = d_.dir;
    // BFQ takes the v1 weight range as is; the generic io.weight needs runc's conversion.
    const bool bfq = CgroupFileExists(dir, "io.bfq.weight");
    auto weight_value = [bfq](uint16_t w) {
      return std::to_string(bfq ? uint64_t{w} : BlkioWeightToIoWeight(w));
    };
    const char* weight_file = bfq ? "io.bfq.weight" : "io.weight";
    if (b.weight) SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, weight_file, weight_value(*b.weight)));
    if (b.leaf_weight) spdlog::warn("cgroup {}: blkio leafWeight has no v2 equivalent", dir);
    for (const oci::WeightDevice& w : b.weight_device) {
      if (!w.weight) continue;
      SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, weight_file,
                                          MajMin(w.major, w.minor) + " " + weight_value(*w.weight)));
    }
    const std::pair<const char*, const std::vector<oci::ThrottleDevice>*> limits[] = {
        {"rbps", &b.throttle_read_bps_device},
        {"wbps", &b.throttle_write_bps_device},
        {"riops", &b.throttle_read_iops_device},
        {"wiops", &b.throttle_write_iops_device},
    };
    for (const auto& [key, list] : limits) {
      for (const oci::ThrottleDevice& t : *list) {
        // Rate 0 means "no limit" in v1; io.max spells that "max".
        std::string rate = t.rate == 0 ? "max" : std::to_string(t.rate);
        SEE_RETURN_IF_ERROR(WriteCgroupFile(
            dir, "io.max", MajMin(t.major, t.minor) + " " + key + "=" + rate));
      }
    }
    return Status::Ok();
  }

  std::string path_;
  CgroupDir d_;
};

}  // namespace

Status CreateV2Path(const CgroupDir& d, bool enable_controllers) {
  std::string cur = d.mount;
  for (const std::string& c : PathComponents(std::string_view(d.dir).substr(d.mount.size()))) {
    if (enable_controllers) EnableControllers(cur);
    cur += "/" + c;
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus("mkdir " + cur);
  }
  return Status::Ok();
}

std::unique_ptr<Manager> NewV2Manager(std::string path, CgroupDir dir) {
  return std::make_unique<V2Manager>(std::move(path), std::move(dir));
}

}  // namespace see::cgroups::internal
