#include "cri/health_probe.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

namespace dockershim::cri {
namespace {

using namespace std::chrono_literals;

TEST_CASE("health probe: a recent ping is known without asking again", "[health]") {
  std::atomic<int> calls{0};
  std::atomic<bool> up{true};
  HealthProbe probe(
      [&](docker::Deadline) {
        ++calls;
        return up ? Status::ok() : Status(Code::kUnavailable, "connection refused");
      },
      100ms);
  CHECK_FALSE(probe.recent());  // nothing known yet
  CHECK(probe.pingNow(docker::deadlineIn(1s)).isOk());
  REQUIRE(probe.recent());
  CHECK(probe.recent()->isOk());
  CHECK(calls == 1);
  up = false;
  CHECK(probe.pingNow(docker::deadlineIn(1s)).code() == Code::kUnavailable);
  CHECK(probe.recent()->code() == Code::kUnavailable);
  // Older than two intervals: unknown again.
  std::this_thread::sleep_for(250ms);
  CHECK_FALSE(probe.recent());
  CHECK(probe.pings() == 2);
}

TEST_CASE("health probe: pings in the background until destroyed", "[health]") {
  std::atomic<int> calls{0};
  {
    HealthProbe probe(
        [&](docker::Deadline) {
          ++calls;
          return Status::ok();
        },
        20ms);
    probe.start();
    auto until = docker::Clock::now() + 5s;
    while (calls < 3 && docker::Clock::now() < until) std::this_thread::sleep_for(5ms);
    CHECK(calls >= 3);
    CHECK(probe.recent());
  }
  int after = calls;
  std::this_thread::sleep_for(60ms);
  CHECK(calls == after);  // the thread ended with the probe
}

TEST_CASE("health probe: of two overlapping pings the one begun last counts", "[health]") {
  std::atomic<bool> slowStarted{false}, release{false};
  HealthProbe probe(
      [&](docker::Deadline deadline) {
        if (deadline - docker::Clock::now() > 10s) {  // the slow one: a frozen Docker
          slowStarted = true;
          while (!release) std::this_thread::sleep_for(1ms);
          return Status(Code::kDeadlineExceeded, "ping timed out");
        }
        return Status::ok();
      },
      1h);
  std::thread slow([&] { (void)probe.pingNow(docker::deadlineIn(60s)); });
  while (!slowStarted) std::this_thread::sleep_for(1ms);
  CHECK(probe.pingNow(docker::deadlineIn(1s)).isOk());
  release = true;
  slow.join();
  REQUIRE(probe.recent());
  CHECK(probe.recent()->isOk());
  CHECK(probe.pings() == 2);
}

}  // namespace
}  // namespace dockershim::cri
