// A blocking ttrpc client, enough to publish events to containerd
// (containerd.services.events.ttrpc.v1.Events/Forward at $TTRPC_ADDRESS) and to test the server.
//
// Threading: calls are serialized by an internal mutex; one call is on the wire at a time. Safe
// to share between threads. A call that times out leaves the connection usable: a late answer
// carries the old stream id and is skipped by the next call.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/message_lite.h>

#include "base/status.h"
#include "base/ttrpc/frame.h"
#include "base/ttrpc/rpc_status.h"
#include "base/unique_fd.h"

namespace see::ttrpc {

struct CallOptions {
  // Bounds the whole call (send + wait) and is sent as timeout_nano. Zero: wait forever.
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
  std::vector<std::pair<std::string, std::string>> metadata;
};

// What the server answered: its status and, on OK, the payload.
struct CallResult {
  RpcStatus status;
  std::string payload;
};

class Client {
 public:
  // Connects to "unix:///path", "/path" or an abstract "@name". Errors: the connect errno.
  static Result<std::unique_ptr<Client>> Dial(const std::string& address);
  // Adopts a connected stream socket.
  explicit Client(UniqueFd fd) : fd_(std::move(fd)) {}

  // Transport-level result: a Status error only when the call could not complete (I/O error,
  // kDeadlineExceeded on timeout, malformed answer); the server's own error is in CallResult.
  Result<CallResult> CallRaw(std::string_view service, std::string_view method,
                             std::string_view payload, const CallOptions& options = {});

  // Typed call: a server error becomes a Status via FromRpcStatus. `response` may be null when
  // the answer is not needed (e.g. google.protobuf.Empty).
  Status Call(std::string_view service, std::string_view method,
              const google::protobuf::MessageLite& request,
              google::protobuf::MessageLite* response, const CallOptions& options = {});

 private:
  Status SendAll(std::string_view bytes, std::chrono::steady_clock::time_point deadline,
                 bool has_deadline);

  std::mutex mu_;
  UniqueFd fd_;
  FrameDecoder decoder_;
  uint32_t next_stream_id_ = 1;  // odd: client-initiated
  bool broken_ = false;          // the byte stream is out of sync or closed
};

}  // namespace see::ttrpc
