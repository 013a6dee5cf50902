#include "sentry-lite/fs/views.h"

#include <sched.h>
#include <sys/sysinfo.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "base/file_util.h"

namespace see::sentry {
namespace {

std::optional<std::string> Slurp(const std::string& path) {
  if (path.empty()) return std::nullopt;
  auto text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  return *text;
}

// The first unsigned number in `text`; nullopt for "max", "-1" or garbage.
std::optional<uint64_t> FirstNumber(std::string_view text) {
  size_t i = text.find_first_not_of(" \t\n");
  if (i == std::string_view::npos || text[i] == '-') return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

// `key value` lines (memory.stat, cpu.stat).
std::optional<uint64_t> KeyedValue(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ') {
      return FirstNumber(line.substr(key.size() + 1));
    }
    pos = end + 1;
  }
  return std::nullopt;
}

int CountLines(std::string_view text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// "Key:" padded to 16 columns, the value right-aligned in 8, as fs/proc/meminfo.c prints it.
std::string MeminfoLine(std::string_view key_colon, uint64_t kb) {
  char buf[128];
  snprintf(buf, sizeof(buf), "%-16.*s%8llu kB\n", static_cast<int>(key_colon.size()),
           key_colon.data(), static_cast<unsigned long long>(kb));
  return buf;
}

// The /proc/meminfo lines memory.stat has the pod's own figure for: its cgroup v2 key(s), summed,
// and its v1 key(s) (the hierarchical total_<key> preferred). Buffers has none (v1 counts them in
// cache, v2 in file): 0. Keys absent from the pod's memory.stat count 0 (a v1 memory.stat has no
// slab figures: the pod's slab is then in no line, which keeps "used" its own).
struct MemStatKeys {
  std::string_view meminfo;
  std::vector<std::string_view> v2;
  std::vector<std::string_view> v1;
};
const std::vector<MemStatKeys>& MemStatTable() {
  static const std::vector<MemStatKeys> table = {
      {"Buffers:", {}, {}},
      {"Cached:", {"file"}, {"cache"}},
      {"SwapCached:", {"swapcached"}, {}},
      {"Active:", {"active_anon", "active_file"}, {"active_anon", "active_file"}},
      {"Inactive:", {"inactive_anon", "inactive_file"}, {"inactive_anon", "inactive_file"}},
      {"Active(anon):", {"active_anon"}, {"active_anon"}},
      {"Inactive(anon):", {"inactive_anon"}, {"inactive_anon"}},
      {"Active(file):", {"active_file"}, {"active_file"}},
      {"Inactive(file):", {"inactive_file"}, {"inactive_file"}},
      {"Unevictable:", {"unevictable"}, {"unevictable"}},
      {"Dirty:", {"file_dirty"}, {"dirty"}},
      {"Writeback:", {"file_writeback"}, {"writeback"}},
      {"AnonPages:", {"anon"}, {"rss"}},
      {"Mapped:", {"file_mapped"}, {"mapped_file"}},
      {"Shmem:", {"shmem"}, {"shmem"}},
      {"Slab:", {"slab"}, {}},
      {"SReclaimable:", {"slab_reclaimable"}, {}},
      {"SUnreclaim:", {"slab_unreclaimable"}, {}},
      {"KernelStack:", {"kernel_stack"}, {}},
      {"PageTables:", {"pagetables"}, {}},
      {"AnonHugePages:", {"anon_thp"}, {"rss_huge"}},
  };
  return table;
}

// PodLimits::mem_figures from the pod's memory.stat (`v2`: the cgroup v2 file), each at most
// `used`; page cache and reclaimable slab together too (see PodLimits).
std::vector<std::pair<std::string_view, uint64_t>> MemFigures(std::string_view stat, bool v2, uint64_t used) {
  std::vector<std::pair<std::string_view, uint64_t>> out;
  for (const MemStatKeys& row : MemStatTable()) {
    uint64_t sum = 0;
    for (std::string_view key : v2 ? row.v2 : row.v1) {
      std::optional<uint64_t> v;
      if (!v2) v = KeyedValue(stat, "total_" + std::string(key));
      if (!v) v = KeyedValue(stat, key);
      sum += v.value_or(0);
    }
    out.emplace_back(row.meminfo, std::min(sum, used));
  }
  auto figure = [&out](std::string_view key) -> uint64_t& {
    return std::find_if(out.begin(), out.end(), [&](const auto& f) { return f.first == key; })->second;
  };
  uint64_t& reclaimable = figure("SReclaimable:");
  reclaimable = std::min(reclaimable, used - figure("Cached:"));
  return out;
}

}  // namespace

std::optional<uint64_t> PodLimits::MemFigure(std::string_view meminfo_key) const {
  for (const auto& [key, bytes] : mem_figures) {
    if (key == meminfo_key) return bytes;
  }
  return std::nullopt;
}

namespace {

std::string RenderMeminfo(std::string_view host, const PodLimits& l) {
  std::string out;
  uint64_t total_kb = l.mem_total / 1024;
  for (std::string_view line : SplitLines(host)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !line.ends_with(" kB")) {
      out.append(line).push_back('\n');
      continue;
    }
    std::string_view key = line.substr(0, colon + 1);
    std::optional<uint64_t> v = FirstNumber(line.substr(colon + 1));
    uint64_t kb = v.value_or(0);
    if (key == "MemTotal:") kb = total_kb;
    else if (key == "MemFree:") kb = l.mem_free / 1024;
    else if (key == "MemAvailable:") kb = l.mem_available / 1024;
    else if (auto own = l.MemFigure(key)) kb = *own / 1024;
    else kb = std::min(kb, total_kb);  // no figure of the pod exceeds its memory
    out += MeminfoLine(key, kb);
  }
  return out;
}

// "name\t: value" fields of one cpuinfo block.
std::string RenderCpuinfo(std::string_view host, const PodLimits& l) {
  std::vector<std::string_view> blocks;
  size_t pos = 0;
  while (pos < host.size()) {
    size_t end = host.find("\n\n", pos);
    if (end == std::string_view::npos) end = host.size();
    std::string_view b = host.substr(pos, end - pos);
    if (!b.empty()) blocks.push_back(b);
    pos = end + 2;
  }
  if (blocks.empty()) return std::string(host);
  std::string out;
  for (int cpu = 0; cpu < l.cpus; ++cpu) {
    std::string_view block = blocks[std::min<size_t>(cpu, blocks.size() - 1)];
    for (std::string_view line : SplitLines(block)) {
      size_t colon = line.find(':');
      std::string_view name = line.substr(0, colon == std::string_view::npos ? 0 : colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      std::string value;
      if (name == "processor" || name == "core id" || name == "apicid" || name == "initial apicid") {
        value = std::to_string(cpu);
      } else if (name == "siblings" || name == "cpu cores") {
        value = std::to_string(l.cpus);
      } else if (name == "physical id") {
        value = "0";
      }
      if (value.empty()) {
        out.append(line);
      } else {
        out.append(line.substr(0, colon + 1)).append(" ").append(value);
      }
      out.push_back('\n');
    }
    out.push_back('\n');
  }
  return out;
}

std::string RenderStat(std::string_view host, const PodLimits& l) {
  std::vector<std::string> cpu_lines;
  std::vector<uint64_t> sum;
  std::string rest;
  for (std::string_view line : SplitLines(host)) {
    if (line.starts_with("cpu ")) continue;
    if (line.starts_with("cpu")) {
      if (static_cast<int>(cpu_lines.size()) >= l.cpus) continue;
      size_t sp = line.find(' ');
      std::string_view fields = sp == std::string_view::npos ? "" : line.substr(sp);
      cpu_lines.push_back("cpu" + std::to_string(cpu_lines.size()) + std::string(fields));
      size_t i = 0;
      for (std::string_view f = fields; !f.empty();) {
        size_t s = f.find_first_not_of(' ');
        if (s == std::string_view::npos) break;
        f.remove_prefix(s);
        size_t e = f.find(' ');
        std::string_view tok = f.substr(0, e);
        uint64_t v = FirstNumber(tok).value_or(0);
        if (sum.size() <= i) sum.push_back(0);
        sum[i++] += v;
        f.remove_prefix(e == std::string_view::npos ? f.size() : e);
      }
      continue;
    }
    rest.append(line).push_back('\n');
  }
  std::string out = "cpu ";
  for (uint64_t v : sum) out += " " + std::to_string(v);
  out.push_back('\n');
  for (const std::string& c : cpu_lines) out += c + "\n";
  return out + rest;
}

std::string RenderUptime(const PodLimits& l) {
  double idle = std::max(0.0, l.uptime * l.cpus - l.cpu_usage);
  char buf[64];
  snprintf(buf, sizeof(buf), "%.2f %.2f\n", l.uptime, idle);
  return buf;
}

std::string RenderLoadavg(std::string_view host, const PodLimits& l, const HostInfo& h) {
  // "a b c running/total last_pid": the loads are the pod's share of the host's (cpus/host cpus),
  // the task total is the cgroup's.
  double loads[3] = {h.loads[0], h.loads[1], h.loads[2]};
  unsigned running = 1, total = 1;
  long last = 0;
  if (sscanf(std::string(host).c_str(), "%lf %lf %lf %u/%u %ld", &loads[0], &loads[1], &loads[2],
             &running, &total, &last) < 6) {
    last = 0;
  }
  double share = h.cpus > 0 ? static_cast<double>(l.cpus) / h.cpus : 1.0;
  if (l.tasks > 0) total = static_cast<unsigned>(l.tasks);
  running = std::min<unsigned>(std::max(1u, std::min(running, static_cast<unsigned>(l.cpus))), total);
  char buf[128];
  snprintf(buf, sizeof(buf), "%.2f %.2f %.2f %u/%u %ld\n", loads[0] * share, loads[1] * share,
           loads[2] * share, running, total, last);
  return buf;
}

}  // namespace

ViewFile ClassifyViewPath(std::string_view p) {
  if (p == "proc/meminfo") return ViewFile::kMeminfo;
  if (p == "proc/cpuinfo") return ViewFile::kCpuinfo;
  if (p == "proc/stat") return ViewFile::kStat;
  if (p == "proc/uptime") return ViewFile::kUptime;
  if (p == "proc/loadavg") return ViewFile::kLoadavg;
  if (p == "sys/devices/system/cpu/online") return ViewFile::kCpuOnline;
  if (p == "sys/devices/system/cpu/possible") return ViewFile::kCpuPossible;
  // proc/<pid>/mountinfo, proc/<pid>/task/<tid>/mountinfo (and mounts).
  if (p.rfind("proc/", 0) == 0) {
    std::string_view rest = p.substr(5);
    auto skip_number = [&rest]() {
      size_t n = 0;
      while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
      if (n == 0 || n >= rest.size() || rest[n] != '/') return false;
      rest.remove_prefix(n + 1);
      return true;
    };
    if (skip_number()) {
      if (rest.rfind("task/", 0) == 0) {
        rest.remove_prefix(5);
        if (!skip_number()) return ViewFile::kNone;
      }
      if (rest == "mountinfo") return ViewFile::kMountinfo;
      if (rest == "mounts") return ViewFile::kMounts;
    }
  }
  return ViewFile::kNone;
}

namespace {

// Drops the options that name host paths from a comma-separated option list.
std::string ScrubMountOptions(std::string_view options) {
  std::string out;
  while (!options.empty()) {
    size_t comma = options.find(',');
    std::string_view opt = options.substr(0, comma);
    options = comma == std::string_view::npos ? std::string_view() : options.substr(comma + 1);
    if (opt.rfind("lowerdir=", 0) == 0 || opt.rfind("upperdir=", 0) == 0 ||
        opt.rfind("workdir=", 0) == 0) {
      continue;
    }
    if (!out.empty()) out += ',';
    out.append(opt);
  }
  return out;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> f;
  while (!line.empty()) {
    size_t sp = line.find(' ');
    f.push_back(line.substr(0, sp));
    line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  }
  return f;
}

template <typename Fn>
std::string MapLines(std::string_view text, Fn fn) {
  std::string out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    out += fn(line);
    out += '\n';
  }
  return out;
}

std::string Join(const std::vector<std::string>& f) {
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (i > 0) out += ' ';
    out += f[i];
  }
  return out;
}

}  // namespace

std::string RenderMountinfo(std::string_view host_text) {
  // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
  return MapLines(host_text, [](std::string_view line) {
    auto v = SplitFields(line);
    std::vector<std::string> f(v.begin(), v.end());
    if (f.size() < 10) return std::string(line);
    f[3] = "/";
    for (size_t i = 6; i + 3 < f.size(); ++i) {
      if (f[i] == "-") {
        f[i + 3] = ScrubMountOptions(f[i + 3]);
        break;
      }
    }
    return Join(f);
  });
}

std::string RenderMounts(std::string_view host_text) {
  // source mountpoint fstype options dump pass
  return MapLines(host_text, [](std::string_view line) {
    auto v = SplitFields(line);
    std::vector<std::string> f(v.begin(), v.end());
    if (f.size() < 4) return std::string(line);
    f[3] = ScrubMountOptions(f[3]);
    return Join(f);
  });
}

HostInfo ReadHostInfo() {
  HostInfo h;
  struct sysinfo si;
  if (sysinfo(&si) == 0) {
    h.mem_total = static_cast<uint64_t>(si.totalram) * si.mem_unit;
    for (int i = 0; i < 3; ++i) h.loads[i] = si.loads[i] / 65536.0;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) h.cpus = std::max(1, CPU_COUNT(&set));
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  h.boottime = static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
  return h;
}

PodLimits PodViews::Limits(const HostInfo& host) const {
  PodLimits l;
  const std::string& mem = config_.memory_cgroup;
  const std::string& cpu = config_.cpu_cgroup;

  // Memory: v2 when memory.max exists, else v1.
  std::optional<uint64_t> limit, usage, inactive;
  std::optional<std::string> stat;
  bool v2 = false;
  if (auto max = Slurp(mem.empty() ? "" : mem + "/memory.max")) {
    v2 = true;
    limit = FirstNumber(*max);
    if (auto u = Slurp(mem + "/memory.current")) usage = FirstNumber(*u);
    stat = Slurp(mem + "/memory.stat");
    if (stat) inactive = KeyedValue(*stat, "inactive_file");
  } else if (auto v1 = Slurp(mem.empty() ? "" : mem + "/memory.limit_in_bytes")) {
    limit = FirstNumber(*v1);
    if (auto u = Slurp(mem + "/memory.usage_in_bytes")) usage = FirstNumber(*u);
    stat = Slurp(mem + "/memory.stat");
    if (stat) {
      inactive = KeyedValue(*stat, "total_inactive_file");
      if (!inactive) inactive = KeyedValue(*stat, "inactive_file");
    }
  }
  l.mem_total = host.mem_total;
  if (limit && *limit > 0 && *limit < l.mem_total) l.mem_total = *limit;
  uint64_t used = std::min(usage.value_or(0), l.mem_total);
  l.mem_free = l.mem_total - used;
  l.mem_available = std::min(l.mem_total, l.mem_free + std::min(inactive.value_or(0), used));
  if (stat) l.mem_figures = MemFigures(*stat, v2, used);

  // CPUs: ceil(quota / period), at least 1, at most the host's.
  std::optional<uint64_t> quota, period;
  if (auto v2 = Slurp(cpu.empty() ? "" : cpu + "/cpu.max")) {
    quota = FirstNumber(*v2);  // "max" -> nullopt
    size_t sp = v2->find(' ');
    if (sp != std::string::npos) period = FirstNumber(std::string_view(*v2).substr(sp + 1));
    if (auto s = Slurp(cpu + "/cpu.stat")) {
      l.cpu_usage = static_cast<double>(KeyedValue(*s, "usage_usec").value_or(0)) / 1e6;
    }
    if (auto t = Slurp(cpu + "/cgroup.threads")) l.tasks = CountLines(*t);
  } else if (auto q = Slurp(cpu.empty() ? "" : cpu + "/cpu.cfs_quota_us")) {
    quota = FirstNumber(*q);  // "-1" -> nullopt
    if (auto p = Slurp(cpu + "/cpu.cfs_period_us")) period = FirstNumber(*p);
    if (auto u = Slurp(cpu + "/cpuacct.usage")) {
      l.cpu_usage = static_cast<double>(FirstNumber(*u).value_or(0)) / 1e9;
    }
    if (auto t = Slurp(cpu + "/tasks")) l.tasks = CountLines(*t);
  }
  l.cpus = host.cpus;
  if (quota && period && *quota > 0 && *period > 0) {
    uint64_t n = (*quota + *period - 1) / *period;
    l.cpus = static_cast<int>(std::clamp<uint64_t>(n, 1, static_cast<uint64_t>(host.cpus)));
  }
  l.uptime = std::max(0.0, host.boottime - config_.start_boottime);
  return l;
}

std::string CpuListText(int n) {
  return n <= 1 ? std::string("0\n") : "0-" + std::to_string(n - 1) + "\n";
}

std::string RenderViewFile(ViewFile file, std::string_view host_text, const PodLimits& limits,
                           const HostInfo& host) {
  switch (file) {
    case ViewFile::kMeminfo: return RenderMeminfo(host_text, limits);
    case ViewFile::kCpuinfo: return RenderCpuinfo(host_text, limits);
    case ViewFile::kStat: return RenderStat(host_text, limits);
    case ViewFile::kUptime: return RenderUptime(limits);
    case ViewFile::kLoadavg: return RenderLoadavg(host_text, limits, host);
    case ViewFile::kCpuOnline:
    case ViewFile::kCpuPossible: return CpuListText(limits.cpus);
    case ViewFile::kMountinfo: return RenderMountinfo(host_text);
    case ViewFile::kMounts: return RenderMounts(host_text);
    case ViewFile::kNone: break;
  }
  return std::string(host_text);
}

}  // namespace see::sentry
