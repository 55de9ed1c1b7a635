// dockershim under cri-dockerd's command lines: every flag of cri-dockerd 0.3.x and 0.4.x
// (identical sets; pflag semantics) in each form Go's flag packages accept.
#include "app/options.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

namespace dockershim::app {
namespace {

struct Parsed {
  ParseOutcome outcome;
  DaemonOptions options;
};

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "dockershim");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  Parsed p;
  p.outcome = parseOptions(static_cast<int>(argv.size()), argv.data(), p.options, "test");
  return p;
}

// "--f v", "--f=v", and Go's standard flag package's "-f v" and "-f=v".
std::vector<std::vector<std::string>> forms(const std::string& flag, const std::string& value) {
  return {{"--" + flag, value},
          {"--" + flag + "=" + value},
          {"-" + flag, value},
          {"-" + flag + "=" + value}};
}

TEST_CASE("every cri-dockerd value flag, in every form, starts dockershim", "[options]") {
  struct Case {
    std::string flag, value;
    std::function<bool(const DaemonOptions&)> took;
  };
  const std::vector<Case> cases = {
      {"cni-bin-dir", "/opt/a,/opt/b",
       [](auto& o) {
         return o.cniBinDirs == std::vector<std::string>{"/opt/a", "/opt/b", "/usr/lib/cni"};
       }},
      {"cni-cache-dir", "/var/cache/cni",
       [](auto& o) { return o.cniCacheDir == "/var/cache/cni"; }},
      {"cni-conf-dir", "/etc/cni/x", [](auto& o) { return o.cniConfDir == "/etc/cni/x"; }},
      {"container-runtime-endpoint", "unix:///run/cri-dockerd.sock",
       [](auto& o) { return o.criEndpoint == "unix:///run/cri-dockerd.sock"; }},
      {"container-runtime-endpoint", "fd://", [](auto& o) { return o.criEndpoint == "fd://"; }},
      {"cri-dockerd-root-directory", "/var/lib/cri-dockerd",
       [](auto& o) { return o.rootDirectory == "/var/lib/cri-dockerd"; }},
      {"docker-endpoint", "unix:///run/d.sock",
       [](auto& o) { return o.dockerEndpoint == "unix:///run/d.sock"; }},
      {"hairpin-mode", "hairpin-veth", [](auto& o) { return o.notActedOn.size() == 1; }},
      {"hairpin-mode", "none", [](auto& o) { return o.notActedOn.empty(); }},
      {"image-pull-progress-deadline", "1m30s",
       [](auto& o) { return o.imagePullProgressDeadline == std::chrono::seconds(90); }},
      {"log-level", "debug", [](auto& o) { return o.logLevel == "debug"; }},
      {"log-level", "fatal", [](auto& o) { return o.logLevel == "critical"; }},
      {"log-level", "panic", [](auto& o) { return o.logLevel == "critical"; }},
      {"log-level", "Warning", [](auto& o) { return o.logLevel == "warn"; }},
      {"network-plugin", "cni", [](auto& o) { return o.networkPlugin == "cni"; }},
      {"network-plugin", "no-op", [](auto& o) { return o.networkPlugin == "none"; }},
      {"network-plugin-mtu", "1460", [](auto& o) { return o.notActedOn.size() == 1; }},
      {"pod-cidr", "10.244.0.0/24", [](auto& o) { return o.podCidr == "10.244.0.0/24"; }},
      {"pod-infra-container-image", "registry.k8s.io/pause:3.10",
       [](auto& o) { return o.podInfraImage == "registry.k8s.io/pause:3.10"; }},
      {"runtime-cgroups", "/system.slice/docker.service",
       [](auto& o) { return o.notActedOn.size() == 1; }},
      {"runtime-request-timeout", "1m30s",
       [](auto& o) { return o.runtimeRequestTimeout == std::chrono::seconds(90); }},
      // compat: 0 is cri-dockerd's shown default, read as its built-in timeout.
      {"runtime-request-timeout", "0s",
       [](auto& o) { return o.runtimeRequestTimeout == std::chrono::minutes(2); }},
      {"streaming-bind-addr", "127.0.0.1:10010",
       [](auto& o) { return o.streamingBindAddress == "127.0.0.1:10010"; }},
      // An address without a port: a free port there, as cri-dockerd does.
      {"streaming-bind-addr", "127.0.0.1",
       [](auto& o) { return o.streamingBindAddress == "127.0.0.1:0"; }},
      {"streaming-bind-addr", "::1", [](auto& o) { return o.streamingBindAddress == "[::1]:0"; }},
  };
  for (const auto& c : cases) {
    for (const auto& args : forms(c.flag, c.value)) {
      CAPTURE(args);
      auto p = parse(args);
      CHECK_FALSE(p.outcome.exit);
      CHECK(c.took(p.options));
      CHECK(p.options.ignoredFlags.empty());
    }
  }
}

TEST_CASE("cri-dockerd's empty values are its defaults", "[options]") {
  ::unsetenv("DOCKER_HOST");
  struct Case {
    std::string flag;
    std::function<bool(const DaemonOptions&)> took;
  };
  const std::vector<Case> cases = {
      // The form cri-dockerd's own CI uses for "no plugin": Docker's bridge.
      {"network-plugin", [](auto& o) { return o.networkPlugin == "none"; }},
      {"log-level", [](auto& o) { return o.logLevel == "info"; }},
      {"pod-cidr", [](auto& o) { return o.podCidr.empty(); }},
      {"streaming-bind-addr", [](auto& o) { return o.streamingBindAddress == "127.0.0.1:0"; }},
      {"docker-endpoint",
       [](auto& o) { return o.dockerEndpoint == "unix:///var/run/docker.sock"; }},
  };
  for (const auto& c : cases) {
    for (std::vector<std::string> args :
         {std::vector<std::string>{"--" + c.flag + "="}, {"--" + c.flag, ""}}) {
      CAPTURE(args);
      // A flag after the empty one must not be taken as its value.
      args.push_back("--cni-conf-dir=/x");
      auto p = parse(args);
      CHECK_FALSE(p.outcome.exit);
      CHECK(c.took(p.options));
      CHECK(p.options.cniConfDir == "/x");
    }
  }
}

TEST_CASE("cri-dockerd's booleans: bare and =true/false", "[options]") {
  auto bare = parse({"--ipv6-dual-stack", "--log-level", "info"});
  CHECK_FALSE(bare.outcome.exit);
  CHECK(bare.options.notActedOn.size() == 1);
  CHECK(bare.options.logLevel == "info");
  for (std::string v : {"true", "1", "True"}) {
    auto p = parse({"--ipv6-dual-stack=" + v});
    CHECK_FALSE(p.outcome.exit);
    CHECK(p.options.notActedOn.size() == 1);
  }
  for (std::string v : {"false", "0"}) {
    auto p = parse({"--ipv6-dual-stack=" + v});
    CHECK_FALSE(p.outcome.exit);
    CHECK(p.options.notActedOn.empty());
  }
  auto cache = parse({"--state-cache=false"});
  CHECK_FALSE(cache.options.stateCache);
  CHECK_FALSE(parse({}).options.cniCheckOnStatus);
  CHECK(parse({"--cni-check-on-status"}).options.cniCheckOnStatus);
  CHECK(parse({"--cni-check-on-status=true"}).options.cniCheckOnStatus);
  CHECK_FALSE(parse({"--cni-check-on-status=false"}).options.cniCheckOnStatus);
}

TEST_CASE("what cri-dockerd refuses is refused, what ends the process ends it", "[options]") {
  for (std::vector<std::string> args : {
           std::vector<std::string>{"--hairpin-mode=sideways"},
           {"--log-level=loud"},
           {"--network-plugin=kubenet"},
           {"--runtime-request-timeout=90"},  // Go durations need a unit
           {"--network-plugin-mtu=big"},
       }) {
    CAPTURE(args);
    auto p = parse(args);
    CHECK(p.outcome.exit);
    CHECK(p.outcome.exitCode != 0);
  }
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--version"}, {"--buildinfo"}, {"--help"}, {"-h"}}) {
    CAPTURE(args);
    auto p = parse(args);
    CHECK(p.outcome.exit);
    CHECK(p.outcome.exitCode == 0);
  }
  // A flag no version knows is reported, not fatal (unit files of newer releases keep working).
  auto p = parse({"--some-future-flag=1"});
  CHECK_FALSE(p.outcome.exit);
  CHECK(p.options.ignoredFlags == std::vector<std::string>{"--some-future-flag=1"});
}

TEST_CASE("cri-dockerd's whole unit command line", "[options]") {
  auto p =
      parse({"--container-runtime-endpoint", "fd://", "--network-plugin=", "--log-level", "fatal",
             "--streaming-bind-addr", "127.0.0.1", "--pod-infra-container-image",
             "registry.k8s.io/pause:3.10", "--cri-dockerd-root-directory", "/var/lib/cri-dockerd"});
  CHECK_FALSE(p.outcome.exit);
  CHECK(p.options.criEndpoint == "fd://");
  CHECK(p.options.networkPlugin == "none");
  CHECK(p.options.logLevel == "critical");
  CHECK(p.options.streamingBindAddress == "127.0.0.1:0");
  CHECK(p.options.rootDirectory == "/var/lib/cri-dockerd");
}

}  // namespace
}  // namespace dockershim::app

namespace dockershim::app {
namespace {

TEST_CASE("--root-directory given or not decides whether cri-dockerd's state may be taken over",
          "[options]") {
  auto none = parse({});
  CHECK_FALSE(none.outcome.exit);
  CHECK_FALSE(none.options.rootDirectoryGiven);
  CHECK(none.options.rootDirectory == "/var/lib/dockershim");
  for (const auto& args : {std::vector<std::string>{"--root-directory", "/var/lib/dockershim"},
                           std::vector<std::string>{"--cri-dockerd-root-directory=/srv/x"}}) {
    auto given = parse(args);
    CHECK_FALSE(given.outcome.exit);
    CHECK(given.options.rootDirectoryGiven);
  }
}

}  // namespace
}  // namespace dockershim::app
