// ContainerBackend over see_runtime, the runtime library behind `runsee`.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/file_util.h"
#include "base/logging.h"
#include "runtime/linux/container.h"
#include "runtime/linux/mounts.h"
#include "runtime/oci/spec.h"
#include "shim/backend.h"
#include "sentry-lite/sentry/control_protocol.h"
#include "shim/config.h"
#include "shim/event_loop.h"

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

// A bundle's config.json (as ReadFile gave it) as a JSON object.
Result<nlohmann::json> SpecJson(Result<std::string> text) {
  if (!text.ok()) return text.status().Wrap("config.json");
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("config.json is not JSON");
  return j;
}

// --- Pod user namespace ranges.
// A pod claims host ids [base, base + 65536) with the file <see-pods>/.userns-<base>: created
// O_EXCL and flock()ed for as long as the shim holds the range. A dead shim's flock is gone with
// it, so its claim is taken over (the inode re-checked after locking, since the releasing shim
// unlinks it) and `delete` removes it (ReleaseLeftoverUsernsClaims).
constexpr char kClaimPrefix[] = ".userns-";

struct UsernsClaim {
  uint32_t base = 0;
  std::string path;
  UniqueFd lock;
};

// Locks `path` if it still names the inode of `fd`: true when we hold it now.
bool LockClaim(int fd, const std::string& path) {
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) return false;
  struct stat a{}, b{};
  if (fstat(fd, &a) == 0 && stat(path.c_str(), &b) == 0 && a.st_ino == b.st_ino &&
      a.st_dev == b.st_dev) {
    return true;
  }
  errno = ESTALE;  // unlinked (released) or replaced since we opened it
  return false;
}

Result<UsernsClaim> ClaimRange(const std::string& dir, const std::string& pod_dir,
                               const UsernsSettings& s) {
  SEE_RETURN_IF_ERROR(MkdirAll(dir, 0700));
  for (uint32_t i = 0; i < s.ranges; ++i) {
    uint32_t base = s.base + i * kUsernsRangeSize;
    std::string path = dir + "/" + kClaimPrefix + std::to_string(base);
    for (int attempt = 0; attempt < 3; ++attempt) {
      UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      bool fresh = fd.valid();
      if (!fresh && errno == EEXIST) fd.Reset(open(path.c_str(), O_RDWR | O_CLOEXEC));
      if (!fd) {
        if (errno == ENOENT) continue;  // released meanwhile: try again
        return ErrnoStatus("claiming " + path);
      }
      if (!LockClaim(fd.get(), path)) {
        if (fresh || errno != EWOULDBLOCK) continue;  // replaced under us: look again
        break;                                        // a live shim holds it
      }
      if (!fresh) spdlog::info("taking over the stale user namespace claim {}", path);
      std::string owner = pod_dir + "\n" + std::to_string(getpid()) + "\n";
      if (ftruncate(fd.get(), 0) < 0 || pwrite(fd.get(), owner.data(), owner.size(), 0) < 0) {
        return ErrnoStatus("writing " + path);
      }
      return UsernsClaim{base, path, std::move(fd)};
    }
  }
  return Status(Code::kResourceExhausted, "no free user namespace range (userns_ranges " +
                                              std::to_string(s.ranges) + " from " +
                                              std::to_string(s.base) + ")");
}

void ReleaseClaim(UsernsClaim& c) {
  if (!c.lock) return;
  unlink(c.path.c_str());  // while locked: a waiting taker sees the inode change
  c.lock.Reset();
}

}  // namespace

// A name is not enough (a hostPath could be called anything): the ids must be this pod's and the
// path its own, with no symlink on the way.
bool PodOwnedVolume(const std::string& source, const std::string& sandbox_id,
                    const std::string& pod_uid) {
  char resolved[PATH_MAX];
  if (source.empty() || source[0] != '/' || !realpath(source.c_str(), resolved) ||
      source != resolved) {
    return false;
  }
  auto ends_with = [&](std::string_view s) {
    return source.size() >= s.size() && source.compare(source.size() - s.size(), s.size(), s) == 0;
  };
  auto has = [&](const std::string& s) { return source.find(s) != std::string::npos; };
  bool kubelet = !pod_uid.empty() && pod_uid.find('/') == std::string::npos &&
                 (has("/pods/" + pod_uid + "/volumes/kubernetes.io~") ||
                  ends_with("/pods/" + pod_uid + "/etc-hosts"));
  bool containerd = !sandbox_id.empty() && sandbox_id.find('/') == std::string::npos &&
                    has("/io.containerd.grpc.v1.cri/sandboxes/" + sandbox_id + "/");
  return kubelet || containerd;
}

std::string IdmapOption(const std::string& source, int userns_fd, bool recursive) {
  if (recursive && runtime::MakeIdmappedTree(source, userns_fd, true, true).ok()) return "ridmap";
  return runtime::MakeIdmappedTree(source, userns_fd, recursive, false).ok() ? "idmap" : "";
}

namespace {

// Whether a spec's linux.namespaces leaves the container in the shim's (the host's) namespace of
// `type`: no entry of that type, or one whose path names the host's namespace (an app container
// of a pod whose sandbox shares it).
bool HostNamespace(const nlohmann::json& namespaces, const std::string& type) {
  static const std::map<std::string, std::string> kProcName = {
      {"network", "net"}, {"pid", "pid"}, {"ipc", "ipc"}};
  for (const auto& ns : namespaces) {
    if (!ns.is_object() || !ns.contains("type") || !ns["type"].is_string() ||
        ns["type"].get<std::string>() != type) {
      continue;
    }
    if (!ns.contains("path") || !ns["path"].is_string()) return false;
    struct stat theirs, host;
    std::string own = "/proc/self/ns/" + kProcName.at(type);
    // A path that cannot be read is not the host's (the runtime fails on it anyway).
    return stat(ns["path"].get<std::string>().c_str(), &theirs) == 0 &&
           stat(own.c_str(), &host) == 0 && theirs.st_dev == host.st_dev &&
           theirs.st_ino == host.st_ino;
  }
  return true;
}

// How long a sentry asked to stop (SIGTERM) may take before SIGKILL.
constexpr int kSentryStopMs = 2000;

class RuntimeBackend : public ContainerBackend {
 public:
  RuntimeBackend(std::string root, std::string pod_dir) : pod_dir_(std::move(pod_dir)) {
    rt_.root = std::move(root);
  }
  ~RuntimeBackend() override {
    WatchExits(nullptr, nullptr);
    StopSentry();
    ReleaseUserns();
  }

  void WatchExits(EventLoop* loop, ExitCallback on_exit) override {
    UnwatchControl();
    loop_ = loop;
    on_exit_ = std::move(on_exit);
    WatchControl();
  }

  Result<int> PrepareUserNamespace(const std::string& bundle, const UsernsSettings& s) override {
    auto text = ReadFile(bundle + "/config.json");
    // The pod decides once, with its first container (under CRI the sandbox); the others follow.
    // A later container cannot tell for itself: an app container names the sandbox's namespaces
    // by path, the host's too when the sandbox shares them.
    bool decided = !containers_.empty();
    if (decided && !userns_) return -1;
    if (!decided && !s.pod &&
        (!text.ok() || text->find(kUserNamespaceAnnotation) == std::string::npos)) {
      return -1;
    }
    SEE_ASSIGN_OR_RETURN(nlohmann::json j, SpecJson(std::move(text)));
    // The pod's own choice (every container of a pod carries the pod's see.dev/* annotations).
    bool wanted = s.pod, chosen = false;
    auto annotations = j.find("annotations");
    if (annotations != j.end() && annotations->is_object()) {
      auto a = annotations->find(kUserNamespaceAnnotation);
      if (a != annotations->end()) {
        std::string v = a->is_string() ? a->get<std::string>() : a->dump();
        if (v != "pod" && v != "host") {
          return InvalidArgument(std::string("annotation ") + kUserNamespaceAnnotation +
                                 ": must be pod or host, not " + v);
        }
        wanted = v == "pod";
        chosen = true;
      }
    }
    nlohmann::json nss = nlohmann::json::array();
    auto linux = j.find("linux");
    if (linux != j.end() && linux->is_object()) {
      auto n = linux->find("namespaces");
      if (n != linux->end() && n->is_array()) nss = *n;
    }
    // A spec with its own user namespace keeps it (and its rootfs is not id-mapped).
    for (const auto& ns : nss) {
      if (ns.is_object() && ns.contains("type") && ns["type"] == "user") return -1;
    }
    if (decided) return layers_ns_.get();
    if (!wanted) return -1;
    // The node's default does not apply to a pod in the host's network, pid or ipc namespace
    // (Kubernetes refuses hostUsers: false for those: their root would lose what they came for,
    // e.g. binding a low port on the host); the pod's own annotation still does.
    if (!chosen) {
      for (const char* type : {"network", "pid", "ipc"}) {
        if (HostNamespace(nss, type)) {
          spdlog::info("the pod shares the host's {} namespace: it keeps host ids "
                       "(annotation {}: pod gives it a user namespace)", type,
                       kUserNamespaceAnnotation);
          return -1;
        }
      }
    }
    idmap_host_paths_ = s.idmap_host_paths;
    if (userns_) return layers_ns_.get();
    std::string parent = pod_dir_.empty() ? "/run/containerd/see-pods"
                                          : pod_dir_.substr(0, pod_dir_.rfind('/'));
    SEE_ASSIGN_OR_RETURN(UsernsClaim claim, ClaimRange(parent, pod_dir_, s));
    std::vector<oci::IdMapping> pod{{.container_id = 0, .host_id = claim.base,
                                     .size = kUsernsRangeSize}};
    // The layers' mapping adds host root as an id no image uses: overlayfs works in the upper
    // layer with its mounter's (the shim's) credentials, which an id-mapped layer must map.
    std::vector<oci::IdMapping> layers = pod;
    layers.push_back({.container_id = 0xFFFFFFFEu, .host_id = 0, .size = 1});
    auto ns = runtime::NewUserNamespaceFd(pod, pod);
    auto lns = ns.ok() ? runtime::NewUserNamespaceFd(layers, layers) : ns.status();
    if (!lns.ok()) {
      ReleaseClaim(claim);
      return lns.status().Wrap("pod user namespace");
    }
    claim_ = std::move(claim);
    userns_ = std::move(*ns);
    layers_ns_ = std::move(*lns);
    spdlog::info("pod user namespace: root is host uid/gid {} (65536 ids)", claim_.base);
    return layers_ns_.get();
  }

  void ReleaseUnusedUserNamespace() override {
    if (containers_.empty()) ReleaseUserns();
  }

  Result<pid_t> Create(const BackendCreate& c) override {
    runtime::CreateOptions o;
    o.id = c.id;
    o.bundle = c.bundle;
    o.console_socket = c.console_socket;
    o.sandbox = c.sentry ? runtime::Sandbox::kSentry : runtime::Sandbox::kNone;
    if (c.sentry && !pod_dir_.empty()) {
      // Before the stdio swap: the sentry must not inherit the container's stdio.
      SEE_RETURN_IF_ERROR(EnsureSentry(c.bundle));
      o.sentry_socket = sentry_->socket;
    }
    Result<pid_t> pid = [&]() -> Result<pid_t> {
      if (c.pod_userns) SEE_RETURN_IF_ERROR(JoinPodUserns(c.bundle, c.rootfs_idmapped));
      StdioSwap swap(c.stdio);
      return runtime::Create(rt_, o);
    }();
    if (pid.ok()) {
      containers_.insert(c.id);
    } else if (containers_.empty()) {
      StopSentry();
      ReleaseUserns();
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
      if (containers_.empty()) {
        AskSentryToStop();
        ReleaseUserns();
      }
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
    ForgetControl();
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
  // The network namespace a bundle's spec joins by path (the CRI's pod network), or an invalid fd.
  static UniqueFd SpecNetworkNamespace(const std::string& bundle) {
    auto j = SpecJson(ReadFile(bundle + "/config.json"));
    if (!j.ok() || !j->contains("linux") || !(*j)["linux"].is_object()) return UniqueFd();
    const auto& nss = (*j)["linux"].value("namespaces", nlohmann::json::array());
    if (!nss.is_array()) return UniqueFd();
    for (const auto& ns : nss) {
      if (!ns.is_object() || ns.value("type", "") != "network") continue;
      std::string path = ns.value("path", "");
      if (path.empty()) return UniqueFd();
      UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) spdlog::warn("pod network namespace {}: {}", path, strerror(errno));
      return fd;
    }
    return UniqueFd();
  }

  Status EnsureSentry(const std::string& bundle) {
    // A sentry still stopping (a container came after the last one left) is finished first: the
    // new one binds the same socket path.
    if (stopping_) StopSentry();
    if (sentry_) return Status::Ok();
    CollectDeadPodDirs(pod_dir_.substr(0, pod_dir_.rfind('/')));
    SEE_RETURN_IF_ERROR(MkdirAll(pod_dir_, 0700));
    std::string socket = pod_dir_ + "/sentry.sock";
    unlink(socket.c_str());  // a dead sentry's
    // In a pod user namespace the sentry serves from inside it: the pod's ids and capabilities
    // over the pod's files, none on the host.
    // It joins the pod's network namespace first (the first container's, the sandbox under CRI):
    // inside the user namespace it could not enter that host-owned namespace for /proc/sys/net.
    UniqueFd netns = userns_ ? SpecNetworkNamespace(bundle) : UniqueFd();
    auto sp = runtime::StartSentry(rt_, {.socket_path = socket,
                                         .userns_fd = userns_ ? userns_.get() : -1,
                                         .netns_fd = netns ? netns.get() : -1});
    if (!sp.ok()) {
      RemovePodDir(pod_dir_);
      return sp.status();
    }
    sentry_ = std::make_unique<runtime::SentryProcess>(std::move(*sp));
    rt_.pod_init_fd = sentry_->control.get();
    WatchControl();
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
    ForgetControl();
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

  // The pod init's reports (kExit) reach on_exit_ through the loop.
  void WatchControl() {
    if (!loop_ || !sentry_ || watched_) return;
    Status st = loop_->Add(sentry_->control.get(), EPOLLIN, [this](uint32_t) { ReadExits(); });
    if (!st.ok()) spdlog::error("watching the pod init's control socket: {}", st.ToString());
    watched_ = st.ok();
  }
  void UnwatchControl() {
    if (watched_) loop_->Remove(sentry_->control.get());
    watched_ = false;
  }
  // Every report still queued, then no more spawns or reports (the sentry is going).
  void ForgetControl() {
    ReadExits();
    UnwatchControl();
    rt_.pod_init_fd = -1;
  }
  void ReadExits() {
    if (!sentry_) return;
    for (;;) {
      char buf[sizeof(sentry::ControlHeader) + sizeof(sentry::ExitMessage)];
      ssize_t n = recv(sentry_->control.get(), buf, sizeof(buf), MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // EOF or a reset: the pod init is gone (the reaper hands its exit to ClaimExit); stop
        // polling a socket that stays readable. Short of memory: tried again on the next wake.
        if (n == 0 || (errno != EAGAIN && errno != ENOMEM && errno != ENOBUFS)) UnwatchControl();
        return;
      }
      auto exit = sentry::DecodeExitMessage(std::string_view(buf, static_cast<size_t>(n)));
      if (!exit.ok()) {
        spdlog::warn("ignoring a malformed report of the pod's see-sentry");
        continue;
      }
      if (on_exit_) on_exit_(exit->pid, exit->wait_status);
    }
  }

  // The container joins the pod's user namespace (held by our fd, named through /proc/<shim>/fd,
  // so it outlives any one container); its bind volumes (with host_paths: unmapped only the pod's
  // own, PodOwnedVolume) are id-mapped when their filesystem allows it (probed), and the rootfs
  // too if the shim did not mount it.
  Status JoinPodUserns(const std::string& bundle, bool rootfs_idmapped) {
    std::string path = bundle + "/config.json";
    SEE_ASSIGN_OR_RETURN(nlohmann::json j, SpecJson(ReadFile(path)));
    try {
      return RewriteForPodUserns(j, path, rootfs_idmapped);
    } catch (const nlohmann::json::exception& e) {
      return InvalidArgument(std::string("config.json: ") + e.what());
    }
  }

  Status RewriteForPodUserns(nlohmann::json& j, const std::string& path, bool rootfs_idmapped) {
    runtime::JoinHeldNamespace(j, "user", userns_.get());
    auto& linux = j["linux"];
    linux.erase("uidMappings");
    linux.erase("gidMappings");
    auto annotation = [&](const char* key) {
      auto a = j.find("annotations");
      if (a == j.end() || !a->is_object() || !a->contains(key) || !(*a)[key].is_string()) {
        return std::string();
      }
      return (*a)[key].get<std::string>();
    };
    std::string sandbox_id = annotation("io.kubernetes.cri.sandbox-id");
    std::string pod_uid = annotation("io.kubernetes.cri.sandbox-uid");
    if (j.contains("mounts") && j["mounts"].is_array()) {
      for (auto& m : j["mounts"]) {
        auto opts = m.value("options", std::vector<std::string>{});
        bool bind = m.value("type", "") == "bind", mapped = m.contains("uidMappings");
        for (const auto& o : opts) {
          bind |= o == "bind" || o == "rbind";
          mapped |= o == "idmap" || o == "ridmap";
        }
        std::string source = m.value("source", "");
        if (!bind || mapped) continue;
        if (!idmap_host_paths_ && !PodOwnedVolume(source, sandbox_id, pod_uid)) continue;
        bool recursive = std::find(opts.begin(), opts.end(), "rbind") != opts.end();
        std::string option = IdmapOption(source, userns_.get(), recursive);
        if (option.empty()) {
          spdlog::debug("{} cannot be id-mapped: bound as it is", source);
          continue;
        }
        opts.push_back(option);
        m["options"] = opts;
      }
    }
    if (!rootfs_idmapped) j["annotations"][runtime::kRootfsIdmapAnnotation] = "true";
    return WriteFileAtomic(path, j.dump(), 0644).Wrap("rewriting config.json");
  }

  void ReleaseUserns() {
    if (!claim_.lock) return;
    spdlog::info("pod user namespace range {} released", claim_.base);
    layers_ns_.Reset();
    userns_.Reset();
    ReleaseClaim(claim_);
  }

  runtime::RuntimeOptions rt_;
  UsernsClaim claim_;
  UniqueFd userns_, layers_ns_;
  bool idmap_host_paths_ = true;
  std::string pod_dir_;
  std::unique_ptr<runtime::SentryProcess> sentry_;
  bool stopping_ = false;  // SIGTERM sent, exit not yet reaped
  EventLoop* loop_ = nullptr;
  ExitCallback on_exit_;
  bool watched_ = false;  // sentry_->control is in loop_
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

void ReleaseLeftoverUsernsClaims(const std::string& pod_dir) {
  std::string parent = pod_dir.substr(0, pod_dir.rfind('/'));
  DIR* d = opendir(parent.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    if (std::string_view(e->d_name).rfind(kClaimPrefix, 0) != 0) continue;
    std::string path = parent + "/" + e->d_name;
    auto text = ReadFile(path);
    if (!text.ok() || text->substr(0, text->find('\n')) != pod_dir) continue;
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (fd && LockClaim(fd.get(), path)) {
      spdlog::warn("removing the user namespace claim {} of a dead shim", path);
      unlink(path.c_str());
    }
  }
  closedir(d);
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
