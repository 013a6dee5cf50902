// Fuzzes the parsers of the sentry's control channels (control_protocol.h): frames, exit reports,
// registrations and spawn requests, whose bytes come from container processes (registrations) or
// over the pod init's socket. Any crash, hang or sanitizer report is a finding; an exit report
// decodes exactly when its frame is a kExit of the right size, and a decoded spawn request must
// encode back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sentry-lite/sentry/control_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto frame = see::sentry::DecodeControlMessage(in);
  auto exit = see::sentry::DecodeExitMessage(in);
  if (exit.ok() != (frame.ok() && frame->first == see::sentry::ControlType::kExit &&
                    frame->second.size() == sizeof(see::sentry::ExitMessage))) {
    std::abort();
  }
  std::string_view payload = frame.ok() ? std::string_view(frame->second) : in;
  (void)see::sentry::DecodeRegistration(payload);
  auto spawn = see::sentry::DecodeSpawnRequest(payload);
  if (spawn.ok()) {
    std::string again = see::sentry::EncodeSpawnRequest(*spawn);
    if (std::string_view(again).substr(sizeof(see::sentry::ControlHeader)) != payload) std::abort();
  }
  return 0;
}
