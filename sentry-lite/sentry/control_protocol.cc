#include "sentry-lite/sentry/control_protocol.h"

#include <unistd.h>

#include <charconv>
#include <cstring>

#include "base/file_util.h"

namespace see::sentry {
namespace {

Status ReadExactly(int fd, void* out, size_t len, bool* eof_at_start) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = read(fd, static_cast<char*>(out) + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read control message");
    if (n == 0) {
      if (done == 0 && eof_at_start) *eof_at_start = true;
      return Status(Code::kNotFound, "control channel closed");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeControlMessage(ControlType type, std::string_view payload) {
  std::string frame(sizeof(ControlHeader), '\0');
  ControlHeader h{static_cast<uint32_t>(type), static_cast<uint32_t>(payload.size())};
  memcpy(frame.data(), &h, sizeof(h));
  frame.append(payload);
  return frame;
}

std::string EncodeRegistration(const Registration& r) {
  std::string payload = "id=" + r.container_id + "\npid=" + std::to_string(r.pid) +
                        "\nlistener_fd=" + std::to_string(r.listener_fd) +
                        "\nroot_fd=" + std::to_string(r.root_fd) +
                        "\nmemory_cgroup=" + r.memory_cgroup + "\ncpu_cgroup=" + r.cpu_cgroup + "\n";
  return EncodeControlMessage(ControlType::kRegister, payload);
}

Result<Registration> DecodeRegistration(std::string_view payload) {
  Registration r;
  while (!payload.empty()) {
    size_t nl = payload.find('\n');
    if (nl == std::string_view::npos) return InvalidArgument("registration: unterminated line");
    std::string_view line = payload.substr(0, nl);
    payload.remove_prefix(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return InvalidArgument("registration: line without '='");
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "id") r.container_id = value;
    if (key == "pid" || key == "listener_fd" || key == "root_fd") {
      int n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 0) {
        return InvalidArgument("registration: bad number for " + std::string(key));
      }
      (key == "pid" ? r.pid : key == "listener_fd" ? r.listener_fd : r.root_fd) = n;
    }
    if (key == "memory_cgroup") r.memory_cgroup = value;
    if (key == "cpu_cgroup") r.cpu_cgroup = value;
  }
  if (r.pid <= 0 || r.listener_fd < 0 || r.root_fd < 0) {
    return InvalidArgument("registration: pid, listener_fd and root_fd are required");
  }
  return r;
}

std::string EncodeSpawnRequest(const SpawnRequest& r) {
  uint32_t counts[2] = {static_cast<uint32_t>(r.argv.size()), static_cast<uint32_t>(r.envp.size())};
  std::string payload(reinterpret_cast<const char*>(counts), sizeof(counts));
  for (const auto* list : {&r.argv, &r.envp}) {
    for (const std::string& s : *list) {
      payload.append(s);
      payload.push_back('\0');
    }
  }
  return EncodeControlMessage(ControlType::kSpawn, payload);
}

Result<SpawnRequest> DecodeSpawnRequest(std::string_view payload) {
  uint32_t counts[2];
  if (payload.size() < sizeof(counts)) return InvalidArgument("spawn request: shorter than its counts");
  memcpy(counts, payload.data(), sizeof(counts));
  payload.remove_prefix(sizeof(counts));
  // Every string takes at least its NUL: counts beyond the bytes present are malformed (and would
  // otherwise reserve memory on a peer's word).
  if (counts[0] == 0 || counts[0] > payload.size() || counts[1] > payload.size() - counts[0]) {
    return InvalidArgument("spawn request: bad argument or environment count");
  }
  SpawnRequest r;
  for (uint32_t i = 0; i < counts[0] + counts[1]; ++i) {
    size_t nul = payload.find('\0');
    if (nul == std::string_view::npos) return InvalidArgument("spawn request: unterminated string");
    (i < counts[0] ? r.argv : r.envp).emplace_back(payload.substr(0, nul));
    payload.remove_prefix(nul + 1);
  }
  if (!payload.empty()) return InvalidArgument("spawn request: trailing bytes");
  return r;
}

Result<ExitMessage> DecodeExitMessage(std::string_view frame) {
  SEE_ASSIGN_OR_RETURN(auto m, DecodeControlMessage(frame));
  ExitMessage exit{};
  if (m.first != ControlType::kExit || m.second.size() != sizeof(exit)) {
    return InvalidArgument("not an exit report");
  }
  memcpy(&exit, m.second.data(), sizeof(exit));
  return exit;
}

Result<std::pair<ControlType, std::string>> DecodeControlMessage(std::string_view frame) {
  ControlHeader h{};
  if (frame.size() < sizeof(h)) return InvalidArgument("control message shorter than its header");
  memcpy(&h, frame.data(), sizeof(h));
  if (h.length > kMaxPayload || h.length != frame.size() - sizeof(h)) {
    return InvalidArgument("control message length does not match its header");
  }
  return std::make_pair(static_cast<ControlType>(h.type), std::string(frame.substr(sizeof(h))));
}

Status WriteControlMessage(int fd, ControlType type, const void* payload, uint32_t length) {
  if (length > kMaxPayload) return InvalidArgument("control payload too large");
  std::string frame(sizeof(ControlHeader) + length, '\0');
  ControlHeader h{static_cast<uint32_t>(type), length};
  memcpy(frame.data(), &h, sizeof(h));
  if (length > 0) memcpy(frame.data() + sizeof(h), payload, length);
  return WriteAll(fd, frame);
}

Result<std::pair<ControlType, std::string>> ReadControlMessage(int fd) {
  ControlHeader h{};
  bool eof = false;
  SEE_RETURN_IF_ERROR(ReadExactly(fd, &h, sizeof(h), &eof));
  if (h.length > kMaxPayload) return InvalidArgument("control payload too large");
  std::string payload(h.length, '\0');
  SEE_RETURN_IF_ERROR(ReadExactly(fd, payload.data(), payload.size(), nullptr));
  return std::make_pair(static_cast<ControlType>(h.type), std::move(payload));
}

}  // namespace see::sentry
