#include "server/status_map.h"

namespace dockershim::server {

grpc::Status toGrpcStatus(const Status& status) {
  if (status.isOk()) return grpc::Status::OK;
  // Code shares gRPC's numbering (see dockershim/status.h).
  return {static_cast<grpc::StatusCode>(static_cast<int>(status.code())), status.message()};
}

}  // namespace dockershim::server
