// The metrics endpoint end to end: a scrape parses as Prometheus text and its counts match the
// calls made; /healthz follows Docker's reachability.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/cni_env.h"
#include "e2e/pod_util.h"
#include "e2e/process.h"
#include "e2e/unix_proxy.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

// Every sample of a Prometheus text exposition: "name{labels}" -> value. Fails on a line that
// is neither a comment nor "series value".
std::map<std::string, double> parseExposition(const std::string& response) {
  auto body = response.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  std::istringstream lines(response.substr(body + 4));
  std::map<std::string, double> out;
  std::string line;
  std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (\S+)$)");
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    INFO(line);
    REQUIRE(std::regex_match(line, m, sample));
    out[m[1]] = std::stod(m[3]);
  }
  return out;
}

std::map<std::string, double> scrape(int port) {
  std::string response = httpGet("127.0.0.1", port, "/metrics");
  REQUIRE(response.rfind("HTTP/1.1 200 OK", 0) == 0);
  return parseExposition(response);
}

double value(const std::map<std::string, double>& samples, const std::string& series) {
  auto it = samples.find(series);
  return it == samples.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("metrics: a scrape parses and its counts match the calls made", "[metrics]") {
  auto& bed = TestBed::get();
  // Without the state cache every list is Docker's (with it, see cache_test.cc).
  auto shim = bed.startShim({"--state-cache=false"}, "metrics");
  // Startup work (listing containers to resume logs) is done before counting.
  REQUIRE(waitForLog(*shim, "startup work done"));
  int port = metricsPort(*shim);
  auto before = scrape(port);

  for (int i = 0; i < 5; ++i) listContainers(*shim);
  for (int i = 0; i < 2; ++i) {
    v1::ContainerStatusRequest req;
    req.set_container_id("0badc0ffee0badc0ffee");
    v1::ContainerStatusResponse resp;
    Ctx ctx;
    CHECK(shim->runtime->ContainerStatus(&ctx, req, &resp).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  auto config = podConfig("metrics");
  std::string podId = runPod(*shim, config);
  cleanupPod(*shim, podId);

  auto after = scrape(port);
  auto delta = [&](const std::string& series) {
    return value(after, series) - value(before, series);
  };
  CHECK(delta("dockershim_cri_requests_total{method=\"ListContainers\"}") == 5);
  CHECK(delta("dockershim_cri_request_duration_seconds_count{method=\"ListContainers\"}") == 5);
  CHECK(delta("dockershim_cri_requests_total{method=\"ContainerStatus\"}") == 2);
  CHECK(
      delta("dockershim_cri_request_errors_total{code=\"NotFound\",method=\"ContainerStatus\"}") ==
      2);
  CHECK(delta("dockershim_cri_request_errors_total{code=\"NotFound\",method=\"ListContainers\"}") ==
        0);
  CHECK(delta("dockershim_cri_requests_total{method=\"RunPodSandbox\"}") == 1);
  CHECK(delta("dockershim_cri_requests_total{method=\"StopPodSandbox\"}") == 1);
  CHECK(delta("dockershim_cri_requests_total{method=\"RemovePodSandbox\"}") == 1);
  // Docker: one list per ListContainers (plus those cleanupPod's calls made: it lists the pod's
  // containers once), one inspect per ContainerStatus that failed on Docker's side.
  double lists = delta("dockershim_docker_operations_total{operation_type=\"list_containers\"}");
  CHECK(lists >= 5);
  CHECK(lists <= 7);
  CHECK(delta("dockershim_docker_operations_errors_total{operation_type=\"inspect_container\"}") >=
        2);
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"create_container\"}") == 1);
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"start_container\"}") == 1);
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"remove_container\"}") == 1);
  CHECK(delta("dockershim_docker_operations_duration_seconds_count{operation_type=\""
              "create_container\"}") == 1);
  // RunPodSandbox's time: most of it Docker's (create, start, inspect), none of it a plugin's
  // (no CNI here), the rest dockershim's own.
  double runTotal = delta("dockershim_cri_request_duration_seconds_sum{method=\"RunPodSandbox\"}");
  double runDocker = delta("dockershim_cri_request_docker_seconds_total{method=\"RunPodSandbox\"}");
  CHECK(runDocker > 0);
  CHECK(runDocker <= runTotal);
  CHECK(delta("dockershim_cri_request_network_seconds_total{method=\"RunPodSandbox\"}") == 0);
  CHECK(delta("dockershim_cri_request_docker_seconds_total{method=\"ListContainers\"}") > 0);
  // The histogram's buckets add up: +Inf holds every observation.
  CHECK(value(after,
              "dockershim_cri_request_duration_seconds_bucket{method=\"ListContainers\","
              "le=\"+Inf\"}") ==
        value(after, "dockershim_cri_request_duration_seconds_count{method=\"ListContainers\"}"));
  CHECK(value(after, "process_resident_memory_bytes") > 1e6);
  CHECK(value(after, "process_cpu_seconds_total") > 0);
  CHECK(value(after, "process_open_fds") > 3);
  CHECK(value(after, "process_start_time_seconds") > 1.7e9);
  // What the heap holds, a part of what the process maps (code alone is several MiB).
  double heapInUse = value(after, "dockershim_heap_bytes{state=\"in_use\"}");
  CHECK(heapInUse > 100e3);
  CHECK(heapInUse < value(after, "process_resident_memory_bytes"));
  CHECK(after.count("dockershim_heap_bytes{state=\"free\"}") == 1);

  std::string health = httpGet("127.0.0.1", port, "/healthz");
  CHECK(health.rfind("HTTP/1.1 200 OK", 0) == 0);
}

TEST_CASE("metrics: /healthz fails while Docker cannot be reached; 0 disables the endpoint",
          "[metrics]") {
  auto& bed = TestBed::get();
  auto shim = bed.startShim({"--docker-endpoint=unix://" + bed.dir() + "/no-docker.sock"},
                            "metrics-nodocker", false);
  int port = metricsPort(*shim);
  std::string health = httpGet("127.0.0.1", port, "/healthz");
  CHECK(health.rfind("HTTP/1.1 503 ", 0) == 0);
  CHECK(health.find("docker: ") != std::string::npos);
  // Metrics still answer.
  CHECK(httpGet("127.0.0.1", port, "/metrics").rfind("HTTP/1.1 200 OK", 0) == 0);

  auto off = bed.startShim({"--metrics-bind-address=0"}, "metrics-off");
  CHECK(readFile(off->log).find("metrics on ") == std::string::npos);
  listContainers(*off);  // it serves CRI all the same
}

TEST_CASE("state cache: lists, statuses and stats ask Docker nothing once synced",
          "[metrics][cache]") {
  auto& bed = TestBed::get();
  auto shim = bed.startShim({}, "metrics-cache");  // the state cache is on by default
  REQUIRE(waitForEventStream(*shim));
  int port = metricsPort(*shim);
  auto config = podConfig("metrics-cache");
  std::string podId = runPod(*shim, config);
  std::string id = startContainer(*shim, podId, config, containerConfig("sleeper"));

  auto round = [&] {
    CHECK(listContainers(*shim).size() >= 1);
    CHECK(listPods(*shim).size() >= 1);
    CHECK(containerStatus(*shim, id).state() == v1::CONTAINER_RUNNING);
    v1::PodSandboxStatusResponse pod;
    CHECK(podStatus(*shim, podId, &pod, false).ok());
    CHECK(pod.status().state() == v1::SANDBOX_READY);
    Ctx ctx;
    v1::ListContainerStatsRequest statsReq;
    v1::ListContainerStatsResponse statsResp;
    CHECK(shim->runtime->ListContainerStats(&ctx, statsReq, &statsResp).ok());
    Ctx ctx2;
    v1::ContainerStatsRequest oneReq;
    oneReq.set_container_id(id);
    v1::ContainerStatsResponse oneResp;
    CHECK(shim->runtime->ContainerStats(&ctx2, oneReq, &oneResp).ok());
    // Docker's health from the background ping, images from the list kept since the last
    // image change.
    Ctx ctx3;
    v1::StatusResponse status;
    CHECK(shim->runtime->Status(&ctx3, v1::StatusRequest(), &status).ok());
    CHECK(status.status().conditions(0).status());
    CHECK(imageStatus(*shim, "busybox").has_image());
    CHECK_FALSE(imageStatus(*shim, "busybox:nosuchtag").has_image());
    CHECK(listImages(*shim).size() >= 2);
    CHECK(listImages(*shim, "busybox").size() == 1);
  };
  // The first round learns the image; the events of the start are heard by now.
  round();
  std::this_thread::sleep_for(1s);
  auto before = scrape(port);
  for (int i = 0; i < 5; ++i) round();
  auto after = scrape(port);
  auto delta = [&](const std::string& series) {
    return value(after, series) - value(before, series);
  };
  CHECK(delta("dockershim_cri_requests_total{method=\"ContainerStatus\"}") == 5);
  CHECK(delta("dockershim_cri_requests_total{method=\"ListContainerStats\"}") == 5);
  // 30 calls, no inspect; at most the state cache's own periodic full list.
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"inspect_container\"}") == 0);
  // A present image from memory; an absent one is Docker's to say (it may be new), once each.
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"inspect_image\"}") == 5);
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"list_containers\"}") <= 1);
  CHECK(delta("dockershim_cri_requests_total{method=\"Status\"}") == 5);
  CHECK(delta("dockershim_cri_requests_total{method=\"ImageStatus\"}") == 10);
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"list_images\"}") == 0);
  // The background ping, every 2 s, and nothing per call.
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"ping\"}") <= 2);
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"info\"}") <= 1);

  cleanupPod(*shim, podId);
}

TEST_CASE("state cache: Version asks Docker once per event stream, and fails while Docker is away",
          "[metrics][cache]") {
  auto& bed = TestBed::get();
  UnixProxy proxy(bed.dir() + "/version-proxy.sock", bed.dockerSocket());
  auto shim = bed.startShim({"--docker-endpoint=unix://" + proxy.path()}, "metrics-version");
  REQUIRE(waitForEventStream(*shim));
  int port = metricsPort(*shim);
  const std::string asked = "dockershim_docker_operations_total{operation_type=\"version\"}";
  auto version = [&](v1::VersionResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    v1::VersionRequest req;
    return shim->runtime->Version(&ctx, req, resp);
  };
  // Until the cache syncs (a full list after the stream opened), Version asks Docker; then two
  // calls in a row leave the count alone.
  auto settle = [&] {
    double last = -1;
    for (int i = 0; i < 100; ++i) {
      v1::VersionResponse resp;
      if (version(&resp).ok()) {
        double now = value(scrape(port), asked);
        if (now == last) return now;
        last = now;
      }
      std::this_thread::sleep_for(50ms);
    }
    FAIL("Version kept asking Docker");
    return last;
  };

  double before = settle();
  CHECK(before >= 1);
  v1::VersionResponse first;
  REQUIRE(version(&first).ok());
  CHECK(first.runtime_name() == "docker");
  CHECK(first.runtime_version() == bed.docker().versionInfo().version);
  CHECK(first.runtime_api_version() == bed.docker().versionInfo().apiVersion + ".0");
  for (int i = 0; i < 10; ++i) {
    v1::VersionResponse resp;
    REQUIRE(version(&resp).ok());
    CHECK(resp.runtime_version() == first.runtime_version());
    CHECK(resp.runtime_api_version() == first.runtime_api_version());
  }
  CHECK(value(scrape(port), asked) == before);  // all eleven from memory

  // Docker unreachable: the stream ends, and Version says so instead of answering from memory.
  proxy.cut(3s);
  grpc::Status away;
  for (int i = 0; i < 40 && away.ok(); ++i) {
    v1::VersionResponse resp;
    away = version(&resp);
    if (away.ok()) std::this_thread::sleep_for(50ms);
  }
  CHECK(away.error_code() == grpc::StatusCode::UNAVAILABLE);

  // Back: Docker is asked again, then memory serves.
  REQUIRE(waitForEventStream(*shim, 2));
  double reconnected = settle();
  CHECK(reconnected > before);
  v1::VersionResponse again;
  REQUIRE(version(&again).ok());
  CHECK(again.runtime_version() == first.runtime_version());
  for (int i = 0; i < 5; ++i) {
    v1::VersionResponse resp;
    REQUIRE(version(&resp).ok());
  }
  CHECK(value(scrape(port), asked) == reconnected);
}

TEST_CASE("metrics: every series the Grafana dashboard queries is in a live scrape",
          "[metrics][cni]") {
  std::ifstream file(std::string(E2E_SOURCE_DIR) + "/../../packaging/grafana/dockershim.json");
  REQUIRE(file);
  auto dashboard = nlohmann::json::parse(file);
  std::vector<std::string> exprs;
  for (const auto& panel : dashboard["panels"]) {
    if (!panel.contains("targets")) continue;
    for (const auto& target : panel["targets"]) exprs.push_back(target["expr"]);
  }
  REQUIRE(exprs.size() >= 15);

  // A node's usual traffic: pods with CNI, their containers, a call that fails.
  CniEnv env("grafana");
  env.writeConf("10-net.conflist", env.conflist());
  Shim& shim = env.start();
  REQUIRE(waitForEventStream(shim));
  auto config = podConfig("grafana");
  std::string pod = runPod(shim, config);
  startContainer(shim, pod, config, containerConfig("app"));
  v1::ContainerStatusRequest missing;
  missing.set_container_id("0badc0ffee0badc0ffee");
  v1::ContainerStatusResponse resp;
  Ctx ctx;
  CHECK(shim.runtime->ContainerStatus(&ctx, missing, &resp).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  cleanupPod(shim, pod);
  auto samples = scrape(metricsPort(shim));

  // series name -> the label names its samples carry
  std::map<std::string, std::set<std::string>> series;
  std::regex labelName(R"(([a-zA-Z_]+)=")");
  for (const auto& [key, value] : samples) {
    auto brace = key.find('{');
    auto& labels = series[key.substr(0, brace)];
    if (brace == std::string::npos) continue;
    std::string rest = key.substr(brace);
    for (std::sregex_iterator it(rest.begin(), rest.end(), labelName), end; it != end; ++it) {
      labels.insert((*it)[1]);
    }
  }
  std::regex metric(R"(\b((dockershim|process)_[a-z_]+)\b)");
  std::regex byLabels(R"(by \(([a-z_, ]+)\))");
  int checked = 0;
  for (const auto& expr : exprs) {
    INFO("expr: " << expr);
    std::set<std::string> labelsHere;
    for (std::sregex_iterator it(expr.begin(), expr.end(), metric), end; it != end; ++it) {
      std::string name = (*it)[1];
      INFO("metric " << name);
      CHECK(series.count(name) == 1);
      if (series.count(name)) labelsHere.insert(series[name].begin(), series[name].end());
      ++checked;
    }
    // What the panel groups by is a label those series have.
    for (std::sregex_iterator it(expr.begin(), expr.end(), byLabels), end; it != end; ++it) {
      std::string list = (*it)[1];
      std::regex word(R"([a-z_]+)");
      for (std::sregex_iterator w(list.begin(), list.end(), word), wend; w != wend; ++w) {
        std::string label = (*w)[0];
        if (label == "le") continue;
        INFO("grouped by " << label);
        CHECK(labelsHere.count(label) == 1);
      }
    }
  }
  CHECK(checked >= 20);
}
