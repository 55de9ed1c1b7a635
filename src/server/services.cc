#include "server/services.h"

#include "server/wire_convert.h"

namespace dockershim::server {

#define DOCKERSHIM_V1_IMPL(Class, Rpc, fn)                                                  \
  grpc::Status Class::Rpc(grpc::ServerContext* ctx, const ::runtime::v1::Rpc##Request* req, \
                          ::runtime::v1::Rpc##Response* resp) {                             \
    return runRpc(#Rpc, ctx, settings_,                                                     \
                  [&](const cri::CallContext& c) { return core_.fn(*req, resp, c); });      \
  }
#define DOCKERSHIM_V1_RUNTIME(Rpc, fn) DOCKERSHIM_V1_IMPL(RuntimeServiceV1, Rpc, fn)
#define DOCKERSHIM_V1_IMAGE(Rpc, fn) DOCKERSHIM_V1_IMPL(ImageServiceV1, Rpc, fn)
DOCKERSHIM_RUNTIME_RPCS(DOCKERSHIM_V1_RUNTIME)
DOCKERSHIM_RUNTIME_V1_ONLY_RPCS(DOCKERSHIM_V1_RUNTIME)
DOCKERSHIM_IMAGE_RPCS(DOCKERSHIM_V1_IMAGE)

grpc::Status RuntimeServiceV1::GetContainerEvents(
    grpc::ServerContext* ctx, const ::runtime::v1::GetEventsRequest* req,
    grpc::ServerWriter<::runtime::v1::ContainerEventResponse>* writer) {
  return runRpc("GetContainerEvents", ctx, settings_, [&](const cri::CallContext& c) {
    return core_.getContainerEvents(
        *req, [writer](const ::runtime::v1::ContainerEventResponse& e) { return writer->Write(e); },
        c);
  });
}

#define DOCKERSHIM_V1ALPHA2_IMPL(Class, Rpc, fn)                                                  \
  grpc::Status Class::Rpc(grpc::ServerContext* ctx, const ::runtime::v1alpha2::Rpc##Request* req, \
                          ::runtime::v1alpha2::Rpc##Response* resp) {                             \
    return runRpc(#Rpc, ctx, settings_, [&](const cri::CallContext& c) -> ::dockershim::Status {  \
      ::runtime::v1::Rpc##Request v1req;                                                          \
      ::runtime::v1::Rpc##Response v1resp;                                                        \
      if (::dockershim::Status st = convertWire(*req, &v1req); !st) return st;                    \
      if (::dockershim::Status st = core_.fn(v1req, &v1resp, c); !st) return st;                  \
      return convertWire(v1resp, resp);                                                           \
    });                                                                                           \
  }
#define DOCKERSHIM_V1ALPHA2_RUNTIME(Rpc, fn) \
  DOCKERSHIM_V1ALPHA2_IMPL(RuntimeServiceV1alpha2, Rpc, fn)
#define DOCKERSHIM_V1ALPHA2_IMAGE(Rpc, fn) DOCKERSHIM_V1ALPHA2_IMPL(ImageServiceV1alpha2, Rpc, fn)
DOCKERSHIM_RUNTIME_RPCS(DOCKERSHIM_V1ALPHA2_RUNTIME)
DOCKERSHIM_IMAGE_RPCS(DOCKERSHIM_V1ALPHA2_IMAGE)

}  // namespace dockershim::server
