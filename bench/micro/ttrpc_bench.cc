// ttrpc microbenchmarks (Google Benchmark; a tool, not a test): the shim's request path without
// containerd. Encode and decode of a frame carrying a containerd Tasks request, and a full round
// trip Client -> Server over a socketpair (the loop thread, a handler answering at once).
//
//   ttrpc_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <sys/socket.h>

#include <string>
#include <thread>

#include "base/ttrpc/client.h"
#include "base/ttrpc/frame.h"
#include "base/ttrpc/server.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "proto/ttrpc.pb.h"

namespace see::ttrpc {
namespace {

namespace taskapi = ::containerd::task::v2;

// A State request as containerd sends it, wrapped in a ttrpc Request.
std::string StateRequestPayload() {
  taskapi::StateRequest state;
  state.set_id("4b6e4d93cc2b964ac8b80d2087fad31f8c15e70501b2e5c1b43d689f57ed9aab");
  ::ttrpc::Request req;
  req.set_service("containerd.task.v2.Task");
  req.set_method("State");
  req.set_payload(state.SerializeAsString());
  return req.SerializeAsString();
}

void BM_EncodeFrame(benchmark::State& s) {
  std::string payload = StateRequestPayload();
  uint32_t id = 1;
  for (auto _ : s) {
    auto frame = EncodeFrame(id += 2, MessageType::kRequest, payload);
    benchmark::DoNotOptimize(frame);
  }
}

// Frame decode plus the two protobuf parses the server does per request.
void BM_DecodeRequest(benchmark::State& s) {
  std::string bytes = *EncodeFrame(1, MessageType::kRequest, StateRequestPayload());
  FrameDecoder decoder;
  Frame f;
  for (auto _ : s) {
    decoder.Feed(bytes);
    if (decoder.Next(&f) != FrameDecoder::Event::kFrame) s.SkipWithError("decode");
    ::ttrpc::Request req;
    taskapi::StateRequest state;
    if (!req.ParseFromString(f.payload) || !state.ParseFromString(req.payload())) {
      s.SkipWithError("parse");
    }
    benchmark::DoNotOptimize(state);
  }
}

// Client::Call -> server loop -> handler -> response, over a socketpair.
void BM_RoundTrip(benchmark::State& s) {
  auto server = Server::Create();
  if (!server.ok()) {
    s.SkipWithError("server");
    return;
  }
  Status reg = (*server)->Register("containerd.task.v2.Task", "State",
                      TypedHandler<taskapi::StateRequest>(
                          [](const CallContext&, taskapi::StateRequest req, Responder r) {
                            taskapi::StateResponse resp;
                            resp.set_id(req.id());
                            resp.set_pid(42);
                            r.Reply(resp);
                          }));
  if (!reg.ok()) {
    s.SkipWithError("register");
    return;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    s.SkipWithError("socketpair");
    return;
  }
  (void)(*server)->AddConnection(UniqueFd(sv[0]));
  std::thread loop([&] { (void)(*server)->Serve(); });
  Client client{UniqueFd(sv[1])};
  taskapi::StateRequest req;
  req.set_id("4b6e4d93cc2b964ac8b80d2087fad31f8c15e70501b2e5c1b43d689f57ed9aab");
  taskapi::StateResponse resp;
  for (auto _ : s) {
    Status st = client.Call("containerd.task.v2.Task", "State", req, &resp);
    if (!st.ok()) s.SkipWithError("call");
  }
  (*server)->Shutdown();
  loop.join();
}

BENCHMARK(BM_EncodeFrame);
BENCHMARK(BM_DecodeRequest);
BENCHMARK(BM_RoundTrip)->UseRealTime();

}  // namespace
}  // namespace see::ttrpc

BENCHMARK_MAIN();
