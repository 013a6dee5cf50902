// cgroupfs file access, stat parsers and runc's value conversions (see internal.h).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>

#include "base/file_util.h"
#include "runtime/cgroups/internal.h"

namespace see::cgroups::internal {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

bool ParseMajorMinor(std::string_view s, uint64_t* major, uint64_t* minor) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  auto a = ParseUint(s.substr(0, colon));
  auto b = ParseUint(s.substr(colon + 1));
  if (!a.ok() || !b.ok()) return false;
  *major = *a;
  *minor = *b;
  return true;
}

std::string Join(const std::string& dir, std::string_view file) {
  std::string p = dir;
  p += '/';
  p += file;
  return p;
}

}  // namespace

std::vector<std::string> PathComponents(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

Status WriteCgroupFile(const std::string& dir, std::string_view file, std::string_view value) {
  std::string path = Join(dir, file);
  // O_TRUNC is harmless on cgroupfs and makes the fake trees of the unit tests behave like it.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return ErrnoStatus("open " + path);
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  // Kernel attribute files take one write; a short write means the value was not accepted.
  if (n < 0) return ErrnoStatus("write \"" + std::string(value) + "\" to " + path);
  if (static_cast<size_t>(n) != value.size()) {
    return Internal("short write of \"" + std::string(value) + "\" to " + path);
  }
  return Status::Ok();
}

Result<std::string> ReadCgroupFile(const std::string& dir, std::string_view file) {
  SEE_ASSIGN_OR_RETURN(std::string s, ReadFile(Join(dir, file)));
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

Result<uint64_t> ReadCgroupUint(const std::string& dir, std::string_view file) {
  SEE_ASSIGN_OR_RETURN(std::string s, ReadCgroupFile(dir, file));
  auto v = ParseUint(s);
  if (!v.ok()) return v.status().Wrap(Join(dir, file));
  return v;
}

bool CgroupFileExists(const std::string& dir, std::string_view file) {
  return ::access(Join(dir, file).c_str(), F_OK) == 0;
}

Result<uint64_t> ParseUint(std::string_view s) {
  s = Trim(s);
  if (s == "max") return std::numeric_limits<uint64_t>::max();
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    return InvalidArgument("not an unsigned number: \"" + std::string(s) + "\"");
  }
  return v;
}

KeyValues ParseFlatKeyed(std::string_view text) {
  KeyValues out;
  for (std::string_view line : Lines(text)) {
    auto f = SplitWhitespace(line);
    if (f.size() != 2) continue;
    auto v = ParseUint(f[1]);
    if (v.ok()) out.emplace_back(std::string(f[0]), *v);
  }
  return out;
}

std::optional<uint64_t> FindKey(const KeyValues& kv, std::string_view key) {
  for (const auto& [k, v] : kv) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::vector<uint64_t> ParseUintList(std::string_view text) {
  std::vector<uint64_t> out;
  for (std::string_view f : SplitWhitespace(text)) {
    auto v = ParseUint(f);
    if (v.ok()) out.push_back(*v);
  }
  return out;
}

std::vector<BlkioEntry> ParseBlkioV1(std::string_view text) {
  std::vector<BlkioEntry> out;
  for (std::string_view line : Lines(text)) {
    auto f = SplitWhitespace(line);
    if (f.size() != 3) continue;  // "Total 123" has two fields
    BlkioEntry e;
    auto v = ParseUint(f[2]);
    if (!ParseMajorMinor(f[0], &e.major, &e.minor) || !v.ok()) continue;
    e.op = std::string(f[1]);
    e.value = *v;
    out.push_back(std::move(e));
  }
  return out;
}

void ParseIoStatV2(std::string_view text, std::vector<BlkioEntry>* bytes,
                   std::vector<BlkioEntry>* ios) {
  static const struct {
    std::string_view key;
    bool is_bytes;
    const char* op;
  } kKeys[] = {
      {"rbytes", true, "Read"},  {"wbytes", true, "Write"},  {"dbytes", true, "Discard"},
      {"rios", false, "Read"},   {"wios", false, "Write"},   {"dios", false, "Discard"},
  };
  for (std::string_view line : Lines(text)) {
    auto f = SplitWhitespace(line);
    if (f.empty()) continue;
    uint64_t major = 0, minor = 0;
    if (!ParseMajorMinor(f[0], &major, &minor)) continue;
    for (size_t i = 1; i < f.size(); ++i) {
      size_t eq = f[i].find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = f[i].substr(0, eq);
      auto v = ParseUint(f[i].substr(eq + 1));
      if (!v.ok()) continue;
      for (const auto& k : kKeys) {
        if (k.key != key) continue;
        (k.is_bytes ? bytes : ios)->push_back(BlkioEntry{major, minor, k.op, *v});
      }
    }
  }
}

std::vector<std::string> HugePageSizes(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> sizes;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return sizes;
  constexpr std::string_view kPrefix = "hugetlb.";
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with(kPrefix) || !name.ends_with(suffix)) continue;
    name.remove_prefix(kPrefix.size());
    name.remove_suffix(suffix.size());
    // "hugetlb.2MB.rsvd.usage_in_bytes" is the reservation counter, not another size.
    if (!name.empty() && name.find('.') == std::string_view::npos) sizes.emplace_back(name);
  }
  ::closedir(d);
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

Result<std::vector<pid_t>> ReadPidsRecursive(const std::string& dir) {
  std::vector<pid_t> pids;
  SEE_ASSIGN_OR_RETURN(std::string procs, ReadCgroupFile(dir, "cgroup.procs"));
  for (uint64_t p : ParseUintList(procs)) pids.push_back(static_cast<pid_t>(p));
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus("opendir " + dir);
  std::vector<std::string> children;
  while (dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR || std::strcmp(e->d_name, ".") == 0 ||
        std::strcmp(e->d_name, "..") == 0) {
      continue;
    }
    children.push_back(Join(dir, e->d_name));
  }
  ::closedir(d);
  for (const std::string& c : children) {
    auto sub = ReadPidsRecursive(c);
    // A child cgroup can vanish between readdir and reading it.
    if (!sub.ok()) {
      if (sub.status().err() == ENOENT) continue;
      return sub.status();
    }
    pids.insert(pids.end(), sub->begin(), sub->end());
  }
  return pids;
}

Status RemoveCgroupTree(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return Status::Ok();
    return ErrnoStatus("opendir " + dir);
  }
  std::vector<std::string> children;
  while (dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR || std::strcmp(e->d_name, ".") == 0 ||
        std::strcmp(e->d_name, "..") == 0) {
      continue;
    }
    children.push_back(Join(dir, e->d_name));
  }
  ::closedir(d);
  for (const std::string& c : children) SEE_RETURN_IF_ERROR(RemoveCgroupTree(c));
  // EBUSY with an empty cgroup.procs is common right after the last process exited: the kernel
  // drops the task from the cgroup asynchronously after the exit is reported. With processes
  // listed, waiting does not help.
  constexpr int kAttempts = 50;
  for (int i = 0;; ++i) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return Status::Ok();
    if (errno != EBUSY) return ErrnoStatus("rmdir " + dir);
    auto pids = ReadPidsRecursive(dir);
    if (pids.ok() && !pids->empty()) {
      return Status(Code::kFailedPrecondition,
                    "cannot remove cgroup " + dir + ": " + std::to_string(pids->size()) +
                        " process(es) remain",
                    EBUSY);
    }
    if (i + 1 == kAttempts) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status(Code::kFailedPrecondition, "cannot remove cgroup " + dir + ": still busy", EBUSY);
}

std::string DeviceRuleV1(const oci::DeviceCgroupRule& rule) {
  std::string s = rule.type.empty() ? "a" : rule.type;
  s += ' ';
  // -1 is runc's spelling of the wildcard.
  s += rule.major && *rule.major >= 0 ? std::to_string(*rule.major) : "*";
  s += ':';
  s += rule.minor && *rule.minor >= 0 ? std::to_string(*rule.minor) : "*";
  s += ' ';
  s += rule.access.empty() ? "rwm" : rule.access;
  return s;
}

uint64_t CpuSharesToWeight(uint64_t shares) {
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t BlkioWeightToIoWeight(uint64_t weight) {
  weight = std::clamp<uint64_t>(weight, 10, 1000);
  return 1 + (weight - 10) * 9999 / 990;
}

Result<int64_t> SwapToV2(int64_t swap, int64_t limit) {
  if (swap == -1) return int64_t{-1};
  if (limit <= 0) return InvalidArgument("memory.swap: a swap limit needs a memory limit");
  if (swap < limit) {
    return InvalidArgument("memory.swap (" + std::to_string(swap) +
                           ") must be >= memory.limit (" + std::to_string(limit) + ")");
  }
  return swap - limit;
}

Status ValidateUnifiedKey(std::string_view key) {
  if (key.empty() || key.find('/') != std::string_view::npos || key == "." || key == ".." ||
      key.find("..") != std::string_view::npos) {
    return InvalidArgument("unified: invalid cgroup file name \"" + std::string(key) + "\"");
  }
  return Status::Ok();
}

std::string LimitString(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

const std::vector<std::pair<std::string, std::string>>& KnownV1Controllers() {
  static const auto* kControllers = new std::vector<std::pair<std::string, std::string>>{
      {"cpu", "cpu"},         {"cpuacct", "cpuacct"},     {"cpuset", "cpuset"},
      {"memory", "memory"},   {"devices", "devices"},     {"freezer", "freezer"},
      {"blkio", "blkio"},     {"pids", "pids"},           {"hugetlb", "hugetlb"},
      {"net_cls", "net_cls"}, {"net_prio", "net_prio"},   {"perf_event", "perf_event"},
      {"rdma", "rdma"},       {"misc", "misc"},           {"systemd", "name=systemd"},
  };
  return *kControllers;
}

}  // namespace see::cgroups::internal
