#include "runtime/linux/proc_util.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "base/file_util.h"

namespace see::runtime {

Result<ProcStat> ParseProcStat(const std::string& content) {
  // comm is in parentheses and may itself contain ") ": the last ')' ends it.
  size_t close = content.rfind(')');
  if (close == std::string::npos || close + 2 >= content.size()) {
    return Internal("malformed /proc stat line");
  }
  std::istringstream in(content.substr(close + 2));
  ProcStat st;
  in >> st.state;
  // Fields after comm start at field 3 (state); starttime is field 22.
  std::string field;
  for (int i = 4; i < 22; ++i) in >> field;
  in >> st.start_time;
  if (!in) return Internal("malformed /proc stat line: no start time");
  return st;
}

Result<ProcStat> ReadProcStat(pid_t pid) {
  auto content = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!content.ok()) return NotFound("process " + std::to_string(pid) + " not found");
  return ParseProcStat(*content);
}

bool IsProcessAlive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto st = ReadProcStat(pid);
  if (!st.ok()) return false;
  if (st->state == 'Z' || st->state == 'X') return false;
  return st->start_time == start_time;
}

Result<UniqueFd> OpenPidfd(pid_t pid) {
  if (pid <= 0) return NotFound("no process");
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return NotFound("process " + std::to_string(pid) + " not found");
  return UniqueFd(fd);
}

bool PidfdExited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  int n;
  while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR) {
  }
  return n > 0;
}

Result<UniqueFd> OpenVerifiedPidfd(pid_t pid, uint64_t start_time) {
  SEE_ASSIGN_OR_RETURN(UniqueFd pidfd, OpenPidfd(pid));
  if (!IsProcessAlive(pid, start_time)) {
    return NotFound("process " + std::to_string(pid) + " has exited");
  }
  return pidfd;
}

Status SignalPidfd(int pidfd, int sig) {
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0) {
    return ErrnoStatus("pidfd_send_signal");
  }
  return Status::Ok();
}

}  // namespace see::runtime
