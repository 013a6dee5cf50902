#include "runtime/cgroups/devices_bpf.h"

#include <gtest/gtest.h>

namespace see::cgroups::internal {
namespace {

constexpr uint32_t kR = BPF_DEVCG_ACC_READ, kW = BPF_DEVCG_ACC_WRITE, kM = BPF_DEVCG_ACC_MKNOD;

TEST(DevicePolicyTest, DenyAllThenAllowsBecomeExceptions) {
  auto p = EmulateV1DeviceRules({
      {.allow = false, .type = "a", .access = "rwm"},
      {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"},
      {.allow = true, .type = "c", .major = 136, .access = "rw"},  // any minor
      {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "r"},  // merged
  });
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->default_allow);
  ASSERT_EQ(p->exceptions.size(), 2u);
  EXPECT_EQ(p->exceptions[0].type, 'c');
  EXPECT_EQ(p->exceptions[0].major, 1u);
  EXPECT_EQ(p->exceptions[0].minor, 3u);
  EXPECT_EQ(p->exceptions[0].access, kR | kW | kM);
  EXPECT_EQ(p->exceptions[1].minor, std::nullopt);
  EXPECT_EQ(p->exceptions[1].access, kR | kW);
}

TEST(DevicePolicyTest, RuleAgreeingWithDefaultNarrowsAnException) {
  auto p = EmulateV1DeviceRules({
      {.allow = false, .type = "a"},
      {.allow = true, .type = "b", .major = 8, .minor = 0, .access = "rw"},
      {.allow = false, .type = "b", .major = 8, .minor = 0, .access = "w"},
      {.allow = true, .type = "c", .major = 5, .minor = 1, .access = "m"},
      {.allow = false, .type = "c", .major = 5, .minor = 1, .access = "m"},
  });
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->exceptions.size(), 1u);
  EXPECT_EQ(p->exceptions[0].type, 'b');
  EXPECT_EQ(p->exceptions[0].access, kR);

  // "a" resets everything, whatever came before.
  auto reset = EmulateV1DeviceRules({{.allow = false, .type = "a"},
                                     {.allow = true, .type = "c", .major = 1, .access = "r"},
                                     {.allow = true, .type = "a"}});
  ASSERT_TRUE(reset.ok());
  EXPECT_TRUE(reset->default_allow);
  EXPECT_TRUE(reset->exceptions.empty());
}

TEST(DevicePolicyTest, RejectsBadRules) {
  EXPECT_FALSE(EmulateV1DeviceRules({{.allow = true, .type = "x"}}).ok());
  EXPECT_FALSE(EmulateV1DeviceRules({{.allow = true, .type = "c", .access = "rwz"}}).ok());
  EXPECT_FALSE(EmulateV1DeviceRules({{.allow = true, .type = "c", .major = -2}}).ok());
}

TEST(DeviceProgramTest, ShapeAndVerdicts) {
  DevicePolicy deny_all{.default_allow = false};
  auto empty = DeviceFilterProgram(deny_all);
  ASSERT_GE(empty.size(), 2u);
  EXPECT_EQ(empty.back().code, BPF_JMP | BPF_EXIT);
  EXPECT_EQ(empty[empty.size() - 2].imm, 0);  // r0 = deny

  DevicePolicy one{.default_allow = false,
                   .exceptions = {{.type = 'c', .major = 1, .minor = 3, .access = kR | kW | kM}}};
  auto prog = DeviceFilterProgram(one);
  // Header (6) + type, major, minor tests + verdict (2) + default verdict (2).
  ASSERT_EQ(prog.size(), 6u + 3u + 2u + 2u);
  // Every failed test lands on the default verdict, just past the block.
  for (size_t i = 6; i < 9; ++i) {
    EXPECT_EQ(prog[i].code, BPF_JMP32 | BPF_JNE | BPF_K);
    EXPECT_EQ(i + 1 + prog[i].off, 11u) << i;
  }
  EXPECT_EQ(prog[9].imm, 1);   // match: allow
  EXPECT_EQ(prog[11].imm, 0);  // default: deny
}

}  // namespace
}  // namespace see::cgroups::internal
