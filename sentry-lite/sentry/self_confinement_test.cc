#include "sentry-lite/sentry/self_confinement.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <chrono>
#include <mutex>
#include <condition_variable>
#include <functional>
#include <set>
#include <algorithm>
#include <string>
#include <thread>

#include "base/file_util.h"
#include "sentry-lite/notify/notify_loop.h"
#include "sentry-lite/sentry/pod_init.h"
#include "sentry-lite/sentry/control_protocol.h"
#include "sentry-lite/sentry/fd_passing.h"
#include "sentry-lite/syscalls/bpf_filter.h"
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
  // setns is allowed: a worker thread joins the caller's net/ipc/uts namespaces to open /proc/sys
  // files as the caller sees them (sys_file.cc); joining them grants the sentry nothing it lacks.
  for (const char* forbidden : {"mount", "ptrace", "execve", "bpf", "init_module"}) {
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


// A timed wait stopped and continued (SIGSTOP/SIGCONT, a cgroup freezer, a debugger attaching)
// resumes through restart_syscall. Refused by the allowlist, glibc aborted on the futex error
// ("The futex facility returned an unexpected error code"): a `strace -p` of a serving sentry or a
// freeze of its cgroup killed it, and every served call of its containers then failed with ENOSYS.
TEST(SelfConfinementTest, TimedWaitsSurviveStopAndContinue) {
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    if (!ApplySelfConfinement().ok()) _exit(1);
    std::mutex mu;
    std::condition_variable cv;
    std::unique_lock lock(mu);
    if (write(ready[1], "x", 1) != 1) _exit(2);
    // The futex wait with a timeout (a parked notify worker's wait), then a plain nanosleep.
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
    while (cv.wait_until(lock, end) != std::cv_status::timeout) {
    }
    timespec ts{0, 300 * 1000 * 1000};
    if (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr) != 0) _exit(3);
    _exit(0);
  }
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  for (int i = 0; i < 4; ++i) {  // stops in the futex wait, then in the nanosleep
    usleep(150 * 1000);
    ASSERT_EQ(kill(pid, SIGSTOP), 0);
    usleep(20 * 1000);
    ASSERT_EQ(kill(pid, SIGCONT), 0);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st)) << "killed by signal " << (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

// Every served call still works when the sentry serving it is confined by its own allowlist: a
// syscall a handler needs but the allowlist lacks shows up here as a failed call.
std::string CallerOps() {
  std::string failures;
  auto check = [&](const char* what, long rc) {
    if (rc < 0) failures += std::string(what) + ":" + strerrorname_np(errno) + " ";
  };
  int fd = open("/f", O_RDONLY);
  check("open", fd);
  close(fd);
  check("open-rel", fd = open("f", O_RDONLY));
  close(fd);
  struct stat st;
  check("stat", stat("/f", &st));
  check("access", access("/f", R_OK));
  check("mkdir", mkdir("/w/d", 0755));
  check("symlink", symlink("../f", "/w/s"));
  char buf[64];
  check("readlink", readlink("w/s", buf, sizeof(buf)));
  check("link", link("/f", "/w/l"));
  check("chmod", chmod("/w/l", 0600));
  check("chown", chown("/w/l", 1, 1));
  check("lchown", lchown("/w/s", 1, 1));
  check("utimensat", utimensat(AT_FDCWD, "/w/l", nullptr, 0));
  check("truncate", truncate("/w/l", 1));
  check("setxattr", setxattr("/w/l", "user.a", "v", 1, 0));
  check("getxattr", getxattr("/w/l", "user.a", buf, sizeof(buf)));
  check("listxattr", listxattr("/w/l", buf, sizeof(buf)));
  check("removexattr", removexattr("/w/l", "user.a"));
  struct statfs sfs;
  check("statfs", statfs("/w", &sfs));
  check("mknod", mknod("/w/p", S_IFIFO | 0600, 0));
  int in = inotify_init1(0);
  check("inotify_add_watch", inotify_add_watch(in, "/w", IN_CREATE));
  struct sysinfo si;
  check("sysinfo", sysinfo(&si));
  cpu_set_t set;
  check("sched_getaffinity", sched_getaffinity(0, sizeof(set), &set));
  check("rename", rename("/w/l", "/w/l2"));
  check("unlink", unlink("/w/l2"));
  check("rmdir", rmdir("/w/d"));
  return failures;
}

TEST(SelfConfinementTest, ConfinedSentryServesEveryArea) {
  char tmpl[] = "/tmp/see-confined-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  ASSERT_TRUE(WriteFile(root + "/f", "data", 0644).ok());
  ASSERT_EQ(mkdir((root + "/w").c_str(), 0777), 0);
  auto prog = BuildDefaultSyscallFilter();
  ASSERT_TRUE(prog.ok());
  sock_fprog fprog{static_cast<unsigned short>(prog->size()), prog->data()};
  int sv[2], out[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  pid_t server = fork();
  if (server == 0) {
    pid_t caller = fork();
    if (caller == 0) {
      if (chroot(root.c_str()) != 0 || chdir("/") != 0) _exit(10);
      int listener = InstallSyscallFilterRaw(&fprog);
      if (listener < 0 || SendFd(sv[1], listener) != 0) _exit(11);
      close(listener);
      std::string f = CallerOps();
      (void)!write(out[1], f.data(), f.size());
      _exit(0);
    }
    close(out[1]);
    auto listener = RecvFd(sv[0]);
    if (!listener.ok()) _exit(20);
    auto c = std::make_shared<Container>();
    c->root.Reset(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!ApplySelfConfinement().ok()) _exit(21);
    NotifyLoop loop(DefaultHandlers());
    if (!loop.AddListener(std::move(*listener), c).ok()) _exit(22);
    int st = 0;
    if (waitpid(caller, &st, 0) != caller) _exit(23);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 24);
  }
  close(out[1]);
  close(sv[1]);
  auto text = ReadAll(out[0]);
  close(out[0]);
  close(sv[0]);
  int st = 0;
  ASSERT_EQ(waitpid(server, &st, 0), server);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "");
  (void)!system(("rm -rf " + root).c_str());
}

// The pod init finds its children to kill through either source (pod_init.h).
TEST(PodInitChildrenTest, BothSourcesListTheChildren) {
  pid_t a = fork();
  if (a == 0) {
    pause();
    _exit(0);
  }
  pid_t b = fork();
  if (b == 0) {
    pause();
    _exit(0);
  }
  for (bool file : {true, false}) {
    std::vector<pid_t> kids = ChildrenOf(getpid(), file);
    EXPECT_NE(std::find(kids.begin(), kids.end(), a), kids.end()) << file;
    EXPECT_NE(std::find(kids.begin(), kids.end(), b), kids.end()) << file;
    EXPECT_EQ(std::find(kids.begin(), kids.end(), getpid()), kids.end()) << file;
  }
  kill(a, SIGKILL);
  kill(b, SIGKILL);
  waitpid(a, nullptr, 0);
  waitpid(b, nullptr, 0);
  EXPECT_TRUE(ChildrenOf(getpid(), false).empty());
}

}  // namespace
}  // namespace see::sentry
