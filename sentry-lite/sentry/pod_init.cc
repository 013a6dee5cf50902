#include "sentry-lite/sentry/pod_init.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/fd_passing.h"
#include "base/file_util.h"
#include "base/logging.h"
#include "base/unique_fd.h"
#include "sentry-lite/sentry/control_protocol.h"

namespace see::sentry {

std::vector<pid_t> ChildrenOf(pid_t parent, bool children_file) {
  std::string self = std::to_string(parent);
  std::vector<pid_t> out;
  if (children_file) {
    auto text = ReadFile("/proc/" + self + "/task/" + self + "/children");
    if (text.ok()) {
      std::istringstream in(*text);
      pid_t pid;
      while (in >> pid) out.push_back(pid);
      return out;
    }
  }
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    auto stat = ReadFile(std::string("/proc/") + e->d_name + "/stat");
    if (!stat.ok()) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, the last ')' ends it.
    size_t close = stat->rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream in(stat->substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    if (in >> state >> ppid && std::to_string(ppid) == self) out.push_back(std::atoi(e->d_name));
  }
  closedir(d);
  return out;
}

namespace {

// How long the server keeps serving the pod's processes after a SIGTERM/SIGINT forwarded to them.
constexpr auto kStopGrace = std::chrono::seconds(10);

// This single-threaded process's children.
std::vector<pid_t> Children() { return ChildrenOf(getpid(), /*children_file=*/true); }

class PodInit {
 public:
  PodInit(int control, pid_t server, UniqueFd server_owner)
      : control_(control), server_(server), server_owner_(std::move(server_owner)) {}

  Status Run();

 private:
  // One message from the shim; false at EOF (the shim is gone).
  bool HandleControl();
  void Spawn(const SpawnRequest& req, std::vector<UniqueFd> fds);
  void Reap();
  void Report(pid_t pid, int wait_status);
  // Sends queued reports until the socket is full (then waits for EPOLLOUT): a shim busy in a
  // create that waits on our next spawn must never find us blocked on its full socket.
  void Flush();
  // The shim is gone: kill every process of the pod (and the server), reap them, return.
  void KillEverything();
  // The pod's processes among our children (not the server, not a set-up helper).
  std::vector<pid_t> PodProcesses();
  // Asked to stop: the server stops once the pod's processes are gone or the grace is over, so
  // that a process shutting down on the forwarded signal is still served.
  void StopServerWhenPodIsGone();

  const int control_;
  pid_t server_;
  int server_status_ = 0;
  UniqueFd server_owner_;  // closing it stops the server
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;  // the server stops by then
  std::set<pid_t> helpers_;  // set-up helpers started here: their exits are nobody's business
  std::deque<std::string> pending_;  // kExit frames not yet taken by the shim's socket
  UniqueFd epoll_;
};

Status PodInit::Run() {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return ErrnoStatus("PR_SET_CHILD_SUBREAPER");
  prctl(PR_SET_NAME, "see-pod-init");  // ps and /proc/<pid>/comm tell it from the server
  prctl(PR_SET_DUMPABLE, 0);  // host root like the shim, but no pod process may read or trace it
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGCHLD, SIGTERM, SIGINT}) sigaddset(&mask, s);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return ErrnoStatus("sigprocmask");
  UniqueFd sigfd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  int epoll = epoll_.get();
  if (!sigfd || epoll < 0) return ErrnoStatus("signalfd/epoll");
  for (int fd : {control_, sigfd.get()}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0) return ErrnoStatus("epoll_ctl");
  }
  Reap();  // a server that died before the mask was set
  for (;;) {
    if (server_ < 0) {
      if (stopping_) return Status::Ok();
      return Internal("the sentry's server exited (wait status " + std::to_string(server_status_) +
                      ")");
    }
    int timeout = -1;
    if (stopping_ && server_owner_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          stop_deadline_ - std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, left.count()) + 1);
    }
    epoll_event events[4];
    int n = epoll_wait(epoll, events, 4, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("epoll_wait");
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == control_) {
        if (events[i].events & EPOLLOUT) Flush();
        if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !HandleControl()) {
          spdlog::info("see-pod-init: the shim is gone; stopping the pod");
          KillEverything();
          return Status::Ok();
        }
        continue;
      }
      signalfd_siginfo si;
      while (read(sigfd.get(), &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD) continue;
        // Stop: the pod's processes get the signal; the server ends (its owner pipe closed) when
        // they are gone, at the latest after the grace.
        spdlog::info("see-pod-init: signal {}, stopping", si.ssi_signo);
        if (!stopping_) stop_deadline_ = std::chrono::steady_clock::now() + kStopGrace;
        stopping_ = true;
        for (pid_t c : PodProcesses()) kill(c, static_cast<int>(si.ssi_signo));
      }
      Reap();
    }
    StopServerWhenPodIsGone();  // after the grace, or once the last of the pod has been reaped
  }
}

bool PodInit::HandleControl() {
  auto m = RecvWithFds(control_, kMaxPayload + sizeof(ControlHeader), kMaxPassedFds);
  if (!m.ok()) {
    if (m.status().code() == Code::kNotFound) return false;
    spdlog::warn("see-pod-init: control message: {}", m.status().ToString());
    return true;
  }
  auto frame = DecodeControlMessage(m->data);
  if (!frame.ok() || frame->first != ControlType::kSpawn) {
    spdlog::warn("see-pod-init: refused a control message that is not a well-formed kSpawn");
    return true;
  }
  auto req = DecodeSpawnRequest(frame->second);
  if (!req.ok()) {
    spdlog::warn("see-pod-init: {}", req.status().ToString());
    return true;
  }
  Spawn(*req, std::move(m->fds));
  return true;
}

// Refusals only log: the fds close with `fds`, and the runtime waiting on the helper's sync socket
// sees EOF and fails the create or exec.
void PodInit::Spawn(const SpawnRequest& req, std::vector<UniqueFd> fds) {
  if (fds.size() < 2) {
    spdlog::warn("see-pod-init: a spawn request without its executable and cwd");
    return;
  }
  const int n = static_cast<int>(fds.size()) - 2;
  // Every source above every target, so no dup2 in the child overwrites one it still needs.
  std::vector<UniqueFd> src;
  for (const UniqueFd& fd : fds) {
    src.emplace_back(fcntl(fd.get(), F_DUPFD_CLOEXEC, n));
    if (!src.back()) {
      spdlog::warn("see-pod-init: dup: {}", strerror(errno));
      return;
    }
  }
  std::vector<char*> argv, envp;
  for (const std::string& a : req.argv) argv.push_back(const_cast<char*>(a.c_str()));
  for (const std::string& e : req.envp) envp.push_back(const_cast<char*>(e.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    spdlog::warn("see-pod-init: fork: {}", strerror(errno));
    return;
  }
  if (pid == 0) {
    // Single-threaded parent, but keep to async-signal-safe calls anyway.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int i = 0; i < n; ++i) {
      if (dup2(src[static_cast<size_t>(i) + 2].get(), i) < 0) _exit(126);
    }
    if (fchdir(src[1].get()) != 0) _exit(126);
    // Nothing of ours crosses the exec (the executable fd is only read by execveat itself).
    syscall(SYS_close_range, static_cast<unsigned>(n), ~0U, CLOSE_RANGE_CLOEXEC);
    syscall(SYS_execveat, src[0].get(), "", argv.data(), envp.data(), AT_EMPTY_PATH);
    _exit(127);
  }
  helpers_.insert(pid);
  spdlog::debug("see-pod-init: started set-up helper {}", pid);
}

void PodInit::Reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    if (pid == server_) {
      server_ = -1;
      server_status_ = status;
      if (!stopping_) spdlog::error("see-pod-init: the server exited (wait status {})", status);
      continue;
    }
    if (helpers_.erase(pid) != 0) {
      if (status != 0) spdlog::warn("see-pod-init: set-up helper {} ended with {}", pid, status);
      continue;
    }
    Report(pid, status);
  }
}

void PodInit::Report(pid_t pid, int wait_status) {
  ExitMessage exit{pid, wait_status};
  pending_.push_back(EncodeControlMessage(
      ControlType::kExit, std::string_view(reinterpret_cast<char*>(&exit), sizeof(exit))));
  Flush();
}

void PodInit::Flush() {
  bool full = false;
  while (!pending_.empty()) {
    const std::string& frame = pending_.front();
    // MSG_NOSIGNAL: a shim that is gone is noticed on the read side, not by a SIGPIPE.
    if (send(control_, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) {  // the shim is gone: nobody to tell
        pending_.clear();
        break;
      }
      // Full (EAGAIN), or short of memory (ENOBUFS, ENOMEM): kept, and tried again when the
      // socket is writable, so that no exit goes unreported while the shim lives.
      if (errno != EAGAIN) spdlog::warn("see-pod-init: reporting an exit: {}", strerror(errno));
      full = true;
      break;
    }
    pending_.pop_front();
  }
  epoll_event ev{};
  ev.events = full ? EPOLLIN | EPOLLOUT : EPOLLIN;
  ev.data.fd = control_;
  (void)epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, control_, &ev);
}

std::vector<pid_t> PodInit::PodProcesses() {
  std::vector<pid_t> pod;
  for (pid_t c : Children()) {
    if (c != server_ && helpers_.count(c) == 0) pod.push_back(c);
  }
  return pod;
}

void PodInit::StopServerWhenPodIsGone() {
  if (!stopping_ || !server_owner_) return;
  if (std::chrono::steady_clock::now() < stop_deadline_ && !PodProcesses().empty()) return;
  server_owner_.Reset();
}

void PodInit::KillEverything() {
  server_owner_.Reset();
  for (;;) {
    // Orphans of what is killed come to us (subreaper): look again after every reap.
    for (pid_t c : Children()) kill(c, SIGKILL);
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) return;  // ECHILD: nothing left
  }
}

}  // namespace

Status RunPodInit(const ServeOptions& options) {
  if (options.control_fd < 0) return InvalidArgument("the pod init needs a control socket");
  int owner[2];
  if (pipe2(owner, O_CLOEXEC) != 0) return ErrnoStatus("pipe");
  UniqueFd owner_r(owner[0]), owner_w(owner[1]);
  pid_t server = fork();  // single-threaded still
  if (server < 0) return ErrnoStatus("fork the server");
  if (server == 0) {
    owner_w.Reset();
    close(options.control_fd);
    ServeOptions serve = options;
    serve.control_fd = -1;
    serve.owner_fd = owner_r.get();
    Status s = RunServe(serve);
    if (!s.ok()) spdlog::error("see-sentry serve: {}", s.ToString());
    _exit(s.ok() ? 0 : 1);
  }
  owner_r.Reset();
  // The server answers readiness and holds the namespaces it joins; the init keeps neither.
  for (int fd : {options.ready_fd, options.userns_fd, options.netns_fd, options.owner_fd}) {
    if (fd >= 0) close(fd);
  }
  return PodInit(options.control_fd, server, std::move(owner_w)).Run();
}

}  // namespace see::sentry
