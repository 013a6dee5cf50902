// ttrpc framing (containerd/ttrpc 1.1 channel.go): every message is a 10-byte header
//   uint32 big-endian payload length | uint32 big-endian stream id | uint8 type | uint8 flags
// followed by `length` payload bytes. Requests use odd, client-chosen stream ids; the response
// carries the request's id. Payloads over kMaxMessageSize are refused by both Go peers.
//
// Pure functions and a push decoder: no I/O, no threads. Safe on hostile input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace see::ttrpc {

inline constexpr size_t kHeaderSize = 10;
inline constexpr uint32_t kMaxMessageSize = 4 << 20;  // messageLengthMax

// Only these two exist in ttrpc 1.1 (no streaming/data frames yet).
enum class MessageType : uint8_t {
  kRequest = 0x1,
  kResponse = 0x2,
};

struct FrameHeader {
  uint32_t length = 0;
  uint32_t stream_id = 0;
  uint8_t type = 0;  // raw: a peer may send a type we do not know
  uint8_t flags = 0;
};

struct Frame {
  FrameHeader header;
  std::string payload;
};

// Writes the 10 header bytes into `out` (REQUIRES: room for kHeaderSize bytes).
void EncodeHeader(const FrameHeader& header, uint8_t* out);
FrameHeader DecodeHeader(const uint8_t* in);

// Header + payload, ready to write. Code::kResourceExhausted if the payload is
// larger than kMaxMessageSize: the peer would refuse it.
Result<std::string> EncodeFrame(uint32_t stream_id, MessageType type, std::string_view payload,
                                uint8_t flags = 0);

// Incremental decoder for one byte stream (one connection direction).
//
// Usage: Feed() what read() returned, then call Next() until it says kNeedMore. Memory: the
// buffer never holds more than one header, one payload of at most max_payload bytes, and the
// bytes of the last Feed(); the payload of an oversized frame is discarded as it arrives, never
// buffered, whatever its declared length. The stream stays in sync after kOversized and
// kUnknownType, as the Go peer does (it discards and carries on).
// Not thread-safe; one owner.
class FrameDecoder {
 public:
  enum class Event {
    kNeedMore,     // no complete frame buffered
    kFrame,        // *out is a complete frame of a known type
    kOversized,    // out->header describes a frame whose length > max_payload; payload skipped
    kUnknownType,  // out->header has a type other than request/response; payload skipped
  };

  explicit FrameDecoder(uint32_t max_payload = kMaxMessageSize) : max_payload_(max_payload) {}

  void Feed(std::string_view bytes);
  Event Next(Frame* out);

  // Bytes buffered and not yet returned (for tests and accounting).
  size_t buffered() const { return buffer_.size() - pos_; }
  // True while between frames: EOF now is a clean close, not a truncated frame.
  bool at_frame_boundary() const { return buffered() == 0 && skip_ == 0; }

 private:
  void Compact();

  uint32_t max_payload_;
  std::string buffer_;
  size_t pos_ = 0;    // start of unconsumed bytes in buffer_
  uint64_t skip_ = 0;  // payload bytes of a refused frame still to be dropped
};

const char* DecodeEventName(FrameDecoder::Event event);

}  // namespace see::ttrpc
