#include "stats/layer_sizes.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

namespace dockershim::stats {
namespace {

using namespace std::chrono_literals;

std::chrono::steady_clock::time_point soon() { return std::chrono::steady_clock::now() + 5s; }

TEST_CASE("layer sizes: measured once at first, then refreshed in the background", "[stats]") {
  LayerSizes sizes(50ms);
  std::atomic<uint64_t> bytes{100};
  std::atomic<int> calls{0};
  auto measure = [&]() -> Result<common::DiskUsage> {
    ++calls;
    return common::DiskUsage{bytes.load(), 3};
  };
  auto first = sizes.get("c1", measure, soon());
  REQUIRE(first);
  CHECK(first->usage.bytes == 100);
  CHECK(calls == 1);
  // Fresh: answered from memory.
  CHECK(sizes.get("c1", measure, soon())->usage.bytes == 100);
  CHECK(calls == 1);

  bytes = 200;
  std::this_thread::sleep_for(60ms);
  // Stale: the old value at once, a new measurement queued.
  CHECK(sizes.get("c1", measure, soon())->usage.bytes == 100);
  for (int i = 0; i < 200 && sizes.get("c1", measure, soon())->usage.bytes != 200; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(sizes.get("c1", measure, soon())->usage.bytes == 200);
  CHECK(sizes.measurements() >= 2);
}

TEST_CASE("layer sizes: a failed first measurement is no answer; forgotten ones start over",
          "[stats]") {
  LayerSizes sizes(1h);
  CHECK_FALSE(sizes.get(
      "gone", []() -> Result<common::DiskUsage> { return Status(Code::kNotFound, "no such dir"); },
      soon()));
  int calls = 0;
  auto measure = [&]() -> Result<common::DiskUsage> {
    ++calls;
    return common::DiskUsage{1, 1};
  };
  REQUIRE(sizes.get("c", measure, soon()));
  sizes.forgetAllBut({"other"});
  REQUIRE(sizes.get("c", measure, soon()));
  CHECK(calls == 2);
}

TEST_CASE("layer sizes: a slow first measurement does not hold the caller past its wait",
          "[stats]") {
  LayerSizes sizes(1h);
  std::atomic<bool> release{false};
  auto slow = [&]() -> Result<common::DiskUsage> {
    while (!release) std::this_thread::sleep_for(5ms);
    return common::DiskUsage{7, 1};
  };
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(sizes.get("slow", slow, std::chrono::steady_clock::now() + 100ms));
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  release = true;
  // Measured in the background meanwhile: the next caller has it.
  auto later = sizes.get("slow", slow, soon());
  REQUIRE(later);
  CHECK(later->usage.bytes == 7);
  // A measurement that throws is a failed one, not the daemon's end.
  CHECK_FALSE(sizes.get(
      "throws", []() -> Result<common::DiskUsage> { throw std::runtime_error("boom"); }, soon()));
}

}  // namespace
}  // namespace dockershim::stats
