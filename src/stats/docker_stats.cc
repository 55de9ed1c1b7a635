#include "stats/docker_stats.h"

#include "common/json_util.h"

namespace dockershim::stats {

namespace {

std::optional<uint64_t> unsignedField(const nlohmann::json& obj, std::string_view key) {
  const auto& v = common::jsonMember(obj, key);
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

// The first of `keys` present in a memory.stat map.
uint64_t firstOf(const nlohmann::json& stat, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    if (auto v = unsignedField(stat, key)) return *v;
  }
  return 0;
}

}  // namespace

Result<CgroupSample> sampleFromDockerStats(const nlohmann::json& stats) {
  CgroupSample sample;
  const auto& cpu = common::jsonMember(common::jsonMember(stats, "cpu_stats"), "cpu_usage");
  if (auto total = unsignedField(cpu, "total_usage"); total && *total > 0) {
    sample.cpu = CpuUsage{*total};
  }
  const auto& memory = common::jsonMember(stats, "memory_stats");
  if (auto usage = unsignedField(memory, "usage")) {
    const auto& stat = common::jsonMember(memory, "stats");
    MemoryUsage m;
    m.usage = *usage;
    uint64_t inactive = firstOf(stat, {"total_inactive_file", "inactive_file"});
    m.workingSet = m.usage > inactive ? m.usage - inactive : 0;
    m.rss = firstOf(stat, {"total_rss", "anon", "rss"});
    m.pageFaults = firstOf(stat, {"total_pgfault", "pgfault"});
    m.majorPageFaults = firstOf(stat, {"total_pgmajfault", "pgmajfault"});
    // Docker fills in the host's memory for a container without a limit (so available is then
    // what the node has left, as cAdvisor reports it); v1's "unlimited" marker means none.
    if (auto limit = unsignedField(memory, "limit"); limit && *limit < (uint64_t{1} << 62)) {
      m.limit = limit;
      m.available = *limit > m.workingSet ? *limit - m.workingSet : 0;
    }
    sample.memory = m;
  }
  if (auto pids = unsignedField(common::jsonMember(stats, "pids_stats"), "current")) {
    sample.processes = pids;
  }
  if (!sample.cpu && !sample.memory) {
    return Status(Code::kNotFound, "docker reports no counters for the container");
  }
  return sample;
}

}  // namespace dockershim::stats
