#include "stats/layer_sizes.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

namespace dockershim::stats {
namespace {

using namespace std::chrono_literals;

TEST_CASE("layer sizes: measured once at first, then refreshed in the background", "[stats]") {
  LayerSizes sizes(50ms);
  std::atomic<uint64_t> bytes{100};
  std::atomic<int> calls{0};
  auto measure = [&]() -> Result<common::DiskUsage> {
    ++calls;
    return common::DiskUsage{bytes.load(), 3};
  };
  auto first = sizes.get("c1", measure);
  REQUIRE(first);
  CHECK(first->usage.bytes == 100);
  CHECK(calls == 1);
  // Fresh: answered from memory.
  CHECK(sizes.get("c1", measure)->usage.bytes == 100);
  CHECK(calls == 1);

  bytes = 200;
  std::this_thread::sleep_for(60ms);
  // Stale: the old value at once, a new measurement queued.
  CHECK(sizes.get("c1", measure)->usage.bytes == 100);
  for (int i = 0; i < 200 && sizes.get("c1", measure)->usage.bytes != 200; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(sizes.get("c1", measure)->usage.bytes == 200);
  CHECK(sizes.measurements() >= 2);
}

TEST_CASE("layer sizes: a failed first measurement is no answer; forgotten ones start over",
          "[stats]") {
  LayerSizes sizes(1h);
  CHECK_FALSE(sizes.get("gone", []() -> Result<common::DiskUsage> {
    return Status(Code::kNotFound, "no such dir");
  }));
  int calls = 0;
  auto measure = [&]() -> Result<common::DiskUsage> {
    ++calls;
    return common::DiskUsage{1, 1};
  };
  REQUIRE(sizes.get("c", measure));
  sizes.forgetAllBut({"other"});
  REQUIRE(sizes.get("c", measure));
  CHECK(calls == 2);
}

}  // namespace
}  // namespace dockershim::stats
