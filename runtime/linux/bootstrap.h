// What the runtime hands to a freshly exec'd init (`<binary> init <fd-base>`): a JSON document in
// a memfd at fd-base+1, the sync socket at fd-base, the console socket at fd-base+2 when present.
// fd-base is 3 + preserve_fds, so fds 3..fd-base-1 are the caller's preserved fds.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"

namespace see::runtime {

struct Bootstrap {
  enum class Mode { kCreate, kExec } mode = Mode::kCreate;
  std::string id;
  std::string bundle;      // absolute
  std::string rootfs;      // absolute
  std::string state_dir;   // create: holds exec.fifo
  std::string spec_json;   // the container's config.json
  std::string process_json;  // exec: the process to run
  pid_t target_pid = 0;    // exec: the container's init, whose namespaces are joined
  int preserve_fds = 0;
  bool has_console = false;
  bool no_pivot = false;
  bool cgroup_v2 = false;
  std::string cgroup_path;
  // Sandbox::kSentry: the sentry's registration socket (connected before any setns, on the host
  // side) and what the registration tells it (control_protocol.h Registration). Empty: no sentry.
  std::string sentry_socket;
  std::string sentry_memory_cgroup;
  std::string sentry_cpu_cgroup;
};

std::string BootstrapToJson(const Bootstrap& b);
Result<Bootstrap> BootstrapFromJson(const std::string& json);

}  // namespace see::runtime
