#include <cctype>

#include "base/file_util.h"
#include "runtime/runsee/commands.h"

namespace see::runsee {
namespace {

// "512", "100k", "64m", "1g" (runc's units.RAMInBytes, binary multiples); "-1" stays -1.
Result<int64_t> ParseBytes(const std::string& s) {
  if (s == "-1") return int64_t{-1};
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return InvalidArgument("invalid size: " + s);
  double v = std::stod(s.substr(0, i));
  std::string unit = s.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  double mult = 1;
  if (unit == "k") mult = 1024.0;
  else if (unit == "m") mult = 1024.0 * 1024;
  else if (unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty()) return InvalidArgument("invalid size: " + s);
  return static_cast<int64_t>(v * mult);
}

struct UpdateArgs {
  std::string id, resources, memory, memory_swap, memory_reservation, cpuset_cpus, cpuset_mems;
  std::optional<int64_t> cpu_quota, pids_limit;
  std::optional<uint64_t> cpu_period, cpu_shares;
};

}  // namespace

void AddUpdate(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("update", "update a container's resource limits");
  auto a = std::make_shared<UpdateArgs>();
  cmd->add_option("-r,--resources", a->resources, "LinuxResources JSON file, - for stdin");
  cmd->add_option("--memory", a->memory, "memory limit");
  cmd->add_option("--memory-swap", a->memory_swap, "memory+swap limit");
  cmd->add_option("--memory-reservation", a->memory_reservation, "memory soft limit");
  cmd->add_option("--cpu-quota", a->cpu_quota, "CFS quota (us)");
  cmd->add_option("--cpu-period", a->cpu_period, "CFS period (us)");
  cmd->add_option("--cpu-share,--cpu-shares", a->cpu_shares, "CPU shares");
  cmd->add_option("--cpuset-cpus", a->cpuset_cpus, "CPUs");
  cmd->add_option("--cpuset-mems", a->cpuset_mems, "memory nodes");
  cmd->add_option("--pids-limit", a->pids_limit, "max processes");
  cmd->add_option("id", a->id, "container id")->required();
  cmd->callback([&g, a, exit_code] {
    oci::Resources r;
    if (!a->resources.empty()) {
      Result<std::string> text = a->resources == "-" ? ReadAll(0) : ReadFile(a->resources);
      if (!text.ok()) {
        *exit_code = Fail(text.status().Wrap("reading --resources"));
        return;
      }
      auto parsed = oci::ParseResources(*text);
      if (!parsed.ok()) {
        *exit_code = Fail(parsed.status());
        return;
      }
      r = std::move(*parsed);
    }
    auto mem = [&]() -> oci::MemoryResources& {
      if (!r.memory) r.memory.emplace();
      return *r.memory;
    };
    auto cpu = [&]() -> oci::CpuResources& {
      if (!r.cpu) r.cpu.emplace();
      return *r.cpu;
    };
    for (auto [flag, field] : {std::pair{&a->memory, &oci::MemoryResources::limit},
                               std::pair{&a->memory_swap, &oci::MemoryResources::swap},
                               std::pair{&a->memory_reservation, &oci::MemoryResources::reservation}}) {
      if (flag->empty()) continue;
      auto v = ParseBytes(*flag);
      if (!v.ok()) {
        *exit_code = Fail(v.status());
        return;
      }
      mem().*field = *v;
    }
    if (a->cpu_quota) cpu().quota = *a->cpu_quota;
    if (a->cpu_period) cpu().period = *a->cpu_period;
    if (a->cpu_shares) cpu().shares = *a->cpu_shares;
    if (!a->cpuset_cpus.empty()) cpu().cpus = a->cpuset_cpus;
    if (!a->cpuset_mems.empty()) cpu().mems = a->cpuset_mems;
    if (a->pids_limit) r.pids = oci::PidsResources{*a->pids_limit};
    Status st = runtime::Update(g.Runtime(), a->id, r);
    if (!st.ok()) *exit_code = Fail(st);
  });
}

}  // namespace see::runsee
