// Process identity helpers that are safe against pid recycling: a pid is only "the container's
// init" while its start time (field 22 of /proc/<pid>/stat) matches the one recorded at create.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see::runtime {

struct ProcStat {
  char state = '?';         // R, S, D, Z, X, T, ...
  uint64_t start_time = 0;  // clock ticks since boot
};

// Parses the content of /proc/<pid>/stat (the comm field may contain spaces and parentheses).
Result<ProcStat> ParseProcStat(const std::string& content);
// Reads /proc/<pid>/stat. kNotFound when the process does not exist.
Result<ProcStat> ReadProcStat(pid_t pid);

// True when `pid` exists, is not a zombie, and started at `start_time`.
bool IsProcessAlive(pid_t pid, uint64_t start_time);

// pidfd_open(2): a pidfd for whatever process `pid` names now. kNotFound when there is none.
Result<UniqueFd> OpenPidfd(pid_t pid);

// Whether the process behind `pidfd` has ended (the pidfd polls readable once it has exited,
// reaped or not, by whoever).
bool PidfdExited(int pidfd);

// A pidfd for `pid`, verified to still be the process that started at `start_time` (checked after
// the pidfd is open, so signals sent through it can never hit a recycled pid).
// kNotFound when the process is gone or was replaced.
Result<UniqueFd> OpenVerifiedPidfd(pid_t pid, uint64_t start_time);

// pidfd_send_signal(2).
Status SignalPidfd(int pidfd, int sig);

}  // namespace see::runtime
