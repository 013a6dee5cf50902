#include "sentry-lite/sentry/control_protocol.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>

namespace see::sentry {
namespace {

std::string Payload(const std::string& frame) { return frame.substr(sizeof(ControlHeader)); }

TEST(ControlProtocolTest, SpawnRequestRoundTrips) {
  SpawnRequest r{{"runsee", "init", "5"}, {"PATH=/bin", "EMPTY=", ""}};
  std::string frame = EncodeSpawnRequest(r);
  auto decoded = DecodeControlMessage(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->first, ControlType::kSpawn);
  auto back = DecodeSpawnRequest(decoded->second);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->argv, r.argv);
  EXPECT_EQ(back->envp, r.envp);
}

TEST(ControlProtocolTest, MalformedSpawnRequestsAreRefused) {
  std::string good = Payload(EncodeSpawnRequest({{"a", "b"}, {"E=1"}}));
  EXPECT_TRUE(DecodeSpawnRequest(good).ok());
  EXPECT_FALSE(DecodeSpawnRequest("").ok());
  EXPECT_FALSE(DecodeSpawnRequest(good.substr(0, 7)).ok());   // counts cut short
  EXPECT_FALSE(DecodeSpawnRequest(good.substr(0, good.size() - 1)).ok());  // last NUL missing
  EXPECT_FALSE(DecodeSpawnRequest(good + "x").ok());          // trailing bytes
  EXPECT_FALSE(DecodeSpawnRequest(Payload(EncodeSpawnRequest({{}, {"E=1"}}))).ok());  // no argv[0]
  // Counts far beyond the bytes present: refused before any allocation on their word.
  std::string huge = good;
  uint32_t big = 0xffffffffu;
  memcpy(huge.data(), &big, sizeof(big));
  EXPECT_FALSE(DecodeSpawnRequest(huge).ok());
  memcpy(huge.data(), &good[0], 4);
  memcpy(huge.data() + 4, &big, sizeof(big));
  EXPECT_FALSE(DecodeSpawnRequest(huge).ok());
}

TEST(ControlProtocolTest, RegistrationRoundTripsAndBadNumbersAreRefused) {
  Registration r{"c1", 42, 7, 8, "/sys/fs/cgroup/memory/x", "/sys/fs/cgroup/cpu/x"};
  auto frame = DecodeControlMessage(EncodeRegistration(r));
  ASSERT_TRUE(frame.ok());
  auto back = DecodeRegistration(frame->second);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->container_id, "c1");
  EXPECT_EQ(back->pid, 42);
  EXPECT_EQ(back->memory_cgroup, r.memory_cgroup);
  EXPECT_FALSE(DecodeRegistration("pid=x\nlistener_fd=1\nroot_fd=2\n").ok());
  EXPECT_FALSE(DecodeRegistration("pid=1\nlistener_fd=1\n").ok());
  EXPECT_FALSE(DecodeRegistration("pid=1\nlistener_fd=1\nroot_fd=2").ok());  // unterminated
}

TEST(ControlProtocolTest, ExitReportsDecodeAndOtherFramesAreRefused) {
  ExitMessage m{42, 9};
  std::string frame =
      EncodeControlMessage(ControlType::kExit, std::string_view(reinterpret_cast<char*>(&m), sizeof(m)));
  auto back = DecodeExitMessage(frame);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->pid, 42);
  EXPECT_EQ(back->wait_status, 9);
  EXPECT_FALSE(DecodeExitMessage(EncodeControlMessage(ControlType::kReady, frame.substr(8))).ok());
  EXPECT_FALSE(DecodeExitMessage(EncodeControlMessage(ControlType::kExit, "short")).ok());
  EXPECT_FALSE(DecodeExitMessage(frame.substr(0, frame.size() - 1)).ok());
}

TEST(ControlProtocolTest, FramesWhoseLengthLiesAreRefused) {
  std::string frame = EncodeControlMessage(ControlType::kExit, "12345678");
  EXPECT_TRUE(DecodeControlMessage(frame).ok());
  EXPECT_FALSE(DecodeControlMessage(frame.substr(0, frame.size() - 1)).ok());
  EXPECT_FALSE(DecodeControlMessage(frame + "x").ok());
  EXPECT_FALSE(DecodeControlMessage(frame.substr(0, 3)).ok());
}

TEST(ControlProtocolTest, RoundTripAndEof) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ExitMessage m{42, 3 << 8};
  ASSERT_TRUE(WriteControlMessage(p[1], ControlType::kExit, &m, sizeof(m)).ok());
  close(p[1]);
  auto msg = ReadControlMessage(p[0]);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(msg->first, ControlType::kExit);
  ASSERT_EQ(msg->second.size(), sizeof(ExitMessage));
  ExitMessage back;
  memcpy(&back, msg->second.data(), sizeof(back));
  EXPECT_EQ(back.pid, 42);
  EXPECT_EQ(back.wait_status, 3 << 8);
  EXPECT_EQ(ReadControlMessage(p[0]).status().code(), Code::kNotFound);
  close(p[0]);
}

}  // namespace
}  // namespace see::sentry
