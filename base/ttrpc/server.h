// A ttrpc server (containerd/ttrpc 1.1 wire behaviour) on one epoll loop.
//
// Threading contract:
//   - Register*() before Serve(). Serve() runs the loop on the calling thread until Shutdown()
//     has drained every connection; one Serve() per Server.
//   - Handlers run on the loop thread and must not block: a handler that needs time (the shim's
//     Wait, anything waiting on a child) keeps its Responder and answers later from any thread.
//     Answering wakes the loop through an eventfd; the response is written by the loop thread.
//   - Shutdown() may be called from any thread, including from a handler.
//   - Responders may outlive the Server: answering after it is gone is a no-op.
//
// Wire behaviour, matching the Go server: unknown service or method -> Unimplemented
// ("service X" / "method X"); undecodable Request envelope or even stream id -> InvalidArgument;
// frame over 4 MiB -> its payload is discarded and ResourceExhausted is answered on its stream id,
// the connection stays up; frames that are not requests are ignored. A response payload over
// 4 MiB is answered as ResourceExhausted instead of being sent (the Go client would refuse it).
// Memory per connection is bounded: input is not read while a connection's unsent output is large.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/message_lite.h>
#include <sys/types.h>

#include "base/status.h"
#include "base/ttrpc/rpc_status.h"
#include "base/unique_fd.h"

namespace see::ttrpc {

class Mailbox;  // internal: where Responders post answers for the loop

// What a handler learns about the call besides its payload.
struct CallContext {
  std::string service;
  std::string method;
  uint32_t stream_id = 0;
  // Request metadata in arrival order; keys as sent (Go lower-cases them on its side).
  std::vector<std::pair<std::string, std::string>> metadata;
  // Set when the client sent timeout_nano > 0. The server does not enforce it: a handler that
  // cannot finish in time should answer DeadlineExceeded, as a Go handler watching ctx would.
  std::optional<std::chrono::steady_clock::time_point> deadline;

  // First value of `key` (exact match), if any.
  std::optional<std::string> Metadata(std::string_view key) const;
};

// The one answer to one request. Move-only; may be moved to and used from any thread (one thread
// at a time). The first Reply*/Fail wins; later calls are ignored. Destroying it unanswered
// answers Internal("ttrpc: request dropped by handler") so the client never hangs.
class Responder {
 public:
  Responder() = default;
  Responder(std::shared_ptr<Mailbox> mailbox, uint64_t connection, uint32_t stream_id)
      : mailbox_(std::move(mailbox)), connection_(connection), stream_id_(stream_id) {}
  ~Responder();
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  void Reply(const google::protobuf::MessageLite& response);
  void ReplyBytes(std::string payload);
  void Fail(RpcCode code, std::string message);
  void Fail(const Status& status) { Fail(ToRpcCode(status.code()), status.ToString()); }

  bool answered() const { return mailbox_ == nullptr; }

 private:
  void Post(RpcStatus status, std::string payload);

  std::shared_ptr<Mailbox> mailbox_;  // null once answered
  uint64_t connection_ = 0;
  uint32_t stream_id_ = 0;
};

using Handler = std::function<void(const CallContext&, std::string_view payload, Responder)>;

// Adapts a handler taking a parsed request message. A payload that does not parse is answered
// InvalidArgument without calling `fn`.
template <typename Req>
Handler TypedHandler(std::function<void(const CallContext&, Req, Responder)> fn) {
  return [fn = std::move(fn)](const CallContext& ctx, std::string_view payload, Responder r) {
    Req req;
    if (!req.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      r.Fail(RpcCode::kInvalidArgument,
             "ttrpc: error unmarshalling payload for " + ctx.service + "/" + ctx.method);
      return;
    }
    fn(ctx, std::move(req), std::move(r));
  };
}

struct ServerOptions {
  // Stop reading a connection while it has this much unsent output (a client not reading).
  size_t max_pending_output = 16u << 20;
  // Peer credentials (SO_PEERCRED, effective ids at connect time) a connection accepted from a
  // listener must have; others are closed at once. containerd's Go shim requires its own euid and
  // egid (ttrpc.UnixSocketRequireSameUser); SameUser() builds that.
  std::optional<uid_t> require_peer_uid;
  std::optional<gid_t> require_peer_gid;

  static ServerOptions SameUser();
};

class Server {
 public:
  // Creates the epoll instance and wake-up eventfd. Fails only on fd exhaustion.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options = {});
  // REQUIRES: Serve() is not running. Open connections are closed; pending Responders become
  // no-ops.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // AlreadyExists if service/method is registered twice. REQUIRES: Serve() not started.
  Status Register(const std::string& service, const std::string& method, Handler handler);

  // Binds and listens on a unix socket. `address` is "unix:///path", a plain path, or
  // "\0name"/"@name" for the abstract namespace (what containerd's shim.NewSocket accepts). An
  // existing file at the path is an error (AlreadyExists); the socket is made mode 0600.
  Status Listen(const std::string& address);
  // Serves an already listening socket, e.g. the one a shim's parent passes down as fd 3.
  Status AddListener(UniqueFd listener);

  // Runs the loop until Shutdown() completes. Returns the error that stopped it, if any.
  Status Serve();

  // Stops accepting; closes each connection once it has no request in flight and nothing left to
  // write; Serve() returns when none is left. Any thread; idempotent.
  void Shutdown();

  // Serves one already connected stream socket (tests, fuzzing, socketpair()-based use).
  Status AddConnection(UniqueFd fd);

  // Feeds raw bytes as if read from a connection and returns what would be written back, with no
  // socket involved; handlers must answer synchronously for their output to be included. For the
  // fuzz target and golden tests. REQUIRES: Serve() is not running.
  std::string HandleBytesForTesting(std::string_view input);

 private:
  struct Connection;
  explicit Server(ServerOptions options);

  void Accept(int listen_fd);
  void OnReadable(Connection& c);
  void OnWritable(Connection& c);
  void HandleInput(Connection& c, std::string_view bytes);
  void Dispatch(Connection& c, uint32_t stream_id, std::string_view payload);
  void Queue(Connection& c, uint32_t stream_id, const RpcStatus& status, std::string_view payload);
  void DrainMailbox();
  // False if the connection had to be closed (c is gone).
  bool UpdateInterest(Connection& c);
  void CloseConnection(uint64_t id);
  void MaybeCloseIdle(Connection& c);

  ServerOptions options_;
  UniqueFd epoll_;
  std::shared_ptr<Mailbox> mailbox_;
  std::map<std::string, Handler> handlers_;  // key "service/method"
  std::map<std::string, bool> services_;
  std::vector<UniqueFd> listeners_;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_connection_id_ = 1;
  bool shutting_down_ = false;
};

}  // namespace see::ttrpc
