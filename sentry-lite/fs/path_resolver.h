// PathResolver: resolves paths the way the caller's kernel would, but confined to the container's
// root, using openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from the root fd.
//
// Every resolution starts at the container root fd: a relative path is first turned into a
// root-relative one by prefixing the start directory's position under the root (from the sentry's
// /proc/self/fd view of the start fd). The kernel then walks the whole string inside the root:
// symlinks (absolute ones too) resolve inside it, ".." stops at it, magic links are refused. So
// whatever the caller does to the tree concurrently, no result lies outside the root; the worst a
// race can do is produce an error. A start directory that is not under the root (or was deleted)
// fails with ENOENT.
//
// The caller's /proc/self, /proc/thread-self and /dev/fd name the caller, not the sentry:
// /proc/self/fd/N and /dev/fd/N re-open the caller's fd N (never with more access than it was
// opened with), other /proc/self paths are rewritten to /proc/<caller's pid in its namespace>.
//
// Errors: every failure is a Status whose err() is the errno the caller must see.
// Thread safety: const methods are safe from any thread; the resolver borrows `root_fd`, which
// must outlive it.
#pragma once

#include <linux/openat2.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see::sentry {

// What /proc/self means to the caller and how to reach its fds.
struct CallerView {
  pid_t ns_tgid = 0;
  pid_t ns_tid = 0;
  // Returns a sentry-side duplicate of the caller's fd N (pidfd_getfd), or EBADF.
  std::function<Result<UniqueFd>(int)> caller_fd;
};

class PathResolver {
 public:
  explicit PathResolver(int root_fd) : root_fd_(root_fd) {}

  // openat2 semantics for `path` relative to `start_fd` (a sentry-side fd for the caller's dirfd or
  // cwd; ignored for absolute paths). `how.resolve` may carry the caller's own RESOLVE_* flags;
  // RESOLVE_IN_ROOT and RESOLVE_NO_MAGICLINKS are always added. The fd is O_CLOEXEC in the sentry.
  Result<UniqueFd> Open(int start_fd, std::string_view path, open_how how,
                        const CallerView* caller = nullptr) const;

  // Splits `path` into its parent directory (opened O_PATH|O_DIRECTORY) and last component, for
  // calls that act on a name in a directory (mkdir, unlink, rename, ...). `last` may be "." or
  // ".." (callers map that to the errno their syscall gives) and loses trailing slashes;
  // `trailing_slash` tells whether there were any. The directory is always inside the root: a
  // parent named through a caller fd (/proc/self/fd/N/name) outside it fails with ENOENT.
  struct Parent {
    UniqueFd dir;
    std::string last;
    bool trailing_slash = false;
  };
  Result<Parent> OpenParent(int start_fd, std::string_view path,
                            const CallerView* caller = nullptr) const;

  // The root-relative path ("" for the root itself, else "a/b") of `fd`, or ENOENT.
  Result<std::string> RootRelative(int fd) const;

  // A path as the sentry sees it (e.g. what readlink of a /proc magic link renders: the kernel
  // prints it relative to the reader's root, which is the sentry's) as the container sees it.
  // Paths outside the root and non-paths ("pipe:[12]") come back unchanged.
  std::string ToContainerView(const std::string& sentry_path) const;

  int root_fd() const { return root_fd_; }

 private:
  // Open(); sets `*reopened` when the result is a caller fd re-opened as it is (not resolved).
  Result<UniqueFd> OpenImpl(int start_fd, std::string_view path, open_how how,
                            const CallerView* caller, bool* reopened) const;

  // Turns a caller path into a root-relative string, applying the /proc/self rewrite. Sets
  // `*reopen_fd` (and leaves the result empty) when the path names a caller fd directly.
  Result<std::string> Absolutize(int start_fd, std::string_view path, const CallerView* caller,
                                 int* reopen_fd, std::string* after_fd) const;

  int root_fd_;
};

// `sentry_path` with the root directory's sentry path `root` removed ("/" for the root itself).
std::string StripRootPrefix(const std::string& sentry_path, const std::string& root);

// Re-opens `fd` (a sentry-side duplicate of a caller fd) with `flags`, as /proc/self/fd/N would
// for the caller, refusing to widen the access mode it was opened with (EACCES).
Result<UniqueFd> ReopenCallerFd(int fd, int flags);

}  // namespace see::sentry
