// File-system syscalls served in the container's view. Each handler decodes its arguments first
// (caller memory is read once), then Prepare() gathers the caller's start directory, identity and
// /proc view and checks the notification is still valid, and only then the operation runs, in this
// thread, with the caller's credentials (ScopedCredentials).
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <system_error>
#include <thread>
#include <vector>

#include "base/logging.h"
#include "sentry-lite/notify/handlers.h"
#include "sentry-lite/notify/pending_installs.h"
#include "sentry-lite/notify/sys_file_internal.h"

namespace see::sentry {
namespace {

using namespace file_internal;  // NOLINT: the shared helpers of the file handlers


// --- opens that may block ---

// An open can block in the sentry as long as the caller's would: a FIFO waits for its other end.
// If the caller gives up meanwhile (a signal, or it dies) the kernel drops the notification, but
// the serving thread would stay blocked, with its fds, until the other end shows up: maybe never.
// A watchdog thread looks at opens running longer than kWatchAfter and interrupts (a signal handled
// without SA_RESTART, so the open fails with EINTR) those whose notification is no longer valid.
class OpenWatchdog {
  using Clock = std::chrono::steady_clock;
  static constexpr auto kWatchAfter = std::chrono::milliseconds(50);
  struct Entry {
    pthread_t thread;
    const SyscallCall* call;
    Clock::time_point start;
    bool for_signal = false;  // interrupted because the caller has a signal to take (guarded by mu_)
  };

 public:
  static OpenWatchdog& Get() {
    static OpenWatchdog* w = new OpenWatchdog();  // never destroyed: its thread runs for good
    return *w;
  }

  // Watches `call` (served on this thread) while alive.
  class Scope {
   public:
    explicit Scope(const SyscallCall& call) : entry_{pthread_self(), &call, Clock::now()} {
      OpenWatchdog& w = Get();
      std::lock_guard<std::mutex> lock(w.mu_);
      w.entries_.push_back(&entry_);
      // Only a watchdog waiting without a timeout needs waking: one that ticks will see the entry
      // at its next tick. (Waking it on every open cost a context switch and two futex calls
      // per served open.)
      if (w.sleeping_) w.cv_.notify_one();
    }
    ~Scope() {
      OpenWatchdog& w = Get();
      std::lock_guard<std::mutex> lock(w.mu_);
      std::erase(w.entries_, &entry_);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

    // Whether the watchdog interrupted this open because the caller has a signal pending (it waits
    // killably, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, so only the sentry can end the wait).
    bool InterruptedForSignal() const {
      OpenWatchdog& w = Get();
      std::lock_guard<std::mutex> lock(w.mu_);
      return entry_.for_signal;
    }

   private:
    Entry entry_;
  };

 private:
  static int InterruptSignal() { return SIGRTMIN + 3; }
  static void Ignore(int) {}

  OpenWatchdog() {
    struct sigaction sa {};
    sa.sa_handler = Ignore;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the blocked open returns EINTR
    sigaction(InterruptSignal(), &sa, nullptr);
    std::thread([this] { Run(); }).detach();
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (entries_.empty()) {
        sleeping_ = true;
        cv_.wait(lock);
        sleeping_ = false;
        continue;
      }
      cv_.wait_for(lock, kWatchAfter);
      auto now = Clock::now();
      for (Entry* e : entries_) {
        // The entry can not go away while we hold mu_, so neither can its thread.
        if (now - e->start < kWatchAfter) continue;
        if (!e->call->StillValid()) {
          pthread_kill(e->thread, InterruptSignal());
        } else if (HasSignalToTake(e->call->tid())) {
          e->for_signal = true;
          pthread_kill(e->thread, InterruptSignal());
        }
      }
    }
  }

  // Whether thread `tid` has a pending signal it does not block (/proc/<tid>/status). The caller
  // is then to take it: the served open ends with ERESTARTSYS and the caller's kernel restarts
  // it after an SA_RESTART handler or fails it with EINTR otherwise, as for a native FIFO open.
  static bool HasSignalToTake(pid_t tid) {
    int fd = open(("/proc/" + std::to_string(tid) + "/status").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return false;
    std::string_view st(buf, static_cast<size_t>(n));
    auto field = [&st](std::string_view name) -> uint64_t {
      size_t at = st.find(name);
      if (at == std::string_view::npos) return 0;
      return strtoull(std::string(st.substr(at + name.size(), 20)).c_str(), nullptr, 16);
    };
    uint64_t pending = field("\nSigPnd:\t") | field("\nShdPnd:\t");
    // SIGKILL ends the caller's wait by itself (the notification goes stale: the branch above).
    pending &= ~(uint64_t{1} << (SIGKILL - 1));
    return (pending & ~field("\nSigBlk:\t")) != 0;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry*> entries_;  // guarded by mu_
  bool sleeping_ = false;        // guarded by mu_: Run() waits for a first entry, without timeout
};

// The kernel's "restart this syscall if the signal handler allows" (include/linux/errno.h): a
// reply with it makes the caller's return path do what a native interrupted open does.
constexpr int kErestartsys = 512;

// Whether opening with `flags` can block for the other end of a FIFO (or a device's carrier).
bool MayBlock(uint64_t flags) {
  return (flags & (O_NONBLOCK | O_PATH)) == 0 && (flags & O_ACCMODE) != O_RDWR;
}

// Whether `fd`, on a file system of type `fs_type`, is a sysctl or a /proc/sysvipc file: a file
// below "sys" or "sysvipc" of its own procfs, wherever that procfs is mounted (the container's
// /proc, the host's as a volume). The kernel gives both the opener's namespaces (sysvipc lists the
// opener's IPC namespace: opened by the sentry, the host's segments; found by review). Told by the
// object, not by its path under the root: a sysctl reached through another mount used to be
// opened with the sentry's euid (host root in a pod with host ids), so a non-root caller could
// open core_pattern for writing. A procfs object whose procfs root is not on its path (a bind of
// /proc/sys alone) counts as one: the caller's own ids decide, and IsSentryTaskEntry refuses it.
// `place` is the resolver's FsPlaceOf the file.
bool IsSysctl(long fs_type, const Result<std::optional<PathResolver::FsPlace>>& place) {
  if (fs_type != PROC_SUPER_MAGIC) return false;
  if (!place.ok() || !place->has_value()) return true;
  const std::vector<std::string>& below = (*place)->below;
  return below.size() > 1 && (below[0] == "sys" || below[0] == "sysvipc");
}

// The namespaces whose sysctls /proc/sys shows by the opener's membership (net.*, kernel.msg*,
// kernel.sem, kernel.shm*, fs.mqueue.*, kernel.hostname/domainname).
constexpr std::pair<const char*, int> kSysctlNamespaces[] = {
    {"net", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}};

// Runs `fn` on a thread of its own that enters the caller's network, IPC and UTS namespaces
// (setns of these affects only the calling thread) and then ends: the thread's end is the way
// back. `*entered` tells whether it got in (and `fn` ran). A worker that entered them itself
// would have to return to the sentry's own namespaces, which a sentry inside a pod's user
// namespace may not enter again (a host-owned one); it could only abort then. Sysctl opens are rare: a thread each costs less than that risk.
// A namespace the caller shares with the sentry is not entered: setns refuses one the host owns
// to a sentry inside a user namespace even when it is the sentry's own (runsee's sentry of a
// container with a user namespace, its own network namespace and the host's IPC and UTS).
Result<UniqueFd> InCallerNamespaces(SyscallCall& call, bool* entered,
                                    const std::function<Result<UniqueFd>()>& fn) {
  *entered = false;
  std::vector<std::pair<UniqueFd, int>> theirs;
  std::string caller = "/proc/" + std::to_string(call.tid()) + "/ns/";
  {
    // Another thread's ns links are a ptrace-read check on this thread's current set, which may
    // still be a caller's outside a scope (credentials.h).
    ScopedSentryCapabilities sentry_caps;
    for (const auto& [name, type] : kSysctlNamespaces) {
      UniqueFd t(open((caller + name).c_str(), O_RDONLY | O_CLOEXEC));
      if (!t) return ErrnoStatus("opening the caller's namespaces");
      struct stat their_ns {}, own_ns {};
      if (fstat(t.get(), &their_ns) == 0 &&
          stat((std::string("/proc/thread-self/ns/") + name).c_str(), &own_ns) == 0 &&
          their_ns.st_dev == own_ns.st_dev && their_ns.st_ino == own_ns.st_ino) {
        continue;
      }
      theirs.emplace_back(std::move(t), type);
    }
  }
  if (!call.StillValid()) return ErrnoStatus(ESRCH, "caller gone");
  Result<UniqueFd> out = Internal("namespace thread did not run");
  try {
    std::thread inside([&] {
      Status fs = EnterPrivateFsContext();  // what ScopedCredentials requires of a thread
      if (!fs.ok()) {
        out = fs;
        return;
      }
      {
        ScopedSentryCapabilities sentry_caps;  // setns wants CAP_SYS_ADMIN
        for (const auto& [fd, type] : theirs) {
          if (setns(fd.get(), type) != 0) {
            out = ErrnoStatus(errno, "setns to the caller's namespaces");
            return;
          }
        }
      }
      *entered = true;
      out = fn();
    });
    inside.join();
  } catch (const std::system_error& e) {
    return Status(Code::kResourceExhausted, std::string("namespace thread: ") + e.what(), EAGAIN);
  }
  return out;
}

// --- open family ---

// The walk of an open that creates nothing, without opening anything: the node the caller's path
// reaches (O_PATH: no device driver's open, no FIFO wait), with the caller's identity already
// taken, and whether it is a device node. An automount point, which only an open's walk mounts, is
// walked again as a directory (it is one), which mounts it.
struct WalkedNode {
  UniqueFd node;
  bool device = false;
  bool own_entry = false;  // one of the caller's own /proc entries (PathResolver::Open)
};
Result<WalkedNode> WalkToNode(SyscallCall& call, const Prepared& p, const std::string& path,
                              const open_how& how) {
  open_how probe{.flags = O_PATH | (how.flags & (O_NOFOLLOW | O_DIRECTORY)), .resolve = how.resolve};
  for (int walk = 0;; ++walk) {
    bool own_entry = false;
    SEE_ASSIGN_OR_RETURN(UniqueFd node, call.resolver().Open(p.start.get(), path, probe, p.view, &own_entry));
    struct statx stx {};
    if (statx(node.get(), "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) != 0) {
      return ErrnoStatus("statx");
    }
    if (walk == 0 && (stx.stx_attributes & STATX_ATTR_AUTOMOUNT) != 0 && (probe.flags & O_DIRECTORY) == 0) {
      probe.flags |= O_DIRECTORY;
      continue;
    }
    return WalkedNode{std::move(node), S_ISCHR(stx.stx_mode) || S_ISBLK(stx.stx_mode), own_entry};
  }
}

// `how` as the kernel has it (LegacyOpenHow for open and openat); its flags are checked before the
// path is read, as the kernel's build_open_flags runs before getname.
Reply DoOpen(SyscallCall& call, int dirfd, uint64_t path_addr, open_how how) {
  if (int err = OpenHowError(how); err != 0) return Reply::Error(err);
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  // The sentry opens on the caller's behalf: without O_NOCTTY a terminal opened here becomes the
  // *sentry's* controlling tty, and its hangup (the caller closing it) kills the sentry with
  // SIGHUP, leaving the pod's served calls failing with ENOSYS (found by e2e/security: the TIOCSTI
  // attempt). Terminals are device nodes, which the caller opens itself (CONTINUE, below), with the
  // controlling-tty rules of its own open.
  // Not with O_PATH: openat2 refuses any flag beyond O_CLOEXEC|O_DIRECTORY|O_NOFOLLOW there.
  if ((how.flags & O_PATH) == 0) how.flags |= O_NOCTTY;
  bool cloexec = (how.flags & O_CLOEXEC) != 0;
  auto p = Prepare(call, dirfd, *path, {.dirfd_is_root = (how.resolve & RESOLVE_IN_ROOT) != 0});
  if (!p.ok()) return Fail(p.status());
  Result<UniqueFd> fd = Internal("not opened");
  // A device node is the caller's own open to make (CONTINUE, below): its driver must never see
  // the sentry. In its devices jail (sentry/devices_jail.h) the kernel refuses every device to the
  // sentry before the driver's open: the open is made directly, and a refused one (EPERM) is walked
  // to tell a device node. Outside it, an open that creates nothing is walked first without opening
  // anything (O_PATH: no driver's open, no FIFO wait), and the node it reaches is then re-opened
  // with the caller's flags: the same inode, the access checked again with the caller's identity
  // (about 10 µs more per open).
  const bool creates_nothing = (how.flags & (O_PATH | O_CREAT | kOpenTmpfileBit)) == 0;
  const bool jailed = DevicesRefusedToSentry();
  const bool walk_first = creates_nothing && !jailed;
  const int reopen_flags = static_cast<int>(how.flags & ~uint64_t{O_NOFOLLOW});
  // One of the caller's own /proc entries, opened in its own procfs past the ptrace check
  // (CallerView::caller_entry): none of the procfs and sysfs cases below is about it.
  bool own_entry = false;
  {
    auto scope = ScopedCredentials::Assume(*p->creds);
    if (!scope.ok()) return Fail(scope.status());
    std::optional<OpenWatchdog::Scope> watched;
    if (MayBlock(how.flags)) watched.emplace(call);  // a walk may wait too (a hung network mount)
    if (walk_first) {
      auto walked = WalkToNode(call, *p, *path, how);
      if (walked.ok() && walked->device) return Reply::Continue();  // the devices cgroup's, below
      if (walked.ok() && walked->own_entry) {
        // Opened for the caller once more, past the check a re-open would make (a process's
        // own entry; a race can only make it another own entry).
        fd = call.resolver().Open(p->start.get(), *path, how, p->view, &own_entry);
      } else {
        fd = walked.ok() ? ReopenCallerFd(walked->node.get(), reopen_flags) : Result<UniqueFd>(walked.status());
      }
    } else {
      fd = call.resolver().Open(p->start.get(), *path, how, p->view, &own_entry);
      if (!fd.ok() && fd.status().err() == EPERM && (how.flags & O_PATH) == 0) {
        // The jail's refusal (or a devices cgroup's, or any other EPERM): a device node now is
        // the caller's to open.
        auto walked = WalkToNode(call, *p, *path, how);
        if (walked.ok() && walked->device) return Reply::Continue();
      }
    }
    if (!fd.ok() && fd.status().err() == EINTR && watched && watched->InterruptedForSignal()) {
      return Reply::Error(kErestartsys);
    }
  }
  if (!fd.ok()) return Fail(fd.status());
  // One fstatfs decides the special cases below (procfs and sysfs files only), and where such a
  // file lies in its own file system is found once for all of them.
  struct statfs sfs {};
  long fs_type = !own_entry && fstatfs(fd->get(), &sfs) == 0 ? static_cast<long>(sfs.f_type) : 0;
  using Place = Result<std::optional<PathResolver::FsPlace>>;
  auto place_of = [&](int f, long type) -> Place {
    if (type != PROC_SUPER_MAGIC && type != SYSFS_MAGIC) return std::optional<PathResolver::FsPlace>();
    return call.resolver().FsPlaceOf(f);
  };
  Place place = place_of(fd->get(), fs_type);
  // Many /proc/sys files belong to the namespaces of whoever opens them, and that is the sentry
  // here: resolve once more from inside the caller's namespaces (setns needs the sentry's own
  // capabilities, so the caller's identity is taken inside).
  // (O_PATH opens are the kernel's own below, in the caller's namespaces.)
  if ((how.flags & O_PATH) == 0 && IsSysctl(fs_type, place)) {
    // The kernel checks a sysctl open against the opener's euid and egid (proc_sys_permission:
    // owner bits for root, group bits for the root group, others' bits otherwise), which are the
    // sentry's, not the fsuid it took on: for a caller whose euid is not root that check is made
    // here with its own ids, so it gets what it would get itself.
    if (p->creds->euid != 0) {
      struct stat st {};
      if (fstat(fd->get(), &st) != 0) return Fail(ErrnoStatus("fstat"));
      const CallerCredentials& c = *p->creds;
      bool root_group = c.egid == 0 || std::find(c.groups.begin(), c.groups.end(), 0u) != c.groups.end();
      unsigned bits = (root_group ? st.st_mode >> 3 : st.st_mode) & 7;
      int acc = static_cast<int>(how.flags & O_ACCMODE);
      bool reads = acc == O_RDONLY || acc == O_RDWR;
      bool writes = acc != O_RDONLY || (how.flags & O_TRUNC) != 0;
      if ((reads && (bits & 4) == 0) || (writes && (bits & 2) == 0)) return Reply::Error(EACCES);
    }
    bool entered = false;
    auto in_theirs = InCallerNamespaces(call, &entered, [&]() -> Result<UniqueFd> {
      auto scope = ScopedCredentials::Assume(*p->creds);
      if (!scope.ok()) return scope.status();
      // A second walk, whatever the flags (a sysctl exists: nothing is created): the caller may
      // have swapped a symlink since the first. It must reach a sysctl again before anything is
      // opened (a device or a FIFO would be opened by the sentry, and a FIFO would block this
      // thread; found by review).
      SEE_ASSIGN_OR_RETURN(WalkedNode walked, WalkToNode(call, *p, *path, how));
      struct statfs again {};
      if (walked.device || fstatfs(walked.node.get(), &again) != 0 ||
          !IsSysctl(static_cast<long>(again.f_type),
                    place_of(walked.node.get(), static_cast<long>(again.f_type)))) {
        return ErrnoStatus(ENOENT, "the sysctl path changed during the open");
      }
      return ReopenCallerFd(walked.node.get(), reopen_flags & ~(O_CREAT | O_EXCL));
    });
    // setns refused with EPERM: a sentry inside a pod's user namespace can not enter namespaces
    // the host owns (a pod network namespace made by the CRI plugin): the file stays the one
    // opened above, as the pod's root (writes to host-owned sysctls fail there as they should).
    // Only then: any failure of the open itself is the caller's answer (an EPERM there once kept
    // the sentry's own file; found by review).
    if (entered || in_theirs.ok() || in_theirs.status().err() != EPERM) fd = std::move(in_theirs);
    if (!fd.ok()) return Fail(fd.status());
    place = place_of(fd->get(), fs_type);  // the file that goes out (the same type: a sysctl)
  }
  // The sentry's own /proc/<tid> entries (mem, environ, fd...) open without a ptrace check for a
  // sentry thread: never for a caller (path_resolver.h). Checked on the fd that goes out (a
  // sysctl's second resolution above is another walk); O_PATH is opened by the kernel below.
  if (fs_type == PROC_SUPER_MAGIC && (how.flags & O_PATH) == 0) {
    auto own = call.resolver().IsSentryTaskEntry(place);
    if (!own.ok()) return Fail(own.status());
    if (*own) return Reply::Error(EACCES);
  }
  // A device node: the container's device policy (its devices cgroup, or the cgroup's BPF program
  // on cgroup v2) checks the opener, which here is the sentry, not the container. The caller's own
  // open decides (CONTINUE): the kernel walks the path again in the caller's root with its
  // credentials and cgroup, so a caller that swaps the path meanwhile gets what it may open
  // itself (docs/security-model.md "Where CONTINUE is used"). An open that creates nothing was
  // checked before anything was opened (above), as was every open in the jail (where this only
  // guards against the jail being changed under the sentry); outside it one that may create met
  // an existing node here.
  if (!walk_first && (how.flags & O_PATH) == 0) {
    struct stat st {};
    if (fstat(fd->get(), &st) != 0) return Fail(ErrnoStatus("fstat"));
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return Reply::Continue();
  }
  // SECCOMP_IOCTL_NOTIF_ADDFD can not install O_PATH files (the kernel's fget() skips them).
  // An O_PATH fd grants no I/O and paths relative to it come back here, so after the check above
  // the native open runs: it resolves inside the caller's own root, which the kernel confines.
  if ((how.flags & O_PATH) != 0) return Reply::Continue();
  auto view = ServeViewFile(call, fd->get(), fs_type, how.flags, place);
  if (!view.ok()) return Fail(view.status());
  if (*view) return Reply::InstallFd(std::move(**view), cloexec);
  return Reply::InstallFd(std::move(*fd), cloexec);
}

Reply SysOpen(SyscallCall& call) {
  return DoOpen(call, AT_FDCWD, call.arg(0), LegacyOpenHow(static_cast<uint32_t>(call.arg_int(1)), call.arg(2)));
}

Reply SysCreat(SyscallCall& call) {
  return DoOpen(call, AT_FDCWD, call.arg(0), LegacyOpenHow(O_CREAT | O_WRONLY | O_TRUNC, call.arg(1)));
}

Reply SysOpenat(SyscallCall& call) {
  return DoOpen(call, call.arg_int(0), call.arg(1),
                LegacyOpenHow(static_cast<uint32_t>(call.arg_int(2)), call.arg(3)));
}

Reply SysOpenat2(SyscallCall& call) {
  size_t size = call.arg(3);
  if (size < 24 /* OPEN_HOW_SIZE_VER0 */) return Reply::Error(EINVAL);
  if (size > 4096) return Reply::Error(E2BIG);
  open_how how{};
  Status read = call.Read(call.arg(2), &how, sizeof(how));
  if (!read.ok()) return Fail(read);
  // Fields beyond the ones we know must be zero (copy_struct_from_user semantics).
  if (size > sizeof(how)) {
    std::string rest(size - sizeof(how), '\0');
    Status more = call.Read(call.arg(2) + sizeof(how), rest.data(), rest.size());
    if (!more.ok()) return Fail(more);
    if (rest.find_first_not_of('\0') != std::string::npos) return Reply::Error(E2BIG);
  }
  return DoOpen(call, call.arg_int(0), call.arg(1), how);
}

// --- stat family ---

// With AT_EMPTY_PATH (an fd stat, glibc's fstat()) newfstatat and statx run natively: the filter
// lets them through (syscalls/syscall_table.cc, FdStatRules). What arrives here walks a path.
Reply DoStat(SyscallCall& call, int dirfd, uint64_t path_addr, uint64_t buf, int at_flags) {
  if ((at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) != 0) {
    return Reply::Error(EINVAL);
  }
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  auto p = Prepare(call, dirfd, *path, {.empty_ok = (at_flags & AT_EMPTY_PATH) != 0});
  if (!p.ok()) return Fail(p.status());
  struct stat st;
  {
    auto scope = ScopedCredentials::Assume(*p->creds);
    if (!scope.ok()) return Fail(scope.status());
    auto fd = OpenForStat(call, *p, dirfd, *path, at_flags);
    if (!fd.ok()) return Fail(fd.status());
    if (fstatat(fd->get(), "", &st, AT_EMPTY_PATH) != 0) return Reply::Error(errno);
  }
  Status w = call.Write(buf, &st, sizeof(st));
  return w.ok() ? Reply::Value(0) : Fail(w);
}

Reply SysStat(SyscallCall& call) { return DoStat(call, AT_FDCWD, call.arg(0), call.arg(1), 0); }
Reply SysLstat(SyscallCall& call) {
  return DoStat(call, AT_FDCWD, call.arg(0), call.arg(1), AT_SYMLINK_NOFOLLOW);
}
Reply SysNewfstatat(SyscallCall& call) {
  return DoStat(call, call.arg_int(0), call.arg(1), call.arg(2), call.arg_int(3));
}

Reply SysStatx(SyscallCall& call) {
  int dirfd = call.arg_int(0), flags = call.arg_int(2);
  unsigned mask = static_cast<unsigned>(call.arg(3));
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) != 0 ||
      (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (mask & STATX__RESERVED) != 0) {
    return Reply::Error(EINVAL);
  }
  auto path = call.ReadPath(call.arg(1));
  if (!path.ok()) return Fail(path.status());
  auto p = Prepare(call, dirfd, *path, {.empty_ok = (flags & AT_EMPTY_PATH) != 0});
  if (!p.ok()) return Fail(p.status());
  struct statx stx;
  {
    auto scope = ScopedCredentials::Assume(*p->creds);
    if (!scope.ok()) return Fail(scope.status());
    auto fd = OpenForStat(call, *p, dirfd, *path, flags);
    if (!fd.ok()) return Fail(fd.status());
    if (statx(fd->get(), "", AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE), mask, &stx) != 0) {
      return Reply::Error(errno);
    }
  }
  Status w = call.Write(call.arg(4), &stx, sizeof(stx));
  return w.ok() ? Reply::Value(0) : Fail(w);
}

// --- access ---

Reply DoAccess(SyscallCall& call, int dirfd, uint64_t path_addr, int mode, int flags) {
  if ((mode & ~(F_OK | R_OK | W_OK | X_OK)) != 0 ||
      (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) {
    return Reply::Error(EINVAL);
  }
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  auto p = Prepare(call, dirfd, *path, {.empty_ok = (flags & AT_EMPTY_PATH) != 0});
  if (!p.ok()) return Fail(p.status());
  // access(2) checks with the real ids unless AT_EACCESS; the whole walk runs with them.
  auto scope = ScopedCredentials::Assume(*p->creds, (flags & AT_EACCESS) == 0);
  if (!scope.ok()) return Fail(scope.status());
  auto fd = OpenForStat(call, *p, dirfd, *path, flags);
  if (!fd.ok()) return Fail(fd.status());
  // A device's access is its devices cgroup's too (mask 0 included), which checks the sentry, and
  // refuses every device to it in its jail: the caller asks the kernel itself (CONTINUE; access
  // grants nothing, docs/security-model.md "Where CONTINUE is used").
  struct stat st {};
  if (fstat(fd->get(), &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) return Reply::Continue();
  // AT_EACCESS: check with this thread's (already switched) ids instead of its real uid.
  return ResultOf(syscall(SYS_faccessat2, fd->get(), "", mode, AT_EMPTY_PATH | AT_EACCESS));
}

Reply SysAccess(SyscallCall& call) { return DoAccess(call, AT_FDCWD, call.arg(0), call.arg_int(1), 0); }
Reply SysFaccessat(SyscallCall& call) {
  return DoAccess(call, call.arg_int(0), call.arg(1), call.arg_int(2), 0);
}
Reply SysFaccessat2(SyscallCall& call) {
  return DoAccess(call, call.arg_int(0), call.arg(1), call.arg_int(2), call.arg_int(3));
}

// --- readlink ---

// "exe", "cwd", "root" or "fd/N" when `path` is /proc/self/<that>, /proc/thread-self/<that> or
// /proc/self/task/<own tid>/<that>, spelled exactly so (no trailing slash, which would follow the
// link); with `own_procfs` (the procfs at /proc is the caller's pid namespace's) also
// /proc/<own pid>/<that> and /proc/<own pid>/task/<own tid>/<that>; "fd/N" also for /dev/fd/N.
// `*leader`: the link is the process's (/proc/self, /proc/<pid>: its thread group leader's),
// else the calling thread's.
std::optional<std::string> OwnMagicLink(const std::string& path, const CallerView& view, bool own_procfs,
                                        bool* leader) {
  const std::string tgid = std::to_string(view.ns_tgid), tid = std::to_string(view.ns_tid);
  std::vector<std::pair<std::string, bool>> prefixes = {
      {"/proc/self/task/" + tid + "/", false}, {"/proc/thread-self/", false}, {"/proc/self/", true}};
  if (own_procfs) {
    prefixes.emplace_back("/proc/" + tgid + "/task/" + tid + "/", false);
    prefixes.emplace_back("/proc/" + tgid + "/", true);
  }
  prefixes.emplace_back("/dev/fd/", true);  // the symlink to /proc/self/fd, as the resolver takes it
  for (const auto& [prefix, of_leader] : prefixes) {
    if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) continue;
    *leader = of_leader;
    std::string rest = (prefix == "/dev/fd/" ? "fd/" : "") + path.substr(prefix.size());
    if (rest == "exe" || rest == "cwd" || rest == "root") return rest;
    if (rest.size() > 3 && rest.compare(0, 3, "fd/") == 0 &&
        rest.find_first_not_of("0123456789", 3) == std::string::npos &&
        (rest.size() == 4 || rest[3] != '0')) {
      return rest;
    }
  }
  return std::nullopt;
}

Reply DoReadlink(SyscallCall& call, int dirfd, uint64_t path_addr, uint64_t buf, int64_t size) {
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  if (size <= 0) return Reply::Error(EINVAL);
  auto p = Prepare(call, dirfd, *path, {.empty_ok = true});
  if (!p.ok()) return Fail(p.status());
  std::string target(PATH_MAX, '\0');
  // /proc/self and /proc/thread-self are symlinks the reader's identity renders: the caller's.
  if (*path == "/proc/self" || *path == "/proc/thread-self") {
    target = std::to_string(p->view->ns_tgid);
    if (*path == "/proc/thread-self") target += "/task/" + std::to_string(p->view->ns_tid);
    size_t n = std::min(target.size(), static_cast<size_t>(size));
    Status w = call.Write(buf, target.data(), n);
    return w.ok() ? Reply::Value(static_cast<int64_t>(n)) : Fail(w);
  }
  // The caller's own magic links spelled /proc/self/{exe,cwd,root,fd/N} (or thread-self): Linux
  // renders them for the caller without the ptrace check another reader must pass (a caller that
  // is not dumpable reads its own; glibc's $ORIGIN and ttyname do). Read through the sentry's host
  // /proc/<caller tid>/ with CAP_SYS_PTRACE and the caller's identity (a text; no fd goes out).
  // Its own pid spelled out names the caller only in its own pid namespace's procfs (checked only
  // for that spelling: lsof reads the links of every other /proc/<pid>).
  const bool own_pid_spelled = path->starts_with("/proc/" + std::to_string(p->view->ns_tgid) + "/");
  const bool own_procfs = own_pid_spelled && p->view->lexical && call.ProcOfCaller() >= 0;
  bool leader = false;
  if (std::optional<std::string> own = OwnMagicLink(*path, *p->view, own_procfs, &leader);
      own && p->view->lexical) {
    // The process's links are its leader's (its cwd and fd table may differ from this thread's);
    // its tgid is not reused while this thread of it waits.
    std::string host = "/proc/" + std::to_string(leader ? p->creds->tgid : call.tid()) + "/" + *own;
    ssize_t n;
    int err;
    {
      auto scope = ScopedCredentials::Assume(*p->creds);
      if (!scope.ok()) return Fail(scope.status());
      // Its fd directory a process may always search itself (proc_fd_permission), even when
      // it is not dumpable and the directory is root's.
      ScopedSentryCapabilities ptrace(CapBit(CAP_SYS_PTRACE) |
                                      (own->starts_with("fd/") ? CapBit(CAP_DAC_READ_SEARCH) : 0));
      n = readlink(host.c_str(), target.data(), target.size());
      err = errno;
    }
    if (!call.StillValid()) return Reply::Drop();  // the tid was the caller's only while it waited
    if (n < 0) return Reply::Error(err);
    target.resize(static_cast<size_t>(n));
    target = call.resolver().ToContainerView(target);  // as below
  } else {
    UniqueFd link;
    {
      auto scope = ScopedCredentials::Assume(*p->creds);
      if (!scope.ok()) return Fail(scope.status());
      auto fd = OpenForStat(call, *p, dirfd, *path, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
      if (!fd.ok()) return Fail(fd.status());
      // Not a symlink: EINVAL, or ENOENT for an empty path (the dirfd itself), as the kernel's.
      ssize_t n = readlinkat(fd->get(), "", target.data(), target.size());
      if (n < 0) return Reply::Error(errno == ENOENT && !path->empty() ? EINVAL : errno);
      target.resize(static_cast<size_t>(n));
      link = std::move(*fd);
    }
    // /proc magic links (exe, cwd, root, fd/N) are rendered relative to the reader's root, which
    // is the sentry's: shown in the container's view instead (no host paths leak). The sentry's
    // own links read without a ptrace check on a sentry thread: refused (checked with the
    // sentry's identity, which walks the path of that procfs).
    struct statfs sfs;
    if (fstatfs(link.get(), &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC) {
      auto sentrys = call.resolver().IsSentryTaskEntry(link.get());
      if (!sentrys.ok()) return Fail(sentrys.status());
      if (*sentrys) return Reply::Error(EACCES);
      target = call.resolver().ToContainerView(target);
    }
  }
  size_t n = std::min(target.size(), static_cast<size_t>(size));
  Status w = call.Write(buf, target.data(), n);
  return w.ok() ? Reply::Value(static_cast<int64_t>(n)) : Fail(w);
}

Reply SysReadlink(SyscallCall& call) {
  return DoReadlink(call, AT_FDCWD, call.arg(0), call.arg(1), static_cast<int64_t>(call.arg_int(2)));
}
Reply SysReadlinkat(SyscallCall& call) {
  return DoReadlink(call, call.arg_int(0), call.arg(1), call.arg(2),
                    static_cast<int64_t>(call.arg_int(3)));
}

// --- calls on a name in a directory ---

Reply DoMkdir(SyscallCall& call, int dirfd, uint64_t path_addr, mode_t mode) {
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  return OnName(call, dirfd, *path, EEXIST, EEXIST,
                [&](int dir, const char* name) { return mkdirat(dir, name, mode & 07777); });
}
Reply SysMkdir(SyscallCall& call) { return DoMkdir(call, AT_FDCWD, call.arg(0), call.arg_int(1)); }
Reply SysMkdirat(SyscallCall& call) {
  return DoMkdir(call, call.arg_int(0), call.arg(1), call.arg_int(2));
}

Reply DoUnlink(SyscallCall& call, int dirfd, uint64_t path_addr, int flags) {
  if ((flags & ~AT_REMOVEDIR) != 0) return Reply::Error(EINVAL);
  auto path = call.ReadPath(path_addr);
  if (!path.ok()) return Fail(path.status());
  bool rmdir = (flags & AT_REMOVEDIR) != 0;
  return OnName(call, dirfd, *path, rmdir ? EINVAL : EISDIR, rmdir ? ENOTEMPTY : EISDIR,
                [&](int dir, const char* name) { return unlinkat(dir, name, flags); });
}
Reply SysUnlink(SyscallCall& call) { return DoUnlink(call, AT_FDCWD, call.arg(0), 0); }
Reply SysRmdir(SyscallCall& call) { return DoUnlink(call, AT_FDCWD, call.arg(0), AT_REMOVEDIR); }
Reply SysUnlinkat(SyscallCall& call) {
  return DoUnlink(call, call.arg_int(0), call.arg(1), call.arg_int(2));
}

// In the kernel's order (do_renameat2): the flags; the old name's dirfd and walk, then the new
// name's; then, for names "." and "..", its own answers (EXDEV across mounts before EBUSY, EEXIST
// with RENAME_NOREPLACE), which renameat2 on the two parents gives without touching anything.
Reply DoRename(SyscallCall& call, int olddirfd, uint64_t old_addr, int newdirfd, uint64_t new_addr,
               unsigned flags) {
  if ((flags & ~unsigned{RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT}) != 0 ||
      ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) != 0 && (flags & RENAME_EXCHANGE) != 0)) {
    return Reply::Error(EINVAL);
  }
  auto oldpath = call.ReadPath(old_addr);
  if (!oldpath.ok()) return Fail(oldpath.status());
  auto newpath = call.ReadPath(new_addr);
  if (!newpath.ok()) return Fail(newpath.status());
  auto po = Prepare(call, olddirfd, *oldpath);
  if (!po.ok()) return Fail(po.status());
  // Prepared outside the assumed identity, as every call is; its error (a bad new dirfd) counts
  // only after the old name's walk.
  auto pn = Prepare(call, newdirfd, *newpath);
  auto scope = ScopedCredentials::Assume(*po->creds);
  if (!scope.ok()) return Fail(scope.status());
  auto from = call.resolver().OpenParent(po->start.get(), *oldpath, po->view);
  if (!from.ok()) return Fail(from.status());
  if (!pn.ok()) return Fail(pn.status());
  auto to = call.resolver().OpenParent(pn->start.get(), *newpath, pn->view);
  if (!to.ok()) return Fail(to.status());
  std::string a = from->last + (from->trailing_slash ? "/" : "");
  std::string b = to->last + (to->trailing_slash ? "/" : "");
  // A name in the caller's own fd directory (kOwnProcDirCaps); the other parent's search
  // permission, which the kernel checks before anything else, OpenParent checked already.
  ScopedSentryCapabilities own((from->own_entry || to->own_entry) ? kOwnProcDirCaps : 0);
  return ResultOf(
      syscall(SYS_renameat2, from->dir.get(), a.c_str(), to->dir.get(), b.c_str(), flags));
}
Reply SysRename(SyscallCall& call) {
  return DoRename(call, AT_FDCWD, call.arg(0), AT_FDCWD, call.arg(1), 0);
}
Reply SysRenameat(SyscallCall& call) {
  return DoRename(call, call.arg_int(0), call.arg(1), call.arg_int(2), call.arg(3), 0);
}
Reply SysRenameat2(SyscallCall& call) {
  return DoRename(call, call.arg_int(0), call.arg(1), call.arg_int(2), call.arg(3),
                  static_cast<unsigned>(call.arg(4)));
}

// --- chdir / execve ---

// The sentry cannot move another process's cwd. chdir is checked here in the container's view
// (same errno as the kernel: ENOENT, ENOTDIR, EACCES, ELOOP...) and then CONTINUEd: the native
// chdir can only land inside the caller's own root, which the kernel (pivot_root + mount ns)
// confines, so no security decision rests on CONTINUE (ARCHITECTURE "Security model" 3).
Reply DoCheckedContinue(SyscallCall& call, int dirfd, uint64_t path_addr, int at_flags,
                        uint64_t open_flags, int access_mode) {
  auto path = call.ReadPath(path_addr);
  // A process whose memory the sentry may not read is a runtime init about to exec the container's
  // process (it still has the host's user namespace memory; the sentry serves from inside the
  // pod's): the check is only for the errno, the kernel's own call decides, so it goes on.
  if (!path.ok() && path.status().err() == EPERM) return Reply::Continue();
  if (!path.ok()) return Fail(path.status());
  auto p = Prepare(call, dirfd, *path, {.empty_ok = (at_flags & AT_EMPTY_PATH) != 0});
  if (!p.ok()) return Fail(p.status());
  auto scope = ScopedCredentials::Assume(*p->creds);
  if (!scope.ok()) return Fail(scope.status());
  Result<UniqueFd> fd = ErrnoStatus(ENOENT, "");
  if (path->empty()) {
    fd = OpenForStat(call, *p, dirfd, *path, at_flags);
  } else {
    open_how how{.flags = open_flags | ((at_flags & AT_SYMLINK_NOFOLLOW) ? uint64_t{O_NOFOLLOW} : 0)};
    fd = call.resolver().Open(p->start.get(), *path, how, p->view);
  }
  // ELOOP: a real loop, or a /proc magic link (/proc/self/exe, /proc/self/fd/N: fexecve), which the
  // resolver never follows. Either way the caller's own kernel gives the right answer.
  if (!fd.ok() && fd.status().err() == ELOOP) return Reply::Continue();
  if (!fd.ok()) return Fail(fd.status());
  if (syscall(SYS_faccessat2, fd->get(), "", access_mode, AT_EMPTY_PATH | AT_EACCESS) != 0) {
    return Reply::Error(errno);
  }
  return Reply::Continue();
}

Reply SysChdir(SyscallCall& call) {
  return DoCheckedContinue(call, AT_FDCWD, call.arg(0), 0, O_PATH | O_DIRECTORY, X_OK);
}
// chroot is checked like chdir (ENOENT, ENOTDIR, EACCES without search permission, in the caller's
// view) and continued: the kernel then checks CAP_SYS_CHROOT in the caller's user namespace and
// moves the root, which only the caller's own kernel can do. Where it lands is the caller's own
// walk, inside its mount namespace: what the sentry trusts is not that walk but the root it finds
// there on each later call (SyscallCall::Root), which must lie inside the container's root.
Reply SysChroot(SyscallCall& call) {
  // Before the kernel can move any root: from here on every call of the container looks at its
  // caller's root (sshd's privilege separation, a build's chroot).
  call.container().chrooted.store(true, std::memory_order_release);
  return DoCheckedContinue(call, AT_FDCWD, call.arg(0), 0, O_PATH | O_DIRECTORY, X_OK);
}

// An exec waits (briefly) for the fd installs its container began before it: a file the caller
// just wrote and closed is still open for writing until the installing thread has let it go, and
// the kernel refuses to execute it (ETXTBSY). pending_installs.h.
constexpr std::chrono::milliseconds kExecWaitsForInstalls{200};

Reply SysExecve(SyscallCall& call) {
  PendingInstalls::Global().WaitForEarlier(&call.container(), kExecWaitsForInstalls);
  return DoCheckedContinue(call, AT_FDCWD, call.arg(0), 0, O_PATH, X_OK);
}
Reply SysExecveat(SyscallCall& call) {
  PendingInstalls::Global().WaitForEarlier(&call.container(), kExecWaitsForInstalls);
  return DoCheckedContinue(call, call.arg_int(0), call.arg(1), call.arg_int(4), O_PATH, X_OK);
}

// umask(2) decides no access: the kernel applies it once CONTINUEd. The sentry only learns of it,
// so that the umask it caches per caller is trusted for creating calls again (CredentialsCache).
Reply SysUmask(SyscallCall& call) {
  CredentialsCache::Global().BeginUmask(call.tid());
  return Reply::Continue();
}

std::atomic<bool> g_devices_refused{false};

}  // namespace

void SetDevicesRefusedToSentry(bool refused) { g_devices_refused.store(refused, std::memory_order_release); }
bool DevicesRefusedToSentry() { return g_devices_refused.load(std::memory_order_acquire); }

void RegisterFileHandlers(HandlerTable& t) {
  t[SYS_umask] = SysUmask;
  t[SYS_open] = SysOpen;
  t[SYS_creat] = SysCreat;
  t[SYS_openat] = SysOpenat;
  t[SYS_openat2] = SysOpenat2;
  t[SYS_stat] = SysStat;
  t[SYS_lstat] = SysLstat;
  t[SYS_newfstatat] = SysNewfstatat;
  t[SYS_statx] = SysStatx;
  t[SYS_access] = SysAccess;
  t[SYS_faccessat] = SysFaccessat;
  t[SYS_faccessat2] = SysFaccessat2;
  t[SYS_readlink] = SysReadlink;
  t[SYS_readlinkat] = SysReadlinkat;
  t[SYS_mkdir] = SysMkdir;
  t[SYS_mkdirat] = SysMkdirat;
  t[SYS_unlink] = SysUnlink;
  t[SYS_unlinkat] = SysUnlinkat;
  t[SYS_rmdir] = SysRmdir;
  t[SYS_rename] = SysRename;
  t[SYS_renameat] = SysRenameat;
  t[SYS_renameat2] = SysRenameat2;
  t[SYS_chdir] = SysChdir;
  t[SYS_chroot] = SysChroot;
  t[SYS_execve] = SysExecve;
  t[SYS_execveat] = SysExecveat;
}

const HandlerTable& DefaultHandlers() {
  static const HandlerTable table = [] {
    HandlerTable t{};
    RegisterFileHandlers(t);
    RegisterSocketHandlers(t);
    RegisterFsAttrHandlers(t);
    RegisterViewHandlers(t);
    return t;
  }();
  return table;
}

}  // namespace see::sentry
