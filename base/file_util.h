// Small file helpers with errors as values.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace see {

Result<std::string> ReadFile(const std::string& path);
// Writes `data` to an existing or new file (O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, `mode`).
Status WriteFile(const std::string& path, std::string_view data, mode_t mode = 0644);
// Writes without O_CREAT/O_TRUNC: for kernel interfaces (cgroupfs, /proc) that reject them.
Status WriteExistingFile(const std::string& path, std::string_view data);
// Atomic replace: write to a temp file beside `path`, fsync, rename.
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644);
// mkdir -p. Existing directories are fine.
Status MkdirAll(const std::string& path, mode_t mode = 0755);
// Writes all of `data` to `fd`, retrying on EINTR and short writes.
Status WriteAll(int fd, std::string_view data);
// Reads until EOF.
Result<std::string> ReadAll(int fd);
bool PathExists(const std::string& path);

}  // namespace see
