// Arbitrary bytes into the frame decoder (whole and in pieces) and into a server connection.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "base/ttrpc/frame.h"
#include "base/ttrpc/server.h"
#include "proto/ttrpc.pb.h"

namespace {

using see::ttrpc::Frame;
using see::ttrpc::FrameDecoder;

// Decodes `data` fed in chunks of `chunk` bytes; returns the frames' payload bytes in order.
std::string DecodeAll(std::string_view data, size_t chunk, uint32_t max_payload) {
  FrameDecoder d(max_payload);
  Frame f;
  std::string seen;
  for (size_t off = 0; off < data.size(); off += chunk) {
    d.Feed(data.substr(off, chunk));
    for (;;) {
      FrameDecoder::Event e = d.Next(&f);
      if (e == FrameDecoder::Event::kNeedMore) break;
      if (f.payload.size() > max_payload) std::abort();
      // Bounded memory: never more than one frame plus one chunk is held.
      if (d.buffered() > see::ttrpc::kHeaderSize + max_payload + chunk) std::abort();
      seen += see::ttrpc::DecodeEventName(e);
      seen += f.payload;
    }
  }
  return seen;
}

see::ttrpc::Server& TheServer() {
  static std::unique_ptr<see::ttrpc::Server> server = [] {
    auto s = see::ttrpc::Server::Create();
    if (!s.ok()) std::abort();
    auto echo = [](const see::ttrpc::CallContext&, std::string_view p, see::ttrpc::Responder r) {
      r.ReplyBytes(std::string(p));
    };
    (void)(*s)->Register("s", "echo", echo);
    (void)(*s)->Register("s", "drop",
                         [](const see::ttrpc::CallContext&, std::string_view,
                            see::ttrpc::Responder) {});
    (void)(*s)->Register("s", "typed",
                         see::ttrpc::TypedHandler<::ttrpc::KeyValue>(
                             [](const see::ttrpc::CallContext&, ::ttrpc::KeyValue kv,
                                see::ttrpc::Responder r) { r.Reply(kv); }));
    return std::move(s).value();
  }();
  return *server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Splitting must not change what is decoded.
  uint32_t max = size > 0 ? data[0] % 64 : 16;
  std::string whole = DecodeAll(input, input.size() + 1, max);
  if (DecodeAll(input, 1, max) != whole) std::abort();
  if (DecodeAll(input, 7, max) != whole) std::abort();
  (void)DecodeAll(input, 4096, see::ttrpc::kMaxMessageSize);

  std::string out = TheServer().HandleBytesForTesting(input);
  // Whatever came in, what goes out must be well-formed response frames.
  FrameDecoder d;
  d.Feed(out);
  Frame f;
  for (;;) {
    FrameDecoder::Event e = d.Next(&f);
    if (e == FrameDecoder::Event::kNeedMore) break;
    if (e != FrameDecoder::Event::kFrame) std::abort();
    ::ttrpc::Response resp;
    if (!resp.ParseFromString(f.payload)) std::abort();
  }
  if (!d.at_frame_boundary()) std::abort();
  return 0;
}
