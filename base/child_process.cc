#include "base/child_process.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace see {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

}  // namespace

ChildProcess::ChildProcess(pid_t pid) : pid_(pid), pidfd_(PidfdOpen(pid)) {}

ChildProcess::~ChildProcess() { KillAndReap(); }

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    KillAndReap();
    pid_ = std::exchange(o.pid_, -1);
    pidfd_ = std::move(o.pidfd_);
  }
  return *this;
}

Status ChildProcess::Signal(int sig) const {
  if (pid_ <= 0) return FailedPrecondition("no child process");
  int rc = pidfd_.valid() ? PidfdSendSignal(pidfd_.get(), sig) : ::kill(pid_, sig);
  if (rc != 0) return ErrnoStatus("signalling pid " + std::to_string(pid_));
  return Status::Ok();
}

Result<int> ChildProcess::Wait() {
  if (pid_ <= 0) return FailedPrecondition("no child process");
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_) break;
    if (r < 0 && errno == EINTR) continue;
    return ErrnoStatus("waiting for pid " + std::to_string(pid_));
  }
  pid_ = -1;
  pidfd_.Reset();
  return status;
}

Result<int> ChildProcess::TryWait() {
  if (pid_ <= 0) return FailedPrecondition("no child process");
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return FailedPrecondition("still running");
  if (r < 0) return ErrnoStatus("waiting for pid " + std::to_string(pid_));
  pid_ = -1;
  pidfd_.Reset();
  return status;
}

pid_t ChildProcess::Release() {
  pidfd_.Reset();
  return std::exchange(pid_, -1);
}

void ChildProcess::KillAndReap() {
  if (pid_ <= 0) return;
  (void)Signal(SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  pidfd_.Reset();
}

int ExitCodeFromWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

}  // namespace see
