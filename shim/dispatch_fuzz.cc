// Fuzz target: bytes -> ttrpc frame decoding -> Request envelope -> Task method request decoding,
// through the very registration the shim uses (RegisterTaskService). Handlers answer at once so
// that every decoded request produces a response frame; nothing may crash or grow unbounded.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/ttrpc/server.h"
#include "shim/task_dispatch.h"

namespace {

using see::shim::TaskHandler;
namespace t = see::shim::taskapi;

class EchoHandler : public TaskHandler {
 public:
  void State(t::StateRequest req, R r) override { t::StateResponse o; o.set_id(req.id()); r.Reply(o); }
  void Create(t::CreateTaskRequest req, R r) override { (void)req.rootfs_size(); r.Fail(see::InvalidArgument("no")); }
  void Start(t::StartRequest, R r) override { r.Reply(t::StartResponse()); }
  void Delete(t::DeleteRequest, R r) override { r.Reply(t::DeleteResponse()); }
  void Pids(t::PidsRequest, R r) override { r.Reply(t::PidsResponse()); }
  void Pause(t::PauseRequest, R r) override { r.Reply(google::protobuf::Empty()); }
  void Resume(t::ResumeRequest, R r) override { r.Reply(google::protobuf::Empty()); }
  void Checkpoint(t::CheckpointTaskRequest, R r) override { r.Fail(see::Unimplemented("no")); }
  void Kill(t::KillRequest, R r) override { r.Fail(see::NotFound("no")); }
  void Exec(t::ExecProcessRequest, R r) override { r.Fail(see::AlreadyExists("no")); }
  void ResizePty(t::ResizePtyRequest, R r) override { r.Reply(google::protobuf::Empty()); }
  void CloseIO(t::CloseIORequest, R r) override { r.Reply(google::protobuf::Empty()); }
  void Update(t::UpdateTaskRequest, R r) override { r.Fail(see::FailedPrecondition("no")); }
  void Wait(t::WaitRequest, R r) override { r.Reply(t::WaitResponse()); }
  void Stats(t::StatsRequest, R r) override { r.Reply(t::StatsResponse()); }
  void Connect(t::ConnectRequest, R r) override { r.Reply(t::ConnectResponse()); }
  void Shutdown(t::ShutdownRequest, R r) override { r.Reply(google::protobuf::Empty()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static EchoHandler handler;
  static std::unique_ptr<see::ttrpc::Server> server = [] {
    auto s = see::ttrpc::Server::Create();
    if (!s.ok()) abort();
    if (!see::shim::RegisterTaskService(s->get(), &handler).ok()) abort();
    return std::move(*s);
  }();
  (void)server->HandleBytesForTesting(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
