#include "sentry-lite/syscalls/syscall_table.h"

#include <asm/ioctls.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace see::sentry {
namespace {

using Op = ArgTest::Op;

ArgTest Eq(uint8_t arg, uint32_t value) { return {arg, 0xffffffffu, Op::kEq, value}; }
ArgTest MaskedEq(uint8_t arg, uint32_t mask, uint32_t value) { return {arg, mask, Op::kEq, value}; }
ArgTest AnySet(uint8_t arg, uint32_t mask) { return {arg, mask, Op::kNe, 0}; }

ArgRule Allow(std::vector<ArgTest> tests) { return {std::move(tests), true, 0}; }
ArgRule Refuse(std::vector<ArgTest> tests, int err = EPERM) { return {std::move(tests), false, err}; }

// Namespaces belong to the runtime; a new one inside the pod would give the caller a fresh
// user ns with full capabilities over it (the classic unprivileged-userns attack surface).
constexpr uint32_t kCloneNamespaceFlags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                                          CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |
                                          CLONE_NEWTIME;

std::vector<ArgRule> CloneRules() { return {Refuse({AnySet(0, kCloneNamespaceFlags)})}; }

// Terminal ioctls that reach beyond the caller: TIOCSTI injects input into a terminal another
// process reads, TIOCLINUX drives the host console, TIOCCONS redirects the console, TIOCSETD can
// autoload line-discipline modules.
std::vector<ArgRule> IoctlRules() {
  return {Refuse({Eq(1, TIOCSTI)}), Refuse({Eq(1, TIOCLINUX)}), Refuse({Eq(1, TIOCCONS)}),
          Refuse({Eq(1, TIOCSETD)})};
}

constexpr uint32_t kSockTypeMask = 0xf;  // SOCK_NONBLOCK/SOCK_CLOEXEC live above it

// Refusals answer as a kernel would that lacks the capability or the feature, so that programs
// probing for an optional one carry on: another netlink protocol is EPROTONOSUPPORT (libpam and
// libaudit then treat audit as not built in; with EPERM `su` fails with "System error"), packet
// and raw sockets EPERM (as without CAP_NET_RAW), any other family EAFNOSUPPORT (the row's
// fallback: AF_ALG, AF_VSOCK, AF_KEY, ...).
std::vector<ArgRule> SocketRules() {
  return {
      Allow({Eq(0, AF_NETLINK), Eq(2, NETLINK_ROUTE)}),
      Refuse({Eq(0, AF_NETLINK)}, EPROTONOSUPPORT),
      Refuse({Eq(0, AF_PACKET)}),
      Refuse({MaskedEq(1, kSockTypeMask, SOCK_RAW)}),
      Refuse({MaskedEq(1, kSockTypeMask, SOCK_PACKET)}),
      Allow({Eq(0, AF_UNIX)}),
      Allow({Eq(0, AF_INET)}),
      Allow({Eq(0, AF_INET6)}),
  };
}

std::vector<ArgRule> SocketPairRules() { return {Allow({Eq(0, AF_UNIX)})}; }

std::vector<ArgRule> FcntlRules() {
  std::vector<ArgRule> r;
  for (uint32_t cmd : {F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW,
                       F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX,
                       F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE, F_GETLEASE, F_NOTIFY,
                       F_DUPFD_CLOEXEC, F_SETPIPE_SZ, F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS,
                       F_GET_RW_HINT, F_SET_RW_HINT, F_GET_FILE_RW_HINT, F_SET_FILE_RW_HINT}) {
    r.push_back(Allow({Eq(1, cmd)}));
  }
  return r;
}

// Options that act on the caller only. PR_SET_MM (rewrites mm fields), PR_SET_PTRACER and
// unknown future options are refused.
std::vector<ArgRule> PrctlRules() {
  std::vector<ArgRule> r;
  for (uint32_t opt :
       {PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_KEEPCAPS,
        PR_SET_KEEPCAPS, PR_SET_NAME, PR_GET_NAME, PR_GET_SECCOMP, PR_SET_SECCOMP,
        PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_GET_TIMERSLACK,
        PR_SET_TIMERSLACK, PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS,
        PR_GET_NO_NEW_PRIVS, PR_GET_TID_ADDRESS, PR_SET_THP_DISABLE, PR_GET_THP_DISABLE,
        PR_CAP_AMBIENT, PR_GET_SPECULATION_CTRL, PR_SET_SPECULATION_CTRL, PR_SET_VMA,
        PR_GET_TSC, PR_SET_TSC, PR_GET_TIMING, PR_GET_ENDIAN, PR_GET_FPEMU, PR_GET_FPEXC,
        PR_MCE_KILL, PR_MCE_KILL_GET, PR_SET_IO_FLUSHER, PR_GET_IO_FLUSHER}) {
    r.push_back(Allow({Eq(0, opt)}));
  }
  return r;
}

// glibc (2.33+) makes every fstat(2) a newfstatat(fd, "", AT_EMPTY_PATH), and statx(fd, "",
// AT_EMPTY_PATH) is how newer code asks for an fd's attributes: a third of the path calls of a
// Python import. BPF cannot read the string, so the flag decides: with AT_EMPTY_PATH the call runs
// natively, a non-empty path included. Such a walk is the kernel's, in the caller's own mount
// namespace, below its own root, with its own credentials, and it yields metadata only (no fd):
// what the kernel enforces anyway (security model point 3). When the sentry served the fd stat
// and CONTINUEd it, a thread rewriting the string after it was read got exactly this walk.
std::vector<ArgRule> FdStatRules(uint8_t flags_arg) { return {Allow({AnySet(flags_arg, AT_EMPTY_PATH)})}; }

constexpr std::string_view kFdStatNote =
    "stat by path; with AT_EMPTY_PATH (an fd stat: glibc fstat()) native, the kernel's walk in the "
    "caller's root";

// Docker's list: the execution domains programs really use, plus the 0xffffffff query.
std::vector<ArgRule> PersonalityRules() {
  std::vector<ArgRule> r;
  for (uint32_t p : {uint32_t{PER_LINUX}, uint32_t{PER_LINUX32}, uint32_t{UNAME26},
                     uint32_t{UNAME26} | uint32_t{PER_LINUX32}, 0xffffffffu}) {
    r.push_back(Allow({Eq(0, p)}));
  }
  return r;
}

// seccomp(2) inside the pod: stacking a filter can only restrict (the kernel runs every filter and
// the most restrictive action wins), so SET_MODE_FILTER is allowed. A nested filter with
// NEW_LISTENER is refused: for equal USER_NOTIF actions the kernel notifies the most recently
// installed filter, so a nested listener could take over the sentry's notifications and answer
// CONTINUE, running path syscalls natively. Without a listener, a nested USER_NOTIF is ENOSYS.
std::vector<ArgRule> SeccompRules() {
  return {
      Refuse({Eq(0, SECCOMP_SET_MODE_FILTER), AnySet(1, SECCOMP_FILTER_FLAG_NEW_LISTENER)}),
      Allow({Eq(0, SECCOMP_SET_MODE_STRICT)}),
      Allow({Eq(0, SECCOMP_SET_MODE_FILTER)}),
      Allow({Eq(0, SECCOMP_GET_ACTION_AVAIL)}),
      Allow({Eq(0, SECCOMP_GET_NOTIF_SIZES)}),
  };
}

// Tracing inside the pod (strace, gdb, py-spy) is the kernel's to check, with the caller's
// credentials, as under runc: since Linux 4.8 seccomp runs after a tracer's syscall-entry stop (a
// rewritten call goes through the tracee's filters, SECCOMP_RET_TRACE rechecks), a tracer under
// seccomp may not set PTRACE_O_SUSPEND_SECCOMP, and the sentry and the pod init are not dumpable,
// their memory the host's, and outside every pod's pid namespace (docs/security-model.md).
constexpr std::string_view kPtraceNote =
    "the kernel's ptrace checks with the caller's credentials; a tracer's rewrites still pass the "
    "tracee's filters (Linux >= 4.8), no PTRACE_O_SUSPEND_SECCOMP under seccomp; the sentry is not "
    "dumpable";

// A Landlock domain lives in the caller's credentials, which the sentry's served path calls do not
// carry (it takes ids and capabilities only): a ruleset would restrict native calls and not served
// ones. Refused as a kernel without Landlock refuses it, so programs know they are not sandboxed.
constexpr std::string_view kLandlockNote =
    "as a kernel without Landlock (EOPNOTSUPP): served path calls would not carry the caller's domain";

// Credential changes are the kernel's to enforce; they are notified only so the sentry forgets the
// thread's cached identity before the change (fs/credentials.h CredentialsCache), then CONTINUE.
constexpr std::string_view kCredentialAudit =
    "audited: the sentry drops the thread's cached identity, then CONTINUE (the kernel enforces it)";

SyscallRow Host(int nr, std::string_view name, std::string_view note) {
  return {nr, name, SyscallClass::kHost, 0, {}, true, note};
}
SyscallRow HostIf(int nr, std::string_view name, std::vector<ArgRule> rules,
                  std::string_view note) {
  // fcntl's unknown commands and socket's unknown families fail as the kernel would fail them.
  int err = name == "fcntl" ? EINVAL : name == "socket" ? EAFNOSUPPORT : EPERM;
  bool fallback_allow = name == "clone" || name == "ioctl";
  return {nr, name, SyscallClass::kHost, err, std::move(rules), fallback_allow, note};
}
SyscallRow Sentry(int nr, std::string_view name, std::string_view note) {
  return {nr, name, SyscallClass::kSentry, 0, {}, true, note};
}
// A sentry row whose calls run natively when one of `rules` (all allowing) holds.
SyscallRow SentryUnless(int nr, std::string_view name, std::vector<ArgRule> rules,
                        std::string_view note) {
  return {nr, name, SyscallClass::kSentry, 0, std::move(rules), true, note};
}
SyscallRow Deny(int nr, std::string_view name, int err, std::string_view note) {
  return {nr, name, SyscallClass::kDeny, err, {}, false, note};
}
SyscallRow Gap(int nr) {
  return {nr, "", SyscallClass::kDeny, ENOSYS, {}, false, "unassigned on x86-64"};
}

std::vector<SyscallRow> BuildTable() {
  std::vector<SyscallRow> rows = {
  Host(0, "read", "hot path"),
  Host(1, "write", "hot path"),
  Sentry(2, "open", "path open, resolved in the container view"),
  Host(3, "close", "hot path"),
  Sentry(4, "stat", "path stat"),
  Host(5, "fstat", "fd-based"),
  Sentry(6, "lstat", "path stat, no follow"),
  Host(7, "poll", "no argument widens it"),
  Host(8, "lseek", "no argument widens it"),
  Host(9, "mmap", "hot path"),
  Host(10, "mprotect", "no argument widens it"),
  Host(11, "munmap", "no argument widens it"),
  Host(12, "brk", "no argument widens it"),
  Host(13, "rt_sigaction", "no argument widens it"),
  Host(14, "rt_sigprocmask", "no argument widens it"),
  Host(15, "rt_sigreturn", "no argument widens it"),
  HostIf(16, "ioctl", IoctlRules(), "command (low 32 bits) checked: no TIOCSTI/TIOCLINUX/TIOCCONS/TIOCSETD"),
  Host(17, "pread64", "no argument widens it"),
  Host(18, "pwrite64", "no argument widens it"),
  Host(19, "readv", "no argument widens it"),
  Host(20, "writev", "no argument widens it"),
  Sentry(21, "access", "path access check with real ids"),
  Host(22, "pipe", "no argument widens it"),
  Host(23, "select", "no argument widens it"),
  Host(24, "sched_yield", "no argument widens it"),
  Host(25, "mremap", "no argument widens it"),
  Host(26, "msync", "no argument widens it"),
  Host(27, "mincore", "no argument widens it"),
  Host(28, "madvise", "no argument widens it"),
  Host(29, "shmget", "no argument widens it"),
  Host(30, "shmat", "no argument widens it"),
  Host(31, "shmctl", "no argument widens it"),
  Host(32, "dup", "no argument widens it"),
  Host(33, "dup2", "no argument widens it"),
  Host(34, "pause", "no argument widens it"),
  Host(35, "nanosleep", "no argument widens it"),
  Host(36, "getitimer", "no argument widens it"),
  Host(37, "alarm", "no argument widens it"),
  Host(38, "setitimer", "no argument widens it"),
  Host(39, "getpid", "no argument widens it"),
  Host(40, "sendfile", "no argument widens it"),
  HostIf(41, "socket", SocketRules(), "AF_UNIX/AF_INET/AF_INET6 (SOCK_RAW, SOCK_PACKET, AF_PACKET: EPERM) and AF_NETLINK with NETLINK_ROUTE only (other protocols: EPROTONOSUPPORT)"),
  Host(42, "connect", "the caller's own: an AF_UNIX path is walked by the kernel in the caller's root with its identity, and the server's SO_PEERCRED is the caller (a connect made by the sentry showed the sentry's ids and pid)"),
  Host(43, "accept", "no argument widens it"),
  Host(44, "sendto", "no argument widens it"),
  Host(45, "recvfrom", "no argument widens it"),
  Host(46, "sendmsg", "no argument widens it"),
  Host(47, "recvmsg", "no argument widens it"),
  Host(48, "shutdown", "no argument widens it"),
  Sentry(49, "bind", "AF_UNIX paths resolved in the container view; other families bound on the caller socket"),
  Host(50, "listen", "no argument widens it"),
  Host(51, "getsockname", "no argument widens it"),
  Host(52, "getpeername", "no argument widens it"),
  HostIf(53, "socketpair", SocketPairRules(), "AF_UNIX only"),
  Host(54, "setsockopt", "no argument widens it"),
  Host(55, "getsockopt", "no argument widens it"),
  HostIf(56, "clone", CloneRules(), "flags checked: no CLONE_NEW* (namespaces are the runtime's)"),
  Host(57, "fork", "no argument widens it"),
  Host(58, "vfork", "no argument widens it"),
  Sentry(59, "execve", "path checked in the container view, then CONTINUE (kernel enforces root/mount ns); the thread group's cached identities are dropped after that check, before the answer"),
  Host(60, "exit", "no argument widens it"),
  Host(61, "wait4", "no argument widens it"),
  Host(62, "kill", "confined by the pod pid ns"),
  Host(63, "uname", "no argument widens it"),
  Host(64, "semget", "no argument widens it"),
  Host(65, "semop", "no argument widens it"),
  Host(66, "semctl", "no argument widens it"),
  Host(67, "shmdt", "no argument widens it"),
  Host(68, "msgget", "no argument widens it"),
  Host(69, "msgsnd", "no argument widens it"),
  Host(70, "msgrcv", "no argument widens it"),
  Host(71, "msgctl", "no argument widens it"),
  HostIf(72, "fcntl", FcntlRules(), "known commands only (EINVAL otherwise, as the kernel)"),
  Host(73, "flock", "no argument widens it"),
  Host(74, "fsync", "no argument widens it"),
  Host(75, "fdatasync", "no argument widens it"),
  Sentry(76, "truncate", "truncate by path"),
  Host(77, "ftruncate", "no argument widens it"),
  Host(78, "getdents", "no argument widens it"),
  Host(79, "getcwd", "the kernel reports the cwd relative to the caller root"),
  Sentry(80, "chdir", "path checked in the container view, then CONTINUE (kernel confines cwd to the caller root)"),
  Host(81, "fchdir", "fd-based"),
  Sentry(82, "rename", "rename by path"),
  Sentry(83, "mkdir", "mkdir by path"),
  Sentry(84, "rmdir", "rmdir by path"),
  Sentry(85, "creat", "open(O_CREAT|O_WRONLY|O_TRUNC)"),
  Sentry(86, "link", "hard link by path"),
  Sentry(87, "unlink", "unlink by path"),
  Sentry(88, "symlink", "symlink by path"),
  Sentry(89, "readlink", "readlink by path"),
  Sentry(90, "chmod", "chmod by path"),
  Host(91, "fchmod", "no argument widens it"),
  Sentry(92, "chown", "chown by path"),
  Host(93, "fchown", "no argument widens it"),
  Sentry(94, "lchown", "chown by path, no follow"),
  Sentry(95, "umask", "audited: the sentry marks cached umasks stale until the change is done, then CONTINUE (a umask decides no access); creates then trust a cached umask instead of reading /proc"),
  Host(96, "gettimeofday", "no argument widens it"),
  Host(97, "getrlimit", "no argument widens it"),
  Host(98, "getrusage", "no argument widens it"),
  Sentry(99, "sysinfo", "memory, procs, uptime and loads from the pod's cgroup view"),
  Host(100, "times", "no argument widens it"),
  Host(101, "ptrace", kPtraceNote),
  Host(102, "getuid", "no argument widens it"),
  Deny(103, "syslog", EPERM, "host kernel log"),
  Host(104, "getgid", "no argument widens it"),
  Sentry(105, "setuid", kCredentialAudit),
  Sentry(106, "setgid", kCredentialAudit),
  Host(107, "geteuid", "no argument widens it"),
  Host(108, "getegid", "no argument widens it"),
  Host(109, "setpgid", "no argument widens it"),
  Host(110, "getppid", "no argument widens it"),
  Host(111, "getpgrp", "no argument widens it"),
  Host(112, "setsid", "no argument widens it"),
  Sentry(113, "setreuid", kCredentialAudit),
  Sentry(114, "setregid", kCredentialAudit),
  Host(115, "getgroups", "no argument widens it"),
  Sentry(116, "setgroups", kCredentialAudit),
  Sentry(117, "setresuid", kCredentialAudit),
  Host(118, "getresuid", "no argument widens it"),
  Sentry(119, "setresgid", kCredentialAudit),
  Host(120, "getresgid", "no argument widens it"),
  Host(121, "getpgid", "no argument widens it"),
  Sentry(122, "setfsuid", kCredentialAudit),
  Sentry(123, "setfsgid", kCredentialAudit),
  Host(124, "getsid", "no argument widens it"),
  Host(125, "capget", "no argument widens it"),
  Sentry(126, "capset", kCredentialAudit),
  Host(127, "rt_sigpending", "no argument widens it"),
  Host(128, "rt_sigtimedwait", "no argument widens it"),
  Host(129, "rt_sigqueueinfo", "no argument widens it"),
  Host(130, "rt_sigsuspend", "no argument widens it"),
  Host(131, "sigaltstack", "no argument widens it"),
  Sentry(132, "utime", "times by path"),
  Sentry(133, "mknod", "mknod by path; a character device is continued (CAP_MKNOD and the devices cgroup are the kernel's), block devices refused"),
  Deny(134, "uselib", ENOSYS, "a.out loader, obsolete"),
  HostIf(135, "personality", PersonalityRules(), "PER_LINUX, PER_LINUX32, UNAME26 and the query only"),
  Deny(136, "ustat", EPERM, "obsolete, leaks host device info"),
  Sentry(137, "statfs", "statfs by path"),
  Host(138, "fstatfs", "no argument widens it"),
  Deny(139, "sysfs", EPERM, "obsolete filesystem type query"),
  Host(140, "getpriority", "no argument widens it"),
  Host(141, "setpriority", "no argument widens it"),
  Host(142, "sched_setparam", "no argument widens it"),
  Host(143, "sched_getparam", "no argument widens it"),
  Host(144, "sched_setscheduler", "no argument widens it"),
  Host(145, "sched_getscheduler", "no argument widens it"),
  Host(146, "sched_get_priority_max", "no argument widens it"),
  Host(147, "sched_get_priority_min", "no argument widens it"),
  Host(148, "sched_rr_get_interval", "no argument widens it"),
  Host(149, "mlock", "no argument widens it"),
  Host(150, "munlock", "no argument widens it"),
  Host(151, "mlockall", "no argument widens it"),
  Host(152, "munlockall", "no argument widens it"),
  Deny(153, "vhangup", EPERM, "host terminal control"),
  Deny(154, "modify_ldt", EPERM, "LDT: kernel attack surface, no modern user"),
  Deny(155, "pivot_root", EPERM, "the runtime set up the root; the pod may not change it"),
  Deny(156, "_sysctl", ENOSYS, "removed from Linux"),
  HostIf(157, "prctl", PrctlRules(), "allowlisted options only"),
  Host(158, "arch_prctl", "no argument widens it"),
  Deny(159, "adjtimex", EPERM, "host clock"),
  Host(160, "setrlimit", "no argument widens it"),
  Sentry(161, "chroot", "path checked in the caller's view, then CONTINUE (the kernel checks CAP_SYS_CHROOT); later calls resolve in the caller's root, which must lie inside the container's"),
  Host(162, "sync", "no argument widens it"),
  Deny(163, "acct", EPERM, "host accounting"),
  Deny(164, "settimeofday", EPERM, "host clock"),
  Deny(165, "mount", EPERM, "mounts are prepared by the shim/runtime"),
  Deny(166, "umount2", EPERM, "mounts are prepared by the shim/runtime"),
  Deny(167, "swapon", EPERM, "host memory"),
  Deny(168, "swapoff", EPERM, "host memory"),
  Deny(169, "reboot", EPERM, "host power"),
  Deny(170, "sethostname", EPERM, "UTS ns is the pod's, set by the runtime"),
  Deny(171, "setdomainname", EPERM, "UTS ns is the pod's, set by the runtime"),
  Deny(172, "iopl", EPERM, "raw I/O ports"),
  Deny(173, "ioperm", EPERM, "raw I/O ports"),
  Deny(174, "create_module", ENOSYS, "removed from Linux"),
  Deny(175, "init_module", EPERM, "kernel modules"),
  Deny(176, "delete_module", EPERM, "kernel modules"),
  Deny(177, "get_kernel_syms", ENOSYS, "removed from Linux"),
  Deny(178, "query_module", ENOSYS, "removed from Linux"),
  Deny(179, "quotactl", EPERM, "host quotas"),
  Deny(180, "nfsservctl", ENOSYS, "removed from Linux"),
  Deny(181, "getpmsg", ENOSYS, "never implemented"),
  Deny(182, "putpmsg", ENOSYS, "never implemented"),
  Deny(183, "afs_syscall", ENOSYS, "never implemented"),
  Deny(184, "tuxcall", ENOSYS, "never implemented"),
  Deny(185, "security", ENOSYS, "never implemented"),
  Host(186, "gettid", "no argument widens it"),
  Host(187, "readahead", "no argument widens it"),
  Sentry(188, "setxattr", "xattr by path"),
  Sentry(189, "lsetxattr", "xattr by path"),
  Host(190, "fsetxattr", "no argument widens it"),
  Sentry(191, "getxattr", "xattr by path"),
  Sentry(192, "lgetxattr", "xattr by path"),
  Host(193, "fgetxattr", "no argument widens it"),
  Sentry(194, "listxattr", "xattr by path"),
  Sentry(195, "llistxattr", "xattr by path"),
  Host(196, "flistxattr", "no argument widens it"),
  Sentry(197, "removexattr", "xattr by path"),
  Sentry(198, "lremovexattr", "xattr by path"),
  Host(199, "fremovexattr", "no argument widens it"),
  Host(200, "tkill", "no argument widens it"),
  Host(201, "time", "no argument widens it"),
  Host(202, "futex", "hot path"),
  Host(203, "sched_setaffinity", "no argument widens it"),
  Sentry(204, "sched_getaffinity", "own mask trimmed to the pod's CPU count (cgroup quota); other threads: CONTINUE (a read, no policy)"),
  Deny(205, "set_thread_area", ENOSYS, "i386 only"),
  Host(206, "io_setup", "no argument widens it"),
  Host(207, "io_destroy", "no argument widens it"),
  Host(208, "io_getevents", "no argument widens it"),
  Host(209, "io_submit", "no argument widens it"),
  Host(210, "io_cancel", "no argument widens it"),
  Deny(211, "get_thread_area", ENOSYS, "i386 only"),
  Deny(212, "lookup_dcookie", EPERM, "profiling interface"),
  Host(213, "epoll_create", "no argument widens it"),
  Deny(214, "epoll_ctl_old", ENOSYS, "never implemented on x86-64"),
  Deny(215, "epoll_wait_old", ENOSYS, "never implemented on x86-64"),
  Host(216, "remap_file_pages", "no argument widens it"),
  Host(217, "getdents64", "no argument widens it"),
  Host(218, "set_tid_address", "no argument widens it"),
  Host(219, "restart_syscall", "no argument widens it"),
  Host(220, "semtimedop", "no argument widens it"),
  Host(221, "fadvise64", "no argument widens it"),
  Host(222, "timer_create", "no argument widens it"),
  Host(223, "timer_settime", "no argument widens it"),
  Host(224, "timer_gettime", "no argument widens it"),
  Host(225, "timer_getoverrun", "no argument widens it"),
  Host(226, "timer_delete", "no argument widens it"),
  Deny(227, "clock_settime", EPERM, "host clock"),
  Host(228, "clock_gettime", "no argument widens it"),
  Host(229, "clock_getres", "no argument widens it"),
  Host(230, "clock_nanosleep", "no argument widens it"),
  Host(231, "exit_group", "no argument widens it"),
  Host(232, "epoll_wait", "no argument widens it"),
  Host(233, "epoll_ctl", "no argument widens it"),
  Host(234, "tgkill", "no argument widens it"),
  Sentry(235, "utimes", "times by path"),
  Deny(236, "vserver", ENOSYS, "never implemented"),
  Host(237, "mbind", "no argument widens it"),
  Host(238, "set_mempolicy", "no argument widens it"),
  Host(239, "get_mempolicy", "no argument widens it"),
  Host(240, "mq_open", "no argument widens it"),
  Host(241, "mq_unlink", "no argument widens it"),
  Host(242, "mq_timedsend", "no argument widens it"),
  Host(243, "mq_timedreceive", "no argument widens it"),
  Host(244, "mq_notify", "no argument widens it"),
  Host(245, "mq_getsetattr", "no argument widens it"),
  Deny(246, "kexec_load", EPERM, "host kernel replacement"),
  Host(247, "waitid", "no argument widens it"),
  Deny(248, "add_key", EPERM, "kernel keyring is not namespaced"),
  Deny(249, "request_key", EPERM, "kernel keyring is not namespaced"),
  Deny(250, "keyctl", EPERM, "kernel keyring is not namespaced"),
  Host(251, "ioprio_set", "no argument widens it"),
  Host(252, "ioprio_get", "no argument widens it"),
  Host(253, "inotify_init", "no argument widens it"),
  Sentry(254, "inotify_add_watch", "watch by path"),
  Host(255, "inotify_rm_watch", "no argument widens it"),
  Deny(256, "migrate_pages", EPERM, "acts on other processes' memory"),
  Sentry(257, "openat", "path open, resolved in the container view"),
  Sentry(258, "mkdirat", "mkdir by path"),
  Sentry(259, "mknodat", "as mknod"),
  Sentry(260, "fchownat", "chown by path"),
  Sentry(261, "futimesat", "times by path"),
  SentryUnless(262, "newfstatat", FdStatRules(3), kFdStatNote),
  Sentry(263, "unlinkat", "unlink/rmdir by path"),
  Sentry(264, "renameat", "rename by path"),
  Sentry(265, "linkat", "hard link by path"),
  Sentry(266, "symlinkat", "symlink by path"),
  Sentry(267, "readlinkat", "readlink by path"),
  Sentry(268, "fchmodat", "chmod by path"),
  Sentry(269, "faccessat", "access check by path"),
  Host(270, "pselect6", "no argument widens it"),
  Host(271, "ppoll", "no argument widens it"),
  Deny(272, "unshare", EPERM, "no new namespaces inside the pod"),
  Host(273, "set_robust_list", "no argument widens it"),
  Host(274, "get_robust_list", "no argument widens it"),
  Host(275, "splice", "no argument widens it"),
  Host(276, "tee", "no argument widens it"),
  Host(277, "sync_file_range", "no argument widens it"),
  Host(278, "vmsplice", "no argument widens it"),
  Deny(279, "move_pages", EPERM, "acts on other processes' memory"),
  Sentry(280, "utimensat", "times by path (NULL path: fd)"),
  Host(281, "epoll_pwait", "no argument widens it"),
  Host(282, "signalfd", "no argument widens it"),
  Host(283, "timerfd_create", "no argument widens it"),
  Host(284, "eventfd", "no argument widens it"),
  Host(285, "fallocate", "no argument widens it"),
  Host(286, "timerfd_settime", "no argument widens it"),
  Host(287, "timerfd_gettime", "no argument widens it"),
  Host(288, "accept4", "no argument widens it"),
  Host(289, "signalfd4", "no argument widens it"),
  Host(290, "eventfd2", "no argument widens it"),
  Host(291, "epoll_create1", "no argument widens it"),
  Host(292, "dup3", "no argument widens it"),
  Host(293, "pipe2", "no argument widens it"),
  Host(294, "inotify_init1", "no argument widens it"),
  Host(295, "preadv", "no argument widens it"),
  Host(296, "pwritev", "no argument widens it"),
  Host(297, "rt_tgsigqueueinfo", "no argument widens it"),
  Deny(298, "perf_event_open", EPERM, "kernel attack surface, host info leak"),
  Host(299, "recvmmsg", "no argument widens it"),
  Deny(300, "fanotify_init", EPERM, "needs CAP_SYS_ADMIN; filesystem-wide monitoring"),
  Deny(301, "fanotify_mark", EPERM, "filesystem-wide monitoring"),
  Host(302, "prlimit64", "no argument widens it"),
  Deny(303, "name_to_handle_at", EPERM, "file handles bypass path resolution"),
  Deny(304, "open_by_handle_at", EPERM, "file handles bypass path resolution (shocker)"),
  Deny(305, "clock_adjtime", EPERM, "host clock"),
  Host(306, "syncfs", "no argument widens it"),
  Host(307, "sendmmsg", "no argument widens it"),
  Deny(308, "setns", EPERM, "no namespace changes inside the pod"),
  Host(309, "getcpu", "no argument widens it"),
  Host(310, "process_vm_readv", "the kernel's ptrace-attach check with the caller's credentials (see ptrace)"),
  Host(311, "process_vm_writev", "the kernel's ptrace-attach check with the caller's credentials (see ptrace)"),
  Deny(312, "kcmp", EPERM, "kernel pointer ordering leak"),
  Deny(313, "finit_module", EPERM, "kernel modules"),
  Host(314, "sched_setattr", "no argument widens it"),
  Host(315, "sched_getattr", "no argument widens it"),
  Sentry(316, "renameat2", "rename by path with flags"),
  HostIf(317, "seccomp", SeccompRules(), "filters may be stacked (they only restrict); no NEW_LISTENER (would steal our notifications)"),
  Host(318, "getrandom", "no argument widens it"),
  Host(319, "memfd_create", "no argument widens it"),
  Deny(320, "kexec_file_load", EPERM, "host kernel replacement"),
  Deny(321, "bpf", EPERM, "kernel attack surface"),
  Sentry(322, "execveat", "path checked in the container view, then CONTINUE; the thread group's cached identities are dropped after that check, before the answer"),
  Deny(323, "userfaultfd", EPERM, "stalls kernel copy paths: exploitation aid"),
  Host(324, "membarrier", "no argument widens it"),
  Host(325, "mlock2", "no argument widens it"),
  Host(326, "copy_file_range", "no argument widens it"),
  Host(327, "preadv2", "no argument widens it"),
  Host(328, "pwritev2", "no argument widens it"),
  Host(329, "pkey_mprotect", "no argument widens it"),
  Host(330, "pkey_alloc", "no argument widens it"),
  Host(331, "pkey_free", "no argument widens it"),
  SentryUnless(332, "statx", FdStatRules(2), kFdStatNote),
  Host(333, "io_pgetevents", "no argument widens it"),
  Host(334, "rseq", "no argument widens it"),
  Deny(335, "uretprobe", ENOSYS, "kernel uprobe trampoline only"),
  Gap(336),
  Gap(337),
  Gap(338),
  Gap(339),
  Gap(340),
  Gap(341),
  Gap(342),
  Gap(343),
  Gap(344),
  Gap(345),
  Gap(346),
  Gap(347),
  Gap(348),
  Gap(349),
  Gap(350),
  Gap(351),
  Gap(352),
  Gap(353),
  Gap(354),
  Gap(355),
  Gap(356),
  Gap(357),
  Gap(358),
  Gap(359),
  Gap(360),
  Gap(361),
  Gap(362),
  Gap(363),
  Gap(364),
  Gap(365),
  Gap(366),
  Gap(367),
  Gap(368),
  Gap(369),
  Gap(370),
  Gap(371),
  Gap(372),
  Gap(373),
  Gap(374),
  Gap(375),
  Gap(376),
  Gap(377),
  Gap(378),
  Gap(379),
  Gap(380),
  Gap(381),
  Gap(382),
  Gap(383),
  Gap(384),
  Gap(385),
  Gap(386),
  Gap(387),
  Gap(388),
  Gap(389),
  Gap(390),
  Gap(391),
  Gap(392),
  Gap(393),
  Gap(394),
  Gap(395),
  Gap(396),
  Gap(397),
  Gap(398),
  Gap(399),
  Gap(400),
  Gap(401),
  Gap(402),
  Gap(403),
  Gap(404),
  Gap(405),
  Gap(406),
  Gap(407),
  Gap(408),
  Gap(409),
  Gap(410),
  Gap(411),
  Gap(412),
  Gap(413),
  Gap(414),
  Gap(415),
  Gap(416),
  Gap(417),
  Gap(418),
  Gap(419),
  Gap(420),
  Gap(421),
  Gap(422),
  Gap(423),
  Host(424, "pidfd_send_signal", "no argument widens it"),
  Deny(425, "io_uring_setup", EPERM, "bypasses the seccomp filter for submitted operations"),
  Deny(426, "io_uring_enter", EPERM, "bypasses the seccomp filter"),
  Deny(427, "io_uring_register", EPERM, "bypasses the seccomp filter"),
  Deny(428, "open_tree", EPERM, "mount API"),
  Deny(429, "move_mount", EPERM, "mount API"),
  Deny(430, "fsopen", EPERM, "mount API"),
  Deny(431, "fsconfig", EPERM, "mount API"),
  Deny(432, "fsmount", EPERM, "mount API"),
  Deny(433, "fspick", EPERM, "mount API"),
  Host(434, "pidfd_open", "no argument widens it"),
  Deny(435, "clone3", ENOSYS, "ENOSYS so glibc falls back to clone(2), whose flags the filter can inspect (clone3 passes them in memory)"),
  Host(436, "close_range", "no argument widens it"),
  Sentry(437, "openat2", "path open with resolve flags"),
  Deny(438, "pidfd_getfd", EPERM, "steals fds of other processes"),
  Sentry(439, "faccessat2", "access check by path with flags"),
  Deny(440, "process_madvise", EPERM, "acts on other processes' memory"),
  Host(441, "epoll_pwait2", "no argument widens it"),
  Deny(442, "mount_setattr", EPERM, "mount API"),
  Deny(443, "quotactl_fd", EPERM, "host quotas"),
  Deny(444, "landlock_create_ruleset", EOPNOTSUPP, kLandlockNote),
  Deny(445, "landlock_add_rule", EOPNOTSUPP, kLandlockNote),
  Deny(446, "landlock_restrict_self", EOPNOTSUPP, kLandlockNote),
  Host(447, "memfd_secret", "own memory only"),
  Deny(448, "process_mrelease", EPERM, "acts on other processes"),
  Host(449, "futex_waitv", "no argument widens it"),
  Host(450, "set_mempolicy_home_node", "no argument widens it"),
  Host(451, "cachestat", "no argument widens it"),
  Sentry(452, "fchmodat2", "chmod by path with flags"),
  Host(453, "map_shadow_stack", "no argument widens it"),
  Host(454, "futex_wake", "no argument widens it"),
  Host(455, "futex_wait", "no argument widens it"),
  Host(456, "futex_requeue", "no argument widens it"),
  Deny(457, "statmount", EPERM, "leaks the mount table"),
  Deny(458, "listmount", EPERM, "leaks the mount table"),
  Host(459, "lsm_get_self_attr", "own LSM label"),
  Deny(460, "lsm_set_self_attr", EPERM, "LSM labels are set by the runtime"),
  Host(461, "lsm_list_self_attr", "own LSM label"),
  Host(462, "mseal", "no argument widens it"),
  Sentry(463, "setxattrat", "xattr by path"),
  Sentry(464, "getxattrat", "xattr by path"),
  Sentry(465, "listxattrat", "xattr by path"),
  Sentry(466, "removexattrat", "xattr by path"),
  Deny(467, "open_tree_attr", EPERM, "mount API"),
  Sentry(468, "file_getattr", "inode attributes by path"),
  Sentry(469, "file_setattr", "inode attributes by path"),
  };
  // A broken table is a programming error: crash at start-up, not at the first odd syscall.
  if (rows.size() != kMaxSyscall + 1) std::abort();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].nr != static_cast<int>(i)) std::abort();
    if (rows[i].cls == SyscallClass::kDeny && !rows[i].rules.empty()) std::abort();
    if (rows[i].cls == SyscallClass::kSentry &&
        std::any_of(rows[i].rules.begin(), rows[i].rules.end(), [](const ArgRule& r) { return !r.allow; })) {
      std::abort();
    }
  }
  return rows;
}

bool Holds(const ArgTest& t, const uint64_t args[6]) {
  uint32_t v = static_cast<uint32_t>(args[t.arg]) & t.mask;
  return t.op == Op::kEq ? v == t.value : v != t.value;
}

}  // namespace

const char* SyscallClassName(SyscallClass c) {
  switch (c) {
    case SyscallClass::kHost: return "host";
    case SyscallClass::kSentry: return "sentry";
    case SyscallClass::kDeny: return "deny";
  }
  return "?";
}

std::span<const SyscallRow> SyscallTable() {
  static const std::vector<SyscallRow> table = BuildTable();
  return table;
}

const SyscallRow* FindSyscall(int nr) {
  if (nr < 0 || nr > kMaxSyscall) return nullptr;
  return &SyscallTable()[nr];
}

int SyscallNumber(std::string_view name) {
  if (name.empty()) return -1;
  for (const SyscallRow& row : SyscallTable()) {
    if (row.name == name) return row.nr;
  }
  return -1;
}

Verdict Evaluate(int nr, const uint64_t args[6]) {
  const SyscallRow* row = FindSyscall(nr);
  if (row == nullptr) return {Verdict::Kind::kErrno, ENOSYS};
  if (row->cls == SyscallClass::kDeny) return {Verdict::Kind::kErrno, row->err};
  for (const ArgRule& rule : row->rules) {
    if (std::all_of(rule.tests.begin(), rule.tests.end(),
                    [&](const ArgTest& t) { return Holds(t, args); })) {
      return rule.allow ? Verdict{Verdict::Kind::kAllow, 0} : Verdict{Verdict::Kind::kErrno, rule.err};
    }
  }
  if (row->cls == SyscallClass::kSentry) return {Verdict::Kind::kNotify, 0};
  return row->fallback_allow ? Verdict{Verdict::Kind::kAllow, 0}
                             : Verdict{Verdict::Kind::kErrno, row->err};
}

}  // namespace see::sentry
