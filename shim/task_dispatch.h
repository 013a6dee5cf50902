// The ttrpc face of the shim: service "containerd.task.v2.Task" with the 17 methods of
// runtime/v2/task/shim.proto, each decoded into its request message and handed to a TaskHandler.
// A payload that does not decode is answered InvalidArgument before any handler runs; unknown
// methods are answered Unimplemented by the server itself.
#pragma once

#include <google/protobuf/empty.pb.h>

#include "base/status.h"
#include "base/ttrpc/server.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"

namespace see::shim {

namespace taskapi = ::containerd::task::v2;

inline constexpr const char* kTaskService = "containerd.task.v2.Task";

// Every method answers through its Responder, now or later, from any thread.
class TaskHandler {
 public:
  using R = ttrpc::Responder;
  virtual ~TaskHandler() = default;
  virtual void State(taskapi::StateRequest req, R r) = 0;
  virtual void Create(taskapi::CreateTaskRequest req, R r) = 0;
  virtual void Start(taskapi::StartRequest req, R r) = 0;
  virtual void Delete(taskapi::DeleteRequest req, R r) = 0;
  virtual void Pids(taskapi::PidsRequest req, R r) = 0;
  virtual void Pause(taskapi::PauseRequest req, R r) = 0;
  virtual void Resume(taskapi::ResumeRequest req, R r) = 0;
  virtual void Checkpoint(taskapi::CheckpointTaskRequest req, R r) = 0;
  virtual void Kill(taskapi::KillRequest req, R r) = 0;
  virtual void Exec(taskapi::ExecProcessRequest req, R r) = 0;
  virtual void ResizePty(taskapi::ResizePtyRequest req, R r) = 0;
  virtual void CloseIO(taskapi::CloseIORequest req, R r) = 0;
  virtual void Update(taskapi::UpdateTaskRequest req, R r) = 0;
  virtual void Wait(taskapi::WaitRequest req, R r) = 0;
  virtual void Stats(taskapi::StatsRequest req, R r) = 0;
  virtual void Connect(taskapi::ConnectRequest req, R r) = 0;
  virtual void Shutdown(taskapi::ShutdownRequest req, R r) = 0;
};

// Registers all methods on `server` (before Serve()). `handler` must outlive the server.
Status RegisterTaskService(ttrpc::Server* server, TaskHandler* handler);

}  // namespace see::shim
