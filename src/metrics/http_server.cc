#include "metrics/http_server.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/tcp_listen.h"

namespace dockershim::metrics {

namespace {

constexpr auto kConnectionBudget = std::chrono::seconds(5);
constexpr size_t kMaxRequestHead = 8192;

std::string response(int code, std::string_view reason, std::string_view contentType,
                     std::string_view body, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  out += "Content-Type: " + std::string(contentType) + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  if (!head) out += body;
  return out;
}

// Writes all of `data` before the deadline (the socket is non-blocking-free: poll bounds it).
void writeAll(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline) {
  while (!data.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

HttpServer::HttpServer(std::string bindAddress, Metrics& metrics, std::function<Status()> health)
    : bindAddress_(std::move(bindAddress)), metrics_(metrics), health_(std::move(health)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  auto listener = common::listenTcp(bindAddress_, "metrics bind address");
  if (!listener) return listener.status();
  listenFd_ = listener->fd;
  url_ = "http://" + listener->urlHost + ":" + std::to_string(listener->port);
  thread_ = std::thread([this] { acceptLoop(); });
  spdlog::info("metrics on {}/metrics, health on {}/healthz", url_, url_);
  return Status::ok();
}

void HttpServer::addJsonRoute(std::string path, std::function<std::string()> answer) {
  jsonRoutes_[std::move(path)] = std::move(answer);
}

void HttpServer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listenFd_ >= 0) ::close(listenFd_);
  listenFd_ = -1;
}

void HttpServer::acceptLoop() {
  while (!stopping_) {
    pollfd p{listenFd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
        spdlog::warn("metrics server: accept: {}", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // EMFILE: do not spin
      }
      continue;
    }
    try {
      serve(fd);
    } catch (const std::exception& e) {
      spdlog::warn("metrics server: {}", e.what());
    }
    ::close(fd);
  }
}

void HttpServer::serve(int fd) {
  auto deadline = std::chrono::steady_clock::now() + kConnectionBudget;
  std::string head;
  char buf[2048];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > kMaxRequestHead) {
      writeAll(fd, response(431, "Request Header Fields Too Large", "text/plain", "", false),
               deadline);
      return;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  // "GET /metrics?x HTTP/1.1"
  std::string line = head.substr(0, head.find("\r\n"));
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) {
    writeAll(fd, response(400, "Bad Request", "text/plain", "bad request line\n", false), deadline);
    return;
  }
  std::string method = line.substr(0, sp1);
  std::string path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  bool headOnly = method == "HEAD";
  if (method != "GET" && !headOnly) {
    writeAll(fd, response(405, "Method Not Allowed", "text/plain", "GET only\n", false), deadline);
    return;
  }
  if (path == "/metrics") {
    writeAll(fd,
             response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", metrics_.scrape(),
                      headOnly),
             deadline);
  } else if (path == "/healthz") {
    Status health = health_ ? health_() : Status::ok();
    if (health) {
      writeAll(fd, response(200, "OK", "text/plain", "ok\n", headOnly), deadline);
    } else {
      writeAll(fd,
               response(503, "Service Unavailable", "text/plain",
                        "docker: " + health.message() + "\n", headOnly),
               deadline);
    }
  } else if (auto route = jsonRoutes_.find(path); route != jsonRoutes_.end()) {
    writeAll(fd, response(200, "OK", "application/json", route->second(), headOnly), deadline);
  } else {
    writeAll(fd, response(404, "Not Found", "text/plain", "not found\n", headOnly), deadline);
  }
}

}  // namespace dockershim::metrics
