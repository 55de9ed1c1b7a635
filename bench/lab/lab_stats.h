#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

// The overhead lab's statistics: percentiles of latencies and CPU cores from cumulative CPU time.
namespace dockershim::lab {

// Nearest-rank percentile: the smallest value with at least `p` (0..1) of all values at or
// below it; p = 0 is the minimum. 0 when there are none.
double percentile(std::vector<double> values, double p);

struct Summary {
  size_t count = 0;
  double min = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p95 = 0;
  double p99 = 0;
  double max = 0;
};
Summary summarize(std::vector<double> values);
nlohmann::json toJson(const Summary& s);

// Cores used between two readings of a cumulative CPU time taken `wallSeconds` apart; 0 when
// the interval is empty or the counter went back (a process was replaced).
double coresBetween(uint64_t cpuNanosBefore, uint64_t cpuNanosAfter, double wallSeconds);

// Milliseconds from `t` to now on the steady clock.
inline double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace dockershim::lab
