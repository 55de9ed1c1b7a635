#pragma once

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cri/cri_service.h"
#include "server/call.h"
#include "server/services.h"

namespace dockershim::server {

// The gRPC server on the CRI unix socket, serving runtime.v1 and runtime.v1alpha2.
class CriServer {
 public:
  CriServer(cri::CriService& core, CallSettings settings);
  ~CriServer();

  // Replaces a stale socket file (refuses one that a live server answers on), listens, and
  // leaves the socket at mode 0660.
  Status start(const std::string& socketPath);
  // Serves connections accepted on already listening sockets (systemd socket activation,
  // `--container-runtime-endpoint fd://`). Takes ownership of `listenFds`.
  Status startOnListeners(std::vector<int> listenFds);
  // Stops accepting calls; in-flight calls get until `grace` to finish, then are cancelled.
  void shutdown(std::chrono::milliseconds grace);

 private:
  RuntimeServiceV1 runtimeV1_;
  ImageServiceV1 imageV1_;
  RuntimeServiceV1alpha2 runtimeV1alpha2_;
  ImageServiceV1alpha2 imageV1alpha2_;
  void acceptLoop();
  // Registers both API versions and message limits; the same for both ways of listening.
  void configure(grpc::ServerBuilder& builder);

  std::unique_ptr<grpc::Server> server_;
  std::string socketPath_;
  std::vector<int> listenFds_;
  int stopPipe_[2] = {-1, -1};
  std::thread acceptThread_;
};

}  // namespace dockershim::server
