#include "cri/health_probe.h"

namespace dockershim::cri {

HealthProbe::HealthProbe(Ping ping, std::chrono::milliseconds interval)
    : ping_(std::move(ping)), interval_(interval) {}

HealthProbe::~HealthProbe() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthProbe::start() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable() && !stopping_) thread_ = std::thread([this] { loop(); });
}

std::optional<Status> HealthProbe::recent() const {
  std::lock_guard lock(mu_);
  if (!last_ || docker::Clock::now() - lastAt_ > 2 * interval_) return std::nullopt;
  return last_;
}

Status HealthProbe::pingNow(docker::Deadline deadline) {
  auto startedAt = docker::Clock::now();
  Status outcome = ping_(deadline);
  record(outcome, startedAt);
  return outcome;
}

uint64_t HealthProbe::pings() const {
  std::lock_guard lock(mu_);
  return pings_;
}

void HealthProbe::record(const Status& outcome, docker::Clock::time_point startedAt) {
  std::lock_guard lock(mu_);
  ++pings_;
  // Pings overlap (a slow one in the background, one on a call): the one begun last counts.
  if (last_ && startedAt < lastAt_) return;
  last_ = outcome;
  lastAt_ = startedAt;
}

void HealthProbe::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    // One interval at most: a frozen Docker is known as such by the next round.
    (void)pingNow(docker::Clock::now() + interval_);
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace dockershim::cri
