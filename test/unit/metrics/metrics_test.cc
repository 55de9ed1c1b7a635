#include "metrics/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "metrics/http_server.h"

namespace dockershim::metrics {
namespace {

bool has(const std::string& text, const std::string& line) {
  INFO(line);
  return text.find(line) != std::string::npos;
}

TEST_CASE("metrics: a call's time splits into Docker's, the plugins' and dockershim's own",
          "[metrics]") {
  Metrics m("9.9.9");
  m.observeRpc("RunPodSandbox", Code::kOk, 0.5, 0.25, 0.125);
  m.observeRpc("RunPodSandbox", Code::kOk, 0.5, 0.25, 0.0625);
  m.observeRpc("Version", Code::kOk, 0.001);
  std::string text = m.scrape();
  CHECK(has(text, "dockershim_cri_request_duration_seconds_sum{method=\"RunPodSandbox\"} 1\n"));
  CHECK(has(text, "dockershim_cri_request_docker_seconds_total{method=\"RunPodSandbox\"} 0.5\n"));
  CHECK(
      has(text, "dockershim_cri_request_network_seconds_total{method=\"RunPodSandbox\"} 0.1875\n"));
  CHECK(has(text, "dockershim_cri_request_docker_seconds_total{method=\"Version\"} 0\n"));
}

TEST_CASE("metrics: CRI calls, Docker operations and CNI operations are counted", "[metrics]") {
  Metrics m("9.9.9");
  m.observeRpc("ListContainers", Code::kOk, 0.0002);
  m.observeRpc("ListContainers", Code::kOk, 0.003);
  m.observeRpc("ContainerStatus", Code::kNotFound, 0.001);
  m.observeRpc("ContainerStatus", Code::kNotFound, 0.001);
  m.observeRpc("ContainerStatus", Code::kDeadlineExceeded, 2);
  m.observeDocker("inspect_container", Status::ok(), 0.002);
  m.observeDocker("inspect_container", Status(Code::kNotFound, "no such container"), 0.001);
  m.observeDocker("pull_image", Status(Code::kDeadlineExceeded, "slow"), 60);
  m.observeNetworkPlugin("set_up_pod", Status::ok(), 0.2);
  m.observeNetworkPlugin("tear_down_pod", Status(Code::kInternal, "plugin failed"), 0.1);
  std::string text = m.scrape();
  CHECK(has(text, "dockershim_cri_requests_total{method=\"ListContainers\"} 2"));
  CHECK(has(text, "dockershim_cri_requests_total{method=\"ContainerStatus\"} 3"));
  CHECK(has(text,
            "dockershim_cri_request_errors_total{code=\"NotFound\",method=\"ContainerStatus\"} 2"));
  CHECK(has(text,
            "dockershim_cri_request_errors_total{code=\"DeadlineExceeded\","
            "method=\"ContainerStatus\"} 1"));
  CHECK_FALSE(has(text,
                  "dockershim_cri_request_errors_total{code=\"NotFound\","
                  "method=\"ListContainers\"}"));
  // Histogram: the 0.5 ms bucket holds the 0.2 ms call, +Inf both.
  CHECK(has(text,
            "dockershim_cri_request_duration_seconds_bucket{method=\"ListContainers\","
            "le=\"0.0005\"} 1"));
  CHECK(has(text, "dockershim_cri_request_duration_seconds_count{method=\"ListContainers\"} 2"));
  CHECK(has(text, "dockershim_docker_operations_total{operation_type=\"inspect_container\"} 2"));
  CHECK(has(text,
            "dockershim_docker_operations_errors_total{operation_type=\"inspect_container\"} 1"));
  CHECK(has(text, "dockershim_docker_operations_timeout_total{operation_type=\"pull_image\"} 1"));
  CHECK(has(text,
            "dockershim_docker_operations_timeout_total{operation_type=\"inspect_container\"} 0"));
  CHECK(has(text, "dockershim_network_plugin_operations_total{operation_type=\"set_up_pod\"} 1"));
  CHECK(has(text,
            "dockershim_network_plugin_operations_errors_total{operation_type="
            "\"tear_down_pod\"} 1"));
  CHECK(has(text, "dockershim_build_info{version=\"9.9.9\"} 1"));
  CHECK(has(text, "# TYPE process_resident_memory_bytes gauge"));
  // What each call waited on: nothing here.
  CHECK(has(text, "dockershim_cri_request_docker_seconds_total{method=\"ListContainers\"} 0"));
  CHECK(has(text, "dockershim_cri_request_network_seconds_total{method=\"ListContainers\"} 0"));
  CHECK(has(text, "# TYPE process_cpu_seconds_total counter"));
  CHECK_FALSE(has(text, "process_resident_memory_bytes 0\n"));
  CHECK_FALSE(has(text, "process_start_time_seconds 0\n"));
}

// One request on a fresh connection; the whole answer.
std::string httpRequest(const std::string& url, const std::string& request) {
  auto colon = url.rfind(':');
  int port = std::stoi(url.substr(colon + 1));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

std::string get(const std::string& url, const std::string& path, const char* method = "GET") {
  return httpRequest(url, std::string(method) + " " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST_CASE("metrics endpoint: /metrics, /healthz by Docker's health, nothing else", "[metrics]") {
  Metrics m("1.0");
  m.observeRpc("Version", Code::kOk, 0.001);
  Status health = Status::ok();
  HttpServer server("127.0.0.1:0", m, [&] { return health; });
  REQUIRE(server.start().isOk());
  REQUIRE(server.url().rfind("http://127.0.0.1:", 0) == 0);

  auto metrics = get(server.url(), "/metrics");
  CHECK(metrics.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(has(metrics, "Content-Type: text/plain; version=0.0.4"));
  CHECK(has(metrics, "dockershim_cri_requests_total{method=\"Version\"} 1"));
  CHECK(has(get(server.url(), "/metrics?name=x"), "dockershim_build_info"));

  auto ok = get(server.url(), "/healthz");
  CHECK(ok.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(ok.substr(ok.size() - 3) == "ok\n");
  health = Status(Code::kUnavailable, "cannot connect to /run/docker.sock");
  auto down = get(server.url(), "/healthz");
  CHECK(down.rfind("HTTP/1.1 503 ", 0) == 0);
  CHECK(has(down, "docker: cannot connect to /run/docker.sock"));
  // HEAD: headers only.
  health = Status::ok();
  auto head = get(server.url(), "/healthz", "HEAD");
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");

  CHECK(get(server.url(), "/").rfind("HTTP/1.1 404 ", 0) == 0);
  CHECK(get(server.url(), "/metrics", "POST").rfind("HTTP/1.1 405 ", 0) == 0);
  CHECK(httpRequest(server.url(), "garbage\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0);
  CHECK(httpRequest(server.url(), "GET /" + std::string(9000, 'a')).rfind("HTTP/1.1 431 ", 0) == 0);
  // A client that sends nothing and goes away does not stop the server.
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(server.url().substr(17))));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
  }
  CHECK(get(server.url(), "/healthz").rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  server.stop();
}

TEST_CASE("metrics endpoint: a bad or taken address is refused", "[metrics]") {
  Metrics m("1.0");
  HttpServer bad("localhost", m, nullptr);
  CHECK(bad.start().code() == Code::kInvalidArgument);
  HttpServer first("127.0.0.1:0", m, nullptr);
  REQUIRE(first.start().isOk());
  HttpServer second("127.0.0.1:" + first.url().substr(17), m, nullptr);
  CHECK(second.start().code() == Code::kUnavailable);
}

}  // namespace
}  // namespace dockershim::metrics
