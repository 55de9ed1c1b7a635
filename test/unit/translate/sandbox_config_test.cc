#include "translate/sandbox_config.h"

#include <catch2/catch.hpp>

namespace v1 = runtime::v1;
using dockershim::Code;
using dockershim::translate::makeSandboxCreateBody;
using dockershim::translate::SandboxCreateContext;

namespace {
v1::PodSandboxConfig pod() {
  v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name("web");
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("uid-1");
  auto* pm = c.add_port_mappings();
  pm->set_container_port(80);
  pm->set_host_port(8080);
  pm->set_host_ip("127.0.0.1");
  auto* udp = c.add_port_mappings();
  udp->set_protocol(v1::UDP);
  udp->set_container_port(53);
  udp->set_host_port(5353);
  auto* noHost = c.add_port_mappings();
  noHost->set_container_port(9090);
  return c;
}
SandboxCreateContext ctx(bool dockerBridge) {
  return {.image = "pause",
          .apiVersion = "1.41",
          .cgroupDriver = "cgroupfs",
          .dockerBridge = dockerBridge};
}
}  // namespace

TEST_CASE("sandbox network: CNI pods get Docker network none and no published ports",
          "[translate][sandbox]") {
  auto body = makeSandboxCreateBody(pod(), ctx(false));
  REQUIRE(body.isOk());
  CHECK((*body)["HostConfig"]["NetworkMode"] == "none");
  CHECK_FALSE((*body)["HostConfig"].contains("PortBindings"));
  CHECK_FALSE(body->contains("ExposedPorts"));
}

TEST_CASE("sandbox network: without CNI, Docker's bridge publishes the host ports",
          "[translate][sandbox]") {
  auto body = makeSandboxCreateBody(pod(), ctx(true));
  REQUIRE(body.isOk());
  const auto& host = (*body)["HostConfig"];
  CHECK(host["NetworkMode"] == "bridge");
  CHECK(host["PortBindings"] ==
        nlohmann::json::parse(R"({"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],
                                  "53/udp":[{"HostIp":"","HostPort":"5353"}]})"));
  CHECK((*body)["ExposedPorts"] == nlohmann::json::parse(R"({"80/tcp":{},"53/udp":{}})"));

  auto bad = pod();
  bad.mutable_port_mappings(0)->set_host_port(70000);
  auto refused = makeSandboxCreateBody(bad, ctx(true));
  CHECK(refused.status().code() == Code::kInvalidArgument);
}

TEST_CASE("sandbox network: host network ignores both", "[translate][sandbox]") {
  auto config = pod();
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      v1::NODE);
  for (bool bridge : {false, true}) {
    auto body = makeSandboxCreateBody(config, ctx(bridge));
    REQUIRE(body.isOk());
    CHECK((*body)["HostConfig"]["NetworkMode"] == "host");
    CHECK_FALSE((*body)["HostConfig"].contains("PortBindings"));
  }
}

TEST_CASE("cgroup parent for each Docker cgroup driver", "[sandbox_config]") {
  using dockershim::translate::dockerCgroupParent;
  struct Case {
    std::string parent, driver, want;
  };
  const std::vector<Case> cases = {
      // cgroupfs: kubelet's path as it is.
      {"/kubepods/burstable/pod1", "cgroupfs", "/kubepods/burstable/pod1"},
      // systemd, from a kubelet on the systemd driver: the slice itself.
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice", "systemd",
       "kubepods-burstable-pod1.slice"},
      // systemd, from a cgroupfs-style path: one slice level per element, '-' written '_'.
      {"/kubepods/burstable/pod-1", "systemd", "kubepods-burstable-pod_1.slice"},
      {"", "systemd", ""},
      {"/", "systemd", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.parent, c.driver);
    auto got = dockerCgroupParent(c.parent, c.driver);
    REQUIRE(got);
    CHECK(*got == c.want);
  }
  CHECK(dockerCgroupParent("/kubepods/../x", "systemd").status().code() == Code::kInvalidArgument);
}

TEST_CASE("eth0 sysctls on Docker's bridge go to the endpoint from API 1.46", "[sandbox_config]") {
  auto c = pod();
  (*c.mutable_linux()->mutable_sysctls())["net.ipv4.conf.eth0.route_localnet"] = "1";
  (*c.mutable_linux()->mutable_sysctls())["net.ipv4.ip_unprivileged_port_start"] = "0";
  SandboxCreateContext ctx;
  ctx.image = "pause";
  ctx.dockerBridge = true;
  ctx.apiVersion = "1.48";
  auto body = makeSandboxCreateBody(c, ctx);
  REQUIRE(body);
  CHECK((*body)["HostConfig"]["Sysctls"] ==
        nlohmann::json{{"net.ipv4.ip_unprivileged_port_start", "0"}});
  CHECK((*body)["NetworkingConfig"]["EndpointsConfig"]["bridge"]["DriverOpts"]
               ["com.docker.network.endpoint.sysctls"] == "net.ipv4.conf.IFNAME.route_localnet=1");
  // Before 1.46, and without Docker's bridge (CNI adds eth0 later), they stay where they were.
  for (auto [api, bridge] : {std::pair{"1.45", true}, std::pair{"1.48", false}}) {
    CAPTURE(api, bridge);
    ctx.apiVersion = api;
    ctx.dockerBridge = bridge;
    body = makeSandboxCreateBody(c, ctx);
    REQUIRE(body);
    CHECK((*body)["HostConfig"]["Sysctls"].size() == 2);
    CHECK_FALSE(body->contains("NetworkingConfig"));
  }
}
