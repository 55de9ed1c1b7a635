#include "translate/naming.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace dockershim::translate {
namespace {

runtime::v1::PodSandboxMetadata pod(const std::string& name, const std::string& ns,
                                    const std::string& uid, uint32_t attempt) {
  runtime::v1::PodSandboxMetadata m;
  m.set_name(name);
  m.set_namespace_(ns);
  m.set_uid(uid);
  m.set_attempt(attempt);
  return m;
}

runtime::v1::ContainerMetadata container(const std::string& name, uint32_t attempt) {
  runtime::v1::ContainerMetadata m;
  m.set_name(name);
  m.set_attempt(attempt);
  return m;
}

const std::string kUid = "81a3469e-99e1-11e6-89f2-42010af00002";

TEST_CASE("makeSandboxName writes k8s_POD_<pod>_<ns>_<uid>_<attempt>", "[naming]") {
  struct Case {
    runtime::v1::PodSandboxMetadata meta;
    std::string want;
  };
  const std::vector<Case> cases = {
      {pod("nginx", "default", kUid, 0), "k8s_POD_nginx_default_" + kUid + "_0"},
      {pod("pfpod", "e2e-tests-port-forwarding-dlxt2", kUid, 0),
       "k8s_POD_pfpod_e2e-tests-port-forwarding-dlxt2_" + kUid + "_0"},
      {pod("web-7c5ddbdf54-x2x9q", "kube-system", "u", 12),
       "k8s_POD_web-7c5ddbdf54-x2x9q_kube-system_u_12"},
      // Decimal, no padding, full uint32 range.
      {pod("a", "b", "c", 4294967295u), "k8s_POD_a_b_c_4294967295"},
      // Empty fields are joined as they are, like Go's strings.Join.
      {pod("", "", "", 1), "k8s_POD____1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.want);
    CHECK(makeSandboxName(c.meta) == c.want);
  }
}

TEST_CASE("makeContainerName uses the container's attempt, not the sandbox's", "[naming]") {
  CHECK(makeContainerName(pod("nginx", "default", kUid, 7), container("app", 3)) ==
        "k8s_app_nginx_default_" + kUid + "_3");
  CHECK(makeContainerName(pod("p", "ns", "uid", 0), container("sidecar", 0)) ==
        "k8s_sidecar_p_ns_uid_0");
  CHECK(makeContainerName(pod("p", "ns", "uid", 0), container("c", 4294967295u)) ==
        "k8s_c_p_ns_uid_4294967295");
}

TEST_CASE("parseKubeName reads back what make*Name writes", "[naming]") {
  struct Case {
    std::string dockerName;
    KubeName want;
  };
  const std::vector<Case> cases = {
      {makeSandboxName(pod("nginx", "default", kUid, 2)), {"POD", "nginx", "default", kUid, 2}},
      {"/" + makeSandboxName(pod("nginx", "default", kUid, 2)),
       {"POD", "nginx", "default", kUid, 2}},
      {"/" + makeContainerName(pod("p", "ns", "uid", 9), container("app", 1)),
       {"app", "p", "ns", "uid", 1}},
      {makeContainerName(pod("p", "ns", "uid", 0), container("c", 4294967295u)),
       {"c", "p", "ns", "uid", 4294967295u}},
      // compat: strconv.ParseUint accepts leading zeros.
      {"k8s_app_p_ns_uid_007", {"app", "p", "ns", "uid", 7}},
      // compat: empty fields are not checked, only counted.
      {"k8s_POD___uid_0", {"POD", "", "", "uid", 0}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.dockerName);
    auto parsed = parseKubeName(c.dockerName);
    REQUIRE(parsed.isOk());
    CHECK(parsed->container == c.want.container);
    CHECK(parsed->pod == c.want.pod);
    CHECK(parsed->podNamespace == c.want.podNamespace);
    CHECK(parsed->podUid == c.want.podUid);
    CHECK(parsed->attempt == c.want.attempt);
  }
}

TEST_CASE("parseKubeName tolerates the random 7th field", "[naming]") {
  for (const std::string name :
       {"/k8s_POD_nginx_default_uid_1_0a1b2c3d", "k8s_app_nginx_default_uid_1_deadbeef",
        // The suffix's content is not checked, as in cri-dockerd.
        "k8s_app_nginx_default_uid_1_", "k8s_app_nginx_default_uid_1_xyz"}) {
    CAPTURE(name);
    auto parsed = parseKubeName(name);
    REQUIRE(parsed.isOk());
    CHECK(parsed->pod == "nginx");
    CHECK(parsed->podNamespace == "default");
    CHECK(parsed->podUid == "uid");
    CHECK(parsed->attempt == 1);
  }
}

TEST_CASE("randomizeName appends _ and 8 lowercase hex digits", "[naming]") {
  const std::string base = makeSandboxName(pod("nginx", "default", kUid, 0));
  const std::regex shape(std::string("^") + base + "_[0-9a-f]{8}$");
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const std::string name = randomizeName(base);
    CAPTURE(name);
    CHECK(std::regex_match(name, shape));
    seen.insert(name);
    auto parsed = parseKubeName(name);
    REQUIRE(parsed.isOk());
    CHECK(parsed->container == "POD");
    CHECK(parsed->pod == "nginx");
  }
  CHECK(seen.size() > 1);
  CHECK(randomizeName("").size() == 9);
  CHECK(randomizeName("")[0] == '_');
}

TEST_CASE("parseKubeName refuses names that are not this codec's", "[naming]") {
  const std::vector<std::string> bad = {
      "",
      "/",
      "nginx",
      "/k8s_POD_nginx_default_uid",              // 5 fields
      "k8s_POD_nginx_default_uid_0_abcd1234_x",  // 8 fields
      "k9s_POD_nginx_default_uid_0",
      "K8S_POD_nginx_default_uid_0",
      "//k8s_POD_nginx_default_uid_0",  // only one '/' is Docker's
      " k8s_POD_nginx_default_uid_0",
      "k8s_POD_nginx_default_uid_",  // empty attempt
      "k8s_POD_nginx_default_uid_-1",
      "k8s_POD_nginx_default_uid_+1",
      "k8s_POD_nginx_default_uid_1.0",
      "k8s_POD_nginx_default_uid_ 1",
      "k8s_POD_nginx_default_uid_1 ",
      "k8s_POD_nginx_default_uid_0x1",
      "k8s_POD_nginx_default_uid_1e3",
      "k8s_POD_nginx_default_uid_4294967296",  // uint32 overflow
      "k8s_POD_nginx_default_uid_99999999999999999999",
      "k8s_POD_nginx_default_uid_abc_12345678",
  };
  for (const auto& name : bad) {
    CAPTURE(name);
    auto parsed = parseKubeName(name);
    REQUIRE_FALSE(parsed.isOk());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace dockershim::translate
