#include "base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace see {

Result<std::string> ReadAll(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read");
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoStatus("open " + path);
  auto r = ReadAll(fd.get());
  if (!r.ok()) return r.status().Wrap(path);
  return r;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

static Status WriteWithFlags(const std::string& path, std::string_view data, int flags,
                             mode_t mode) {
  UniqueFd fd(::open(path.c_str(), flags | O_WRONLY | O_CLOEXEC, mode));
  if (!fd) return ErrnoStatus("open " + path);
  Status s = WriteAll(fd.get(), data);
  if (!s.ok()) return s.Wrap(path);
  return Status::Ok();
}

Status WriteFile(const std::string& path, std::string_view data, mode_t mode) {
  return WriteWithFlags(path, data, O_CREAT | O_TRUNC, mode);
}

Status WriteExistingFile(const std::string& path, std::string_view data) {
  return WriteWithFlags(path, data, 0, 0);
}

Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) return ErrnoStatus("open " + tmp);
    Status s = WriteAll(fd.get(), data);
    if (s.ok() && ::fsync(fd.get()) != 0) s = ErrnoStatus("fsync");
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s.Wrap(tmp);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoStatus("rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

Status MkdirAll(const std::string& path, mode_t mode) {
  if (path.empty()) return InvalidArgument("MkdirAll: empty path");
  std::string cur;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    cur = path.substr(0, next);
    pos = next + 1;
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return ErrnoStatus("mkdir " + cur);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat " + path);
  if (!S_ISDIR(st.st_mode)) return ErrnoStatus(ENOTDIR, path);
  return Status::Ok();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace see
