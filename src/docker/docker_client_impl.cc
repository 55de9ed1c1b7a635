#include "docker/docker_client_impl.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "common/json_util.h"
#include "docker/api_version.h"
#include "docker/errors.h"
#include "docker/json_stream.h"
#include "docker/url.h"

namespace dockershim::docker {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

// Names and IDs come from CRI clients and are pasted into request paths: anything that could
// change the path, add a query or split the request is refused before it reaches Docker.
bool safeSegment(std::string_view s, std::string_view extra) {
  if (s.empty() || s.size() > 512 || s.find("..") != std::string_view::npos) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-' || extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return s.front() != '/' && s.front() != '.' && s.front() != '-';
}

Status checkId(std::string_view what, std::string_view id) {
  if (safeSegment(id, "")) return Status::ok();
  return {Code::kInvalidArgument,
          std::string(what) + " \"" + std::string(id) + "\" is not a valid ID"};
}

// Image references add '/', ':' and '@' to what IDs may hold.
Status checkImageName(std::string_view name) {
  if (safeSegment(name, "/:@")) return Status::ok();
  return {Code::kInvalidArgument, "\"" + std::string(name) + "\" is not a valid image reference"};
}

// The error a JSON progress message reports, if any. Docker API: "error" (deprecated in 1.48,
// to be left empty or omitted later) and "errorDetail": {"message": …} carry the same text.
std::optional<std::string> progressError(const json& msg) {
  if (!msg.is_object()) return std::nullopt;
  if (auto it = msg.find("error"); it != msg.end() && !it->is_null()) {
    std::string text = it->is_string() ? it->get<std::string>() : it->dump();
    if (!text.empty()) return text;
  }
  const json& detail = common::jsonMember(msg, "errorDetail");
  if (detail.is_object()) {
    std::string text = common::jsonString(detail, "message");
    if (!text.empty()) return text;
    if (detail.contains("code")) return "docker reported error code " + detail["code"].dump();
  }
  return std::nullopt;
}

// A JSON answer: Docker's error mapped (docker/errors), an empty body as null.
Result<json> jsonFrom(const Response& resp, const Request& request) {
  Status st = statusFromHttp(resp.status, resp.body, request.verb);
  if (!st) return st;
  if (resp.body.empty()) return json();
  auto parsed = json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status(Code::kInternal, request.operation + ": docker sent a body that is not JSON");
  }
  return parsed;
}

}  // namespace

Result<std::string> unixSocketPath(std::string_view endpoint) {
  constexpr std::string_view kScheme = "unix://";
  if (endpoint.substr(0, kScheme.size()) == kScheme) endpoint.remove_prefix(kScheme.size());
  if (endpoint.empty() || endpoint.front() != '/') {
    return Status(Code::kInvalidArgument, "docker endpoint \"" + std::string(endpoint) +
                                              "\" is not a unix socket (unix:///path)");
  }
  if (endpoint.size() >= 108) {
    return Status(Code::kInvalidArgument,
                  "unix socket path longer than 107 bytes: " + std::string(endpoint));
  }
  return std::string(endpoint);
}

DockerClientImpl::DockerClientImpl(std::string socketPath, size_t maxIdleConnections)
    : pool_(std::move(socketPath), maxIdleConnections) {}

std::string DockerClientImpl::target(const Request& request, std::string* usedVersion) const {
  if (request.unversioned) return request.path;
  std::string version = request.version;
  if (version.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    version = version_.negotiated;
  }
  if (usedVersion) *usedVersion = version;
  return "/v" + version + request.path;
}

Connection::HttpRequest DockerClientImpl::buildRequest(const Request& request,
                                                       std::string* usedVersion) const {
  Connection::HttpRequest req{http::string_to_verb(request.method), target(request, usedVersion),
                              11};
  req.set(http::field::host, "docker");
  req.set(http::field::user_agent, "dockershim/0.1");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  if (!request.body.empty()) {
    req.set(http::field::content_type, request.contentType);
    req.body() = request.body;
  }
  req.prepare_payload();
  return req;
}

void DockerClientImpl::record(const std::string& operation, Clock::time_point start,
                              const Status& status, int httpStatus, const Request& request) {
  auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& s = stats_[operation];
    s.operation = operation;
    s.count++;
    s.seconds += elapsed;
    if (!status.isOk()) s.errors++;
  }
  if (observer_) observer_(operation, status, elapsed);
  // Paths and status only: headers (X-Registry-Auth) are never logged.
  spdlog::debug("docker {} {} -> {} ({:.1f} ms){}", request.method, request.path,
                httpStatus ? std::to_string(httpStatus) : std::string("no answer"), elapsed * 1e3,
                status.isOk() ? "" : ": " + status.message());
}

Status DockerClientImpl::negotiateFor(const Request& request, Deadline deadline) {
  if (request.unversioned || !request.version.empty()) return Status::ok();
  // A stream's deadline may be unbounded; negotiation is an ordinary call.
  return ensureNegotiated(std::min(deadline, deadlineIn(std::chrono::seconds(10))));
}

Result<Response> DockerClientImpl::call(const Request& request, Deadline deadline) {
  // Never unversioned by accident: Docker would read the request as its own newest version.
  if (Status st = negotiateFor(request, deadline); !st) return st;
  std::string used;
  auto resp = callOnce(request, deadline, used);
  if (resp && resp->status == 400 && !request.unversioned &&
      isApiVersionRefusal(resp->status, dockerMessage(resp->body))) {
    // Docker's version check runs before any handler, so the refused request did nothing and
    // may be sent again; one written for the old version (a body, a pinned version) is not.
    if (renegotiateAfterRefusal(used, deadline) && request.body.empty() &&
        request.version.empty()) {
      return callOnce(request, deadline, used);
    }
  }
  return resp;
}

bool DockerClientImpl::renegotiateAfterRefusal(const std::string& usedVersion, Deadline deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Another thread negotiated since this request was built.
    if (version_.negotiated != usedVersion) return !version_.negotiated.empty();
  }
  spdlog::warn("docker refused API version {}: negotiating the version again", usedVersion);
  // The old version stays in use until the new one replaces it (negotiate() swaps them).
  auto v = negotiate(std::min(deadline, deadlineIn(std::chrono::seconds(10))));
  return v && v->negotiated != usedVersion;
}

Result<Response> DockerClientImpl::callOnce(const Request& request, Deadline deadline,
                                            std::string& usedVersion) {
  auto start = Clock::now();
  auto req = buildRequest(request, &usedVersion);
  if (!request.unversioned && usedVersion.empty()) {
    // Negotiation failed meanwhile: nothing goes out as Docker's own newest version.
    return Status(Code::kFailedPrecondition, "no Docker API version in common (dockershim speaks " +
                                                 supportedApiRange() + ")");
  }
  // A reused keep-alive connection may have been closed by Docker while idle (or by a dockerd
  // that restarted since); that fails with nothing received, and Docker cannot have acted on the
  // request, so it is sent once more on a new connection, and the other idle ones, as dead, are
  // closed.
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    auto conn = pool_.acquire(reused);
    // A POST is sent again only when it could not be written: once written, Docker may have acted
    // on it (a create would leak a container).
    const bool retriable = reused && attempt == 0;
    Status st;
    if (!conn->open()) st = conn->connect(deadline);
    if (st.isOk()) st = conn->writeRequest(req, deadline);
    if (st.isOk()) {
      bool gotBytes = false;
      auto resp = conn->readResponse(deadline, gotBytes);
      if (resp.isOk()) {
        pool_.release(std::move(conn));
        record(request.operation, start, statusFromHttp(resp->status, resp->body, request.verb),
               resp->status, request);
        return resp;
      }
      st = resp.status();
      if (retriable && !gotBytes && st.code() == Code::kUnavailable) {
        pool_.clear();
        if (request.method != "POST") continue;
      }
    } else if (retriable && st.code() == Code::kUnavailable) {
      pool_.clear();
      continue;
    }
    record(request.operation, start, st, 0, request);
    return st;
  }
}

Result<json> DockerClientImpl::callJson(const Request& request, Deadline deadline) {
  auto resp = call(request, deadline);
  if (!resp) return resp.status();
  return jsonFrom(*resp, request);
}

Result<json> DockerClientImpl::callJsonFor(const std::function<Request(const std::string&)>& build,
                                           Deadline deadline) {
  if (Status st = ensureNegotiated(deadline); !st) return st;
  std::string version = versionInfo().negotiated;
  for (int attempt = 0;; ++attempt) {
    Request request = build(version);
    request.version = version;
    std::string used;
    auto resp = callOnce(request, deadline, used);
    if (!resp) return resp.status();
    if (attempt == 0 && resp->status == 400 &&
        isApiVersionRefusal(resp->status, dockerMessage(resp->body)) &&
        renegotiateAfterRefusal(version, deadline)) {
      version = versionInfo().negotiated;
      if (!version.empty()) continue;
    }
    return jsonFrom(*resp, request);
  }
}

Result<VersionInfo> DockerClientImpl::negotiate(Deadline deadline) {
  Request req{.method = "GET", .path = "/version", .operation = "version", .unversioned = true};
  auto resp = call(req, deadline);
  if (!resp) return resp.status();
  if (Status st = statusFromHttp(resp->status, resp->body, req.verb); !st) return st;
  auto body = json::parse(resp->body, nullptr, false);
  if (!body.is_object() || !body.contains("ApiVersion") || !body["ApiVersion"].is_string()) {
    return Status(Code::kFailedPrecondition, "docker /version answer has no ApiVersion");
  }
  VersionInfo v;
  v.version = common::jsonString(body, "Version", "");
  v.apiVersion = body["ApiVersion"].get<std::string>();
  v.minApiVersion = common::jsonString(body, "MinAPIVersion", "");
  auto negotiated = negotiateApiVersion(v.apiVersion, v.minApiVersion);
  if (negotiated) v.negotiated = *negotiated;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Without a version in common nothing is sent versioned: each call asks again and fails
    // with the reason, until Docker changes.
    version_ = v;
  }
  if (!negotiated) return negotiated.status();
  return v;
}

VersionInfo DockerClientImpl::versionInfo() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

Status DockerClientImpl::ensureNegotiated(Deadline deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!version_.negotiated.empty()) return Status::ok();
  }
  auto v = negotiate(deadline);
  return v ? Status::ok() : v.status();
}

Status DockerClientImpl::ping(Deadline deadline) {
  Request req{.method = "GET", .path = "/_ping", .operation = "ping", .unversioned = true};
  auto resp = call(req, deadline);
  if (!resp) return resp.status();
  return statusFromHttp(resp->status, resp->body, req.verb);
}

Status DockerClientImpl::checkApiVersion(Deadline deadline) {
  Status negotiated = ensureNegotiated(deadline);
  if (!negotiated) {
    if (negotiated.code() != Code::kFailedPrecondition) return negotiated;
    // No version in common: Docker's refusal of the nearest one says why, in its own words.
    auto v = versionInfo();
    std::string probe(compareApiVersions(v.apiVersion, kOldestApiVersion) < 0 ? kOldestApiVersion
                                                                              : kNewestApiVersion);
    Request req{
        .method = "GET", .path = "/v" + probe + "/_ping", .operation = "ping", .unversioned = true};
    auto resp = call(req, deadline);
    if (resp && isApiVersionRefusal(resp->status, dockerMessage(resp->body))) {
      return statusFromHttp(resp->status, resp->body, req.verb);
    }
    return negotiated;
  }
  Request req{.method = "GET", .path = "/_ping", .operation = "ping"};
  auto resp = call(req, deadline);
  if (!resp) return resp.status();
  return statusFromHttp(resp->status, resp->body, req.verb);
}

Result<json> DockerClientImpl::info(Deadline deadline) {
  if (Status st = ensureNegotiated(deadline); !st) return st;
  return callJson({.method = "GET", .path = "/info", .operation = "info"}, deadline);
}

Result<json> DockerClientImpl::listImages(const std::string& reference, Deadline deadline) {
  return callJsonFor(
      [&reference](const std::string& version) {
        std::string path = "/images/json";
        if (!reference.empty()) {
          if (apiAtLeast(version, kApiImageReferenceFilter)) {
            json filters = {{"reference", {reference}}};
            path += buildQuery({{"filters", filters.dump()}});
          } else {
            // Docker API 1.24 has no reference filter; its `filter` (gone in 1.41) matches.
            path += buildQuery({{"filter", reference}});
          }
        }
        return Request{.method = "GET", .path = path, .operation = "list_images"};
      },
      deadline);
}

Result<json> DockerClientImpl::inspectImage(const std::string& name, Deadline deadline) {
  if (Status st = checkImageName(name); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  return callJson(
      {.method = "GET", .path = "/images/" + name + "/json", .operation = "inspect_image"},
      deadline);
}

Status DockerClientImpl::pullImage(const std::string& repository, const std::string& tagOrDigest,
                                   const std::string& registryAuth,
                                   std::chrono::milliseconds progressDeadline, Deadline deadline,
                                   const std::function<bool()>& cancelled) {
  if (Status st = ensureNegotiated(deadline); !st) return st;
  // Docker API: an empty tag pulls every tag of the repository; never send one.
  if (tagOrDigest.empty()) return {Code::kInvalidArgument, "pull: a tag or digest is required"};
  Request req{
      .method = "POST",
      .path = "/images/create" + buildQuery({{"fromImage", repository}, {"tag", tagOrDigest}}),
      .operation = "pull_image",
      .verb = Verb::kPull};
  if (!registryAuth.empty()) req.headers.emplace_back("X-Registry-Auth", registryAuth);
  Status st = stream(req, deadline, progressDeadline, [&](const json& msg) -> Status {
    // Docker API: closing the connection cancels the pull; the client that wanted it is gone.
    if (cancelled && cancelled()) return {Code::kCancelled, "pull cancelled by the client"};
    // Docker API: a failed pull still answers 200; the error is a message in the stream.
    if (auto text = progressError(msg)) return statusFromMessage(*text, Code::kUnknown);
    return Status::ok();
  });
  return st;
}

Result<json> DockerClientImpl::removeImage(const std::string& name, bool force, Deadline deadline) {
  if (Status st = checkImageName(name); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  return callJson(
      {.method = "DELETE",
       .path = "/images/" + name + buildQuery({{"force", force ? "1" : "0"}, {"noprune", "0"}}),
       .operation = "remove_image",
       .verb = Verb::kRemove},
      deadline);
}

Status DockerClientImpl::importImage(std::string tar, const std::string& repo,
                                     const std::string& tag,
                                     const std::vector<std::string>& changes, Deadline deadline) {
  if (Status st = ensureNegotiated(deadline); !st) return st;
  std::vector<std::pair<std::string, std::string>> q{
      {"fromSrc", "-"}, {"repo", repo}, {"tag", tag}};
  for (const auto& c : changes) q.emplace_back("changes", c);
  Request req{.method = "POST",
              .path = "/images/create" + buildQuery(q),
              .body = std::move(tar),
              .contentType = "application/x-tar",
              .operation = "import_image",
              .verb = Verb::kCreate};
  auto resp = call(req, deadline);
  if (!resp) return resp.status();
  if (Status st = statusFromHttp(resp->status, resp->body, req.verb); !st) return st;
  JsonStreamDecoder decoder;
  std::vector<json> msgs;
  if (Status st = decoder.feed(resp->body, msgs); !st) return st.withContext("import");
  for (const auto& m : msgs) {
    if (auto text = progressError(m)) {
      return statusFromMessage(*text, Code::kUnknown).withContext("import");
    }
  }
  return Status::ok();
}

Result<std::string> DockerClientImpl::createContainer(const std::string& name, const json& body,
                                                      const std::string& apiVersion,
                                                      Deadline deadline) {
  if (apiVersion.empty()) {
    return Status(Code::kInternal, "create container: no API version the body was written for");
  }
  auto created = callJson({.method = "POST",
                           .path = "/containers/create" + buildQuery({{"name", name}}),
                           .body = body.dump(),
                           .operation = "create_container",
                           .verb = Verb::kCreate,
                           .version = apiVersion},
                          deadline);
  if (!created) return created.status();
  std::string id = common::jsonString(*created, "Id");
  if (id.empty()) return Status(Code::kInternal, "create container: docker returned no Id");
  return id;
}

Status DockerClientImpl::startContainer(const std::string& id, Deadline deadline) {
  if (Status st = checkId("container", id); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  auto r = callJson({.method = "POST",
                     .path = "/containers/" + id + "/start",
                     .operation = "start_container",
                     .verb = Verb::kModify},
                    deadline);
  return r ? Status::ok() : r.status();
}

Status DockerClientImpl::stopContainer(const std::string& id, int64_t timeoutSeconds,
                                       Deadline deadline) {
  if (Status st = checkId("container", id); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  // Docker API: 304 means already stopped (statusFromHttp treats it as OK).
  auto r =
      callJson({.method = "POST",
                .path = "/containers/" + id + "/stop" +
                        buildQuery({{"t", std::to_string(std::max<int64_t>(0, timeoutSeconds))}}),
                .operation = "stop_container",
                .verb = Verb::kModify},
               deadline);
  return r ? Status::ok() : r.status();
}

Status DockerClientImpl::removeContainer(const std::string& id, bool force, Deadline deadline) {
  if (Status st = checkId("container", id); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  auto r = callJson(
      {.method = "DELETE",
       .path = "/containers/" + id + buildQuery({{"force", force ? "1" : "0"}, {"v", "1"}}),
       .operation = "remove_container",
       .verb = Verb::kRemove},
      deadline);
  return r ? Status::ok() : r.status();
}

Result<json> DockerClientImpl::inspectContainer(const std::string& id, Deadline deadline) {
  if (Status st = checkId("container", id); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  return callJson(
      {.method = "GET", .path = "/containers/" + id + "/json", .operation = "inspect_container"},
      deadline);
}

Status DockerClientImpl::updateContainer(const std::string& id, const json& resources,
                                         Deadline deadline) {
  if (Status st = checkId("container", id); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  auto r = callJson({.method = "POST",
                     .path = "/containers/" + id + "/update",
                     .body = resources.dump(),
                     .operation = "update_container",
                     .verb = Verb::kModify},
                    deadline);
  return r ? Status::ok() : r.status();
}

Result<json> DockerClientImpl::listContainers(const json& filters, Deadline deadline) {
  // Docker API 1.24 refuses the status "removing" (1.25 added it); no container can be in a
  // state the daemon does not know, so it is left out, and a filter of nothing else matches
  // nothing.
  bool matchesNothing = false;
  auto result = callJsonFor(
      [&](const std::string& version) {
        std::vector<std::pair<std::string, std::string>> q{{"all", "1"}};
        json sent = filters;
        matchesNothing = false;
        if (!apiAtLeast(version, kApiRemovingStatusFilter) && sent.is_object() &&
            sent.contains("status") && sent["status"].is_array()) {
          json kept = json::array();
          for (const auto& v : sent["status"]) {
            if (v != "removing") kept.push_back(v);
          }
          matchesNothing = kept.empty();
          sent["status"] = std::move(kept);
        }
        if (sent.is_object() && !sent.empty()) q.emplace_back("filters", sent.dump());
        return Request{.method = "GET",
                       .path = "/containers/json" + buildQuery(q),
                       .operation = "list_containers"};
      },
      deadline);
  if (result && matchesNothing) return json::array();
  return result;
}

Result<std::string> DockerClientImpl::createExec(const std::string& containerId, const json& body,
                                                 Deadline deadline) {
  if (Status st = checkId("container", containerId); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  auto created = callJson({.method = "POST",
                           .path = "/containers/" + containerId + "/exec",
                           .body = body.dump(),
                           .operation = "create_exec",
                           .verb = Verb::kModify},
                          deadline);
  if (!created) return created.status();
  std::string id = common::jsonString(*created, "Id");
  if (id.empty()) return Status(Code::kInternal, "create exec: docker returned no Id");
  return id;
}

Result<std::unique_ptr<HijackedStream>> DockerClientImpl::startExec(const std::string& execId,
                                                                    bool tty, Deadline deadline) {
  if (Status st = checkId("exec", execId); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  json body = {{"Detach", false}, {"Tty", tty}};
  return upgrade({.method = "POST",
                  .path = "/exec/" + execId + "/start",
                  .body = body.dump(),
                  .operation = "start_exec",
                  .verb = Verb::kModify},
                 deadline);
}

Result<json> DockerClientImpl::inspectExec(const std::string& execId, Deadline deadline) {
  if (Status st = checkId("exec", execId); !st) return st;
  if (Status st = ensureNegotiated(deadline); !st) return st;
  return callJson(
      {.method = "GET", .path = "/exec/" + execId + "/json", .operation = "inspect_exec"},
      deadline);
}

std::vector<OperationStats> DockerClientImpl::operationStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<OperationStats> out;
  out.reserve(stats_.size());
  for (const auto& [_, s] : stats_) out.push_back(s);
  return out;
}

}  // namespace dockershim::docker
