#include "base/ttrpc/client.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "base/ttrpc/address.h"
#include "proto/ttrpc.pb.h"

namespace see::ttrpc {
namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds to pass to poll(), rounding up so we never spin just before the deadline.
int PollTimeout(Clock::time_point deadline, bool has_deadline) {
  if (!has_deadline) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

Status Timeout() { return Status(Code::kDeadlineExceeded, "ttrpc: call timed out"); }

}  // namespace

Result<std::unique_ptr<Client>> Client::Dial(const std::string& address) {
  SEE_ASSIGN_OR_RETURN(UnixAddress addr, ParseUnixAddress(address));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("ttrpc: socket");
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr.addr), addr.len);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoStatus("ttrpc: connect " + address);
  return std::make_unique<Client>(std::move(fd));
}

Status Client::SendAll(std::string_view bytes, Clock::time_point deadline, bool has_deadline) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ErrnoStatus("ttrpc: send");
    pollfd p{fd_.get(), POLLOUT, 0};
    int r = ::poll(&p, 1, PollTimeout(deadline, has_deadline));
    if (r < 0 && errno != EINTR) return ErrnoStatus("ttrpc: poll");
    if (r == 0) return Timeout();
  }
  return Status::Ok();
}

Result<CallResult> Client::CallRaw(std::string_view service, std::string_view method,
                                   std::string_view payload, const CallOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_) return FailedPrecondition("ttrpc: connection closed");
  const bool has_deadline = options.timeout.count() > 0;
  const Clock::time_point deadline = Clock::now() + options.timeout;

  ::ttrpc::Request req;
  req.set_service(std::string(service));
  req.set_method(std::string(method));
  req.set_payload(std::string(payload));
  if (has_deadline) req.set_timeout_nano(options.timeout.count());
  for (const auto& [k, v] : options.metadata) {
    auto* kv = req.add_metadata();
    kv->set_key(k);
    kv->set_value(v);
  }
  const uint32_t stream_id = next_stream_id_;
  next_stream_id_ += 2;
  SEE_ASSIGN_OR_RETURN(std::string frame,
                       EncodeFrame(stream_id, MessageType::kRequest, req.SerializeAsString()));
  if (Status s = SendAll(frame, deadline, has_deadline); !s.ok()) {
    // A partial frame on the wire desynchronizes the server's view of the stream.
    broken_ = true;
    return s;
  }

  Frame answer;
  for (;;) {
    switch (decoder_.Next(&answer)) {
      case FrameDecoder::Event::kFrame:
        if (answer.header.stream_id != stream_id ||
            answer.header.type != static_cast<uint8_t>(MessageType::kResponse)) {
          continue;  // a late answer to an earlier, timed-out call
        }
        {
          ::ttrpc::Response resp;
          if (!resp.ParseFromString(answer.payload)) {
            return Internal("ttrpc: malformed response envelope");
          }
          CallResult out;
          out.status.code = static_cast<RpcCode>(resp.status().code());
          out.status.message = resp.status().message();
          out.payload = std::move(*resp.mutable_payload());
          return out;
        }
      case FrameDecoder::Event::kOversized:
        if (answer.header.stream_id == stream_id) {
          return Status(Code::kResourceExhausted, "ttrpc: response exceeds maximum message size");
        }
        continue;
      case FrameDecoder::Event::kUnknownType:
        continue;
      case FrameDecoder::Event::kNeedMore:
        break;
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, PollTimeout(deadline, has_deadline));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("ttrpc: poll");
    }
    if (r == 0) return Timeout();
    char buf[64 * 1024];
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      broken_ = true;
      return ErrnoStatus("ttrpc: recv");
    }
    if (n == 0) {
      broken_ = true;
      return Status(Code::kFailedPrecondition, "ttrpc: connection closed by server");
    }
    decoder_.Feed(std::string_view(buf, static_cast<size_t>(n)));
  }
}

Status Client::Call(std::string_view service, std::string_view method,
                    const google::protobuf::MessageLite& request,
                    google::protobuf::MessageLite* response, const CallOptions& options) {
  std::string payload;
  if (!request.SerializeToString(&payload)) return Internal("ttrpc: serializing request");
  SEE_ASSIGN_OR_RETURN(CallResult result, CallRaw(service, method, payload, options));
  if (!result.status.ok()) return FromRpcStatus(result.status);
  if (response != nullptr && !response->ParseFromString(result.payload)) {
    return Internal("ttrpc: malformed response payload");
  }
  return Status::Ok();
}

}  // namespace see::ttrpc
