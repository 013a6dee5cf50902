#include "runtime/linux/signals.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

namespace see::runtime {
namespace {

constexpr std::pair<const char*, int> kSignals[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},   {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},   {"HUP", SIGHUP},
    {"ILL", SIGILL},   {"INT", SIGINT},   {"IO", SIGIO},     {"IOT", SIGIOT},
    {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL}, {"PROF", SIGPROF},
    {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV}, {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM}, {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

}  // namespace

Result<int> ParseSignal(const std::string& s) {
  if (s.empty()) return InvalidArgument("empty signal");
  int num = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), num);
  if (ec == std::errc() && ptr == s.data() + s.size()) {
    if (num < 1 || num > SIGRTMAX) return InvalidArgument("invalid signal: " + s);
    return num;
  }
  std::string up = s;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  if (up.rfind("SIG", 0) == 0) up = up.substr(3);
  for (const auto& [name, value] : kSignals) {
    if (up == name) return value;
  }
  // RTMIN+n / RTMAX-n as runc's unix.SignalNum does not know them; accept them anyway.
  if (up.rfind("RTMIN+", 0) == 0 || up.rfind("RTMAX-", 0) == 0) {
    int off = 0;
    auto [p, e] = std::from_chars(up.data() + 6, up.data() + up.size(), off);
    if (e == std::errc() && p == up.data() + up.size()) {
      int sig = up[5] == '+' ? SIGRTMIN + off : SIGRTMAX - off;
      if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
    }
  }
  return InvalidArgument("unknown signal \"" + s + "\"");
}

}  // namespace see::runtime
