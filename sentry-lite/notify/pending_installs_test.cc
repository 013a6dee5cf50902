#include "sentry-lite/notify/pending_installs.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace see::sentry {
namespace {

using std::chrono::milliseconds;

TEST(PendingInstallsTest, AnExecWaitsForItsContainersEarlierInstallsOnly) {
  PendingInstalls p;
  int a = 0, b = 0;
  EXPECT_TRUE(p.WaitForEarlier(&a, milliseconds(0)));  // nothing pending
  uint64_t ta = p.Begin(&a);
  uint64_t tb = p.Begin(&b);
  EXPECT_FALSE(p.WaitForEarlier(&a, milliseconds(20))) << "an earlier install of its container";
  p.End(tb);
  EXPECT_FALSE(p.WaitForEarlier(&a, milliseconds(20)));
  p.End(ta);
  EXPECT_TRUE(p.WaitForEarlier(&a, milliseconds(0)));
  uint64_t tb2 = p.Begin(&b);
  EXPECT_TRUE(p.WaitForEarlier(&a, milliseconds(0))) << "another container's install held it";
  p.End(tb2);
}

TEST(PendingInstallsTest, EndsAWaitAsSoonAsTheInstallEnds) {
  PendingInstalls p;
  int a = 0;
  uint64_t t = p.Begin(&a);
  std::thread ender([&] {
    std::this_thread::sleep_for(milliseconds(30));
    p.End(t);
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(p.WaitForEarlier(&a, milliseconds(5000)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(4000));
  ender.join();
}

TEST(PendingInstallsTest, InstallsBegunAfterTheExecDoNotHoldIt) {
  PendingInstalls p;
  int a = 0;
  uint64_t early = p.Begin(&a);
  std::thread later([&] {
    std::this_thread::sleep_for(milliseconds(10));
    p.Begin(&a);  // never ended: it began after the wait below
    std::this_thread::sleep_for(milliseconds(10));
    p.End(early);
  });
  EXPECT_TRUE(p.WaitForEarlier(&a, milliseconds(5000)));
  later.join();
}

}  // namespace
}  // namespace see::sentry
