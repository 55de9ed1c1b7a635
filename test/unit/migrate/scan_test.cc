// Findings from Docker's own records (dockershim migrate check without a live daemon).
#include "migrate/scan.h"

#include <catch2/catch.hpp>

namespace dockershim::migrate {
namespace {

using nlohmann::json;

TEST_CASE("a container's facts from Docker's inspect", "[migrate]") {
  json inspect = {
      {"Name", "/k8s_shipper_logs-0_monitoring_uid-9_1"},
      {"Path", "/bin/sh"},
      {"Args", {"-c", "docker logs -f x"}},
      {"Image", "sha256:" + std::string(64, 'b')},
      {"Config",
       {{"Image", "sha256:" + std::string(64, 'b')},
        {"Labels",
         {{"io.kubernetes.container.name", "shipper"},
          {"io.kubernetes.docker.type", "container"},
          {"app", "logs"},
          {"annotation.fluentbit.io/parser", "docker"}}}}},
      {"HostConfig", {{"Privileged", true}}},
      {"Mounts",
       {{{"Type", "bind"}, {"Source", "/var/run/docker.sock"}, {"Destination", "/d.sock"}},
        {{"Type", "volume"},
         {"Source", "/var/lib/docker/volumes/v/_data"},
         {"Destination", "/v"}}}}};
  json image = {{"RepoTags", {"shipper:dev"}}, {"RepoDigests", json::array()}};
  auto f = factsFromInspect(inspect, image);
  CHECK(f.pod == "logs-0");
  CHECK(f.podNamespace == "monitoring");
  CHECK(f.podUid == "uid-9");
  CHECK(f.container == "shipper");
  CHECK(f.image == "shipper:dev");  // named by its tag, not the id the kubelet passed
  CHECK(f.imageKnown);
  CHECK(f.imageRepoDigests.empty());
  REQUIRE(f.mounts.size() == 1);  // named volumes are Docker's own, not host paths
  CHECK(f.mounts[0].hostPath == "/var/run/docker.sock");
  CHECK(f.privileged);
  CHECK(f.command == std::vector<std::string>{"/bin/sh", "-c", "docker logs -f x"});
  CHECK(f.annotations.at("fluentbit.io/parser") == "docker");
  CHECK(f.labels.at("app") == "logs");

  std::vector<Kind> kinds;
  for (const auto& x : inspectContainer(f)) kinds.push_back(x.kind);
  CHECK(kinds == std::vector<Kind>{Kind::kDockerSocket, Kind::kPrivilegedDocker,
                                   Kind::kLocalOnlyImage, Kind::kDockerLogReader});
}

TEST_CASE("Binds when Docker reports no Mounts", "[migrate]") {
  json inspect = {{"HostConfig", {{"Binds", {"/etc/docker:/etc/docker:ro", "/x:/y"}}}}};
  auto f = factsFromInspect(inspect, json());
  REQUIRE(f.mounts.size() == 2);
  CHECK(f.mounts[0].hostPath == "/etc/docker");
  CHECK(f.mounts[0].containerPath == "/etc/docker");
  CHECK_FALSE(f.imageKnown);
}

TEST_CASE("the node's Docker paths", "[migrate]") {
  auto p = nodePaths("unix:///tmp/t/docker.sock", {{"DockerRootDir", "/tmp/t/root"}});
  CHECK(p.dockerSocket == "/tmp/t/docker.sock");
  CHECK(p.dockerRoot == "/tmp/t/root");
  auto d = nodePaths("tcp://x", json());
  CHECK(d.dockerSocket == "/run/docker.sock");
  CHECK(d.dockerRoot == "/var/lib/docker");
}

}  // namespace
}  // namespace dockershim::migrate
