#include "base/ttrpc/server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "base/logging.h"
#include "base/ttrpc/address.h"
#include "base/ttrpc/frame.h"
#include "proto/ttrpc.pb.h"

namespace see::ttrpc {

// Answers travel from Responders (any thread) to the loop through here. Shared with every
// Responder so that one outliving the Server still has somewhere safe to post.
class Mailbox {
 public:
  struct Answer {
    uint64_t connection;
    std::string frame;  // encoded response frame
  };

  explicit Mailbox(UniqueFd eventfd) : eventfd_(std::move(eventfd)) {}

  void Post(Answer answer) {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    answers_.push_back(std::move(answer));
    Wake();
  }
  void RequestShutdown() {
    shutdown_.store(true);
    std::lock_guard<std::mutex> lock(mu_);
    if (!closed_) Wake();
  }
  bool shutdown_requested() const { return shutdown_.load(); }
  std::vector<Answer> Take() {
    uint64_t count;
    // Reset the counter; EAGAIN (nothing posted) is fine.
    [[maybe_unused]] ssize_t n = ::read(eventfd_.get(), &count, sizeof(count));
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(answers_, {});
  }
  // The Server is going away: later answers are dropped.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    answers_.clear();
  }
  int fd() const { return eventfd_.get(); }

 private:
  void Wake() {
    uint64_t one = 1;
    // Cannot fail short of counter overflow (2^64-2 posts); the loop resets it on every wake.
    [[maybe_unused]] ssize_t n = ::write(eventfd_.get(), &one, sizeof(one));
  }

  UniqueFd eventfd_;
  std::mutex mu_;
  std::vector<Answer> answers_;
  bool closed_ = false;
  std::atomic<bool> shutdown_{false};
};

namespace {

constexpr uint64_t kWakeTag = 0;
constexpr uint64_t kListenerTag = uint64_t{1} << 63;  // | index into listeners_

std::string ResponseBody(const RpcStatus& status, std::string_view payload) {
  ::ttrpc::Response resp;
  resp.mutable_status()->set_code(static_cast<int32_t>(status.code));
  resp.mutable_status()->set_message(ToValidUtf8(status.message));
  resp.set_payload(std::string(payload));
  return resp.SerializeAsString();
}

std::string EncodeResponse(uint32_t stream_id, const RpcStatus& status, std::string_view payload) {
  std::string body = ResponseBody(status, payload);
  if (body.size() > kMaxMessageSize) {
    body = ResponseBody({RpcCode::kResourceExhausted,
                         "ttrpc: response of " + std::to_string(payload.size()) +
                             " bytes exceeds maximum message size"},
                        "");
  }
  return std::move(EncodeFrame(stream_id, MessageType::kResponse, body)).value();  // size checked
}

}  // namespace

std::optional<std::string> CallContext::Metadata(std::string_view key) const {
  for (const auto& [k, v] : metadata) {
    if (k == key) return v;
  }
  return std::nullopt;
}

// ---- Responder ----

Responder::~Responder() {
  if (mailbox_) Post({RpcCode::kInternal, "ttrpc: request dropped by handler"}, "");
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (mailbox_) Post({RpcCode::kInternal, "ttrpc: request dropped by handler"}, "");
    mailbox_ = std::move(other.mailbox_);
    other.mailbox_ = nullptr;
    connection_ = other.connection_;
    stream_id_ = other.stream_id_;
  }
  return *this;
}

void Responder::Reply(const google::protobuf::MessageLite& response) {
  if (!mailbox_) return;
  std::string payload;
  if (!response.SerializeToString(&payload)) {
    Post({RpcCode::kInternal, "ttrpc: error marshaling payload"}, "");
    return;
  }
  Post({}, std::move(payload));
}

void Responder::ReplyBytes(std::string payload) {
  if (mailbox_) Post({}, std::move(payload));
}

void Responder::Fail(RpcCode code, std::string message) {
  if (code == RpcCode::kOk) code = RpcCode::kUnknown;  // a failure must not read as success
  if (mailbox_) Post({code, std::move(message)}, "");
}

void Responder::Post(RpcStatus status, std::string payload) {
  std::shared_ptr<Mailbox> mailbox = std::exchange(mailbox_, nullptr);
  mailbox->Post({connection_, EncodeResponse(stream_id_, status, payload)});
}

// ---- Server ----

ServerOptions ServerOptions::SameUser() {
  ServerOptions o;
  o.require_peer_uid = ::geteuid();
  o.require_peer_gid = ::getegid();
  return o;
}

namespace {

// OK if the peer of `fd` has the required effective ids.
Status CheckPeer(int fd, const ServerOptions& options) {
  if (!options.require_peer_uid && !options.require_peer_gid) return Status::Ok();
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return ErrnoStatus("ttrpc: SO_PEERCRED");
  }
  if ((options.require_peer_uid && cred.uid != *options.require_peer_uid) ||
      (options.require_peer_gid && cred.gid != *options.require_peer_gid)) {
    return Status(Code::kPermissionDenied,
                  "ttrpc: refusing peer pid " + std::to_string(cred.pid) + " uid " +
                      std::to_string(cred.uid) + " gid " + std::to_string(cred.gid));
  }
  return Status::Ok();
}

}  // namespace

struct Server::Connection {
  uint64_t id = 0;
  UniqueFd fd;  // invalid for HandleBytesForTesting's detached connection
  FrameDecoder decoder;
  std::string out;
  size_t out_pos = 0;
  int in_flight = 0;       // requests dispatched and not yet answered
  uint32_t interest = 0;   // events registered with epoll
  std::string* capture = nullptr;  // HandleBytesForTesting: collect output here

  size_t pending_output() const { return out.size() - out_pos; }
};

Server::Server(ServerOptions options) : options_(options) {}

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  std::unique_ptr<Server> server(new Server(options));
  server->epoll_.Reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!server->epoll_) return ErrnoStatus("ttrpc: epoll_create1");
  UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!efd) return ErrnoStatus("ttrpc: eventfd");
  server->mailbox_ = std::make_shared<Mailbox>(std::move(efd));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  if (::epoll_ctl(server->epoll_.get(), EPOLL_CTL_ADD, server->mailbox_->fd(), &ev) != 0) {
    return ErrnoStatus("ttrpc: epoll_ctl eventfd");
  }
  return server;
}

Server::~Server() { mailbox_->Close(); }

Status Server::Register(const std::string& service, const std::string& method, Handler handler) {
  std::string key = service + "/" + method;
  if (handlers_.count(key) != 0) return AlreadyExists("ttrpc: duplicate method " + key);
  handlers_[key] = std::move(handler);
  services_[service] = true;
  return Status::Ok();
}

Status Server::Listen(const std::string& address) {
  SEE_ASSIGN_OR_RETURN(UnixAddress addr, ParseUnixAddress(address));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return ErrnoStatus("ttrpc: socket");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr.addr), addr.len) != 0) {
    return ErrnoStatus("ttrpc: bind " + address);
  }
  if (!addr.abstract && ::chmod(addr.path.c_str(), 0600) != 0) {
    Status s = ErrnoStatus("ttrpc: chmod " + addr.path);
    ::unlink(addr.path.c_str());
    return s;
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) return ErrnoStatus("ttrpc: listen " + address);
  return AddListener(std::move(fd));
}

Status Server::AddListener(UniqueFd listener) {
  int flags = ::fcntl(listener.get(), F_GETFL);
  if (flags < 0 || ::fcntl(listener.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return ErrnoStatus("ttrpc: listener O_NONBLOCK");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag | listeners_.size();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener.get(), &ev) != 0) {
    return ErrnoStatus("ttrpc: epoll_ctl listener");
  }
  listeners_.push_back(std::move(listener));
  return Status::Ok();
}

Status Server::AddConnection(UniqueFd fd) {
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return ErrnoStatus("ttrpc: connection O_NONBLOCK");
  }
  auto c = std::make_unique<Connection>();
  c->id = next_connection_id_++;
  c->fd = std::move(fd);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = c->id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c->fd.get(), &ev) != 0) {
    return ErrnoStatus("ttrpc: epoll_ctl connection");
  }
  c->interest = EPOLLIN;
  connections_[c->id] = std::move(c);
  return Status::Ok();
}

void Server::Shutdown() { mailbox_->RequestShutdown(); }

void Server::Accept(int listen_fd) {
  // Level-triggered: accept a bounded batch, the rest on the next wake, so one busy listener
  // cannot starve established connections.
  for (int i = 0; i < 64; ++i) {
    UniqueFd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        SPDLOG_WARN("ttrpc: accept: {}", std::strerror(errno));
      }
      return;
    }
    if (Status s = CheckPeer(fd.get(), options_); !s.ok()) {
      SPDLOG_WARN("{}", s.ToString());
      continue;  // fd closes here
    }
    if (Status s = AddConnection(std::move(fd)); !s.ok()) {
      SPDLOG_WARN("ttrpc: {}", s.ToString());
    }
  }
}

void Server::OnReadable(Connection& c) {
  char buf[64 * 1024];
  ssize_t n = ::read(c.fd.get(), buf, sizeof(buf));
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    if (errno != ECONNRESET) SPDLOG_WARN("ttrpc: read: {}", std::strerror(errno));
    CloseConnection(c.id);
    return;
  }
  if (n == 0) {  // the client went away; answers still in flight are dropped, as in Go
    CloseConnection(c.id);
    return;
  }
  HandleInput(c, std::string_view(buf, static_cast<size_t>(n)));
}

void Server::HandleInput(Connection& c, std::string_view bytes) {
  c.decoder.Feed(bytes);
  Frame frame;
  for (;;) {
    switch (c.decoder.Next(&frame)) {
      case FrameDecoder::Event::kNeedMore:
        return;
      case FrameDecoder::Event::kOversized:
        Queue(c, frame.header.stream_id,
              {RpcCode::kResourceExhausted,
               "message length " + std::to_string(frame.header.length) +
                   " exceed maximum message size of " + std::to_string(kMaxMessageSize)},
              "");
        break;
      case FrameDecoder::Event::kUnknownType:
        break;  // ignored for forward compatibility, as the Go server does
      case FrameDecoder::Event::kFrame:
        if (frame.header.type == static_cast<uint8_t>(MessageType::kRequest)) {
          Dispatch(c, frame.header.stream_id, frame.payload);
        }
        break;
    }
  }
}

void Server::Dispatch(Connection& c, uint32_t stream_id, std::string_view payload) {
  ::ttrpc::Request req;
  if (!req.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    Queue(c, stream_id, {RpcCode::kInvalidArgument, "unmarshal request error"}, "");
    return;
  }
  if (stream_id % 2 != 1) {
    Queue(c, stream_id,
          {RpcCode::kInvalidArgument, "StreamID must be odd for client initiated streams"}, "");
    return;
  }
  auto it = handlers_.find(req.service() + "/" + req.method());
  if (it == handlers_.end()) {
    std::string msg = services_.count(req.service()) == 0 ? "service " + req.service()
                                                          : "method " + req.method();
    Queue(c, stream_id, {RpcCode::kUnimplemented, std::move(msg)}, "");
    return;
  }
  CallContext ctx;
  ctx.service = req.service();
  ctx.method = req.method();
  ctx.stream_id = stream_id;
  for (const auto& kv : req.metadata()) ctx.metadata.emplace_back(kv.key(), kv.value());
  if (req.timeout_nano() > 0) {
    ctx.deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(req.timeout_nano());
  }
  ++c.in_flight;
  // The handler may answer inline or later; either way the answer arrives via the mailbox.
  it->second(ctx, req.payload(), Responder(mailbox_, c.id, stream_id));
}

void Server::Queue(Connection& c, uint32_t stream_id, const RpcStatus& status,
                   std::string_view payload) {
  c.out += EncodeResponse(stream_id, status, payload);
}

void Server::DrainMailbox() {
  for (Mailbox::Answer& a : mailbox_->Take()) {
    auto it = connections_.find(a.connection);
    if (it == connections_.end()) continue;  // the client left before the answer
    Connection& c = *it->second;
    --c.in_flight;
    c.out += a.frame;
  }
}

void Server::OnWritable(Connection& c) {
  if (!c.fd.valid()) {  // detached (testing): hand the output over
    if (c.capture) c.capture->append(c.out, c.out_pos);
    c.out.clear();
    c.out_pos = 0;
    return;
  }
  while (c.pending_output() > 0) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_pos, c.pending_output(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno != EPIPE && errno != ECONNRESET) SPDLOG_WARN("ttrpc: send: {}", std::strerror(errno));
      CloseConnection(c.id);
      return;
    }
    c.out_pos += static_cast<size_t>(n);
  }
  if (c.pending_output() == 0) {
    c.out.clear();
    c.out_pos = 0;
  } else if (c.out_pos > (1u << 20)) {
    c.out.erase(0, c.out_pos);
    c.out_pos = 0;
  }
  if (UpdateInterest(c)) MaybeCloseIdle(c);
}

bool Server::UpdateInterest(Connection& c) {
  if (!c.fd.valid()) return true;
  uint32_t want = 0;
  if (c.pending_output() < options_.max_pending_output) want |= EPOLLIN;
  if (c.pending_output() > 0) want |= EPOLLOUT;
  if (want == c.interest) return true;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c.id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) != 0) {
    SPDLOG_WARN("ttrpc: epoll_ctl: {}", std::strerror(errno));
    CloseConnection(c.id);
    return false;
  }
  c.interest = want;
  return true;
}

void Server::MaybeCloseIdle(Connection& c) {
  if (shutting_down_ && c.in_flight == 0 && c.pending_output() == 0) CloseConnection(c.id);
}

void Server::CloseConnection(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (it->second->fd.valid()) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second->fd.get(), nullptr);
  }
  connections_.erase(it);
}

Status Server::Serve() {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  for (;;) {
    if (mailbox_->shutdown_requested() && !shutting_down_) {
      shutting_down_ = true;
      for (UniqueFd& l : listeners_) {
        if (l) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, l.get(), nullptr);
        l.Reset();
      }
    }
    if (shutting_down_) {
      std::vector<uint64_t> ids;
      for (auto& [id, c] : connections_) ids.push_back(id);
      for (uint64_t id : ids) {
        auto it = connections_.find(id);
        if (it != connections_.end()) MaybeCloseIdle(*it->second);
      }
      if (connections_.empty()) return Status::Ok();
    }

    int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("ttrpc: epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) continue;  // drained below, after handlers of this round posted
      if (tag & kListenerTag) {
        size_t index = tag & ~kListenerTag;
        if (index < listeners_.size() && listeners_[index]) Accept(listeners_[index].get());
        continue;
      }
      auto it = connections_.find(tag);
      if (it == connections_.end()) continue;  // closed earlier in this round
      Connection& c = *it->second;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        OnReadable(c);
        if (connections_.count(tag) == 0) continue;
      }
      if (events[i].events & EPOLLOUT) OnWritable(c);
    }
    DrainMailbox();
    // Flush whatever handlers and the mailbox produced, without waiting for EPOLLOUT.
    std::vector<uint64_t> ids;
    for (auto& [id, c] : connections_) {
      if (c->pending_output() > 0 || c->interest != EPOLLIN) ids.push_back(id);
    }
    for (uint64_t id : ids) {
      auto it = connections_.find(id);
      if (it != connections_.end()) OnWritable(*it->second);
    }
  }
}

std::string Server::HandleBytesForTesting(std::string_view input) {
  std::string output;
  auto c = std::make_unique<Connection>();
  c->id = next_connection_id_++;
  c->capture = &output;
  Connection& ref = *c;
  connections_[ref.id] = std::move(c);
  HandleInput(ref, input);
  DrainMailbox();
  OnWritable(ref);
  CloseConnection(ref.id);
  return output;
}

}  // namespace see::ttrpc
