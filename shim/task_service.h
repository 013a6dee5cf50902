// TaskService: containerd-shim-runc-v2's task semantics (runtime/v2/runc/task/service.go and
// pkg/process) for every container of one pod, over a ContainerBackend.
//
// Threading: the TaskHandler methods are called on the ttrpc server thread; each posts its work to
// the EventLoop, where all state lives — so requests, process exits (SIGCHLD through a signalfd),
// stdio and OOM notifications are serialized on one thread without locks. Runtime calls that spawn
// processes run on that thread too, which also keeps the reaper (waitpid(-1)) from ever racing the
// runtime's own waitpid on its helper processes. A process's exit is reported (Wait answered,
// TaskExit published, State STOPPED) once it was reaped AND its output was flushed into the FIFOs
// and read (bounded by exit_io_grace): containerd's client stops reading its FIFOs as soon as it
// learns of the exit. Delete answers once the output was flushed, and at the latest exit_io_grace
// after the exit: a grandchild that inherited the output pipe (`sh -c 'sleep 1000 &'`) can hold it
// open forever, and its later output is dropped (the copying is abandoned). Nothing holds the loop.
//
// Events go to the Publisher in containerd's order: TaskCreate, TaskStart, TaskExecAdded,
// TaskExecStarted, TaskPaused/TaskResumed, TaskOOM, TaskExit (published from the reaper, before
// any Delete of that process can answer), TaskDelete.
#pragma once

#include <google/protobuf/timestamp.pb.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "shim/backend.h"
#include "shim/egress.h"
#include "shim/event_loop.h"
#include "shim/publisher.h"
#include "shim/stdio.h"
#include "shim/task_dispatch.h"

namespace see::shim {

struct TaskServiceOptions {
  std::string ns;           // containerd namespace (binary:// loggers get it)
  std::string console_dir;  // where console sockets are made (default /tmp)
  bool mount_rootfs = true; // tests with a fake backend turn this off
  // How long a process's exit report (Wait, TaskExit, State STOPPED) waits for its output to
  // drain into the FIFOs after the exit; past it (a grandchild keeps the pipes open, a reader
  // stalls) the exit is reported anyway, and Delete abandons the copying and answers.
  std::chrono::milliseconds exit_io_grace = std::chrono::seconds(3);
};

class TaskService : public TaskHandler {
 public:
  // `loop`, `backend`, `publisher` must outlive the service. `on_shutdown` runs on the loop thread
  // once Shutdown found no container left (after the reply was handed to the server).
  TaskService(EventLoop* loop, ContainerBackend* backend, Publisher* publisher,
              TaskServiceOptions options, std::function<void()> on_shutdown);
  ~TaskService() override;

  // Installs the SIGCHLD signalfd on the loop. REQUIRES: SIGCHLD blocked in every thread.
  Status StartReaper();
  // Reaps every exited child now (also called on SIGCHLD).
  void Reap();

  // Number of containers (loop thread only).
  size_t container_count() const { return containers_.size(); }

  void State(taskapi::StateRequest req, R r) override;
  void Create(taskapi::CreateTaskRequest req, R r) override;
  void Start(taskapi::StartRequest req, R r) override;
  void Delete(taskapi::DeleteRequest req, R r) override;
  void Pids(taskapi::PidsRequest req, R r) override;
  void Pause(taskapi::PauseRequest req, R r) override;
  void Resume(taskapi::ResumeRequest req, R r) override;
  void Checkpoint(taskapi::CheckpointTaskRequest req, R r) override;
  void Kill(taskapi::KillRequest req, R r) override;
  void Exec(taskapi::ExecProcessRequest req, R r) override;
  void ResizePty(taskapi::ResizePtyRequest req, R r) override;
  void CloseIO(taskapi::CloseIORequest req, R r) override;
  void Update(taskapi::UpdateTaskRequest req, R r) override;
  void Wait(taskapi::WaitRequest req, R r) override;
  void Stats(taskapi::StatsRequest req, R r) override;
  void Connect(taskapi::ConnectRequest req, R r) override;
  void Shutdown(taskapi::ShutdownRequest req, R r) override;

 private:
  enum class ProcState { kCreated, kRunning, kStopped };
  struct Process {
    std::string exec_id;  // "" for the init
    pid_t pid = 0;
    // Opened when the process is started. The pod's see-sentry reaps the pod's processes, so
    // `pid` may name another process before the exit report is read: signals and "has it ended"
    // go through this.
    UniqueFd pidfd;
    ProcState state = ProcState::kCreated;
    uint32_t exit_status = 0;
    google::protobuf::Timestamp exited_at;
    // When the exit was seen: bounds how long Delete waits for the output (exit_io_grace).
    std::chrono::steady_clock::time_point exited_mono;
    StdioPaths stdio;
    std::string process_json;  // exec only
    std::unique_ptr<ProcessIo> io;
    std::vector<R> waiters;
    bool exit_reported = false;  // kStopped and the exit was told (Wait, TaskExit)
    bool deleting = false;
  };
  struct Container {
    std::string id, bundle;
    bool paused = false;
    bool rootfs_mounted = false;
    bool backend_deleted = false;
    Process init;
    std::map<std::string, std::unique_ptr<Process>> execs;
    UniqueFd oom_fd;
    std::unique_ptr<cgroups::Manager> cgroup;  // for the OOM count
    uint64_t oom_kills = 0;
  };

  // Runs `fn` on the loop with the request; its Result is the answer.
  template <typename Req, typename Resp>
  void Run(Req req, R r, Result<Resp> (TaskService::*fn)(const Req&));
  template <typename Req>
  void RunAsync(Req req, R r, void (TaskService::*fn)(const Req&, R));

  Result<Container*> Find(const std::string& id);
  Result<Process*> FindProcess(const std::string& id, const std::string& exec_id);

  Result<taskapi::StateResponse> DoState(const taskapi::StateRequest& req);
  Result<taskapi::CreateTaskResponse> DoCreate(const taskapi::CreateTaskRequest& req);
  Result<taskapi::StartResponse> DoStart(const taskapi::StartRequest& req);
  void DoDelete(const taskapi::DeleteRequest& req, R r);
  Result<taskapi::PidsResponse> DoPids(const taskapi::PidsRequest& req);
  Result<google::protobuf::Empty> DoPause(const taskapi::PauseRequest& req);
  Result<google::protobuf::Empty> DoResume(const taskapi::ResumeRequest& req);
  Result<google::protobuf::Empty> DoKill(const taskapi::KillRequest& req);
  Result<google::protobuf::Empty> DoExec(const taskapi::ExecProcessRequest& req);
  Result<google::protobuf::Empty> DoResizePty(const taskapi::ResizePtyRequest& req);
  Result<google::protobuf::Empty> DoCloseIO(const taskapi::CloseIORequest& req);
  Result<google::protobuf::Empty> DoUpdate(const taskapi::UpdateTaskRequest& req);
  void DoWait(const taskapi::WaitRequest& req, R r);
  Result<taskapi::StatsResponse> DoStats(const taskapi::StatsRequest& req);
  Result<taskapi::ConnectResponse> DoConnect(const taskapi::ConnectRequest& req);
  void DoShutdown(const taskapi::ShutdownRequest& req, R r);

  // Creates the console socket for a terminal process; returns its listening fd and path.
  Result<UniqueFd> MakeConsoleSocket(std::string* path);
  // Accepts the runtime's connection on `listener` and receives the pty master.
  Result<UniqueFd> ReceiveConsole(int listener);

  // A container process (by pid) exited: false when the pid is none of them.
  bool Exited(pid_t pid, int wait_status);
  // The process `pid` names in by_pid_, or null.
  Process* Tracked(pid_t pid);
  // Whether `p` has ended (through its pidfd; without one, whether its pid is gone).
  static bool Ended(const Process& p);
  // Sends `sig` to `p` (through its pidfd); kNotFound once it has ended.
  static Status Signal(const Process& p, int sig);
  void OnExit(Container* c, Process* p, int wait_status);
  // Publishes TaskExit and answers the waiters, once per process.
  void ReportExit(Container* c, Process* p);
  // Answers Delete; with `abandon_io`, output still being copied is dropped first.
  void FinishDelete(const std::string& id, const std::string& exec_id, bool abandon_io, R r);
  // The pod's egress policy (see egress.h), for a container whose spec carries the annotation:
  // installed in its network namespace when it owns the pod's (container-type "sandbox", or a
  // container outside the CRI), and every container's /etc/resolv.conf feeds `dns` entries.
  // Runs after the backend created the init (blocked before user code). Loop thread.
  Status ApplyEgress(const std::string& id, const std::string& bundle, pid_t init_pid,
                     std::chrono::seconds refresh);
  void WatchOom(Container* c);
  void OnOom(const std::string& id);
  void Unwatch(Container* c);

  EventLoop* loop_;
  ContainerBackend* backend_;
  Publisher* publisher_;
  TaskServiceOptions options_;
  std::function<void()> on_shutdown_;
  UniqueFd sigfd_;
  std::map<std::string, std::unique_ptr<Container>> containers_;
  // pid -> (container id, exec id) of every live process the shim started.
  std::map<pid_t, std::pair<std::string, std::string>> by_pid_;
  // Installed egress policies by the container owning the network namespace (normally one: the
  // pod sandbox's); removed with that container.
  std::map<std::string, std::unique_ptr<egress::PodEgress>> egress_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace see::shim
