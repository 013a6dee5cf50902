#include "sentry-lite/sentry/self_confinement.h"

#include <sys/prctl.h>
#include <sys/syscall.h>

#include <iterator>
#include <vector>

#include "sentry-lite/syscalls/bpf_filter.h"

namespace see::sentry {
namespace {

constexpr SelfRule kAllow[] = {
    {SYS_read, "control channel, /proc files"},
    {SYS_write, "control channel, logging"},
    {SYS_readv, "logging"},
    {SYS_writev, "logging"},
    {SYS_pread64, "file reads"},
    {SYS_lseek, "file reads"},
    {SYS_close, "fd lifetime"},
    {SYS_close_range, "fd lifetime before exec of container inits"},
    {SYS_dup, "fd plumbing"},
    {SYS_dup3, "fd plumbing"},
    {SYS_fcntl, "fd flags"},
    {SYS_ioctl, "SECCOMP_IOCTL_NOTIF_* on listeners"},
    {SYS_poll, "notify loop waits for notifications"},
    {SYS_ppoll, "notify loop waits for notifications"},
    {SYS_epoll_create1, "event loop"},
    {SYS_epoll_ctl, "event loop"},
    {SYS_epoll_wait, "event loop"},
    {SYS_epoll_pwait, "event loop"},
    {SYS_eventfd2, "notify loop stop signal"},
    {SYS_signalfd4, "pod init: signals as events"},
    {SYS_futex, "threads"},
    {SYS_restart_syscall, "a timed wait (futex, poll, nanosleep) stopped and continued (SIGSTOP, "
                          "a cgroup freezer, a debugger) resumes through it; refused, glibc aborted"},
    {SYS_clone, "worker threads; container inits; the bind child (sys_socket.cc)"},
    {SYS_clone3, "glibc creates threads with clone3"},
    {SYS_set_robust_list, "threads"},
    {SYS_rseq, "threads"},
    {SYS_exit, "threads"},
    {SYS_exit_group, "exit"},
    {SYS_mmap, "memory"},
    {SYS_munmap, "memory"},
    {SYS_mprotect, "memory (thread stacks guard pages)"},
    {SYS_madvise, "memory"},
    {SYS_mremap, "memory"},
    {SYS_brk, "memory"},
    {SYS_rt_sigaction, "signals"},
    {SYS_rt_sigprocmask, "signals"},
    {SYS_rt_sigreturn, "signals"},
    {SYS_sigaltstack, "signals"},
    {SYS_kill, "pod init forwards signals"},
    {SYS_tgkill, "abort(), thread signals"},
    {SYS_pidfd_open, "callers as pidfds"},
    {SYS_pidfd_send_signal, "signals without pid reuse races"},
    {SYS_pidfd_getfd, "caller dirfds and sockets"},
    {SYS_wait4, "pod init reaps"},
    {SYS_waitid, "pod init reaps"},
    {SYS_getpid, "identity"},
    {SYS_gettid, "identity"},
    {SYS_getppid, "identity"},
    {SYS_process_vm_readv, "copy caller arguments once"},
    {SYS_process_vm_writev, "write caller results"},
    {SYS_openat, "/proc/<pid>/{status,cwd}, reopen via /proc/self/fd"},
    {SYS_openat2, "path resolution in the container root"},
    {SYS_newfstatat, "served stat"},
    {SYS_fstat, "served stat"},
    {SYS_statx, "served statx"},
    {SYS_readlinkat, "served readlink, fd paths"},
    {SYS_readlink, "fd paths: glibc's readlink() is SYS_readlink (PathResolver::RootRelative)"},
    {SYS_faccessat2, "served access"},
    {SYS_mkdirat, "served mkdir"},
    {SYS_unlinkat, "served unlink/rmdir"},
    {SYS_renameat2, "served rename"},
    {SYS_linkat, "served link (source as /proc/self/fd/N)"},
    {SYS_symlinkat, "served symlink"},
    {SYS_mknodat, "served mknod (FIFOs, sockets, regular files)"},
    {452 /* fchmodat2 */, "served chmod on the resolved O_PATH fd (AT_EMPTY_PATH)"},
    {SYS_fchownat, "served chown on the resolved O_PATH fd (AT_EMPTY_PATH)"},
    {SYS_utimensat, "served utime family on the resolved fd"},
    {SYS_truncate, "served truncate through /proc/self/fd/N"},
    {SYS_getxattr, "served xattrs through /proc/self/fd/N"},
    {SYS_setxattr, "served xattrs through /proc/self/fd/N"},
    {SYS_listxattr, "served xattrs through /proc/self/fd/N"},
    {SYS_removexattr, "served xattrs through /proc/self/fd/N"},
    {SYS_fgetxattr, "served *xattrat on a caller fd"},
    {SYS_fsetxattr, "served *xattrat on a caller fd"},
    {SYS_flistxattr, "served *xattrat on a caller fd"},
    {SYS_fremovexattr, "served *xattrat on a caller fd"},
    // Linux 6.13 numbers (not in this libc's headers): served xattrs by path without a
    // /proc/self/fd walk, which fails for non-root callers when the host's / is 0700.
    {463, "served setxattr via setxattrat (sys_fsattr.cc)"},
    {464, "served getxattr via getxattrat (sys_fsattr.cc)"},
    {465, "served listxattr via listxattrat (sys_fsattr.cc)"},
    {466, "served removexattr via removexattrat (sys_fsattr.cc)"},
    {SYS_fstatfs, "served statfs; view detection (proc/sysfs magic)"},
    {SYS_inotify_add_watch, "served inotify_add_watch on the caller's inotify fd"},
    {SYS_memfd_create, "view files (/proc/meminfo...) as sealed memfds"},
    {SYS_ftruncate, "view memfds"},
    {SYS_sysinfo, "served sysinfo (host figures, then the pod's limits)"},
    {SYS_getdents64, "directory listing"},
    {SYS_socket, "control channel"},
    {SYS_bind, "served bind"},
    {SYS_fchdir, "served bind of a one-component AF_UNIX name from the caller's resolved directory, "
                 "on the worker's private fs_struct (sys_socket.cc), and back"},
    {SYS_chroot, "served bind of a multi-component AF_UNIX name: a short-lived child chroots into the "
                 "container's root, so the kernel records the caller's own string (sys_socket.cc)"},
    {SYS_sendmsg, "control channel (SCM_RIGHTS)"},
    {SYS_sendto, "registration replies (serve.cc)"},
    {SYS_accept4, "registrations on the serve socket (serve.cc)"},
    {SYS_recvmsg, "control channel (SCM_RIGHTS)"},
    {SYS_setfsuid, "serve with the caller's fsuid"},
    {SYS_setfsgid, "serve with the caller's fsgid"},
    {SYS_setgroups, "serve with the caller's groups"},
    {SYS_getgroups, "save own groups"},
    {SYS_capget, "save own capabilities"},
    {SYS_capset, "serve with the caller's capabilities"},
    {SYS_umask, "serve with the caller's umask"},
    {SYS_unshare, "private fs_struct per worker (CLONE_FS)"},
    {SYS_setns, "opens of /proc/sys in the caller's net/ipc/uts namespaces (sys_file.cc)"},
    {SYS_prctl, "thread names, dumpable checks"},
    {SYS_clock_gettime, "logging timestamps"},
    {SYS_clock_nanosleep, "back-off"},
    {SYS_nanosleep, "back-off"},
    {SYS_sched_yield, "spin locks in libstdc++"},
    {SYS_getrandom, "libstdc++ hashing"},
    {SYS_sched_getaffinity, "std::thread::hardware_concurrency"},
    {SYS_uname, "glibc start-up"},
};

// Only in sanitizer builds (SEE_SANITIZER_BUILD: -DSEE_SANITIZE=ON or SEE_FUZZ): what the
// ASan/UBSan runtimes call inside a confined sentry. UBSan's vptr check probes whether memory is
// readable by writing it into a pipe (IsAccessibleMemoryRange -> pipe2); without it every virtual
// call through std::thread's state is reported as "invalid vptr". open(/proc/self/{cmdline,
// environ}) is used when a report is printed (readlink of /proc/self/exe is allowed anyway).
// Production builds do not have these rules.
constexpr SelfRule kSanitizerAllow[] = {
    {SYS_pipe2, "sanitizer runtime: IsAccessibleMemoryRange (UBSan vptr checks)"},
    {SYS_open, "sanitizer runtime: /proc/self/{cmdline,environ,maps} in reports"},
};

#ifdef SEE_SANITIZER_BUILD
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

std::vector<SelfRule> BuildAllowlist() {
  std::vector<SelfRule> out(std::begin(kAllow), std::end(kAllow));
  if (kSanitizerBuild) out.insert(out.end(), std::begin(kSanitizerAllow), std::end(kSanitizerAllow));
  return out;
}

}  // namespace

std::span<const SelfRule> SentryAllowlist() {
  static const std::vector<SelfRule> list = BuildAllowlist();
  return list;
}

std::span<const SelfRule> SanitizerOnlyAllowlist() { return kSanitizerAllow; }

Status ApplySelfConfinement() {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return ErrnoStatus("PR_SET_DUMPABLE");
  std::vector<SyscallRow> rows(kMaxSyscall + 1);
  for (int nr = 0; nr <= kMaxSyscall; ++nr) {
    rows[nr] = SyscallRow{nr, "", SyscallClass::kDeny, EPERM, {}, false, "not needed"};
  }
  for (const SelfRule& r : SentryAllowlist()) {
    rows[r.nr].cls = SyscallClass::kHost;
    rows[r.nr].note = r.reason;
  }
  // Every row is rule-free: the kernel's seccomp action cache allows each allowlisted syscall
  // without running the program (bpf_filter.h), so serving pays only the seccomp entry path.
  FilterOptions options;
  options.foreign_abi_action = SECCOMP_RET_KILL_PROCESS;
  SEE_ASSIGN_OR_RETURN(std::vector<sock_filter> prog, BuildSyscallFilter(rows, options));
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return ErrnoStatus("PR_SET_NO_NEW_PRIVS");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0) {
    return ErrnoStatus("seccomp(self allowlist)");
  }
  return Status::Ok();
}

}  // namespace see::sentry
