#include "stats/proc_stat.h"

#include <unistd.h>

#include <catch2/catch.hpp>

namespace dockershim::stats {
namespace {

TEST_CASE("/proc/<pid>/stat with a name holding spaces and parentheses", "[stats]") {
  auto u = parseProcStat(
      "4242 (my (odd) daemon) S 1 4242 4242 0 -1 4194560 500 0 3 0 250 150 0 0 20 0 12 0 100 "
      "123456 789\n",
      100);
  REQUIRE(u);
  CHECK(u->name == "my (odd) daemon");
  CHECK(u->parentPid == 1);
  CHECK(u->cpuNanos == 400ull * 10'000'000ull);  // 250 + 150 ticks of 10 ms
  CHECK_FALSE(parseProcStat("garbage", 100));
  CHECK_FALSE(parseProcStat("1 (x) S 1 2", 100));
}

TEST_CASE("VmRSS from /proc/<pid>/status", "[stats]") {
  CHECK(parseVmRss("Name:\tx\nVmRSS:\t   2048 kB\nThreads: 3\n") == uint64_t{2048 * 1024});
  CHECK_FALSE(parseVmRss("Name:\tkthreadd\nThreads: 1\n"));
}

TEST_CASE("this process's own usage", "[stats]") {
  auto u = readProcessUsage(::getpid());
  REQUIRE(u.isOk());
  CHECK(u->rssBytes > 0);
  CHECK(u->parentPid == ::getppid());
  CHECK(readProcessUsage(-5).status().code() == Code::kNotFound);
}

}  // namespace
}  // namespace dockershim::stats
