// The OCI seccomp profile (linux.seccomp) compiled with libseccomp.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "base/unique_fd.h"
#include "runtime/oci/spec.h"

namespace see::runtime {

class SeccompFilter {
 public:
  SeccompFilter(SeccompFilter&&) noexcept;
  SeccompFilter& operator=(SeccompFilter&&) noexcept;
  ~SeccompFilter();

  // The BPF program as the kernel would receive it (for tests and debugging).
  Result<std::string> ExportBpf() const;

  // Installs the filter on the calling thread/process. With a SCMP_ACT_NOTIFY rule the listener
  // fd is returned (invalid otherwise). REQUIRES: no_new_privs set or CAP_SYS_ADMIN.
  Result<UniqueFd> Load();

  bool uses_notify() const { return uses_notify_; }

 private:
  friend Result<SeccompFilter> BuildSeccompFilter(const oci::Seccomp& profile);
  explicit SeccompFilter(void* ctx) : ctx_(ctx) {}
  void* ctx_ = nullptr;  // scmp_filter_ctx
  bool uses_notify_ = false;
};

// Compiles the profile: default action (+ errno), architectures, flags, and every rule. Syscall
// names the running libseccomp does not know are skipped (as runc does); rules whose action equals
// the default action are skipped (libseccomp refuses them). Arguments: comparisons on distinct
// indexes are ANDed in one rule; repeated indexes produce one rule per comparison (runc's
// semantics).
Result<SeccompFilter> BuildSeccompFilter(const oci::Seccomp& profile);

// The JSON that accompanies the listener fd on listenerPath (runc's ContainerProcessState):
// {"ociVersion","fds":["seccompFd"],"pid","metadata","state":<OCI state>}.
std::string SeccompListenerMessage(const std::string& oci_state_json, pid_t pid,
                                   const std::string& metadata);

}  // namespace see::runtime
