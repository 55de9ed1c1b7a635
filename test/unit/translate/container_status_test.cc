#include "translate/container_status.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace dockershim::translate {
namespace {

using nlohmann::json;

const std::string kContainerId = "8dfafdbc3a40a2ad2d8d44f1a6b2e2d1c0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5";
const std::string kSandboxId = "a7c3b1e09f8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b";
const std::string kImageId =
    "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741";
const std::string kBusyboxDigest =
    "sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7";
const std::string kMirrorDigest =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const std::string kZeroTime = "0001-01-01T00:00:00Z";

constexpr int64_t kSec = 1000000000;
// 2026-11-28T09:49:54Z and neighbours, in Unix seconds.
constexpr int64_t kCreatedSec = 1795859380;   // 09:49:40
constexpr int64_t kStartedSec = 1795859394;   // 09:49:54
constexpr int64_t kFinishedSec = 1795859463;  // 09:51:03

// Shaped like Docker's GET /containers/{id}/json (API 1.41) for a kubelet-created container.
json inspectJson() {
  return json::parse(R"({
    "Id": ")" + kContainerId +
                     R"(",
    "Created": "2026-11-28T09:49:40.123456789Z",
    "Path": "sh",
    "Args": ["-c", "sleep 3600"],
    "State": {
      "Status": "running",
      "Running": true,
      "Paused": false,
      "Restarting": false,
      "OOMKilled": false,
      "Dead": false,
      "Pid": 4242,
      "ExitCode": 0,
      "Error": "",
      "StartedAt": "2026-11-28T09:49:54.279306719Z",
      "FinishedAt": "0001-01-01T00:00:00Z"
    },
    "Image": ")" + kImageId +
                     R"(",
    "ResolvConfPath": "/var/lib/docker/containers/8dfa/resolv.conf",
    "LogPath": "/var/lib/docker/containers/8dfa/8dfa-json.log",
    "Name": "/k8s_app_web-0_default_5f0c7f7e-3f5b-4b0e-9d38-6b1f0e0c2a11_2",
    "RestartCount": 0,
    "Driver": "overlay2",
    "Platform": "linux",
    "HostConfig": {
      "NetworkMode": "container:)" +
                     kSandboxId + R"(",
      "IpcMode": "container:)" +
                     kSandboxId + R"(",
      "PidMode": "",
      "Runtime": "runc"
    },
    "Mounts": [
      {"Type": "bind", "Source": "/var/lib/kubelet/pods/5f0c/volumes/config", "Destination": "/etc/config",
       "Mode": "ro,Z", "RW": false, "Propagation": "rprivate"},
      {"Type": "bind", "Source": "/var/lib/kubelet/pods/5f0c/etc-hosts", "Destination": "/etc/hosts",
       "Mode": "", "RW": true, "Propagation": "rslave"},
      {"Type": "volume", "Name": "cache", "Source": "/var/lib/docker/volumes/cache/_data",
       "Destination": "/cache", "Driver": "local", "Mode": "z", "RW": true, "Propagation": ""}
    ],
    "Config": {
      "Hostname": "web-0",
      "Image": "busybox:1.36",
      "Labels": {
        "io.kubernetes.docker.type": "container",
        "io.kubernetes.sandbox.id": ")" +
                     kSandboxId + R"(",
        "io.kubernetes.container.logpath": "/var/log/pods/default_web-0_5f0c/app/2.log",
        "io.kubernetes.container.name": "app",
        "io.kubernetes.pod.name": "web-0",
        "annotation.io.kubernetes.container.hash": "9f1c2a",
        "annotation.kubernetes.io/config.source": "api"
      }
    }
  })");
}

// Shaped like Docker's GET /images/{id}/json.
json imageJson() {
  return json::parse(R"({
    "Id": ")" + kImageId +
                     R"(",
    "RepoTags": ["busybox:1.36", "busybox:latest"],
    "RepoDigests": ["mirror.local:5000/busybox@)" +
                     kMirrorDigest + R"(", "busybox@)" + kBusyboxDigest + R"("],
    "Created": "2026-01-01T00:00:00Z",
    "Size": 4261550
  })");
}

json sandboxInspectJson() {
  return json::parse(R"({
    "Id": ")" + kSandboxId +
                     R"(",
    "Created": "2026-11-28T09:48:20.5Z",
    "State": {"Status": "running", "Running": true, "Paused": false, "Restarting": false,
              "OOMKilled": false, "Dead": false, "Pid": 4100, "ExitCode": 0, "Error": "",
              "StartedAt": "2026-11-28T09:48:21Z", "FinishedAt": "0001-01-01T00:00:00Z"},
    "Image": "sha256:e6f1816883972d4be47bd48879a08919b96afcd344132622e4d444987919323c",
    "Name": "/k8s_POD_web-0_default_5f0c7f7e-3f5b-4b0e-9d38-6b1f0e0c2a11_1",
    "HostConfig": {"NetworkMode": "none", "PidMode": "", "IpcMode": "shareable",
                   "Runtime": "runc"},
    "Config": {
      "Hostname": "web-0",
      "Image": "registry.k8s.io/pause:3.9",
      "Labels": {
        "io.kubernetes.docker.type": "podsandbox",
        "io.kubernetes.container.name": "POD",
        "app": "web",
        "annotation.kubernetes.io/config.seen": "2026-11-28T09:48:00Z"
      }
    }
  })");
}

std::map<std::string, std::string> toMap(const google::protobuf::Map<std::string, std::string>& m) {
  return {m.begin(), m.end()};
}

// ---------------------------------------------------------------------------------------------

TEST_CASE("dockerTimeToNanos parses RFC 3339 as Docker writes it", "[container_status]") {
  struct Case {
    std::string text;
    int64_t nanos;
  };
  const std::vector<Case> cases = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T00:00:01Z", kSec},
      {"2000-01-01T00:00:00Z", 946684800 * kSec},
      {"2024-02-29T12:00:00Z", 1709208000 * kSec},  // leap day
      {"2026-11-28T09:49:54.279306719Z", kStartedSec * kSec + 279306719},
      {"2026-11-28T09:49:54.5Z", kStartedSec * kSec + 500000000},
      {"2026-11-28T09:49:54.000000001Z", kStartedSec * kSec + 1},
      {"2026-11-28T09:49:54.12Z", kStartedSec * kSec + 120000000},
      // Digits past the ninth are truncated, as Go does.
      {"2026-11-28T09:49:54.1234567899Z", kStartedSec * kSec + 123456789},
      // Offsets: the same instant.
      {"2026-11-28T10:49:54+01:00", kStartedSec * kSec},
      {"2026-11-28T04:19:54.5-05:30", kStartedSec * kSec + 500000000},
      {"2026-11-28T09:49:54+00:00", kStartedSec * kSec},
      {"2026-11-28t09:49:54z", kStartedSec * kSec},
      {"1969-12-31T23:59:59Z", -kSec},
      {"2262-04-11T23:47:16.854775807Z", std::numeric_limits<int64_t>::max()},
      // Docker's zero time, and anything else outside int64 nanoseconds.
      {kZeroTime, 0},
      {"0001-01-01T00:00:00.000000000Z", 0},
      {"2262-04-11T23:47:16.854775808Z", 0},
      {"9999-12-31T23:59:59Z", 0},
      // Malformed.
      {"", 0},
      {"garbage", 0},
      {"2026-11-28", 0},
      {"2026-11-28T09:49:54", 0},       // no zone
      {"2026-11-28 09:49:54Z", 0},      // space separator
      {"2026-11-28T09:49:54.Z", 0},     // dot without digits
      {"2026-11-28T09:49:54Z ", 0},     // trailing junk
      {"2026-11-28T09:49:54+0100", 0},  // offset without colon
      {"2026-11-28T09:49:54+24:00", 0},
      {"2026-13-01T00:00:00Z", 0},
      {"2026-00-01T00:00:00Z", 0},
      {"2023-02-29T00:00:00Z", 0},  // not a leap year
      {"2026-04-31T00:00:00Z", 0},
      {"2026-11-28T24:00:00Z", 0},
      {"2026-11-28T09:60:00Z", 0},
      {"2026-11-28T09:49:60Z", 0},
      {"+026-11-28T09:49:54Z", 0},
      {"2026-1-28T09:49:54Z", 0},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(dockerTimeToNanos(c.text) == c.nanos);
  }
}

TEST_CASE("containerImageRef prefers a repo digest, else the image ID", "[container_status]") {
  SECTION("digest of the repository the container was created from") {
    CHECK(containerImageRef(imageJson(), "busybox:1.36", kImageId) ==
          "docker-pullable://busybox@" + kBusyboxDigest);
    CHECK(containerImageRef(imageJson(), "docker.io/library/busybox", kImageId) ==
          "docker-pullable://busybox@" + kBusyboxDigest);
    CHECK(containerImageRef(imageJson(), "mirror.local:5000/busybox:1.36", kImageId) ==
          "docker-pullable://mirror.local:5000/busybox@" + kMirrorDigest);
  }
  SECTION("created by ID or from another repository: the first digest") {
    CHECK(containerImageRef(imageJson(), kImageId, kImageId) ==
          "docker-pullable://mirror.local:5000/busybox@" + kMirrorDigest);
    CHECK(containerImageRef(imageJson(), "quay.io/other/img:1", kImageId) ==
          "docker-pullable://mirror.local:5000/busybox@" + kMirrorDigest);
    CHECK(containerImageRef(imageJson(), "", kImageId) ==
          "docker-pullable://mirror.local:5000/busybox@" + kMirrorDigest);
  }
  SECTION("created by digest: that very digest among several of one repository") {
    json image = imageJson();
    image["RepoDigests"] = {"busybox@" + kMirrorDigest, "busybox@" + kBusyboxDigest};
    CHECK(containerImageRef(image, "busybox@" + kBusyboxDigest, kImageId) ==
          "docker-pullable://busybox@" + kBusyboxDigest);
    CHECK(containerImageRef(image, "busybox:1.36", kImageId) ==
          "docker-pullable://busybox@" + kMirrorDigest);
  }
  SECTION("no repo digest (built locally, or loaded): docker://<id>") {
    json image = imageJson();
    image["RepoDigests"] = json::array();
    CHECK(containerImageRef(image, "busybox:1.36", kImageId) == "docker://" + kImageId);
    image["RepoDigests"] = {"<none>@<none>"};
    CHECK(containerImageRef(image, "busybox:1.36", kImageId) == "docker://" + kImageId);
    image.erase("RepoDigests");
    CHECK(containerImageRef(image, "busybox:1.36", kImageId) == "docker://" + kImageId);
  }
  SECTION("no image inspect (image removed meanwhile) or a malformed one") {
    CHECK(containerImageRef(json(), "busybox:1.36", kImageId) == "docker://" + kImageId);
    CHECK(containerImageRef(json::array({1, 2}), "busybox", kImageId) == "docker://" + kImageId);
    json wrongTypes = {{"RepoDigests", "busybox@" + kBusyboxDigest}};
    CHECK(containerImageRef(wrongTypes, "busybox", kImageId) == "docker://" + kImageId);
    json mixed = {{"RepoDigests", {42, nullptr, "busybox@" + kBusyboxDigest}}};
    CHECK(containerImageRef(mixed, "busybox", kImageId) ==
          "docker-pullable://busybox@" + kBusyboxDigest);
  }
  SECTION("image ID from the inspect when the container's is unknown") {
    json image = imageJson();
    image["RepoDigests"] = json::array();
    CHECK(containerImageRef(image, "busybox", "") == "docker://" + kImageId);
    CHECK(containerImageRef(json(), "busybox", "").empty());
  }
}

TEST_CASE("containerStatusFromInspect translates a running container", "[container_status]") {
  runtime::v1::ContainerStatus st;
  REQUIRE(containerStatusFromInspect(inspectJson(), imageJson(), &st).isOk());

  CHECK(st.id() == kContainerId);
  CHECK(st.metadata().name() == "app");
  CHECK(st.metadata().attempt() == 2);
  CHECK(st.state() == runtime::v1::CONTAINER_RUNNING);
  CHECK(st.created_at() == kCreatedSec * kSec + 123456789);
  CHECK(st.started_at() == kStartedSec * kSec + 279306719);
  CHECK(st.finished_at() == 0);
  CHECK(st.exit_code() == 0);
  CHECK(st.reason().empty());
  CHECK(st.message().empty());
  CHECK(st.image().image() == "busybox:1.36");
  CHECK(st.image_ref() == "docker-pullable://busybox@" + kBusyboxDigest);
  CHECK(st.image_id() == kImageId);
  CHECK(st.log_path() == "/var/log/pods/default_web-0_5f0c/app/2.log");
  // Internal labels hidden, annotations restored.
  CHECK(toMap(st.labels()) ==
        std::map<std::string, std::string>{{"io.kubernetes.container.name", "app"},
                                           {"io.kubernetes.pod.name", "web-0"}});
  CHECK(toMap(st.annotations()) ==
        std::map<std::string, std::string>{{"io.kubernetes.container.hash", "9f1c2a"},
                                           {"kubernetes.io/config.source", "api"}});

  REQUIRE(st.mounts_size() == 3);
  CHECK(st.mounts(0).container_path() == "/etc/config");
  CHECK(st.mounts(0).host_path() == "/var/lib/kubelet/pods/5f0c/volumes/config");
  CHECK(st.mounts(0).readonly());
  CHECK(st.mounts(0).selinux_relabel());
  CHECK(st.mounts(0).propagation() == runtime::v1::PROPAGATION_PRIVATE);
  CHECK(st.mounts(1).container_path() == "/etc/hosts");
  CHECK_FALSE(st.mounts(1).readonly());
  CHECK_FALSE(st.mounts(1).selinux_relabel());
  CHECK(st.mounts(1).propagation() == runtime::v1::PROPAGATION_HOST_TO_CONTAINER);
  CHECK(st.mounts(2).host_path() == "/var/lib/docker/volumes/cache/_data");
  CHECK(st.mounts(2).selinux_relabel());
  CHECK(st.mounts(2).propagation() == runtime::v1::PROPAGATION_PRIVATE);
}

TEST_CASE("containerStatusFromInspect: every Docker state and reason", "[container_status]") {
  const std::string kStarted = "2026-11-28T09:49:54Z";
  const std::string kFinished = "2026-11-28T09:51:03Z";
  struct Case {
    std::string name;
    json state;  // merged over the running state of inspectJson()
    runtime::v1::ContainerState want;
    std::string reason;
    std::string message;
    int64_t startedSec;  // expected started_at / finished_at in seconds (0: unset)
    int64_t finishedSec;
    int32_t exitCode;
  };
  auto stateJson = [](std::string status, bool running, int exitCode, std::string started,
                      std::string finished) {
    return json{{"Status", std::move(status)},
                {"Running", running},
                {"ExitCode", exitCode},
                {"StartedAt", std::move(started)},
                {"FinishedAt", std::move(finished)}};
  };
  auto with = [](json s, const char* key, json v) {
    s[key] = std::move(v);
    return s;
  };
  const int64_t c = kCreatedSec;  // created_at seconds (fraction checked elsewhere)
  const std::vector<Case> cases = {
      {"created", stateJson("created", false, 0, kZeroTime, kZeroTime),
       runtime::v1::CONTAINER_CREATED, "", "", 0, 0, 0},
      {"running", stateJson("running", true, 0, kStarted, kZeroTime),
       runtime::v1::CONTAINER_RUNNING, "", "", kStartedSec, 0, 0},
      {"paused", with(stateJson("paused", true, 0, kStarted, kZeroTime), "Paused", true),
       runtime::v1::CONTAINER_RUNNING, "", "", kStartedSec, 0, 0},
      // Restarting after a crash: still RUNNING; the previous run's exit is reported raw.
      {"restarting",
       with(stateJson("restarting", true, 1, kStarted, kFinished), "Restarting", true),
       runtime::v1::CONTAINER_RUNNING, "", "", kStartedSec, kFinishedSec, 1},
      {"running with a stale error",
       with(stateJson("running", true, 0, kStarted, kZeroTime), "Error", "old failure"),
       runtime::v1::CONTAINER_RUNNING, "", "", kStartedSec, 0, 0},
      {"exited 0", stateJson("exited", false, 0, kStarted, kFinished),
       runtime::v1::CONTAINER_EXITED, "Completed", "", kStartedSec, kFinishedSec, 0},
      {"exited 1", stateJson("exited", false, 1, kStarted, kFinished),
       runtime::v1::CONTAINER_EXITED, "Error", "", kStartedSec, kFinishedSec, 1},
      {"killed 137", stateJson("exited", false, 137, kStarted, kFinished),
       runtime::v1::CONTAINER_EXITED, "Error", "", kStartedSec, kFinishedSec, 137},
      {"OOM killed", with(stateJson("exited", false, 137, kStarted, kFinished), "OOMKilled", true),
       runtime::v1::CONTAINER_EXITED, "OOMKilled", "", kStartedSec, kFinishedSec, 137},
      {"OOM killed, handled, exit 0",
       with(stateJson("exited", false, 0, kStarted, kFinished), "OOMKilled", true),
       runtime::v1::CONTAINER_EXITED, "OOMKilled", "", kStartedSec, kFinishedSec, 0},
      // Docker leaves a container that failed to start "created" with 126/127/128 and Error.
      {"failed to start",
       with(stateJson("created", false, 127, kZeroTime, kZeroTime), "Error",
            "failed to create task: exec: \"/no/such\": stat /no/such: no such file or directory"),
       runtime::v1::CONTAINER_EXITED, "ContainerCannotRun",
       "failed to create task: exec: \"/no/such\": stat /no/such: no such file or directory", c, c,
       127},
      // Ran once, then a restart failed: the old finish time makes it a plain error.
      {"restart failed",
       with(stateJson("exited", false, 128, kStarted, kFinished), "Error", "cgroup setup failed"),
       runtime::v1::CONTAINER_EXITED, "Error", "cgroup setup failed", kStartedSec, kFinishedSec,
       128},
      {"exited with an error message",
       with(stateJson("exited", false, 2, kStarted, kFinished), "Error", "oops"),
       runtime::v1::CONTAINER_EXITED, "Error", "oops", kStartedSec, kFinishedSec, 2},
      {"dead after running", with(stateJson("dead", false, 0, kStarted, kFinished), "Dead", true),
       runtime::v1::CONTAINER_EXITED, "Completed", "", kStartedSec, kFinishedSec, 0},
      {"dead, never finished",
       with(stateJson("dead", false, 0, kZeroTime, kZeroTime), "Dead", true),
       runtime::v1::CONTAINER_EXITED, "Error", "", 0, 0, 0},
      {"exited without a finish time", stateJson("exited", false, 0, kStarted, kZeroTime),
       runtime::v1::CONTAINER_EXITED, "Completed", "", kStartedSec, 0, 0},
      {"removing after running", stateJson("removing", false, 0, kStarted, kFinished),
       runtime::v1::CONTAINER_EXITED, "Completed", "", kStartedSec, kFinishedSec, 0},
      {"removing, never started", stateJson("removing", false, 0, kZeroTime, kZeroTime),
       runtime::v1::CONTAINER_CREATED, "", "", 0, 0, 0},
  };
  for (const auto& tc : cases) {
    CAPTURE(tc.name);
    json inspect = inspectJson();
    inspect["State"]["Paused"] = false;
    inspect["State"]["Restarting"] = false;
    inspect["State"]["Error"] = "";
    inspect["State"].update(tc.state);
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, imageJson(), &st).isOk());
    CHECK(st.state() == tc.want);
    CHECK(st.reason() == tc.reason);
    CHECK(st.message() == tc.message);
    CHECK(st.exit_code() == tc.exitCode);
    const int64_t createdFraction = 123456789;
    CHECK(st.started_at() ==
          (tc.startedSec == 0 ? 0
                              : tc.startedSec * kSec + (tc.startedSec == c ? createdFraction : 0)));
    CHECK(st.finished_at() ==
          (tc.finishedSec == 0
               ? 0
               : tc.finishedSec * kSec + (tc.finishedSec == c ? createdFraction : 0)));
  }
}

TEST_CASE("containerStatusFromInspect: State without Running falls back on Status",
          "[container_status]") {
  for (const char* status : {"running", "paused", "restarting"}) {
    CAPTURE(status);
    json inspect = inspectJson();
    inspect["State"].erase("Running");
    inspect["State"]["Status"] = status;
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    CHECK(st.state() == runtime::v1::CONTAINER_RUNNING);
  }
  json inspect = inspectJson();
  inspect["State"]["Running"] = "yes";  // wrong type: ignored, Status decides
  inspect["State"]["Status"] = "created";
  inspect["State"]["StartedAt"] = kZeroTime;
  runtime::v1::ContainerStatus st;
  REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
  CHECK(st.state() == runtime::v1::CONTAINER_CREATED);
}

TEST_CASE("containerStatusFromInspect: mount propagation", "[container_status]") {
  const std::vector<std::pair<std::string, runtime::v1::MountPropagation>> cases = {
      {"rprivate", runtime::v1::PROPAGATION_PRIVATE},
      {"private", runtime::v1::PROPAGATION_PRIVATE},
      {"", runtime::v1::PROPAGATION_PRIVATE},
      {"rslave", runtime::v1::PROPAGATION_HOST_TO_CONTAINER},
      {"slave", runtime::v1::PROPAGATION_HOST_TO_CONTAINER},
      {"rshared", runtime::v1::PROPAGATION_BIDIRECTIONAL},
      {"shared", runtime::v1::PROPAGATION_BIDIRECTIONAL},
      {"bogus", runtime::v1::PROPAGATION_PRIVATE},
  };
  for (const auto& [propagation, want] : cases) {
    CAPTURE(propagation);
    json inspect = inspectJson();
    inspect["Mounts"] = json::array({{{"Type", "bind"},
                                      {"Source", "/src"},
                                      {"Destination", "/dst"},
                                      {"Mode", "rw"},
                                      {"RW", true},
                                      {"Propagation", propagation}}});
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    REQUIRE(st.mounts_size() == 1);
    CHECK(st.mounts(0).propagation() == want);
    CHECK(st.mounts(0).host_path() == "/src");
    CHECK(st.mounts(0).container_path() == "/dst");
    CHECK_FALSE(st.mounts(0).readonly());
  }
}

TEST_CASE("containerStatusFromInspect: image spec, ref and id", "[container_status]") {
  SECTION("created by name: the configured name, ref by that repository's digest") {
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspectJson(), imageJson(), &st).isOk());
    CHECK(st.image().image() == "busybox:1.36");
    CHECK(st.image_ref() == "docker-pullable://busybox@" + kBusyboxDigest);
  }
  SECTION("created by image ID (as kubelet does): the first repo tag") {
    json inspect = inspectJson();
    inspect["Config"]["Image"] = kImageId;
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, imageJson(), &st).isOk());
    CHECK(st.image().image() == "busybox:1.36");
    CHECK(st.image_ref() == "docker-pullable://mirror.local:5000/busybox@" + kMirrorDigest);
    CHECK(st.image_id() == kImageId);
  }
  SECTION("created by image ID, image gone: the ID, docker://") {
    json inspect = inspectJson();
    inspect["Config"]["Image"] = kImageId;
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    CHECK(st.image().image() == kImageId);
    CHECK(st.image_ref() == "docker://" + kImageId);
    CHECK(st.image_id() == kImageId);
  }
  SECTION("an untagged image keeps the ID") {
    json inspect = inspectJson();
    inspect["Config"]["Image"] = kImageId;
    json image = imageJson();
    image["RepoTags"] = json::array();
    image["RepoDigests"] = json::array();
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, image, &st).isOk());
    CHECK(st.image().image() == kImageId);
    CHECK(st.image_ref() == "docker://" + kImageId);
  }
}

TEST_CASE("containerStatusFromInspect rejects what is not a kube container", "[container_status]") {
  runtime::v1::ContainerStatus st;
  for (const json& body : {json(), json::array(), json("string"), json(42)}) {
    CAPTURE(body.dump());
    Status s = containerStatusFromInspect(body, json(), &st);
    CHECK(s.code() == Code::kInvalidArgument);
  }
  json noId = inspectJson();
  noId.erase("Id");
  CHECK(containerStatusFromInspect(noId, json(), &st).code() == Code::kInvalidArgument);
  json idNumber = inspectJson();
  idNumber["Id"] = 12345;
  CHECK(containerStatusFromInspect(idNumber, json(), &st).code() == Code::kInvalidArgument);

  for (const json& name :
       {json("/nginx"), json("/k8s_app_web-0_default_uid"),
        json("/k8s_app_web-0_default_uid_notanumber"), json(""), json(7), json(nullptr)}) {
    CAPTURE(name.dump());
    json inspect = inspectJson();
    inspect["Name"] = name;
    Status s = containerStatusFromInspect(inspect, json(), &st);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(s.message().find(kContainerId) != std::string::npos);
  }
  json noName = inspectJson();
  noName.erase("Name");
  CHECK(containerStatusFromInspect(noName, json(), &st).code() == Code::kInvalidArgument);
}

TEST_CASE("containerStatusFromInspect survives fields of the wrong type", "[container_status]") {
  SECTION("minimal body: only Id and Name") {
    json inspect = {{"Id", kContainerId}, {"Name", "/k8s_app_web-0_default_uid_0"}};
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    CHECK(st.state() == runtime::v1::CONTAINER_CREATED);
    CHECK(st.created_at() == 0);
    CHECK(st.image().image().empty());
    CHECK(st.image_ref().empty());
    CHECK(st.labels().empty());
    CHECK(st.mounts().empty());
    CHECK(st.log_path().empty());
  }
  SECTION("everything mistyped") {
    json inspect = inspectJson();
    inspect["Created"] = 1795859380;
    inspect["State"] = "running";
    inspect["Image"] = json::object();
    inspect["Mounts"] = {{"Source", "/x"}};
    inspect["Config"] = json::array();
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, json("image"), &st).isOk());
    CHECK(st.created_at() == 0);
    CHECK(st.state() == runtime::v1::CONTAINER_CREATED);
    CHECK(st.image_id().empty());
    CHECK(st.mounts().empty());
    CHECK(st.labels().empty());
  }
  SECTION("mistyped state fields") {
    json inspect = inspectJson();
    inspect["State"] = {{"Running", false},    {"ExitCode", "1"},
                        {"OOMKilled", "true"}, {"Error", 5},
                        {"StartedAt", 0},      {"FinishedAt", "2026-11-28T09:51:03Z"}};
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    CHECK(st.state() == runtime::v1::CONTAINER_EXITED);
    CHECK(st.exit_code() == 0);
    CHECK(st.reason() == "Completed");
    CHECK(st.message().empty());
    CHECK(st.started_at() == 0);
  }
  SECTION("exit codes out of int32 range are clamped; floats accepted") {
    json inspect = inspectJson();
    inspect["State"]["Running"] = false;
    inspect["State"]["FinishedAt"] = "2026-11-28T09:51:03Z";
    inspect["State"]["ExitCode"] = 99999999999LL;
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    CHECK(st.exit_code() == std::numeric_limits<int32_t>::max());
    inspect["State"]["ExitCode"] = 18446744073709551615ULL;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    CHECK(st.exit_code() == std::numeric_limits<int32_t>::max());
    inspect["State"]["ExitCode"] = 137.0;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    CHECK(st.exit_code() == 137);
    inspect["State"]["ExitCode"] = 1e300;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    CHECK(st.exit_code() == 0);
  }
  SECTION("mistyped mounts and labels") {
    json inspect = inspectJson();
    inspect["Mounts"] = json::array(
        {42, nullptr, {{"Source", 1}, {"Destination", "/d"}, {"RW", "yes"}, {"Mode", 3}}});
    inspect["Config"]["Labels"] = {{"app", 1}, {"io.kubernetes.container.logpath", false}};
    runtime::v1::ContainerStatus st;
    REQUIRE(containerStatusFromInspect(inspect, json(), &st).isOk());
    REQUIRE(st.mounts_size() == 1);
    CHECK(st.mounts(0).host_path().empty());
    CHECK(st.mounts(0).container_path() == "/d");
    CHECK_FALSE(st.mounts(0).readonly());  // no readable RW: Docker's default, read-write
    CHECK(st.labels().empty());
    CHECK(st.log_path().empty());
  }
  SECTION("the output is replaced, not merged") {
    runtime::v1::ContainerStatus st;
    st.set_reason("stale");
    (*st.mutable_labels())["stale"] = "1";
    st.add_mounts()->set_host_path("/stale");
    REQUIRE(containerStatusFromInspect(inspectJson(), json(), &st).isOk());
    CHECK(st.reason().empty());
    CHECK(st.labels().count("stale") == 0);
    CHECK(st.mounts_size() == 3);
  }
}

TEST_CASE("sandboxStatusFromInspect translates a pause container", "[container_status]") {
  runtime::v1::PodSandboxStatus st;
  REQUIRE(sandboxStatusFromInspect(sandboxInspectJson(), &st).isOk());
  CHECK(st.id() == kSandboxId);
  CHECK(st.metadata().name() == "web-0");
  CHECK(st.metadata().namespace_() == "default");
  CHECK(st.metadata().uid() == "5f0c7f7e-3f5b-4b0e-9d38-6b1f0e0c2a11");
  CHECK(st.metadata().attempt() == 1);
  CHECK(st.state() == runtime::v1::SANDBOX_READY);
  CHECK(st.created_at() == int64_t{1795859300} * kSec + 500000000);
  CHECK(toMap(st.labels()) == std::map<std::string, std::string>{{"app", "web"}});
  CHECK(toMap(st.annotations()) ==
        std::map<std::string, std::string>{{"kubernetes.io/config.seen", "2026-11-28T09:48:00Z"}});
  const auto& ns = st.linux().namespaces().options();
  CHECK(ns.network() == runtime::v1::POD);
  CHECK(ns.pid() == runtime::v1::CONTAINER);
  CHECK(ns.ipc() == runtime::v1::POD);
  CHECK(st.runtime_handler().empty());
  CHECK_FALSE(st.has_network());  // the caller's part
}

TEST_CASE("sandboxStatusFromInspect: state, namespaces, runtime handler", "[container_status]") {
  SECTION("not running -> NOTREADY") {
    for (const char* status : {"exited", "created", "dead", "removing"}) {
      CAPTURE(status);
      json inspect = sandboxInspectJson();
      inspect["State"]["Running"] = false;
      inspect["State"]["Status"] = status;
      runtime::v1::PodSandboxStatus st;
      REQUIRE(sandboxStatusFromInspect(inspect, &st).isOk());
      CHECK(st.state() == runtime::v1::SANDBOX_NOTREADY);
    }
    json paused = sandboxInspectJson();
    paused["State"]["Paused"] = true;
    paused["State"]["Status"] = "paused";
    runtime::v1::PodSandboxStatus st;
    REQUIRE(sandboxStatusFromInspect(paused, &st).isOk());
    CHECK(st.state() == runtime::v1::SANDBOX_READY);
  }
  SECTION("host namespaces -> NODE, one by one") {
    struct Case {
      const char* key;
      runtime::v1::NamespaceMode network, pid, ipc;
    };
    const std::vector<Case> cases = {
        {"NetworkMode", runtime::v1::NODE, runtime::v1::CONTAINER, runtime::v1::POD},
        {"PidMode", runtime::v1::POD, runtime::v1::NODE, runtime::v1::POD},
        {"IpcMode", runtime::v1::POD, runtime::v1::CONTAINER, runtime::v1::NODE},
    };
    for (const auto& c : cases) {
      CAPTURE(c.key);
      json inspect = sandboxInspectJson();
      inspect["HostConfig"][c.key] = "host";
      runtime::v1::PodSandboxStatus st;
      REQUIRE(sandboxStatusFromInspect(inspect, &st).isOk());
      const auto& ns = st.linux().namespaces().options();
      CHECK(ns.network() == c.network);
      CHECK(ns.pid() == c.pid);
      CHECK(ns.ipc() == c.ipc);
    }
  }
  SECTION("runtime handler: what RunPodSandbox was asked for, never what Docker resolved") {
    // Without the label (the default handler, or a pod cri-dockerd made): "", whatever runtime
    // Docker recorded.
    for (const json& runtime : {json("runc"), json("nvidia"), json(""), json(nullptr), json(17)}) {
      CAPTURE(runtime.dump());
      json inspect = sandboxInspectJson();
      inspect["HostConfig"]["Runtime"] = runtime;
      runtime::v1::PodSandboxStatus st;
      REQUIRE(sandboxStatusFromInspect(inspect, &st).isOk());
      CHECK(st.runtime_handler().empty());
    }
    for (const char* asked : {"runc", "nvidia"}) {
      CAPTURE(asked);
      json inspect = sandboxInspectJson();
      inspect["HostConfig"]["Runtime"] = "testbed";
      inspect["Config"]["Labels"]["io.dockershim.runtime-handler"] = asked;
      runtime::v1::PodSandboxStatus st;
      REQUIRE(sandboxStatusFromInspect(inspect, &st).isOk());
      CHECK(st.runtime_handler() == asked);
      CHECK(st.labels().count("io.dockershim.runtime-handler") == 0);
    }
  }
  SECTION("malformed") {
    runtime::v1::PodSandboxStatus st;
    CHECK(sandboxStatusFromInspect(json(), &st).code() == Code::kInvalidArgument);
    json inspect = sandboxInspectJson();
    inspect["Name"] = "/some_other_container";
    CHECK(sandboxStatusFromInspect(inspect, &st).code() == Code::kInvalidArgument);
    json sparse = {{"Id", kSandboxId},
                   {"Name", "/k8s_POD_p_ns_uid_0"},
                   {"HostConfig", "host"},
                   {"State", nullptr},
                   {"Config", {{"Labels", nullptr}}}};
    REQUIRE(sandboxStatusFromInspect(sparse, &st).isOk());
    CHECK(st.state() == runtime::v1::SANDBOX_NOTREADY);
    CHECK(st.linux().namespaces().options().network() == runtime::v1::POD);
    CHECK(st.labels().empty());
  }
}

}  // namespace
}  // namespace dockershim::translate
