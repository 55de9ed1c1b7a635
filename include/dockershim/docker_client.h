#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::docker {

using Clock = std::chrono::steady_clock;
// Every Docker call carries the deadline of the CRI call it serves.
using Deadline = Clock::time_point;

inline Deadline deadlineIn(std::chrono::milliseconds d) { return Clock::now() + d; }

// What the verb of a request means for error mapping (Docker answers 409 for different things).
// kPull: registry operations, whose failures Docker reports only as text (see docker/errors).
enum class Verb { kRead, kCreate, kRemove, kModify, kPull };

// Ends a long stream (events) from another thread: cancel() shuts the stream's connection down,
// and a stream started after cancel() ends at once. Shared by the streaming thread and the one
// that stops it.
class StreamCancel {
 public:
  void cancel();
  bool cancelled() const;
  // For DockerClient implementations: the connection a stream reads from (kept as a duplicate
  // descriptor until detach()). Returns false when already cancelled.
  bool attach(int fd);
  void detach();

 private:
  mutable std::mutex mu_;
  int fd_ = -1;
  bool cancelled_ = false;
};

struct Request {
  std::string method = "GET";
  std::string path;  // unversioned, with query string: "/images/json?all=0"
  std::string body;
  std::string contentType = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string operation;  // metric/log name: "inspect_image"
  Verb verb = Verb::kRead;
  // Streams only: lets another thread end the stream (events).
  std::shared_ptr<StreamCancel> cancel;
  // Sent without the /v<version> prefix (Docker reads it as its own newest version): only
  // negotiation's own /version and the liveness ping.
  bool unversioned = false;
  // The API version the request was written for (its body or query depends on it); empty: the
  // negotiated one, whatever it is when the request goes out. A pinned request refused for its
  // version is not sent again: its writer writes it anew for the version now in use.
  std::string version;
};

struct Response {
  int status = 0;
  std::string body;
};

// One Docker API operation's accumulated cost, kept for the metrics endpoint.
struct OperationStats {
  std::string operation;
  uint64_t count = 0;
  uint64_t errors = 0;
  double seconds = 0;  // sum of latencies
};

// The raw byte stream of an upgraded (hijacked) connection: exec and attach. One reader thread
// and one writer thread may use it concurrently. Closing it ends the Docker side.
class HijackedStream {
 public:
  virtual ~HijackedStream() = default;
  // Reads up to `size` bytes; 0 means the peer closed. Bounded by the deadline.
  virtual Result<size_t> read(char* data, size_t size, Deadline deadline) = 0;
  virtual Status write(std::string_view data, Deadline deadline) = 0;
  // Half-closes the write side so the process sees EOF on stdin.
  virtual Status closeWrite() = 0;
  virtual void close() = 0;
};

struct VersionInfo {
  std::string version;        // dockerd's version, "20.10.24"
  std::string apiVersion;     // the daemon's newest API version, "1.41"
  std::string minApiVersion;  // the daemon's oldest API version
  std::string negotiated;     // the version this client uses in its paths
};

// Client of Docker Engine's REST API. Thread-safe: many gRPC threads call it at once.
// Errors: a Status whose code follows docker/errors (404 NOT_FOUND, transport UNAVAILABLE,
// deadline DEADLINE_EXCEEDED, ...) and whose message keeps Docker's own message.
class DockerClient {
 public:
  virtual ~DockerClient() = default;

  // GET /version, then fixes the API version used for every later path: the highest both sides
  // speak (docker/api_version). FAILED_PRECONDITION naming the versions when there is none; the
  // version is then forgotten, so every later call asks again.
  virtual Result<VersionInfo> negotiate(Deadline deadline) = 0;
  // The last negotiated version info (empty before a successful negotiate()).
  virtual VersionInfo versionInfo() const = 0;

  // GET /_ping, unversioned: whether dockerd answers at all (liveness).
  virtual Status ping(Deadline deadline) = 0;
  // Whether dockerd answers requests at the negotiated version: negotiates when needed, then
  // GET /v<version>/_ping. A daemon restarted with another minimum or newest version is
  // negotiated with again once. FAILED_PRECONDITION with Docker's own message when Docker will
  // not serve any version this client speaks.
  virtual Status checkApiVersion(Deadline deadline) = 0;
  virtual Result<nlohmann::json> info(Deadline deadline) = 0;

  // GET /images/json; `reference` filters as Docker's `reference` filter when non-empty.
  virtual Result<nlohmann::json> listImages(const std::string& reference, Deadline deadline) = 0;
  virtual Result<nlohmann::json> inspectImage(const std::string& name, Deadline deadline) = 0;
  // POST /images/create?fromImage=<repository>&tag=<tagOrDigest>; fails when no progress message
  // arrives for `progressDeadline` or when the stream reports an error. `registryAuth` is the
  // X-Registry-Auth value (base64url JSON), empty for none.
  virtual Status pullImage(const std::string& repository, const std::string& tagOrDigest,
                           const std::string& registryAuth,
                           std::chrono::milliseconds progressDeadline, Deadline deadline,
                           const std::function<bool()>& cancelled) = 0;
  virtual Result<nlohmann::json> removeImage(const std::string& name, bool force,
                                             Deadline deadline) = 0;
  // POST /images/create?fromSrc=- with a tar of the root filesystem.
  virtual Status importImage(std::string tar, const std::string& repo, const std::string& tag,
                             const std::vector<std::string>& changes, Deadline deadline) = 0;

  // Containers. Stop/remove of a container already stopped/gone: stop answers OK for 304,
  // NOT_FOUND is left to the caller (CRI makes those idempotent, Docker does not).
  // POST /containers/create?name=…; ALREADY_EXISTS on a name conflict. Returns the new ID.
  // `apiVersion` is the version the body was written for (what negotiate() gave); the request
  // goes out at that version.
  virtual Result<std::string> createContainer(const std::string& name, const nlohmann::json& body,
                                              const std::string& apiVersion, Deadline deadline) = 0;
  virtual Status startContainer(const std::string& id, Deadline deadline) = 0;
  virtual Status stopContainer(const std::string& id, int64_t timeoutSeconds,
                               Deadline deadline) = 0;
  virtual Status removeContainer(const std::string& id, bool force, Deadline deadline) = 0;
  virtual Result<nlohmann::json> inspectContainer(const std::string& id, Deadline deadline) = 0;
  // POST /containers/{id}/update with resource fields.
  virtual Status updateContainer(const std::string& id, const nlohmann::json& resources,
                                 Deadline deadline) = 0;
  // GET /containers/json?all=1&filters=…
  virtual Result<nlohmann::json> listContainers(const nlohmann::json& filters,
                                                Deadline deadline) = 0;
  // POST /containers/{id}/exec; returns the exec ID.
  virtual Result<std::string> createExec(const std::string& containerId, const nlohmann::json& body,
                                         Deadline deadline) = 0;
  // POST /exec/{id}/start on an upgraded connection (the process's multiplexed stdio).
  virtual Result<std::unique_ptr<HijackedStream>> startExec(const std::string& execId, bool tty,
                                                            Deadline deadline) = 0;
  virtual Result<nlohmann::json> inspectExec(const std::string& execId, Deadline deadline) = 0;

  // Any other call: the response whatever its HTTP status (callers map it with docker/errors).
  // A request Docker refused for its API version (it changed under us) makes the client
  // negotiate again; one without a body or a pinned version is sent once more at the new
  // version at once.
  virtual Result<Response> call(const Request& request, Deadline deadline) = 0;
  // A JSON message stream (events, progress). `onMessage` returning a non-OK status stops it and
  // that status is returned. `idle` bounds the wait between two messages.
  virtual Status stream(const Request& request, Deadline deadline, std::chrono::milliseconds idle,
                        const std::function<Status(const nlohmann::json&)>& onMessage) = 0;
  // A long response body handed over piece by piece as it arrives (container logs), until it
  // ends, `onBytes` returns a non-OK status, or request.cancel ends it. `idle` bounds the wait
  // between two pieces.
  virtual Status rawStream(const Request& request, Deadline deadline,
                           std::chrono::milliseconds idle,
                           const std::function<Status(std::string_view)>& onBytes) = 0;
  // An upgraded connection (Connection: Upgrade, Upgrade: tcp).
  virtual Result<std::unique_ptr<HijackedStream>> upgrade(const Request& request,
                                                          Deadline deadline) = 0;

  virtual std::vector<OperationStats> operationStats() const = 0;
};

}  // namespace dockershim::docker
