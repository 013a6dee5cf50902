#include "sentry-lite/sentry/run_command.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/child_process.h"
#include "base/logging.h"
#include "sentry-lite/notify/notify_loop.h"
#include "sentry-lite/sentry/control_protocol.h"
#include "sentry-lite/sentry/fd_passing.h"
#include "sentry-lite/sentry/self_confinement.h"
#include "sentry-lite/syscalls/bpf_filter.h"

namespace see::sentry {
namespace {

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};

}  // namespace

Result<int> RunCommand(const RunCommandOptions& o) {
  if (o.argv.empty()) return InvalidArgument("no container command");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return ErrnoStatus("PR_SET_CHILD_SUBREAPER");
  sigset_t mask, old;
  sigemptyset(&mask);
  for (int s : kForwarded) sigaddset(&mask, s);
  sigaddset(&mask, SIGCHLD);
  if (pthread_sigmask(SIG_BLOCK, &mask, &old) != 0) return Internal("sigmask");
  UniqueFd sigfd(signalfd(-1, &mask, SFD_CLOEXEC));
  if (!sigfd.valid()) return ErrnoStatus("signalfd");

  auto container = std::make_shared<Container>();
  container->root.Reset(open(o.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!container->root.valid()) return ErrnoStatus("open container root " + o.root);

  SEE_ASSIGN_OR_RETURN(std::vector<sock_filter> prog, BuildDefaultSyscallFilter());
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  std::vector<char*> argv;
  for (const std::string& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return ErrnoStatus("socketpair");
  UniqueFd ours(sv[0]), theirs(sv[1]);

  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork");
  if (pid == 0) {
    // Async-signal-safe from here to execvp.
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    // WAIT_KILLABLE_RECV: a served call, once received, is not interrupted by non-fatal signals
    // (stat never fails with EINTR); blocking opens are ended by the sentry (sys_file.cc).
    int listener = InstallSyscallFilterRaw(&fprog, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
    if (listener < 0 || SendFd(theirs.get(), listener) != 0) _exit(126);
    close(listener);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  ChildProcess init(pid);
  theirs.Reset();
  SEE_ASSIGN_OR_RETURN(UniqueFd listener, RecvFd(ours.get()));
  NotifyLoop loop(DefaultHandlers());
  SEE_RETURN_IF_ERROR(loop.AddListener(std::move(listener), container));
  if (o.confine_self) SEE_RETURN_IF_ERROR(ApplySelfConfinement());
  if (o.control_fd >= 0) {
    ReadyMessage ready{pid};
    SEE_RETURN_IF_ERROR(WriteControlMessage(o.control_fd, ControlType::kReady, &ready, sizeof(ready)));
  }

  for (;;) {
    signalfd_siginfo si;
    ssize_t n = read(sigfd.get(), &si, sizeof(si));
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof(si)) return ErrnoStatus("read signalfd");
    if (si.ssi_signo != SIGCHLD) {
      (void)init.Signal(static_cast<int>(si.ssi_signo));
      continue;
    }
    int status = 0;
    pid_t reaped;
    // Reap everything: orphans re-parented to us are ours to collect.
    while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
      if (reaped != pid) continue;
      (void)init.Release();
      if (o.control_fd >= 0) {
        ExitMessage exit{pid, status};
        Status s = WriteControlMessage(o.control_fd, ControlType::kExit, &exit, sizeof(exit));
        if (!s.ok()) spdlog::warn("reporting exit: {}", s.ToString());
      }
      return ExitCodeFromWaitStatus(status);
    }
  }
}

}  // namespace see::sentry
