#include "lab_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace dockershim::lab {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  p = std::clamp(p, 0.0, 1.0);
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[rank == 0 ? 0 : rank - 1];
}

Summary summarize(std::vector<double> values) {
  Summary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.count = values.size();
  s.min = values.front();
  s.max = values.back();
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(s.count);
  s.p50 = percentile(values, 0.50);
  s.p90 = percentile(values, 0.90);
  s.p95 = percentile(values, 0.95);
  s.p99 = percentile(values, 0.99);
  return s;
}

nlohmann::json toJson(const Summary& s) {
  return {{"count", s.count}, {"min", s.min}, {"mean", s.mean}, {"p50", s.p50},
          {"p90", s.p90},     {"p95", s.p95}, {"p99", s.p99},   {"max", s.max}};
}

double coresBetween(uint64_t cpuNanosBefore, uint64_t cpuNanosAfter, double wallSeconds) {
  if (wallSeconds <= 0 || cpuNanosAfter < cpuNanosBefore) return 0;
  return static_cast<double>(cpuNanosAfter - cpuNanosBefore) / 1e9 / wallSeconds;
}

}  // namespace dockershim::lab
