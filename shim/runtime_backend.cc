// ContainerBackend over see_runtime, the runtime library behind `runsee`.
#include <fcntl.h>
#include <unistd.h>

#include "base/logging.h"
#include "runtime/linux/container.h"
#include "runtime/oci/spec.h"
#include "shim/backend.h"

namespace see::shim {

namespace {

// see_runtime gives a new process the caller's own fds 0, 1, 2 (as runc does with its stdio), and
// has no parameter for them. Until it has one, the shim — whose 0, 1, 2 are /dev/null and which
// logs elsewhere — points them at the process's stdio for the duration of the call. Safe because
// every runtime call runs on the one loop thread and no other shim thread uses fds 0-2; dup2 keeps
// the numbers occupied at all times, so no other open() can land on them.
class StdioSwap {
 public:
  explicit StdioSwap(const ProcessStdioFds& s) {
    for (int n = 0; n < 3; ++n) {
      saved_[n] = fcntl(n, F_DUPFD_CLOEXEC, 3);
      int src = s.fds[n] >= 0 ? s.fds[n] : NullFd();
      if (src >= 0) dup2(src, n);
    }
  }
  ~StdioSwap() {
    for (int n = 0; n < 3; ++n) {
      if (saved_[n] >= 0) {
        dup2(saved_[n], n);
        close(saved_[n]);
      }
    }
    if (null_ >= 0) close(null_);
  }

 private:
  int NullFd() {
    if (null_ < 0) null_ = open("/dev/null", O_RDWR | O_CLOEXEC);
    return null_;
  }
  int saved_[3] = {-1, -1, -1};
  int null_ = -1;
};

class RuntimeBackend : public ContainerBackend {
 public:
  explicit RuntimeBackend(std::string root) { rt_.root = std::move(root); }

  Result<pid_t> Create(const BackendCreate& c) override {
    runtime::CreateOptions o;
    o.id = c.id;
    o.bundle = c.bundle;
    o.console_socket = c.console_socket;
    StdioSwap swap(c.stdio);
    return runtime::Create(rt_, o);
  }
  Status Start(const std::string& id) override { return runtime::Start(rt_, id); }
  Result<pid_t> Exec(const BackendExec& e) override {
    runtime::ExecOptions o;
    o.id = e.id;
    o.process_json = e.process_json;
    o.console_socket = e.console_socket;
    StdioSwap swap(e.stdio);
    return runtime::Exec(rt_, o);
  }
  Status Kill(const std::string& id, int sig, bool all) override {
    return runtime::Kill(rt_, id, sig, all);
  }
  Status Delete(const std::string& id, bool force) override {
    return runtime::Delete(rt_, id, force);
  }
  Status Pause(const std::string& id) override { return runtime::Pause(rt_, id); }
  Status Resume(const std::string& id) override { return runtime::Resume(rt_, id); }
  Result<std::vector<pid_t>> Pids(const std::string& id) override {
    return runtime::Pids(rt_, id);
  }
  Status Update(const std::string& id, const std::string& resources_json) override {
    auto r = oci::ParseResources(resources_json);
    if (!r.ok()) return r.status().Wrap("resources");
    return runtime::Update(rt_, id, *r);
  }
  Result<cgroups::Stats> Stats(const std::string& id) override { return runtime::Stats(rt_, id); }
  Result<std::unique_ptr<cgroups::Manager>> Cgroup(const std::string& id) override {
    return runtime::OpenCgroup(rt_, id);
  }
  bool SharesPidNamespace(const std::string& id) override {
    auto info = runtime::GetState(rt_, id);
    return info.ok() && !info->state.own_pid_ns;
  }

 private:
  runtime::RuntimeOptions rt_;
};

}  // namespace

std::unique_ptr<ContainerBackend> NewRuntimeBackend(const std::string& state_root) {
  return std::make_unique<RuntimeBackend>(state_root);
}

}  // namespace see::shim
