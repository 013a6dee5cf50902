#include "base/ttrpc/frame.h"

#include <algorithm>

namespace see::ttrpc {
namespace {

void PutU32(uint32_t v, uint8_t* out) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

uint32_t GetU32(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) |
         uint32_t{in[3]};
}

bool KnownType(uint8_t type) {
  return type == static_cast<uint8_t>(MessageType::kRequest) ||
         type == static_cast<uint8_t>(MessageType::kResponse);
}

}  // namespace

void EncodeHeader(const FrameHeader& header, uint8_t* out) {
  PutU32(header.length, out);
  PutU32(header.stream_id, out + 4);
  out[8] = header.type;
  out[9] = header.flags;
}

FrameHeader DecodeHeader(const uint8_t* in) {
  return FrameHeader{GetU32(in), GetU32(in + 4), in[8], in[9]};
}

Result<std::string> EncodeFrame(uint32_t stream_id, MessageType type, std::string_view payload,
                                uint8_t flags) {
  if (payload.size() > kMaxMessageSize) {
    return Status(Code::kResourceExhausted, "ttrpc: message length " +
                                                std::to_string(payload.size()) +
                                                " exceeds maximum message size of " +
                                                std::to_string(kMaxMessageSize));
  }
  std::string out(kHeaderSize + payload.size(), '\0');
  EncodeHeader({static_cast<uint32_t>(payload.size()), stream_id, static_cast<uint8_t>(type), flags},
               reinterpret_cast<uint8_t*>(out.data()));
  std::copy(payload.begin(), payload.end(), out.begin() + kHeaderSize);
  return out;
}

void FrameDecoder::Feed(std::string_view bytes) {
  if (skip_ > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(skip_, bytes.size()));
    skip_ -= n;
    bytes.remove_prefix(n);
  }
  if (bytes.empty()) return;
  Compact();
  buffer_.append(bytes);
}

void FrameDecoder::Compact() {
  if (pos_ == 0) return;
  buffer_.erase(0, pos_);
  pos_ = 0;
}

FrameDecoder::Event FrameDecoder::Next(Frame* out) {
  if (skip_ > 0) return Event::kNeedMore;  // Feed() drops the rest of a refused payload first
  size_t avail = buffered();
  if (avail < kHeaderSize) return Event::kNeedMore;
  const auto* base = reinterpret_cast<const uint8_t*>(buffer_.data()) + pos_;
  FrameHeader header = DecodeHeader(base);

  if (header.length > max_payload_ || !KnownType(header.type)) {
    // Drop what is buffered of the payload now and the rest as it is fed.
    pos_ += kHeaderSize;
    uint64_t in_buffer = std::min<uint64_t>(header.length, buffered());
    pos_ += static_cast<size_t>(in_buffer);
    skip_ = header.length - in_buffer;
    if (buffered() == 0) {
      buffer_.clear();
      pos_ = 0;
    }
    out->header = header;
    out->payload.clear();
    return header.length > max_payload_ ? Event::kOversized : Event::kUnknownType;
  }

  if (avail - kHeaderSize < header.length) {
    // Reserve once for the whole frame so a large payload arriving in pieces is not copied
    // repeatedly; bounded by max_payload_.
    Compact();
    buffer_.reserve(kHeaderSize + header.length);
    return Event::kNeedMore;
  }
  out->header = header;
  out->payload.assign(buffer_, pos_ + kHeaderSize, header.length);
  pos_ += kHeaderSize + header.length;
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  return Event::kFrame;
}

const char* DecodeEventName(FrameDecoder::Event event) {
  switch (event) {
    case FrameDecoder::Event::kNeedMore: return "need-more";
    case FrameDecoder::Event::kFrame: return "frame";
    case FrameDecoder::Event::kOversized: return "oversized";
    case FrameDecoder::Event::kUnknownType: return "unknown-type";
  }
  return "?";
}

}  // namespace see::ttrpc
