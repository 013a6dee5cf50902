#include "e2e/seectl/cri_client.h"

namespace see::seectl {
namespace {

Code FromGrpc(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::INVALID_ARGUMENT: return Code::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND: return Code::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return Code::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION: return Code::kFailedPrecondition;
    case grpc::StatusCode::UNIMPLEMENTED: return Code::kUnimplemented;
    case grpc::StatusCode::PERMISSION_DENIED: return Code::kPermissionDenied;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return Code::kResourceExhausted;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return Code::kDeadlineExceeded;
    default: return Code::kInternal;
  }
}

std::string Target(const std::string& endpoint) {
  if (!endpoint.empty() && endpoint[0] == '/') return "unix://" + endpoint;
  return endpoint;
}

}  // namespace

CriClient::CriClient(const std::string& endpoint)
    : endpoint_(endpoint),
      channel_(grpc::CreateChannel(Target(endpoint), grpc::InsecureChannelCredentials())),
      runtime_(runtime::v1::RuntimeService::NewStub(channel_)),
      image_(runtime::v1::ImageService::NewStub(channel_)) {}

#define SEE_CRI_RPC(stub, Name)                                                               \
  Result<runtime::v1::Name##Response> CriClient::Name(const runtime::v1::Name##Request& req,   \
                                                      std::chrono::seconds timeout) {          \
    grpc::ClientContext ctx;                                                                   \
    ctx.set_deadline(std::chrono::system_clock::now() +                                       \
                     (timeout.count() > 0 ? timeout : timeout_));                             \
    runtime::v1::Name##Response resp;                                                          \
    grpc::Status st = stub->Name(&ctx, req, &resp);                                            \
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE) {                                    \
      return ::see::Status(Code::kFailedPrecondition,                                         \
                           "CRI endpoint " + endpoint_ + " unavailable: " + st.error_message()); \
    }                                                                                          \
    if (!st.ok()) {                                                                            \
      return ::see::Status(FromGrpc(st.error_code()), "CRI " #Name ": " + st.error_message()); \
    }                                                                                          \
    return resp;                                                                               \
  }
SEE_CRI_RPC(runtime_, Version)
SEE_CRI_RPC(runtime_, Status)
SEE_CRI_RPC(runtime_, RunPodSandbox)
SEE_CRI_RPC(runtime_, StopPodSandbox)
SEE_CRI_RPC(runtime_, RemovePodSandbox)
SEE_CRI_RPC(runtime_, PodSandboxStatus)
SEE_CRI_RPC(runtime_, ListPodSandbox)
SEE_CRI_RPC(runtime_, CreateContainer)
SEE_CRI_RPC(runtime_, StartContainer)
SEE_CRI_RPC(runtime_, StopContainer)
SEE_CRI_RPC(runtime_, RemoveContainer)
SEE_CRI_RPC(runtime_, ListContainers)
SEE_CRI_RPC(runtime_, ContainerStatus)
SEE_CRI_RPC(runtime_, ExecSync)
SEE_CRI_RPC(runtime_, Exec)
SEE_CRI_RPC(image_, ListImages)
SEE_CRI_RPC(image_, ImageStatus)
SEE_CRI_RPC(image_, PullImage)
#undef SEE_CRI_RPC

}  // namespace see::seectl
