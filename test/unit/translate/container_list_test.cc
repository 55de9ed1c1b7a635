#include "translate/container_list.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
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

constexpr int64_t kSec = 1000000000;
constexpr int64_t kCreatedSec = 1795859380;  // 2026-11-28T09:49:40Z, in Unix seconds

// Shaped like one entry of Docker's GET /containers/json?all=1.
json summaryJson() {
  return json::parse(R"({
    "Id": ")" + kContainerId +
                     R"(",
    "Names": ["/k8s_app_web-0_default_5f0c7f7e-3f5b-4b0e-9d38-6b1f0e0c2a11_2"],
    "Image": "busybox:1.36",
    "ImageID": ")" + kImageId +
                     R"(",
    "Command": "sh -c 'sleep 3600'",
    "Created": 1795859380,
    "Ports": [],
    "Labels": {
      "io.kubernetes.docker.type": "container",
      "io.kubernetes.sandbox.id": ")" +
                     kSandboxId + R"(",
      "io.kubernetes.container.logpath": "/var/log/pods/default_web-0_5f0c/app/2.log",
      "io.kubernetes.container.name": "app",
      "annotation.io.kubernetes.container.hash": "9f1c2a"
    },
    "State": "running",
    "Status": "Up 2 minutes",
    "HostConfig": {"NetworkMode": "container:)" +
                     kSandboxId + R"("},
    "NetworkSettings": {"Networks": {}},
    "Mounts": []
  })");
}

json sandboxSummaryJson() {
  return json::parse(R"({
    "Id": ")" + kSandboxId +
                     R"(",
    "Names": ["/k8s_POD_web-0_default_5f0c7f7e-3f5b-4b0e-9d38-6b1f0e0c2a11_1"],
    "Image": "registry.k8s.io/pause:3.9",
    "ImageID": "sha256:e6f1816883972d4be47bd48879a08919b96afcd344132622e4d444987919323c",
    "Command": "/pause",
    "Created": 1795859300,
    "Labels": {
      "io.kubernetes.docker.type": "podsandbox",
      "io.kubernetes.container.name": "POD",
      "io.kubernetes.pod.namespace": "default",
      "app": "web",
      "annotation.kubernetes.io/config.seen": "2026-11-28T09:48:00Z"
    },
    "State": "running",
    "Status": "Up 3 minutes",
    "HostConfig": {"NetworkMode": "none"}
  })");
}

std::map<std::string, std::string> toMap(const google::protobuf::Map<std::string, std::string>& m) {
  return {m.begin(), m.end()};
}

std::vector<std::string> strings(const json& arr) {
  std::vector<std::string> out;
  for (const auto& v : arr) out.push_back(v.get<std::string>());
  return out;
}

// ---------------------------------------------------------------------------------------------

TEST_CASE("containerFromSummary translates a list entry", "[container_list]") {
  runtime::v1::Container c;
  REQUIRE(containerFromSummary(summaryJson(), &c).isOk());
  CHECK(c.id() == kContainerId);
  CHECK(c.pod_sandbox_id() == kSandboxId);
  CHECK(c.metadata().name() == "app");
  CHECK(c.metadata().attempt() == 2);
  CHECK(c.image().image() == "busybox:1.36");
  CHECK(c.image_ref() == kImageId);
  CHECK(c.image_id() == kImageId);
  CHECK(c.state() == runtime::v1::CONTAINER_RUNNING);
  CHECK(c.created_at() == kCreatedSec * kSec);
  CHECK(toMap(c.labels()) ==
        std::map<std::string, std::string>{{"io.kubernetes.container.name", "app"}});
  CHECK(toMap(c.annotations()) ==
        std::map<std::string, std::string>{{"io.kubernetes.container.hash", "9f1c2a"}});
}

TEST_CASE("containerFromSummary: states from State, else from Status", "[container_list]") {
  const std::vector<std::pair<std::string, runtime::v1::ContainerState>> byState = {
      {"created", runtime::v1::CONTAINER_CREATED},
      {"running", runtime::v1::CONTAINER_RUNNING},
      {"paused", runtime::v1::CONTAINER_RUNNING},
      {"restarting", runtime::v1::CONTAINER_RUNNING},
      {"exited", runtime::v1::CONTAINER_EXITED},
      {"dead", runtime::v1::CONTAINER_EXITED},
      {"removing", runtime::v1::CONTAINER_UNKNOWN},
      {"something-new", runtime::v1::CONTAINER_UNKNOWN},
  };
  for (const auto& [state, want] : byState) {
    CAPTURE(state);
    json summary = summaryJson();
    summary["State"] = state;
    summary["Status"] = "Up 2 minutes";  // State wins
    runtime::v1::Container c;
    REQUIRE(containerFromSummary(summary, &c).isOk());
    CHECK(c.state() == want);
  }
  const std::vector<std::pair<std::string, runtime::v1::ContainerState>> byStatus = {
      {"Up 2 minutes", runtime::v1::CONTAINER_RUNNING},
      {"Up 3 hours (Paused)", runtime::v1::CONTAINER_RUNNING},
      {"Exited (0) 5 seconds ago", runtime::v1::CONTAINER_EXITED},
      {"Created", runtime::v1::CONTAINER_CREATED},
      {"Restarting (1) 2 seconds ago", runtime::v1::CONTAINER_UNKNOWN},
      {"Removal In Progress", runtime::v1::CONTAINER_UNKNOWN},
      {"Dead", runtime::v1::CONTAINER_UNKNOWN},
      {"", runtime::v1::CONTAINER_UNKNOWN},
  };
  for (const auto& [status, want] : byStatus) {
    CAPTURE(status);
    json summary = summaryJson();
    summary.erase("State");
    summary["Status"] = status;
    runtime::v1::Container c;
    REQUIRE(containerFromSummary(summary, &c).isOk());
    CHECK(c.state() == want);
  }
}

TEST_CASE("containerFromSummary: created time and malformed entries", "[container_list]") {
  SECTION("Created") {
    const std::vector<std::pair<json, int64_t>> cases = {
        {json(1795859380), kCreatedSec * kSec},
        {json(1795859380.0), kCreatedSec * kSec},
        {json(0), 0},
        {json(-5), 0},
        {json(int64_t{1} << 62), 0},  // would overflow nanoseconds
        {json("1795859380"), 0},
        {json(nullptr), 0},
    };
    for (const auto& [created, want] : cases) {
      CAPTURE(created.dump());
      json summary = summaryJson();
      summary["Created"] = created;
      runtime::v1::Container c;
      REQUIRE(containerFromSummary(summary, &c).isOk());
      CHECK(c.created_at() == want);
    }
  }
  SECTION("names") {
    for (const json& names :
         {json(nullptr), json::array(), json("/k8s_app_web-0_default_uid_0"), json({42}),
          json({"/nginx"}), json({"/k8s_app_web-0_default_uid_x"})}) {
      CAPTURE(names.dump());
      json summary = summaryJson();
      summary["Names"] = names;
      runtime::v1::Container c;
      CHECK(containerFromSummary(summary, &c).code() == Code::kInvalidArgument);
    }
    json summary = summaryJson();
    summary["Names"] = {"/k8s_app_web-0_default_uid_3_1a2b3c4d", "/other/link"};
    runtime::v1::Container c;
    REQUIRE(containerFromSummary(summary, &c).isOk());
    CHECK(c.metadata().name() == "app");
    CHECK(c.metadata().attempt() == 3);
  }
  SECTION("not an object, no Id, mistyped fields") {
    runtime::v1::Container c;
    CHECK(containerFromSummary(json::array(), &c).code() == Code::kInvalidArgument);
    CHECK(containerFromSummary(json(), &c).code() == Code::kInvalidArgument);
    json noId = summaryJson();
    noId.erase("Id");
    CHECK(containerFromSummary(noId, &c).code() == Code::kInvalidArgument);

    json summary = summaryJson();
    summary["Labels"] = json::array({"a=b"});
    summary["Image"] = 5;
    summary["ImageID"] = nullptr;
    summary["State"] = 3;
    summary["Status"] = json::object();
    REQUIRE(containerFromSummary(summary, &c).isOk());
    CHECK(c.labels().empty());
    CHECK(c.pod_sandbox_id().empty());
    CHECK(c.image().image().empty());
    CHECK(c.image_ref().empty());
    CHECK(c.state() == runtime::v1::CONTAINER_UNKNOWN);
  }
}

TEST_CASE("sandboxFromSummary translates a pause container entry", "[container_list]") {
  runtime::v1::PodSandbox s;
  REQUIRE(sandboxFromSummary(sandboxSummaryJson(), &s).isOk());
  CHECK(s.id() == kSandboxId);
  CHECK(s.metadata().name() == "web-0");
  CHECK(s.metadata().namespace_() == "default");
  CHECK(s.metadata().uid() == "5f0c7f7e-3f5b-4b0e-9d38-6b1f0e0c2a11");
  CHECK(s.metadata().attempt() == 1);
  CHECK(s.state() == runtime::v1::SANDBOX_READY);
  CHECK(s.created_at() == int64_t{1795859300} * kSec);
  CHECK(toMap(s.labels()) == std::map<std::string, std::string>{
                                 {"app", "web"}, {"io.kubernetes.pod.namespace", "default"}});
  CHECK(toMap(s.annotations()) ==
        std::map<std::string, std::string>{{"kubernetes.io/config.seen", "2026-11-28T09:48:00Z"}});
  CHECK(s.runtime_handler().empty());

  const std::vector<std::pair<std::string, runtime::v1::PodSandboxState>> states = {
      {"running", runtime::v1::SANDBOX_READY},     {"paused", runtime::v1::SANDBOX_READY},
      {"restarting", runtime::v1::SANDBOX_READY},  {"created", runtime::v1::SANDBOX_NOTREADY},
      {"exited", runtime::v1::SANDBOX_NOTREADY},   {"dead", runtime::v1::SANDBOX_NOTREADY},
      {"removing", runtime::v1::SANDBOX_NOTREADY},
  };
  for (const auto& [state, want] : states) {
    CAPTURE(state);
    json summary = sandboxSummaryJson();
    summary["State"] = state;
    REQUIRE(sandboxFromSummary(summary, &s).isOk());
    CHECK(s.state() == want);
  }

  json bad = sandboxSummaryJson();
  bad["Names"] = {"/registry"};
  CHECK(sandboxFromSummary(bad, &s).code() == Code::kInvalidArgument);
  CHECK(sandboxFromSummary(json("x"), &s).code() == Code::kInvalidArgument);
}

TEST_CASE("containerListFilters pushes what Docker can filter", "[container_list]") {
  SECTION("no filter: containers only") {
    json f = containerListFilters(runtime::v1::ContainerFilter());
    CHECK(f == json{{"label", {"io.kubernetes.docker.type=container"}}});
  }
  SECTION("everything") {
    runtime::v1::ContainerFilter filter;
    filter.set_id("8dfafdbc");
    filter.mutable_state()->set_state(runtime::v1::CONTAINER_RUNNING);
    filter.set_pod_sandbox_id(kSandboxId);
    (*filter.mutable_label_selector())["io.kubernetes.pod.name"] = "web-0";
    (*filter.mutable_label_selector())["app"] = "web";
    (*filter.mutable_label_selector())["empty"] = "";
    json f = containerListFilters(filter);
    CHECK(strings(f["label"]) == std::vector<std::string>{
                                     "io.kubernetes.docker.type=container",
                                     "io.kubernetes.sandbox.id=" + kSandboxId,
                                     "app=web",
                                     "empty=",
                                     "io.kubernetes.pod.name=web-0",
                                 });
    CHECK(strings(f["id"]) == std::vector<std::string>{"8dfafdbc"});
    CHECK(strings(f["status"]) == std::vector<std::string>{"running", "paused", "restarting"});
  }
  SECTION("states") {
    const std::vector<std::pair<runtime::v1::ContainerState, std::vector<std::string>>> cases = {
        {runtime::v1::CONTAINER_CREATED, {"created"}},
        {runtime::v1::CONTAINER_RUNNING, {"running", "paused", "restarting"}},
        {runtime::v1::CONTAINER_EXITED, {"exited", "dead"}},
        {runtime::v1::CONTAINER_UNKNOWN, {"removing"}},
    };
    for (const auto& [state, want] : cases) {
      CAPTURE(state);
      runtime::v1::ContainerFilter filter;
      filter.mutable_state()->set_state(state);
      CHECK(strings(containerListFilters(filter)["status"]) == want);
    }
    runtime::v1::ContainerFilter filter;
    filter.mutable_state()->set_state(static_cast<runtime::v1::ContainerState>(42));
    CHECK_FALSE(containerListFilters(filter).contains("status"));
  }
  SECTION("a sandbox id prefix is left to matches()") {
    runtime::v1::ContainerFilter filter;
    filter.set_pod_sandbox_id(kSandboxId.substr(0, 12));
    CHECK(strings(containerListFilters(filter)["label"]) ==
          std::vector<std::string>{"io.kubernetes.docker.type=container"});
  }
  SECTION("a selector key Docker would split wrongly is left to matches()") {
    runtime::v1::ContainerFilter filter;
    (*filter.mutable_label_selector())["a=b"] = "c";
    CHECK(strings(containerListFilters(filter)["label"]) ==
          std::vector<std::string>{"io.kubernetes.docker.type=container"});
  }
}

TEST_CASE("sandboxListFilters pushes what Docker can filter", "[container_list]") {
  CHECK(sandboxListFilters(runtime::v1::PodSandboxFilter()) ==
        json{{"label", {"io.kubernetes.docker.type=podsandbox"}}});

  runtime::v1::PodSandboxFilter filter;
  filter.set_id(kSandboxId);
  (*filter.mutable_label_selector())["app"] = "web";
  filter.mutable_state()->set_state(runtime::v1::SANDBOX_READY);
  json f = sandboxListFilters(filter);
  CHECK(strings(f["label"]) ==
        std::vector<std::string>{"io.kubernetes.docker.type=podsandbox", "app=web"});
  CHECK(strings(f["id"]) == std::vector<std::string>{kSandboxId});
  CHECK(strings(f["status"]) == std::vector<std::string>{"running", "paused", "restarting"});

  filter.mutable_state()->set_state(runtime::v1::SANDBOX_NOTREADY);
  CHECK(strings(sandboxListFilters(filter)["status"]) ==
        std::vector<std::string>{"created", "exited", "dead", "removing"});
}

TEST_CASE("the status filter selects exactly the Docker states that map to the CRI state",
          "[container_list]") {
  // Every Docker state word: the translated state's filter must include it, and no other
  // CRI state's filter may.
  for (const char* word :
       {"created", "running", "paused", "restarting", "removing", "exited", "dead"}) {
    CAPTURE(word);
    json summary = summaryJson();
    summary["State"] = word;
    runtime::v1::Container c;
    REQUIRE(containerFromSummary(summary, &c).isOk());
    for (auto state : {runtime::v1::CONTAINER_CREATED, runtime::v1::CONTAINER_RUNNING,
                       runtime::v1::CONTAINER_EXITED, runtime::v1::CONTAINER_UNKNOWN}) {
      runtime::v1::ContainerFilter filter;
      filter.mutable_state()->set_state(state);
      auto words = strings(containerListFilters(filter)["status"]);
      bool pushed = std::find(words.begin(), words.end(), word) != words.end();
      CHECK(pushed == (state == c.state()));
    }

    json sandbox = sandboxSummaryJson();
    sandbox["State"] = word;
    runtime::v1::PodSandbox s;
    REQUIRE(sandboxFromSummary(sandbox, &s).isOk());
    for (auto state : {runtime::v1::SANDBOX_READY, runtime::v1::SANDBOX_NOTREADY}) {
      runtime::v1::PodSandboxFilter filter;
      filter.mutable_state()->set_state(state);
      auto words = strings(sandboxListFilters(filter)["status"]);
      bool pushed = std::find(words.begin(), words.end(), word) != words.end();
      CHECK(pushed == (state == s.state()));
    }
  }
}

TEST_CASE("matches applies exact CRI container filter semantics", "[container_list]") {
  runtime::v1::Container c;
  REQUIRE(containerFromSummary(summaryJson(), &c).isOk());
  (*c.mutable_labels())["app"] = "web";

  auto filter = [] { return runtime::v1::ContainerFilter(); };
  CHECK(matches(filter(), c));

  auto f = filter();
  f.set_id(kContainerId);
  CHECK(matches(f, c));
  f.set_id(kContainerId.substr(0, 12));
  CHECK(matches(f, c));
  f.set_id(kContainerId.substr(1, 12));  // a substring is not a prefix
  CHECK_FALSE(matches(f, c));
  f.set_id(kContainerId + "0");
  CHECK_FALSE(matches(f, c));

  f = filter();
  f.mutable_state()->set_state(runtime::v1::CONTAINER_RUNNING);
  CHECK(matches(f, c));
  f.mutable_state()->set_state(runtime::v1::CONTAINER_CREATED);  // the default value still filters
  CHECK_FALSE(matches(f, c));

  f = filter();
  f.set_pod_sandbox_id(kSandboxId);
  CHECK(matches(f, c));
  f.set_pod_sandbox_id(kSandboxId.substr(0, 8));
  CHECK(matches(f, c));
  f.set_pod_sandbox_id(kContainerId);
  CHECK_FALSE(matches(f, c));

  f = filter();
  (*f.mutable_label_selector())["app"] = "web";
  CHECK(matches(f, c));
  (*f.mutable_label_selector())["io.kubernetes.container.name"] = "app";
  CHECK(matches(f, c));
  (*f.mutable_label_selector())["app"] = "db";
  CHECK_FALSE(matches(f, c));

  // Internal labels are hidden, so selecting on them matches nothing, as in dockershim.
  f = filter();
  (*f.mutable_label_selector())["io.kubernetes.docker.type"] = "container";
  CHECK_FALSE(matches(f, c));
  // Annotations are not labels.
  f = filter();
  (*f.mutable_label_selector())["io.kubernetes.container.hash"] = "9f1c2a";
  CHECK_FALSE(matches(f, c));
  f = filter();
  (*f.mutable_label_selector())["missing"] = "";
  CHECK_FALSE(matches(f, c));
}

TEST_CASE("matches applies exact CRI sandbox filter semantics", "[container_list]") {
  runtime::v1::PodSandbox s;
  REQUIRE(sandboxFromSummary(sandboxSummaryJson(), &s).isOk());

  runtime::v1::PodSandboxFilter f;
  CHECK(matches(f, s));
  f.set_id(kSandboxId.substr(0, 5));
  CHECK(matches(f, s));
  f.set_id("b");
  CHECK_FALSE(matches(f, s));

  f = runtime::v1::PodSandboxFilter();
  f.mutable_state()->set_state(runtime::v1::SANDBOX_READY);
  CHECK(matches(f, s));
  f.mutable_state()->set_state(runtime::v1::SANDBOX_NOTREADY);
  CHECK_FALSE(matches(f, s));

  f = runtime::v1::PodSandboxFilter();
  (*f.mutable_label_selector())["app"] = "web";
  CHECK(matches(f, s));
  (*f.mutable_label_selector())["app"] = "Web";
  CHECK_FALSE(matches(f, s));
  f = runtime::v1::PodSandboxFilter();
  (*f.mutable_label_selector())["a=b"] = "c";
  CHECK_FALSE(matches(f, s));
  (*s.mutable_labels())["a=b"] = "c";
  CHECK(matches(f, s));
}

}  // namespace
}  // namespace dockershim::translate

namespace dockershim::translate {
namespace {

TEST_CASE("an inspect as its list entry: the same CRI container either way", "[translate]") {
  auto inspect = nlohmann::json::parse(R"({
    "Id": "abc123", "Name": "/k8s_app_web_default_uid1_2",
    "Created": "2026-11-28T09:49:54.279306719Z", "Image": "sha256:feed",
    "State": {"Status": "running", "Running": true, "Pid": 42},
    "Config": {"Image": "busybox:1.36", "Labels": {
      "io.kubernetes.docker.type": "container", "io.kubernetes.sandbox.id": "pod1",
      "tier": "web", "annotation.owner": "me"}}})");
  auto summary = summaryFromInspect(inspect);
  // What Docker's list would say of the same container.
  auto listed = nlohmann::json::parse(R"({
    "Id": "abc123", "Names": ["/k8s_app_web_default_uid1_2"], "Image": "busybox:1.36",
    "ImageID": "sha256:feed", "State": "running", "Status": "Up 2 minutes",
    "Created": 1795859394, "Labels": {
      "io.kubernetes.docker.type": "container", "io.kubernetes.sandbox.id": "pod1",
      "tier": "web", "annotation.owner": "me"}})");
  runtime::v1::Container fromInspect, fromList;
  REQUIRE(containerFromSummary(summary, &fromInspect).isOk());
  REQUIRE(containerFromSummary(listed, &fromList).isOk());
  CHECK(fromInspect.SerializeAsString() == fromList.SerializeAsString());
  CHECK(fromInspect.state() == runtime::v1::CONTAINER_RUNNING);
  CHECK(fromInspect.labels().at("tier") == "web");

  // Garbage in: an entry that translates to nothing, never an exception.
  auto empty = summaryFromInspect(nlohmann::json::parse(R"([1, 2])"));
  runtime::v1::Container none;
  CHECK_FALSE(containerFromSummary(empty, &none).isOk());
}

}  // namespace
}  // namespace dockershim::translate
