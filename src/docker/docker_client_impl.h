#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "docker/connection.h"
#include "dockershim/docker_client.h"

namespace dockershim::docker {

// Parses "unix:///path" (or a bare absolute path) into the socket path. Other schemes are
// refused with INVALID_ARGUMENT: Docker's TCP endpoints need TLS material this client lacks.
Result<std::string> unixSocketPath(std::string_view endpoint);

// DockerClient over Docker's unix socket with Boost.Beast.
class DockerClientImpl : public DockerClient {
 public:
  explicit DockerClientImpl(std::string socketPath, size_t maxIdleConnections = 16);

  // Told of every request once it ended: operation name, outcome, seconds (the metrics
  // endpoint). Set before the client is shared between threads.
  using Observer =
      std::function<void(const std::string& operation, const Status& status, double seconds)>;
  void setObserver(Observer observer) { observer_ = std::move(observer); }

  Result<VersionInfo> negotiate(Deadline deadline) override;
  VersionInfo versionInfo() const override;
  Status ping(Deadline deadline) override;
  Status checkApiVersion(Deadline deadline) override;
  Result<nlohmann::json> info(Deadline deadline) override;
  Result<nlohmann::json> listImages(const std::string& reference, Deadline deadline) override;
  Result<nlohmann::json> inspectImage(const std::string& name, Deadline deadline) override;
  Status pullImage(const std::string& repository, const std::string& tagOrDigest,
                   const std::string& registryAuth, std::chrono::milliseconds progressDeadline,
                   Deadline deadline, const std::function<bool()>& cancelled) override;
  Result<nlohmann::json> removeImage(const std::string& name, bool force,
                                     Deadline deadline) override;
  Status importImage(std::string tar, const std::string& repo, const std::string& tag,
                     const std::vector<std::string>& changes, Deadline deadline) override;
  Result<std::string> createContainer(const std::string& name, const nlohmann::json& body,
                                      const std::string& apiVersion, Deadline deadline) override;
  Status startContainer(const std::string& id, Deadline deadline) override;
  Status stopContainer(const std::string& id, int64_t timeoutSeconds, Deadline deadline) override;
  Status removeContainer(const std::string& id, bool force, Deadline deadline) override;
  Result<nlohmann::json> inspectContainer(const std::string& id, Deadline deadline) override;
  Status updateContainer(const std::string& id, const nlohmann::json& resources,
                         Deadline deadline) override;
  Result<nlohmann::json> listContainers(const nlohmann::json& filters, Deadline deadline) override;
  Result<std::string> createExec(const std::string& containerId, const nlohmann::json& body,
                                 Deadline deadline) override;
  Result<std::unique_ptr<HijackedStream>> startExec(const std::string& execId, bool tty,
                                                    Deadline deadline) override;
  Result<nlohmann::json> inspectExec(const std::string& execId, Deadline deadline) override;
  Result<Response> call(const Request& request, Deadline deadline) override;
  Status stream(const Request& request, Deadline deadline, std::chrono::milliseconds idle,
                const std::function<Status(const nlohmann::json&)>& onMessage) override;
  Status rawStream(const Request& request, Deadline deadline, std::chrono::milliseconds idle,
                   const std::function<Status(std::string_view)>& onBytes) override;
  Result<std::unique_ptr<HijackedStream>> upgrade(const Request& request,
                                                  Deadline deadline) override;
  std::vector<OperationStats> operationStats() const override;

 private:
  // The versioned target ("/v1.41/images/json"), or the path as it is for an unversioned
  // request (negotiation's /version, the liveness /_ping); call(), rawStream() and upgrade()
  // negotiate before any other. Also tells which negotiated version it carries ("" for none).
  std::string target(const Request& request, std::string* usedVersion) const;
  Connection::HttpRequest buildRequest(const Request& request,
                                       std::string* usedVersion = nullptr) const;
  Result<nlohmann::json> callJson(const Request& request, Deadline deadline);
  void record(const std::string& operation, Clock::time_point start, const Status& status,
              int httpStatus, const Request& request);
  Status ensureNegotiated(Deadline deadline);
  // After Docker refused `usedVersion`: forgets it (unless another thread negotiated since) and
  // negotiates again. True when a different version is now in use.
  bool renegotiateAfterRefusal(const std::string& usedVersion, Deadline deadline);
  Result<Response> callOnce(const Request& request, Deadline deadline, std::string& usedVersion);
  // A request whose query depends on the API version: built by `build` for the negotiated
  // version, and once more for a new one when Docker refused the first.
  Result<nlohmann::json> callJsonFor(const std::function<Request(const std::string&)>& build,
                                     Deadline deadline);
  // Negotiates first unless the request is unversioned; bounded on its own for streams, whose
  // own deadline may be unbounded.
  Status negotiateFor(const Request& request, Deadline deadline);
  // One stream; `used` the version sent, `refused` whether Docker refused it for that version.
  Status rawStreamOnce(const Request& request, Deadline deadline, std::chrono::milliseconds idle,
                       const std::function<Status(std::string_view)>& onBytes, std::string& used,
                       bool& refused);

  ConnectionPool pool_;
  mutable std::mutex mu_;
  VersionInfo version_;
  std::map<std::string, OperationStats> stats_;
  Observer observer_;
};

}  // namespace dockershim::docker
