#include "network/pod_network.h"

#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/netns.h"
#include "unit/temp_dir.h"

namespace dockershim::network {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

const char* kAddResult =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/proc/self/ns/net"}],)"
    R"("ips":[{"address":"10.1.0.5/24","interface":0},{"address":"fd00::5/64","interface":0}]})";
const std::vector<std::string> kPodIps = {"10.1.0.5", "fd00::5"};

// Stands in for the plugin binaries: records every call, answers ADD with kAddResult and DEL
// with nothing unless told otherwise for a plugin type.
struct FakeExec {
  struct Call {
    std::string type, command, stdinText;
    std::vector<std::string> env;
  };
  std::mutex mu;
  std::vector<Call> calls;
  std::map<std::string, ExecOutput> addOutput, delOutput;  // by plugin type

  CniRunner::Exec exec() {
    return [this](const std::string& binary, const std::vector<std::string>& env,
                  const std::string& stdinText, Clock::time_point) -> Result<ExecOutput> {
      std::lock_guard lock(mu);
      Call call{fs::path(binary).filename().string(), "", stdinText, env};
      for (const auto& e : env) {
        if (e.rfind("CNI_COMMAND=", 0) == 0) call.command = e.substr(12);
      }
      calls.push_back(call);
      auto& overrides = call.command == "ADD" ? addOutput : delOutput;
      if (auto it = overrides.find(call.type); it != overrides.end()) return it->second;
      return ExecOutput{0, call.command == "ADD" ? kAddResult : "", ""};
    };
  }
  // The plugin types that got `command`, in call order.
  std::vector<std::string> typesOf(const std::string& command) {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& c : calls) {
      if (c.command == command) out.push_back(c.type);
    }
    return out;
  }
  std::optional<Call> last(const std::string& command, const std::string& type) {
    std::lock_guard lock(mu);
    for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
      if (it->command == command && it->type == type) return *it;
    }
    return std::nullopt;
  }
};

// Temp bin/conf/cache dirs; the bin dir holds an executable for every plugin type used here.
struct Node {
  test::TempDir dir;
  FakeExec fake;
  Node() {
    for (const char* d : {"bin", "conf", "cache"}) fs::create_directories(dir.file(d));
    for (const char* type : {"alpha", "beta", "first", "second", "portmap", "ranger"}) {
      std::string path = dir.file(std::string("bin/") + type);
      REQUIRE(test::writeFile(path, "#!/bin/sh\nexit 0\n"));
      ::chmod(path.c_str(), 0755);
    }
  }
  CniOptions options() const {
    CniOptions o;
    o.binDirs = {dir.file("bin")};
    o.confDir = dir.file("conf");
    o.cacheDir = dir.file("cache");
    return o;
  }
  void conf(const std::string& name, const std::string& plugins) {
    REQUIRE(
        test::writeFile(dir.file("conf/" + name),
                        R"({"cniVersion":"1.0.0","name":"podnet","plugins":[)" + plugins + "]}"));
  }
  std::string record(const std::string& id) const { return dir.file("cache/dockershim/" + id); }
};

PodSetup podSetup(const std::string& id) {
  PodSetup p;
  p.sandboxId = id;
  p.netnsPath = "/proc/self/ns/net";
  p.pod = {"ns", "name", "uid-1"};
  p.portMappings.push_back({8080, 80, "tcp", ""});
  return p;
}

Clock::time_point deadline() { return Clock::now() + 10s; }

// setUp enters the pod's namespace (here our own), which takes CAP_SYS_ADMIN: the test suite
// runs as root (test/run-tests.sh); without it these tests fail rather than pass unseen.
void requireNetnsEntry() {
  auto st = common::runInNetworkNamespace("/proc/self/ns/net", [] { return Status::ok(); });
  INFO(st.message());
  REQUIRE(st.isOk());
}

// The record is there, marked torn down.
bool isDeleted(const std::string& path) {
  auto record = decodeRecord(test::readFile(path));
  return record && record->deleted && !record->result;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("a network record survives encoding", "[pod_network]") {
  auto net = parseConfList(
      R"({"cniVersion":"1.0.0","name":"podnet","disableCheck":true,"plugins":[
          {"type":"bridge","ipam":{"type":"host-local"}},
          {"type":"portmap","capabilities":{"portMappings":true}}]})",
      "/etc/cni/net.d/10-podnet.conflist");
  REQUIRE(net);
  NetworkRecord in;
  in.sandboxId = "abc123";
  in.network = *net;
  in.pod = {"ns", "name", "uid-1"};
  in.args.portMappings = {{8080, 80, "tcp", ""}, {5353, 53, "udp", "127.0.0.1"}};
  in.args.bandwidth = Bandwidth{1000, 2000, 3000, 4000};
  in.args.dns = DnsConfig{{"10.0.0.10"}, {"svc.cluster.local"}, {"ndots:5"}};
  in.args.ipRanges = {{IpRange{"10.9.0.0/24"}}, {IpRange{"fd09::/64"}}};
  in.ifName = "eth1";
  in.result = nlohmann::json::parse(kAddResult);
  in.ips = kPodIps;

  auto out = decodeRecord(encodeRecord(in).dump());
  REQUIRE(out);
  CHECK(out->sandboxId == in.sandboxId);
  CHECK(out->network.name == "podnet");
  CHECK(out->network.cniVersion == "1.0.0");
  CHECK(out->network.disableCheck);
  CHECK(out->network.sourcePath == "/etc/cni/net.d/10-podnet.conflist");
  REQUIRE(out->network.plugins.size() == 2);
  CHECK(out->network.plugins[0].type == "bridge");
  CHECK(out->network.plugins[1].raw == in.network.plugins[1].raw);
  CHECK(out->pod == in.pod);
  CHECK(out->args.portMappings == in.args.portMappings);
  CHECK(out->args.bandwidth == in.args.bandwidth);
  REQUIRE(out->args.dns);
  CHECK(out->args.dns->servers == in.args.dns->servers);
  CHECK(out->args.dns->searches == in.args.dns->searches);
  CHECK(out->args.dns->options == in.args.dns->options);
  REQUIRE(out->args.ipRanges.size() == 2);
  CHECK(out->args.ipRanges[0][0].subnet == "10.9.0.0/24");
  CHECK(out->args.ipRanges[1][0].subnet == "fd09::/64");
  CHECK(out->ifName == "eth1");
  CHECK(out->result == in.result);
  CHECK(out->ips == kPodIps);

  SECTION("optional parts stay absent") {
    in.result.reset();
    in.args.bandwidth.reset();
    in.args.dns.reset();
    auto bare = decodeRecord(encodeRecord(in).dump());
    REQUIRE(bare);
    CHECK_FALSE(bare->result);
    CHECK_FALSE(bare->args.bandwidth);
    CHECK_FALSE(bare->args.dns);
  }
  SECTION("anything else is DATA_LOSS") {
    auto wrongKind = encodeRecord(in);
    wrongKind["kind"] = "something-else";
    auto incomplete = encodeRecord(in);
    incomplete.erase("pod");
    for (const std::string& text : {std::string("not json {"), std::string("[1,2]"),
                                    std::string("{}"), wrongKind.dump(), incomplete.dump()}) {
      auto r = decodeRecord(text);
      REQUIRE_FALSE(r);
      CHECK(r.status().code() == Code::kDataLoss);
    }
  }
}

TEST_CASE("readiness follows the conf dir without a restart", "[pod_network]") {
  Node node;
  CniManager cni(node.options(), node.fake.exec());
  auto st = cni.ready();
  CHECK(st.code() == Code::kFailedPrecondition);
  CHECK(contains(st.message(), "no CNI configuration"));

  node.conf("10-podnet.conflist", R"({"type":"alpha"})");
  CHECK(cni.ready().isOk());
  fs::remove(node.dir.file("conf/10-podnet.conflist"));
  CHECK(cni.ready().code() == Code::kFailedPrecondition);

  REQUIRE(test::writeFile(node.dir.file("conf/10-broken.conflist"), "{ not json"));
  node.conf("20-good.conflist", R"({"type":"beta"})");
  CHECK(cni.ready().isOk());
  requireNetnsEntry();
  REQUIRE(cni.setUp(podSetup("pod1"), deadline()));
  CHECK(node.fake.typesOf("ADD") == std::vector<std::string>{"beta"});
}

TEST_CASE("setUp runs ADD, keeps the IPs and a record that outlives the manager", "[pod_network]") {
  requireNetnsEntry();
  Node node;
  node.conf("10-podnet.conflist", R"({"type":"alpha"},
      {"type":"portmap","capabilities":{"portMappings":true}},
      {"type":"ranger","capabilities":{"ipRanges":true}})");
  CniManager cni(node.options(), node.fake.exec());
  auto ips = cni.setUp(podSetup("pod1"), deadline());
  REQUIRE(ips);
  CHECK(*ips == kPodIps);
  CHECK(cni.podIps("pod1") == kPodIps);
  CHECK(node.fake.typesOf("ADD") == std::vector<std::string>{"alpha", "portmap", "ranger"});

  auto record = decodeRecord(test::readFile(node.record("pod1")));
  REQUIRE(record);
  CHECK(record->ips == kPodIps);

  auto alpha = node.fake.last("ADD", "alpha");
  REQUIRE(alpha);
  std::string cniArgs;
  for (const auto& e : alpha->env) {
    if (e.rfind("CNI_ARGS=", 0) == 0) cniArgs = e;
  }
  CHECK(contains(cniArgs, "K8S_POD_NAMESPACE=ns"));
  CHECK(contains(cniArgs, "K8S_POD_NAME=name"));
  CHECK(contains(cniArgs, "K8S_POD_INFRA_CONTAINER_ID=pod1"));
  CHECK(contains(cniArgs, "K8S_POD_UID=uid-1"));

  auto portmapIn = nlohmann::json::parse(node.fake.last("ADD", "portmap").value().stdinText);
  CHECK(portmapIn["runtimeConfig"]["portMappings"][0]["hostPort"] == 8080);
  CHECK(portmapIn["runtimeConfig"]["portMappings"][0]["containerPort"] == 80);
  // No pod CIDR known yet: nothing to offer as ipRanges.
  auto rangerIn = nlohmann::json::parse(node.fake.last("ADD", "ranger").value().stdinText);
  CHECK_FALSE(rangerIn.contains("runtimeConfig"));

  cni.setPodCidr("10.9.0.0/24,fd09::/64");
  REQUIRE(cni.setUp(podSetup("pod2"), deadline()));
  rangerIn = nlohmann::json::parse(node.fake.last("ADD", "ranger").value().stdinText);
  CHECK(rangerIn["runtimeConfig"]["ipRanges"] ==
        nlohmann::json::parse(R"([[{"subnet":"10.9.0.0/24"}],[{"subnet":"fd09::/64"}]])"));

  FakeExec after;
  CniManager restarted(node.options(), after.exec());
  CHECK(restarted.podIps("pod1") == kPodIps);
  CHECK(restarted.podIps("pod2") == kPodIps);
  CHECK(restarted.podIps("never") == std::vector<std::string>{});
  CHECK(after.calls.empty());
}

TEST_CASE("tearDown runs DEL once per ADD with what ADD used", "[pod_network]") {
  requireNetnsEntry();
  Node node;
  node.conf("10-podnet.conflist", R"({"type":"alpha"})");
  CniManager cni(node.options(), node.fake.exec());
  REQUIRE(cni.setUp(podSetup("pod1"), deadline()));

  SECTION("DEL, then nothing more") {
    REQUIRE(cni.tearDown("pod1", "/proc/self/ns/net", deadline()));
    CHECK(node.fake.typesOf("DEL") == std::vector<std::string>{"alpha"});
    CHECK(isDeleted(node.record("pod1")));
    CHECK(cni.podIps("pod1").empty());
    REQUIRE(cni.tearDown("pod1", "/proc/self/ns/net", deadline()));
    CHECK(node.fake.typesOf("DEL").size() == 1);
    // A torn-down sandbox is never taken for one set up by someone else...
    auto adopted = cni.adopt("pod1", "/proc/self/ns/net", {"ns", "name", "uid"});
    REQUIRE(adopted);
    CHECK(adopted->empty());
    REQUIRE(cni.tearDown("pod1", "/proc/self/ns/net", deadline()));
    CHECK(node.fake.typesOf("DEL").size() == 1);
    CHECK_FALSE(cni.check("pod1", "/proc/self/ns/net", deadline()));
    // ...until it is removed.
    cni.discard("pod1");
    CHECK_FALSE(fs::exists(node.record("pod1")));
  }
  SECTION("the stored network is used when the conf dir changed") {
    fs::remove(node.dir.file("conf/10-podnet.conflist"));
    node.conf("20-other.conflist", R"({"type":"beta"})");
    REQUIRE(cni.tearDown("pod1", "", deadline()));  // the pause container is gone
    CHECK(node.fake.typesOf("DEL") == std::vector<std::string>{"alpha"});
    auto delIn = nlohmann::json::parse(node.fake.last("DEL", "alpha").value().stdinText);
    CHECK(delIn["name"] == "podnet");
    CHECK(delIn["prevResult"]["ips"][0]["address"] == "10.1.0.5/24");
    CHECK(isDeleted(node.record("pod1")));
  }
  SECTION("an unknown sandbox runs nothing") {
    REQUIRE(cni.tearDown("unknown", "", deadline()));
    CHECK(node.fake.typesOf("DEL").empty());
  }
  SECTION("a failed DEL keeps the record for a retry") {
    node.fake.delOutput["alpha"] =
        ExecOutput{1, R"({"cniVersion":"1.0.0","code":100,"msg":"del broke"})", ""};
    auto st = cni.tearDown("pod1", "/proc/self/ns/net", deadline());
    REQUIRE_FALSE(st);
    CHECK(contains(st.message(), "del broke"));
    CHECK(fs::exists(node.record("pod1")));

    node.fake.delOutput.clear();
    REQUIRE(cni.tearDown("pod1", "/proc/self/ns/net", deadline()));
    CHECK(node.fake.typesOf("DEL").size() == 2);
    CHECK(isDeleted(node.record("pod1")));
  }
}

TEST_CASE("adopt: a namespace's addresses kept for a sandbox set up before, DEL once",
          "[pod_network]") {
  requireNetnsEntry();
  Node node;
  node.conf("10-podnet.conflist", R"({"type":"alpha"})");
  CniManager cni(node.options(), node.fake.exec());
  // This process's own namespace stands for the pod's: its addresses (lo left out).
  auto ips = cni.adopt("old1", "/proc/self/ns/net", {"ns", "name", "uid"});
  REQUIRE(ips);
  REQUIRE_FALSE(ips->empty());  // the test host has an address besides loopback
  CHECK(cni.podIps("old1") == *ips);
  CHECK(node.fake.calls.empty());  // no plugin ran
  REQUIRE(cni.tearDown("old1", "/proc/self/ns/net", deadline()));
  REQUIRE(node.fake.typesOf("DEL") == std::vector<std::string>{"alpha"});
  auto delIn = nlohmann::json::parse(node.fake.last("DEL", "alpha").value().stdinText);
  CHECK(delIn["prevResult"]["ips"][0]["address"].get<std::string>().rfind((*ips)[0] + "/", 0) == 0);
  REQUIRE(cni.tearDown("old1", "/proc/self/ns/net", deadline()));
  CHECK(node.fake.typesOf("DEL").size() == 1);
}

TEST_CASE("a failed ADD is undone and leaves nothing behind", "[pod_network]") {
  requireNetnsEntry();
  Node node;
  node.conf("10-podnet.conflist", R"({"type":"first"},{"type":"second"})");
  node.fake.addOutput["second"] =
      ExecOutput{1, R"({"cniVersion":"1.0.0","code":100,"msg":"boom"})", ""};
  CniManager cni(node.options(), node.fake.exec());
  auto ips = cni.setUp(podSetup("pod1"), deadline());
  REQUIRE_FALSE(ips);
  CHECK(contains(ips.status().message(), "boom"));
  CHECK(node.fake.typesOf("ADD") == std::vector<std::string>{"first", "second"});
  CHECK(node.fake.typesOf("DEL") == std::vector<std::string>{"second", "first"});
  CHECK_FALSE(fs::exists(node.record("pod1")));
  CHECK(cni.podIps("pod1").empty());
  // Nothing left to undo later.
  REQUIRE(cni.tearDown("pod1", "", deadline()));
  CHECK(node.fake.typesOf("DEL").size() == 2);
}

TEST_CASE("setUp without a network configuration runs no plugin", "[pod_network]") {
  Node node;
  CniManager cni(node.options(), node.fake.exec());
  auto ips = cni.setUp(podSetup("pod1"), deadline());
  REQUIRE_FALSE(ips);
  CHECK(ips.status().code() == Code::kFailedPrecondition);
  CHECK(node.fake.calls.empty());
  CHECK_FALSE(fs::exists(node.record("pod1")));
}

TEST_CASE("PodLock serialises one sandbox, not different ones", "[pod_network]") {
  Node node;
  CniManager cni(node.options(), node.fake.exec());
  std::optional<CniManager::PodLock> held;
  held.emplace(cni, "a");

  std::atomic<bool> secondGotIt{false};
  std::thread second([&] {
    CniManager::PodLock lock(cni, "a");
    secondGotIt = true;
  });
  auto other = std::async(std::launch::async, [&] { CniManager::PodLock lock(cni, "b"); });
  CHECK(other.wait_for(5s) == std::future_status::ready);
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(secondGotIt);

  // A bounded wait gives up instead.
  CniManager::PodLock bounded(cni, "a", Clock::now() + 50ms);
  CHECK_FALSE(bounded.owns());

  held.reset();
  second.join();
  CHECK(secondGotIt);
  other.get();
}

}  // namespace
}  // namespace dockershim::network
