// Starting see-sentry for the runtime (runsee's per-container sentry) and the shim (per pod).
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "runtime/linux/container.h"

extern char** environ;

namespace see::runtime {
namespace {

// How long a starting sentry may take to accept registrations (it only binds a socket).
constexpr int kReadyTimeoutMs = 10000;

Result<std::string> FindSentryBinary(const RuntimeOptions& rt) {
  if (!rt.sentry_path.empty()) return rt.sentry_path;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.resize(dir.rfind('/') + 1);
    if (access((dir + "see-sentry").c_str(), X_OK) == 0) return dir + "see-sentry";
  }
  const char* path = getenv("PATH");
  std::string rest = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find(':', start);
    if (end == std::string::npos) end = rest.size();
    std::string candidate = rest.substr(start, end - start) + "/see-sentry";
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return NotFound("see-sentry not found beside this binary or in PATH (needed for --sandbox=sentry)");
}

}  // namespace

const char* SandboxName(Sandbox s) { return s == Sandbox::kSentry ? "sentry" : "none"; }

Result<SentryProcess> StartSentry(const RuntimeOptions& rt, const SentryOptions& o) {
  const std::string& socket_path = o.socket_path;
  const int userns_fd = o.userns_fd, netns_fd = o.netns_fd;
  SEE_ASSIGN_OR_RETURN(std::string binary, FindSentryBinary(rt));
  std::string log_path = socket_path + ".log";
  UniqueFd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  UniqueFd log(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!devnull || !log) return ErrnoStatus("opening sentry stdio");
  int ready[2], control[2] = {-1, -1};
  if (pipe2(ready, O_CLOEXEC) != 0) return ErrnoStatus("pipe");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  if (!o.exit_when_idle &&
      socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) != 0) {
    return ErrnoStatus("socketpair");
  }
  UniqueFd control_ours(control[0]), control_theirs(control[1]);
  // The child gets the ready pipe as fd 3, the control socket as fd 4, the user namespace as fd 5 and
  // the network namespace as fd 6: move the sources above 6 first so that no dup2 in the child has
  // src == dst.
  UniqueFd ready_hi(fcntl(ready_w.get(), F_DUPFD_CLOEXEC, 10));
  UniqueFd control_hi(control_theirs ? fcntl(control_theirs.get(), F_DUPFD_CLOEXEC, 10) : -1);
  UniqueFd userns_hi(userns_fd >= 0 ? fcntl(userns_fd, F_DUPFD_CLOEXEC, 10) : -1);
  UniqueFd netns_hi(userns_fd >= 0 && netns_fd >= 0 ? fcntl(netns_fd, F_DUPFD_CLOEXEC, 10) : -1);
  if (!ready_hi || (control_theirs && !control_hi) || (userns_fd >= 0 && !userns_hi) ||
      (userns_fd >= 0 && netns_fd >= 0 && !netns_hi)) {
    return ErrnoStatus("dup");
  }

  std::vector<std::string> args = {"see-sentry", "serve", "--socket", socket_path,
                                   "--ready-fd", "3"};
  if (o.exit_when_idle) {
    args.push_back("--exit-when-idle");
  } else {
    args.insert(args.end(), {"--control-fd", "4"});
  }
  if (userns_hi) args.insert(args.end(), {"--userns-fd", "5"});
  if (netns_hi) args.insert(args.end(), {"--netns-fd", "6"});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork");
  if (pid == 0) {
    // Async-signal-safe only: the caller may be multi-threaded (the shim).
    setsid();
    if (dup2(devnull.get(), 0) < 0 || dup2(devnull.get(), 1) < 0 || dup2(log.get(), 2) < 0 ||
        dup2(ready_hi.get(), 3) < 0 || (control_hi && dup2(control_hi.get(), 4) < 0) ||
        (userns_hi && dup2(userns_hi.get(), 5) < 0) || (netns_hi && dup2(netns_hi.get(), 6) < 0)) {
      _exit(126);
    }
    if (userns_hi && !control_hi) close(4);
    syscall(SYS_close_range, netns_hi ? 7U : userns_hi ? 6U : control_hi ? 5U : 4U, ~0U, 0U);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(binary.c_str(), argv.data(), environ);
    _exit(127);
  }
  SentryProcess out{ChildProcess(pid), socket_path, std::move(control_ours)};
  ready_w.Reset();
  ready_hi.Reset();
  pollfd p{ready_r.get(), POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, kReadyTimeoutMs);
  } while (rc < 0 && errno == EINTR);
  char byte = 0;
  if (rc != 1 || read(ready_r.get(), &byte, 1) != 1) {
    auto text = ReadFile(log_path);
    std::string why = text.ok() && !text->empty() ? ": " + *text : "";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return Internal("see-sentry did not start (" + binary + ")" + why);
  }
  return out;
}

}  // namespace see::runtime
