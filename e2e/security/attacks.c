// The attack battery: one static binary run as the process of a container (under see and under
// runc), trying one escape or privilege per attempt. Each attempt is a function returning
// BLOCKED, ALLOWED (the attack worked: the kernel did what was asked) or ERROR (the attempt
// itself could not be carried out), with a one-line detail; the expectation is declared beside
// it in the table at the bottom. e2e/security/battery.sh runs it and writes the table.
//
//   attacks [--only NAME,NAME...]      every attempt (or the named ones), one line each:
//                                      ATTEMPT <name> <expect> <outcome> <detail>
//   attacks --pids PID,PID... ...      the attempts on foreign processes aim at these only, and
//                                      finding none is an error (a container in the host's pid
//                                      namespace sees every process: e2e/cri/userns_suite.sh)
//   attacks --list                     name, expectation and description of every attempt
//   attacks --watch-exe SECONDS        CVE-2019-5736 class: for SECONDS, opens /proc/PID/exe of
//                                      every new process (the driver runs `ctr tasks exec`) and
//                                      tries to reopen it for writing; never writes
//   attacks --swap PATH TARGET SECONDS swaps PATH between a directory and a symlink to TARGET
//                                      (volume-mount race; the driver creates containers meanwhile)
//   attacks --check-masked             masked paths: each must be empty, unwritable, not a host file
//   attacks --fork-bomb LIMIT          waits for SIGUSR1 (the driver sets pids.max meanwhile), then
//                                      forks until refused
//
// Every attempt runs in a forked child with an alarm, so one that is killed (SIGSYS from a
// filter) or hangs does not stop the battery. Host-side facts the attacks need come in the
// environment: SEE_BATTERY_MARKER (a host file that must never be readable from here),
// SEE_BATTERY_HOST_PATHS (host path prefixes that must not appear in mountinfo, ':'-separated),
// SEE_BATTERY_HOST_SOCKETS (host sockets that must not be connectable, ':'-separated).
//
// Attempts never damage the host when they succeed: sysfs/procfs files and foreign binaries are
// only opened for writing, never written; kernel calls use arguments the kernel rejects after
// its permission check (so EPERM means refused, anything else means the call got through).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <linux/vm_sockets.h>
#include <linux/if_alg.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/user.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

enum outcome { BLOCKED = 0, ALLOWED = 1, ERROR = 2 };
static const char* const kOutcomeName[] = {"BLOCKED", "ALLOWED", "ERROR"};

// MUST_BLOCK: the suite fails when see reports ALLOWED. INFO: shown in the table, never fails.
enum expect { MUST_BLOCK, INFO };

static char g_detail[512];

static void detail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_detail, sizeof(g_detail), fmt, ap);
  va_end(ap);
}

static void append(const char* fmt, ...) {
  size_t n = strlen(g_detail);
  if (n + 2 >= sizeof(g_detail)) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_detail + n, sizeof(g_detail) - n, fmt, ap);
  va_end(ap);
}

// A refused privileged call: the permission check failed, the call does not exist here, or the
// sandbox refused it. Anything else means the kernel went past its permission check.
static int refused(int err) { return err == EPERM || err == EACCES || err == ENOSYS; }

// Result of a call that must be refused: BLOCKED on EPERM/EACCES/ENOSYS, ALLOWED otherwise.
static enum outcome privileged_call(const char* what, long rc) {
  if (rc >= 0) {
    detail("%s succeeded (%ld)", what, rc);
    return ALLOWED;
  }
  int err = errno;
  detail("%s: %s", what, strerror(err));
  return refused(err) ? BLOCKED : ALLOWED;
}

// Result of creating an fd that must be refused (any failure counts as refused).
static enum outcome fd_call(const char* what, long fd) {
  if (fd >= 0) {
    detail("%s: got fd %ld", what, fd);
    close((int)fd);
    return ALLOWED;
  }
  detail("%s: %s", what, strerror(errno));
  return BLOCKED;
}

// ---- facts gathered before anything else opens an fd ----

static char g_startup_fds[256];  // "3->/path 4->socket:[..]" of fds >2 at start
static struct stat g_root;       // our "/"

static void record_startup_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d)) continue;
    char link[64], target[128] = "?";
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n >= 0) target[n] = 0;
    size_t used = strlen(g_startup_fds);
    snprintf(g_startup_fds + used, sizeof(g_startup_fds) - used, "%d->%s ", fd, target);
  }
  closedir(d);
}

// Walks ".." from `fd` (a directory) until it stops moving; returns 1 if it ends at a root other
// than ours, i.e. the directory lies outside the container's root (CVE-2024-21626 class).
static int dir_outside_root(int fd, char* where, size_t n) {
  int cur = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0) return 0;
  for (int depth = 0; depth < 256; ++depth) {
    struct stat here, up;
    int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0 || fstat(cur, &here) || fstat(parent, &up)) {
      close(cur);
      if (parent >= 0) close(parent);
      return 0;
    }
    close(cur);
    cur = parent;
    if (here.st_dev == up.st_dev && here.st_ino == up.st_ino) break;  // a root
  }
  struct stat top;
  int outside = fstat(cur, &top) == 0 && (top.st_dev != g_root.st_dev || top.st_ino != g_root.st_ino);
  if (outside) snprintf(where, n, "root dev %u:%u ino %lu", major(top.st_dev), minor(top.st_dev),
                        (unsigned long)top.st_ino);
  close(cur);
  return outside;
}

static int g_startup_cwd_outside;
static char g_startup_cwd[256];

static void record_startup_cwd(void) {
  if (!getcwd(g_startup_cwd, sizeof(g_startup_cwd))) snprintf(g_startup_cwd, sizeof(g_startup_cwd), "getcwd: %s", strerror(errno));
  char where[96] = "";
  g_startup_cwd_outside = dir_outside_root(AT_FDCWD, where, sizeof(where));
  if (g_startup_cwd_outside) {
    size_t n = strlen(g_startup_cwd);
    snprintf(g_startup_cwd + n, sizeof(g_startup_cwd) - n, " (%s)", where);
  }
}

// ---- helpers ----

static char* read_file(const char* path, size_t max, ssize_t* len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  char* buf = malloc(max + 1);
  ssize_t total = 0, n;
  while (total < (ssize_t)max && (n = read(fd, buf + total, max - total)) > 0) total += n;
  close(fd);
  buf[total] = 0;
  if (len) *len = total;
  return buf;
}

// Pids this process did not create: everything in /proc but ourselves and our descendants.
// Found both by listing /proc and by probing kill(pid, 0) (a process hidden from /proc is
// still signalable if it shares our pid namespace).
static pid_t g_main_pid;  // the battery's main process; attempts run in its children
static const char* g_pids;  // --pids: the foreign processes to aim at, given by the driver

static int foreign_pids(pid_t* out, int max) {
  int n = 0;
  pid_t self = g_main_pid;
  for (pid_t pid = 1; pid <= 65536 && n < max; ++pid) {
    if (pid == self) continue;
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      char p[32];
      snprintf(p, sizeof(p), "/proc/%d", pid);
      if (access(p, F_OK) != 0) continue;
    }
    // The battery's own processes: their ppid chain reaches its main process.
    pid_t cur = pid;
    int ours = 0;
    for (int depth = 0; depth < 64 && cur > 1; ++depth) {
      char p[64];
      snprintf(p, sizeof(p), "/proc/%d/stat", cur);
      char* s = read_file(p, 512, NULL);
      if (!s) break;
      char* rp = strrchr(s, ')');
      int ppid = 0;
      if (rp) sscanf(rp + 2, "%*c %d", &ppid);
      free(s);
      if (ppid == self) { ours = 1; break; }
      cur = ppid;
    }
    if (!ours && g_pids) {
      char want[32], list[1024];
      snprintf(want, sizeof(want), ",%d,", pid);
      snprintf(list, sizeof(list), ",%s,", g_pids);
      if (!strstr(list, want)) ours = 1;  // not a target
    }
    if (!ours) out[n++] = pid;
  }
  return n;
}

static void describe_pid(pid_t pid, char* buf, size_t n) {
  char p[64];
  snprintf(p, sizeof(p), "/proc/%d/comm", pid);
  char* comm = read_file(p, 64, NULL);
  if (comm) comm[strcspn(comm, "\n")] = 0;
  snprintf(buf, n, "%d(%s)", pid, comm ? comm : "?");
  free(comm);
}

// ---- attempts: mount and namespaces ----

static enum outcome a_mount_tmpfs(void) {
  mkdir("/tmp/see-mnt", 0700);
  return privileged_call("mount tmpfs", mount("none", "/tmp/see-mnt", "tmpfs", 0, NULL));
}

static enum outcome a_mount_newapi(void) {
  long fd = syscall(SYS_fsopen, "tmpfs", 0);
  return fd_call("fsopen(tmpfs)", fd);
}

static enum outcome a_remount_root_rw(void) {
  return privileged_call("mount MS_REMOUNT|MS_BIND /",
                         mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL));
}

static enum outcome a_unshare_userns(void) {
  return privileged_call("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
}

static enum outcome a_userns_mount(void) {
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    detail("unshare(NEWUSER|NEWNS): %s", strerror(errno));
    return BLOCKED;
  }
  mkdir("/tmp/see-mnt", 0700);
  return privileged_call("mount tmpfs in a new user+mount ns",
                         mount("none", "/tmp/see-mnt", "tmpfs", 0, NULL));
}

static enum outcome a_unshare_other(void) {
  static const struct { int flag; const char* name; } kNs[] = {
      {CLONE_NEWNS, "mnt"}, {CLONE_NEWNET, "net"}, {CLONE_NEWPID, "pid"}, {CLONE_NEWUTS, "uts"},
      {CLONE_NEWIPC, "ipc"}, {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time"}};
  enum outcome r = BLOCKED;
  detail("unshare:");
  for (size_t i = 0; i < sizeof(kNs) / sizeof(kNs[0]); ++i) {
    if (unshare(kNs[i].flag) == 0) {
      r = ALLOWED;
      append(" %s=ok", kNs[i].name);
    } else {
      if (!refused(errno)) r = ALLOWED;
      append(" %s=%s", kNs[i].name, strerrorname_np(errno));
    }
  }
  return r;
}

static enum outcome a_setns(void) {
  int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    detail("open /proc/self/ns/mnt: %s", strerror(errno));
    return BLOCKED;
  }
  return privileged_call("setns(own mnt ns)", setns(fd, 0));
}

static enum outcome a_clone_newuser(void) {
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return privileged_call("clone(CLONE_NEWUSER)", pid);
}

static enum outcome a_clone3_ns(void) {
  struct clone_args args = {0};
  args.flags = CLONE_NEWUSER | CLONE_NEWNS;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return privileged_call("clone3(NEWUSER|NEWNS)", pid);
}

// ---- kernel-wide calls ----

static enum outcome a_module(void) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  enum outcome r = privileged_call("finit_module(own exe)", syscall(SYS_finit_module, fd, "", 0));
  if (r == BLOCKED) r = privileged_call("init_module(NULL)", syscall(SYS_init_module, NULL, 0, ""));
  return r;
}

static enum outcome a_kexec(void) {
  // Flags the kernel rejects with EINVAL after the CAP_SYS_BOOT check.
  return privileged_call("kexec_load(bad flags)", syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
}

static enum outcome a_reboot(void) {
  // A wrong magic2 is refused with EINVAL after the capability check.
  return privileged_call("reboot(bad magic)",
                         syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0x12345678, 0, NULL));
}

static enum outcome a_swapon(void) {
  return privileged_call("swapon(/nonexistent)", syscall(SYS_swapon, "/see-no-such-swap", 0));
}

static enum outcome a_keyctl(void) {
  long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1);
  if (id >= 0) {
    detail("keyctl: session keyring %ld", id);
    return ALLOWED;
  }
  return privileged_call("keyctl(GET_KEYRING_ID)", id);
}

static enum outcome a_bpf(void) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  return fd_call("bpf(MAP_CREATE)", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
}

static enum outcome a_perf(void) {
  struct perf_event_attr pe;
  memset(&pe, 0, sizeof(pe));
  pe.type = PERF_TYPE_SOFTWARE;
  pe.size = sizeof(pe);
  pe.config = PERF_COUNT_SW_CPU_CLOCK;
  pe.disabled = 1;
  pe.exclude_kernel = 1;
  return fd_call("perf_event_open(self, cpu-clock)", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
}

static enum outcome a_userfaultfd(void) {
  long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
  if (fd < 0) fd = syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
  return fd_call("userfaultfd", fd);
}

static enum outcome a_io_uring(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof(p));
  return fd_call("io_uring_setup(8)", syscall(SYS_io_uring_setup, 8, &p));
}

// ---- other processes (the sentry, the shim, the host) ----

static enum outcome a_host_pids(void) {
  pid_t pids[64];
  int n = foreign_pids(pids, 64);
  if (n == 0) {
    detail("only this process and its children visible");
    return BLOCKED;
  }
  detail("%d foreign:", n);
  for (int i = 0; i < n && i < 6; ++i) {
    char b[48];
    describe_pid(pids[i], b, sizeof(b));
    append(" %s", b);
  }
  return ALLOWED;
}

// The foreign processes an attempt aims at (detail "N foreign pids;"); -1 when --pids named the
// targets and none of them is visible (nothing would be tried).
static int foreign_targets(pid_t* pids, int max) {
  int n = foreign_pids(pids, max);
  detail("%d foreign pids;", n);
  return g_pids && n == 0 ? -1 : n;
}

static enum outcome a_ptrace_foreign(void) {
  pid_t pids[64];
  int n = foreign_targets(pids, 64);
  if (n < 0) return ERROR;
  enum outcome r = BLOCKED;
  for (int i = 0; i < n; ++i) {
    char b[48];
    describe_pid(pids[i], b, sizeof(b));
    if (syscall(SYS_ptrace, PTRACE_SEIZE, pids[i], 0, 0) == 0) {
      append(" seized %s", b);
      syscall(SYS_ptrace, PTRACE_DETACH, pids[i], 0, 0);
      r = ALLOWED;
    } else {
      append(" %s:%s", b, strerrorname_np(errno));
    }
    long pidfd = syscall(SYS_pidfd_open, pids[i], 0);
    if (pidfd >= 0) {
      for (int fd = 0; fd < 16; ++fd) {
        long got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        if (got >= 0) {
          append(" stole fd %d of %s", fd, b);
          close((int)got);
          r = ALLOWED;
          break;
        }
      }
      close((int)pidfd);
    }
  }
  return r;
}

static enum outcome a_vm_readv_foreign(void) {
  pid_t pids[64];
  int n = foreign_targets(pids, 64);
  if (n < 0) return ERROR;
  enum outcome r = BLOCKED;
  for (int i = 0; i < n; ++i) {
    char b[48], maps[64];
    describe_pid(pids[i], b, sizeof(b));
    // Any readable mapping: the first address of /proc/PID/maps, or a guess.
    snprintf(maps, sizeof(maps), "/proc/%d/maps", pids[i]);
    char* m = read_file(maps, 4096, NULL);
    unsigned long addr = 0x400000;
    if (m && *m) addr = strtoul(m, NULL, 16);
    free(m);
    char buf[16];
    struct iovec local = {buf, sizeof(buf)}, remote = {(void*)addr, sizeof(buf)};
    if (syscall(SYS_process_vm_readv, pids[i], &local, 1, &remote, 1, 0) > 0) {
      append(" read %s", b);
      r = ALLOWED;
    } else {
      append(" %s:%s", b, strerrorname_np(errno));
    }
    char mem[64];
    snprintf(mem, sizeof(mem), "/proc/%d/mem", pids[i]);
    int fd = open(mem, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && pread(fd, buf, sizeof(buf), (off_t)addr) > 0) {
      append(" read %s via /proc/PID/mem", b);
      r = ALLOWED;
    }
    if (fd >= 0) close(fd);
  }
  return r;
}

// ---- a tracer inside the sandbox (ptrace is the kernel's to check, as under runc) ----

// A traced child of ours, stopped: the tracer side of the two attempts below (0 on failure).
static pid_t traced_child(void) {
  pid_t pid = fork();
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(10);
    raise(SIGSTOP);
    // The call the tracer rewrites: getppid (native everywhere) into unshare(CLONE_NEWUSER).
    long rc = syscall(SYS_getppid);
    _exit(rc == 0 ? 0 : 1);
  }
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) return 0;
  return pid;
}

// PTRACE_O_SUSPEND_SECCOMP turns the tracee's filters off; the kernel refuses it to a tracer
// that is under seccomp itself or lacks CAP_SYS_ADMIN in the host's user namespace.
static enum outcome a_ptrace_suspend_seccomp(void) {
  pid_t pid = traced_child();
  if (!pid) {
    detail("PTRACE_TRACEME refused (%s)", strerror(errno));
    return BLOCKED;
  }
  long rc = ptrace(PTRACE_SETOPTIONS, pid, NULL, (void*)(long)PTRACE_O_SUSPEND_SECCOMP);
  int err = errno;
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return privileged_call("PTRACE_SETOPTIONS(PTRACE_O_SUSPEND_SECCOMP)", rc == 0 ? 0 : (errno = err, -1));
}

// The tracer rewrites an allowed call (getppid) into a refused one at its syscall-entry stop:
// seccomp runs after that stop (Linux >= 4.8), so the rewritten call meets the tracee's filters.
static enum outcome a_ptrace_rewrite_call(void) {
  pid_t pid = traced_child();
  if (!pid) {
    detail("PTRACE_TRACEME refused (%s)", strerror(errno));
    return BLOCKED;
  }
  ptrace(PTRACE_SETOPTIONS, pid, NULL, (void*)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
  int status = 0, entries = 0;
  long rewritten = -1, result = 1;
  for (int stops = 0; stops < 100; ++stops) {
    if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) != 0 || waitpid(pid, &status, 0) != pid) break;
    if (!WIFSTOPPED(status)) break;
    if (WSTOPSIG(status) != (SIGTRAP | 0x80)) continue;
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) != 0) break;
    if (rewritten < 0 && regs.orig_rax == SYS_getppid) {
      ++entries;
      regs.orig_rax = SYS_unshare;
      regs.rdi = CLONE_NEWUSER;
      rewritten = ptrace(PTRACE_SETREGS, pid, NULL, &regs);
    } else if (rewritten == 0 && entries == 1) {
      result = (long)regs.rax;  // the exit stop of the rewritten call
      entries = 2;
    }
  }
  if (!WIFEXITED(status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  if (rewritten != 0) {
    detail("could not rewrite the call");
    return ERROR;
  }
  if (result == 0) {
    detail("rewritten getppid -> unshare(CLONE_NEWUSER) succeeded");
    return ALLOWED;
  }
  detail("rewritten getppid -> unshare(CLONE_NEWUSER): %s", strerror((int)-result));
  return BLOCKED;
}

static enum outcome a_proc_foreign(void) {
  pid_t pids[64];
  int n = foreign_targets(pids, 64);
  if (n < 0) return ERROR;
  enum outcome r = BLOCKED;
  for (int i = 0; i < n; ++i) {
    char b[48], p[64], buf[256];
    describe_pid(pids[i], b, sizeof(b));
    static const char* const links[] = {"exe", "cwd", "root", "fd/0", "fd/1", "fd/2", "fd/3", "fd/4"};
    for (size_t k = 0; k < sizeof(links) / sizeof(links[0]); ++k) {
      snprintf(p, sizeof(p), "/proc/%d/%s", pids[i], links[k]);
      if (readlink(p, buf, sizeof(buf)) > 0) {
        append(" readlink %s/%s", b, links[k]);
        r = ALLOWED;
      }
    }
    static const char* const files[] = {"environ", "maps", "fdinfo/0", "auxv"};
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); ++k) {
      snprintf(p, sizeof(p), "/proc/%d/%s", pids[i], files[k]);
      int fd = open(p, O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && read(fd, buf, sizeof(buf)) > 0) {
        append(" read %s/%s", b, files[k]);
        r = ALLOWED;
      }
      if (fd >= 0) close(fd);
    }
    // Through an O_PATH fd (opened by the kernel) re-opened via /proc/self/fd.
    snprintf(p, sizeof(p), "/proc/%d/mem", pids[i]);
    int path = open(p, O_PATH | O_CLOEXEC);
    if (path >= 0) {
      char again[64];
      snprintf(again, sizeof(again), "/proc/self/fd/%d", path);
      int fd = open(again, O_RDWR | O_CLOEXEC);
      if (fd >= 0) {
        append(" reopened %s/mem", b);
        r = ALLOWED;
        close(fd);
      }
      close(path);
    }
  }
  if (r == BLOCKED) append(" all refused");
  return r;
}

// ---- sockets ----

static enum outcome a_sock(int domain, int type, int proto, const char* what) {
  long fd = socket(domain, type, proto);
  if (fd < 0 && errno == EAFNOSUPPORT) {
    detail("%s: EAFNOSUPPORT (family not in this kernel)", what);
    return BLOCKED;
  }
  return fd_call(what, fd);
}
static enum outcome a_sock_raw(void) { return a_sock(AF_INET, SOCK_RAW, IPPROTO_ICMP, "socket(AF_INET, SOCK_RAW)"); }
static enum outcome a_sock_packet(void) { return a_sock(AF_PACKET, SOCK_RAW, 0, "socket(AF_PACKET)"); }
static enum outcome a_sock_vsock(void) { return a_sock(AF_VSOCK, SOCK_STREAM, 0, "socket(AF_VSOCK)"); }

static enum outcome a_sock_alg(void) {
  int fd = socket(AF_ALG, SOCK_SEQPACKET, 0);
  if (fd < 0) return a_sock(AF_ALG, SOCK_SEQPACKET, 0, "socket(AF_ALG)");
  struct sockaddr_alg sa = {.salg_family = AF_ALG};
  strcpy((char*)sa.salg_type, "hash");
  strcpy((char*)sa.salg_name, "sha256");
  int b = bind(fd, (struct sockaddr*)&sa, sizeof(sa));
  detail("socket(AF_ALG) ok, bind(hash/sha256): %s", b == 0 ? "ok" : strerror(errno));
  close(fd);
  return ALLOWED;
}

// Sockets listed in /proc/net/unix (paths and abstract names) plus the host's containerd and
// shim sockets (SEE_BATTERY_HOST_SOCKETS): none may accept a connection from here.
static int try_connect(const char* name, int abstract) {
  static const int kTypes[] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
  for (size_t t = 0; t < 3; ++t) {
    int fd = socket(AF_UNIX, kTypes[t] | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(name);
    if (len + 1 >= sizeof(sa.sun_path)) len = sizeof(sa.sun_path) - 2;
    memcpy(sa.sun_path + (abstract ? 1 : 0), name, len);
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 1 : 1));
    int rc = connect(fd, (struct sockaddr*)&sa, sl);
    close(fd);
    if (rc == 0) return 1;
  }
  return 0;
}

static enum outcome a_host_sockets(void) {
  enum outcome r = BLOCKED;
  int tried = 0;
  detail("");
  char* list = read_file("/proc/net/unix", 1 << 20, NULL);
  if (list) {
    char* save = NULL;
    for (char* line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      char* path = strrchr(line, ' ');
      if (!path || (path[1] != '/' && path[1] != '@')) continue;
      ++path;
      ++tried;
      if (try_connect(path[0] == '@' ? path + 1 : path, path[0] == '@')) {
        append(" connected %s", path);
        r = ALLOWED;
      }
    }
    free(list);
  }
  const char* host = getenv("SEE_BATTERY_HOST_SOCKETS");
  if (host && *host) {
    char* copy = strdup(host);
    char* save = NULL;
    for (char* p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
      ++tried;
      if (try_connect(p, 0) || try_connect(p, 1)) {
        append(" connected host %s", p);
        r = ALLOWED;
      }
    }
    free(copy);
  }
  char head[512];
  snprintf(head, sizeof(head), "%d sockets tried (/proc/net/unix + host containerd/shim);%s", tried, g_detail);
  snprintf(g_detail, sizeof(g_detail), "%s", head);
  return r;
}

static enum outcome a_cloud_metadata(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
  sa.sin_addr.s_addr = htonl(0xa9fea9fe);  // 169.254.169.254
  int rc = connect(fd, (struct sockaddr*)&sa, sizeof(sa));
  if (rc != 0 && errno == EINPROGRESS) {
    struct pollfd p = {fd, POLLOUT, 0};
    if (poll(&p, 1, 2000) == 1) {
      int err = 0;
      socklen_t l = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
      rc = err ? -1 : 0;
      errno = err;
    } else {
      errno = ETIMEDOUT;
    }
  }
  close(fd);
  if (rc == 0) {
    detail("connected to 169.254.169.254:80");
    return ALLOWED;
  }
  detail("169.254.169.254:80: %s", strerror(errno));
  return BLOCKED;
}

static enum outcome a_sa_token(void) {
  static const char* kPaths[] = {"/var/run/secrets/kubernetes.io/serviceaccount/token",
                                 "/run/secrets/kubernetes.io/serviceaccount/token"};
  for (size_t i = 0; i < 2; ++i) {
    ssize_t len = 0;
    char* t = read_file(kPaths[i], 4096, &len);
    if (t && len > 0) {
      free(t);
      detail("%s readable (%zd bytes)", kPaths[i], len);
      return ALLOWED;
    }
    free(t);
  }
  detail("no service-account token mounted");
  return BLOCKED;
}

// ---- devices, handles, terminals ----

static enum outcome a_mknod_block(void) {
  unlink("/tmp/see-sda");
  if (mknod("/tmp/see-sda", S_IFBLK | 0600, makedev(8, 0)) != 0 &&
      mknod("/dev/see-sda", S_IFBLK | 0600, makedev(8, 0)) != 0) {
    detail("mknod b 8:0: %s", strerror(errno));
    return BLOCKED;
  }
  int fd = open("/tmp/see-sda", O_RDONLY | O_CLOEXEC);
  if (fd < 0) fd = open("/dev/see-sda", O_RDONLY | O_CLOEXEC);
  detail("mknod b 8:0 created; open: %s", fd >= 0 ? "ok (host disk readable)" : strerror(errno));
  if (fd >= 0) close(fd);
  unlink("/tmp/see-sda");
  unlink("/dev/see-sda");
  return ALLOWED;
}

static enum outcome a_open_by_handle(void) {
  struct { struct file_handle fh; unsigned char buf[MAX_HANDLE_SZ]; } h;
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  int mount_id;
  if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0) != 0) {
    // The shocker attack forges the handle anyway: ino 2 of the filesystem (its root).
    h.fh.handle_bytes = 8;
    h.fh.handle_type = 1;  // FILEID_INO32_GEN
    uint32_t ino_gen[2] = {2, 0};
    memcpy(h.fh.f_handle, ino_gen, 8);
  }
  int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  long fd = open_by_handle_at(mfd, &h.fh, O_RDONLY);
  close(mfd);
  return privileged_call("open_by_handle_at", fd);
}

static enum outcome tiocsti(unsigned long cmd, const char* what) {
  signal(SIGHUP, SIG_IGN);  // closing our new controlling tty hangs the session up
  setsid();
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt(m) || unlockpt(m)) {
    detail("no pty: %s", strerror(errno));
    return ERROR;
  }
  int s = open(ptsname(m), O_RDWR);  // becomes our controlling terminal
  char c = 'x';
  long rc = syscall(SYS_ioctl, s, cmd, &c);
  int err = errno;
  close(s);
  close(m);
  if (rc == 0) {
    detail("%s on own controlling pty: injected", what);
    return ALLOWED;
  }
  detail("%s: %s", what, strerror(err));
  return BLOCKED;
}
static enum outcome a_tiocsti(void) { return tiocsti(TIOCSTI, "ioctl(TIOCSTI)"); }
static enum outcome a_tiocsti_high(void) {
  return tiocsti(TIOCSTI | (1UL << 32), "ioctl(TIOCSTI|1<<32)");
}

// ---- ABI ----

static enum outcome a_i386_entry(void) {
  long ret;
  // getpid through the 32-bit entry point (i386 nr 20).
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
  if (ret > 0) {
    detail("int $0x80 getpid returned %ld", ret);
    return ALLOWED;
  }
  detail("int $0x80 getpid: %s", strerror((int)-ret));
  return BLOCKED;
}

static enum outcome a_x32_entry(void) {
  long ret = syscall(0x40000000L | 39 /* getpid */);
  if (ret > 0) {
    detail("x32 getpid returned %ld", ret);
    return ALLOWED;
  }
  detail("x32 getpid: %s", strerror(errno));
  return BLOCKED;
}

static enum outcome a_personality(void) {
  unsigned long want = PER_LINUX | READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE | MMAP_PAGE_ZERO;
  if (personality(want) == -1) {
    detail("personality(READ_IMPLIES_EXEC|ADDR_NO_RANDOMIZE|MMAP_PAGE_ZERO): %s", strerror(errno));
    return BLOCKED;
  }
  int now = personality(0xffffffff);
  personality(PER_LINUX);
  if ((unsigned long)now == want) {
    detail("personality flags accepted (0x%x)", now);
    return ALLOWED;
  }
  detail("personality silently ignored (reads 0x%x)", now);
  return BLOCKED;
}

static enum outcome a_page_zero(void) {
  void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    detail("mmap at address 0: %s", strerror(errno));
    return BLOCKED;
  }
  munmap(p, 4096);
  detail("mapped page zero");
  return ALLOWED;
}

// ---- /proc and /sys ----

static enum outcome open_for_write(const char* const* paths, size_t n) {
  enum outcome r = BLOCKED;
  detail("");
  for (size_t i = 0; i < n; ++i) {
    int fd = open(paths[i], O_WRONLY | O_CLOEXEC);  // opened, never written
    if (fd >= 0) {
      append("%s writable; ", paths[i]);
      close(fd);
      r = ALLOWED;
    } else {
      append("%s: %s; ", paths[i], strerrorname_np(errno));
    }
  }
  return r;
}

static enum outcome a_proc_sys(void) {
  static const char* kPaths[] = {"/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches",
                                 "/proc/sys/kernel/modprobe"};
  return open_for_write(kPaths, 3);
}

static enum outcome a_proc_sysrq(void) {
  static const char* kPaths[] = {"/proc/sysrq-trigger"};
  return open_for_write(kPaths, 1);
}

static enum outcome a_sys_write(void) {
  static const char* kPaths[] = {"/sys/kernel/uevent_helper", "/sys/power/state",
                                 "/sys/kernel/mm/transparent_hugepage/enabled"};
  return open_for_write(kPaths, 3);
}

static enum outcome a_kcore(void) {
  int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    detail("open /proc/kcore: %s", strerror(errno));
    return BLOCKED;
  }
  char buf[64];
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  if (n > 0) {
    detail("read %zd bytes of /proc/kcore", n);
    return ALLOWED;
  }
  detail("/proc/kcore reads %s", n == 0 ? "empty (masked)" : strerror(errno));
  return BLOCKED;
}

static enum outcome a_kallsyms(void) {
  ssize_t len = 0;
  char* s = read_file("/proc/kallsyms", 1 << 16, &len);
  if (!s) {
    detail("open /proc/kallsyms: %s", strerror(errno));
    return BLOCKED;
  }
  int nonzero = 0;
  for (char* line = s; *line && !nonzero; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
    if (strtoull(line, NULL, 16) != 0) nonzero = 1;
  }
  free(s);
  if (nonzero) {
    detail("kernel addresses readable");
    return ALLOWED;
  }
  detail(len ? "addresses zeroed" : "empty");
  return BLOCKED;
}

static enum outcome a_mountinfo(void) {
  ssize_t len;
  char* s = read_file("/proc/self/mountinfo", 1 << 20, &len);
  if (!s) {
    detail("open mountinfo: %s", strerror(errno));
    return BLOCKED;
  }
  char patterns[4096] = "upperdir=:lowerdir=:/var/lib/containerd:/run/containerd:";
  const char* host = getenv("SEE_BATTERY_HOST_PATHS");
  if (host) strncat(patterns, host, sizeof(patterns) - strlen(patterns) - 1);
  enum outcome r = BLOCKED;
  detail("");
  char* save = NULL;
  for (char* p = strtok_r(patterns, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
    char* hit = strstr(s, p);
    if (!hit) continue;
    char* bol = hit;
    while (bol > s && bol[-1] != '\n') --bol;
    int l = (int)strcspn(bol, "\n");
    append("'%s' in: %.*s; ", p, l > 150 ? 150 : l, bol);
    r = ALLOWED;
    break;
  }
  if (r == BLOCKED) detail("no host path in %zd bytes of mountinfo", len);
  free(s);
  return r;
}

// ---- fds, cwd, exe ----

static enum outcome a_leaked_fds(void) {
  if (g_startup_fds[0]) {
    detail("fds open at start: %s", g_startup_fds);
    return ALLOWED;
  }
  detail("only 0,1,2 open at start");
  return BLOCKED;
}

static enum outcome a_host_cwd(void) {
  if (g_startup_cwd_outside) {
    detail("cwd outside the root: %s", g_startup_cwd);
    return ALLOWED;
  }
  // Any fd (>2) that is a directory outside the root.
  DIR* d = opendir("/proc/self/fd");
  enum outcome r = BLOCKED;
  detail("cwd %s inside the root", g_startup_cwd);
  struct dirent* e;
  while (d && (e = readdir(d)) != NULL) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d)) continue;
    char where[96];
    if (dir_outside_root(fd, where, sizeof(where))) {
      append("; fd %d is a directory outside the root (%s)", fd, where);
      r = ALLOWED;
    }
  }
  if (d) closedir(d);
  return r;
}

// Reopens /proc/PID/exe of `pid` for writing through an O_PATH fd (never writes). Returns 1 when
// the write open succeeded on a file outside our root filesystem.
static int exe_writable(pid_t pid, char* what, size_t n) {
  char p[64];
  snprintf(p, sizeof(p), "/proc/%d/exe", pid);
  int path_fd = open(p, O_PATH | O_CLOEXEC);
  if (path_fd < 0) return 0;
  struct stat st;
  fstat(path_fd, &st);
  char target[128] = "?";
  ssize_t l = readlink(p, target, sizeof(target) - 1);
  if (l >= 0) target[l] = 0;
  char again[64];
  snprintf(again, sizeof(again), "/proc/self/fd/%d", path_fd);
  int w = open(again, O_WRONLY | O_CLOEXEC);
  int err = errno;
  close(path_fd);
  int host = st.st_dev != g_root.st_dev;
  if (w >= 0) {
    close(w);
    snprintf(what, n, "%s %s writable", target, host ? "(host file)" : "(container file)");
    return host;
  }
  snprintf(what, n, "%s%s: %s", target, host ? " (host file, readable)" : "", strerrorname_np(err));
  return 0;
}

static enum outcome a_exe_foreign(void) {
  pid_t pids[64];
  int n = foreign_pids(pids, 64);
  enum outcome r = BLOCKED;
  detail("%d foreign;", n);
  char what[192];
  if (exe_writable(getpid(), what, sizeof(what))) r = ALLOWED;
  append(" self %s;", what);
  for (int i = 0; i < n; ++i) {
    if (exe_writable(pids[i], what, sizeof(what))) r = ALLOWED;
    append(" %d %s;", pids[i], what);
  }
  return r;
}

// ---- cgroups ----

static int release_agents_writable(const char* root) {
  char pattern[256];
  int found = 0;
  DIR* d = opendir(root);
  if (!d) return 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(pattern, sizeof(pattern), "%s/%s/release_agent", root, e->d_name);
    int fd = open(pattern, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      append("%s writable; ", pattern);
      close(fd);
      found = 1;
    }
  }
  closedir(d);
  snprintf(pattern, sizeof(pattern), "%s/release_agent", root);
  int fd = open(pattern, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    append("%s writable; ", pattern);
    close(fd);
    found = 1;
  }
  return found;
}

static enum outcome a_release_agent(void) {
  detail("");
  if (release_agents_writable("/sys/fs/cgroup")) return ALLOWED;
  mkdir("/tmp/see-cg", 0700);
  if (mount("cgroup", "/tmp/see-cg", "cgroup", 0, "rdma") == 0) {
    append("mounted cgroup v1 rdma; ");
    if (release_agents_writable("/tmp/see-cg")) return ALLOWED;
    umount2("/tmp/see-cg", MNT_DETACH);
  } else {
    append("mount cgroup: %s; ", strerrorname_np(errno));
  }
  // CVE-2022-0492: a new user+cgroup+mount namespace, then a cgroup v1 mount.
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP) == 0) {
    if (mount("cgroup", "/tmp/see-cg", "cgroup", 0, "rdma") == 0) {
      append("mounted rdma in userns; ");
      if (release_agents_writable("/tmp/see-cg")) return ALLOWED;
    } else {
      append("userns mount cgroup: %s; ", strerrorname_np(errno));
    }
  } else {
    append("unshare userns: %s", strerrorname_np(errno));
  }
  return BLOCKED;
}

// ---- seccomp inside the sandbox ----

static enum outcome a_nested_listener(void) {
  struct sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof(insns) / sizeof(insns[0]), insns};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  return fd_call("seccomp(NEW_LISTENER)", fd);
}

// ---- races ----

static const char* g_marker;  // host file, must never be readable here
static volatile int g_race_stop;

static void* swap_loop(void* arg) {
  const char* target = arg;
  while (!g_race_stop) {
    unlink("/tmp/see-race/link");
    symlink(target, "/tmp/see-race/link");
    unlink("/tmp/see-race/link");
    mkdir("/tmp/see-race/link", 0755);
    rmdir("/tmp/see-race/link");
  }
  return NULL;
}

static enum outcome a_path_swap_race(void) {
  if (!g_marker) {
    detail("SEE_BATTERY_MARKER not set");
    return ERROR;
  }
  if (access(g_marker, F_OK) == 0) {
    detail("host marker %s directly visible", g_marker);
    return ALLOWED;
  }
  mkdir("/tmp/see-race", 0755);
  // Both an absolute link (host "/" if resolved outside) and a deep relative one.
  static const char* kTargets[] = {"/", "../../../../../../../../../.."};
  char path[512];
  snprintf(path, sizeof(path), "/tmp/see-race/link%s", g_marker);
  long opens = 0, hits = 0;
  for (int t = 0; t < 2; ++t) {
    g_race_stop = 0;
    pthread_t th;
    pthread_create(&th, NULL, swap_loop, (void*)kTargets[t]);
    time_t end = time(NULL) + 2;
    while (time(NULL) < end) {
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      ++opens;
      if (fd >= 0) {
        char buf[64] = "";
        if (read(fd, buf, sizeof(buf) - 1) > 0 && strstr(buf, "see-battery-host-marker")) ++hits;
        close(fd);
      }
      // stat and readlink go through the same resolution.
      struct stat st;
      if (stat(path, &st) == 0) ++hits;
    }
    g_race_stop = 1;
    pthread_join(th, NULL);
  }
  if (hits) {
    detail("host marker reached %ld times in %ld opens", hits, opens);
    return ALLOWED;
  }
  detail("%ld opens/stats through a swapped symlink, host marker never reached", opens);
  return BLOCKED;
}

// Served calls interrupted by a storm of signals must still give right answers (or EINTR).
static volatile long g_storm_wrong, g_storm_calls, g_storm_eintr;
static volatile int g_storm_stop;
static ino_t g_passwd_ino;
static char g_storm_first[96];  // the first wrong result, for the detail

static void storm_wrong(const char* what, int err) {
  ++g_storm_wrong;
  if (!g_storm_first[0]) snprintf(g_storm_first, sizeof(g_storm_first), "%s: %s", what, strerrorname_np(err));
}

static void on_usr1(int sig) { (void)sig; }

static void* storm_worker(void* arg) {
  (void)arg;
  while (!g_storm_stop) {
    int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
    ++g_storm_calls;
    if (fd < 0) {
      if (errno == EINTR) ++g_storm_eintr;
      else storm_wrong("open", errno);
      continue;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) storm_wrong("fstat", errno);
    else if (st.st_ino != g_passwd_ino) storm_wrong("open gave another file", 0);
    close(fd);
    if (stat("/etc/passwd", &st) == 0) {
      if (st.st_ino != g_passwd_ino) storm_wrong("stat of another file", 0);
    } else if (errno != EINTR) {
      storm_wrong("stat", errno);
    }
  }
  return NULL;
}

static enum outcome a_signal_storm(void) {
  struct stat st;
  if (stat("/etc/passwd", &st) != 0) {
    detail("no /etc/passwd");
    return ERROR;
  }
  g_passwd_ino = st.st_ino;
  struct sigaction sa = {.sa_handler = on_usr1};  // no SA_RESTART: interrupted calls show EINTR
  sigaction(SIGUSR1, &sa, NULL);
  pthread_t workers[2];
  for (int i = 0; i < 2; ++i) pthread_create(&workers[i], NULL, storm_worker, NULL);
  long sent = 0;
  time_t end = time(NULL) + 3;
  while (time(NULL) < end) {
    for (int i = 0; i < 2; ++i) pthread_kill(workers[i], SIGUSR1);
    sent += 2;
  }
  g_storm_stop = 1;
  for (int i = 0; i < 2; ++i) pthread_join(workers[i], NULL);
  detail("%ld signals, %ld calls, %ld EINTR, %ld wrong results%s%s", sent, g_storm_calls, g_storm_eintr,
         g_storm_wrong, g_storm_wrong ? ", first: " : "", g_storm_first);
  return g_storm_wrong ? ALLOWED : BLOCKED;
}

// ---- the table ----

struct attempt {
  const char* name;
  enum expect expect;
  enum outcome (*fn)(void);
  const char* what;
};

static const struct attempt kAttempts[] = {
    {"mount_tmpfs", MUST_BLOCK, a_mount_tmpfs, "mount(2) a tmpfs"},
    {"mount_fsopen", MUST_BLOCK, a_mount_newapi, "new mount API: fsopen(\"tmpfs\")"},
    {"remount_root", MUST_BLOCK, a_remount_root_rw, "remount / (MS_REMOUNT|MS_BIND)"},
    {"unshare_userns", MUST_BLOCK, a_unshare_userns, "unshare(CLONE_NEWUSER)"},
    {"userns_mount", MUST_BLOCK, a_userns_mount, "mount inside a new user+mount namespace"},
    {"unshare_ns", MUST_BLOCK, a_unshare_other, "unshare of mnt/net/pid/uts/ipc/cgroup/time"},
    {"setns", MUST_BLOCK, a_setns, "setns(2) into a namespace"},
    {"clone_newuser", MUST_BLOCK, a_clone_newuser, "clone(CLONE_NEWUSER)"},
    {"clone3_ns", MUST_BLOCK, a_clone3_ns, "clone3 with namespace flags (args not filterable)"},
    {"module_load", MUST_BLOCK, a_module, "init_module/finit_module"},
    {"kexec", MUST_BLOCK, a_kexec, "kexec_load"},
    {"reboot", MUST_BLOCK, a_reboot, "reboot(2)"},
    {"swapon", MUST_BLOCK, a_swapon, "swapon(2)"},
    {"keyctl", MUST_BLOCK, a_keyctl, "kernel keyring (keyctl)"},
    {"bpf", MUST_BLOCK, a_bpf, "bpf(BPF_MAP_CREATE)"},
    {"perf_event_open", MUST_BLOCK, a_perf, "perf_event_open on self"},
    {"userfaultfd", MUST_BLOCK, a_userfaultfd, "userfaultfd (also user-mode-only)"},
    {"io_uring", MUST_BLOCK, a_io_uring, "io_uring_setup (bypasses per-syscall filtering)"},
    {"host_pids", MUST_BLOCK, a_host_pids, "processes outside the container visible (/proc, kill 0 probe)"},
    {"ptrace_foreign", MUST_BLOCK, a_ptrace_foreign, "ptrace/pidfd_getfd of a foreign process (sentry, shim)"},
    {"vm_readv_foreign", MUST_BLOCK, a_vm_readv_foreign, "process_vm_readv or /proc/PID/mem of a foreign process"},
    {"proc_foreign", MUST_BLOCK, a_proc_foreign, "/proc/PID links, environ, maps, fds of a foreign process"},
    {"ptrace_suspend_seccomp", MUST_BLOCK, a_ptrace_suspend_seccomp, "a tracer in the sandbox turns its tracee's filters off"},
    {"ptrace_rewrite_call", MUST_BLOCK, a_ptrace_rewrite_call, "a tracer rewrites an allowed call into unshare(CLONE_NEWUSER)"},
    {"sock_raw", MUST_BLOCK, a_sock_raw, "raw IP socket"},
    {"sock_packet", MUST_BLOCK, a_sock_packet, "AF_PACKET socket"},
    {"sock_alg", MUST_BLOCK, a_sock_alg, "AF_ALG (kernel crypto) socket"},
    {"sock_vsock", MUST_BLOCK, a_sock_vsock, "AF_VSOCK socket"},
    {"host_sockets", MUST_BLOCK, a_host_sockets, "connect to containerd/shim/abstract unix sockets"},
    {"cloud_metadata", MUST_BLOCK, a_cloud_metadata, "connect to 169.254.169.254:80"},
    {"sa_token", MUST_BLOCK, a_sa_token, "service-account token readable"},
    {"mknod_block", MUST_BLOCK, a_mknod_block, "mknod of a block device (8:0)"},
    {"open_by_handle", MUST_BLOCK, a_open_by_handle, "open_by_handle_at (shocker)"},
    {"i386_entry", MUST_BLOCK, a_i386_entry, "int $0x80 (i386 entry) from a 64-bit process"},
    {"x32_entry", MUST_BLOCK, a_x32_entry, "x32 syscall (nr | 0x40000000)"},
    {"personality", MUST_BLOCK, a_personality, "personality(READ_IMPLIES_EXEC|ADDR_NO_RANDOMIZE|MMAP_PAGE_ZERO)"},
    {"page_zero", MUST_BLOCK, a_page_zero, "mmap at address 0"},
    {"proc_sys_write", MUST_BLOCK, a_proc_sys, "open /proc/sys (core_pattern, drop_caches, modprobe) for write"},
    {"sysrq_trigger", MUST_BLOCK, a_proc_sysrq, "open /proc/sysrq-trigger for write"},
    {"sys_write", MUST_BLOCK, a_sys_write, "open /sys (uevent_helper, power/state) for write"},
    {"proc_kcore", MUST_BLOCK, a_kcore, "read /proc/kcore"},
    {"kallsyms", MUST_BLOCK, a_kallsyms, "kernel addresses in /proc/kallsyms"},
    {"mountinfo_host_paths", MUST_BLOCK, a_mountinfo, "/proc/self/mountinfo shows host paths"},
    {"leaked_fds", MUST_BLOCK, a_leaked_fds, "fds >2 inherited from the runtime"},
    {"host_cwd", MUST_BLOCK, a_host_cwd, "cwd or an fd is a host directory (CVE-2024-21626)"},
    {"exe_foreign", MUST_BLOCK, a_exe_foreign, "/proc/PID/exe of a runtime process writable (CVE-2019-5736)"},
    {"release_agent", MUST_BLOCK, a_release_agent, "cgroup v1 release_agent writable (CVE-2022-0492)"},
    {"nested_seccomp_listener", MUST_BLOCK, a_nested_listener, "seccomp user-notify listener inside the sandbox"},
    {"path_swap_race", MUST_BLOCK, a_path_swap_race, "open through a symlink swapped by another thread reaches a host file"},
    // INFO until served calls are uninterruptible once received (SECCOMP_FILTER_FLAG_
    // WAIT_KILLABLE_RECV, which also changes how a blocked FIFO open reacts to signals): a served
    // stat interrupted by a signal returns EINTR where Linux never does. A correctness gap, not an
    // escape; the sentry itself survives (sandbox_survives).
    {"signal_storm", INFO, a_signal_storm, "signal storm on threads in served calls: wrong results"},
    {"tiocsti", MUST_BLOCK, a_tiocsti, "TIOCSTI on the controlling tty"},
    {"tiocsti_high_bits", MUST_BLOCK, a_tiocsti_high, "TIOCSTI with bit 32 set in the command"},
};

static enum outcome run_attempt(const struct attempt* a) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return ERROR;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    alarm(60);
    g_detail[0] = 0;
    enum outcome r = a->fn();
    ssize_t w = write(pipefd[1], g_detail, strlen(g_detail));
    (void)w;
    _exit(r);
  }
  close(pipefd[1]);
  char buf[sizeof(g_detail)];
  ssize_t total = 0, n;
  while ((n = read(pipefd[0], buf + total, sizeof(buf) - 1 - total)) > 0) total += n;
  buf[total] = 0;
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  // Kill whatever the attempt left running (fork bombs, helper threads' children).
  enum outcome r;
  if (WIFEXITED(status) && WEXITSTATUS(status) <= ERROR) {
    r = (enum outcome)WEXITSTATUS(status);
    snprintf(g_detail, sizeof(g_detail), "%s", buf);
  } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
    r = BLOCKED;
    snprintf(g_detail, sizeof(g_detail), "killed by SIGSYS (%s)", buf[0] ? buf : "filter");
  } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    r = ERROR;
    snprintf(g_detail, sizeof(g_detail), "timed out after 60 s %s", buf);
  } else {
    r = ERROR;
    snprintf(g_detail, sizeof(g_detail), "attempt died: status 0x%x %s", status, buf);
  }
  return r;
}

static void print_result(const char* name, enum expect e, enum outcome r, const char* d) {
  char clean[sizeof(g_detail)];
  size_t j = 0;
  for (size_t i = 0; d[i] && j + 1 < sizeof(clean); ++i) clean[j++] = (d[i] == '\t' || d[i] == '\n' || d[i] == '|') ? ' ' : d[i];
  clean[j] = 0;
  printf("ATTEMPT\t%s\t%s\t%s\t%s\n", name, e == MUST_BLOCK ? "BLOCKED" : "INFO", kOutcomeName[r], clean);
  fflush(stdout);
}

// ---- driver-assisted modes ----

static int watch_exe(int seconds) {
  pid_t self = getpid();
  time_t end = time(NULL) + seconds;
  long seen = 0, host_readable = 0, host_writable = 0;
  char first[256] = "";
  static unsigned char tried[1 << 16];
  while (time(NULL) < end) {
    DIR* d = opendir("/proc");
    struct dirent* e;
    while (d && (e = readdir(d)) != NULL) {
      pid_t pid = atoi(e->d_name);
      if (pid <= 0 || pid == self || pid >= (1 << 16)) continue;
      // Retry each pid a few times: the window is between its creation and its execve.
      if (tried[pid] >= 50) continue;
      ++tried[pid];
      if (tried[pid] == 1) ++seen;
      char what[192];
      if (exe_writable(pid, what, sizeof(what))) {
        ++host_writable;
        if (!first[0]) snprintf(first, sizeof(first), "pid %d %s", pid, what);
      } else if (strstr(what, "host file")) {
        ++host_readable;
        if (!first[0]) snprintf(first, sizeof(first), "pid %d %s", pid, what);
      }
    }
    if (d) closedir(d);
  }
  enum outcome r = host_writable ? ALLOWED : BLOCKED;
  char d[sizeof(g_detail)];
  snprintf(d, sizeof(d), "%ld new processes watched during execs; host exe writable %ld, readable %ld%s%s",
           seen, host_writable, host_readable, first[0] ? "; e.g. " : "", first);
  print_result("exe_overwrite_exec_race", MUST_BLOCK, r, d);
  return 0;
}

static int swap(const char* path, const char* target, int seconds) {
  time_t end = time(NULL) + seconds;
  long swaps = 0;
  char tmp[512];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  while (time(NULL) < end) {
    // A directory, then atomically a symlink, then a directory again.
    mkdir(path, 0755);
    unlink(tmp);
    symlink(target, tmp);
    rmdir(path);
    rename(tmp, path);
    unlink(path);
    ++swaps;
  }
  mkdir(path, 0755);
  printf("SWAPS\t%ld\n", swaps);
  return 0;
}

static int check_masked(void) {
  static const char* kMasked[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                                  "/proc/acpi", "/proc/scsi", "/sys/firmware", "/proc/latency_stats",
                                  "/proc/timer_stats"};
  enum outcome r = BLOCKED;
  g_detail[0] = 0;
  for (size_t i = 0; i < sizeof(kMasked) / sizeof(kMasked[0]); ++i) {
    struct stat st;
    if (lstat(kMasked[i], &st) != 0) continue;
    int fd = open(kMasked[i], O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      // /dev/null itself is the mask; anything else that opens for writing is not masked.
      struct stat f;
      fstat(fd, &f);
      if (!(S_ISCHR(f.st_mode) && f.st_rdev == makedev(1, 3))) {
        append("%s writable (not /dev/null: mode 0%o rdev %u:%u); ", kMasked[i], f.st_mode,
               major(f.st_rdev), minor(f.st_rdev));
        r = ALLOWED;
      }
      close(fd);
    }
    if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) {
      ssize_t len = 0;
      char* s = read_file(kMasked[i], 256, &len);
      if (s && len > 0) {
        append("%s readable (%zd bytes); ", kMasked[i], len);
        r = ALLOWED;
      }
      free(s);
    }
  }
  if (r == BLOCKED) detail("every masked path empty and unwritable");
  print_result("masked_paths", MUST_BLOCK, r, g_detail);
  return 0;
}

static volatile sig_atomic_t g_go;
static void on_go(int sig) { (void)sig; g_go = 1; }

static int fork_bomb(int limit) {
  signal(SIGUSR1, on_go);
  printf("READY\n");
  fflush(stdout);
  while (!g_go) pause();
  int pgid_pipe[2];
  if (pipe(pgid_pipe) != 0) return 1;
  pid_t leader = fork();
  if (leader == 0) {
    setpgid(0, 0);
    long made = 0;
    int err = 0;
    // Stop at 4 x the limit so a missing limit is reported without exhausting the host.
    while (made < 4L * limit) {
      pid_t c = fork();
      if (c == 0) { pause(); _exit(0); }
      if (c < 0) { err = errno; break; }
      ++made;
    }
    ssize_t w = write(pgid_pipe[1], &made, sizeof(made));
    w = write(pgid_pipe[1], &err, sizeof(err));
    (void)w;
    pause();
    _exit(0);
  }
  long made = 0;
  int err = 0;
  ssize_t r1 = read(pgid_pipe[0], &made, sizeof(made));
  ssize_t r2 = read(pgid_pipe[0], &err, sizeof(err));
  (void)r1; (void)r2;
  kill(-leader, SIGKILL);
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
  }
  char d[256];
  snprintf(d, sizeof(d), "pids.max %d: %ld forks before refusal (%s)", limit, made,
           err ? strerrorname_np(err) : "never refused");
  print_result("fork_bomb", MUST_BLOCK, (err && made < limit) ? BLOCKED : ALLOWED, d);
  return 0;
}

int main(int argc, char** argv) {
  record_startup_fds();
  g_main_pid = getpid();
  stat("/", &g_root);
  record_startup_cwd();
  if (chdir("/") != 0) return 1;
  g_marker = getenv("SEE_BATTERY_MARKER");
  setvbuf(stdout, NULL, _IOLBF, 0);

  const char* only = NULL;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--list")) {
      for (size_t k = 0; k < sizeof(kAttempts) / sizeof(kAttempts[0]); ++k)
        printf("%s\t%s\t%s\n", kAttempts[k].name, kAttempts[k].expect == MUST_BLOCK ? "BLOCKED" : "INFO",
               kAttempts[k].what);
      return 0;
    }
    if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else if (!strcmp(argv[i], "--pids") && i + 1 < argc) g_pids = argv[++i];
    else if (!strcmp(argv[i], "--watch-exe") && i + 1 < argc) return watch_exe(atoi(argv[i + 1]));
    else if (!strcmp(argv[i], "--swap") && i + 3 < argc) return swap(argv[i + 1], argv[i + 2], atoi(argv[i + 3]));
    else if (!strcmp(argv[i], "--check-masked")) return check_masked();
    else if (!strcmp(argv[i], "--fork-bomb") && i + 1 < argc) return fork_bomb(atoi(argv[i + 1]));
    else {
      fprintf(stderr, "usage: see the comment at the top of attacks.c\n");
      return 2;
    }
  }
  // The battery's own children must be reaped even when an attempt orphans some.
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  // Canary: a served call that must keep working. An attempt after which it fails took the
  // sandbox down (fail-closed, but a denial of service, and later rows would be meaningless).
  int canary_ok = access("/etc/passwd", R_OK) == 0;
  const char* broken_by = NULL;
  for (size_t k = 0; k < sizeof(kAttempts) / sizeof(kAttempts[0]); ++k) {
    const struct attempt* a = &kAttempts[k];
    if (only) {
      char want[64];
      snprintf(want, sizeof(want), ",%s,", a->name);
      char list[1024];
      snprintf(list, sizeof(list), ",%s,", only);
      if (!strstr(list, want)) continue;
    }
    enum outcome r = run_attempt(a);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    print_result(a->name, a->expect, r, g_detail);
    if (canary_ok && !broken_by && access("/etc/passwd", R_OK) != 0) broken_by = a->name;
  }
  if (!only) {
    char d[256];
    if (broken_by) snprintf(d, sizeof(d), "served calls fail (%s) after attempt %s", strerror(errno), broken_by);
    else snprintf(d, sizeof(d), canary_ok ? "served calls still work after every attempt" : "canary unusable");
    print_result("sandbox_survives", MUST_BLOCK, broken_by ? ALLOWED : BLOCKED, d);
  }
  printf("DONE\n");
  return 0;
}
