// Host-side work the kubelet does around CRI calls: pod log and volume directories, emptyDir
// tmpfs, hostPath type checks, and removing all of it (and the pod cgroup) when the pod goes.
#pragma once

#include <string>
#include <vector>

#include "base/cleanup.h"
#include "base/status.h"
#include "e2e/seectl/translate.h"

namespace see::seectl {

// Creates the pod's log directory and volume directories, mounts emptyDir tmpfs, checks or
// creates hostPaths. Each step pushes its undo onto `undo`.
Status PrepareHost(const PodPlan& plan, UndoStack* undo);

// Removes what PrepareHost made for a pod (unmounting tmpfs first) and the pod cgroup in every
// hierarchy. Missing pieces are fine; `pod_dir` and `log_dir` must end in the pod's uid /
// "<ns>_<name>_<uid>" (a guard against removing anything else).
Status CleanupHost(const std::string& uid, const std::string& pod_dir, const std::string& log_dir,
                   const std::string& cgroup_dir);

// rmdir of `rel` (and then its parents up to the first non-empty one, at most `parents` levels)
// under every cgroup v1/v2 mount.
void RemoveCgroup(const std::string& rel, int parents);

// A random UUID (the kernel's).
Result<std::string> NewUuid();
// MemTotal in bytes.
Result<int64_t> MemTotal();

// One line of a CRI container log: "<RFC3339Nano time> <stdout|stderr> <P|F> <text>".
struct LogLine {
  std::string time;
  std::string stream;
  bool partial = false;
  std::string text;
};
// Parses a CRI log line; false for a malformed one.
bool ParseCriLogLine(std::string_view line, LogLine* out);

}  // namespace see::seectl
