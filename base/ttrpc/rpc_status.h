// The status a ttrpc response carries: a google.rpc.Status with a gRPC code. containerd turns the
// code back into its errdefs (NotFound, AlreadyExists, FailedPrecondition, ...), so the shim must
// pick codes deliberately; see::Code <-> RpcCode conversion lives here and only here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace see::ttrpc {

// google.golang.org/grpc/codes, same numbers.
enum class RpcCode : int32_t {
  kOk = 0,
  kCanceled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

const char* RpcCodeName(RpcCode code);

struct RpcStatus {
  RpcCode code = RpcCode::kOk;
  std::string message;

  bool ok() const { return code == RpcCode::kOk; }
};

// The code a handler's failure is reported with.
RpcCode ToRpcCode(Code code);
RpcStatus ToRpcStatus(const Status& status);
// A peer's non-OK answer as a Status ("<rpc code name>: message"); unknown codes map to kInternal.
Status FromRpcStatus(const RpcStatus& status);

// `s` with every invalid UTF-8 sequence replaced by U+FFFD (Go's strings.ToValidUTF8 rule set).
// google.rpc.Status.message is a proto3 string: Go peers refuse to parse a response whose message
// is not UTF-8, so error text that may hold raw paths or program output goes through this.
std::string ToValidUtf8(std::string_view s);

}  // namespace see::ttrpc
