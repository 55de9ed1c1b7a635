// The metrics endpoint end to end: a scrape parses as Prometheus text and its counts match the
// calls made; /healthz follows Docker's reachability.
#include <map>
#include <regex>
#include <sstream>
#include <thread>

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
  // The histogram's buckets add up: +Inf holds every observation.
  CHECK(value(after,
              "dockershim_cri_request_duration_seconds_bucket{method=\"ListContainers\","
              "le=\"+Inf\"}") ==
        value(after, "dockershim_cri_request_duration_seconds_count{method=\"ListContainers\"}"));
  CHECK(value(after, "process_resident_memory_bytes") > 1e6);
  CHECK(value(after, "process_cpu_seconds_total") > 0);
  CHECK(value(after, "process_open_fds") > 3);
  CHECK(value(after, "process_start_time_seconds") > 1.7e9);

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
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"inspect_image\"}") == 0);
  CHECK(delta("dockershim_docker_operations_total{operation_type=\"list_containers\"}") <= 1);

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
