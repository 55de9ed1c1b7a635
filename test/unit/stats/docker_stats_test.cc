#include "stats/docker_stats.h"

#include <catch2/catch.hpp>

namespace dockershim::stats {
namespace {

TEST_CASE("docker stats (cgroup v1 keys) as a sample", "[stats]") {
  auto s = sampleFromDockerStats(nlohmann::json::parse(R"({
    "cpu_stats": {"cpu_usage": {"total_usage": 123456789}},
    "memory_stats": {"usage": 10485760, "limit": 20971520,
                     "stats": {"total_inactive_file": 1048576, "total_rss": 8388608,
                               "total_pgfault": 50, "total_pgmajfault": 2}},
    "pids_stats": {"current": 4}})"));
  REQUIRE(s.isOk());
  REQUIRE(s->cpu);
  CHECK(s->cpu->usageNanos == 123456789);
  REQUIRE(s->memory);
  CHECK(s->memory->usage == 10485760);
  CHECK(s->memory->workingSet == 10485760 - 1048576);
  CHECK(s->memory->rss == 8388608);
  CHECK(s->memory->pageFaults == 50);
  CHECK(s->memory->majorPageFaults == 2);
  CHECK(s->memory->limit == uint64_t{20971520});
  CHECK(s->memory->available == uint64_t{20971520 - (10485760 - 1048576)});
  CHECK(s->processes == uint64_t{4});
}

TEST_CASE("docker stats (cgroup v2 keys); a stopped container's empty answer", "[stats]") {
  auto s = sampleFromDockerStats(nlohmann::json::parse(R"({
    "cpu_stats": {"cpu_usage": {"total_usage": 5}},
    "memory_stats": {"usage": 4096, "limit": 9223372036854771712,
                     "stats": {"inactive_file": 8192, "anon": 1024, "pgfault": 3}}})"));
  REQUIRE(s.isOk());
  CHECK(s->memory->workingSet == 0);  // never below zero
  CHECK(s->memory->rss == 1024);
  CHECK_FALSE(s->memory->limit);
  CHECK_FALSE(s->processes);
  auto stopped = sampleFromDockerStats(nlohmann::json::parse(
      R"({"cpu_stats": {"cpu_usage": {"total_usage": 0}}, "memory_stats": {}})"));
  CHECK(stopped.status().code() == Code::kNotFound);
  CHECK(sampleFromDockerStats(nlohmann::json::parse(R"([1, "x"])")).status().code() ==
        Code::kNotFound);
  CHECK(sampleFromDockerStats(
            nlohmann::json::parse(R"({"memory_stats": {"usage": -1}, "cpu_stats": "x"})"))
            .status()
            .code() == Code::kNotFound);
}

}  // namespace
}  // namespace dockershim::stats
