#include "sentry-lite/notify/pending_installs.h"

namespace see::sentry {

PendingInstalls& PendingInstalls::Global() {
  static PendingInstalls* p = new PendingInstalls();  // never destroyed: used by detached threads
  return *p;
}

uint64_t PendingInstalls::Begin(const void* owner) {
  std::lock_guard lock(mu_);
  uint64_t t = ++next_;
  active_.emplace(t, owner);
  return t;
}

void PendingInstalls::End(uint64_t ticket) {
  std::lock_guard lock(mu_);
  active_.erase(ticket);
  ended_.notify_all();
}

bool PendingInstalls::WaitForEarlier(const void* owner, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  uint64_t before = next_;
  return ended_.wait_for(lock, limit, [&] {
    for (const auto& [ticket, o] : active_) {
      if (ticket > before) break;
      if (o == owner) return false;
    }
    return true;
  });
}

}  // namespace see::sentry
