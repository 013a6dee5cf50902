#include "base/ttrpc/rpc_status.h"

namespace see::ttrpc {

const char* RpcCodeName(RpcCode code) {
  switch (code) {
    case RpcCode::kOk: return "OK";
    case RpcCode::kCanceled: return "Canceled";
    case RpcCode::kUnknown: return "Unknown";
    case RpcCode::kInvalidArgument: return "InvalidArgument";
    case RpcCode::kDeadlineExceeded: return "DeadlineExceeded";
    case RpcCode::kNotFound: return "NotFound";
    case RpcCode::kAlreadyExists: return "AlreadyExists";
    case RpcCode::kPermissionDenied: return "PermissionDenied";
    case RpcCode::kResourceExhausted: return "ResourceExhausted";
    case RpcCode::kFailedPrecondition: return "FailedPrecondition";
    case RpcCode::kAborted: return "Aborted";
    case RpcCode::kOutOfRange: return "OutOfRange";
    case RpcCode::kUnimplemented: return "Unimplemented";
    case RpcCode::kInternal: return "Internal";
    case RpcCode::kUnavailable: return "Unavailable";
    case RpcCode::kDataLoss: return "DataLoss";
    case RpcCode::kUnauthenticated: return "Unauthenticated";
  }
  return "Code(?)";
}

RpcCode ToRpcCode(Code code) {
  switch (code) {
    case Code::kOk: return RpcCode::kOk;
    case Code::kInvalidArgument: return RpcCode::kInvalidArgument;
    case Code::kNotFound: return RpcCode::kNotFound;
    case Code::kAlreadyExists: return RpcCode::kAlreadyExists;
    case Code::kFailedPrecondition: return RpcCode::kFailedPrecondition;
    case Code::kUnimplemented: return RpcCode::kUnimplemented;
    case Code::kPermissionDenied: return RpcCode::kPermissionDenied;
    case Code::kResourceExhausted: return RpcCode::kResourceExhausted;
    case Code::kDeadlineExceeded: return RpcCode::kDeadlineExceeded;
    case Code::kInternal: return RpcCode::kInternal;
  }
  return RpcCode::kUnknown;
}

RpcStatus ToRpcStatus(const Status& status) {
  if (status.ok()) return {};
  return RpcStatus{ToRpcCode(status.code()), status.ToString()};
}

Status FromRpcStatus(const RpcStatus& status) {
  Code code = Code::kInternal;
  switch (status.code) {
    case RpcCode::kOk: return Status::Ok();
    case RpcCode::kInvalidArgument:
    case RpcCode::kOutOfRange: code = Code::kInvalidArgument; break;
    case RpcCode::kNotFound: code = Code::kNotFound; break;
    case RpcCode::kAlreadyExists: code = Code::kAlreadyExists; break;
    case RpcCode::kFailedPrecondition: code = Code::kFailedPrecondition; break;
    case RpcCode::kUnimplemented: code = Code::kUnimplemented; break;
    case RpcCode::kPermissionDenied:
    case RpcCode::kUnauthenticated: code = Code::kPermissionDenied; break;
    case RpcCode::kResourceExhausted: code = Code::kResourceExhausted; break;
    case RpcCode::kDeadlineExceeded: code = Code::kDeadlineExceeded; break;
    default: break;
  }
  return Status(code, std::string(RpcCodeName(status.code)) + ": " + status.message);
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 if it is not one.
size_t ValidSequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
    return i < s.size() && byte(i) >= lo && byte(i) <= hi;
  };
  unsigned char b = byte(0);
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    // E0: no overlongs; ED: no UTF-16 surrogates.
    unsigned char lo = b == 0xe0 ? 0xa0 : 0x80;
    unsigned char hi = b == 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    // F0: no overlongs; F4: nothing above U+10FFFF.
    unsigned char lo = b == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = b == 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

std::string ToValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_invalid_run = false;  // like Go, a run of bad bytes becomes one replacement
  while (!s.empty()) {
    size_t n = ValidSequenceLength(s);
    if (n == 0) {
      if (!in_invalid_run) out += "\xEF\xBF\xBD";
      in_invalid_run = true;
      s.remove_prefix(1);
      continue;
    }
    in_invalid_run = false;
    out.append(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

}  // namespace see::ttrpc
