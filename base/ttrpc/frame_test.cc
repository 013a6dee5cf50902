#include "base/ttrpc/frame.h"

#include <gtest/gtest.h>

#include <string>

namespace see::ttrpc {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s += static_cast<char>(b);
  return s;
}

// channel.go: length (BE u32), stream id (BE u32), type, flags; then the payload.
TEST(FrameTest, GoldenRequestHeader) {
  Result<std::string> f = EncodeFrame(0x01020304, MessageType::kRequest, "abc", 0x7f);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, Bytes({0, 0, 0, 3, 1, 2, 3, 4, 1, 0x7f, 'a', 'b', 'c'}));
}

TEST(FrameTest, GoldenEmptyResponse) {
  Result<std::string> f = EncodeFrame(0xfffffffd, MessageType::kResponse, "");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, Bytes({0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfd, 2, 0}));
}

TEST(FrameTest, EncodeRefusesOversizedPayload) {
  std::string big(kMaxMessageSize + 1, 'x');
  Result<std::string> f = EncodeFrame(1, MessageType::kRequest, big);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Code::kResourceExhausted);
  EXPECT_TRUE(EncodeFrame(1, MessageType::kRequest, big.substr(1)).ok());
}

TEST(FrameTest, HeaderRoundTrip) {
  FrameHeader h{0xdeadbeef, 0x80000001, 0x42, 0x99};
  uint8_t buf[kHeaderSize];
  EncodeHeader(h, buf);
  FrameHeader back = DecodeHeader(buf);
  EXPECT_EQ(back.length, h.length);
  EXPECT_EQ(back.stream_id, h.stream_id);
  EXPECT_EQ(back.type, h.type);
  EXPECT_EQ(back.flags, h.flags);
}

TEST(FrameTest, DecoderRoundTripsByteByByte) {
  std::string wire = *EncodeFrame(1, MessageType::kRequest, "hello") +
                     *EncodeFrame(3, MessageType::kResponse, "") +
                     *EncodeFrame(5, MessageType::kRequest, std::string(1000, 'z'));
  FrameDecoder d;
  Frame f;
  std::vector<Frame> got;
  for (char ch : wire) {
    d.Feed(std::string_view(&ch, 1));
    while (d.Next(&f) == FrameDecoder::Event::kFrame) got.push_back(f);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].header.stream_id, 1u);
  EXPECT_EQ(got[0].payload, "hello");
  EXPECT_EQ(got[1].header.type, static_cast<uint8_t>(MessageType::kResponse));
  EXPECT_EQ(got[1].payload, "");
  EXPECT_EQ(got[2].payload, std::string(1000, 'z'));
  EXPECT_TRUE(d.at_frame_boundary());
}

TEST(FrameTest, DecoderAllAtOnce) {
  std::string wire = *EncodeFrame(7, MessageType::kRequest, "a") +
                     *EncodeFrame(9, MessageType::kRequest, "bb");
  FrameDecoder d;
  d.Feed(wire);
  Frame f;
  ASSERT_EQ(d.Next(&f), FrameDecoder::Event::kFrame);
  EXPECT_EQ(f.payload, "a");
  ASSERT_EQ(d.Next(&f), FrameDecoder::Event::kFrame);
  EXPECT_EQ(f.header.stream_id, 9u);
  EXPECT_EQ(f.payload, "bb");
  EXPECT_EQ(d.Next(&f), FrameDecoder::Event::kNeedMore);
}

TEST(FrameTest, TruncatedHeaderAndPayloadNeedMore) {
  std::string wire = *EncodeFrame(1, MessageType::kRequest, "payload");
  FrameDecoder d;
  Frame f;
  d.Feed(wire.substr(0, 9));
  EXPECT_EQ(d.Next(&f), FrameDecoder::Event::kNeedMore);
  d.Feed(wire.substr(9, 5));
  EXPECT_EQ(d.Next(&f), FrameDecoder::Event::kNeedMore);
  EXPECT_FALSE(d.at_frame_boundary());
  d.Feed(wire.substr(14));
  EXPECT_EQ(d.Next(&f), FrameDecoder::Event::kFrame);
  EXPECT_EQ(f.payload, "payload");
}

// A 4 GiB declared length must neither allocate nor desynchronize the stream: the payload is
// dropped as it arrives and the next frame decodes.
TEST(FrameTest, OversizedLengthIsSkippedWithoutBuffering) {
  FrameDecoder d(/*max_payload=*/16);
  Frame f;
  d.Feed(Bytes({0, 0, 0, 17, 0, 0, 0, 5, 1, 0}));
  ASSERT_EQ(d.Next(&f), FrameDecoder::Event::kOversized);
  EXPECT_EQ(f.header.stream_id, 5u);
  EXPECT_EQ(f.header.length, 17u);
  d.Feed(std::string(10, 'x'));
  EXPECT_EQ(d.Next(&f), FrameDecoder::Event::kNeedMore);
  EXPECT_EQ(d.buffered(), 0u);
  d.Feed(std::string(7, 'y') + *EncodeFrame(7, MessageType::kRequest, "ok"));
  ASSERT_EQ(d.Next(&f), FrameDecoder::Event::kFrame);
  EXPECT_EQ(f.header.stream_id, 7u);
  EXPECT_EQ(f.payload, "ok");
}

TEST(FrameTest, HugeDeclaredLengthDefaultMax) {
  FrameDecoder d;
  Frame f;
  d.Feed(Bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 1, 0}) + std::string(100000, 'q'));
  ASSERT_EQ(d.Next(&f), FrameDecoder::Event::kOversized);
  EXPECT_EQ(f.header.length, 0xffffffffu);
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_EQ(d.Next(&f), FrameDecoder::Event::kNeedMore);
  EXPECT_FALSE(d.at_frame_boundary());
}

TEST(FrameTest, LengthExactlyMaxIsAccepted) {
  FrameDecoder d(/*max_payload=*/4);
  Frame f;
  d.Feed(Bytes({0, 0, 0, 4, 0, 0, 0, 1, 1, 0, 'a', 'b', 'c', 'd'}));
  ASSERT_EQ(d.Next(&f), FrameDecoder::Event::kFrame);
  EXPECT_EQ(f.payload, "abcd");
}

TEST(FrameTest, UnknownTypeIsReportedAndSkipped) {
  FrameDecoder d;
  Frame f;
  d.Feed(Bytes({0, 0, 0, 2, 0, 0, 0, 3, 9, 0, 'z', 'z'}) +
         *EncodeFrame(5, MessageType::kRequest, "x"));
  ASSERT_EQ(d.Next(&f), FrameDecoder::Event::kUnknownType);
  EXPECT_EQ(f.header.type, 9);
  EXPECT_EQ(f.header.stream_id, 3u);
  ASSERT_EQ(d.Next(&f), FrameDecoder::Event::kFrame);
  EXPECT_EQ(f.payload, "x");
}

TEST(FrameTest, TypeZeroIsUnknown) {
  FrameDecoder d;
  Frame f;
  d.Feed(Bytes({0, 0, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(d.Next(&f), FrameDecoder::Event::kUnknownType);
  EXPECT_TRUE(d.at_frame_boundary());
}

TEST(FrameTest, EventNames) {
  EXPECT_STREQ(DecodeEventName(FrameDecoder::Event::kOversized), "oversized");
  EXPECT_STREQ(DecodeEventName(FrameDecoder::Event::kUnknownType), "unknown-type");
}

}  // namespace
}  // namespace see::ttrpc
