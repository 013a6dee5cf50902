// sentry-lite microbenchmarks (Google Benchmark; a tool, not a test):
//   getppid natively and under the container filter (host class: the filter's cost only),
//   openat+close natively and served (one round trip through the NotifyLoop: notification, caller
//   identity, resolution in the container view, ADDFD+SEND), path resolution alone.
// Targets: host-class syscalls <= 1.10x native; a served open+close <= 4x native.
// Also: an allow-all filter (the kernel's fixed cost of seccomp, the floor for any filter) and a
// 4 KiB pread (a host-class call doing real work); the served open reports the sentry's CPU per
// call (sentry_cpu_ns) so the work can be compared apart from scheduling delays on a busy host.
//
// SEE_BENCH_CONFINE=1 applies the sentry's own self-confinement (seccomp allowlist) to the serving
// process, as in production. The serving process enters the devices jail as in production
// (sentry/devices_jail.h: served opens are made directly); SEE_BENCH_DEVICES_JAIL=0 keeps it out
// (served opens walk every path first).
//
// The filtered benchmarks install the filter on the benchmark thread itself (no TSYNC), so they are
// registered last; the NotifyLoop serving them runs in a child process forked before that.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/file_util.h"
#include "sentry-lite/notify/notify_loop.h"
#include "sentry-lite/sentry/fd_passing.h"
#include "sentry-lite/sentry/devices_jail.h"
#include "sentry-lite/sentry/self_confinement.h"
#include "sentry-lite/syscalls/bpf_filter.h"

namespace see::sentry {
namespace {

const std::string& BenchFile() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/see-bench-XXXXXX";
    int fd = mkstemp(tmpl);
    std::string page(4096, 'x');
    if (fd < 0 || write(fd, page.data(), page.size()) != 4096) abort();
    close(fd);
    return std::string(tmpl);
  }();
  return path;
}

pid_t server_pid = 0;

// The serving process's /proc/<pid>/stat, opened before the filter: opened under it, the open
// would be served, and the sentry refuses its own /proc entries to a caller.
int server_stat_fd = -1;

// CPU time (utime + stime) of the serving process, in nanoseconds.
double ServerCpuNs() {
  char buf[1024];
  ssize_t n = pread(server_stat_fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return 0;
  std::string text(buf, static_cast<size_t>(n));
  size_t close_paren = text.rfind(')');
  std::istringstream in(text.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) * 1e9 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// An allow-everything filter on the benchmark thread: the kernel's fixed cost of having seccomp
// at all (the syscall takes the slow entry path), which no filter can go below.
void EnsureAllowAllFilter() {
  static bool done = [] {
    sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    sock_fprog fprog{1, allow};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
      abort();
    }
    return true;
  }();
  (void)done;
}

// Forks the serving process, then puts the calling thread under the container filter.
void EnsureFiltered() {
  static bool done = [] {
    const std::string& file = BenchFile();
    (void)file;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) abort();
    pid_t pid = fork();
    if (pid == 0) {
      close(sv[1]);
      auto listener = RecvFd(sv[0]);
      if (!listener.ok()) _exit(1);
      const char* confine = getenv("SEE_BENCH_CONFINE");
      const char* jail = getenv("SEE_BENCH_DEVICES_JAIL");
      if (jail == nullptr || std::string(jail) != "0") {
        auto where = FindDevicesJail();
        if (!where.ok() || !EnterDevicesJail(*where).ok()) _exit(4);
      }
      if (confine != nullptr && std::string(confine) == "1" && !ApplySelfConfinement().ok()) _exit(3);
      NotifyLoop loop(DefaultHandlers());
      auto c = std::make_shared<Container>();
      c->root.Reset(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!loop.AddListener(std::move(*listener), c).ok()) _exit(2);
      while (loop.active_listeners() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      _exit(0);
    }
    server_pid = pid;
    server_stat_fd = open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
    close(sv[0]);
    auto prog = BuildDefaultSyscallFilter();
    if (!prog.ok()) abort();
    sock_fprog fprog{static_cast<unsigned short>(prog->size()), prog->data()};
    int listener = InstallSyscallFilterRaw(&fprog);
    if (listener < 0 || SendFd(sv[1], listener) != 0) abort();
    close(listener);
    close(sv[1]);
    return true;
  }();
  (void)done;
}

void BM_GetppidNative(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getppid));
}

void BM_Pread4kNative(benchmark::State& state) {
  int fd = open(BenchFile().c_str(), O_RDONLY | O_CLOEXEC);
  char buf[4096];
  for (auto _ : state) benchmark::DoNotOptimize(pread(fd, buf, sizeof(buf), 0));
  close(fd);
}

void BM_OpenCloseNative(benchmark::State& state) {
  const char* path = BenchFile().c_str();
  for (auto _ : state) {
    int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) state.SkipWithError("open");
    close(fd);
  }
}

// PathResolver::Open alone (openat2 RESOLVE_IN_ROOT from the root fd), as the sentry runs it.
void BM_ResolveOnly(benchmark::State& state) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  PathResolver r(root.get());
  const std::string& path = BenchFile();
  open_how how{.flags = O_RDONLY};
  for (auto _ : state) {
    auto fd = r.Open(root.get(), path, how);
    if (!fd.ok()) state.SkipWithError("resolve");
  }
}

void BM_GetppidAllowAllFilter(benchmark::State& state) {
  EnsureAllowAllFilter();
  for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getppid));
}

void BM_Pread4kAllowAllFilter(benchmark::State& state) {
  EnsureAllowAllFilter();
  BM_Pread4kNative(state);
}

void BM_Pread4kFiltered(benchmark::State& state) {
  EnsureFiltered();
  int fd = open(BenchFile().c_str(), O_RDONLY | O_CLOEXEC);  // served once, outside the loop
  char buf[4096];
  for (auto _ : state) benchmark::DoNotOptimize(pread(fd, buf, sizeof(buf), 0));
  close(fd);
}

void BM_GetppidFiltered(benchmark::State& state) {
  EnsureFiltered();
  for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getppid));
}

void BM_OpenCloseServed(benchmark::State& state) {
  EnsureFiltered();
  const char* path = BenchFile().c_str();
  double server_before = ServerCpuNs();
  for (auto _ : state) {
    int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) state.SkipWithError("served open");
    close(fd);
  }
  // The sentry's share of the work (clock-tick resolution: meaningful over the whole run).
  state.counters["sentry_cpu_ns"] = benchmark::Counter(
      (ServerCpuNs() - server_before) / static_cast<double>(state.iterations()));
}

// A served stat (no fd to install: notification, identity, resolution, copy-out).
void BM_StatServed(benchmark::State& state) {
  EnsureFiltered();
  const char* path = BenchFile().c_str();
  double server_before = ServerCpuNs();
  struct stat st;
  for (auto _ : state) {
    if (stat(path, &st) != 0) state.SkipWithError("served stat");
  }
  state.counters["sentry_cpu_ns"] = benchmark::Counter(
      (ServerCpuNs() - server_before) / static_cast<double>(state.iterations()));
}

// The round trip alone: a sentry-class call whose handler does no work (setresuid(-1, -1, -1):
// the thread's cached identity dropped, then continued). The floor of any served call here.
void BM_RoundTripServed(benchmark::State& state) {
  EnsureFiltered();
  double server_before = ServerCpuNs();
  for (auto _ : state) {
    if (syscall(SYS_setresuid, -1, -1, -1) != 0) state.SkipWithError("served setresuid");
  }
  state.counters["sentry_cpu_ns"] = benchmark::Counter(
      (ServerCpuNs() - server_before) / static_cast<double>(state.iterations()));
}

// A served stat after a burst of concurrent calls from 4 threads: the burst leaves the listener
// with more worker threads than idle ones wanted, and what those surplus workers wait on decides
// whether they are woken by (and cost) every later notification.
void BM_StatServedAfterBurst(benchmark::State& state) {
  EnsureFiltered();
  const char* path = BenchFile().c_str();
  std::vector<std::thread> burst;
  for (int t = 0; t < 4; ++t) {
    burst.emplace_back([path] {
      for (int i = 0; i < 200; ++i) close(open(path, O_RDONLY | O_CLOEXEC));
    });
  }
  for (auto& t : burst) t.join();
  BM_StatServed(state);
}

void BM_StatNative(benchmark::State& state) {
  const char* path = BenchFile().c_str();
  struct stat st;
  for (auto _ : state) {
    if (stat(path, &st) != 0) state.SkipWithError("stat");
  }
}

// Registration order is run order: everything native first, then the allow-all baseline filter,
// then the container filter (stacked on it: the kernel's per-syscall allow bitmap covers both).
BENCHMARK(BM_GetppidNative);
BENCHMARK(BM_Pread4kNative);
BENCHMARK(BM_OpenCloseNative);
BENCHMARK(BM_StatNative);
BENCHMARK(BM_ResolveOnly);
BENCHMARK(BM_GetppidAllowAllFilter);
BENCHMARK(BM_Pread4kAllowAllFilter);
BENCHMARK(BM_GetppidFiltered);
BENCHMARK(BM_Pread4kFiltered);
BENCHMARK(BM_OpenCloseServed);
BENCHMARK(BM_StatServed);
BENCHMARK(BM_RoundTripServed);
BENCHMARK(BM_StatServedAfterBurst);

}  // namespace
}  // namespace see::sentry

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // The temp file: unlink is served now, which the child still does.
  unlink(see::sentry::BenchFile().c_str());
  return 0;
}
