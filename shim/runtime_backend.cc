// ContainerBackend over see_runtime, the runtime library behind `runsee`.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <ctime>
#include <set>
#include <sstream>

#include "base/file_util.h"
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

// Field 22 of /proc/PID/stat (start time in clock ticks): with the pid, names one process.
std::string StartTime(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return "";
  size_t paren = stat->rfind(')');
  if (paren == std::string::npos) return "";
  std::istringstream in(stat->substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && in >> field; ++i) {
  }
  return field;
}

void RemovePodDir(const std::string& dir) {
  for (const char* f : {"/sentry.sock", "/sentry.sock.log", "/sentry.pid"}) {
    unlink((dir + f).c_str());
  }
  rmdir(dir.c_str());
}

// Pod directories whose sentry is dead and whose shim never cleaned up (the shim and containerd
// were killed together, so no `delete` ran). Old ones only: a directory being set up has no pid
// file yet, and one whose sentry is being replaced changes its mtime.
void CollectDeadPodDirs(const std::string& parent) {
  DIR* d = opendir(parent.c_str());
  if (!d) return;
  time_t now = time(nullptr);
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string dir = parent + "/" + e->d_name;
    struct stat st;
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || now - st.st_mtime < 60) continue;
    auto text = ReadFile(dir + "/sentry.pid");
    pid_t pid = 0;
    std::string start;
    if (text.ok()) std::istringstream(*text) >> pid >> start;
    if (pid > 0 && StartTime(pid) == start) continue;  // alive
    RemovePodDir(dir);
  }
  closedir(d);
}

// How long a sentry asked to stop (SIGTERM) may take before SIGKILL.
constexpr int kSentryStopMs = 2000;

class RuntimeBackend : public ContainerBackend {
 public:
  RuntimeBackend(std::string root, std::string pod_dir) : pod_dir_(std::move(pod_dir)) {
    rt_.root = std::move(root);
  }
  ~RuntimeBackend() override { StopSentry(); }

  Result<pid_t> Create(const BackendCreate& c) override {
    runtime::CreateOptions o;
    o.id = c.id;
    o.bundle = c.bundle;
    o.console_socket = c.console_socket;
    o.sandbox = c.sentry ? runtime::Sandbox::kSentry : runtime::Sandbox::kNone;
    if (c.sentry && !pod_dir_.empty()) {
      // Before the stdio swap: the sentry must not inherit the container's stdio.
      SEE_RETURN_IF_ERROR(EnsureSentry());
      o.sentry_socket = sentry_->socket;
    }
    Result<pid_t> pid = [&] {
      StdioSwap swap(c.stdio);
      return runtime::Create(rt_, o);
    }();
    if (pid.ok()) {
      containers_.insert(c.id);
    } else if (containers_.empty()) {
      StopSentry();
    }
    return pid;
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
    Status st = runtime::Delete(rt_, id, force);
    if (st.ok() || st.code() == Code::kNotFound) {
      containers_.erase(id);
      if (containers_.empty()) AskSentryToStop();
    }
    return st;
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
  bool ClaimExit(pid_t pid, int wait_status) override {
    if (!sentry_ || sentry_->process.pid() != pid) return false;
    if (!stopping_) {
      spdlog::error("see-sentry (pid {}) exited with {} while serving the pod; see {}.log", pid,
                    ExitCodeFromWaitStatus(wait_status), sentry_->socket);
    }
    stopping_ = false;
    (void)sentry_->process.Release();  // already reaped
    sentry_.reset();
    RemovePodDir(pod_dir_);
    // Without its sentry every served call of the pod fails (ENOSYS): fail the pod visibly
    // instead, so containerd sees the exits and the kubelet can restart it.
    for (const std::string& id : containers_) {
      Status st = runtime::Kill(rt_, id, SIGKILL, /*all=*/true);
      if (!st.ok()) spdlog::warn("killing {} after its sentry died: {}", id, st.ToString());
    }
    return true;
  }

 private:
  Status EnsureSentry() {
    // A sentry still stopping (a container came after the last one left) is finished first: the
    // new one binds the same socket path.
    if (stopping_) StopSentry();
    if (sentry_) return Status::Ok();
    CollectDeadPodDirs(pod_dir_.substr(0, pod_dir_.rfind('/')));
    SEE_RETURN_IF_ERROR(MkdirAll(pod_dir_, 0700));
    std::string socket = pod_dir_ + "/sentry.sock";
    unlink(socket.c_str());  // a dead sentry's
    auto sp = runtime::StartSentry(rt_, socket, /*exit_when_idle=*/false);
    if (!sp.ok()) {
      RemovePodDir(pod_dir_);
      return sp.status();
    }
    sentry_ = std::make_unique<runtime::SentryProcess>(std::move(*sp));
    pid_t pid = sentry_->process.pid();
    // For `delete` after a dead shim: which process to kill, if it outlived its owner pipe.
    Status st = WriteFile(pod_dir_ + "/sentry.pid", std::to_string(pid) + " " + StartTime(pid));
    if (!st.ok()) spdlog::warn("sentry pid file: {}", st.ToString());
    spdlog::info("see-sentry started for the pod (pid {}, {})", pid, socket);
    return Status::Ok();
  }

  // After the pod's last container: SIGTERM now, so the Delete answers without waiting; the
  // reaper hands the exit to ClaimExit, and StopSentry (next Create, shutdown) finishes it.
  void AskSentryToStop() {
    if (!sentry_ || stopping_) return;
    if (sentry_->process.Signal(SIGTERM).ok()) {
      stopping_ = true;
    } else {
      StopSentry();
    }
  }

  // SIGTERM, SIGKILL after kSentryStopMs, reaped (on the loop thread: the reaper cannot race).
  void StopSentry() {
    stopping_ = false;
    if (!sentry_) return;
    ChildProcess& p = sentry_->process;
    pid_t pid = p.pid();
    if (p.Signal(SIGTERM).ok() && p.pidfd() >= 0) {
      pollfd pfd{p.pidfd(), POLLIN, 0};
      while (poll(&pfd, 1, kSentryStopMs) < 0 && errno == EINTR) {
      }
    }
    auto status = p.TryWait();
    if (!status.ok()) spdlog::warn("see-sentry (pid {}) ignored SIGTERM; killing it", pid);
    sentry_.reset();  // ChildProcess: SIGKILL and reap if still there
    RemovePodDir(pod_dir_);
    spdlog::info("see-sentry (pid {}) stopped", pid);
  }

  runtime::RuntimeOptions rt_;
  std::string pod_dir_;
  std::unique_ptr<runtime::SentryProcess> sentry_;
  bool stopping_ = false;  // SIGTERM sent, exit not yet reaped
  std::set<std::string> containers_;  // created and not yet deleted
};

}  // namespace

std::unique_ptr<ContainerBackend> NewRuntimeBackend(const std::string& state_root,
                                                    const std::string& pod_dir) {
  return std::make_unique<RuntimeBackend>(state_root, pod_dir);
}

std::string PodDirForShimSocket(const std::string& shim_socket) {
  // containerd's socket name is hex(sha256(address/ns/grouping)): unique per pod. 32 digits keep
  // <dir>/sentry.sock well inside sun_path.
  std::string name = shim_socket.substr(shim_socket.rfind('/') + 1);
  return "/run/containerd/see-pods/" + name.substr(0, 32);
}

void KillLeftoverSentry(const std::string& pod_dir) {
  auto text = ReadFile(pod_dir + "/sentry.pid");
  if (text.ok()) {
    std::istringstream in(*text);
    pid_t pid = 0;
    std::string start;
    if (in >> pid >> start && pid > 0 && StartTime(pid) == start) {
      spdlog::warn("killing the leftover see-sentry (pid {}) of a dead shim", pid);
      kill(pid, SIGKILL);
    }
  }
  RemovePodDir(pod_dir);
}

}  // namespace see::shim
