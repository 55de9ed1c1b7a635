#include "metrics_scrape.h"

#include <catch2/catch.hpp>

#include "workload.h"

namespace dockershim::lab {
namespace {

TEST_CASE("lab: Prometheus text parsed and summed", "[lab]") {
  auto s = parseExposition(
      "# HELP x y\n"
      "# TYPE dockershim_docker_operations_total counter\n"
      "dockershim_docker_operations_total{operation_type=\"list_containers\"} 5\n"
      "dockershim_docker_operations_total{operation_type=\"inspect_container\"} 7\r\n"
      "dockershim_docker_operations_total_extra 100\n"
      "dockershim_cri_request_duration_seconds_sum{method=\"ListContainers\"} 0.25\n"
      "dockershim_cri_request_duration_seconds_sum{method=\"ListContainerStats\"} 1.5\n"
      "labelled{a=\"with space\"} 3 1700000000000\n"
      "dockershim_build_info{version=\"0.1\"} 1\n"
      "broken_line_without_value\n"
      "bad_value{a=\"b\"} x\n");
  CHECK(s.size() == 7);
  CHECK(sumOf(s, "dockershim_docker_operations_total") == 12);
  CHECK(sumOf(s, "dockershim_docker_operations_total", "list_containers") == 5);
  CHECK(sumOf(s, "dockershim_cri_request_duration_seconds_sum", "method=\"ListContainers\"") ==
        0.25);
  CHECK(sumOf(s, "labelled") == 3);
  CHECK(sumOf(s, "dockershim_build_info") == 1);
  CHECK(sumOf(s, "absent") == 0);
}

TEST_CASE("lab: a metrics address that does not answer", "[lab]") {
  CHECK_FALSE(scrapeMetrics("127.0.0.1"));
  CHECK_FALSE(scrapeMetrics("127.0.0.1:0"));
  CHECK_FALSE(scrapeMetrics("localhost:80"));  // IPv4 literals only
  // Port 1 on loopback: nothing listens there.
  auto r = scrapeMetrics("127.0.0.1:1", std::chrono::milliseconds(500));
  CHECK_FALSE(r);
  CHECK_FALSE(isDockershimMetrics("127.0.0.1:1"));
}

}  // namespace
}  // namespace dockershim::lab

namespace dockershim::lab {
namespace {

TEST_CASE("lab: pod startup split into Docker's, the plugins' and dockershim's time", "[lab]") {
  auto before = parseExposition(
      "dockershim_cri_requests_total{method=\"RunPodSandbox\"} 10\n"
      "dockershim_cri_request_duration_seconds_sum{method=\"RunPodSandbox\"} 5\n"
      "dockershim_cri_request_docker_seconds_total{method=\"RunPodSandbox\"} 3\n"
      "dockershim_cri_request_network_seconds_total{method=\"RunPodSandbox\"} 1\n");
  auto after = parseExposition(
      "dockershim_cri_requests_total{method=\"RunPodSandbox\"} 14\n"
      "dockershim_cri_request_duration_seconds_sum{method=\"RunPodSandbox\"} 7\n"
      "dockershim_cri_request_docker_seconds_total{method=\"RunPodSandbox\"} 4.2\n"
      "dockershim_cri_request_network_seconds_total{method=\"RunPodSandbox\"} 1.6\n"
      "dockershim_cri_requests_total{method=\"CreateContainer\"} 4\n"
      "dockershim_cri_request_duration_seconds_sum{method=\"CreateContainer\"} 0.2\n"
      "dockershim_cri_request_docker_seconds_total{method=\"CreateContainer\"} 0.18\n"
      "dockershim_cri_request_network_seconds_total{method=\"CreateContainer\"} 0\n");
  auto share = startupShare(before, after);
  // 4 RunPodSandbox calls: 2 s, of which 1.2 in Docker and 0.6 in plugins.
  CHECK(share["RunPodSandbox"]["calls"] == 4);
  CHECK(share["RunPodSandbox"]["mean"].get<double>() == Approx(500));
  CHECK(share["RunPodSandbox"]["docker"].get<double>() == Approx(300));
  CHECK(share["RunPodSandbox"]["network"].get<double>() == Approx(150));
  CHECK(share["RunPodSandbox"]["dockershim"].get<double>() == Approx(50));
  CHECK(share["CreateContainer"]["dockershim"].get<double>() == Approx(5));
  CHECK_FALSE(share.contains("StartContainer"));  // none made
  CHECK(share["per_pod"]["dockershim"].get<double>() == Approx(55));
  CHECK(share["per_pod"]["docker"].get<double>() == Approx(345));
}

}  // namespace
}  // namespace dockershim::lab
