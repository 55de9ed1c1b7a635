// Pod networking through CNI against the real chain: Debian's containernetworking-plugins
// (bridge, host-local, portmap) with a conf dir, bridge and subnet of the test's own, plus a
// recording plugin (e2e/cni_recorder) that shows what each plugin was given and fails or hangs
// on demand.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/cni_env.h"
#include "e2e/pod_util.h"

namespace dockershim::e2e {
namespace {

v1::StatusResponse runtimeStatus(Shim& shim) {
  v1::StatusRequest req;
  v1::StatusResponse resp;
  Ctx ctx;
  auto s = shim.runtime->Status(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return resp;
}

const v1::RuntimeCondition* networkCondition(v1::StatusResponse&&) = delete;  // would dangle
const v1::RuntimeCondition* networkCondition(const v1::StatusResponse& resp) {
  for (const auto& c : resp.status().conditions()) {
    if (c.type() == "NetworkReady") return &c;
  }
  return nullptr;
}

v1::ContainerConfig webServer(const std::string& text) {
  return containerConfig("web", {"sh", "-c",
                                 "mkdir -p /www && echo " + text +
                                     " > /www/index.html && exec httpd -f -p 8080 -h /www"});
}

}  // namespace

namespace {
// eth0's received and sent bytes in the network namespace of `pid`, from the kernel.
std::pair<uint64_t, uint64_t> eth0Counters(int pid) {
  std::istringstream lines(readFile("/proc/" + std::to_string(pid) + "/net/dev"));
  std::string line;
  while (std::getline(lines, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name != "eth0") continue;
    std::istringstream fields(line.substr(colon + 1));
    uint64_t v[16] = {};
    for (auto& x : v) fields >> x;
    return {v[0], v[8]};
  }
  FAIL("no eth0 in the namespace of " << pid);
  return {};
}
}  // namespace

TEST_CASE("CNI: pods get their addresses from the node's plugins, reach each other and a hostPort",
          "[cni]") {
  CniEnv env("basic");
  env.writeConf("10-dse2e.conflist", env.conflist());
  Shim& shim = env.start({}, {"--cni-check-on-status"});

  auto runtimeState = runtimeStatus(shim);
  const auto* ready = networkCondition(runtimeState);
  REQUIRE(ready);
  CHECK(ready->status());

  // The kubelet tells the pod CIDR: offered as ipRanges to plugins that ask.
  {
    v1::UpdateRuntimeConfigRequest req;
    req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr(env.subnet());
    v1::UpdateRuntimeConfigResponse resp;
    Ctx ctx;
    auto s = shim.runtime->UpdateRuntimeConfig(&ctx, req, &resp);
    INFO(describe(s));
    REQUIRE(s.ok());
  }

  int hostPort = freeTcpPort();
  auto configA = podConfig("cni-a");
  auto* pm = configA.add_port_mappings();
  pm->set_container_port(8080);
  pm->set_host_port(hostPort);
  auto* noHost = configA.add_port_mappings();  // no host port: not the plugins' business
  noHost->set_container_port(9090);
  (*configA.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "10M";
  configA.mutable_dns_config()->add_servers("10.96.0.10");
  configA.mutable_dns_config()->add_searches("e2e.svc.cluster.local");
  auto configB = podConfig("cni-b");
  std::string podA = runPod(shim, configA);
  std::string podB = runPod(shim, configB);

  auto statusA = sandboxStatus(shim, podA);
  auto statusB = sandboxStatus(shim, podB);
  std::string ipA = statusA.network().ip();
  std::string ipB = statusB.network().ip();
  INFO("pod A " << ipA << ", pod B " << ipB);
  REQUIRE(ipA.rfind("10.213.", 0) == 0);
  REQUIRE(ipB.rfind("10.213.", 0) == 0);
  CHECK(ipA != ipB);
  CHECK(statusA.network().additional_ips_size() == 0);
  // host-local keeps one file per allocated address.
  auto allocated = env.allocations();
  CHECK(std::count(allocated.begin(), allocated.end(), ipA) == 1);
  CHECK(std::count(allocated.begin(), allocated.end(), ipB) == 1);

  std::string web = startContainer(shim, podA, configA, webServer("hello-from-a"));
  std::string client = startContainer(shim, podB, configB, containerConfig("client"));

  // The address the status names is the one inside the pod.
  auto addr = execSync(shim, web, {"ip", "-o", "-4", "addr", "show", "eth0"});
  CHECK(addr.stdout().find(" " + ipA + "/") != std::string::npos);
  auto lo = execSync(shim, web, {"ip", "-o", "link", "show", "lo"});
  CHECK(lo.stdout().find("UP") != std::string::npos);

  // Pod to pod by IP.
  std::string got;
  CHECK(eventually([&] {
    // (The test image's wget needs NSS modules it lacks; nc takes the address as given.)
    auto r = execSync(
        shim, client,
        {"sh", "-c", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + ipA + " 8080"});
    got = r.stdout() + r.stderr() + " exit " + std::to_string(r.exit_code());
    return got.find("hello-from-a") != std::string::npos;
  }));
  INFO(got);
  // Pod stats: the pod's own interfaces (its namespace, read through the pause process), the
  // traffic above counted, loopback left out; the same counters the kernel shows.
  {
    int pidB = dockerInspect(podB)["State"]["Pid"];
    auto before = eth0Counters(pidB);
    v1::PodSandboxStatsRequest req;
    req.set_pod_sandbox_id(podB);
    v1::PodSandboxStatsResponse resp;
    Ctx ctx;
    auto s = shim.runtime->PodSandboxStats(&ctx, req, &resp);
    INFO(describe(s));
    REQUIRE(s.ok());
    auto after = eth0Counters(pidB);
    const auto& net = resp.stats().linux().network();
    REQUIRE(resp.stats().linux().has_network());
    CHECK(net.timestamp() > 0);
    CHECK(net.default_interface().name() == "eth0");
    REQUIRE(net.interfaces_size() == 1);
    CHECK(net.interfaces(0).name() == "eth0");
    uint64_t rx = net.default_interface().rx_bytes().value();
    uint64_t tx = net.default_interface().tx_bytes().value();
    CHECK(rx > 0);
    CHECK(tx > 0);
    CHECK(rx >= before.first);
    CHECK(rx <= after.first);
    CHECK(tx >= before.second);
    CHECK(tx <= after.second);
  }
  // The host port on 127.0.0.1 (portmap's DNAT).
  CHECK(eventually([&] {
    return httpGet("127.0.0.1", hostPort, "/index.html").find("hello-from-a") != std::string::npos;
  }));

  // What the plugins were given.
  auto callsA = env.calls(podA);
  REQUIRE(callsA.size() == 1);
  const auto& add = callsA[0];
  CHECK(add["command"] == "ADD");
  CHECK(add["ifName"] == "eth0");
  int pid = dockerInspect(podA)["State"]["Pid"];
  CHECK(add["netns"] == "/proc/" + std::to_string(pid) + "/ns/net");
  std::string args = add["args"];
  CHECK(args.find("IgnoreUnknown=1") != std::string::npos);
  CHECK(args.find("K8S_POD_NAMESPACE=e2e") != std::string::npos);
  CHECK(args.find("K8S_POD_NAME=" + configA.metadata().name()) != std::string::npos);
  CHECK(args.find("K8S_POD_INFRA_CONTAINER_ID=" + podA) != std::string::npos);
  CHECK(args.find("K8S_POD_UID=" + configA.metadata().uid()) != std::string::npos);
  const auto& rc = add["config"]["runtimeConfig"];
  REQUIRE(rc["portMappings"].size() == 1);
  CHECK(rc["portMappings"][0]["hostPort"] == hostPort);
  CHECK(rc["portMappings"][0]["containerPort"] == 8080);
  CHECK(rc["portMappings"][0]["protocol"] == "tcp");
  CHECK(rc["bandwidth"]["ingressRate"] == 10000000);
  CHECK(rc["dns"]["servers"] == json::array({"10.96.0.10"}));
  CHECK(rc["dns"]["searches"] == json::array({"e2e.svc.cluster.local"}));
  CHECK(rc["ipRanges"] == json::array({json::array({{{"subnet", env.subnet()}}})}));
  // The chain: the recorder saw the bridge's (and portmap's) result as prevResult.
  CHECK(add["config"]["prevResult"]["ips"][0]["address"].get<std::string>().rfind(ipA + "/", 0) ==
        0);

  // crictl inspectp: CNI CHECK finds the network intact.
  auto verboseInfo = [&](const std::string& id) {
    v1::PodSandboxStatusResponse resp;
    auto st = podStatus(shim, id, &resp, true);
    INFO(describe(st));
    REQUIRE(st.ok());
    REQUIRE(resp.info().count("info") == 1);
    return json::parse(resp.info().at("info"));
  };
  // (Pod B: Debian's portmap 1.1.1 fails CHECK for any pod with a host port on hosts without
  // its IPv6 chains, a plugin bug dockershim reports as it is.)
  auto infoOk = verboseInfo(podB);
  CHECK(infoOk["cni"]["check"] == "ok");
  CHECK(infoOk["cni"]["ips"] == json::array({ipB}));
  CHECK(env.count(podB, "CHECK") == 1);

  // Stop releases the address and runs DEL once, however often it is called.
  REQUIRE(stopPod(shim, podA).ok());
  CHECK(env.count(podA, "DEL") == 1);
  allocated = env.allocations();
  CHECK(std::count(allocated.begin(), allocated.end(), ipA) == 0);
  CHECK(std::count(allocated.begin(), allocated.end(), ipB) == 1);
  CHECK(httpGet("127.0.0.1", hostPort, "/index.html").find("hello-from-a") == std::string::npos);
  REQUIRE(stopPod(shim, podA).ok());
  REQUIRE(removePod(shim, podA).ok());
  CHECK(env.count(podA, "DEL") == 1);
  // Pod B's interface deleted behind everyone's back: CHECK says so.
  REQUIRE(env.bridgePorts().find("@") != std::string::npos);
  REQUIRE(runCommand("ip -o link show master " + env.bridge() +
                     " | awk -F': ' '{print $2}' | cut -d@ -f1 | xargs -r -n1 ip link del") == 0);
  auto infoB = verboseInfo(podB);
  INFO(infoB.dump());
  CHECK(infoB["cni"]["check"] != "ok");
  CHECK(infoB["cni"]["check"].get<std::string>().find("plugin bridge failed") != std::string::npos);
  // RemovePodSandbox without a stop first reclaims the network too.
  REQUIRE(removePod(shim, podB).ok());
  CHECK(env.count(podB, "DEL") == 1);
  CHECK(env.allocations().empty());
  CHECK(fs::is_empty(env.cacheDir() + "/dockershim"));

  // A host-network pod never touches CNI.
  auto hostConfig = podConfig("cni-host");
  hostConfig.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      v1::NODE);
  std::string hostPod = runPod(shim, hostConfig);
  CHECK_FALSE(sandboxStatus(shim, hostPod).has_network());
  REQUIRE(stopPod(shim, hostPod).ok());
  REQUIRE(removePod(shim, hostPod).ok());
  CHECK(env.calls(hostPod).empty());
}

TEST_CASE("CNI: a verbose PodSandboxStatus runs no plugin unless --cni-check-on-status", "[cni]") {
  CniEnv env("verbose");
  env.writeConf("10-dse2e.conflist", env.conflist());
  Shim& shim = env.start();
  auto config = podConfig("cni-verbose");
  std::string pod = runPod(shim, config);
  std::string ip = sandboxStatus(shim, pod).network().ip();
  REQUIRE_FALSE(ip.empty());
  for (int i = 0; i < 3; ++i) {
    v1::PodSandboxStatusResponse resp;
    auto st = podStatus(shim, pod, &resp, true);
    INFO(describe(st));
    REQUIRE(st.ok());
    auto info = json::parse(resp.info().at("info"));
    CHECK(info["cni"]["ips"] == json::array({ip}));
    CHECK(info["cni"]["check"] == "not run (dockershim --cni-check-on-status)");
  }
  CHECK(env.count(pod, "CHECK") == 0);
  cleanupPod(shim, pod);
  CHECK(env.count(pod, "DEL") == 1);
}

TEST_CASE("CNI: pods are set up in parallel, one pod's hanging plugin holds up no other", "[cni]") {
  CniEnv env("parallel");
  env.writeConf("10-dse2e.conflist", env.conflist({{"hangIf", "cni-stuck"}}));
  Shim& shim = env.start();
  // A pod whose ADD hangs until its call's deadline...
  auto stuck = podConfig("cni-stuck");
  grpc::Status stuckResult;
  std::thread stuckThread([&] { stuckResult = tryRunPod(shim, stuck, nullptr, 15s); });
  REQUIRE(eventually([&] { return env.calls().size() == 1; }, 10s));

  // ...while others are set up at once, and all of them before it ends.
  constexpr int kPods = 5;
  std::vector<v1::PodSandboxConfig> configs;
  for (int i = 0; i < kPods; ++i) configs.push_back(podConfig("cni-par"));
  std::vector<std::string> ids(kPods);
  std::vector<grpc::Status> results(kPods);
  std::vector<std::thread> threads;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] { results[i] = tryRunPod(shim, configs[i], &ids[i]); });
  }
  for (auto& t : threads) t.join();
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took < 10s);
  std::set<std::string> ips;
  for (int i = 0; i < kPods; ++i) {
    INFO(describe(results[i]));
    REQUIRE(results[i].ok());
    ips.insert(sandboxStatus(shim, ids[i]).network().ip());
  }
  CHECK(ips.size() == kPods);
  stuckThread.join();
  INFO(describe(stuckResult));
  CHECK(stuckResult.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK(eventually([&] { return env.allocations().size() == kPods; }));
  threads.clear();
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] { results[i] = stopPod(shim, ids[i]); });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kPods; ++i) {
    CHECK(results[i].ok());
    CHECK(env.count(ids[i], "DEL") == 1);
    CHECK(removePod(shim, ids[i]).ok());
  }
  CHECK(env.allocations().empty());
  CHECK(eventually([&] { return dockerContainersNamed(stuck.metadata().name()) == 0; }));
}

TEST_CASE("CNI: DEL runs from what ADD stored, after a restart and without the pause container",
          "[cni]") {
  CniEnv env("restart");
  env.writeConf("10-dse2e.conflist", env.conflist());
  env.start();
  auto configC = podConfig("cni-restart");
  auto configD = podConfig("cni-gone");
  std::string podC = runPod(env.shim(), configC);
  std::string podD = runPod(env.shim(), configD);
  std::string ipC = sandboxStatus(env.shim(), podC).network().ip();
  std::string ipD = sandboxStatus(env.shim(), podD).network().ip();
  REQUIRE_FALSE(ipC.empty());
  REQUIRE_FALSE(ipD.empty());

  // A third pod's container and checkpoint disappear while dockershim is down (as when it
  // stopped between removing the pod and its DEL): the restart releases its address.
  auto configE = podConfig("cni-orphan");
  std::string podE = runPod(env.shim(), configE);
  std::string ipE = sandboxStatus(env.shim(), podE).network().ip();
  REQUIRE_FALSE(ipE.empty());

  // The conf dir changes meanwhile: DEL still uses the network ADD used.
  fs::remove(env.confDir() + "/10-dse2e.conflist");
  env.stop();
  REQUIRE(runCommand("DOCKER_HOST=unix://" + TestBed::get().dockerSocket() + " docker rm -f " +
                     podE + " >/dev/null") == 0);
  REQUIRE(fs::remove(env.dir() + "/root/sandbox/" + podE));
  Shim& shim = env.start();
  CHECK(eventually([&] { return env.count(podE, "DEL") == 1; }));
  CHECK(eventually([&] { return !fs::exists(env.cacheDir() + "/dockershim/" + podE); }));
  {
    auto left = env.allocations();
    CHECK(std::count(left.begin(), left.end(), ipE) == 0);
  }
  // After a restart the IP still comes from the stored result.
  CHECK(sandboxStatus(shim, podC).network().ip() == ipC);
  REQUIRE(stopPod(shim, podC).ok());
  CHECK(env.count(podC, "DEL") == 1);
  auto allocated = env.allocations();
  CHECK(std::count(allocated.begin(), allocated.end(), ipC) == 0);

  // The pause container removed behind dockershim's back: DEL without a namespace.
  REQUIRE(runCommand("DOCKER_HOST=unix://" + TestBed::get().dockerSocket() + " docker rm -f " +
                     podD + " >/dev/null") == 0);
  REQUIRE(stopPod(shim, podD).ok());
  auto dels = env.calls(podD);
  REQUIRE(dels.size() == 2);
  CHECK(dels[1]["command"] == "DEL");
  CHECK(dels[1]["netns"] == "");
  CHECK(env.allocations().empty());
  REQUIRE(stopPod(shim, podD).ok());
  REQUIRE(removePod(shim, podD).ok());
  REQUIRE(removePod(shim, podC).ok());
  CHECK(env.count(podD, "DEL") == 1);
}

TEST_CASE("CNI: a pod whose network another runtime set up keeps its IP and gets DEL once",
          "[cni][adoption]") {
  CniEnv env("adopt");
  json conf = env.conflist();
  env.writeConf("10-dse2e.conflist", conf);
  Shim& shim = env.start();
  // A pause container in Docker network "none", as cri-dockerd makes them for CNI pods...
  auto config = podConfig("cni-adopt");
  std::string pod = runPod(TestBed::get().shim(), config);
  int pid = dockerInspect(pod)["State"]["Pid"];
  REQUIRE(pid > 0);
  // ...whose network cri-dockerd's CNI code set up: the bridge plugin run by hand.
  json bridge = conf["plugins"][0];
  bridge["cniVersion"] = conf["cniVersion"];
  bridge["name"] = conf["name"];
  writeText(env.dir() + "/bridge-only.json", bridge.dump());
  std::string out;
  REQUIRE(runCommand("CNI_COMMAND=ADD CNI_CONTAINERID=" + pod + " CNI_NETNS=/proc/" +
                         std::to_string(pid) + "/ns/net CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni " +
                         "/usr/lib/cni/bridge < " + env.dir() + "/bridge-only.json",
                     &out) == 0);
  auto result = json::parse(out);
  std::string cidr = result["ips"][0]["address"];
  std::string ip = cidr.substr(0, cidr.find('/'));
  INFO("set up by hand: " << ip);

  CHECK(sandboxStatus(shim, pod).network().ip() == ip);
  auto allocated = env.allocations();
  CHECK(std::count(allocated.begin(), allocated.end(), ip) == 1);
  REQUIRE(stopPod(shim, pod).ok());
  CHECK(env.count(pod, "DEL") == 1);
  CHECK(env.allocations().empty());
  CHECK(env.bridgePorts().empty());
  REQUIRE(stopPod(shim, pod).ok());
  REQUIRE(removePod(shim, pod).ok());
  CHECK(env.count(pod, "DEL") == 1);
  CHECK(env.count(pod, "ADD") == 0);
  cleanupPod(TestBed::get().shim(), pod);
}

TEST_CASE(
    "CNI: without a usable configuration the network is not ready and pods fail cleanly; "
    "a new configuration is picked up without a restart",
    "[cni]") {
  CniEnv env("conf");
  Shim& shim = env.start();
  auto resp = runtimeStatus(shim);
  const auto* ready = networkCondition(resp);
  REQUIRE(ready);
  CHECK_FALSE(ready->status());
  CHECK(ready->reason() == "NetworkPluginNotReady");
  CHECK(ready->message().find("no CNI configuration") != std::string::npos);

  auto config = podConfig("cni-noconf");
  std::string id;
  auto s = tryRunPod(shim, config, &id);
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(s.error_message().find("network plugin is not ready") != std::string::npos);
  CHECK(dockerContainersNamed(config.metadata().name()) == 0);

  // A broken file is skipped, and said why.
  writeText(env.confDir() + "/10-broken.conflist", "{\"name\": \"x\", \"plugins\": [");
  resp = runtimeStatus(shim);
  ready = networkCondition(resp);
  CHECK_FALSE(ready->status());
  CHECK(ready->message().find("10-broken.conflist") != std::string::npos);

  env.writeConf("20-dse2e.conflist", env.conflist());
  resp = runtimeStatus(shim);
  ready = networkCondition(resp);
  CHECK(ready->status());
  std::string pod = runPod(shim, config);
  CHECK(sandboxStatus(shim, pod).network().ip().rfind("10.213.", 0) == 0);
  REQUIRE(stopPod(shim, pod).ok());
  REQUIRE(removePod(shim, pod).ok());
  CHECK(env.allocations().empty());
}

TEST_CASE("CNI: a failing plugin fails RunPodSandbox with its message and leaves nothing behind",
          "[cni]") {
  CniEnv env("fail");
  env.writeConf("10-dse2e.conflist", env.conflist({{"failOn", "ADD"}}));
  Shim& shim = env.start();
  auto config = podConfig("cni-fail");
  std::string id;
  auto s = tryRunPod(shim, config, &id);
  INFO(describe(s));
  CHECK_FALSE(s.ok());
  CHECK(s.error_message().find("recorder refuses ADD") != std::string::npos);
  CHECK(s.error_message().find("asked to by the test") != std::string::npos);
  // DEL ran for what the bridge had set up, so host-local gave the address back.
  auto calls = env.calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]["command"] == "ADD");
  CHECK(calls[1]["command"] == "DEL");
  CHECK(env.allocations().empty());
  CHECK(env.bridgePorts().empty());  // the pod's veth went with DEL
  CHECK(dockerContainersNamed(config.metadata().name()) == 0);
  CHECK(fs::is_empty(env.cacheDir() + "/dockershim"));
}

TEST_CASE("CNI: a plugin that hangs is killed at the call's deadline and nothing is left",
          "[cni]") {
  CniEnv env("hang");
  env.writeConf("10-dse2e.conflist", env.conflist({{"hangOn", "ADD"}}));
  Shim& shim = env.start();
  auto config = podConfig("cni-hang");
  std::string id;
  auto started = std::chrono::steady_clock::now();
  auto s = tryRunPod(shim, config, &id, 6s);
  INFO(describe(s));
  CHECK(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  // The plugin is killed at the deadline, not when it would have ended.
  std::string procs;
  auto pluginAlive = [&] {
    procs.clear();
    // (The bracket keeps pgrep from matching the shell that runs it.)
    runCommand("pgrep -f '" + std::string(CNI_TEST_BIN_DIR) + "/cni-recorde[r]' || true", &procs);
    return !procs.empty();
  };
  CHECK(eventually([&] { return !pluginAlive(); }, 10s));
  CHECK(std::chrono::steady_clock::now() - started < 12s);
  // The undo (DEL, container removal) runs on its own budget after the deadline.
  CHECK(eventually([&] {
    return dockerContainersNamed(config.metadata().name()) == 0 && env.allocations().empty();
  }));
  CHECK_FALSE(pluginAlive());
  CHECK(eventually([&] { return env.count("", "DEL") == 1; }));
  CHECK(eventually([&] { return fs::is_empty(env.cacheDir() + "/dockershim"); }));
}

TEST_CASE("CNI: dual-stack networks give the pod an IPv4 and an IPv6 address", "[cni]") {
  CniEnv env("dual");
  env.writeConf("10-dse2e.conflist",
                env.conflist(json::object(), /*dualStack=*/true, /*portmap=*/false));
  Shim& shim = env.start();
  auto config = podConfig("cni-dual");
  std::string pod = runPod(shim, config);
  auto status = sandboxStatus(shim, pod);
  INFO(status.DebugString());
  REQUIRE(status.network().ip().rfind("10.213.", 0) == 0);
  REQUIRE(status.network().additional_ips_size() == 1);
  std::string ip6 = status.network().additional_ips(0).ip();
  CHECK(ip6.rfind("fd00:213:", 0) == 0);
  std::string c = startContainer(shim, pod, config, containerConfig("dual"));
  auto addr = execSync(shim, c, {"ip", "-o", "addr", "show", "eth0"});
  CHECK(addr.stdout().find(" " + status.network().ip() + "/") != std::string::npos);
  CHECK(addr.stdout().find(" " + ip6 + "/") != std::string::npos);
  REQUIRE(stopPod(shim, pod).ok());
  REQUIRE(removePod(shim, pod).ok());
  CHECK(env.allocations().empty());
}

}  // namespace dockershim::e2e

namespace dockershim::e2e {

namespace {
// A second private dockerd that has a default bridge (of the test's own), for what
// --network-plugin=none does on engines that keep Docker's networking.
class BridgedDocker {
 public:
  BridgedDocker() {
    dir_ = TestBed::get().dir() + "/bridged";
    fs::create_directories(dir_);
    int n = 1 + ::getpid() % 200;
    bridge_ = "dsb" + std::to_string(::getpid() % 100000);
    subnetPrefix_ = "10.214." + std::to_string(n) + ".";
    std::string out;
    if (runCommand("ip link add " + bridge_ + " type bridge && ip addr add " + subnetPrefix_ +
                       "1/24 dev " + bridge_ + " && ip link set " + bridge_ + " up",
                   &out) != 0) {
      throw std::runtime_error("bridge: " + out);
    }
    writeText(dir_ + "/daemon.json", "{}\n");
    socket_ = dir_ + "/docker.sock";
    std::vector<std::string> argv = {"dockerd",
                                     "--config-file=" + dir_ + "/daemon.json",
                                     "--data-root=" + dir_ + "/data",
                                     "--exec-root=" + dir_ + "/exec",
                                     "--pidfile=" + dir_ + "/docker.pid",
                                     "--host=unix://" + socket_,
                                     "--bridge=" + bridge_,
                                     "--iptables=false",
                                     "--ip-masq=false",
                                     "--log-level=info"};
    // Docker before 20.10 has no --ip6tables (and so never touches ip6tables).
    if (runCommand("dockerd --help 2>&1 | grep -q -- --ip6tables") == 0) {
      argv.push_back("--ip6tables=false");
    }
    dockerd_ = Process::spawn(argv, dir_ + "/dockerd.log");
    waitForSocket(socket_, dockerd_, 60s);
    docker::DockerClientImpl client(socket_);
    bool up = eventually([&] { return client.negotiate(docker::deadlineIn(5s)).isOk(); }, 60s);
    if (!up) throw std::runtime_error("bridged dockerd never answered");
    // The test image, copied from the test bed's engine.
    if (runCommand("docker -H unix://" + TestBed::get().dockerSocket() +
                       " save busybox:latest | docker -H unix://" + socket_ + " load",
                   &out) != 0) {
      throw std::runtime_error("busybox into the bridged dockerd: " + out);
    }
  }
  ~BridgedDocker() {
    dockerd_.stop(30s);
    runCommand("grep -o ' " + dir_ + "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l");
    runCommand("ip link del " + bridge_ + " 2>/dev/null");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& socket() const { return socket_; }
  const std::string& subnetPrefix() const { return subnetPrefix_; }

 private:
  std::string dir_, bridge_, subnetPrefix_, socket_;
  Process dockerd_;
};
}  // namespace

TEST_CASE(
    "--network-plugin=none: pods join Docker's default bridge, host ports published by Docker",
    "[cni][none]") {
  BridgedDocker engine;
  auto shim = TestBed::get().startShim(
      {"--docker-endpoint=unix://" + engine.socket(), "--network-plugin=none",
       "--root-directory=" + TestBed::get().dir() + "/bridged-shim-root"},
      "bridged-shim");

  auto status = runtimeStatus(*shim);
  const auto* ready = networkCondition(status);
  REQUIRE(ready);
  CHECK(ready->status());

  int hostPort = freeTcpPort();
  auto config = podConfig("bridged");
  auto* pm = config.add_port_mappings();
  pm->set_container_port(8080);
  pm->set_host_port(hostPort);
  pm->set_host_ip("127.0.0.1");
  std::string pod = runPod(*shim, config);
  std::string web = startContainer(*shim, pod, config, webServer("hello-from-bridge"));

  std::string ip = sandboxStatus(*shim, pod).network().ip();
  INFO("pod IP " << ip);
  CHECK(ip.rfind(engine.subnetPrefix(), 0) == 0);
  auto inspect = nlohmann::json::parse([&] {
    std::string out;
    runCommand("docker -H unix://" + engine.socket() + " inspect " + pod, &out);
    return out;
  }())[0];
  CHECK(inspect["HostConfig"]["NetworkMode"] == "bridge");
  CHECK(inspect["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostPort"] ==
        std::to_string(hostPort));
  CHECK(inspect["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostIp"] == "127.0.0.1");
  // The pod's own address from the host (the bridge is the host's), and the published port.
  CHECK(eventually([&] {
    return httpGet(ip, 8080, "/index.html").find("hello-from-bridge") != std::string::npos;
  }));
  CHECK(eventually([&] {
    return httpGet("127.0.0.1", hostPort, "/index.html").find("hello-from-bridge") !=
           std::string::npos;
  }));
  REQUIRE(stopPod(*shim, pod).ok());
  CHECK_FALSE(sandboxStatus(*shim, pod).has_network());
  REQUIRE(removePod(*shim, pod).ok());
}

}  // namespace dockershim::e2e
