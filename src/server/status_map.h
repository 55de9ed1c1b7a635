#pragma once

#include <grpcpp/support/status.h>

#include "dockershim/status.h"

namespace dockershim::server {

// The one place a grpc::Status is built from the project's Status.
grpc::Status toGrpcStatus(const Status& status);

}  // namespace dockershim::server
