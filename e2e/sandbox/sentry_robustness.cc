// Load for the sentry's robustness checks (sandbox_suite.py robust). Runs inside the sandbox and
// talks to the driver over stdio: it prints a marker line and waits for a line on stdin, so the
// driver can count the sentry's fds and threads at fixed points.
//
//   sentry_robustness storm DIR     baseline -> (wait) -> killed callers, 1000 threads, exits
//                                    with calls in flight -> done -> (wait) -> exit 0
//   sentry_robustness check DIR SECONDS
//                                    served calls with known answers for SECONDS; exit 0 if every
//                                    answer was right (the "other container" during the storm)
//
// Static, like syscall_conformance_test, so it runs in any rootfs.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string g_dir;

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// One round of served calls with known answers; false if any answer is wrong.
bool ServedCalls(const std::string& own) {
  struct stat st;
  int fd = open(own.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  close(fd);
  if (stat(own.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (stat((g_dir + "/does-not-exist").c_str(), &st) == 0 || errno != ENOENT) return false;
  if (access(own.c_str(), R_OK | W_OK) != 0) return false;
  return unlink(own.c_str()) == 0;
}

void Hammer(const std::string& own, std::atomic<bool>* stop, std::atomic<long>* calls,
            std::atomic<long>* wrong) {
  while (!stop->load(std::memory_order_relaxed)) {
    if (!ServedCalls(own)) wrong->fetch_add(1);
    calls->fetch_add(1, std::memory_order_relaxed);
  }
}

void Marker(const char* m) {
  printf("%s\n", m);
  fflush(stdout);
  char buf[64];
  if (fgets(buf, sizeof(buf), stdin) == nullptr) exit(3);
}

// Children hammering served calls (and some blocked in a FIFO open) SIGKILLed mid-call.
int KilledCallers(int rounds) {
  std::string fifo = g_dir + "/kill.fifo";
  unlink(fifo.c_str());
  if (mkfifo(fifo.c_str(), 0600) != 0) return perror("mkfifo"), 1;
  for (int r = 0; r < rounds; ++r) {
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) {
      std::atomic<bool> stop{false};
      std::atomic<long> calls{0}, wrong{0};
      std::vector<std::thread> ts;
      for (int i = 0; i < 8; ++i) {
        ts.emplace_back(Hammer, g_dir + "/k" + std::to_string(getpid()) + "-" + std::to_string(i),
                        &stop, &calls, &wrong);
      }
      // Blocks in the served open until killed: no writer ever comes.
      ts.emplace_back([&] { open(fifo.c_str(), O_RDONLY); });
      for (auto& t : ts) t.join();
      _exit(0);
    }
    usleep(20000 + (r % 5) * 5000);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  // Files the killed children left behind are theirs, not a sentry problem.
  return 0;
}

// 1000 threads, each doing served calls for a while.
int ThousandThreads(double seconds, long* total) {
  std::atomic<bool> stop{false};
  std::atomic<long> calls{0}, wrong{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 1000; ++i) {
    ts.emplace_back(Hammer, g_dir + "/t" + std::to_string(i), &stop, &calls, &wrong);
  }
  usleep(static_cast<useconds_t>(seconds * 1e6));
  stop = true;
  for (auto& t : ts) t.join();
  *total = calls.load();
  if (wrong.load() != 0) fprintf(stderr, "1000 threads: %ld wrong answers\n", wrong.load());
  return wrong.load() == 0 ? 0 : 1;
}

// Processes that exit (exit_group) while their threads are inside served calls.
int ExitsInFlight(int rounds) {
  for (int r = 0; r < rounds; ++r) {
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) {
      static std::atomic<bool> stop{false};
      static std::atomic<long> calls{0}, wrong{0};
      for (int i = 0; i < 32; ++i) {
        std::thread(Hammer, g_dir + "/x" + std::to_string(getpid()) + "-" + std::to_string(i), &stop,
                    &calls, &wrong)
            .detach();
      }
      usleep(10000);
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "exit-in-flight child: status %d\n", status);
      return 1;
    }
  }
  return 0;
}

int Storm() {
  for (int i = 0; i < 100; ++i) {
    if (!ServedCalls(g_dir + "/warm")) return fprintf(stderr, "warm-up answers wrong\n"), 1;
  }
  Marker("baseline");
  double t0 = Now();
  if (KilledCallers(100) != 0) return 1;
  double t1 = Now();
  long calls = 0;
  if (ThousandThreads(3.0, &calls) != 0) return 1;
  double t2 = Now();
  if (ExitsInFlight(50) != 0) return 1;
  double t3 = Now();
  for (int i = 0; i < 100; ++i) {
    if (!ServedCalls(g_dir + "/after")) return fprintf(stderr, "answers wrong after the storm\n"), 1;
  }
  fprintf(stderr, "killed callers 100 rounds %.1fs; 1000 threads %ld call rounds in %.1fs; "
          "exits in flight 50 rounds %.1fs\n", t1 - t0, calls, t2 - t1, t3 - t2);
  Marker("done");
  return 0;
}

int Check(double seconds) {
  double end = Now() + seconds;
  long n = 0;
  while (Now() < end) {
    if (!ServedCalls(g_dir + "/check")) return fprintf(stderr, "wrong answer after %ld rounds\n", n), 1;
    ++n;
  }
  printf("check: %ld rounds ok\n", n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s storm DIR | check DIR SECONDS\n", argv[0]);
    return 2;
  }
  g_dir = argv[2];
  std::string mode = argv[1];
  if (mode == "storm") return Storm();
  if (mode == "check" && argc >= 4) return Check(atof(argv[3]));
  return 2;
}
