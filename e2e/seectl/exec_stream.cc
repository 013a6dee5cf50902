// Interactive exec over the CRI streaming server: the URL from the Exec RPC is served by the
// runtime (containerd's copy of the kubelet streaming server), which speaks SPDY or WebSocket.
// seectl uses WebSocket with the "v4.channel.k8s.io" subprotocol: every binary message starts
// with a channel byte (0 stdin, 1 stdout, 2 stderr, 3 error/status JSON, 4 terminal resize).
//
// Limitation of v4: there is no way to close stdin alone, so `exec -i` without a tty cannot pass
// EOF to the command (v5 adds that; containerd 1.6 does not serve it).
#include <fcntl.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "base/cleanup.h"
#include "base/file_util.h"
#include "base/unique_fd.h"
#include "e2e/seectl/commands.h"

namespace see::seectl {
namespace {

constexpr char kWsGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kMaxMessage = 64 << 20;

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

struct Url {
  std::string host;
  std::string port;
  std::string path;
};

Result<Url> ParseUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    return Unimplemented("streaming URL " + url + ": only http:// is supported (no TLS streaming)");
  }
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  Url u;
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos || hostport.back() == ']') {
    u.host = hostport;
    u.port = "80";
  } else {
    u.host = hostport.substr(0, colon);
    u.port = hostport.substr(colon + 1);
  }
  if (u.host.size() > 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  return u;
}

Result<UniqueFd> Dial(const Url& u) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res);
  if (rc != 0) return InvalidArgument("resolving " + u.host + ": " + gai_strerror(rc));
  Cleanup free_res([res] { ::freeaddrinfo(res); });
  Status last = Internal("no address for " + u.host);
  for (addrinfo* a = res; a; a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd.valid()) continue;
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) return fd;
    last = ErrnoStatus("connecting to " + u.host + ":" + u.port);
  }
  return last;
}

// Sends one masked client frame (RFC 6455 5.2/5.3).
Status SendFrame(int fd, uint8_t opcode, std::string_view payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((uint64_t{n} >> (8 * i)) & 0xff));
  }
  unsigned char mask[4];
  if (RAND_bytes(mask, sizeof mask) != 1) return Internal("RAND_bytes failed");
  f.append(reinterpret_cast<char*>(mask), 4);
  for (size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return WriteAll(fd, f);
}

Status SendChannel(int fd, uint8_t channel, std::string_view data) {
  std::string msg(1, static_cast<char>(channel));
  msg.append(data);
  return SendFrame(fd, 0x2, msg);
}

Status SendResize(int fd) {
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return Status::Ok();
  nlohmann::json j = {{"Width", ws.ws_col}, {"Height", ws.ws_row}};
  return SendChannel(fd, 4, j.dump());
}

// Opens the WebSocket: HTTP/1.1 upgrade with the v4 channel subprotocol; checks the accept key.
Result<UniqueFd> Handshake(const Url& u, std::string* leftover) {
  SEE_ASSIGN_OR_RETURN(UniqueFd fd, Dial(u));
  unsigned char nonce[16];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return Internal("RAND_bytes failed");
  std::string key = Base64(nonce, sizeof nonce);
  std::string req = "GET " + u.path + " HTTP/1.1\r\nHost: " + u.host + ":" + u.port +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                    "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v4.channel.k8s.io"
                    "\r\n\r\n";
  SEE_RETURN_IF_ERROR(WriteAll(fd.get(), req));
  std::string resp;
  char buf[4096];
  size_t end;
  while ((end = resp.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Internal("streaming server closed during the handshake: " + resp);
    resp.append(buf, static_cast<size_t>(n));
    if (resp.size() > 65536) return Internal("oversized handshake response");
  }
  *leftover = resp.substr(end + 4);
  std::string head = resp.substr(0, end);
  if (head.rfind("HTTP/1.1 101", 0) != 0) {
    return Internal("streaming server refused the upgrade: " + head.substr(0, head.find('\r')) +
                    (leftover->empty() ? "" : " (" + *leftover + ")"));
  }
  std::string want = key + kWsGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(want.data()), want.size(), digest);
  std::string accept = Base64(digest, sizeof digest);
  std::string lower;
  for (char c : head) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  size_t pos = lower.find("\r\nsec-websocket-accept:");
  if (pos == std::string::npos) return Internal("no Sec-WebSocket-Accept in the upgrade response");
  size_t vstart = head.find_first_not_of(' ', pos + 23);
  std::string got = head.substr(vstart, head.find("\r\n", vstart) - vstart);
  if (got != accept) return Internal("bad Sec-WebSocket-Accept");
  return fd;
}

// v4 status on channel 3: Success, or NonZeroExitCode with the code as a cause.
int ExitCodeFromStatus(const std::string& json, std::string* err) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *err = "exec failed: " + json;
    return -1;
  }
  if (j.value("status", "") == "Success") return 0;
  if (j.contains("details") && j["details"].is_object() && j["details"].contains("causes")) {
    for (const auto& c : j["details"]["causes"]) {
      if (c.is_object() && c.value("reason", "") == "ExitCode") {
        return std::atoi(c.value("message", "1").c_str());
      }
    }
  }
  *err = "exec failed: " + j.value("message", json);
  return -1;
}

int g_winch_pipe = -1;
void OnWinch(int) {
  char c = 0;
  (void)!::write(g_winch_pipe, &c, 1);
}

}  // namespace

int ExecStream(const std::string& url, bool stdin, bool tty, std::string* err) {
  auto fail = [&](const Status& st) {
    *err = st.ToString();
    return -1;
  };
  Result<Url> u = ParseUrl(url);
  if (!u.ok()) return fail(u.status());
  std::string buf;
  Result<UniqueFd> conn = Handshake(*u, &buf);
  if (!conn.ok()) return fail(conn.status());
  int fd = conn->get();

  // Local terminal: raw while the remote tty is attached; restored on every exit path.
  termios saved{};
  bool raw = tty && stdin && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  Cleanup restore([&] {
    if (raw) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  });
  if (raw) {
    termios t = saved;
    ::cfmakeraw(&t);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
  }
  int winch[2] = {-1, -1};
  if (tty && ::pipe2(winch, O_CLOEXEC | O_NONBLOCK) == 0) {
    g_winch_pipe = winch[1];
    ::signal(SIGWINCH, OnWinch);
    (void)SendResize(fd);
  }
  Cleanup close_winch([&] {
    if (winch[0] >= 0) {
      ::signal(SIGWINCH, SIG_DFL);
      ::close(winch[0]);
      ::close(winch[1]);
    }
  });

  bool stdin_open = stdin;
  std::string message;  // reassembly of fragmented messages
  std::string status_json;
  char chunk[65536];
  while (true) {
    // Parse every complete frame in `buf`.
    while (buf.size() >= 2) {
      uint8_t b0 = static_cast<uint8_t>(buf[0]), b1 = static_cast<uint8_t>(buf[1]);
      size_t hdr = 2;
      uint64_t len = b1 & 0x7f;
      if (len == 126) {
        if (buf.size() < 4) break;
        len = (uint64_t{static_cast<uint8_t>(buf[2])} << 8) | static_cast<uint8_t>(buf[3]);
        hdr = 4;
      } else if (len == 127) {
        if (buf.size() < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<uint8_t>(buf[2 + i]);
        hdr = 10;
      }
      if (b1 & 0x80) hdr += 4;  // servers must not mask, but tolerate it
      if (len > kMaxMessage) return fail(Internal("oversized WebSocket frame"));
      if (buf.size() < hdr + len) break;
      std::string payload = buf.substr(hdr, len);
      if (b1 & 0x80) {
        for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= buf[hdr - 4 + i % 4];
      }
      buf.erase(0, hdr + len);
      uint8_t opcode = b0 & 0x0f;
      if (opcode == 0x8) {  // close
        if (!status_json.empty()) return ExitCodeFromStatus(status_json, err);
        return 0;  // closed without a status: the v4 server sends one only on failure paths
      }
      if (opcode == 0x9) {
        (void)SendFrame(fd, 0xA, payload);
        continue;
      }
      if (opcode == 0xA) continue;
      message += payload;
      if (message.size() > kMaxMessage) return fail(Internal("oversized WebSocket message"));
      if (!(b0 & 0x80)) continue;  // more fragments follow
      if (!message.empty()) {
        uint8_t channel = static_cast<uint8_t>(message[0]);

        std::string_view data(message.data() + 1, message.size() - 1);
        if (channel == 1) (void)WriteAll(STDOUT_FILENO, data);
        if (channel == 2) (void)WriteAll(STDERR_FILENO, data);
        if (channel == 3) status_json += data;
      }
      message.clear();
    }

    pollfd fds[3] = {{fd, POLLIN, 0}, {-1, POLLIN, 0}, {winch[0], POLLIN, 0}};
    if (stdin_open) fds[1].fd = STDIN_FILENO;
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return fail(ErrnoStatus("poll"));
    }
    if (fds[2].revents & POLLIN) {
      char drain[64];
      while (::read(winch[0], drain, sizeof drain) > 0) {
      }
      (void)SendResize(fd);
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (n > 0) {
        Status st = SendChannel(fd, 0, std::string_view(chunk, static_cast<size_t>(n)));
        if (!st.ok()) return fail(st);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stdin_open = false;  // v4 cannot forward EOF; the command sees stdin stay open
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (!status_json.empty()) return ExitCodeFromStatus(status_json, err);
        return 0;
      }
      buf.append(chunk, static_cast<size_t>(n));
    }
  }
}

}  // namespace see::seectl
