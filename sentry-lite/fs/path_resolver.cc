#include "sentry-lite/fs/path_resolver.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <vector>

namespace see::sentry {
namespace {

Status Errno(int err, std::string what) { return ErrnoStatus(err, std::move(what)); }

Result<std::string> FdPath(int fd) {
  char buf[PATH_MAX + 1];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(link.c_str(), buf, PATH_MAX);
  if (n < 0) return Errno(errno == ENOENT ? EBADF : errno, "readlink " + link);
  return std::string(buf, static_cast<size_t>(n));
}

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (!c.empty() && c != ".") out.push_back(c);
    i = j + 1;
  }
  return out;
}

bool ParseFdNumber(std::string_view s, int* fd) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *fd);
  return ec == std::errc() && p == s.data() + s.size() && *fd >= 0;
}

std::string Join(const std::vector<std::string_view>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) {
    if (!out.empty()) out += '/';
    out += parts[i];
  }
  return out;
}

// openat2 reports EAGAIN when a rename or mount raced with a RESOLVE_IN_ROOT walk; a retry sees a
// consistent tree.
Result<UniqueFd> OpenAt2(int dirfd, const std::string& path, open_how how) {
  const char* p = path.empty() ? "." : path.c_str();
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, dirfd, p, &how, sizeof(how));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != EAGAIN || attempt >= 16) return Errno(errno, "openat2 " + path);
  }
}

}  // namespace

Result<std::string> PathResolver::RootRelative(int fd) const {
  Result<std::string> root_or = FdPath(root_fd_);
  if (!root_or.ok()) return root_or.status();
  Result<std::string> p_or = FdPath(fd);
  if (!p_or.ok()) return p_or.status();
  const std::string& root = *root_or;
  const std::string& p = *p_or;
  if (!p.starts_with('/') || p.ends_with(" (deleted)")) {
    return Errno(ENOENT, "start directory is gone or unreachable: " + p);
  }
  if (root == "/") return p.substr(1);
  if (p == root) return std::string();
  if (p.size() > root.size() && p.compare(0, root.size(), root) == 0 && p[root.size()] == '/') {
    return p.substr(root.size() + 1);
  }
  return Errno(ENOENT, "start directory outside the container root: " + p);
}

Result<std::string> PathResolver::Absolutize(int start_fd, std::string_view path,
                                             const CallerView* caller, int* reopen_fd,
                                             std::string* after_fd) const {
  *reopen_fd = -1;
  if (path.empty()) return Errno(ENOENT, "empty path");
  if (path.size() >= PATH_MAX) return Errno(ENAMETOOLONG, "path too long");
  std::string full;
  if (path[0] == '/') {
    full = std::string(path);
  } else {
    SEE_ASSIGN_OR_RETURN(std::string prefix, RootRelative(start_fd));
    full = "/" + prefix + "/" + std::string(path);
  }
  if (caller == nullptr) return full;
  // Lexical: /proc/self and friends as the caller spelled them. Other spellings go through the
  // kernel walk, where magic links are refused: safe, merely less exact.
  std::vector<std::string_view> parts = Components(full);
  size_t fd_at = 0;
  if (parts.size() >= 4 && parts[0] == "proc" && (parts[1] == "self" || parts[1] == "thread-self") &&
      parts[2] == "fd") {
    fd_at = 3;
  } else if (parts.size() >= 3 && parts[0] == "dev" && parts[1] == "fd") {
    fd_at = 2;
  }
  int n = -1;
  if (fd_at != 0 && ParseFdNumber(parts[fd_at], &n)) {
    *reopen_fd = n;
    *after_fd = Join(parts, fd_at + 1);
    if (full.back() == '/' && !after_fd->empty()) *after_fd += '/';
    return std::string();
  }
  if (parts.size() >= 2 && parts[0] == "proc" && parts[1] == "self") {
    std::string rest = Join(parts, 2);
    return "/proc/" + std::to_string(caller->ns_tgid) + (rest.empty() ? "" : "/" + rest);
  }
  if (parts.size() >= 2 && parts[0] == "proc" && parts[1] == "thread-self") {
    std::string rest = Join(parts, 2);
    return "/proc/" + std::to_string(caller->ns_tgid) + "/task/" + std::to_string(caller->ns_tid) +
           (rest.empty() ? "" : "/" + rest);
  }
  return full;
}

Result<UniqueFd> PathResolver::Open(int start_fd, std::string_view path, open_how how,
                                    const CallerView* caller) const {
  return OpenImpl(start_fd, path, how, caller, nullptr);
}

Result<UniqueFd> PathResolver::OpenImpl(int start_fd, std::string_view path, open_how how,
                                        const CallerView* caller, bool* reopened) const {
  if (reopened != nullptr) *reopened = false;
  how.flags |= O_CLOEXEC;
  // The caller confining itself to its dirfd: resolve from there, after checking the dirfd is
  // inside our root (so the result is too).
  if ((how.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0 && !path.empty() &&
      (path[0] != '/' || (how.resolve & RESOLVE_IN_ROOT) != 0)) {
    SEE_RETURN_IF_ERROR(RootRelative(start_fd).status());
    how.resolve |= RESOLVE_NO_MAGICLINKS;
    return OpenAt2(start_fd, std::string(path), how);
  }
  int reopen = -1;
  std::string after;
  SEE_ASSIGN_OR_RETURN(std::string full, Absolutize(start_fd, path, caller, &reopen, &after));
  if (reopen >= 0) {
    if (!caller->caller_fd) return Errno(EBADF, "no access to caller fds");
    SEE_ASSIGN_OR_RETURN(UniqueFd fd, caller->caller_fd(reopen));
    if (after.empty() && (how.flags & O_NOFOLLOW) != 0) {
      // The fd link itself, not the file: the caller's own /proc/<pid>/fd/N in the container's
      // /proc (re-opening the sentry's /proc/self/fd/N would hand out the sentry's link; found by
      // path_resolver_fuzz). A trailing O_PATH|O_NOFOLLOW magic link is allowed by openat2.
      how.resolve |= RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
      return OpenAt2(root_fd_, "/proc/" + std::to_string(caller->ns_tgid) + "/fd/" +
                                   std::to_string(reopen), how);
    }
    if (after.empty()) {
      if (reopened != nullptr) *reopened = true;
      return ReopenCallerFd(fd.get(), static_cast<int>(how.flags));
    }
    SEE_ASSIGN_OR_RETURN(std::string prefix, RootRelative(fd.get()));
    full = prefix + "/" + after;
  }
  how.resolve |= RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return OpenAt2(root_fd_, full, how);
}

Result<PathResolver::Parent> PathResolver::OpenParent(int start_fd, std::string_view path,
                                                      const CallerView* caller) const {
  if (path.empty()) return Errno(ENOENT, "empty path");
  Parent out;
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') --end;
  out.trailing_slash = end != path.size();
  std::string_view trimmed = path.substr(0, end);
  if (trimmed == "/") {
    out.last = ".";
    open_how how{.flags = O_PATH | O_DIRECTORY};
    SEE_ASSIGN_OR_RETURN(out.dir, Open(start_fd, "/", how, caller));
    return out;
  }
  size_t slash = trimmed.rfind('/');
  std::string dir;
  if (slash == std::string_view::npos) {
    dir = ".";
    out.last = std::string(trimmed);
  } else {
    dir = slash == 0 ? "/" : std::string(trimmed.substr(0, slash));
    out.last = std::string(trimmed.substr(slash + 1));
  }
  if (out.last.size() > NAME_MAX) return Errno(ENAMETOOLONG, "name too long");
  open_how how{.flags = O_PATH | O_DIRECTORY};
  bool reopened = false;
  SEE_ASSIGN_OR_RETURN(out.dir, OpenImpl(start_fd, dir, how, caller, &reopened));
  // "/proc/self/fd/N/name" with the caller's fd N a directory: names are created and removed in
  // it only if it lies inside the root, as for a dirfd start directory (found by fuzzing).
  if (reopened) SEE_RETURN_IF_ERROR(RootRelative(out.dir.get()).status());
  return out;
}

std::string StripRootPrefix(const std::string& sentry_path, const std::string& root) {
  if (root == "/" || sentry_path.empty() || sentry_path[0] != '/') return sentry_path;
  if (sentry_path == root) return "/";
  if (sentry_path.size() > root.size() && sentry_path.compare(0, root.size(), root) == 0 &&
      sentry_path[root.size()] == '/') {
    return sentry_path.substr(root.size());
  }
  return sentry_path;
}

std::string PathResolver::ToContainerView(const std::string& sentry_path) const {
  Result<std::string> root = FdPath(root_fd_);
  return root.ok() ? StripRootPrefix(sentry_path, *root) : sentry_path;
}

Result<UniqueFd> ReopenCallerFd(int fd, int flags) {
  int orig = fcntl(fd, F_GETFL);
  if (orig < 0) return Errno(errno, "F_GETFL");
  if ((orig & O_PATH) == 0 && (flags & O_PATH) == 0) {
    int want = flags & O_ACCMODE, have = orig & O_ACCMODE;
    if (want != have && have != O_RDWR) return Errno(EACCES, "re-open would widen access");
  }
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  int r = open(link.c_str(), (flags & ~(O_CREAT | O_EXCL | O_TMPFILE)) | O_CLOEXEC);
  if (r < 0) return Errno(errno, "re-open " + link);
  return UniqueFd(r);
}

}  // namespace see::sentry
