#pragma once

#include <memory>

#include "dockershim/docker_client.h"
#include "dockershim/streaming_runtime.h"

namespace dockershim::cri {

// The streaming server's runtime against Docker: exec and attach on hijacked connections (the
// output demultiplexed when there is no TTY), resize through Docker's resize endpoints, and
// port-forward connections made by dockershim itself from inside the sandbox's network
// namespace (no socat or nsenter on the host).
class DockerStreamingRuntime : public streaming::StreamingRuntime {
 public:
  explicit DockerStreamingRuntime(std::shared_ptr<docker::DockerClient> docker)
      : docker_(std::move(docker)) {}

  Result<std::unique_ptr<streaming::Process>> exec(const streaming::ExecRequest& request,
                                                   streaming::Deadline deadline) override;
  Result<std::unique_ptr<streaming::Process>> attach(const streaming::ExecRequest& request,
                                                     streaming::Deadline deadline) override;
  Result<std::unique_ptr<streaming::Connection>> portForward(const std::string& sandboxId,
                                                             uint16_t port,
                                                             streaming::Deadline deadline) override;

 private:
  std::shared_ptr<docker::DockerClient> docker_;
};

// Connects to 127.0.0.1:port (then [::1]:port) from inside the network namespace of process
// `pid`, on a short-lived thread that enters it, so no other thread of the daemon changes
// namespace. The returned socket stays in that namespace.
Result<int> connectInNetworkNamespace(int pid, uint16_t port, streaming::Deadline deadline);

}  // namespace dockershim::cri
