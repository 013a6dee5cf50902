#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/runsee/commands.h"

namespace see::runsee {
namespace {

using nlohmann::json;

// runc's types.Stats shape (what `runc events --stats` prints under "data").
json StatsJson(const cgroups::Stats& s) {
  json blkio_bytes = json::array(), blkio_ios = json::array();
  for (const auto& e : s.io_service_bytes) {
    blkio_bytes.push_back({{"major", e.major}, {"minor", e.minor}, {"op", e.op}, {"value", e.value}});
  }
  for (const auto& e : s.io_serviced) {
    blkio_ios.push_back({{"major", e.major}, {"minor", e.minor}, {"op", e.op}, {"value", e.value}});
  }
  json hugetlb = json::object();
  for (const auto& h : s.hugetlb) {
    hugetlb[h.page_size] = {{"usage", h.usage}, {"max", h.max}, {"failcnt", h.failcnt}};
  }
  json raw = json::object();
  for (const auto& [k, v] : s.memory.raw) raw[k] = v;
  return {
      {"cpu",
       {{"usage",
         {{"total", s.cpu.usage_ns}, {"percpu", s.cpu.per_cpu_ns}, {"kernel", s.cpu.system_ns},
          {"user", s.cpu.user_ns}}},
        {"throttling",
         {{"periods", s.cpu.nr_periods}, {"throttledPeriods", s.cpu.nr_throttled},
          {"throttledTime", s.cpu.throttled_ns}}}}},
      {"memory",
       {{"cache", s.memory.cache},
        {"usage",
         {{"limit", s.memory.limit}, {"usage", s.memory.usage}, {"max", s.memory.max_usage},
          {"failcnt", s.memory.failcnt}}},
        {"swap", {{"limit", s.memory.swap_limit}, {"usage", s.memory.swap_usage}}},
        {"raw", raw}}},
      {"pids", {{"current", s.pids.current}, {"limit", s.pids.limit}}},
      {"blkio", {{"ioServiceBytesRecursive", blkio_bytes}, {"ioServicedRecursive", blkio_ios}}},
      {"hugetlb", hugetlb},
  };
}

// "5s", "500ms", "1m" -> milliseconds.
int ParseIntervalMs(const std::string& s) {
  try {
    if (s.size() > 2 && s.substr(s.size() - 2) == "ms") return std::stoi(s);
    if (!s.empty() && s.back() == 's') return std::stoi(s) * 1000;
    if (!s.empty() && s.back() == 'm') return std::stoi(s) * 60000;
    return std::stoi(s) * 1000;
  } catch (...) {
    return 5000;
  }
}

}  // namespace

void AddEvents(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("events", "container stats and OOM events");
  auto id = std::make_shared<std::string>();
  auto stats = std::make_shared<bool>(false);
  auto interval = std::make_shared<std::string>("5s");
  cmd->add_flag("--stats", *stats, "print one stats object and exit");
  cmd->add_option("--interval", *interval, "stats interval when streaming");
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([&g, id, stats, interval, exit_code] {
    runtime::RuntimeOptions rt = g.Runtime();
    auto mgr = runtime::OpenCgroup(rt, *id);
    if (!mgr.ok()) {
      *exit_code = Fail(mgr.status());
      return;
    }
    auto emit_stats = [&]() -> bool {
      auto s = (*mgr)->GetStats();
      if (!s.ok()) {
        *exit_code = Fail(s.status());
        return false;
      }
      json ev = {{"type", "stats"}, {"id", *id}, {"data", StatsJson(*s)}};
      printf("%s\n", ev.dump().c_str());
      fflush(stdout);
      return true;
    };
    if (*stats) {
      emit_stats();
      return;
    }
    auto oom = (*mgr)->OpenOomNotifier();
    int ms = ParseIntervalMs(*interval);
    for (;;) {
      auto info = runtime::GetState(rt, *id);
      if (!info.ok() || info->status == runtime::ContainerStatus::kStopped) return;
      pollfd p{oom.ok() ? oom->get() : -1, POLLIN, 0};
      int n = poll(&p, 1, ms);
      if (n > 0 && (p.revents & POLLIN)) {
        uint64_t buf[64];
        (void)!read(p.fd, buf, sizeof(buf));
        printf("%s\n", json({{"type", "oom"}, {"id", *id}}).dump().c_str());
        fflush(stdout);
      } else if (n == 0 && !emit_stats()) {
        return;
      }
    }
  });
}

}  // namespace see::runsee
