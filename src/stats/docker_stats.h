#pragma once

#include <nlohmann/json.hpp>

#include "dockershim/status.h"
#include "stats/cgroup_stats.h"

namespace dockershim::stats {

// One answer of Docker's GET /containers/{id}/stats?stream=false as a sample: the fallback
// where the cgroup files cannot be read. Docker passes the cgroup's own memory.stat keys on:
// v1 names (total_inactive_file, total_rss, total_pgfault) or v2 names (inactive_file, anon,
// pgfault). NOT_FOUND when the answer carries no counters (a container that is not running).
Result<CgroupSample> sampleFromDockerStats(const nlohmann::json& stats);

}  // namespace dockershim::stats
