// A thin synchronous client of the CRI v1 RuntimeService and ImageService over gRPC. Every call
// has a deadline and returns the reply or a Status naming the RPC and carrying gRPC's message.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "base/status.h"
#include "proto/cri/api.grpc.pb.h"

namespace see::seectl {

class CriClient {
 public:
  // `endpoint`: "unix:///path/to.sock" or a bare absolute socket path.
  explicit CriClient(const std::string& endpoint);
  CriClient(const CriClient&) = delete;
  CriClient& operator=(const CriClient&) = delete;

  // Deadline for calls without their own (pulls and stops get longer ones from the caller).
  void set_timeout(std::chrono::seconds t) { timeout_ = t; }

#define SEE_CRI_RPC(Service, Name) \
  Result<runtime::v1::Name##Response> Name(const runtime::v1::Name##Request& req, \
                                           std::chrono::seconds timeout = std::chrono::seconds(0));
  SEE_CRI_RPC(Runtime, Version)
  SEE_CRI_RPC(Runtime, Status)
  SEE_CRI_RPC(Runtime, RunPodSandbox)
  SEE_CRI_RPC(Runtime, StopPodSandbox)
  SEE_CRI_RPC(Runtime, RemovePodSandbox)
  SEE_CRI_RPC(Runtime, PodSandboxStatus)
  SEE_CRI_RPC(Runtime, ListPodSandbox)
  SEE_CRI_RPC(Runtime, CreateContainer)
  SEE_CRI_RPC(Runtime, StartContainer)
  SEE_CRI_RPC(Runtime, StopContainer)
  SEE_CRI_RPC(Runtime, RemoveContainer)
  SEE_CRI_RPC(Runtime, ListContainers)
  SEE_CRI_RPC(Runtime, ContainerStatus)
  SEE_CRI_RPC(Runtime, ExecSync)
  SEE_CRI_RPC(Runtime, Exec)
  SEE_CRI_RPC(Image, ListImages)
  SEE_CRI_RPC(Image, ImageStatus)
  SEE_CRI_RPC(Image, PullImage)
#undef SEE_CRI_RPC

 private:
  std::string endpoint_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> image_;
  std::chrono::seconds timeout_{60};
};

}  // namespace see::seectl
