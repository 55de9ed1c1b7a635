#pragma once

// A fake Docker Engine that answers as each era of the Engine API does, from moby's published
// API version history (api/docs/CHANGELOG.md, "Engine API version history"): the versions it
// reports, the refusal of a version outside its range, and, per request version, the fields it
// sends and the fields it knows. Real engines of every era cannot run on one test machine; the
// real chain is tested on the machine's own Docker in test/e2e.
//
// It is strict where Docker is lenient: a request field newer than the request's API version,
// which a real daemon would silently ignore, is refused with 400, so a test sees it.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/fake_docker.h"

namespace dockershim::testing {

struct DockerEra {
  std::string engine;         // "20.10.24"
  std::string apiVersion;     // the newest API version it serves, "1.41"
  std::string minApiVersion;  // the oldest; empty for engines before API 1.25 (not reported)
};

// Docker 1.12 (API 1.24) to Docker 29.6 (API 1.55), with the minimum each release reports
// (25.0 raised it to 1.24, 29.0 to 1.44, 29.3 lowered it to 1.40), and Docker 28 with
// DOCKER_MIN_API_VERSION=1.44.
const std::vector<DockerEra>& dockerEras();

struct SeenRequest {
  std::string method;
  std::string version;                       // "1.41", "" for an unversioned path
  std::string path;                          // without the version prefix and the query
  std::map<std::string, std::string> query;  // decoded
  std::string body;
};

class EraDocker {
 public:
  explicit EraDocker(DockerEra era);
  ~EraDocker();

  const std::string& socketPath() const { return fake_->socketPath(); }
  // Another engine from now on, as after an upgrade or a restart with another minimum. Its
  // state (images, containers) stays.
  void setEra(DockerEra era);
  DockerEra era() const;

  std::vector<SeenRequest> requests() const;
  void clearRequests();
  // The API versions of every versioned request so far.
  std::vector<std::string> versionsUsed() const;

  // What a test adds behind dockershim's back.
  void addImage(const std::string& id, const std::vector<std::string>& tags,
                const std::vector<std::string>& digests, int64_t size, const std::string& user);
  // The daemon's log driver from now on ("json-file" unless set): containers report it, and
  // their logs are served by GET /containers/{id}/logs unless it is "none".
  void setLogDriver(const std::string& driver);
  // A line the container writes to stdout (its text ends in '\n' for a whole line).
  void appendLog(const std::string& containerId, const std::string& text);
  // Cuts every open connection, streams included (as a dockerd restart does).
  void dropConnections() { fake_->dropConnections(); }
  // The IPv4 address containers get on the default bridge.
  static constexpr const char* kBridgeIp = "172.17.0.2";

 private:
  struct Image {
    std::string id;
    std::vector<std::string> tags;
    std::vector<std::string> digests;
    int64_t size = 0;
    std::string user;
  };
  struct Container {
    std::string id;
    std::string name;
    nlohmann::json create;  // the create body
    std::string imageId;
    std::string state = "created";
    int64_t createdNanos = 0;
    std::string logDriver;
    std::vector<std::pair<int64_t, std::string>> logs;  // (time, text), stdout
  };

  FakeReply handle(const FakeRequest& request);
  FakeReply route(const SeenRequest& r);
  FakeReply imagesList(const SeenRequest& r);
  nlohmann::json imageJson(const Image& image, const std::string& version, bool inspect) const;
  FakeReply containerCreate(const SeenRequest& r);
  nlohmann::json containerInspect(const Container& c, const std::string& version) const;
  nlohmann::json containerSummary(const Container& c) const;
  FakeReply containersList(const SeenRequest& r);
  FakeReply events(const SeenRequest& r);
  FakeReply logs(const SeenRequest& r, const std::string& containerId);
  void emit(const Container& c, const std::string& action);
  const Image* findImage(const std::string& ref) const;
  Container* findContainer(const std::string& idOrName);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool closing_ = false;
  DockerEra era_;
  std::vector<SeenRequest> seen_;
  std::vector<Image> images_;
  std::vector<Container> containers_;
  std::vector<nlohmann::json> events_;  // every event so far, in order (without legacy fields)
  int nextId_ = 1;
  std::string logDriver_ = "json-file";
  std::unique_ptr<FakeDocker> fake_;  // last: its threads stop before the state above goes
};

// Docker's refusal for a version outside [min, max], in the daemon's words (HTTP 400), or "".
std::string versionRefusal(const DockerEra& era, const std::string& version);

}  // namespace dockershim::testing
