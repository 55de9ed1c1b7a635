// Which images `dockershim migrate images` carries into containerd, and under which names.
#include "migrate/images.h"

#include <catch2/catch.hpp>

namespace dockershim::migrate {
namespace {

using nlohmann::json;

json container(const std::string& type, const std::string& imageId, const std::string& ns,
               const std::string& pod) {
  return {{"Id", "c-" + pod},
          {"ImageID", imageId},
          {"Image", imageId},
          {"Names", {"/k8s_app_" + pod + "_" + ns + "_uid_0"}},
          {"Labels", {{"io.kubernetes.docker.type", type}}}};
}

TEST_CASE("the images pods use, once each, with every tag, and the sandbox image", "[migrate]") {
  std::map<std::string, json> images = {
      {"sha256:busy", {{"Id", "sha256:busy"}, {"RepoTags", {"busybox:latest", "busybox:1.36"}}}},
      {"pause:1", {{"Id", "sha256:pause"}, {"RepoTags", {"pause:1"}}}},
      {"sha256:dangling", {{"Id", "sha256:dangling"}, {"RepoTags", json::array()}}},
      {"sha256:none", {{"Id", "sha256:none"}, {"RepoTags", {"<none>:<none>"}}}},
  };
  json list = {container("container", "sha256:busy", "default", "a"),
               container("container", "sha256:busy", "default", "b"),
               container("podsandbox", "sha256:pause", "default", "a"),
               container("container", "sha256:dangling", "kube-system", "c"),
               container("container", "sha256:none", "kube-system", "d"),
               container("container", "sha256:gone", "default", "e")};
  auto plan = planCarry(
      list, [&](const std::string& ref) { return images.count(ref) ? images[ref] : json(); },
      "pause:1");
  REQUIRE(plan.images.size() == 2);
  CHECK(plan.images[0].id == "sha256:pause");
  CHECK(plan.images[0].names == std::vector<std::string>{"pause:1"});
  CHECK(plan.images[0].usedBy == std::vector<std::string>{"(sandbox)"});
  CHECK(plan.images[1].names == std::vector<std::string>{"busybox:latest", "busybox:1.36"});
  CHECK(plan.images[1].usedBy == std::vector<std::string>{"default/a", "default/b"});
  REQUIRE(plan.skipped.size() == 3);
  CHECK(plan.skipped[0].find("kube-system/c") != std::string::npos);
  CHECK(plan.skipped[0].find("no tag") != std::string::npos);
  CHECK(plan.skipped[2].find("Docker no longer has it") != std::string::npos);
}

TEST_CASE("pods named by the kubelet's labels when they are there", "[migrate]") {
  json c = container("container", "sha256:busy", "x", "y");
  c["Labels"]["io.kubernetes.pod.namespace"] = "prod";
  c["Labels"]["io.kubernetes.pod.name"] = "web-0";
  auto plan = planCarry(
      json::array({c}),
      [](const std::string&) {
        return json{{"Id", "sha256:busy"}, {"RepoTags", {"b:1"}}};
      },
      "");
  REQUIRE(plan.images.size() == 1);
  CHECK(plan.images[0].usedBy == std::vector<std::string>{"prod/web-0"});
}

}  // namespace
}  // namespace dockershim::migrate
