// PathResolver: resolves paths the way the caller's kernel would, but confined to the container's
// root, using openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from the root fd.
//
// Every resolution starts at the container root fd: a relative path is first turned into a
// root-relative one by prefixing the start directory's position under the root (from the sentry's
// /proc/self/fd view of the start fd). The kernel then walks the whole string inside the root:
// symlinks (absolute ones too) resolve inside it, ".." stops at it, magic links are refused. So
// whatever the caller does to the tree concurrently, no result lies outside the root; the worst a
// race can do is produce an error. A start directory that has no path to name it by (deleted, as a
// removed cwd, or deeper than PATH_MAX) is walked from directly with RESOLVE_BENEATH once its ".."
// chain is seen to reach the root (StartOf). One outside the root (another container's tree reached
// through /proc/<pid>/root, a cwd a chroot left outside) is walked from as Linux walks there, one
// component at a time (OpenOutside): absolute symlinks lead back to the caller's root. A caller's
// own RESOLVE_BENEATH or RESOLVE_IN_ROOT walk is the kernel's from its dirfd, wherever that is (the
// dirfd is that walk's root; outside the root no procfs or sysfs file comes of it).
// A relative walk under the caller's RESOLVE_NO_XDEV starts at its start directory, as Linux's
// does, confined below it or walked one component at a time (OpenNoXdevFromStart); a start
// directory renamed out of the root meanwhile is then walked from where it is, as the kernel
// would for the caller that holds it.
//
// The caller's /proc/self, /proc/thread-self, /dev/fd and /dev/std{in,out,err} name the caller, not
// the sentry: /proc/self/fd/N, /dev/fd/N and /dev/stdout (fd 1) re-open the caller's fd N (as Linux does: a new open of the same
// file, permission checked again on the inode with the caller's identity, so an O_RDONLY fd of a
// file the caller may write re-opens O_RDWR); /proc/self/{exe,cwd,root} (also spelled with the
// caller's own pid, thread-self, task/<own tid>) are the caller's own executable, cwd and root
// (CallerView::caller_link), other /proc/self paths are rewritten to /proc/<caller's pid in its namespace>.
// Those rewrites are lexical first; a symlink of the image that leads into a procfs "self" or
// "thread-self" (/etc/mtab -> ../proc/self/mounts, a link to /proc/self/fd/0) is found after the
// kernel walk: when that walk failed or ended on procfs and it met a symlink, the path is walked
// again component by component (each step an openat2 RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS from the
// root, links read and followed here, at most 40) and, if it reaches a procfs root's self or
// thread-self, continues as that /proc/self spelling (LinksIntoProcSelf). Every step stays a
// RESOLVE_IN_ROOT walk from the root fd, so a race can change the answer, never leave the root.
//
// Errors: every failure is a Status whose err() is the errno the caller must see.
// Thread safety: const methods are safe from any thread; the resolver borrows `root_fd`, which
// must outlive it.
#pragma once

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see::sentry {

// What /proc/self means to the caller and how to reach its fds.
struct CallerView {
  pid_t ns_tgid = 0;
  pid_t ns_tid = 0;
  // Whether the lexical spellings (/proc/self..., /dev/fd/N, /dev/std*) name the caller. False for
  // a caller chrooted into a tree without a procfs at /proc: they are walked as any other path
  // there (ENOENT, as natively).
  bool lexical = true;
  // Returns a sentry-side duplicate of the caller's fd N (pidfd_getfd), or EBADF.
  std::function<Result<UniqueFd>(int)> caller_fd;
  // Opens (O_PATH) what the caller's own magic link /proc/<its pid>/<name> names, for `name` one
  // of "exe", "cwd", "root", "ns/<type>": the caller's own executable, working directory, root,
  // namespace (the sentry follows its host /proc/<caller tid>/<name>). Unset: those links are
  // refused (ELOOP).
  std::function<Result<UniqueFd>(std::string_view)> caller_link;
  // Opens (O_PATH) what another process's (or thread's) magic link names: `dir` is its /proc
  // directory as the caller spelled it ("/proc/<pid>" or "/proc/<pid>/task/<tid>", pids of the
  // caller's procfs), `name` one of "exe", "cwd", "root", "ns/<type>", "fd/<n>". Linux follows
  // these for a caller that passes the ptrace-read check on that process. nullopt: not a process
  // directory of the procfs at /proc, the path is walked as any other. Unset: refused (ELOOP).
  std::function<Result<std::optional<UniqueFd>>(const std::string& dir, std::string_view name)> peer_link;
  // Opens with `how` the caller's own /proc entry `entry` (one that IsOwnProcEntry names), reached
  // by the spellings /proc/self/<entry>, /proc/thread-self/<entry>, /proc/<own pid>/<entry> and
  // .../task/<own tid>/<entry>, at `rel` ("proc/<ns_tgid>[/task/<ns_tid>]/<entry>", from the caller's root), as
  // Linux opens it for the caller: without the ptrace check another process would have to pass.
  // nullopt when the procfs there is not the caller's own pid namespace's (<ns_tgid> would name
  // another process): `rel` is then walked as any path. Unset: always walked.
  std::function<Result<std::optional<UniqueFd>>(const std::string& rel, std::string_view entry,
                                                const open_how& how)>
      caller_entry;
};

// The entries of a process's own /proc directory that Linux lets the process itself open without
// the ptrace check another opener must pass, and whose contents do not depend on the pid namespace
// of the procfs they are read through: maps, smaps, smaps_rollup, numa_maps, mem, pagemap, auxv,
// environ, stack, syscall, personality, io, and the directories fd and fdinfo.
bool IsOwnProcEntry(std::string_view name);

class PathResolver {
 public:
  // `root_fd`: where paths resolve (-1: nowhere, every walk fails with ENOENT). `ns_root_fd`: the
  // root of the container's mount namespace, from which the kernel names its objects (the same
  // unless the caller chrooted; -1: `root_fd`).
  explicit PathResolver(int root_fd, int ns_root_fd = -1)
      : root_fd_(root_fd), ns_root_fd_(ns_root_fd >= 0 ? ns_root_fd : root_fd) {}

  // openat2 semantics for `path` relative to `start_fd` (a sentry-side fd for the caller's dirfd or
  // cwd; ignored for absolute paths unless `how.resolve` has RESOLVE_IN_ROOT). `how.resolve` may
  // carry the caller's own RESOLVE_* flags; RESOLVE_NO_MAGICLINKS is always added, and
  // RESOLVE_IN_ROOT for the walk from the root (a caller's RESOLVE_BENEATH or RESOLVE_IN_ROOT is
  // the kernel's walk from its dirfd). The fd is O_CLOEXEC in the sentry.
  // `*own_entry` (when given) tells whether the result is one of the caller's own /proc entries
  // opened by CallerView::caller_entry: a file of the sentry's host procfs, not of the container's.
  Result<UniqueFd> Open(int start_fd, std::string_view path, open_how how,
                        const CallerView* caller = nullptr, bool* own_entry = nullptr) const;

  // Splits `path` into its parent directory (opened O_PATH|O_DIRECTORY) and last component, for
  // calls that act on a name in a directory (mkdir, unlink, rename, ...). `last` may be "." or
  // ".." (callers map that to the errno their syscall gives) and loses trailing slashes;
  // `trailing_slash` tells whether there were any. The directory is where the caller's own walk
  // would lead: inside the root, or below a directory outside it that the caller holds or was let
  // follow (its cwd or fd N, /proc/<pid>/root of another container: OpenOutside).
  struct Parent {
    UniqueFd dir;
    std::string last;
    bool trailing_slash = false;
    // `dir` is the caller's own /proc fd or fdinfo directory (CallerView::caller_entry), which
    // Linux lets the process past every permission check on (proc_fd_permission).
    bool own_entry = false;
  };
  Result<Parent> OpenParent(int start_fd, std::string_view path,
                            const CallerView* caller = nullptr) const;

  // The root-relative path ("" for the root itself, else "a/b") of `fd`, or ENOENT. Told by the
  // name the kernel gives `fd`, which for an object of another mount namespace (a sibling
  // container's root reached through /proc/<pid>/root) is named from that namespace's root and
  // reads like a path inside this one: CheckNamedInsideRoot when the object itself will be walked.
  Result<std::string> RootRelative(int fd) const;

  // OK when `fd` lies inside the root: its RootRelative name, walked again from the root without
  // symlinks, reaches the same object (device, inode and mount). ENOENT otherwise.
  Status CheckNamedInsideRoot(int fd) const;

  // RootRelative, for a name to walk from the root instead of `fd`: on the root's own mount the
  // name is this tree's; on another mount it is checked (CheckNamedInsideRoot), since a sibling
  // container's directory reads like one here. ENOENT when it is not the object's name here.
  Result<std::string> NameInsideRoot(int fd) const;

  // Whether `fd`, an object on procfs, lies in the /proc/<tid> directory of one of the sentry's own
  // threads in a procfs that shows the sentry (the host's /proc as a volume, or the /proc of a
  // container in the host's pid namespace). The kernel skips its ptrace checks (mem, environ,
  // maps, fd/N...) for a process's own entries, and a served open or readlink runs on a sentry
  // thread: such an entry must not be handed to a caller (EACCES, what a caller without
  // CAP_SYS_PTRACE over the host gets natively: the sentry is not dumpable). Decided on the object:
  // the root of its own procfs instance found on its path as the kernel names it (same device,
  // inode 1), the sentry's "self" there, the pid directory below that root one of the sentry's
  // threads there, and otherwise the object still reached by its name from that root (a thread
  // that exited since, or a renamed directory, is refused). Call it with the sentry's identity.
  // The second form takes FsPlaceOf(fd), computed once by a caller that needs it for more.
  struct FsPlace;
  Result<bool> IsSentryTaskEntry(int fd) const;
  Result<bool> IsSentryTaskEntry(const Result<std::optional<FsPlace>>& place) const;

  // Where `fd`, an object on procfs or sysfs (whose roots have inode 1), lies in its own file
  // system instance: that instance's root, found on the object's path as the kernel names it (a
  // directory of the same device with inode 1, walked from the container's root only),
  // and the components of the object's path below it ({"sys", "kernel", "core_pattern"}). nullopt
  // when no such root is on its path: a bind mount of a directory other than its root (hostPath
  // /proc/sys), or a race. What the object is (a sysctl, a view) is told from this, wherever the
  // caller reached it from (its chroot, another mount of the file system).
  struct FsPlace {
    UniqueFd root;
    struct stat object;
    std::vector<std::string> below;
  };
  Result<std::optional<FsPlace>> FsPlaceOf(int fd) const;

  // A path as the sentry sees it (e.g. what readlink of a /proc magic link renders: the kernel
  // prints it relative to the reader's root, which is the sentry's) as the container sees it.
  // Paths outside the root and non-paths ("pipe:[12]") come back unchanged.
  std::string ToContainerView(const std::string& sentry_path) const;


 private:
  // Open(); sets `*reopened` when the result is a caller fd re-opened as it is (not resolved).
  // `proc_walk`: a kernel walk that may have met a symlink into a procfs self is redone
  // (LinksIntoProcSelf); off for the path that walk produced.
  Result<UniqueFd> OpenImpl(int start_fd, std::string_view path, open_how how,
                            const CallerView* caller, bool* reopened, bool proc_walk = true,
                            bool* own_entry = nullptr) const;

  // Where a relative `path` from `start_fd` starts: normally the start directory's root-relative
  // name (`prefix`, `rest` = path). A directory without a usable name (deleted, or deeper than
  // PATH_MAX) is checked to lie inside the root, leading ".." are climbed from it, and if no named
  // ancestor ends that, `beneath` is the directory to walk `rest` from (RESOLVE_BENEATH).
  // A directory outside the root (another container's, reached through /proc/<pid>/root, or a cwd
  // or dirfd a chroot left outside) is `outside`, to walk `rest` from (OpenOutside).
  struct Start {
    std::string prefix;
    std::string rest;
    UniqueFd beneath;
    bool outside = false;
  };
  Result<Start> StartOf(int start_fd, std::string_view path) const;

  // What a caller path names directly, without a walk: the caller's fd N, one of its own magic
  // links (exe, cwd, root, ns/<type>) or another process's; `after` is the rest of the path below it.
  struct CallerObject {
    int fd = -1;
    std::string link;
    std::string peer;        // the /proc directory whose `link` it is, when not the caller's own,
    std::string peer_path;   // and the path to walk when peer_link declines it
    std::string entry;       // an own /proc entry (CallerView::caller_entry) ...
    std::string entry_path;  // ... and where it is from the root,
    bool entry_by_pid = false;  // ... spelled with the caller's pid (no symlink, no mount crossed)
    std::string after;
    // Spelled through a symlink ("self", "thread-self", /dev/fd, /dev/std*), which the kernel's
    // walk meets before the object itself (RESOLVE_NO_SYMLINKS: ELOOP there).
    bool via_symlink = false;
    bool named() const { return fd >= 0 || !link.empty() || !entry.empty(); }
  };

  // Turns a caller path into a root-relative string, applying the /proc/self rewrite. Fills
  // `*object` (and leaves the result empty) when the path names a caller fd or magic link
  // directly. Sets `beneath->beneath` when the walk must start from that directory (StartOf, which
  // also says whether it lies outside the root); the result is then relative to it.
  // `nofollow_last`: a last component that is one of those links names the link itself.
  Result<std::string> Absolutize(int start_fd, std::string_view path, const CallerView* caller,
                                 CallerObject* object, Start* beneath, bool nofollow_last) const;

  // Walks root-relative absolute `full` component by component, following symlinks itself. If the
  // walk reaches "self" or "thread-self" in a procfs root, returns the path that spells it
  // ("/proc/self/<rest>"; for a procfs mounted elsewhere "/<mount>/<pid>/<rest>"); nullopt when it
  // does not (or fails: the kernel's own answer then stands).
  std::optional<std::string> LinksIntoProcSelf(const std::string& full, bool nofollow_last,
                                               const CallerView& caller) const;

  // ENOENT unless walking ".." from `fd` meets the root directory.
  Status CheckInsideRoot(int fd) const;

  // Whether directory `fd` lies inside the root: named there (NameInsideRoot), or else its ".."
  // chain meets the root (CheckInsideRoot: deleted, too deep to name, or named like another object).
  Result<bool> InsideRoot(int fd) const;

  // Whether `fd` is on the root's own mount (mount ids: the root fd holds its mount, so its id is
  // no other's while the resolver lives).
  bool OnRootMount(int fd) const;

  // OK when `rel`, walked from the root without symlinks, reaches `fd`'s object (device, inode
  // and mount); ENOENT otherwise.
  Status CheckNamedAt(int fd, const std::string& rel) const;

  // A relative walk under the caller's RESOLVE_NO_XDEV, which Linux makes from the start
  // directory: crossing a mount on the way there (from the root) is none of the caller's. When the
  // start directory lies inside the root on a file system other than procfs, the walk is made from
  // it with RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS added: whatever it gives but EXDEV and ELOOP is
  // the caller's own walk's answer (the same components from the same directory). Those two may be
  // this walk's own refusals (a ".." above the start, an absolute or magic link): then, from a
  // start on another mount than the root's, the walk is OpenOutside's (one component at a time).
  // nullopt leaves the rest to the walk from the root: a start on the root's mount (reaching it from
  // the root crossed no mount), on procfs (whose "self" the sentry must spell for the caller), or,
  // after those refusals, on sysfs (its links climb above the start; OpenOutside walks no sysfs).
  std::optional<Result<UniqueFd>> OpenNoXdevFromStart(int start_fd, std::string_view path,
                                                      open_how how, const CallerView* caller,
                                                      bool* reopened, bool* own_entry) const;

  // openat2(RESOLVE_BENEATH) from a directory StartOf returned.
  Result<UniqueFd> OpenBeneath(int dir_fd, const std::string& rest, open_how how) const;

  // Walks `rest` from `dir`, a directory outside the root that the caller holds (its cwd or a
  // dirfd) or reached through a link the kernel let it follow, as Linux walks for the caller: one
  // component at a time, ".." up to the top of the directory's own mount namespace (or the
  // caller's root, if met), a relative symlink followed from where it lies, an absolute one from
  // the caller's root (the rest then resolved as any path: OpenImpl). The kernel's walk of each
  // step is the worker's with the caller's
  // identity; nothing below a procfs or sysfs there is walked (EACCES: their magic links and
  // views are told by place, which these have none of). Also used for a RESOLVE_NO_XDEV walk
  // from a start inside the root on another mount (OpenNoXdevFromStart).
  Result<UniqueFd> OpenOutside(UniqueFd dir, std::string_view rest, open_how how,
                               const CallerView* caller, bool* reopened, bool* own_entry) const;

  int root_fd_;
  int ns_root_fd_;
};

// `sentry_path` with the root directory's sentry path `root` removed ("/" for the root itself).
std::string StripRootPrefix(const std::string& sentry_path, const std::string& root);

// openat2(2), retried when it reports EAGAIN (a rename or mount raced with a RESOLVE_IN_ROOT or
// RESOLVE_BENEATH walk; a retry sees a consistent tree). An empty `path` is ".".
Result<UniqueFd> OpenAt2(int dirfd, const std::string& path, open_how how);

// The sentry's /proc/self/fd directory (O_PATH, opened at start-up; -1 if that failed). Names
// relative to it ("N") reach the sentry's fd N without a walk from the sentry's "/", which a
// caller's identity may not be allowed to search.
int SentryProcSelfFdDir();

// Open flags as the kernel has them on x86-64, where glibc's differ: the kernel's __O_TMPFILE is
// one bit (glibc's __O_TMPFILE carries O_DIRECTORY too, so `flags & __O_TMPFILE` holds for every
// O_DIRECTORY open), and O_LARGEFILE is 0 in glibc's headers.
inline constexpr uint64_t kOpenTmpfileBit = 020000000;
inline constexpr uint64_t kOpenLargefile = 0100000;
// fs/fcntl.c VALID_OPEN_FLAGS: open/openat ignore other bits, openat2 refuses them.
inline constexpr uint64_t kValidOpenFlags =
    O_RDONLY | O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK |
    O_DSYNC | FASYNC | O_DIRECT | kOpenLargefile | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC |
    O_PATH | O_TMPFILE | O_SYNC;

// What open(2) and openat(2) hand on (the kernel's build_open_how): unknown flags dropped, O_PATH
// keeps only O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC, and the mode only counts for a create.
open_how LegacyOpenHow(uint64_t flags, uint64_t mode);

// The kernel's refusals of an open_how before any walk or read of the path (build_open_flags):
// EINVAL for unknown flags or resolve bits, both scoping flags, a mode without a create (or one
// beyond 07777), O_CREAT|O_DIRECTORY, an O_TMPFILE without O_DIRECTORY or write access or with
// O_CREAT, and O_PATH with other flags than its own; EAGAIN for RESOLVE_CACHED with an open that
// creates or truncates. 0 when it passes.
int OpenHowError(const open_how& how);

// Re-opens `fd` (a sentry-side duplicate of a caller fd) with `flags`, as /proc/self/fd/N would
// for the caller: O_CREAT creates nothing (the node exists; with O_EXCL: EEXIST), and O_TMPFILE
// makes its file, with `mode`, in the directory `fd` is. REQUIRES: the caller's identity and
// umask are assumed (ScopedCredentials): the inode's permissions are what decides, as for the
// caller natively.
Result<UniqueFd> ReopenCallerFd(int fd, int flags, mode_t mode = 0);

}  // namespace see::sentry
