#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "dockershim/status.h"
#include "metrics/metrics.h"

namespace dockershim::metrics {

// The metrics endpoint (--metrics-bind-address): GET /metrics answers Prometheus text, GET
// /healthz 200 "ok" when `health` says so (Docker answers its ping) and 503 with the reason when
// not; the JSON routes added (GET /migrate/findings); anything else 404. One thread serves
// connections one at a time, each bounded to a few seconds (a scrape is a single short request; no
// keep-alive).
class HttpServer {
 public:
  HttpServer(std::string bindAddress, Metrics& metrics, std::function<Status()> health);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves GET `path` with `answer()` as application/json (before start()).
  void addJsonRoute(std::string path, std::function<std::string()> answer);

  Status start();
  void stop();
  // "http://127.0.0.1:10260" once started.
  const std::string& url() const { return url_; }

 private:
  void acceptLoop();
  void serve(int fd);

  std::string bindAddress_;
  Metrics& metrics_;
  std::function<Status()> health_;
  std::map<std::string, std::function<std::string()>> jsonRoutes_;
  int listenFd_ = -1;
  std::string url_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace dockershim::metrics
