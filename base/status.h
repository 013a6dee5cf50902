// Errors as values. A Status is OK or carries an errno (0 when the failure is not a system error)
// and a message with context attached where the failure happened. Result<T> is a T or a Status.
//
// Usage:
//   Result<UniqueFd> fd = OpenAt(dirfd, "x");
//   if (!fd.ok()) return fd.status().Wrap("opening config");
//   SEE_RETURN_IF_ERROR(DoThing());
//   SEE_ASSIGN_OR_RETURN(UniqueFd f, OpenAt(dirfd, "y"));
#pragma once

#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace see {

// Broad categories, mapped to ttrpc/gRPC codes in exactly one place in the shim.
enum class Code {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnimplemented,
  kPermissionDenied,
  kResourceExhausted,
  kDeadlineExceeded,
  kInternal,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK.
  Status(Code code, std::string message, int err = 0)
      : code_(code), errno_(err), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // The errno of the failing system call, or 0.
  int err() const { return errno_; }
  const std::string& message() const { return message_; }

  // Returns a copy with `context` prepended: "context: message".
  Status Wrap(std::string_view context) const;

  // "message: strerror(errno)" (or just the message).
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  int errno_ = 0;
  std::string message_;
};

// A failed system call: picks a Code from errno and appends nothing; ToString adds strerror.
Status ErrnoStatus(int err, std::string message);
// Same, reading the current errno.
inline Status ErrnoStatus(std::string message) { return ErrnoStatus(errno, std::move(message)); }

inline Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
inline Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
inline Status FailedPrecondition(std::string m) {
  return Status(Code::kFailedPrecondition, std::move(m));
}
inline Status Unimplemented(std::string m) { return Status(Code::kUnimplemented, std::move(m)); }
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design.
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design.
    if (std::get<Status>(v_).ok()) std::abort();  // An OK status carries no value.
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace see

#define SEE_CONCAT_INNER(a, b) a##b
#define SEE_CONCAT(a, b) SEE_CONCAT_INNER(a, b)

#define SEE_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::see::Status see_status_ = (expr);        \
    if (!see_status_.ok()) return see_status_; \
  } while (0)

#define SEE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#define SEE_ASSIGN_OR_RETURN(lhs, expr) \
  SEE_ASSIGN_OR_RETURN_IMPL(SEE_CONCAT(see_result_, __LINE__), lhs, expr)
