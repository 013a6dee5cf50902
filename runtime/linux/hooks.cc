#include "runtime/linux/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "base/child_process.h"
#include "base/file_util.h"

namespace see::runtime {

Status RunHook(const oci::Hook& hook, const std::string& state_json, const std::string& kind) {
  std::string name = kind + " hook " + hook.path;
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const char* path = hook.path.c_str();

  // A socket, not a pipe, so that writing to a hook that never reads stdin cannot raise SIGPIPE.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return ErrnoStatus(name);
  UniqueFd ours(sv[0]), theirs(sv[1]);
  shutdown(ours.get(), SHUT_RD);

  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(name + ": fork");
  if (pid == 0) {
    // Async-signal-safe only from here on.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(theirs.get(), 0) < 0) _exit(127);
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(path, argv.data(), envp.data());
    _exit(127);
  }
  ChildProcess child(pid);
  theirs.Reset();
  (void)send(ours.get(), state_json.data(), state_json.size(), MSG_NOSIGNAL);
  ours.Reset();

  int wait_status = 0;
  if (hook.timeout && child.pidfd() >= 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(*hook.timeout);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        // ChildProcess kills and reaps on destruction.
        return Status(Code::kDeadlineExceeded,
                      name + ": timed out after " + std::to_string(*hook.timeout) + "s");
      }
      pollfd p{child.pidfd(), POLLIN, 0};
      int n = poll(&p, 1, static_cast<int>(left));
      if (n < 0 && errno != EINTR) return ErrnoStatus(name + ": poll");
      if (n > 0) break;
    }
  }
  SEE_ASSIGN_OR_RETURN(wait_status, child.Wait());
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return Status::Ok();
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 127) {
    return Internal(name + ": could not be executed (exit status 127)");
  }
  if (WIFSIGNALED(wait_status)) {
    return Internal(name + ": killed by signal " + std::to_string(WTERMSIG(wait_status)));
  }
  return Internal(name + ": exit status " + std::to_string(WEXITSTATUS(wait_status)));
}

Status RunHooks(const std::vector<oci::Hook>& hooks, const std::string& state_json,
                const std::string& kind) {
  for (const auto& h : hooks) SEE_RETURN_IF_ERROR(RunHook(h, state_json, kind));
  return Status::Ok();
}

}  // namespace see::runtime
