#include "integration/docker_eras.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "docker/api_version.h"
#include "docker/stream_demux.h"

namespace dockershim::testing {

using nlohmann::json;

namespace {

bool before(const std::string& version, std::string_view than) {
  return docker::compareApiVersions(version, than) < 0;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexDigit(s[i + 1]) >= 0 && hexDigit(s[i + 2]) >= 0) {
      out += static_cast<char>(hexDigit(s[i + 1]) * 16 + hexDigit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

FakeReply error(int status, const std::string& message) {
  return jsonReply(status, json{{"message", message}}.dump());
}

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(int64_t nanos) {
  time_t secs = nanos / 1'000'000'000;
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<long long>(nanos % 1'000'000'000));
  return buf;
}

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

// Fields of POST /containers/create that dockershim may send, with the API version that
// brought each (moby's API version history). Docker ignores what it does not know yet; this
// fake refuses it, so a field sent too early shows.
Status checkCreateBody(const json& body, const std::string& version) {
  const json host = body.value("HostConfig", json::object());
  auto tooNew = [&](const std::string& field, std::string_view since) -> Status {
    if (!before(version, since)) return Status::ok();
    return Status(Code::kInvalidArgument, "fake docker: " + field + " needs API " +
                                              std::string(since) + ", request is " + version);
  };
  if (host.contains("Mounts")) {
    if (Status st = tooNew("HostConfig.Mounts", "1.25"); !st) return st;
    const json mounts = host["Mounts"];
    for (const auto& m : mounts) {
      const json& bo = m.value("BindOptions", json::object());
      if (bo.contains("CreateMountpoint")) {
        if (Status st = tooNew("BindOptions.CreateMountpoint", "1.42"); !st) return st;
      }
      if (bo.contains("ReadOnlyNonRecursive")) {
        if (Status st = tooNew("BindOptions.ReadOnlyNonRecursive", "1.44"); !st) return st;
      }
      if (bo.contains("ReadOnlyForceRecursive") && before(version, "1.44")) {
        // Docker 25+ itself answers this one.
        return Status(Code::kInvalidArgument,
                      "BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer");
      }
    }
  }
  for (const char* f : {"MaskedPaths", "ReadonlyPaths"}) {
    if (host.contains(f)) {
      if (Status st = tooNew(std::string("HostConfig.") + f, "1.38"); !st) return st;
    }
  }
  if (host.value("IpcMode", "") == "shareable") {
    if (Status st = tooNew("HostConfig.IpcMode \"shareable\"", "1.32"); !st) return st;
  }
  for (const char* f : {"CapAdd", "CapDrop"}) {
    const json caps = host.value(f, json::array());
    for (const auto& c : caps) {
      if (c.get<std::string>().rfind("CAP_", 0) == 0 && before(version, "1.40")) {
        // Older daemons add the prefix themselves.
        return Status(Code::kInvalidArgument,
                      "Unknown capability: \"CAP_" + c.get<std::string>() + "\"");
      }
    }
  }
  if (host.contains("Annotations")) {
    if (Status st = tooNew("HostConfig.Annotations", "1.43"); !st) return st;
  }
  if (host.contains("CgroupnsMode")) {
    if (Status st = tooNew("HostConfig.CgroupnsMode", "1.41"); !st) return st;
  }
  // Docker API 1.46 brought per-endpoint sysctls; from 1.48 one interface's sysctls in
  // HostConfig.Sysctls are refused for a container with a network of its own.
  const std::string mode = host.value("NetworkMode", "default");
  const bool ownNetwork = mode != "host" && mode.rfind("container:", 0) != 0;
  const json sysctls = host.value("Sysctls", json::object());
  for (const auto& [key, value] : sysctls.items()) {
    if (ownNetwork && key.rfind("net.", 0) == 0 && key.find(".eth") != std::string::npos &&
        !before(version, "1.48")) {
      return Status(Code::kInvalidArgument, "interface specific sysctl setting \"" + key +
                                                "\" must be supplied using driver option "
                                                "'com.docker.network.endpoint.sysctls'");
    }
  }
  const json endpoints =
      body.value("NetworkingConfig", json::object()).value("EndpointsConfig", json::object());
  for (const auto& [network, endpoint] : endpoints.items()) {
    if (endpoint.value("DriverOpts", json::object())
            .contains("com.docker.network.endpoint.sysctls")) {
      if (Status st = tooNew("endpoint sysctls", "1.46"); !st) return st;
    }
  }
  if (body.contains("MacAddress") && !before(version, "1.52")) {
    return Status(Code::kInvalidArgument,
                  "container-wide MAC address no longer supported; use endpoint settings");
  }
  if (host.contains("KernelMemory") && !before(version, "1.42")) {
    return Status(Code::kInvalidArgument, "fake docker: KernelMemory was removed in API 1.42");
  }
  return Status::ok();
}

}  // namespace

const std::vector<DockerEra>& dockerEras() {
  static const std::vector<DockerEra> eras = {
      {"1.12.6", "1.24", ""},       {"17.03.2-ce", "1.26", "1.12"}, {"18.09.9", "1.39", "1.12"},
      {"19.03.15", "1.40", "1.12"}, {"20.10.24", "1.41", "1.12"},   {"23.0.6", "1.42", "1.12"},
      {"24.0.9", "1.43", "1.12"},   {"25.0.5", "1.44", "1.24"},     {"26.1.4", "1.45", "1.24"},
      {"27.5.1", "1.47", "1.24"},   {"28.4.0", "1.51", "1.24"},     {"28.4.0", "1.51", "1.44"},
      {"29.0.0", "1.52", "1.44"},   {"29.3.0", "1.54", "1.40"},     {"29.6.0", "1.55", "1.40"},
  };
  return eras;
}

std::string versionRefusal(const DockerEra& era, const std::string& version) {
  const std::string min = era.minApiVersion.empty() ? "1.12" : era.minApiVersion;
  if (before(version, min)) {
    return "client version " + version + " is too old. Minimum supported API version is " + min +
           ", please upgrade your client to a newer version";
  }
  if (docker::compareApiVersions(version, era.apiVersion) > 0) {
    // Each era's own words: Docker 1.12 and before refuse a newer client this way, 1.13 to
    // 17.09 (API 1.25 to 1.32) serve it as if it were their own version, 17.12 on refuse it.
    if (before(era.apiVersion, "1.25")) {
      return "client is newer than server (client API version: " + version +
             ", server API version: " + era.apiVersion + ")";
    }
    if (before(era.apiVersion, "1.35")) return "";
    return "client version " + version + " is too new. Maximum supported API version is " +
           era.apiVersion;
  }
  return "";
}

EraDocker::EraDocker(DockerEra era) : era_(std::move(era)) {
  addImage("sha256:" + std::string(64, 'b'), {"busybox:latest"},
           {"busybox@sha256:" + std::string(64, 'd')}, 4'261'550, "");
  addImage("sha256:" + std::string(64, 'c'), {}, {}, 1'000, "");  // untagged
  addImage("sha256:" + std::string(64, 'e'), {"dockershim.invalid/pause:1.0"}, {}, 900'000,
           "65535");
  fake_ = std::make_unique<FakeDocker>([this](const FakeRequest& r) { return handle(r); });
}

EraDocker::~EraDocker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  fake_.reset();
}

void EraDocker::setEra(DockerEra era) {
  std::lock_guard<std::mutex> lock(mu_);
  era_ = std::move(era);
}

DockerEra EraDocker::era() const {
  std::lock_guard<std::mutex> lock(mu_);
  return era_;
}

std::vector<SeenRequest> EraDocker::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

void EraDocker::clearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  seen_.clear();
}

std::vector<std::string> EraDocker::versionsUsed() const {
  std::vector<std::string> out;
  for (const auto& r : requests()) {
    if (!r.version.empty()) out.push_back(r.version);
  }
  return out;
}

void EraDocker::addImage(const std::string& id, const std::vector<std::string>& tags,
                         const std::vector<std::string>& digests, int64_t size,
                         const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  images_.push_back({id, tags, digests, size, user});
}

FakeReply EraDocker::handle(const FakeRequest& request) {
  SeenRequest r;
  r.method = request.method;
  std::string target = request.target;
  auto q = target.find('?');
  std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  std::string path = target.substr(0, q);
  if (path.rfind("/v", 0) == 0 && path.size() > 2 && std::isdigit(path[2])) {
    auto slash = path.find('/', 1);
    r.version = path.substr(2, slash - 2);
    path = slash == std::string::npos ? "/" : path.substr(slash);
  }
  r.path = path;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = kv.find('=');
    r.query[percentDecode(kv.substr(0, eq))] =
        eq == std::string::npos ? "" : percentDecode(kv.substr(eq + 1));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  r.body = request.body;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(r);
  }
  return route(r);
}

FakeReply EraDocker::route(const SeenRequest& r) {
  DockerEra era = this->era();
  // An unversioned request is read as the daemon's own newest version (before API 1.25 the
  // version was optional; from 1.25 clients are told to send it, and still may not).
  std::string version = r.version.empty() ? era.apiVersion : r.version;
  if (!r.version.empty()) {
    if (std::string refusal = versionRefusal(era, r.version); !refusal.empty()) {
      return error(400, refusal);
    }
  }
  const std::string& p = r.path;
  if (p == "/_ping") return jsonReply(200, "OK");
  if (p == "/version") {
    json v = {{"Version", era.engine}, {"ApiVersion", era.apiVersion}, {"Os", "linux"}};
    // Docker API 1.25: /version reports MinAPIVersion.
    if (!era.minApiVersion.empty()) v["MinAPIVersion"] = era.minApiVersion;
    return jsonReply(200, v.dump());
  }
  if (p == "/info") {
    json info = {{"CgroupDriver", "cgroupfs"},
                 {"DockerRootDir", "/var/lib/docker"},
                 {"Driver", "overlay2"},
                 {"LoggingDriver", "json-file"},
                 {"Runtimes", {{"runc", {{"path", "runc"}}}}}};
    if (!before(version, "1.41")) info["CgroupVersion"] = "1";  // Docker API 1.41
    return jsonReply(200, info.dump());
  }
  if (p == "/networks/bridge") return jsonReply(200, R"({"Name":"bridge","Driver":"bridge"})");
  if (p == "/images/json") return imagesList(r);
  if (p == "/events") return events(r);
  if (p.rfind("/images/", 0) == 0 && p.size() > 13 && p.substr(p.size() - 5) == "/json") {
    std::lock_guard<std::mutex> lock(mu_);
    const Image* image = findImage(p.substr(8, p.size() - 13));
    if (!image) return error(404, "No such image: " + p.substr(8, p.size() - 13));
    return jsonReply(200, imageJson(*image, version, true).dump());
  }
  if (p == "/containers/create" && r.method == "POST") return containerCreate(r);
  if (p == "/containers/json") return containersList(r);
  if (p.rfind("/containers/", 0) == 0) {
    std::string rest = p.substr(12);
    std::string id = rest.substr(0, rest.find('/'));
    std::string op = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
    std::lock_guard<std::mutex> lock(mu_);
    Container* c = findContainer(id);
    if (!c) return error(404, "No such container: " + id);
    if (op == "json" && r.method == "GET") {
      return jsonReply(200, containerInspect(*c, version).dump());
    }
    if (op == "logs" && r.method == "GET") {
      if (c->logDriver == "none") {
        return error(501, "configured logging driver does not support reading");
      }
      // The reply's stream runs on this connection's thread later, taking mu_ itself.
      return logs(r, c->id);
    }
    if (op == "start" && r.method == "POST") {
      if (c->state == "running") return jsonReply(304, "");
      c->state = "running";
      emit(*c, "start");
      return jsonReply(204, "");
    }
    if (op == "stop" && r.method == "POST") {
      if (c->state != "running") return jsonReply(304, "");
      c->state = "exited";
      emit(*c, "die");
      emit(*c, "stop");
      return jsonReply(204, "");
    }
    if (op.empty() && r.method == "DELETE") {
      if (c->state == "running" && r.query.count("force") && r.query.at("force") != "1") {
        return error(409, "You cannot remove a running container " + c->id);
      }
      emit(*c, "destroy");
      containers_.erase(std::find_if(containers_.begin(), containers_.end(),
                                     [&](const Container& x) { return x.id == c->id; }));
      return jsonReply(204, "");
    }
  }
  return error(404, "page not found");
}

const EraDocker::Image* EraDocker::findImage(const std::string& ref) const {
  for (const auto& image : images_) {
    if (image.id == ref || image.id == "sha256:" + ref) return &image;
    for (const auto& t : image.tags) {
      if (t == ref || t == ref + ":latest" || "docker.io/library/" + t == ref ||
          "docker.io/library/" + t == ref + ":latest") {
        return &image;
      }
    }
    for (const auto& d : image.digests) {
      if (d == ref) return &image;
    }
  }
  return nullptr;
}

EraDocker::Container* EraDocker::findContainer(const std::string& idOrName) {
  for (auto& c : containers_) {
    if (c.id == idOrName || c.name == idOrName || c.name == "/" + idOrName) return &c;
  }
  for (auto& c : containers_) {
    if (idOrName.size() >= 4 && c.id.rfind(idOrName, 0) == 0) return &c;
  }
  return nullptr;
}

json EraDocker::imageJson(const Image& image, const std::string& version, bool inspect) const {
  json out = {{"Id", image.id}, {"Size", image.size}};
  json tags = json(image.tags);
  json digests = json(image.digests);
  // Docker API 1.43: untagged images list empty arrays, no longer "<none>:<none>".
  if (before(version, "1.43") && !inspect) {
    if (tags.empty()) tags.push_back("<none>:<none>");
    if (digests.empty()) digests.push_back("<none>@<none>");
  }
  out["RepoTags"] = tags;
  out["RepoDigests"] = digests;
  // Docker API 1.44: VirtualSize is gone (before, it repeated Size).
  if (before(version, "1.44")) out["VirtualSize"] = image.size;
  if (!inspect) {
    out["Created"] = 1'700'000'000;
    out["Containers"] = -1;
    return out;
  }
  out["Created"] = "2023-11-14T22:13:20Z";
  out["Os"] = "linux";
  out["Architecture"] = "amd64";
  json config = json::object();
  // Docker API 1.52: image Config omits User (and Cmd, Env, …) when not set; 1.50 dropped the
  // container-only fields.
  if (!image.user.empty() || before(version, "1.52")) config["User"] = image.user;
  if (before(version, "1.52")) config["Env"] = json::array({"PATH=/bin"});
  if (before(version, "1.50")) {
    config["Hostname"] = "";
    config["Tty"] = false;
    config["Image"] = "";
  }
  out["Config"] = config;
  // Docker API 1.45: Container and ContainerConfig are gone.
  if (before(version, "1.45")) {
    out["Container"] = "";
    out["ContainerConfig"] = config;
  }
  return out;
}

FakeReply EraDocker::imagesList(const SeenRequest& r) {
  std::string version = r.version.empty() ? era().apiVersion : r.version;
  std::string reference;
  if (r.query.count("filters")) {
    json filters = json::parse(r.query.at("filters"), nullptr, false);
    if (filters.contains("reference")) {
      // Docker API 1.25 brought the reference filter; Docker 1.12 refuses unknown filters.
      if (before(version, "1.25")) return error(400, "Invalid filter 'reference'");
      reference = filters["reference"][0].get<std::string>();
    }
  }
  if (r.query.count("filter")) {
    // Docker API 1.41 removed the singular `filter`; a newer daemon ignores it and lists all.
    if (before(version, "1.41")) reference = r.query.at("filter");
  }
  std::lock_guard<std::mutex> lock(mu_);
  json out = json::array();
  for (const auto& image : images_) {
    if (!reference.empty() && findImage(reference) != &image) continue;
    out.push_back(imageJson(image, version, false));
  }
  return jsonReply(200, out.dump());
}

FakeReply EraDocker::containerCreate(const SeenRequest& r) {
  std::string version = r.version.empty() ? era().apiVersion : r.version;
  json body = json::parse(r.body, nullptr, false);
  if (!body.is_object()) return error(400, "invalid JSON");
  if (Status st = checkCreateBody(body, version); !st) return error(400, st.message());
  std::lock_guard<std::mutex> lock(mu_);
  const Image* image = findImage(body.value("Image", ""));
  if (!image) return error(404, "No such image: " + body.value("Image", ""));
  std::string name = r.query.count("name") ? r.query.at("name") : "";
  for (const auto& c : containers_) {
    if (!name.empty() && c.name == "/" + name) {
      return error(409, "Conflict. The container name \"/" + name + "\" is already in use");
    }
  }
  Container c;
  char id[65];
  std::snprintf(id, sizeof id, "%064x", nextId_++);
  c.id = id;
  c.name = "/" + (name.empty() ? std::string("c") + id : name);
  c.create = body;
  c.imageId = image->id;
  c.createdNanos = nowNanos();
  c.logDriver = logDriver_;
  containers_.push_back(c);
  emit(c, "create");
  return jsonReply(201, json{{"Id", c.id}, {"Warnings", json::array()}}.dump());
}

json EraDocker::containerInspect(const Container& c, const std::string& version) const {
  json host = c.create.value("HostConfig", json::object());
  if (!host.contains("NetworkMode")) host["NetworkMode"] = "default";
  host["LogConfig"] = {{"Type", c.logDriver}, {"Config", json::object()}};
  const bool running = c.state == "running";
  json config = c.create;
  config.erase("HostConfig");
  if (!config.contains("Labels")) config["Labels"] = json::object();
  json settings = {{"Networks", json::object()}, {"SandboxKey", ""}};
  std::string mode = host["NetworkMode"];
  if (running && (mode == "bridge" || mode == "default")) {
    json endpoint = {{"IPAddress", kBridgeIp}, {"IPPrefixLen", 16}, {"Gateway", "172.17.0.1"}};
    // Docker API 1.44 added the endpoint's MacAddress; 1.52 dropped NetworkSettings' own copy
    // of the default network's addresses (deprecated since 1.21).
    if (!before(version, "1.44")) endpoint["MacAddress"] = "02:42:ac:11:00:02";
    settings["Networks"]["bridge"] = endpoint;
    if (before(version, "1.52")) {
      settings["IPAddress"] = kBridgeIp;
      settings["GlobalIPv6Address"] = "";
      settings["Gateway"] = "172.17.0.1";
    }
  } else if (before(version, "1.52")) {
    settings["IPAddress"] = "";
    settings["GlobalIPv6Address"] = "";
  }
  std::string created = rfc3339(c.createdNanos);
  json state = {{"Status", c.state},
                {"Running", running},
                {"Paused", false},
                {"Restarting", false},
                {"OOMKilled", false},
                {"Dead", false},
                {"Pid", running ? 4242 : 0},
                {"ExitCode", c.state == "exited" ? 137 : 0},
                {"Error", ""},
                {"StartedAt", c.state == "created" ? "0001-01-01T00:00:00Z" : created},
                {"FinishedAt", c.state == "exited" ? created : "0001-01-01T00:00:00Z"}};
  return {{"Id", c.id},
          {"Created", created},
          {"Name", c.name},
          {"Image", c.imageId},
          {"State", state},
          {"Config", config},
          {"HostConfig", host},
          {"NetworkSettings", settings},
          {"Mounts", json::array()},
          {"LogPath", c.logDriver == "json-file"
                          ? "/var/lib/docker/containers/" + c.id + "/" + c.id + "-json.log"
                          : ""},
          {"ResolvConfPath", ""}};
}

json EraDocker::containerSummary(const Container& c) const {
  return {{"Id", c.id},
          {"Names", json::array({c.name})},
          {"Image", c.create.value("Image", "")},
          {"ImageID", c.imageId},
          {"Labels", c.create.value("Labels", json::object())},
          {"State", c.state},
          {"Status", c.state},
          {"Created", c.createdNanos / 1'000'000'000}};
}

FakeReply EraDocker::containersList(const SeenRequest& r) {
  std::string version = r.version.empty() ? era().apiVersion : r.version;
  json filters = json::object();
  if (r.query.count("filters")) filters = json::parse(r.query.at("filters"), nullptr, false);
  for (const auto& s : filters.value("status", json::array())) {
    // Docker API 1.25 added "removing"; Docker 1.12 refuses a status it does not know.
    if (s == "removing" && before(version, "1.25")) {
      return error(400, "Unrecognised filter value for status: removing");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  json out = json::array();
  for (const auto& c : containers_) {
    json labels = c.create.value("Labels", json::object());
    bool match = true;
    for (const auto& l : filters.value("label", json::array())) {
      std::string kv = l;
      auto eq = kv.find('=');
      std::string k = kv.substr(0, eq);
      if (!labels.contains(k) || (eq != std::string::npos && labels[k] != kv.substr(eq + 1))) {
        match = false;
      }
    }
    if (filters.contains("id")) {
      std::string prefix = filters["id"][0];
      if (c.id.rfind(prefix, 0) != 0) match = false;
    }
    if (filters.contains("status")) {
      const json& states = filters["status"];
      if (std::find(states.begin(), states.end(), c.state) == states.end()) match = false;
    }
    if (match) out.push_back(containerSummary(c));
  }
  return jsonReply(200, out.dump());
}

void EraDocker::setLogDriver(const std::string& driver) {
  std::lock_guard<std::mutex> lock(mu_);
  logDriver_ = driver;
}

void EraDocker::appendLog(const std::string& containerId, const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Container* c = findContainer(containerId)) c->logs.emplace_back(nowNanos(), text);
  cv_.notify_all();
}

FakeReply EraDocker::logs(const SeenRequest& r, const std::string& containerId) {
  FakeReply reply;
  reply.pieces.push_back(
      "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
  int64_t since = 0;
  if (r.query.count("since")) {
    // Docker API: "<seconds>.<nanoseconds>"; messages at that very time come again.
    const std::string& text = r.query.at("since");
    auto dot = text.find('.');
    since = std::atoll(text.substr(0, dot).c_str()) * 1'000'000'000;
    if (dot != std::string::npos) since += std::atoll(text.substr(dot + 1).c_str());
  }
  const bool follow = r.query.count("follow") && r.query.at("follow") == "1";
  reply.stream = [this, containerId, since,
                  follow](const std::function<bool(const std::string&)>& write) {
    size_t next = 0;
    for (;;) {
      std::vector<std::pair<int64_t, std::string>> batch;
      bool ended = false;
      {
        std::unique_lock<std::mutex> lock(mu_);
        auto more = [&] {
          Container* c = findContainer(containerId);
          return closing_ || !c || next < c->logs.size() || c->state != "running";
        };
        cv_.wait_for(lock, std::chrono::milliseconds(50), more);
        if (closing_) return;
        Container* c = findContainer(containerId);
        if (c) {
          while (next < c->logs.size()) batch.push_back(c->logs[next++]);
        }
        ended = !c || c->state != "running" || !follow;
      }
      if (batch.empty() && !ended && !write("")) return;
      for (const auto& [t, text] : batch) {
        if (t < since) continue;
        std::string message = rfc3339(t) + " " + text;
        if (!write(chunk(docker::encodeFrame(docker::StreamType::kStdout, message)))) return;
      }
      if (ended) {
        write("0\r\n\r\n");
        return;
      }
    }
  };
  return reply;
}

void EraDocker::emit(const Container& c, const std::string& action) {
  int64_t t = nowNanos();
  json attributes = c.create.value("Labels", json::object());
  attributes["name"] = c.name.substr(1);
  attributes["image"] = c.create.value("Image", "");
  events_.push_back({{"Type", "container"},
                     {"Action", action},
                     {"Actor", {{"ID", c.id}, {"Attributes", attributes}}},
                     {"scope", "local"},
                     {"time", t / 1'000'000'000},
                     {"timeNano", t}});
  cv_.notify_all();
}

FakeReply EraDocker::events(const SeenRequest& r) {
  std::string version = r.version.empty() ? era().apiVersion : r.version;
  FakeReply reply;
  // Docker API 1.52: application/jsonl, and no legacy status/id/from fields.
  std::string type = before(version, "1.52") ? "application/json" : "application/jsonl";
  reply.pieces.push_back("HTTP/1.1 200 OK\r\nContent-Type: " + type +
                         "\r\nTransfer-Encoding: chunked\r\n\r\n");
  size_t from;
  {
    std::lock_guard<std::mutex> lock(mu_);
    from = events_.size();
    // `since`: the past events too, as Docker replays them.
    if (r.query.count("since")) {
      double since = std::atof(r.query.at("since").c_str());
      from = 0;
      while (from < events_.size() &&
             static_cast<double>(events_[from]["timeNano"].get<int64_t>()) / 1e9 < since) {
        ++from;
      }
    }
  }
  reply.stream = [this, from, version](const std::function<bool(const std::string&)>& write) {
    size_t next = from;
    for (;;) {
      std::vector<json> batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(50),
                     [&] { return closing_ || next < events_.size(); });
        if (closing_) return;
        while (next < events_.size()) batch.push_back(events_[next++]);
      }
      if (batch.empty() && !write("")) return;
      for (auto e : batch) {
        if (before(version, "1.52")) {
          e["status"] = e["Action"];
          e["id"] = e["Actor"]["ID"];
          e["from"] = e["Actor"]["Attributes"]["image"];
        }
        if (!write(chunk(e.dump() + "\n"))) return;
      }
    }
  };
  return reply;
}

}  // namespace dockershim::testing
