// KillAll by listing pids, shared by both managers.
#include <signal.h>

#include <chrono>
#include <thread>

#include "base/cleanup.h"
#include "base/logging.h"
#include "runtime/cgroups/internal.h"

namespace see::cgroups::internal {
namespace {
constexpr int kEmptyPolls = 500;
constexpr auto kPollInterval = std::chrono::milliseconds(10);
}  // namespace

Status WaitUntilEmpty(Manager& m) {
  for (int i = 0; i < kEmptyPolls; ++i) {
    SEE_ASSIGN_OR_RETURN(std::vector<pid_t> pids, m.Pids());
    if (pids.empty()) return Status::Ok();
    std::this_thread::sleep_for(kPollInterval);
  }
  return Status(Code::kDeadlineExceeded, "processes remain in cgroup " + m.path());
}

Status SignalAllProcesses(Manager& m, bool can_freeze, int sig) {
  {
    auto pids = m.Pids();
    // A cgroup that is gone or empty has nobody to signal; no need to freeze it.
    if (!pids.ok() && pids.status().err() == ENOENT) return Status::Ok();
    SEE_RETURN_IF_ERROR(pids.status());
    if (pids->empty()) return Status::Ok();
  }
  // Frozen, no process can fork between our listing and our signal. A frozen task does not act on
  // a signal until thawed, so we thaw right after signalling.
  bool frozen = false;
  if (can_freeze) {
    Status s = m.Freeze();
    if (s.ok()) {
      frozen = true;
    } else {
      spdlog::warn("cgroup {}: freezing before kill failed, signalling unfrozen: {}", m.path(),
                   s.ToString());
    }
  }
  auto thaw = [&] {
    if (!frozen) return;
    frozen = false;
    Status s = m.Thaw();
    if (!s.ok()) spdlog::warn("cgroup {}: thaw after kill: {}", m.path(), s.ToString());
  };
  Cleanup thaw_on_return(thaw);

  for (int round = 0; round < kEmptyPolls; ++round) {
    SEE_ASSIGN_OR_RETURN(std::vector<pid_t> pids, m.Pids());
    if (pids.empty()) return Status::Ok();
    for (pid_t pid : pids) {
      if (::kill(pid, sig) != 0 && errno != ESRCH) {
        return ErrnoStatus("kill " + std::to_string(pid) + " in cgroup " + m.path());
      }
    }
    thaw();
    // Other signals do not end processes: one pass is the whole job.
    if (sig != SIGKILL) return Status::Ok();
    std::this_thread::sleep_for(kPollInterval);
  }
  return Status(Code::kDeadlineExceeded, "processes remain in cgroup " + m.path());
}

}  // namespace see::cgroups::internal
