// cgroup v1: one directory per controller.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "base/file_util.h"
#include "base/logging.h"
#include "runtime/cgroups/internal.h"

namespace see::cgroups::internal {
namespace {

Status MkdirExistingOk(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus("mkdir " + dir);
  return Status::Ok();
}

// The kernel creates cpuset.cpus/mems empty in a new cpuset cgroup and refuses tasks there, so
// every level inherits its parent's values when empty.
Status CreateCpusetPath(const CgroupDir& d) {
  std::string cur = d.mount;
  for (const std::string& c : PathComponents(std::string_view(d.dir).substr(d.mount.size()))) {
    std::string parent = cur;
    cur += "/" + c;
    SEE_RETURN_IF_ERROR(MkdirExistingOk(cur));
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      auto mine = ReadCgroupFile(cur, file);
      if (!mine.ok() || !mine->empty()) continue;  // missing: not a cpuset we can fix
      SEE_ASSIGN_OR_RETURN(std::string from_parent, ReadCgroupFile(parent, file));
      SEE_RETURN_IF_ERROR(WriteCgroupFile(cur, file, from_parent));
    }
  }
  return Status::Ok();
}

std::string MajMin(int64_t major, int64_t minor, const std::string& value) {
  return std::to_string(major) + ":" + std::to_string(minor) + " " + value;
}

Status ControllerMissing(const char* controller, const char* what) {
  return FailedPrecondition(std::string(what) + " requested but the " + controller +
                            " cgroup controller is not mounted");
}

// cgroup v1 kmem limits are deprecated and refused by newer kernels (EOPNOTSUPP); runc ignores
// them too, so a refusal is a warning, not a failure.
void WriteKernelMemory(const std::string& dir, const char* file, int64_t value) {
  if (!CgroupFileExists(dir, file)) {
    spdlog::warn("cgroup {}: {} not available, kernel memory limit ignored", dir, file);
    return;
  }
  Status s = WriteCgroupFile(dir, file, std::to_string(value));
  if (!s.ok()) spdlog::warn("cgroup {}: kernel memory limit ignored: {}", dir, s.ToString());
}

class V1Manager final : public Manager {
 public:
  V1Manager(std::string path, std::vector<CgroupDir> dirs, CgroupDir unified)
      : path_(std::move(path)), dirs_(std::move(dirs)), unified_(std::move(unified)) {}

  Version version() const override { return Version::kV1; }
  const std::string& path() const override { return path_; }
  std::string ControllerDir(const std::string& controller) const override {
    for (const CgroupDir& d : dirs_) {
      // Co-mounted controllers share a directory named "cpu,cpuacct".
      std::string names = "," + d.controller + ",";
      if (names.find("," + controller + ",") != std::string::npos) return d.dir;
    }
    return "";
  }

  Status Create() override {
    for (const CgroupDir& d : dirs_) {
      if (d.controller == "cpuset") {
        SEE_RETURN_IF_ERROR(CreateCpusetPath(d).Wrap("creating cpuset cgroup"));
      } else {
        SEE_RETURN_IF_ERROR(MkdirAll(d.dir));
      }
    }
    if (!unified_.dir.empty()) {
      Status s = CreateV2Path(unified_, /*enable_controllers=*/false);
      if (!s.ok()) spdlog::warn("hybrid cgroup2 path not created: {}", s.ToString());
    }
    return Status::Ok();
  }

  Status AddProcess(pid_t pid) override {
    std::string p = std::to_string(pid);
    for (const CgroupDir& d : dirs_) {
      SEE_RETURN_IF_ERROR(WriteCgroupFile(d.dir, "cgroup.procs", p));
    }
    if (!unified_.dir.empty()) {
      Status s = WriteCgroupFile(unified_.dir, "cgroup.procs", p);
      if (!s.ok()) spdlog::warn("hybrid cgroup2 join failed: {}", s.ToString());
    }
    return Status::Ok();
  }

  Status Apply(const oci::Resources& r) override {
    if (r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty())) {
      SEE_RETURN_IF_ERROR(ApplyCpuset(*r.cpu));
    }
    if (!r.devices.empty()) SEE_RETURN_IF_ERROR(ApplyDevices(r.devices));
    if (r.memory) SEE_RETURN_IF_ERROR(ApplyMemory(*r.memory));
    if (r.cpu) SEE_RETURN_IF_ERROR(ApplyCpu(*r.cpu));
    if (r.pids) {
      const std::string* dir = Dir("pids");
      if (dir == nullptr) return ControllerMissing("pids", "pids limit");
      SEE_RETURN_IF_ERROR(WriteCgroupFile(*dir, "pids.max", LimitString(
          r.pids->limit > 0 ? r.pids->limit : -1)));
    }
    if (r.block_io) SEE_RETURN_IF_ERROR(ApplyBlkio(*r.block_io));
    if (!r.hugepage_limits.empty()) {
      const std::string* dir = Dir("hugetlb");
      if (dir == nullptr) return ControllerMissing("hugetlb", "hugepage limit");
      for (const auto& h : r.hugepage_limits) {
        if (h.page_size.empty() || h.page_size.find('/') != std::string::npos) {
          return InvalidArgument("hugepageLimits: bad page size \"" + h.page_size + "\"");
        }
        SEE_RETURN_IF_ERROR(WriteCgroupFile(*dir, "hugetlb." + h.page_size + ".limit_in_bytes",
                                            std::to_string(h.limit)));
      }
    }
    if (r.network) SEE_RETURN_IF_ERROR(ApplyNetwork(*r.network));
    if (!r.unified.empty()) {
      // Hybrid hosts have a cgroup2 tree beside v1; without it there is nowhere to write.
      if (unified_.dir.empty()) {
        return InvalidArgument("unified resources need cgroup v2 (this host is cgroup v1)");
      }
      for (const auto& [key, value] : r.unified) {
        SEE_RETURN_IF_ERROR(ValidateUnifiedKey(key));
        SEE_RETURN_IF_ERROR(WriteCgroupFile(unified_.dir, key, value));
      }
    }
    return Status::Ok();
  }

  Status Freeze() override {
    const std::string* dir = Dir("freezer");
    if (dir == nullptr) return Unimplemented("freezer cgroup controller is not mounted");
    // The v1 freezer can stall in FREEZING when a task is in an uninterruptible sleep; writing
    // FROZEN again retries the tasks that were skipped (as runc does).
    constexpr int kPolls = 1000;
    for (int i = 0; i < kPolls; ++i) {
      if (i % 50 == 0) SEE_RETURN_IF_ERROR(WriteCgroupFile(*dir, "freezer.state", "FROZEN"));
      SEE_ASSIGN_OR_RETURN(std::string state, ReadCgroupFile(*dir, "freezer.state"));
      if (state == "FROZEN") return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    Status thaw = Thaw();
    if (!thaw.ok()) spdlog::warn("thaw after failed freeze: {}", thaw.ToString());
    return Status(Code::kDeadlineExceeded, "cgroup " + *dir + " did not freeze in time");
  }

  Status Thaw() override {
    const std::string* dir = Dir("freezer");
    if (dir == nullptr) return Unimplemented("freezer cgroup controller is not mounted");
    return WriteCgroupFile(*dir, "freezer.state", "THAWED");
  }

  Result<FreezerState> GetFreezerState() override {
    const std::string* dir = Dir("freezer");
    if (dir == nullptr) return FreezerState::kThawed;
    SEE_ASSIGN_OR_RETURN(std::string state, ReadCgroupFile(*dir, "freezer.state"));
    if (state == "FROZEN") return FreezerState::kFrozen;
    if (state == "FREEZING") return FreezerState::kFreezing;
    if (state == "THAWED") return FreezerState::kThawed;
    return Internal("unknown freezer.state \"" + state + "\" in " + *dir);
  }

  Result<std::vector<pid_t>> Pids() override { return ReadPidsRecursive(PrimaryDir()); }

  Result<Stats> GetStats() override {
    Stats st;
    st.version = Version::kV1;
    if (const std::string* dir = Dir("cpuacct")) {
      if (auto v = ReadCgroupUint(*dir, "cpuacct.usage"); v.ok()) st.cpu.usage_ns = *v;
      if (auto v = ReadCgroupFile(*dir, "cpuacct.usage_percpu"); v.ok()) {
        st.cpu.per_cpu_ns = ParseUintList(*v);
      }
      if (auto v = ReadCgroupFile(*dir, "cpuacct.stat"); v.ok()) {
        // USER_HZ ticks.
        const uint64_t ns_per_tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
        KeyValues kv = ParseFlatKeyed(*v);
        st.cpu.user_ns = FindKey(kv, "user").value_or(0) * ns_per_tick;
        st.cpu.system_ns = FindKey(kv, "system").value_or(0) * ns_per_tick;
      }
    }
    if (const std::string* dir = Dir("cpu")) {
      if (auto v = ReadCgroupFile(*dir, "cpu.stat"); v.ok()) {
        KeyValues kv = ParseFlatKeyed(*v);
        st.cpu.nr_periods = FindKey(kv, "nr_periods").value_or(0);
        st.cpu.nr_throttled = FindKey(kv, "nr_throttled").value_or(0);
        st.cpu.throttled_ns = FindKey(kv, "throttled_time").value_or(0);
      }
    }
    if (const std::string* dir = Dir("memory")) {
      MemoryStats& m = st.memory;
      SEE_ASSIGN_OR_RETURN(m.usage, ReadCgroupUint(*dir, "memory.usage_in_bytes"));
      SEE_ASSIGN_OR_RETURN(m.max_usage, ReadCgroupUint(*dir, "memory.max_usage_in_bytes"));
      SEE_ASSIGN_OR_RETURN(m.limit, ReadCgroupUint(*dir, "memory.limit_in_bytes"));
      SEE_ASSIGN_OR_RETURN(m.failcnt, ReadCgroupUint(*dir, "memory.failcnt"));
      if (auto v = ReadCgroupUint(*dir, "memory.memsw.usage_in_bytes"); v.ok()) m.swap_usage = *v;
      if (auto v = ReadCgroupUint(*dir, "memory.memsw.limit_in_bytes"); v.ok()) m.swap_limit = *v;
      if (auto v = ReadCgroupFile(*dir, "memory.stat"); v.ok()) {
        m.raw = ParseFlatKeyed(*v);
        m.cache = FindKey(m.raw, "cache").value_or(0);
        m.rss = FindKey(m.raw, "rss").value_or(0);
      }
      if (auto v = ReadCgroupFile(*dir, "memory.oom_control"); v.ok()) {
        m.oom_kill = FindKey(ParseFlatKeyed(*v), "oom_kill").value_or(0);
      }
    }
    if (const std::string* dir = Dir("pids")) {
      if (auto v = ReadCgroupUint(*dir, "pids.current"); v.ok()) st.pids.current = *v;
      if (auto v = ReadCgroupUint(*dir, "pids.max"); v.ok()) {
        st.pids.limit = *v == UINT64_MAX ? 0 : *v;
      }
    }
    if (const std::string* dir = Dir("blkio")) {
      if (auto v = ReadCgroupFile(*dir, "blkio.throttle.io_service_bytes"); v.ok()) {
        st.io_service_bytes = ParseBlkioV1(*v);
      }
      if (auto v = ReadCgroupFile(*dir, "blkio.throttle.io_serviced"); v.ok()) {
        st.io_serviced = ParseBlkioV1(*v);
      }
    }
    if (const std::string* dir = Dir("hugetlb")) {
      for (const std::string& size : HugePageSizes(*dir, ".usage_in_bytes")) {
        HugetlbStats h;
        h.page_size = size;
        std::string prefix = "hugetlb." + size;
        if (auto v = ReadCgroupUint(*dir, prefix + ".usage_in_bytes"); v.ok()) h.usage = *v;
        if (auto v = ReadCgroupUint(*dir, prefix + ".max_usage_in_bytes"); v.ok()) h.max = *v;
        if (auto v = ReadCgroupUint(*dir, prefix + ".failcnt"); v.ok()) h.failcnt = *v;
        st.hugetlb.push_back(std::move(h));
      }
    }
    return st;
  }

  Result<UniqueFd> OpenOomNotifier() override {
    const std::string* dir = Dir("memory");
    if (dir == nullptr) return NotFound("memory cgroup controller is not mounted");
    // Non-blocking like v2's inotify fd: the shim drains it from its one event loop thread, and a
    // blocking read after the last event would stall that loop (and every pod request) forever.
    UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!efd) return ErrnoStatus("eventfd");
    std::string oom_control = *dir + "/memory.oom_control";
    // The registration keeps its own reference; our fd only needs to live until the write.
    UniqueFd ofd(::open(oom_control.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ofd) return ErrnoStatus("open " + oom_control);
    SEE_RETURN_IF_ERROR(WriteCgroupFile(
        *dir, "cgroup.event_control",
        std::to_string(efd.get()) + " " + std::to_string(ofd.get())));
    return efd;
  }

  Result<uint64_t> OomKillCount() override {
    const std::string* dir = Dir("memory");
    if (dir == nullptr) return NotFound("memory cgroup controller is not mounted");
    SEE_ASSIGN_OR_RETURN(std::string text, ReadCgroupFile(*dir, "memory.oom_control"));
    return FindKey(ParseFlatKeyed(text), "oom_kill").value_or(0);
  }

  Status KillAll(int sig) override {
    return SignalAllProcesses(*this, Dir("freezer") != nullptr, sig);
  }

  Status Destroy() override {
    Status first;
    for (const CgroupDir& d : dirs_) {
      Status s = RemoveCgroupTree(d.dir);
      if (!s.ok() && first.ok()) first = s;
    }
    if (!unified_.dir.empty()) {
      Status s = RemoveCgroupTree(unified_.dir);
      if (!s.ok()) spdlog::warn("hybrid cgroup2 path not removed: {}", s.ToString());
    }
    return first;
  }

 private:
  const std::string* Dir(std::string_view controller) const {
    for (const CgroupDir& d : dirs_) {
      if (d.controller == controller) return &d.dir;
    }
    return nullptr;
  }

  // Any controller lists the same processes; prefer ones every host has.
  const std::string& PrimaryDir() const {
    for (const char* c : {"pids", "freezer", "memory", "devices", "cpu"}) {
      if (const std::string* d = Dir(c)) return *d;
    }
    return dirs_.front().dir;
  }

  Status ApplyCpuset(const oci::CpuResources& c) {
    const std::string* dir = Dir("cpuset");
    if (dir == nullptr) return ControllerMissing("cpuset", "cpus/mems");
    if (!c.cpus.empty()) SEE_RETURN_IF_ERROR(WriteCgroupFile(*dir, "cpuset.cpus", c.cpus));
    if (!c.mems.empty()) SEE_RETURN_IF_ERROR(WriteCgroupFile(*dir, "cpuset.mems", c.mems));
    return Status::Ok();
  }

  Status ApplyDevices(const std::vector<oci::DeviceCgroupRule>& rules) {
    const std::string* dir = Dir("devices");
    if (dir == nullptr) return ControllerMissing("devices", "device rules");
    // In order: a later rule refines the earlier ones (typically "deny all" first).
    for (const oci::DeviceCgroupRule& rule : rules) {
      SEE_RETURN_IF_ERROR(
          WriteCgroupFile(*dir, rule.allow ? "devices.allow" : "devices.deny", DeviceRuleV1(rule)));
    }
    return Status::Ok();
  }

  Status ApplyMemory(const oci::MemoryResources& m) {
    const std::string* dirp = Dir("memory");
    if (dirp == nullptr) return ControllerMissing("memory", "memory limits");
    const std::string& dir = *dirp;
    // runc's conventions: 0 means "not set"; memory -1 without swap means both unlimited.
    int64_t limit = m.limit.value_or(0);
    int64_t swap = m.swap.value_or(0);
    if (limit == -1 && swap == 0) swap = -1;
    if (swap != 0 && !CgroupFileExists(dir, "memory.memsw.limit_in_bytes")) {
      if (swap != -1) {
        return FailedPrecondition("memory.swap requested but swap accounting is disabled (no " +
                                  dir + "/memory.memsw.limit_in_bytes)");
      }
      swap = 0;
    }
    auto write_limit = [&] {
      return WriteCgroupFile(dir, "memory.limit_in_bytes", std::to_string(limit));
    };
    auto write_swap = [&] {
      return WriteCgroupFile(dir, "memory.memsw.limit_in_bytes", std::to_string(swap));
    };
    if (limit != 0 && swap != 0) {
      // The kernel requires limit <= memsw at every step: raise memsw first when growing.
      SEE_ASSIGN_OR_RETURN(uint64_t current, ReadCgroupUint(dir, "memory.limit_in_bytes"));
      if (swap == -1 || current < static_cast<uint64_t>(swap)) {
        SEE_RETURN_IF_ERROR(write_swap());
        SEE_RETURN_IF_ERROR(write_limit());
      } else {
        SEE_RETURN_IF_ERROR(write_limit());
        SEE_RETURN_IF_ERROR(write_swap());
      }
    } else {
      if (limit != 0) SEE_RETURN_IF_ERROR(write_limit());
      if (swap != 0) SEE_RETURN_IF_ERROR(write_swap());
    }
    if (m.reservation && *m.reservation != 0) {
      SEE_RETURN_IF_ERROR(
          WriteCgroupFile(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation)));
    }
    if (m.kernel && *m.kernel != 0) {
      WriteKernelMemory(dir, "memory.kmem.limit_in_bytes", *m.kernel);
    }
    if (m.kernel_tcp && *m.kernel_tcp != 0) {
      WriteKernelMemory(dir, "memory.kmem.tcp.limit_in_bytes", *m.kernel_tcp);
    }
    if (m.swappiness) {
      if (*m.swappiness > 100) {
        return InvalidArgument("memory.swappiness " + std::to_string(*m.swappiness) +
                               " is above 100");
      }
      SEE_RETURN_IF_ERROR(
          WriteCgroupFile(dir, "memory.swappiness", std::to_string(*m.swappiness)));
    }
    if (m.disable_oom_killer) {
      SEE_RETURN_IF_ERROR(
          WriteCgroupFile(dir, "memory.oom_control", *m.disable_oom_killer ? "1" : "0"));
    }
    if (m.use_hierarchy) {
      SEE_RETURN_IF_ERROR(
          WriteCgroupFile(dir, "memory.use_hierarchy", *m.use_hierarchy ? "1" : "0"));
    }
    return Status::Ok();
  }

  Status ApplyCpu(const oci::CpuResources& c) {
    bool wants_cpu = (c.shares && *c.shares) || (c.quota && *c.quota) || (c.period && *c.period) ||
                     c.realtime_runtime || (c.realtime_period && *c.realtime_period) || c.idle;
    if (!wants_cpu) return Status::Ok();
    const std::string* dirp = Dir("cpu");
    if (dirp == nullptr) return ControllerMissing("cpu", "cpu limits");
    const std::string& dir = *dirp;
    if (c.shares && *c.shares != 0) {
      SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "cpu.shares", std::to_string(*c.shares)));
      // The kernel clamps silently; a clamped value is not what the user asked for.
      SEE_ASSIGN_OR_RETURN(uint64_t got, ReadCgroupUint(dir, "cpu.shares"));
      if (got != *c.shares) {
        return InvalidArgument("cpu.shares " + std::to_string(*c.shares) +
                               " out of range (kernel set " + std::to_string(got) + ")");
      }
    }
    // A smaller period can be refused (EINVAL) while the old quota/new period exceeds the parent;
    // then it is retried after the quota is written (as runc).
    bool retry_period = false;
    const int64_t quota = c.quota.value_or(0);
    if (c.period && *c.period != 0) {
      Status s = WriteCgroupFile(dir, "cpu.cfs_period_us", std::to_string(*c.period));
      if (!s.ok()) {
        if (s.err() != EINVAL || quota == 0) return s;
        retry_period = true;
      }
    }
    if (quota != 0) {
      SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "cpu.cfs_quota_us", std::to_string(quota)));
      if (retry_period) {
        SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "cpu.cfs_period_us", std::to_string(*c.period)));
      }
    }
    if (c.realtime_period && *c.realtime_period != 0) {
      SEE_RETURN_IF_ERROR(
          WriteCgroupFile(dir, "cpu.rt_period_us", std::to_string(*c.realtime_period)));
    }
    if (c.realtime_runtime) {
      SEE_RETURN_IF_ERROR(
          WriteCgroupFile(dir, "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime)));
    }
    if (c.idle) {
      if (CgroupFileExists(dir, "cpu.idle")) {
        SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "cpu.idle", std::to_string(*c.idle)));
      } else if (*c.idle != 0) {
        return FailedPrecondition("cpu.idle requested but the kernel has no " + dir +
                                  "/cpu.idle");
      }
    }
    return Status::Ok();
  }

  Status ApplyBlkio(const oci::BlockIoResources& b) {
    bool wants = b.weight || b.leaf_weight || !b.weight_device.empty() ||
                 !b.throttle_read_bps_device.empty() || !b.throttle_write_bps_device.empty() ||
                 !b.throttle_read_iops_device.empty() || !b.throttle_write_iops_device.empty();
    if (!wants) return Status::Ok();
    const std::string* dirp = Dir("blkio");
    if (dirp == nullptr) return ControllerMissing("blkio", "blockIO limits");
    const std::string& dir = *dirp;
    // CFQ is gone from modern kernels; BFQ offers the same knobs under its own prefix.
    const bool cfq = CgroupFileExists(dir, "blkio.weight");
    const std::string weight_file = cfq ? "blkio.weight" : "blkio.bfq.weight";
    const std::string weight_device_file = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
    if (b.weight) SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, weight_file, std::to_string(*b.weight)));
    if (b.leaf_weight) {
      SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight)));
    }
    for (const oci::WeightDevice& w : b.weight_device) {
      if (w.weight) {
        SEE_RETURN_IF_ERROR(WriteCgroupFile(dir, weight_device_file,
                                            MajMin(w.major, w.minor, std::to_string(*w.weight))));
      }
      if (w.leaf_weight) {
        SEE_RETURN_IF_ERROR(WriteCgroupFile(
            dir, "blkio.leaf_weight_device", MajMin(w.major, w.minor, std::to_string(*w.leaf_weight))));
      }
    }
    const std::pair<const char*, const std::vector<oci::ThrottleDevice>*> throttles[] = {
        {"blkio.throttle.read_bps_device", &b.throttle_read_bps_device},
        {"blkio.throttle.write_bps_device", &b.throttle_write_bps_device},
        {"blkio.throttle.read_iops_device", &b.throttle_read_iops_device},
        {"blkio.throttle.write_iops_device", &b.throttle_write_iops_device},
    };
    for (const auto& [file, list] : throttles) {
      for (const oci::ThrottleDevice& t : *list) {
        SEE_RETURN_IF_ERROR(
            WriteCgroupFile(dir, file, MajMin(t.major, t.minor, std::to_string(t.rate))));
      }
    }
    return Status::Ok();
  }

  Status ApplyNetwork(const oci::NetworkResources& n) {
    if (n.class_id) {
      const std::string* dir = Dir("net_cls");
      if (dir == nullptr) return ControllerMissing("net_cls", "network classID");
      SEE_RETURN_IF_ERROR(WriteCgroupFile(*dir, "net_cls.classid", std::to_string(*n.class_id)));
    }
    if (!n.priorities.empty()) {
      const std::string* dir = Dir("net_prio");
      if (dir == nullptr) return ControllerMissing("net_prio", "network priorities");
      for (const auto& [iface, prio] : n.priorities) {
        SEE_RETURN_IF_ERROR(
            WriteCgroupFile(*dir, "net_prio.ifpriomap", iface + " " + std::to_string(prio)));
      }
    }
    return Status::Ok();
  }

  std::string path_;
  std::vector<CgroupDir> dirs_;
  CgroupDir unified_;  // dir empty: no hybrid cgroup2 mount
};

}  // namespace

std::unique_ptr<Manager> NewV1Manager(std::string path, std::vector<CgroupDir> dirs,
                                      CgroupDir unified) {
  return std::make_unique<V1Manager>(std::move(path), std::move(dirs), std::move(unified));
}

}  // namespace see::cgroups::internal
