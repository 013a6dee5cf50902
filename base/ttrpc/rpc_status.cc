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

}  // namespace see::ttrpc
