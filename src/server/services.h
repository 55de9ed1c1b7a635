#pragma once

#include <memory>

#include "cri/cri_service.h"
#include "server/call.h"
#include "translate/cri_api.h"

namespace dockershim::server {

// runtime.v1 RuntimeService: each unary RPC goes straight to the CRI core.
class RuntimeServiceV1 final : public ::runtime::v1::RuntimeService::Service {
 public:
  RuntimeServiceV1(cri::CriService& core, CallSettings settings)
      : core_(core), settings_(settings) {}
#define DOCKERSHIM_V1_METHOD(Rpc, fn)                                                \
  grpc::Status Rpc(grpc::ServerContext* ctx, const ::runtime::v1::Rpc##Request* req, \
                   ::runtime::v1::Rpc##Response* resp) override;
  DOCKERSHIM_RUNTIME_RPCS(DOCKERSHIM_V1_METHOD)
  DOCKERSHIM_RUNTIME_V1_ONLY_RPCS(DOCKERSHIM_V1_METHOD)
  // Server stream: runs until the client goes away (or falls too far behind).
  grpc::Status GetContainerEvents(
      grpc::ServerContext* ctx, const ::runtime::v1::GetEventsRequest* req,
      grpc::ServerWriter<::runtime::v1::ContainerEventResponse>* writer) override;

 private:
  cri::CriService& core_;
  CallSettings settings_;
};

class ImageServiceV1 final : public ::runtime::v1::ImageService::Service {
 public:
  ImageServiceV1(cri::CriService& core, CallSettings settings) : core_(core), settings_(settings) {}
  DOCKERSHIM_IMAGE_RPCS(DOCKERSHIM_V1_METHOD)
#undef DOCKERSHIM_V1_METHOD
 private:
  cri::CriService& core_;
  CallSettings settings_;
};

// runtime.v1alpha2 (kubelet 1.20-1.25, older crictl): requests are converted to v1 and
// responses back through their wire form, which the two versions share; no logic lives here.
class RuntimeServiceV1alpha2 final : public ::runtime::v1alpha2::RuntimeService::Service {
 public:
  RuntimeServiceV1alpha2(cri::CriService& core, CallSettings settings)
      : core_(core), settings_(settings) {}
#define DOCKERSHIM_V1ALPHA2_METHOD(Rpc, fn)                                                \
  grpc::Status Rpc(grpc::ServerContext* ctx, const ::runtime::v1alpha2::Rpc##Request* req, \
                   ::runtime::v1alpha2::Rpc##Response* resp) override;
  DOCKERSHIM_RUNTIME_RPCS(DOCKERSHIM_V1ALPHA2_METHOD)
 private:
  cri::CriService& core_;
  CallSettings settings_;
};

class ImageServiceV1alpha2 final : public ::runtime::v1alpha2::ImageService::Service {
 public:
  ImageServiceV1alpha2(cri::CriService& core, CallSettings settings)
      : core_(core), settings_(settings) {}
  DOCKERSHIM_IMAGE_RPCS(DOCKERSHIM_V1ALPHA2_METHOD)
#undef DOCKERSHIM_V1ALPHA2_METHOD
 private:
  cri::CriService& core_;
  CallSettings settings_;
};

}  // namespace dockershim::server
