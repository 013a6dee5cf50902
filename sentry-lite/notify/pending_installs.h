// Fds being installed into callers (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND).
//
// The caller runs on as soon as the fd is in its table, but the file keeps two more references
// until the installing sentry thread runs again: the kernel's own (dropped when the ioctl returns)
// and the sentry's fd (closed after it). A file opened for writing and then executed by the caller
// ("write a script, close it, run it") failed with ETXTBSY while they lived, so an exec waits for
// the installs its container started before it (bounded: an install into a stopped caller never
// finishes).
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>

namespace see::sentry {

class PendingInstalls {
 public:
  static PendingInstalls& Global();

  // An install for a caller of `owner` (the container) begins; End(ticket) once the sentry's
  // references are gone.
  uint64_t Begin(const void* owner);
  void End(uint64_t ticket);
  // Waits until every install of `owner` begun before this call has ended, or `limit` passed.
  // Returns false on the limit.
  bool WaitForEarlier(const void* owner, std::chrono::milliseconds limit);

 private:
  std::mutex mu_;
  std::condition_variable ended_;
  uint64_t next_ = 0;                       // guarded by mu_
  std::map<uint64_t, const void*> active_;  // guarded by mu_: ticket -> owner
};

}  // namespace see::sentry
