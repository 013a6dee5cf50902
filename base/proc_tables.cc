#include "base/proc_tables.h"

#include "base/strings.h"

namespace see {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t j = 1; j <= 3; ++j) {
        char c = s[i + j];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::vector<MountinfoEntry> ParseMountinfo(std::string_view text) {
  std::vector<MountinfoEntry> out;
  for (std::string_view line : Split(text, '\n')) {
    size_t sep = line.find(" - ");
    if (sep == std::string_view::npos) continue;
    auto pre = Split(line.substr(0, sep), ' ');
    auto post = Split(line.substr(sep + 3), ' ');
    if (pre.size() < 5 || post.size() < 3) continue;
    out.push_back(MountinfoEntry{Unescape(pre[3]), Unescape(pre[4]), std::string(post[0]),
                                 Unescape(post[1]), std::string(post[2])});
  }
  return out;
}

std::vector<ProcCgroupEntry> ParseProcCgroup(std::string_view text) {
  std::vector<ProcCgroupEntry> out;
  for (std::string_view line : Split(text, '\n')) {
    size_t first = line.find(':');
    size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    out.push_back(ProcCgroupEntry{std::string(line.substr(0, first)),
                                  SplitCommas(line.substr(first + 1, second - first - 1)),
                                  std::string(line.substr(second + 1))});
  }
  return out;
}

std::vector<std::string> SplitCommas(std::string_view s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  for (std::string_view part : Split(s, ',')) out.emplace_back(part);
  return out;
}

}  // namespace see
