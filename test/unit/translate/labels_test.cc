#include "translate/labels.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

namespace dockershim::translate {
namespace {

ProtoMap protoMap(const std::map<std::string, std::string>& in) {
  ProtoMap out;
  for (const auto& [k, v] : in) out[k] = v;
  return out;
}

std::map<std::string, std::string> stdMap(const ProtoMap& in) { return {in.begin(), in.end()}; }

using StringMap = std::map<std::string, std::string>;

TEST_CASE("label keys are the ones dockershim and cri-dockerd use", "[labels]") {
  CHECK(std::string(kContainerTypeLabel) == "io.kubernetes.docker.type");
  CHECK(std::string(kContainerTypeSandbox) == "podsandbox");
  CHECK(std::string(kContainerTypeContainer) == "container");
  CHECK(std::string(kSandboxIdLabel) == "io.kubernetes.sandbox.id");
  CHECK(std::string(kContainerLogPathLabel) == "io.kubernetes.container.logpath");
  CHECK(std::string(kKubernetesContainerNameLabel) == "io.kubernetes.container.name");
  CHECK(std::string(kAnnotationPrefix) == "annotation.");
}

TEST_CASE("makeDockerLabels keeps labels and prefixes annotations", "[labels]") {
  const auto labels = protoMap({{"app", "web"}, {"io.kubernetes.pod.name", "web-0"}});
  const auto annotations =
      protoMap({{"kubernetes.io/config.seen", "2024-01-01T00:00:00Z"}, {"k", ""}});
  CHECK(makeDockerLabels(labels, annotations) ==
        StringMap{{"app", "web"},
                  {"io.kubernetes.pod.name", "web-0"},
                  {"annotation.kubernetes.io/config.seen", "2024-01-01T00:00:00Z"},
                  {"annotation.k", ""}});
  CHECK(makeDockerLabels({}, {}).empty());
}

TEST_CASE("makeDockerLabels lets an annotation win over a label spelled like it", "[labels]") {
  const auto labels = protoMap({{"annotation.a", "from-label"}});
  const auto annotations = protoMap({{"a", "from-annotation"}});
  CHECK(makeDockerLabels(labels, annotations) == StringMap{{"annotation.a", "from-annotation"}});
}

TEST_CASE("labels and annotations survive the round trip through Docker labels", "[labels]") {
  const StringMap labels = {{"foo.123.abc", "baz"}, {"bar.456.xyz", "qwe"}, {"empty", ""}};
  const StringMap annotations = {{"uio.ert", "dfs"}, {"jkl", "asd"}, {"a/b", "c=d"}};
  const auto docker = makeDockerLabels(protoMap(labels), protoMap(annotations));
  ProtoMap outLabels;
  ProtoMap outAnnotations;
  splitDockerLabels(nlohmann::json(docker), &outLabels, &outAnnotations);
  CHECK(stdMap(outLabels) == labels);
  CHECK(stdMap(outAnnotations) == annotations);
}

TEST_CASE("splitDockerLabels hides the shim's own labels", "[labels]") {
  SECTION("on a sandbox, the container-name label is hidden too") {
    const nlohmann::json docker = {
        {"io.kubernetes.docker.type", "podsandbox"},
        {"io.kubernetes.container.name", "POD"},
        {"io.kubernetes.pod.name", "web-0"},
        {"io.kubernetes.pod.namespace", "default"},
        {"annotation.kubernetes.io/config.source", "api"},
        {"app", "web"},
    };
    ProtoMap labels;
    ProtoMap annotations;
    splitDockerLabels(docker, &labels, &annotations);
    CHECK(stdMap(labels) == StringMap{{"io.kubernetes.pod.name", "web-0"},
                                      {"io.kubernetes.pod.namespace", "default"},
                                      {"app", "web"}});
    CHECK(stdMap(annotations) == StringMap{{"kubernetes.io/config.source", "api"}});
  }
  SECTION("on a container, the container-name label is kubelet's and stays") {
    const nlohmann::json docker = {
        {"io.kubernetes.docker.type", "container"},
        {"io.kubernetes.sandbox.id", "0123abcd"},
        {"io.kubernetes.container.logpath", "/var/log/pods/x/app/0.log"},
        {"io.kubernetes.container.name", "app"},
        {"annotation.io.kubernetes.container.restartCount", "0"},
    };
    ProtoMap labels;
    ProtoMap annotations;
    splitDockerLabels(docker, &labels, &annotations);
    CHECK(stdMap(labels) == StringMap{{"io.kubernetes.container.name", "app"}});
    CHECK(stdMap(annotations) == StringMap{{"io.kubernetes.container.restartCount", "0"}});
  }
  SECTION("without a type label, the container-name label stays") {
    const nlohmann::json docker = {{"io.kubernetes.container.name", "POD"}};
    ProtoMap labels;
    splitDockerLabels(docker, &labels, nullptr);
    CHECK(stdMap(labels) == StringMap{{"io.kubernetes.container.name", "POD"}});
  }
  SECTION("a type label that is not a string does not make a sandbox") {
    const nlohmann::json docker = {{"io.kubernetes.docker.type", 1},
                                   {"io.kubernetes.container.name", "POD"}};
    ProtoMap labels;
    splitDockerLabels(docker, &labels, nullptr);
    CHECK(stdMap(labels) == StringMap{{"io.kubernetes.container.name", "POD"}});
  }
}

TEST_CASE("splitDockerLabels skips values that are not strings", "[labels]") {
  const nlohmann::json docker = {
      {"a", 1},
      {"b", nullptr},
      {"c", "x"},
      {"d", true},
      {"annotation.e", {1, 2}},
      {"annotation.f", "y"},
      {"g", {{"nested", "z"}}},
  };
  ProtoMap labels;
  ProtoMap annotations;
  splitDockerLabels(docker, &labels, &annotations);
  CHECK(stdMap(labels) == StringMap{{"c", "x"}});
  CHECK(stdMap(annotations) == StringMap{{"f", "y"}});
}

TEST_CASE("splitDockerLabels gives nothing for a Labels value that is not an object", "[labels]") {
  for (const nlohmann::json& docker : {nlohmann::json(nullptr), nlohmann::json("app=web"),
                                       nlohmann::json::array({"app"}), nlohmann::json(3)}) {
    CAPTURE(docker.dump());
    ProtoMap labels = protoMap({{"stale", "1"}});
    ProtoMap annotations = protoMap({{"stale", "2"}});
    splitDockerLabels(docker, &labels, &annotations);
    CHECK(labels.empty());
    CHECK(annotations.empty());
  }
}

TEST_CASE("splitDockerLabels replaces what the maps held and accepts null outputs", "[labels]") {
  const nlohmann::json docker = {{"app", "web"}, {"annotation.k", "v"}};
  ProtoMap labels = protoMap({{"stale", "1"}});
  ProtoMap annotations = protoMap({{"stale", "2"}});
  splitDockerLabels(docker, &labels, &annotations);
  CHECK(stdMap(labels) == StringMap{{"app", "web"}});
  CHECK(stdMap(annotations) == StringMap{{"k", "v"}});

  ProtoMap onlyAnnotations;
  splitDockerLabels(docker, nullptr, &onlyAnnotations);
  CHECK(stdMap(onlyAnnotations) == StringMap{{"k", "v"}});
  splitDockerLabels(docker, nullptr, nullptr);  // must not crash
}

}  // namespace
}  // namespace dockershim::translate
