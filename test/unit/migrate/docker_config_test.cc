// Docker's settings translated for containerd and the kubelet: daemon.json files of many shapes.
#include "migrate/docker_config.h"

#include <catch2/catch.hpp>

namespace dockershim::migrate {
namespace {

using nlohmann::json;

ContainerdPlan translate(const std::string& daemonJson, const json& info = json()) {
  auto plan = translateDockerConfig(daemonJson, info, ContainerdTarget{});
  REQUIRE(plan);
  return *plan;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const Unsupported* unsupported(const ContainerdPlan& p, const std::string& setting) {
  for (const auto& u : p.unsupported) {
    if (u.setting == setting) return &u;
  }
  return nullptr;
}

TEST_CASE("no daemon.json and no engine: Docker's defaults", "[migrate]") {
  auto p = translate("");
  CHECK(p.cgroupDriver == "cgroupfs");
  CHECK(p.defaultRuntime == "runc");
  CHECK(p.runtimeHandlers == std::vector<std::string>{"runc"});
  CHECK(has(p.configToml, "version = 2\n"));
  CHECK(has(p.configToml, "[grpc]\n  address = \"/run/containerd/containerd.sock\""));
  CHECK(has(p.configToml,
            "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
            "      runtime_type = \"io.containerd.runc.v2\"\n"));
  CHECK(has(p.configToml, "SystemdCgroup = false"));
  CHECK(has(p.configToml, "config_path = \"/etc/containerd/certs.d\""));
  CHECK_FALSE(has(p.configToml, "restrict_oom_score_adj"));
  CHECK(p.hostsToml.empty());
  CHECK(p.unsupported.empty());
  CHECK(has(p.kubeletConfig, "containerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n"));
  CHECK(has(p.kubeletConfig, "cgroupDriver: cgroupfs\n"));
  CHECK_FALSE(has(p.kubeletConfig, "containerLogMaxSize"));
}

TEST_CASE("the cgroup driver from exec-opts, else from the engine", "[migrate]") {
  SECTION("systemd in daemon.json") {
    auto p = translate(R"({"exec-opts": ["native.cgroupdriver=systemd"]})");
    CHECK(p.cgroupDriver == "systemd");
    CHECK(has(p.configToml, "SystemdCgroup = true"));
    CHECK(has(p.kubeletConfig, "cgroupDriver: systemd\n"));
  }
  SECTION("systemd from the running engine (a dockerd flag)") {
    auto p = translate("{}", {{"CgroupDriver", "systemd"}});
    CHECK(p.cgroupDriver == "systemd");
  }
  SECTION("the file wins over an engine not restarted since, with a note") {
    auto p = translate(R"({"exec-opts": ["native.cgroupdriver=systemd"]})",
                       {{"CgroupDriver", "cgroupfs"}});
    CHECK(p.cgroupDriver == "systemd");
    bool noted = false;
    for (const auto& n : p.notes) noted = noted || has(n, "running engine uses cgroupfs");
    CHECK(noted);
  }
  SECTION("other exec-opts are listed") {
    auto p = translate(R"({"exec-opts": ["native.umask=normal"]})");
    REQUIRE(unsupported(p, "exec-opts"));
    CHECK(unsupported(p, "exec-opts")->value == "native.umask=normal");
  }
  SECTION("an engine without cgroups (rootless): cgroupfs, noted") {
    auto p = translate("{}", {{"CgroupDriver", "none"}});
    CHECK(p.cgroupDriver == "cgroupfs");
  }
  SECTION("fields of the wrong type in Docker's info are ignored, not thrown") {
    auto p = translate("{}", {{"CgroupDriver", 1},
                              {"DefaultRuntime", nullptr},
                              {"LoggingDriver", true},
                              {"Runtimes", "x"}});
    CHECK(p.cgroupDriver == "cgroupfs");
  }
  SECTION("an unknown driver is an error") {
    auto p = translateDockerConfig(R"({"exec-opts": ["native.cgroupdriver=weird"]})", json(), {});
    REQUIRE_FALSE(p);
    CHECK(p.status().code() == Code::kInvalidArgument);
    CHECK(has(p.status().message(), "weird"));
  }
}

TEST_CASE("runtimes become runtime handlers with the same names", "[migrate]") {
  json info = {{"Runtimes",
                {{"runc", {{"path", "runc"}}},
                 {"io.containerd.runc.v2", {{"path", "runc"}}},
                 {"kata", {{"path", "/usr/bin/kata-runtime"}}}}},
               {"DefaultRuntime", "runc"}};
  auto p = translate(R"({
    "runtimes": {
      "nvidia": {"path": "/usr/bin/nvidia-container-runtime", "runtimeArgs": ["--debug"]},
      "gvisor.v2": {"runtimeType": "io.containerd.runsc.v1", "options": {"TypeUrl": "x", "N": 2,
                    "Deep": {"a": 1}}}
    },
    "default-runtime": "nvidia",
    "exec-opts": ["native.cgroupdriver=systemd"]
  })",
                     info);
  CHECK(p.runtimeHandlers == std::vector<std::string>{"gvisor.v2", "kata", "nvidia", "runc"});
  CHECK(p.defaultRuntime == "nvidia");
  CHECK(has(p.configToml, "default_runtime_name = \"nvidia\""));
  CHECK(has(p.configToml,
            "containerd.runtimes.nvidia]\n      runtime_type = "
            "\"io.containerd.runc.v2\"\n"));
  CHECK(has(p.configToml,
            "BinaryName = \"/usr/bin/nvidia-container-runtime\"\n"
            "        SystemdCgroup = true"));
  CHECK(has(p.configToml, "BinaryName = \"/usr/bin/kata-runtime\""));
  // A name that is not a bare TOML key is quoted.
  CHECK(has(p.configToml,
            "containerd.runtimes.\"gvisor.v2\"]\n      runtime_type = "
            "\"io.containerd.runsc.v1\""));
  CHECK(has(p.configToml, "        N = 2\n"));
  CHECK(has(p.configToml, "        TypeUrl = \"x\"\n"));
  CHECK_FALSE(has(p.configToml, "io.containerd.runc.v2]"));
  REQUIRE(unsupported(p, "runtimes.nvidia.runtimeArgs"));
  CHECK(unsupported(p, "runtimes.nvidia.runtimeArgs")->value == "--debug");
  CHECK(unsupported(p, "runtimes.gvisor.v2.options.Deep"));

  SECTION("runc's shim named by type still follows the cgroup driver") {
    auto crun = translate(R"({"exec-opts": ["native.cgroupdriver=systemd"], "runtimes": {"crun":
      {"runtimeType": "io.containerd.runc.v2", "options": {"BinaryName": "/usr/bin/crun"}}}})");
    CHECK(has(crun.configToml,
              "containerd.runtimes.crun]\n      runtime_type = "
              "\"io.containerd.runc.v2\"\n      [plugins.\"io.containerd.grpc.v1."
              "cri\".containerd.runtimes.crun.options]\n        SystemdCgroup = "
              "true\n        BinaryName = \"/usr/bin/crun\"\n"));
  }
  SECTION("a default runtime that does not exist is an error") {
    auto bad = translateDockerConfig(R"({"default-runtime": "nope"})", json(), {});
    REQUIRE_FALSE(bad);
    CHECK(has(bad.status().message(), "default-runtime \"nope\""));
  }
}

TEST_CASE("registry mirrors and insecure registries become hosts.toml files", "[migrate]") {
  auto p = translate(
      R"({
    "registry-mirrors": ["https://mirror.example/", "http://127.0.0.1:5000"],
    "insecure-registries": ["registry.internal:5000", "10.0.0.0/8", "mirror.example"]
  })",
      {{"RegistryConfig",
        {{"Mirrors", {"https://mirror.example/"}},
         {"InsecureRegistryCIDRs", {"127.0.0.0/8", "10.0.0.0/8"}},
         {"IndexConfigs",
          {{"docker.io", {{"Secure", true}}}, {"flag.example:443", {{"Secure", false}}}}}}}});
  REQUIRE(p.hostsToml.count("docker.io") == 1);
  CHECK(p.hostsToml["docker.io"] ==
        "# Docker Hub through the mirrors Docker used (registry-mirrors), in order.\n"
        "server = \"https://registry-1.docker.io\"\n"
        "\n[host.\"https://mirror.example\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
        "  skip_verify = true\n"
        "\n[host.\"http://mirror.example\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
        "\n[host.\"http://127.0.0.1:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
  REQUIRE(p.hostsToml.count("registry.internal:5000") == 1);
  const std::string& h = p.hostsToml["registry.internal:5000"];
  CHECK(has(h, "server = \"https://registry.internal:5000\""));
  CHECK(has(h,
            "[host.\"https://registry.internal:5000\"]\n  capabilities = [\"pull\", "
            "\"resolve\", \"push\"]\n  skip_verify = true\n"));
  CHECK(has(h, "[host.\"http://registry.internal:5000\"]"));
  CHECK(h.find("https://registry.internal") < h.find("[host.\"http://registry.internal"));
  // A registry made insecure by a dockerd flag shows in info's IndexConfigs.
  CHECK(p.hostsToml.count("flag.example:443") == 1);
  // Networks cannot be named in certs.d; Docker's loopback default is not reported.
  REQUIRE(unsupported(p, "insecure-registries"));
  CHECK(unsupported(p, "insecure-registries")->value == "10.0.0.0/8");
  size_t cidrs = 0;
  for (const auto& u : p.unsupported) cidrs += u.setting == "insecure-registries" ? 1 : 0;
  CHECK(cidrs == 1);  // in daemon.json and in info: listed once
}

TEST_CASE("log options become the kubelet's log rotation", "[migrate]") {
  SECTION("json-file with max-size and max-file") {
    auto p = translate(R"({"log-driver": "json-file",
                           "log-opts": {"max-size": "10m", "max-file": "3", "labels": "a"}})");
    CHECK(has(p.kubeletConfig, "containerLogMaxSize: 10Mi\ncontainerLogMaxFiles: 3\n"));
    CHECK(unsupported(p, "log-opts.labels"));
  }
  SECTION("max-file 1 becomes the kubelet's minimum of 2") {
    auto p = translate(R"({"log-opts": {"max-file": "1"}})");
    CHECK(has(p.kubeletConfig, "containerLogMaxFiles: 2\n"));
  }
  SECTION("the local driver's own defaults") {
    auto p = translate(R"({"log-driver": "local"})");
    CHECK(has(p.kubeletConfig, "containerLogMaxSize: 20Mi\ncontainerLogMaxFiles: 5\n"));
  }
  SECTION("other drivers have no equivalent") {
    auto p = translate(R"({"log-driver": "journald"})");
    REQUIRE(unsupported(p, "log-driver"));
    CHECK(unsupported(p, "log-driver")->value == "journald");
    CHECK_FALSE(has(p.kubeletConfig, "containerLogMax"));
  }
  SECTION("the engine's driver when the file names none") {
    auto p = translate("{}", {{"LoggingDriver", "fluentd"}});
    CHECK(unsupported(p, "log-driver"));
  }
  SECTION("a size that is not one") {
    auto p = translateDockerConfig(R"({"log-opts": {"max-size": "ten"}})", json(), {});
    REQUIRE_FALSE(p);
    CHECK(has(p.status().message(), "max-size"));
  }
}

TEST_CASE("Docker's sizes as Kubernetes quantities", "[migrate]") {
  CHECK(*dockerSizeToQuantity("10m") == "10Mi");
  CHECK(*dockerSizeToQuantity("10M") == "10Mi");
  CHECK(*dockerSizeToQuantity("512k") == "512Ki");
  CHECK(*dockerSizeToQuantity("1g") == "1Gi");
  CHECK(*dockerSizeToQuantity("2 GiB") == "2Gi");
  CHECK(*dockerSizeToQuantity("100") == "100");
  CHECK(*dockerSizeToQuantity("100b") == "100");
  CHECK(*dockerSizeToQuantity("1.5g") == "1.5Gi");
  CHECK_FALSE(dockerSizeToQuantity("1.g"));
  CHECK_FALSE(dockerSizeToQuantity(".5g"));
  CHECK_FALSE(dockerSizeToQuantity("1.2.3m"));
  CHECK_FALSE(dockerSizeToQuantity(""));
  CHECK_FALSE(dockerSizeToQuantity("m"));
  CHECK_FALSE(dockerSizeToQuantity("10x"));
  CHECK_FALSE(dockerSizeToQuantity("-1m"));
}

TEST_CASE("settings with no equivalent are listed with what to do", "[migrate]") {
  auto p = translate(R"({"live-restore": true, "default-ulimits": {"nofile": {"Name": "nofile",
    "Hard": 64000, "Soft": 64000}}, "data-root": "/data/docker", "userland-proxy": false,
    "bip": "172.26.0.1/16", "something-new": 1})");
  for (const char* key :
       {"live-restore", "default-ulimits", "data-root", "userland-proxy", "bip", "something-new"}) {
    INFO(key);
    REQUIRE(unsupported(p, key));
    CHECK_FALSE(unsupported(p, key)->why.empty());
  }
  CHECK(unsupported(p, "live-restore")->value == "true");
  CHECK(unsupported(p, "data-root")->value == "/data/docker");
  CHECK(has(unsupported(p, "something-new")->why, "check it by hand"));
}

TEST_CASE("settings with a direct equivalent", "[migrate]") {
  auto p = translate(R"({"debug": true, "max-concurrent-downloads": 6, "selinux-enabled": true})");
  CHECK(has(p.configToml, "[debug]\n  level = \"debug\""));
  CHECK(has(p.configToml, "max_concurrent_downloads = 6"));
  CHECK(has(p.configToml, "enable_selinux = true"));
  CHECK(p.unsupported.empty());
  auto w = translate(R"({"log-level": "warning"})");
  CHECK(has(w.configToml, "level = \"warn\""));
}

TEST_CASE("the target's paths, sandbox image and oom clamp", "[migrate]") {
  ContainerdTarget t;
  t.root = "/tmp/x/root";
  t.state = "/tmp/x/state";
  t.address = "/tmp/x/c.sock";
  t.certsDir = "/tmp/x/certs.d";
  t.cniBinDir = "/usr/lib/cni";
  t.cniConfDir = "/tmp/x/net.d";
  t.sandboxImage = "dockershim.invalid/pause:1.0";
  t.restrictOomScoreAdj = true;
  auto p = translateDockerConfig("", json(), t);
  REQUIRE(p);
  for (const char* part :
       {"root = \"/tmp/x/root\"", "state = \"/tmp/x/state\"", "address = \"/tmp/x/c.sock\"",
        "address = \"/tmp/x/c.sock.ttrpc\"", "config_path = \"/tmp/x/certs.d\"",
        "bin_dir = \"/usr/lib/cni\"", "conf_dir = \"/tmp/x/net.d\"",
        "sandbox_image = \"dockershim.invalid/pause:1.0\"", "restrict_oom_score_adj = true"}) {
    INFO(part);
    CHECK(has(p->configToml, part));
  }
  CHECK(has(p->kubeletConfig, "containerRuntimeEndpoint: unix:///tmp/x/c.sock\n"));
}

TEST_CASE("invalid daemon.json files get a clear error", "[migrate]") {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"{", "daemon.json is not valid JSON (at byte 2)"},
      {"[]", "daemon.json must hold a JSON object"},
      {"\"x\"", "daemon.json must hold a JSON object"},
      {R"({"exec-opts": "native.cgroupdriver=systemd"})",
       "daemon.json: \"exec-opts\" must be a list of strings"},
      {R"({"registry-mirrors": [1]})",
       "daemon.json: \"registry-mirrors\" must be a list of strings"},
      {R"({"runtimes": []})", "daemon.json: \"runtimes\" must be an object of runtimes"},
      {R"({"runtimes": {"x": {"path": 1}}})", "daemon.json: \"runtimes.x.path\" must be a string"},
      {R"({"log-opts": {"max-size": 10}})", "daemon.json: \"log-opts.max-size\" must be a string"},
      {R"({"debug": "yes"})", "daemon.json: \"debug\" must be true or false"},
      {R"({"max-concurrent-downloads": "3"})",
       "daemon.json: \"max-concurrent-downloads\" must be a whole number"},
      {R"({"log-opts": {"max-file": "three"}})",
       "daemon.json: log-opts.max-file \"three\" is not a count"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto p = translateDockerConfig(c.text, json(), {});
    REQUIRE_FALSE(p);
    CHECK(p.status().code() == Code::kInvalidArgument);
    CHECK(p.status().message() == c.message);
  }
}

TEST_CASE("TOML strings are escaped", "[migrate]") {
  CHECK(tomlString("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
}

}  // namespace
}  // namespace dockershim::migrate
