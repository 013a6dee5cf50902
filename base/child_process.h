// ChildProcess: owns a child pid (and its pidfd when the kernel gives one). Unless Release()d, the
// destructor kills the child with SIGKILL and reaps it, so no failure path leaves a process behind.
#pragma once

#include <sys/types.h>

#include <utility>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see {

class ChildProcess {
 public:
  ChildProcess() = default;
  // Takes ownership of `pid`; opens a pidfd for it (pidfd stays invalid on old kernels).
  explicit ChildProcess(pid_t pid);
  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), pidfd_(std::move(o.pidfd_)) {}
  ChildProcess& operator=(ChildProcess&& o) noexcept;

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  bool valid() const { return pid_ > 0; }

  // Sends `sig` (through the pidfd when there is one, so a recycled pid is never hit).
  Status Signal(int sig) const;

  // Blocks until the child exits; returns the raw wait status. The child is reaped.
  Result<int> Wait();

  // Non-blocking: the raw wait status if the child has exited (and reaps it);
  // kFailedPrecondition while it still runs.
  Result<int> TryWait();

  // Gives up ownership without killing; the caller becomes responsible for reaping.
  [[nodiscard]] pid_t Release();

 private:
  void KillAndReap();

  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

// Exit code as a shell reports it: WEXITSTATUS, or 128+signal.
int ExitCodeFromWaitStatus(int wait_status);

}  // namespace see
