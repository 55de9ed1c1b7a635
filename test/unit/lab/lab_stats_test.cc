#include "lab_stats.h"

#include <catch2/catch.hpp>

namespace dockershim::lab {
namespace {

TEST_CASE("lab: nearest-rank percentiles", "[lab]") {
  std::vector<double> v = {15, 20, 35, 40, 50};
  CHECK(percentile(v, 0.0) == 15);
  CHECK(percentile(v, 0.05) == 15);
  CHECK(percentile(v, 0.30) == 20);
  CHECK(percentile(v, 0.40) == 20);
  CHECK(percentile(v, 0.50) == 35);
  CHECK(percentile(v, 1.0) == 50);
  CHECK(percentile({}, 0.5) == 0);
  // Order of the input does not matter.
  CHECK(percentile({50, 15, 40, 20, 35}, 0.5) == 35);
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);
  CHECK(percentile(hundred, 0.99) == 99);
  CHECK(percentile(hundred, 0.90) == 90);
}

TEST_CASE("lab: summaries", "[lab]") {
  auto s = summarize({4, 1, 3, 2});
  CHECK(s.count == 4);
  CHECK(s.min == 1);
  CHECK(s.max == 4);
  CHECK(s.mean == Approx(2.5));
  CHECK(s.p50 == 2);
  CHECK(s.p99 == 4);
  auto j = toJson(s);
  CHECK(j["p50"] == 2);
  CHECK(j["count"] == 4);
  CHECK(summarize({}).count == 0);
}

TEST_CASE("lab: cores from cumulative CPU time", "[lab]") {
  // 1.5 s of CPU in 2 s of wall time: three quarters of a core.
  CHECK(coresBetween(1'000'000'000, 2'500'000'000, 2.0) == Approx(0.75));
  CHECK(coresBetween(5, 5, 1.0) == 0);
  CHECK(coresBetween(10, 5, 1.0) == 0);  // went back: a replaced process
  CHECK(coresBetween(0, 100, 0) == 0);
}

}  // namespace
}  // namespace dockershim::lab
