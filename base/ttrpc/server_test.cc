#include "base/ttrpc/server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "base/ttrpc/client.h"
#include "base/ttrpc/frame.h"
#include "proto/ttrpc.pb.h"

namespace see::ttrpc {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s += static_cast<char>(b);
  return s;
}

std::string RequestFrame(uint32_t stream_id, const std::string& service, const std::string& method,
                         const std::string& payload = "") {
  ::ttrpc::Request req;
  req.set_service(service);
  req.set_method(method);
  req.set_payload(payload);
  return *EncodeFrame(stream_id, MessageType::kRequest, req.SerializeAsString());
}

// Reads exactly one frame from a blocking socket.
Frame ReadFrame(int fd) {
  FrameDecoder d;
  Frame f;
  while (d.Next(&f) != FrameDecoder::Event::kFrame) {
    char c;
    ssize_t n = ::read(fd, &c, 1);  // byte at a time: never over-reads the next frame
    if (n != 1) {
      ADD_FAILURE() << "connection closed before a whole frame";
      return {};
    }
    d.Feed(std::string_view(&c, 1));
  }
  return f;
}

::ttrpc::Response ParseResponse(const Frame& f) {
  ::ttrpc::Response r;
  EXPECT_EQ(f.header.type, static_cast<uint8_t>(MessageType::kResponse));
  EXPECT_TRUE(r.ParseFromString(f.payload));
  return r;
}

// Handlers whose responders are parked until the test releases them.
struct ParkedCalls {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<std::string, Responder>> calls;

  void Park(std::string payload, Responder r) {
    std::lock_guard<std::mutex> lock(mu);
    calls.emplace_back(std::move(payload), std::move(r));
    cv.notify_all();
  }
  std::pair<std::string, Responder> Take() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return !calls.empty(); });
    auto out = std::move(calls.front());
    calls.pop_front();
    return out;
  }
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ttrpc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    address_ = "unix://" + dir_ + "/s.sock";
    Result<std::unique_ptr<Server>> s = Server::Create();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();

    ASSERT_TRUE(server_->Register("test.Echo", "Echo",
                                  [](const CallContext&, std::string_view payload, Responder r) {
                                    r.ReplyBytes(std::string(payload));
                                  }).ok());
    ASSERT_TRUE(server_->Register("test.Echo", "Meta",
                                  [](const CallContext& ctx, std::string_view, Responder r) {
                                    ::ttrpc::KeyValue kv;
                                    kv.set_key(ctx.Metadata("who").value_or("<none>"));
                                    kv.set_value(ctx.deadline ? "deadline" : "none");
                                    r.Reply(kv);
                                  }).ok());
    ASSERT_TRUE(server_->Register("test.Echo", "Later",
                                  [this](const CallContext&, std::string_view p, Responder r) {
                                    parked_.Park(std::string(p), std::move(r));
                                  }).ok());
    ASSERT_TRUE(server_->Register("test.Echo", "Drop",
                                  [](const CallContext&, std::string_view, Responder) {}).ok());
    ASSERT_TRUE(server_->Register("test.Echo", "Fail",
                                  [](const CallContext&, std::string_view, Responder r) {
                                    r.Fail(NotFound("no such container"));
                                  }).ok());
    ASSERT_TRUE(server_->Register("test.Echo", "BadText",
                                  [](const CallContext&, std::string_view, Responder r) {
                                    r.Fail(RpcCode::kNotFound, "no file \xff\xfe");
                                  }).ok());
    ASSERT_TRUE(server_->Register(
        "test.Echo", "Typed",
        TypedHandler<::ttrpc::KeyValue>(
            [](const CallContext&, ::ttrpc::KeyValue kv, Responder r) {
              kv.set_value(kv.value() + "!");
              r.Reply(kv);
            })).ok());
    ASSERT_TRUE(server_->Listen(address_).ok());
    serve_ = std::thread([this] { serve_status_ = server_->Serve(); });
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    if (serve_.joinable()) serve_.join();
    EXPECT_TRUE(serve_status_.ok()) << serve_status_.ToString();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Client> Dial() {
    Result<std::unique_ptr<Client>> c = Client::Dial(address_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // A raw blocking connection for hand-made frames.
  int RawConnect() {
    Result<UniqueFd> fd = [&]() -> Result<UniqueFd> {
      UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::string path = dir_ + "/s.sock";
      std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
      if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        return ErrnoStatus("connect");
      }
      return s;
    }();
    EXPECT_TRUE(fd.ok());
    raw_.push_back(std::move(fd).value());
    return raw_.back().get();
  }

  void WriteAll(int fd, const std::string& bytes) {
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  std::string dir_;
  std::string address_;
  std::unique_ptr<Server> server_;
  std::thread serve_;
  Status serve_status_;
  ParkedCalls parked_;
  std::vector<UniqueFd> raw_;
};

TEST_F(ServerTest, EchoCall) {
  auto c = Dial();
  Result<CallResult> r = c->CallRaw("test.Echo", "Echo", "ping");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->payload, "ping");
}

TEST_F(ServerTest, SocketIsPrivate) {
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/s.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ServerTest, UnknownServiceAndMethodAreUnimplemented) {
  auto c = Dial();
  Result<CallResult> r = c->CallRaw("no.Such", "Echo", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code, RpcCode::kUnimplemented);
  EXPECT_EQ(r->status.message, "service no.Such");
  r = c->CallRaw("test.Echo", "Nope", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code, RpcCode::kUnimplemented);
  EXPECT_EQ(r->status.message, "method Nope");
  EXPECT_EQ(c->Call("no.Such", "X", ::ttrpc::KeyValue(), nullptr).code(), Code::kUnimplemented);
}

// The exact bytes the Go server writes for an unknown service: Response{status{code 12,
// message "service x"}} on stream 1, built by hand from types.go and channel.go.
TEST_F(ServerTest, GoldenUnimplementedResponseBytes) {
  int fd = RawConnect();
  WriteAll(fd, Bytes({0, 0, 0, 6, 0, 0, 0, 1, 1, 0, 0x0a, 0x01, 'x', 0x12, 0x01, 'm'}));
  std::string want = Bytes({0, 0, 0, 15, 0, 0, 0, 1, 2, 0,    // header
                            0x0a, 13,                         // Response.status
                            0x08, 12,                         // code = Unimplemented
                            0x12, 9, 's', 'e', 'r', 'v', 'i', 'c', 'e', ' ', 'x'});
  std::string got(want.size(), '\0');
  ASSERT_EQ(::read(fd, got.data(), got.size()), static_cast<ssize_t>(got.size()));
  EXPECT_EQ(got, want);
}

TEST_F(ServerTest, GoldenOkResponseBytes) {
  std::string out = server_->HandleBytesForTesting(RequestFrame(3, "test.Echo", "Echo", "hi"));
  // Response{status{} (present, empty), payload "hi"}.
  EXPECT_EQ(out, Bytes({0, 0, 0, 6, 0, 0, 0, 3, 2, 0, 0x0a, 0, 0x12, 2, 'h', 'i'}));
}

TEST_F(ServerTest, InvalidEnvelopeIsInvalidArgument) {
  int fd = RawConnect();
  WriteAll(fd, *EncodeFrame(5, MessageType::kRequest, Bytes({0x0a, 0x7f, 'a'})));  // truncated
  Frame f = ReadFrame(fd);
  EXPECT_EQ(f.header.stream_id, 5u);
  EXPECT_EQ(ParseResponse(f).status().code(), static_cast<int>(RpcCode::kInvalidArgument));
  // The connection still works.
  WriteAll(fd, RequestFrame(7, "test.Echo", "Echo", "after"));
  f = ReadFrame(fd);
  EXPECT_EQ(f.header.stream_id, 7u);
  EXPECT_EQ(ParseResponse(f).payload(), "after");
}

TEST_F(ServerTest, EvenStreamIdIsInvalidArgument) {
  int fd = RawConnect();
  WriteAll(fd, RequestFrame(2, "test.Echo", "Echo", "x"));
  Frame f = ReadFrame(fd);
  EXPECT_EQ(f.header.stream_id, 2u);
  ::ttrpc::Response r = ParseResponse(f);
  EXPECT_EQ(r.status().code(), static_cast<int>(RpcCode::kInvalidArgument));
  EXPECT_EQ(r.status().message(), "StreamID must be odd for client initiated streams");
}

TEST_F(ServerTest, OversizedFrameGetsResourceExhaustedAndConnectionSurvives) {
  int fd = RawConnect();
  std::string header(kHeaderSize, '\0');
  EncodeHeader({kMaxMessageSize + 1, 9, 1, 0}, reinterpret_cast<uint8_t*>(header.data()));
  std::thread writer([&] {
    WriteAll(fd, header + std::string(kMaxMessageSize + 1, 'x') +
                     RequestFrame(11, "test.Echo", "Echo", "still here"));
  });
  Frame f = ReadFrame(fd);
  EXPECT_EQ(f.header.stream_id, 9u);
  EXPECT_EQ(ParseResponse(f).status().code(), static_cast<int>(RpcCode::kResourceExhausted));
  f = ReadFrame(fd);
  writer.join();
  EXPECT_EQ(f.header.stream_id, 11u);
  EXPECT_EQ(ParseResponse(f).payload(), "still here");
}

TEST_F(ServerTest, NonRequestFramesAreIgnored) {
  int fd = RawConnect();
  WriteAll(fd, *EncodeFrame(1, MessageType::kResponse, "junk") +
                   Bytes({0, 0, 0, 1, 0, 0, 0, 3, 0x77, 0, 'q'}) +
                   RequestFrame(5, "test.Echo", "Echo", "real"));
  Frame f = ReadFrame(fd);
  EXPECT_EQ(f.header.stream_id, 5u);
  EXPECT_EQ(ParseResponse(f).payload(), "real");
}

TEST_F(ServerTest, PipelinedRequestsOnOneConnection) {
  int fd = RawConnect();
  std::string wire;
  for (uint32_t id = 1; id < 40; id += 2) {
    wire += RequestFrame(id, "test.Echo", "Echo", std::to_string(id));
  }
  WriteAll(fd, wire);
  for (uint32_t id = 1; id < 40; id += 2) {
    Frame f = ReadFrame(fd);
    EXPECT_EQ(f.header.stream_id, id);
    EXPECT_EQ(ParseResponse(f).payload(), std::to_string(id));
  }
}

TEST_F(ServerTest, MalformedConnectionDoesNotAffectAnother) {
  auto good = Dial();
  int bad = RawConnect();
  // Half a header, then a frame claiming 4 GiB, then hang up mid-payload.
  WriteAll(bad, Bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 1, 0}) + std::string(5000, 'x'));
  Result<CallResult> r = good->CallRaw("test.Echo", "Echo", "fine");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, "fine");
  raw_.clear();  // close the bad connection mid-frame
  r = good->CallRaw("test.Echo", "Echo", "still fine");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, "still fine");
}

TEST_F(ServerTest, ConcurrentClients) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 50;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = Dial();
      for (int i = 0; i < kCalls; ++i) {
        std::string p = std::to_string(t) + ":" + std::to_string(i);
        Result<CallResult> r = c->CallRaw("test.Echo", "Echo", p);
        if (r.ok() && r->payload == p) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
}

TEST_F(ServerTest, SharedClientFromManyThreads) {
  auto c = Dial();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::string p = std::to_string(t * 100 + i);
        Result<CallResult> r = c->CallRaw("test.Echo", "Echo", p);
        if (r.ok() && r->payload == p) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 100);
}

// A handler that answers later (the shim's Wait) must not block other calls.
TEST_F(ServerTest, HandlerAnswersLaterFromAnotherThread) {
  auto waiter = Dial();
  std::optional<Result<CallResult>> later;
  std::thread t([&] {
    later = waiter->CallRaw("test.Echo", "Later", "w", {std::chrono::seconds(0), {}});
  });
  auto [payload, responder] = parked_.Take();
  EXPECT_EQ(payload, "w");
  // The loop is free while the call is parked.
  auto other = Dial();
  Result<CallResult> r = other->CallRaw("test.Echo", "Echo", "meanwhile");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, "meanwhile");
  std::thread answer([r = std::move(responder)]() mutable { r.ReplyBytes("done"); });
  answer.join();
  t.join();
  ASSERT_TRUE(later->ok()) << later->status().ToString();
  EXPECT_EQ((*later)->payload, "done");
}

TEST_F(ServerTest, DroppedResponderAnswersInternal) {
  auto c = Dial();
  Result<CallResult> r = c->CallRaw("test.Echo", "Drop", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code, RpcCode::kInternal);
}

TEST_F(ServerTest, FailCarriesCodeAndMessage) {
  auto c = Dial();
  Status s = c->Call("test.Echo", "Fail", ::ttrpc::KeyValue(), nullptr);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("no such container"), std::string::npos);
}

// Go peers refuse a proto3 string that is not UTF-8; the status message must still parse there.
TEST_F(ServerTest, ErrorMessageIsMadeValidUtf8) {
  auto c = Dial();
  Result<CallResult> r = c->CallRaw("test.Echo", "BadText", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code, RpcCode::kNotFound);
  EXPECT_EQ(r->status.message, "no file \xef\xbf\xbd");
}

TEST_F(ServerTest, TypedHandler) {
  auto c = Dial();
  ::ttrpc::KeyValue req, resp;
  req.set_value("hey");
  ASSERT_TRUE(c->Call("test.Echo", "Typed", req, &resp).ok());
  EXPECT_EQ(resp.value(), "hey!");
  Result<CallResult> r = c->CallRaw("test.Echo", "Typed", Bytes({0x12, 0x50}));  // truncated
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code, RpcCode::kInvalidArgument);
}

TEST_F(ServerTest, MetadataAndDeadlineReachHandler) {
  auto c = Dial();
  ::ttrpc::KeyValue resp;
  CallOptions opts;
  opts.metadata = {{"who", "containerd"}};
  ASSERT_TRUE(c->Call("test.Echo", "Meta", ::ttrpc::KeyValue(), &resp, opts).ok());
  EXPECT_EQ(resp.key(), "containerd");
  EXPECT_EQ(resp.value(), "deadline");
  opts.timeout = std::chrono::nanoseconds(0);
  opts.metadata.clear();
  ASSERT_TRUE(c->Call("test.Echo", "Meta", ::ttrpc::KeyValue(), &resp, opts).ok());
  EXPECT_EQ(resp.key(), "<none>");
  EXPECT_EQ(resp.value(), "none");
}

TEST_F(ServerTest, ClientTimeoutThenLateAnswerIsSkipped) {
  auto c = Dial();
  Result<CallResult> r =
      c->CallRaw("test.Echo", "Later", "slow", {std::chrono::milliseconds(50), {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  auto [payload, responder] = parked_.Take();
  responder.ReplyBytes("too late");
  r = c->CallRaw("test.Echo", "Echo", "next");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, "next");
}

TEST_F(ServerTest, GracefulShutdownWaitsForInFlightCall) {
  auto c = Dial();
  std::optional<Result<CallResult>> later;
  std::thread t([&] {
    later = c->CallRaw("test.Echo", "Later", "x", {std::chrono::seconds(0), {}});
  });
  auto [payload, responder] = parked_.Take();
  server_->Shutdown();
  // New connections are refused once the listener is closed; poll until then.
  for (;;) {
    if (!Client::Dial(address_).ok()) break;
    std::this_thread::yield();
  }
  responder.ReplyBytes("answered");
  t.join();
  ASSERT_TRUE(later->ok()) << later->status().ToString();
  EXPECT_EQ((*later)->payload, "answered");
  serve_.join();  // returns once the last connection is idle
  EXPECT_TRUE(serve_status_.ok());
}

TEST_F(ServerTest, ResponderOutlivesServer) {
  auto c = Dial();
  Result<CallResult> r = c->CallRaw("test.Echo", "Later", "x", {std::chrono::milliseconds(10), {}});
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  auto [payload, responder] = parked_.Take();
  c.reset();  // the server sees EOF and forgets the connection
  server_->Shutdown();
  serve_.join();
  server_.reset();
  responder.ReplyBytes("after the server is gone");  // must be a harmless no-op
  EXPECT_TRUE(responder.answered());
}

// Serves one Echo method with `options` on a temp socket for the duration of `body`.
void WithEchoServer(ServerOptions options, const std::function<void(const std::string&)>& body) {
  char tmpl[] = "/tmp/ttrpc-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string address = std::string(tmpl) + "/s";
  auto s = Server::Create(options);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Register("e", "Echo", [](const CallContext&, std::string_view p, Responder r) {
                 r.ReplyBytes(std::string(p));
               }).ok());
  ASSERT_TRUE((*s)->Listen(address).ok());
  std::thread loop([&] { EXPECT_TRUE((*s)->Serve().ok()); });
  body(address);
  (*s)->Shutdown();
  loop.join();
  std::filesystem::remove_all(tmpl);
}

TEST(ServerPeerTest, SameUserIsAccepted) {
  WithEchoServer(ServerOptions::SameUser(), [](const std::string& address) {
    auto c = Client::Dial(address);
    ASSERT_TRUE(c.ok());
    Result<CallResult> r = (*c)->CallRaw("e", "Echo", "me");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->payload, "me");
  });
}

TEST(ServerPeerTest, OtherUserIsRefused) {
  ServerOptions options;
  options.require_peer_uid = ::geteuid() + 1;
  WithEchoServer(options, [](const std::string& address) {
    auto c = Client::Dial(address);  // connect() succeeds: the check follows accept()
    ASSERT_TRUE(c.ok());
    Result<CallResult> r = (*c)->CallRaw("e", "Echo", "me");
    EXPECT_FALSE(r.ok());
  });
}

TEST(ServerRegisterTest, DuplicateIsAlreadyExists) {
  auto s = Server::Create();
  ASSERT_TRUE(s.ok());
  auto h = [](const CallContext&, std::string_view, Responder) {};
  ASSERT_TRUE((*s)->Register("a", "b", h).ok());
  EXPECT_EQ((*s)->Register("a", "b", h).code(), Code::kAlreadyExists);
  EXPECT_TRUE((*s)->Register("a", "c", h).ok());
}

TEST(ServerRegisterTest, ListenOnTakenPathFails) {
  char tmpl[] = "/tmp/ttrpc-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/s";
  auto a = Server::Create();
  auto b = Server::Create();
  ASSERT_TRUE((*a)->Listen(path).ok());
  EXPECT_FALSE((*b)->Listen(path).ok());
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace see::ttrpc
