#include "sentry-lite/sentry/self_confinement.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "sentry-lite/sentry/control_protocol.h"
#include "sentry-lite/syscalls/syscall_table.h"

namespace see::sentry {
namespace {

TEST(SelfConfinementTest, AllowlistIsDataWithReasons) {
  std::set<int> seen;
  for (const SelfRule& r : SentryAllowlist()) {
    EXPECT_TRUE(seen.insert(r.nr).second) << r.nr;
    EXPECT_NE(std::string(r.reason), "");
    EXPECT_NE(FindSyscall(r.nr), nullptr);
  }
  for (const char* forbidden : {"mount", "ptrace", "execve", "setns", "bpf", "init_module"}) {
    EXPECT_EQ(seen.count(SyscallNumber(forbidden)), 0u) << forbidden;
  }
}

// The sanitizer runtimes' extra rules are in the applied list only in sanitizer builds.
TEST(SelfConfinementTest, SanitizerRulesOnlyInSanitizerBuilds) {
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool kExpected = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  constexpr bool kExpected = true;
#else
  constexpr bool kExpected = false;
#endif
#else
  constexpr bool kExpected = false;
#endif
  std::set<int> applied;
  for (const SelfRule& r : SentryAllowlist()) applied.insert(r.nr);
  for (const SelfRule& r : SanitizerOnlyAllowlist()) {
    EXPECT_EQ(applied.count(r.nr), kExpected ? 1u : 0u) << r.reason;
  }
}

TEST(SelfConfinementTest, AppliedInAChild) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!ApplySelfConfinement().ok()) _exit(1);
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) _exit(2);
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) _exit(3);
    if (mount("none", "/tmp", "tmpfs", 0, nullptr) != -1 || errno != EPERM) _exit(4);
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != -1 || errno != EPERM) _exit(5);
    bool ran = false;
    std::thread t([&] { ran = true; });  // worker threads still start
    t.join();
    if (!ran) _exit(6);
    if (execl("/bin/true", "true", nullptr) != -1 || errno != EPERM) _exit(7);
    _exit(0);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0);
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
