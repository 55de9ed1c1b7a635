#include "metrics_scrape.h"

#include <catch2/catch.hpp>

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
