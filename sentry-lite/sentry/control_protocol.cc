#include "sentry-lite/sentry/control_protocol.h"

#include <unistd.h>

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
