// The kernel's per-process tables that several components read: /proc/<pid>/mountinfo and
// /proc/<pid>/cgroup, parsed once here (the runtime's cgroup detection and rootfs set-up, the
// sentry's devices jail).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace see {

// One line of mountinfo ("36 25 0:31 /a /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices"),
// with the kernel's \ooo escapes (space, tab, newline, backslash) undone.
struct MountinfoEntry {
  std::string root;           // the path inside the mounted file system ("/" for its root)
  std::string mount_point;
  std::string fstype;
  std::string source;
  std::string super_options;  // "rw,devices"
};
// Malformed lines are skipped.
std::vector<MountinfoEntry> ParseMountinfo(std::string_view text);

// One line of /proc/<pid>/cgroup ("4:freezer,devices:/a", or "0::/b" for cgroup v2).
struct ProcCgroupEntry {
  std::string id;
  std::vector<std::string> controllers;  // empty for the v2 line
  std::string path;                      // everything after the second ':' (it may hold ':')
};
// Malformed lines are skipped.
std::vector<ProcCgroupEntry> ParseProcCgroup(std::string_view text);

// Splits "a,b" into {"a", "b"} (empty input: none).
std::vector<std::string> SplitCommas(std::string_view s);

}  // namespace see
