#include "shim/task_dispatch.h"

namespace see::shim {

Status RegisterTaskService(ttrpc::Server* server, TaskHandler* h) {
#define SEE_TASK_METHOD(name, Req)                                                        \
  SEE_RETURN_IF_ERROR(server->Register(                                                   \
      kTaskService, #name,                                                                \
      ttrpc::TypedHandler<taskapi::Req>(                                                  \
          [h](const ttrpc::CallContext&, taskapi::Req req, ttrpc::Responder r) {          \
            h->name(std::move(req), std::move(r));                                        \
          })))
  SEE_TASK_METHOD(State, StateRequest);
  SEE_TASK_METHOD(Create, CreateTaskRequest);
  SEE_TASK_METHOD(Start, StartRequest);
  SEE_TASK_METHOD(Delete, DeleteRequest);
  SEE_TASK_METHOD(Pids, PidsRequest);
  SEE_TASK_METHOD(Pause, PauseRequest);
  SEE_TASK_METHOD(Resume, ResumeRequest);
  SEE_TASK_METHOD(Checkpoint, CheckpointTaskRequest);
  SEE_TASK_METHOD(Kill, KillRequest);
  SEE_TASK_METHOD(Exec, ExecProcessRequest);
  SEE_TASK_METHOD(ResizePty, ResizePtyRequest);
  SEE_TASK_METHOD(CloseIO, CloseIORequest);
  SEE_TASK_METHOD(Update, UpdateTaskRequest);
  SEE_TASK_METHOD(Wait, WaitRequest);
  SEE_TASK_METHOD(Stats, StatsRequest);
  SEE_TASK_METHOD(Connect, ConnectRequest);
  SEE_TASK_METHOD(Shutdown, ShutdownRequest);
#undef SEE_TASK_METHOD
  return Status::Ok();
}

}  // namespace see::shim
