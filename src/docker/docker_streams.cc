// DockerClientImpl's long-lived connections: JSON message streams (events, pulls), raw body
// streams (container logs) and upgraded connections (exec, attach), and StreamCancel, which ends
// them from another thread. The unary calls are in docker_client_impl.cc.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "docker/api_version.h"
#include "docker/docker_client_impl.h"
#include "docker/errors.h"
#include "docker/hijacked_stream.h"
#include "docker/json_stream.h"

namespace dockershim::docker {

using nlohmann::json;

void StreamCancel::cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

bool StreamCancel::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

bool StreamCancel::attach(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cancelled_) return false;
  // A descriptor of our own on the same socket: the connection may close its own at any time,
  // and shutdown() through this one can then never hit an unrelated socket that reused the
  // number.
  fd_ = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  return true;
}

void StreamCancel::detach() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status DockerClientImpl::stream(const Request& request, Deadline deadline,
                                std::chrono::milliseconds idle,
                                const std::function<Status(const json&)>& onMessage) {
  JsonStreamDecoder decoder;
  std::vector<json> msgs;
  return rawStream(request, deadline, idle, [&](std::string_view bytes) -> Status {
    msgs.clear();
    if (Status s = decoder.feed(bytes, msgs); !s) return s;
    for (const auto& m : msgs) {
      if (Status s = onMessage(m); !s) return s;
    }
    return Status::ok();
  });
}

Status DockerClientImpl::rawStream(const Request& request, Deadline deadline,
                                   std::chrono::milliseconds idle,
                                   const std::function<Status(std::string_view)>& onBytes) {
  if (Status st = negotiateFor(request, deadline); !st) return st;
  for (int attempt = 0;; ++attempt) {
    std::string used;
    bool refused = false;
    Status st = rawStreamOnce(request, deadline, idle, onBytes, used, refused);
    // A refused stream sent nothing to onBytes: sent once more at the new version, as call()
    // does (a follower of a container's log must not end because Docker was upgraded).
    if (attempt == 0 && refused && renegotiateAfterRefusal(used, deadline) &&
        request.body.empty() && request.version.empty()) {
      continue;
    }
    return st;
  }
}

Status DockerClientImpl::rawStreamOnce(const Request& request, Deadline deadline,
                                       std::chrono::milliseconds idle,
                                       const std::function<Status(std::string_view)>& onBytes,
                                       std::string& used, bool& refused) {
  auto start = Clock::now();
  // Streams hold their connection for a long time: a dedicated one, never pooled.
  Connection conn(pool_.socketPath());
  Status st = conn.connect(deadline);
  if (st && request.cancel && !request.cancel->attach(conn.nativeHandle())) {
    st = Status(Code::kCancelled, "docker stream cancelled");
  }
  auto built = buildRequest(request, &used);
  if (st && !request.unversioned && used.empty()) {
    st = Status(Code::kFailedPrecondition,
                "no Docker API version in common (dockershim speaks " + supportedApiRange() + ")");
  }
  if (st) st = conn.writeRequest(built, deadline);
  int httpStatus = 0;
  if (st) {
    std::string errorBody;
    auto result = conn.readStreaming(deadline, idle, onBytes, errorBody);
    if (!result) {
      st = result.status();
    } else {
      httpStatus = *result;
      st = statusFromHttp(httpStatus, errorBody, request.verb);
      refused = !used.empty() && httpStatus == 400 &&
                isApiVersionRefusal(httpStatus, dockerMessage(errorBody));
    }
  }
  if (request.cancel) {
    request.cancel->detach();
    if (request.cancel->cancelled()) st = Status(Code::kCancelled, "docker stream cancelled");
  }
  conn.close();
  record(request.operation, start, st, httpStatus, request);
  return st;
}

Result<std::unique_ptr<HijackedStream>> DockerClientImpl::upgrade(const Request& request,
                                                                  Deadline deadline) {
  if (Status st = negotiateFor(request, deadline); !st) return st;
  auto start = Clock::now();
  Request req = request;
  req.headers.emplace_back("Connection", "Upgrade");
  req.headers.emplace_back("Upgrade", "tcp");
  Connection conn(pool_.socketPath());
  Status st = conn.connect(deadline);
  std::string used;
  if (st) st = conn.writeRequest(buildRequest(req, &used), deadline);
  std::string leftover, errorBody;
  int httpStatus = 0;
  if (st) {
    auto result = conn.readUpgradeHeader(deadline, leftover, errorBody);
    if (!result) {
      st = result.status();
    } else {
      httpStatus = *result;
      if (httpStatus != 101 && httpStatus != 200) {
        st = statusFromHttp(httpStatus, errorBody, req.verb);
        if (!used.empty() && httpStatus == 400 &&
            isApiVersionRefusal(httpStatus, dockerMessage(errorBody))) {
          renegotiateAfterRefusal(used, deadline);
        }
        if (st) st = Status(Code::kUnknown, "docker refused the upgrade");
      }
    }
  }
  record(request.operation, start, st, httpStatus, request);
  if (!st) return st;
  int fd = conn.releaseFd();
  if (fd < 0) return Status(Code::kUnavailable, "dup of the upgraded connection failed");
  return std::unique_ptr<HijackedStream>(
      std::make_unique<FdHijackedStream>(fd, std::move(leftover)));
}

}  // namespace dockershim::docker
