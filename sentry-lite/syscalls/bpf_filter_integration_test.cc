// Runs a forked child under the real container filter and checks what the kernel does with it.
#include <sys/ioctl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>

#include "base/child_process.h"
#include "base/file_util.h"
#include "sentry-lite/syscalls/bpf_filter.h"

namespace see::sentry {
namespace {

// Forks; the child installs the filter (closing the listener: sentry rows then fail with ENOSYS),
// runs `body` and reports its failures as text over a pipe. Returns the failure text ("" = pass).
std::string RunUnderFilter(const std::function<std::string()>& body) {
  auto prog = BuildDefaultSyscallFilter();
  if (!prog.ok()) return prog.status().ToString();
  sock_fprog fprog{static_cast<unsigned short>(prog->size()), prog->data()};
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return "pipe";
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    int listener = InstallSyscallFilterRaw(&fprog);
    std::string failures =
        listener < 0 ? "install: " + std::string(strerror(-listener)) : body();
    if (listener >= 0) close(listener);
    (void)!write(p[1], failures.data(), failures.size());
    _exit(0);
  }
  ChildProcess child(pid);
  close(p[1]);
  auto text = ReadAll(p[0]);
  close(p[0]);
  auto status = child.Wait();
  if (!status.ok() || !WIFEXITED(*status)) return "child died: status " + std::to_string(status.ok() ? *status : -1);
  return text.ok() ? *text : "read failed";
}

std::string Expect(bool ok, const char* what) { return ok ? "" : std::string(what) + "; "; }
std::string ExpectErrno(long rc, int err, const char* what) {
  if (rc == -1 && errno == err) return "";
  return std::string(what) + ": rc=" + std::to_string(rc) + " errno=" + strerrorname_np(errno) + "; ";
}

TEST(FilterIntegrationTest, HostSyscallsRunNatively) {
  std::string f = RunUnderFilter([] {
    std::string out;
    out += Expect(getppid() > 0, "getppid");
    int p[2];
    out += Expect(pipe2(p, 0) == 0 && write(p[1], "x", 1) == 1, "pipe write");
    char c = 0;
    out += Expect(read(p[0], &c, 1) == 1 && c == 'x', "pipe read");
    out += Expect(fcntl(p[0], F_GETFL) >= 0, "fcntl F_GETFL");
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    out += Expect(s >= 0, "socket AF_UNIX");
    return out;
  });
  EXPECT_EQ(f, "");
}

TEST(FilterIntegrationTest, DeniedSyscallsGetErrno) {
  std::string f = RunUnderFilter([] {
    std::string out;
    out += ExpectErrno(mount("none", "/tmp", "tmpfs", 0, nullptr), EPERM, "mount");
    out += ExpectErrno(unshare(CLONE_NEWUSER), EPERM, "unshare(CLONE_NEWUSER)");
    out += ExpectErrno(socket(AF_PACKET, SOCK_RAW, 0), EPERM, "socket(AF_PACKET)");
    out += ExpectErrno(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM, "socket(AF_INET, SOCK_RAW)");
    char c = 'x';
    out += ExpectErrno(ioctl(0, TIOCSTI, &c), EPERM, "ioctl(TIOCSTI)");
    out += ExpectErrno(syscall(SYS_ioctl, 0, TIOCSTI | (1ul << 32), &c), EPERM,
                       "ioctl(TIOCSTI|1<<32)");
    out += ExpectErrno(syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0), EPERM,
                       "clone(CLONE_NEWNS)");
    out += ExpectErrno(syscall(SYS_clone3, nullptr, 0), ENOSYS, "clone3");
    out += ExpectErrno(syscall(0x40000000 | SYS_getpid), ENOSYS, "x32 getpid");
    out += ExpectErrno(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                               SECCOMP_FILTER_FLAG_NEW_LISTENER, nullptr),
                       EPERM, "nested seccomp listener");
    return out;
  });
  EXPECT_EQ(f, "");
}

long Int80(long nr) {
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory", "rcx", "r11", "r8", "r9", "r10");
  return ret;
}

TEST(FilterIntegrationTest, I386SyscallRefused) {
  // Without IA32 emulation int $0x80 faults; then there is nothing to refuse.
  pid_t probe = fork();
  if (probe == 0) _exit(Int80(20 /* i386 getpid */) == getpid() ? 0 : 1);
  int st = 0;
  ASSERT_EQ(waitpid(probe, &st, 0), probe);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) GTEST_SKIP() << "no IA32 emulation on this kernel";
  std::string f = RunUnderFilter([] {
    long rc = Int80(20);
    return rc == -ENOSYS ? std::string() : "int $0x80 getpid returned " + std::to_string(rc);
  });
  EXPECT_EQ(f, "");
}

}  // namespace
}  // namespace see::sentry
