// sentry-lite microbenchmarks (Google Benchmark; a tool, not a test):
//   getppid natively and under the container filter (host class: the filter's cost only),
//   openat+close natively and served (one round trip through the NotifyLoop: notification, caller
//   identity, resolution in the container view, ADDFD+SEND), path resolution alone.
// Targets: host-class syscalls <= 1.10x native; a served open+close <= 4x native.
//
// The filtered benchmarks install the filter on the benchmark thread itself (no TSYNC), so they are
// registered last; the NotifyLoop serving them runs in a child process forked before that.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "sentry-lite/notify/notify_loop.h"
#include "sentry-lite/sentry/fd_passing.h"
#include "sentry-lite/syscalls/bpf_filter.h"

namespace see::sentry {
namespace {

const std::string& BenchFile() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/see-bench-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0 || write(fd, "x", 1) != 1) abort();
    close(fd);
    return std::string(tmpl);
  }();
  return path;
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
      NotifyLoop loop(DefaultHandlers());
      auto c = std::make_shared<Container>();
      c->root.Reset(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!loop.AddListener(std::move(*listener), c).ok()) _exit(2);
      while (loop.active_listeners() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      _exit(0);
    }
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

void BM_GetppidFiltered(benchmark::State& state) {
  EnsureFiltered();
  for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getppid));
}

void BM_OpenCloseServed(benchmark::State& state) {
  EnsureFiltered();
  const char* path = BenchFile().c_str();
  for (auto _ : state) {
    int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) state.SkipWithError("served open");
    close(fd);
  }
}

// Registration order is run order: everything native first, the filter goes on last.
BENCHMARK(BM_GetppidNative);
BENCHMARK(BM_OpenCloseNative);
BENCHMARK(BM_ResolveOnly);
BENCHMARK(BM_GetppidFiltered);
BENCHMARK(BM_OpenCloseServed);

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
