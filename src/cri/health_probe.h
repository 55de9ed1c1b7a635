#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "dockershim/docker_client.h"
#include "dockershim/status.h"

// Docker's health as Status reports it, known without a Docker round trip per call: a ping
// taken in the background every `interval` (and any ping a caller took itself). Status answers
// from a recent good ping while Docker's event stream is up; when the last ping failed, is old,
// or the stream broke, it pings on the call, so a Docker that is back is seen at once.
namespace dockershim::cri {

class HealthProbe {
 public:
  using Ping = std::function<Status(docker::Deadline)>;
  HealthProbe(Ping ping, std::chrono::milliseconds interval);
  ~HealthProbe();
  HealthProbe(const HealthProbe&) = delete;
  HealthProbe& operator=(const HealthProbe&) = delete;

  void start();
  // The last ping's outcome when it was taken less than two intervals ago.
  std::optional<Status> recent() const;
  // Pings now (bounded by `deadline`) and keeps the outcome.
  Status pingNow(docker::Deadline deadline);
  // Pings taken so far, in the background or on calls (tests, metrics).
  uint64_t pings() const;

 private:
  void record(const Status& outcome, docker::Clock::time_point startedAt);
  void loop();

  Ping ping_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<Status> last_;
  docker::Clock::time_point lastAt_{};  // when the kept ping began
  uint64_t pings_ = 0;
  std::thread thread_;
};

}  // namespace dockershim::cri
