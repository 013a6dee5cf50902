// EventLoop's idle hook: once per busy -> idle transition, never for a wait a timer cut short.
#include <gtest/gtest.h>

#include <chrono>

#include "shim/event_loop.h"

namespace see::shim {
namespace {

using std::chrono::milliseconds;

class IdleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = EventLoop::Create().value();
    loop_->SetOnIdle([this] { ++idle_; });
  }
  std::unique_ptr<EventLoop> loop_;
  int idle_ = 0;
};

TEST_F(IdleTest, OncePerTransitionFromWork) {
  ASSERT_TRUE(loop_->RunOnce(milliseconds(5)).ok());
  EXPECT_EQ(idle_, 0) << "never busy: nothing to give back";
  bool ran = false;
  loop_->Post([&] { ran = true; });
  ASSERT_TRUE(loop_->RunOnce(milliseconds(5)).ok());
  ASSERT_TRUE(ran);
  EXPECT_EQ(idle_, 0) << "the round that did work is not idle";
  ASSERT_TRUE(loop_->RunOnce(milliseconds(5)).ok());
  EXPECT_EQ(idle_, 1);
  ASSERT_TRUE(loop_->RunOnce(milliseconds(5)).ok());
  ASSERT_TRUE(loop_->RunOnce(milliseconds(5)).ok());
  EXPECT_EQ(idle_, 1) << "still idle: no second call";
  loop_->Post([] {});
  ASSERT_TRUE(loop_->RunOnce(milliseconds(5)).ok());
  ASSERT_TRUE(loop_->RunOnce(milliseconds(5)).ok());
  EXPECT_EQ(idle_, 2);
}

TEST_F(IdleTest, TimerShortenedWaitIsNotIdle) {
  loop_->Post([] {});
  ASSERT_TRUE(loop_->RunOnce(milliseconds(5)).ok());
  bool fired = false;
  loop_->RunAfter(milliseconds(20), [&] { fired = true; });
  // The wait ends for the timer, not because a second passed quietly.
  ASSERT_TRUE(loop_->RunOnce(milliseconds(1000)).ok());
  EXPECT_EQ(idle_, 0);
  // Every wait before the timer fires is cut short by it; the round that runs it (first thing in
  // RunOnce) then waits the whole second with nothing to do: that is the idle transition.
  while (!fired) ASSERT_TRUE(loop_->RunOnce(milliseconds(1000)).ok());
  EXPECT_EQ(idle_, 1) << "quiet after the timer's work";
  ASSERT_TRUE(loop_->RunOnce(milliseconds(5)).ok());
  EXPECT_EQ(idle_, 1);
}

TEST(EventLoopDefault, IdleHookInstalled) {
  // The default hook (malloc_trim) must be safe to run on the loop thread.
  auto loop = EventLoop::Create().value();
  loop->Post([] {});
  ASSERT_TRUE(loop->RunOnce(milliseconds(5)).ok());
  ASSERT_TRUE(loop->RunOnce(milliseconds(5)).ok());
}

}  // namespace
}  // namespace see::shim
