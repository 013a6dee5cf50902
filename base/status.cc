#include "base/status.h"

#include <cstring>

namespace see {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kAlreadyExists: return "already exists";
    case Code::kFailedPrecondition: return "failed precondition";
    case Code::kUnimplemented: return "unimplemented";
    case Code::kPermissionDenied: return "permission denied";
    case Code::kResourceExhausted: return "resource exhausted";
    case Code::kDeadlineExceeded: return "deadline exceeded";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

Status Status::Wrap(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m), errno_);
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  if (errno_ == 0) return message_;
  return message_ + ": " + std::strerror(errno_);
}

Status ErrnoStatus(int err, std::string message) {
  Code code = Code::kInternal;
  switch (err) {
    case ENOENT: case ESRCH: code = Code::kNotFound; break;
    case EEXIST: code = Code::kAlreadyExists; break;
    case EINVAL: case ENAMETOOLONG: case ELOOP: case ENOTDIR: code = Code::kInvalidArgument; break;
    case EPERM: case EACCES: code = Code::kPermissionDenied; break;
    case ENOSPC: case ENOMEM: case EMFILE: case ENFILE: case EAGAIN:
      code = Code::kResourceExhausted; break;
    case ETIMEDOUT: code = Code::kDeadlineExceeded; break;
    case ENOSYS: case EOPNOTSUPP: code = Code::kUnimplemented; break;
    default: break;
  }
  return Status(code, std::move(message), err);
}

}  // namespace see
