#include "shim/task_service.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/child_process.h"
#include "base/cleanup.h"
#include "base/fd_passing.h"
#include "base/file_util.h"
#include "base/logging.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/api/types/task/task.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "proto/any.h"
#include "runtime/linux/proc_util.h"
#include "shim/config.h"
#include "shim/metrics.h"
#include "shim/rootfs.h"

namespace see::shim {

namespace ev = ::containerd::events;
namespace types = ::containerd::v1::types;
using google::protobuf::Empty;

namespace {

google::protobuf::Timestamp Now() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  google::protobuf::Timestamp t;
  t.set_seconds(ns / 1000000000);
  t.set_nanos(static_cast<int32_t>(ns % 1000000000));
  return t;
}

Status ProcessNotFound(const std::string& exec_id) {
  return NotFound("process " + exec_id + " does not exist");
}

// What the egress policy needs from a bundle's config.json.
struct EgressFacts {
  std::optional<std::string> annotation;  // see.dev/egress
  bool owns_netns = false;  // CRI sandbox, or a container outside the CRI
  bool has_netns = false;   // linux.namespaces has "network" (new or joined)
  std::string resolv_conf;  // host source bind-mounted at /etc/resolv.conf
};

// A bundle without a readable config.json has no policy (the backend reports the real error).
// Wrongly typed fields: InvalidArgument (nlohmann's accessors throw; nothing may leave the loop).
Result<EgressFacts> ReadEgressFacts(const std::string& bundle) try {
  EgressFacts f;
  auto text = ReadFile(bundle + "/config.json");
  if (!text.ok() || text->find(egress::kAnnotation) == std::string::npos) return f;
  auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return f;
  auto annotations = j.value("annotations", nlohmann::json::object());
  if (!annotations.is_object()) return f;
  auto a = annotations.find(egress::kAnnotation);
  if (a == annotations.end() || !a->is_string()) return f;
  f.annotation = a->get<std::string>();
  auto type = annotations.find("io.kubernetes.cri.container-type");
  f.owns_netns = type == annotations.end() || *type == "sandbox";
  auto lx = j.value("linux", nlohmann::json::object());
  if (lx.is_object() && lx.contains("namespaces") && lx["namespaces"].is_array()) {
    for (const auto& ns : lx["namespaces"]) {
      if (ns.is_object() && ns.value("type", "") == "network") f.has_netns = true;
    }
  }
  if (j.contains("mounts") && j["mounts"].is_array()) {
    for (const auto& m : j["mounts"]) {
      if (m.is_object() && m.value("destination", "") == "/etc/resolv.conf") {
        f.resolv_conf = m.value("source", "");
      }
    }
  }
  return f;
} catch (const nlohmann::json::exception& e) {
  return InvalidArgument(std::string("config.json: ") + e.what());
}

}  // namespace

TaskService::TaskService(EventLoop* loop, ContainerBackend* backend, Publisher* publisher,
                         TaskServiceOptions options, std::function<void()> on_shutdown)
    : loop_(loop),
      backend_(backend),
      publisher_(publisher),
      options_(std::move(options)),
      on_shutdown_(std::move(on_shutdown)) {
  if (options_.console_dir.empty()) options_.console_dir = "/tmp";
}

TaskService::~TaskService() {
  *alive_ = false;
  if (sigfd_.valid()) {
    loop_->Remove(sigfd_.get());
    backend_->WatchExits(nullptr, nullptr);
  }
  for (auto& [id, c] : containers_) Unwatch(c.get());
}

template <typename Req, typename Resp>
void TaskService::Run(Req req, R r, Result<Resp> (TaskService::*fn)(const Req&)) {
  auto call = std::make_shared<std::pair<Req, R>>(std::move(req), std::move(r));
  loop_->Post([this, call, fn] {
    Result<Resp> res = (this->*fn)(call->first);
    if (res.ok()) {
      call->second.Reply(*res);
    } else {
      // The one mapping from see::Code to the ttrpc code lives in base/ttrpc (ToRpcCode).
      call->second.Fail(res.status());
    }
  });
}

template <typename Req>
void TaskService::RunAsync(Req req, R r, void (TaskService::*fn)(const Req&, R)) {
  auto call = std::make_shared<std::pair<Req, R>>(std::move(req), std::move(r));
  loop_->Post([this, call, fn] { (this->*fn)(call->first, std::move(call->second)); });
}

void TaskService::State(taskapi::StateRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoState); }
void TaskService::Create(taskapi::CreateTaskRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoCreate); }
void TaskService::Start(taskapi::StartRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoStart); }
void TaskService::Delete(taskapi::DeleteRequest req, R r) { RunAsync(std::move(req), std::move(r), &TaskService::DoDelete); }
void TaskService::Pids(taskapi::PidsRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoPids); }
void TaskService::Pause(taskapi::PauseRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoPause); }
void TaskService::Resume(taskapi::ResumeRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoResume); }
void TaskService::Checkpoint(taskapi::CheckpointTaskRequest, R r) {
  r.Fail(Unimplemented("checkpoint is not supported by the see runtime"));
}
void TaskService::Kill(taskapi::KillRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoKill); }
void TaskService::Exec(taskapi::ExecProcessRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoExec); }
void TaskService::ResizePty(taskapi::ResizePtyRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoResizePty); }
void TaskService::CloseIO(taskapi::CloseIORequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoCloseIO); }
void TaskService::Update(taskapi::UpdateTaskRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoUpdate); }
void TaskService::Wait(taskapi::WaitRequest req, R r) { RunAsync(std::move(req), std::move(r), &TaskService::DoWait); }
void TaskService::Stats(taskapi::StatsRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoStats); }
void TaskService::Connect(taskapi::ConnectRequest req, R r) { Run(std::move(req), std::move(r), &TaskService::DoConnect); }
void TaskService::Shutdown(taskapi::ShutdownRequest req, R r) { RunAsync(std::move(req), std::move(r), &TaskService::DoShutdown); }

// ---------------------------------------------------------------------------------------------

Result<TaskService::Container*> TaskService::Find(const std::string& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("container " + id + ": container not created");
  return it->second.get();
}

Result<TaskService::Process*> TaskService::FindProcess(const std::string& id,
                                                       const std::string& exec_id) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(id));
  if (exec_id.empty()) return &c->init;
  auto it = c->execs.find(exec_id);
  if (it == c->execs.end()) return ProcessNotFound(exec_id);
  return it->second.get();
}

Status TaskService::StartReaper() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigfd_.Reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd_) return ErrnoStatus("signalfd");
  // Processes the pod's see-sentry reaps: their exits come through the backend.
  backend_->WatchExits(loop_, [this](pid_t pid, int wait_status) {
    // A report read late can name a pid a newer process of ours holds by now.
    if (Process* p = Tracked(pid); p && !Ended(*p)) {
      spdlog::warn("stale exit report for pid {}: {} still runs under it", pid,
                   p->exec_id.empty() ? "an init" : "exec " + p->exec_id);
      return;
    }
    if (!Exited(pid, wait_status)) spdlog::debug("exit of unknown pid {} reported", pid);
  });
  return loop_->Add(sigfd_.get(), EPOLLIN, [this](uint32_t) {
    signalfd_siginfo si;
    while (read(sigfd_.get(), &si, sizeof(si)) == sizeof(si)) {
    }
    Reap();
  });
}

void TaskService::Reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (Exited(pid, status)) continue;
    // The backend's own helper (the pod's sentry), an orphan we are subreaper for, a logger.
    if (!backend_->ClaimExit(pid, status)) continue;
    // The pod's see-sentry is gone and its last reports are in. Its live children are ours now
    // (subreaper) and reach waitpid; a process it reaped but never reported would otherwise never
    // have an exit: it ended with the sentry, as if killed.
    std::vector<pid_t> lost;
    for (const auto& [p, who] : by_pid_) {
      if (Process* tracked = Tracked(p); !tracked || Ended(*tracked)) lost.push_back(p);
    }
    for (pid_t p : lost) {
      spdlog::warn("pid {} ended unreported with the pod's see-sentry", p);
      (void)Exited(p, SIGKILL);  // a wait status: killed by SIGKILL
    }
  }
}

TaskService::Process* TaskService::Tracked(pid_t pid) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return nullptr;
  auto found = FindProcess(it->second.first, it->second.second);
  return found.ok() ? *found : nullptr;
}

bool TaskService::Ended(const Process& p) {
  if (p.pidfd.valid()) return runtime::PidfdExited(p.pidfd.get());
  return kill(p.pid, 0) != 0 && errno == ESRCH;
}

Status TaskService::Signal(const Process& p, int sig) {
  if (!p.pidfd.valid()) {
    if (kill(p.pid, sig) == 0) return Status::Ok();
    return errno == ESRCH ? NotFound("process already finished") : ErrnoStatus("kill");
  }
  Status st = runtime::SignalPidfd(p.pidfd.get(), sig);
  if (!st.ok() && Ended(p)) return NotFound("process already finished");
  return st;
}

bool TaskService::Exited(pid_t pid, int wait_status) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return false;
  auto [id, exec_id] = it->second;
  by_pid_.erase(it);
  auto c = containers_.find(id);
  if (c == containers_.end()) return true;
  Process* p = exec_id.empty() ? &c->second->init : nullptr;
  if (!p) {
    auto e = c->second->execs.find(exec_id);
    if (e == c->second->execs.end()) return true;
    p = e->second.get();
  }
  OnExit(c->second.get(), p, wait_status);
  return true;
}

void TaskService::OnExit(Container* c, Process* p, int wait_status) {
  p->state = ProcState::kStopped;
  p->exit_status = static_cast<uint32_t>(ExitCodeFromWaitStatus(wait_status));
  p->exited_at = Now();
  p->exited_mono = std::chrono::steady_clock::now();
  if (p->exec_id.empty() && backend_->SharesPidNamespace(c->id)) {
    // Without its own pid namespace the init's death does not end the rest of the container.
    Status st = backend_->Kill(c->id, SIGKILL, /*all=*/true);
    if (!st.ok()) spdlog::warn("killing the rest of {}: {}", c->id, st.ToString());
  }
  spdlog::debug("{} {} (pid {}) exited with {}", c->id, p->exec_id, p->pid, p->exit_status);
  if (!p->io || p->io->output_done()) return ReportExit(c, p);
  // containerd's client closes its FIFO ends once it learns of the exit (task.Delete: io.Close
  // before the Delete call): report only when the output reached the reader, or after the grace.
  std::string id = c->id, exec_id = p->exec_id;
  pid_t pid = p->pid;
  auto report = [this, id, exec_id, pid, alive = std::weak_ptr<bool>(alive_)](bool late) {
    auto a = alive.lock();
    if (!a || !*a) return;
    auto found = FindProcess(id, exec_id);
    if (!found.ok() || (*found)->pid != pid || (*found)->exit_reported) return;
    if (late) spdlog::warn("{} {} (pid {}): output not drained {} ms after the exit; reporting it",
                           id, exec_id, pid, options_.exit_io_grace.count());
    ReportExit(containers_[id].get(), *found);
  };
  // Posted: OnOutputDone fires from inside a pump callback.
  p->io->OnOutputDone([this, report] { loop_->Post([report] { report(false); }); });
  loop_->RunAfter(options_.exit_io_grace, [report] { report(true); });
}

void TaskService::ReportExit(Container* c, Process* p) {
  if (p->exit_reported) return;
  p->exit_reported = true;
  ev::TaskExit e;
  e.set_container_id(c->id);
  e.set_id(p->exec_id.empty() ? c->id : p->exec_id);
  e.set_pid(static_cast<uint32_t>(p->pid));
  e.set_exit_status(p->exit_status);
  *e.mutable_exited_at() = p->exited_at;
  publisher_->Publish(e);
  taskapi::WaitResponse w;
  w.set_exit_status(p->exit_status);
  *w.mutable_exited_at() = p->exited_at;
  for (auto& r : p->waiters) r.Reply(w);
  p->waiters.clear();
}

// ---------------------------------------------------------------------------------------------

Result<taskapi::StateResponse> TaskService::DoState(const taskapi::StateRequest& req) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(req.id()));
  SEE_ASSIGN_OR_RETURN(Process * p, FindProcess(req.id(), req.exec_id()));
  taskapi::StateResponse out;
  out.set_id(p->exec_id.empty() ? c->id : p->exec_id);
  out.set_bundle(c->bundle);
  out.set_pid(static_cast<uint32_t>(p->pid));
  types::Status st = types::UNKNOWN;
  switch (p->state) {
    case ProcState::kCreated: st = types::CREATED; break;
    case ProcState::kRunning: st = c->paused ? types::PAUSED : types::RUNNING; break;
    case ProcState::kStopped:
      // Reaped but not yet reported (output still draining): clients act on STOPPED as on an
      // exit (close their FIFOs), so it is still running for them.
      st = p->exit_reported ? types::STOPPED : types::RUNNING;
      break;
  }
  out.set_status(st);
  out.set_stdin(p->stdio.stdin_path);
  out.set_stdout(p->stdio.stdout_path);
  out.set_stderr(p->stdio.stderr_path);
  out.set_terminal(p->stdio.terminal);
  out.set_exit_status(p->exit_status);
  *out.mutable_exited_at() = p->exited_at;
  out.set_exec_id(p->exec_id);
  return out;
}

Result<UniqueFd> TaskService::MakeConsoleSocket(std::string* path) {
  static int counter = 0;
  *path = options_.console_dir + "/see-console-" + std::to_string(getpid()) + "-" +
          std::to_string(++counter) + ".sock";
  unlink(path->c_str());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path->size() >= sizeof(addr.sun_path)) return InvalidArgument("console socket path too long");
  memcpy(addr.sun_path, path->c_str(), path->size());
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    return ErrnoStatus("bind " + *path);
  }
  if (listen(fd.get(), 1) < 0) return ErrnoStatus("listen");
  return fd;
}

Result<UniqueFd> TaskService::ReceiveConsole(int listener) {
  // The runtime connected and the container already sent the master before create returned.
  int fl = fcntl(listener, F_GETFL);
  fcntl(listener, F_SETFL, fl | O_NONBLOCK);
  UniqueFd conn(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return ErrnoStatus("accepting the console connection");
  auto m = RecvWithFds(conn.get(), 256, 1);
  if (!m.ok()) return m.status().Wrap("receiving the console master");
  if (m->fds.empty()) return Internal("console socket message carried no fd");
  return std::move(m->fds[0]);
}

Result<taskapi::CreateTaskResponse> TaskService::DoCreate(const taskapi::CreateTaskRequest& req) {
  if (containers_.count(req.id())) return AlreadyExists("container " + req.id() + " already exists");
  if (!req.checkpoint().empty()) return Unimplemented("restoring a checkpoint is not supported");
  SEE_ASSIGN_OR_RETURN(ShimConfig config, ConfigFromOptions(req.options()));
  if (config.log_level) spdlog::set_level(spdlog::level::from_str(*config.log_level));
  auto c = std::make_unique<Container>();
  c->id = req.id();
  c->bundle = req.bundle();
  UndoStack undo;
  std::string rootfs = req.bundle() + "/rootfs";
  UsernsSettings userns{config.pod_user_namespace, config.idmap_host_paths, config.userns_base,
                        config.userns_ranges};
  SEE_ASSIGN_OR_RETURN(int layer_userns, backend_->PrepareUserNamespace(req.bundle(), userns));
  undo.Push([this] { backend_->ReleaseUnusedUserNamespace(); });
  bool rootfs_idmapped = false;
  if (options_.mount_rootfs && req.rootfs_size() > 0) {
    std::vector<RootfsMount> mounts;
    for (const auto& m : req.rootfs()) {
      mounts.push_back({m.type(), m.source(), {m.options().begin(), m.options().end()}});
    }
    Status mounted = MountRootfs(mounts, rootfs, layer_userns);
    if (!mounted.ok() && layer_userns >= 0) {
      return mounted.Wrap(std::string("rootfs, id-mapped for the pod's user namespace (a "
                                      "snapshotter or kernel that cannot id-map it needs host "
                                      "ids: annotation ") +
                          kUserNamespaceAnnotation + ": host, or user_namespace: host)");
    }
    SEE_RETURN_IF_ERROR(mounted.Wrap("rootfs"));
    rootfs_idmapped = layer_userns >= 0;
    c->rootfs_mounted = true;
    undo.Push([rootfs] { (void)UnmountRootfs(rootfs); });
  }
  Process& p = c->init;
  p.stdio = {req.stdin(), req.stdout(), req.stderr(), req.terminal()};
  SEE_ASSIGN_OR_RETURN(p.io, ProcessIo::Create(loop_, p.stdio, req.id(), options_.ns));
  BackendCreate bc;
  bc.id = req.id();
  bc.bundle = req.bundle();
  for (int n = 0; n < 3; ++n) bc.stdio.fds[n] = p.io->process_fd(n);
  UniqueFd console_listener;
  if (req.terminal()) {
    SEE_ASSIGN_OR_RETURN(console_listener, MakeConsoleSocket(&bc.console_socket));
  }
  Cleanup rm_socket([&] {
    if (!bc.console_socket.empty()) unlink(bc.console_socket.c_str());
  });
  bc.sentry = config.sentry;
  bc.pod_userns = layer_userns >= 0;
  bc.rootfs_idmapped = rootfs_idmapped;
  SEE_ASSIGN_OR_RETURN(p.pid, backend_->Create(bc));
  if (auto fd = runtime::OpenPidfd(p.pid); fd.ok()) p.pidfd = std::move(*fd);
  std::string id = req.id();
  undo.Push([this, id] { (void)backend_->Delete(id, /*force=*/true); });
  SEE_RETURN_IF_ERROR(ApplyEgress(id, req.bundle(), p.pid,
                                  std::chrono::seconds(config.egress_refresh_seconds)));
  undo.Push([this, id] { egress_.erase(id); });
  p.io->CloseProcessEnds();
  if (req.terminal()) {
    SEE_ASSIGN_OR_RETURN(UniqueFd master, ReceiveConsole(console_listener.get()));
    SEE_RETURN_IF_ERROR(p.io->StartConsole(std::move(master)));
  } else {
    SEE_RETURN_IF_ERROR(p.io->Start());
  }
  undo.Release();
  by_pid_[p.pid] = {c->id, ""};
  Container* raw = c.get();
  containers_[c->id] = std::move(c);
  WatchOom(raw);

  ev::TaskCreate e;
  e.set_container_id(req.id());
  e.set_bundle(req.bundle());
  *e.mutable_rootfs() = req.rootfs();
  e.mutable_io()->set_stdin(req.stdin());
  e.mutable_io()->set_stdout(req.stdout());
  e.mutable_io()->set_stderr(req.stderr());
  e.mutable_io()->set_terminal(req.terminal());
  e.set_checkpoint(req.checkpoint());
  e.set_pid(static_cast<uint32_t>(raw->init.pid));
  publisher_->Publish(e);
  taskapi::CreateTaskResponse out;
  out.set_pid(static_cast<uint32_t>(raw->init.pid));
  return out;
}

Result<taskapi::StartResponse> TaskService::DoStart(const taskapi::StartRequest& req) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(req.id()));
  SEE_ASSIGN_OR_RETURN(Process * p, FindProcess(req.id(), req.exec_id()));
  if (p->state != ProcState::kCreated) {
    return FailedPrecondition("process " + (p->exec_id.empty() ? c->id : p->exec_id) +
                              " cannot be started: already started");
  }
  taskapi::StartResponse out;
  if (p->exec_id.empty()) {
    SEE_RETURN_IF_ERROR(backend_->Start(c->id));
    p->state = ProcState::kRunning;
    ev::TaskStart e;
    e.set_container_id(c->id);
    e.set_pid(static_cast<uint32_t>(p->pid));
    publisher_->Publish(e);
    out.set_pid(static_cast<uint32_t>(p->pid));
    return out;
  }
  if (c->init.state != ProcState::kRunning) {
    return FailedPrecondition("container " + c->id + " is not running");
  }
  SEE_ASSIGN_OR_RETURN(p->io, ProcessIo::Create(loop_, p->stdio, c->id, options_.ns));
  BackendExec be;
  be.id = c->id;
  be.process_json = p->process_json;
  for (int n = 0; n < 3; ++n) be.stdio.fds[n] = p->io->process_fd(n);
  UniqueFd console_listener;
  if (p->stdio.terminal) {
    SEE_ASSIGN_OR_RETURN(console_listener, MakeConsoleSocket(&be.console_socket));
  }
  Cleanup rm_socket([&] {
    if (!be.console_socket.empty()) unlink(be.console_socket.c_str());
  });
  SEE_ASSIGN_OR_RETURN(p->pid, backend_->Exec(be));
  // Registered before anything else can fail: from here on the reaper owns the pid.
  by_pid_[p->pid] = {c->id, p->exec_id};
  if (auto fd = runtime::OpenPidfd(p->pid); fd.ok()) p->pidfd = std::move(*fd);
  p->state = ProcState::kRunning;
  p->io->CloseProcessEnds();
  Status st = p->stdio.terminal ? [&]() -> Status {
    SEE_ASSIGN_OR_RETURN(UniqueFd master, ReceiveConsole(console_listener.get()));
    return p->io->StartConsole(std::move(master));
  }()
                                : p->io->Start();
  if (!st.ok()) {
    (void)Signal(*p, SIGKILL);
    return st;
  }
  ev::TaskExecStarted e;
  e.set_container_id(c->id);
  e.set_exec_id(p->exec_id);
  e.set_pid(static_cast<uint32_t>(p->pid));
  publisher_->Publish(e);
  out.set_pid(static_cast<uint32_t>(p->pid));
  return out;
}

void TaskService::DoDelete(const taskapi::DeleteRequest& req, R r) {
  auto found = FindProcess(req.id(), req.exec_id());
  if (!found.ok()) return r.Fail(found.status());
  Process* p = *found;
  Container* c = containers_[req.id()].get();
  if (p->deleting) return r.Fail(FailedPrecondition("process is being deleted"));
  if (p->state == ProcState::kRunning) {
    return r.Fail(FailedPrecondition("cannot delete a running process"));
  }
  if (p->exec_id.empty()) {
    for (auto& [eid, e] : c->execs) {
      if (e->state == ProcState::kRunning) {
        // Their exits are on the way (the init's pid namespace is gone); runc's shim refuses too.
        return r.Fail(FailedPrecondition("cannot delete a container with running processes"));
      }
    }
  }
  p->deleting = true;
  if (p->exec_id.empty() && p->state == ProcState::kCreated) {
    // Never started: the runtime kills the waiting init; its exit is not a task exit.
    by_pid_.erase(p->pid);
    Unwatch(c);
    Status st = backend_->Delete(c->id, /*force=*/true);
    if (!st.ok()) {
      p->deleting = false;
      return r.Fail(st);
    }
    c->backend_deleted = true;
    p->state = ProcState::kStopped;
    p->exit_status = 128 + SIGKILL;
    p->exited_at = Now();
    p->exited_mono = std::chrono::steady_clock::now();
    p->exit_reported = true;  // not a task exit: no TaskExit
  }
  // Answer once the process's output reached its reader (the Go shim waits for its copiers too),
  // but no later than exit_io_grace after the exit: a grandchild may hold the pipe forever.
  std::string id = req.id(), exec_id = req.exec_id();
  auto call = std::make_shared<R>(std::move(r));
  auto answered = std::make_shared<bool>(false);
  auto finish = [this, id, exec_id, call, answered,
                 alive = std::weak_ptr<bool>(alive_)](bool abandon_io) {
    // Deferred: OnOutputDone may fire from inside a pump callback.
    loop_->Post([this, id, exec_id, call, answered, alive, abandon_io] {
      auto a = alive.lock();
      if (!a || !*a || *answered) return;
      *answered = true;
      FinishDelete(id, exec_id, abandon_io, std::move(*call));
    });
  };
  if (!p->io || p->io->output_done()) return finish(false);
  p->io->OnOutputDone([finish] { finish(false); });
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      p->exited_mono + options_.exit_io_grace - std::chrono::steady_clock::now());
  if (left.count() <= 0) return finish(true);
  loop_->RunAfter(left, [finish] { finish(true); });
}

void TaskService::FinishDelete(const std::string& id, const std::string& exec_id,
                               bool abandon_io, R r) {
  auto found = FindProcess(id, exec_id);
  if (!found.ok()) return r.Fail(found.status());
  Process* p = *found;
  Container* c = containers_[id].get();
  if (abandon_io && p->io && !p->io->output_done()) {
    spdlog::warn("{} {} (pid {}): output pipe still open {} ms after the exit (a process that "
                 "inherited it?); dropping what follows", id, exec_id, p->pid,
                 options_.exit_io_grace.count());
    p->io->Cancel();
  }
  // The output is done; an exit still waiting for it is reported before the TaskDelete.
  if (p->state == ProcState::kStopped) ReportExit(c, p);
  taskapi::DeleteResponse out;
  out.set_pid(static_cast<uint32_t>(p->pid));
  out.set_exit_status(p->exit_status);
  *out.mutable_exited_at() = p->exited_at;
  if (!exec_id.empty()) {
    c->execs.erase(exec_id);
    return r.Reply(out);
  }
  Unwatch(c);
  egress_.erase(id);  // its namespace goes with the pod
  if (!c->backend_deleted) {
    Status st = backend_->Delete(id, /*force=*/false);
    if (!st.ok() && st.code() != Code::kNotFound) {
      p->deleting = false;
      return r.Fail(st);
    }
  }
  if (c->rootfs_mounted) {
    Status st = UnmountRootfs(c->bundle + "/rootfs");
    if (!st.ok()) spdlog::warn("{}", st.ToString());
  }
  ev::TaskDelete e;
  e.set_container_id(id);
  e.set_pid(static_cast<uint32_t>(p->pid));
  e.set_exit_status(p->exit_status);
  *e.mutable_exited_at() = p->exited_at;
  e.set_id(id);
  for (auto& w : p->waiters) w.Fail(NotFound("process deleted"));
  containers_.erase(id);
  publisher_->Publish(e);
  r.Reply(out);
}

Result<taskapi::PidsResponse> TaskService::DoPids(const taskapi::PidsRequest& req) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(req.id()));
  SEE_ASSIGN_OR_RETURN(std::vector<pid_t> pids, backend_->Pids(c->id));
  taskapi::PidsResponse out;
  for (pid_t pid : pids) {
    auto* info = out.add_processes();
    info->set_pid(static_cast<uint32_t>(pid));
    for (auto& [eid, e] : c->execs) {
      if (e->pid == pid && e->state == ProcState::kRunning) {
        ::containerd::runc::v1::ProcessDetails d;
        d.set_exec_id(eid);
        SEE_ASSIGN_OR_RETURN(*info->mutable_info(), proto::PackAny(d));
      }
    }
  }
  return out;
}

Result<Empty> TaskService::DoPause(const taskapi::PauseRequest& req) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(req.id()));
  SEE_RETURN_IF_ERROR(backend_->Pause(c->id));
  c->paused = true;
  ev::TaskPaused e;
  e.set_container_id(c->id);
  publisher_->Publish(e);
  return Empty();
}

Result<Empty> TaskService::DoResume(const taskapi::ResumeRequest& req) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(req.id()));
  SEE_RETURN_IF_ERROR(backend_->Resume(c->id));
  c->paused = false;
  ev::TaskResumed e;
  e.set_container_id(c->id);
  publisher_->Publish(e);
  return Empty();
}

Result<Empty> TaskService::DoKill(const taskapi::KillRequest& req) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(req.id()));
  SEE_ASSIGN_OR_RETURN(Process * p, FindProcess(req.id(), req.exec_id()));
  int sig = static_cast<int>(req.signal());
  if (sig <= 0 || sig >= 65) return InvalidArgument("invalid signal " + std::to_string(sig));
  if (p->exec_id.empty()) {
    if (req.all()) {
      SEE_RETURN_IF_ERROR(backend_->Kill(c->id, sig, true));
      return Empty();
    }
    if (p->state == ProcState::kStopped) return NotFound("process already finished");
    SEE_RETURN_IF_ERROR(backend_->Kill(c->id, sig, false));
    return Empty();
  }
  if (p->state == ProcState::kCreated) return FailedPrecondition("process not started");
  if (p->state == ProcState::kStopped) return NotFound("process already finished");
  SEE_RETURN_IF_ERROR(Signal(*p, sig));
  return Empty();
}

Result<Empty> TaskService::DoExec(const taskapi::ExecProcessRequest& req) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(req.id()));
  if (req.exec_id().empty()) return InvalidArgument("exec id must not be empty");
  if (c->execs.count(req.exec_id())) {
    return AlreadyExists("id " + req.exec_id() + ": already exists");
  }
  if (c->init.state == ProcState::kStopped) return FailedPrecondition("container is stopped");
  auto p = std::make_unique<Process>();
  p->exec_id = req.exec_id();
  p->stdio = {req.stdin(), req.stdout(), req.stderr(), req.terminal()};
  // containerd marshals specs.Process as JSON inside the Any.
  p->process_json = req.spec().value();
  if (p->process_json.empty()) return InvalidArgument("exec process spec is empty");
  c->execs[p->exec_id] = std::move(p);
  ev::TaskExecAdded e;
  e.set_container_id(c->id);
  e.set_exec_id(req.exec_id());
  publisher_->Publish(e);
  return Empty();
}

Result<Empty> TaskService::DoResizePty(const taskapi::ResizePtyRequest& req) {
  SEE_ASSIGN_OR_RETURN(Process * p, FindProcess(req.id(), req.exec_id()));
  if (!p->io) return FailedPrecondition("process has no io");
  SEE_RETURN_IF_ERROR(p->io->Resize(req.width(), req.height()));
  return Empty();
}

Result<Empty> TaskService::DoCloseIO(const taskapi::CloseIORequest& req) {
  SEE_ASSIGN_OR_RETURN(Process * p, FindProcess(req.id(), req.exec_id()));
  if (req.stdin() && p->io) p->io->CloseStdin();
  return Empty();
}

Result<Empty> TaskService::DoUpdate(const taskapi::UpdateTaskRequest& req) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(req.id()));
  const auto& any = req.resources();
  if (any.type_url().find("LinuxResources") == std::string::npos) {
    return InvalidArgument("unsupported resources type " + any.type_url());
  }
  SEE_RETURN_IF_ERROR(backend_->Update(c->id, any.value()));
  return Empty();
}

void TaskService::DoWait(const taskapi::WaitRequest& req, R r) {
  auto found = FindProcess(req.id(), req.exec_id());
  if (!found.ok()) return r.Fail(found.status());
  Process* p = *found;
  if (p->state == ProcState::kStopped && p->exit_reported) {
    taskapi::WaitResponse w;
    w.set_exit_status(p->exit_status);
    *w.mutable_exited_at() = p->exited_at;
    return r.Reply(w);
  }
  p->waiters.push_back(std::move(r));
}

Result<taskapi::StatsResponse> TaskService::DoStats(const taskapi::StatsRequest& req) {
  SEE_ASSIGN_OR_RETURN(Container * c, Find(req.id()));
  SEE_ASSIGN_OR_RETURN(cgroups::Stats stats, backend_->Stats(c->id));
  taskapi::StatsResponse out;
  SEE_ASSIGN_OR_RETURN(*out.mutable_stats(), MetricsAny(stats));
  return out;
}

Result<taskapi::ConnectResponse> TaskService::DoConnect(const taskapi::ConnectRequest& req) {
  taskapi::ConnectResponse out;
  out.set_shim_pid(static_cast<uint32_t>(getpid()));
  auto c = containers_.find(req.id());
  if (c != containers_.end()) out.set_task_pid(static_cast<uint32_t>(c->second->init.pid));
  return out;
}

void TaskService::DoShutdown(const taskapi::ShutdownRequest&, R r) {
  r.Reply(Empty());
  if (!containers_.empty()) return;  // still serving other containers of the pod
  if (on_shutdown_) on_shutdown_();
}

// ---------------------------------------------------------------------------------------------

Status TaskService::ApplyEgress(const std::string& id, const std::string& bundle, pid_t init_pid,
                                std::chrono::seconds refresh) {
  SEE_ASSIGN_OR_RETURN(EgressFacts f, ReadEgressFacts(bundle));
  if (!f.annotation) return Status::Ok();  // no policy: nothing to run
  SEE_ASSIGN_OR_RETURN(egress::Policy policy, egress::ParsePolicy(*f.annotation));
  if (f.owns_netns) {
    if (!f.has_netns) {
      return InvalidArgument(std::string(egress::kAnnotation) +
                             ": the container uses the host's network namespace; a policy needs "
                             "the pod's own");
    }
    // The init is blocked before user code, already in the pod's network namespace.
    std::string ns_path = "/proc/" + std::to_string(init_pid) + "/ns/net";
    UniqueFd netns(open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns) return ErrnoStatus("opening " + ns_path);
    SEE_ASSIGN_OR_RETURN(auto e, egress::PodEgress::Start(std::move(policy), std::move(netns), {}));
    SEE_RETURN_IF_ERROR(e->StartRefresh(loop_, refresh));
    egress_[id] = std::move(e);
  }
  if (!f.resolv_conf.empty()) {
    auto text = ReadFile(f.resolv_conf);
    if (!text.ok()) {
      spdlog::warn("egress: {}: {}", id, text.status().ToString());
      return Status::Ok();
    }
    for (auto& [owner, e] : egress_) {
      SEE_RETURN_IF_ERROR(e->AddNameServers(egress::NameServers(*text)));
    }
  }
  return Status::Ok();
}

void TaskService::WatchOom(Container* c) {
  auto cg = backend_->Cgroup(c->id);
  if (!cg.ok()) return;
  auto fd = (*cg)->OpenOomNotifier();
  if (!fd.ok()) {
    spdlog::debug("no OOM notifier for {}: {}", c->id, fd.status().ToString());
    return;
  }
  auto count = (*cg)->OomKillCount();
  c->oom_kills = count.ok() ? *count : 0;
  c->cgroup = std::move(*cg);
  c->oom_fd = std::move(*fd);
  std::string id = c->id;
  Status st = loop_->Add(c->oom_fd.get(), EPOLLIN, [this, id](uint32_t) { OnOom(id); });
  if (!st.ok()) c->oom_fd.Reset();
}

void TaskService::OnOom(const std::string& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return;
  Container* c = it->second.get();
  char buf[4096];
  while (read(c->oom_fd.get(), buf, sizeof(buf)) > 0) {
  }
  bool oom = true;
  if (c->cgroup->version() == cgroups::Version::kV2) {
    // inotify on memory.events fires for every change; only a higher oom_kill count is an OOM.
    auto count = c->cgroup->OomKillCount();
    oom = count.ok() && *count > c->oom_kills;
    if (count.ok()) c->oom_kills = *count;
  }
  if (!oom) return;
  ev::TaskOOM e;
  e.set_container_id(id);
  publisher_->Publish(e);
}

void TaskService::Unwatch(Container* c) {
  if (c->oom_fd.valid()) {
    loop_->Remove(c->oom_fd.get());
    c->oom_fd.Reset();
  }
}

}  // namespace see::shim
