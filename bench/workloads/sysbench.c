// sysbench: per-call cost of common syscalls, the same static binary natively and in each runtime's
// container (scripts/bench.sh bind-mounts it at /bench). Prints one line per repetition:
//   <op> <ns per call>
// Each op is calibrated first (iterations doubled until a batch takes a tenth of the target), then
// timed REPS times with CLOCK_MONOTONIC around a batch, so the clock's own cost (which a sandbox
// may change) is paid once per batch, not per call.
//
//   sysbench [-t TARGET_MS] [-r REPS] [-d DIR] [OP...]      (default: every op, 100 ms, 5 reps)
//   sysbench -S [-d DIR]    serve: one batch per stdin line `<op> <target ms>` (see Serve)
// DIR holds the file used by pread/open/stat (default /tmp). An op that fails prints
//   <op> error <errno text>
// and the others still run.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char g_file[4096];
static const char* g_self;

static uint64_t NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// An op runs `n` calls and returns 0, or an errno.
typedef int (*OpFn)(long n);

static int OpGetppid(long n) {
  for (long i = 0; i < n; ++i) syscall(SYS_getppid);
  return 0;
}

static int OpPread(long n) {
  int fd = open(g_file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[4096];
  int err = 0;
  for (long i = 0; i < n && !err; ++i) {
    if (pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) err = errno ? errno : EIO;
  }
  close(fd);
  return err;
}

static int OpOpenClose(long n) {
  for (long i = 0; i < n; ++i) {
    int fd = open(g_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    close(fd);
  }
  return 0;
}

static int OpStat(long n) {
  struct stat st;
  for (long i = 0; i < n; ++i) {
    if (stat(g_file, &st) != 0) return errno;
  }
  return 0;
}

static int OpMmap(long n) {
  for (long i = 0; i < n; ++i) {
    char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return errno;
    p[0] = 1;  // one page fault, as a real allocation would take
    munmap(p, 4096);
  }
  return 0;
}

// The ping-pong ops run both sides on the CPU the caller is on: what they measure is the wake-up
// and switch path of the runtime, not where the scheduler happens to place the partner (across
// vCPUs a wake-up is an inter-processor interrupt through the hypervisor, several times dearer and
// varying with the other jobs on the host). The caller's own mask is restored afterwards; if the
// runtime refuses the call, the op runs unpinned.
static int PinHere(cpu_set_t* saved) {
  if (sched_getaffinity(0, sizeof(*saved), saved) != 0) return 0;
  int cpu = sched_getcpu();
  if (cpu < 0) return 0;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return sched_setaffinity(0, sizeof(one), &one) == 0;
}
static void Unpin(int pinned, const cpu_set_t* saved) {
  if (pinned) sched_setaffinity(0, sizeof(*saved), saved);
}

// One round trip: parent writes a byte, the child echoes it back on a second pipe.
static int PipeRounds(long n);
static int OpPipe(long n) {
  cpu_set_t saved;
  int pinned = PinHere(&saved);
  int err = PipeRounds(n);
  Unpin(pinned, &saved);
  return err;
}

static int PipeRounds(long n) {
  int a[2], b[2];
  if (pipe2(a, O_CLOEXEC) != 0 || pipe2(b, O_CLOEXEC) != 0) return errno;
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    close(a[1]);  // or the read below never sees EOF
    close(b[0]);
    char c;
    while (read(a[0], &c, 1) == 1) {
      if (write(b[1], &c, 1) != 1) break;
    }
    _exit(0);
  }
  close(a[0]);
  close(b[1]);
  int err = 0;
  char c = 'x';
  for (long i = 0; i < n && !err; ++i) {
    if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) err = errno ? errno : EPIPE;
  }
  close(a[1]);
  close(b[0]);
  waitpid(pid, NULL, 0);
  return err;
}

// Futex ping-pong between two threads: each op is one wake and one wait on each side.
static atomic_int g_turn;
static long g_futex_n;

static void FutexWait(atomic_int* addr, int val) {
  while (atomic_load(addr) == val) syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}
static void FutexWake(atomic_int* addr) { syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

static void* FutexPartner(void* arg) {
  (void)arg;
  for (long i = 0; i < g_futex_n; ++i) {
    FutexWait(&g_turn, 0);
    atomic_store(&g_turn, 0);
    FutexWake(&g_turn);
  }
  return NULL;
}

static int OpFutex(long n) {
  g_futex_n = n;
  atomic_store(&g_turn, 0);
  cpu_set_t saved;
  int pinned = PinHere(&saved);  // the partner thread inherits the mask
  pthread_t t;
  if (pthread_create(&t, NULL, FutexPartner, NULL) != 0) {
    Unpin(pinned, &saved);
    return EAGAIN;
  }
  for (long i = 0; i < n; ++i) {
    atomic_store(&g_turn, 1);
    FutexWake(&g_turn);
    FutexWait(&g_turn, 1);
  }
  pthread_join(t, NULL);
  Unpin(pinned, &saved);
  return 0;
}

static int OpForkExec(long n) {
  for (long i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) return errno;
    if (pid == 0) {
      execl(g_self, g_self, "--exit", (char*)NULL);
      _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) return errno;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return ENOEXEC;
  }
  return 0;
}

// TCP connect to a listener on 127.0.0.1 (accepted and closed by a thread); the client closes
// with SO_LINGER 0 (RST) so no TIME_WAIT pile-up limits the rate.
static int g_listen_fd = -1;
static void* Acceptor(void* arg) {
  (void)arg;
  for (;;) {
    int c = accept4(g_listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return NULL;
    }
    close(c);
  }
}

static int OpConnect(long n) {
  static struct sockaddr_in addr;
  if (g_listen_fd < 0) {
    g_listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (g_listen_fd < 0) return errno;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (bind(g_listen_fd, (struct sockaddr*)&addr, sizeof(addr)) != 0 ||
        listen(g_listen_fd, 1024) != 0 ||
        getsockname(g_listen_fd, (struct sockaddr*)&addr, &len) != 0) {
      int e = errno;
      close(g_listen_fd);
      g_listen_fd = -1;
      return e;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, Acceptor, NULL) != 0) return EAGAIN;
    pthread_detach(t);
  }
  struct linger lg = {1, 0};
  for (long i = 0; i < n; ++i) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return errno;
    if (connect(s, (struct sockaddr*)&addr, sizeof(addr)) != 0) {
      int e = errno;
      close(s);
      return e;
    }
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(s);
  }
  return 0;
}

struct Op {
  const char* name;
  OpFn fn;
};
static const struct Op kOps[] = {
    {"getppid", OpGetppid},   {"pread4k", OpPread}, {"pipe_pingpong", OpPipe},
    {"futex_pingpong", OpFutex}, {"open_close", OpOpenClose}, {"stat", OpStat},
    {"mmap_munmap", OpMmap},  {"fork_exec_wait", OpForkExec}, {"connect_loopback", OpConnect},
};

static uint64_t CpuNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// Calibrate: iterations doubled until a batch takes a tenth of the target, then scaled to the
// target. Returns the batch size, or 0 after printing the op's error.
static long Calibrate(const struct Op* op, uint64_t target_ns) {
  long n = 1;
  for (;;) {
    uint64_t t0 = NowNs();
    int err = op->fn(n);
    uint64_t dt = NowNs() - t0;
    if (err) {
      printf("%s error %s\n", op->name, strerror(err));
      fflush(stdout);
      return 0;
    }
    if (dt >= target_ns / 10 || n >= (1L << 30)) {
      n = (long)((double)n * (double)target_ns / (double)(dt ? dt : 1));
      return n < 1 ? 1 : n;
    }
    n *= 2;
  }
}

// One timed batch of n calls: prints `<op> <wall ns per call> <caller thread CPU ns per call>`.
// The CPU figure leaves out time the caller spent preempted by other jobs on the host, so it is a
// steadier companion of the wall figure for single-thread ops (getppid, pread); it does not count
// work done for the caller by other threads or processes (a sentry, the ping-pong partner).
static int Batch(const struct Op* op, long n) {
  uint64_t c0 = CpuNs();
  uint64_t t0 = NowNs();
  int err = op->fn(n);
  uint64_t dt = NowNs() - t0;
  uint64_t dc = CpuNs() - c0;
  if (err) {
    printf("%s error %s\n", op->name, strerror(err));
  } else {
    printf("%s %.1f %.1f\n", op->name, (double)dt / (double)n, (double)dc / (double)n);
  }
  fflush(stdout);
  return err;
}

static void RunOp(const struct Op* op, uint64_t target_ns, int reps) {
  long n = Calibrate(op, target_ns);
  for (int r = 0; n > 0 && r < reps; ++r) {
    if (Batch(op, n) != 0) break;
  }
}

// Serve mode (-S): one batch per request line `<op> <target ms>` read from stdin, the batch size
// calibrated at an op's first request; EOF ends it. The harness keeps one such process per
// runtime and asks them in turn, so every runtime's batches of an op are interleaved in time.
static void Serve(void) {
  enum { kNumOps = sizeof(kOps) / sizeof(kOps[0]) };
  long batch[kNumOps] = {0};
  char line[256];
  while (fgets(line, sizeof(line), stdin)) {
    char name[64];
    unsigned long long target_ms = 0;
    if (sscanf(line, "%63s %llu", name, &target_ms) != 2) {
      printf("? error bad request\n");
      fflush(stdout);
      continue;
    }
    size_t i = 0;
    while (i < kNumOps && strcmp(kOps[i].name, name) != 0) ++i;
    if (i == kNumOps) {
      printf("%s error unknown op\n", name);
      fflush(stdout);
      continue;
    }
    if (batch[i] == 0) batch[i] = Calibrate(&kOps[i], target_ms * 1000000u);
    if (batch[i] > 0) Batch(&kOps[i], batch[i]);
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--exit") == 0) return 0;
  g_self = "/proc/self/exe";
  uint64_t target_ms = 100;
  int reps = 5;
  int serve = 0;
  const char* dir = "/tmp";
  int opt;
  while ((opt = getopt(argc, argv, "t:r:d:S")) != -1) {
    switch (opt) {
      case 'S': serve = 1; break;
      case 't': target_ms = strtoull(optarg, NULL, 10); break;
      case 'r': reps = atoi(optarg); break;
      case 'd': dir = optarg; break;
      default:
        fprintf(stderr, "usage: sysbench [-t TARGET_MS] [-r REPS] [-d DIR] [OP...] | -S [-d DIR]\n");
        return 2;
    }
  }
  // fork+exec re-executes this binary by its real path (not /proc/self/exe: a sandbox may serve
  // /proc differently, and the exec should resolve a normal path).
  static char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len > 0) {
    self[len] = '\0';
    g_self = self;
  }
  snprintf(g_file, sizeof(g_file), "%s/sysbench-file.%d", dir, (int)getpid());
  int fd = open(g_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  char page[4096];
  memset(page, 'x', sizeof(page));
  if (fd < 0 || write(fd, page, sizeof(page)) != (ssize_t)sizeof(page)) {
    fprintf(stderr, "sysbench: cannot write %s: %s\n", g_file, strerror(errno));
    return 1;
  }
  close(fd);
  signal(SIGPIPE, SIG_IGN);
  if (serve) {
    Serve();
    unlink(g_file);
    return 0;
  }
  for (size_t i = 0; i < sizeof(kOps) / sizeof(kOps[0]); ++i) {
    int wanted = optind >= argc;
    for (int a = optind; a < argc; ++a) wanted |= strcmp(argv[a], kOps[i].name) == 0;
    if (wanted) RunOp(&kOps[i], target_ms * 1000000u, reps);
  }
  unlink(g_file);
  return 0;
}
