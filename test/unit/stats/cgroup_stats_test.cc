#include "stats/cgroup_stats.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "unit/temp_dir.h"

namespace dockershim::stats {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::writeFile;

void put(const TempDir& root, const std::string& rel, const std::string& text) {
  fs::create_directories(fs::path(root.file(rel)).parent_path());
  REQUIRE(writeFile(root.file(rel), text));
}

TEST_CASE("/proc/<pid>/cgroup: v1 controllers, named hierarchies and the v2 line", "[stats]") {
  auto m = parseProcCgroup(
      "12:pids:/docker/abc\n"
      "11:cpu,cpuacct:/docker/abc\n"
      "9:memory:/kubepods/pod1/abc\n"
      "1:name=systemd:/docker/abc\n"
      "0::/system.slice/docker-abc.scope\n"
      "garbage\n"
      "3:blkio:relative\n");
  CHECK(m["pids"] == "/docker/abc");
  CHECK(m["cpu"] == "/docker/abc");
  CHECK(m["cpuacct"] == "/docker/abc");
  CHECK(m["memory"] == "/kubepods/pod1/abc");
  CHECK(m["name=systemd"] == "/docker/abc");
  CHECK(m[""] == "/system.slice/docker-abc.scope");
  CHECK(m.count("blkio") == 0);
}

TEST_CASE("flat keyed files and memory limits", "[stats]") {
  auto m = parseFlatKeyed("cache 4096\nrss 8192\nbad line here\nnovalue\n total 1\n");
  CHECK(m.size() == 2);
  CHECK(m["cache"] == 4096);
  CHECK(m["rss"] == 8192);
  CHECK_FALSE(parseMemoryLimit("max\n"));
  CHECK_FALSE(parseMemoryLimit("9223372036854771712\n"));  // v1's "no limit"
  CHECK(parseMemoryLimit("268435456\n") == uint64_t{268435456});
  CHECK_FALSE(parseMemoryLimit("lots"));
}

TEST_CASE("cgroup v1: CPU, memory with working set and available, processes", "[stats]") {
  TempDir root;
  put(root, "cpuacct/docker/c1/cpuacct.usage", "123456789\n");
  put(root, "memory/docker/c1/memory.usage_in_bytes", "104857600\n");
  put(root, "memory/docker/c1/memory.limit_in_bytes", "209715200\n");
  put(root, "memory/docker/c1/memory.stat",
      "cache 10\nrss 1\ntotal_cache 41943040\ntotal_rss 52428800\ntotal_inactive_file 20971520\n"
      "total_pgfault 1000\ntotal_pgmajfault 7\n");
  put(root, "pids/docker/c1/pids.current", "3\n");
  auto cg = parseProcCgroup("4:pids:/docker/c1\n3:cpu,cpuacct:/docker/c1\n2:memory:/docker/c1\n");
  auto s = readCgroupSample(root.path(), CgroupVersion::kV1, cg);
  REQUIRE(s.isOk());
  REQUIRE(s->cpu);
  CHECK(s->cpu->usageNanos == 123456789);
  REQUIRE(s->memory);
  CHECK(s->memory->usage == 104857600);
  CHECK(s->memory->workingSet == 104857600 - 20971520);
  CHECK(s->memory->rss == 52428800);
  CHECK(s->memory->pageFaults == 1000);
  CHECK(s->memory->majorPageFaults == 7);
  CHECK(s->memory->limit == uint64_t{209715200});
  CHECK(s->memory->available == uint64_t{209715200 - (104857600 - 20971520)});
  CHECK(s->processes == uint64_t{3});
}

TEST_CASE("cgroup v2: cpu.stat in microseconds, memory.max, working set never negative",
          "[stats]") {
  TempDir root;
  put(root, "system.slice/docker-c2.scope/cpu.stat", "usage_usec 2500\nuser_usec 2000\n");
  put(root, "system.slice/docker-c2.scope/memory.current", "4096\n");
  put(root, "system.slice/docker-c2.scope/memory.max", "max\n");
  put(root, "system.slice/docker-c2.scope/memory.stat",
      "anon 1024\ninactive_file 8192\npgfault 5\npgmajfault 1\n");
  auto s = readCgroupSample(root.path(), CgroupVersion::kV2,
                            parseProcCgroup("0::/system.slice/docker-c2.scope\n"));
  REQUIRE(s.isOk());
  CHECK(s->cpu->usageNanos == 2500000);
  CHECK(s->memory->usage == 4096);
  CHECK(s->memory->workingSet == 0);  // inactive file above usage: clamped
  CHECK(s->memory->rss == 1024);
  CHECK_FALSE(s->memory->limit);
  CHECK_FALSE(s->memory->available);
  CHECK_FALSE(s->processes);  // no pids.current in this tree
}

TEST_CASE("a cgroup that is gone is NOT_FOUND", "[stats]") {
  TempDir root;
  auto v1 =
      readCgroupSample(root.path(), CgroupVersion::kV1, parseProcCgroup("2:memory:/docker/gone\n"));
  CHECK(v1.status().code() == Code::kNotFound);
  auto v2 = readCgroupSample(root.path(), CgroupVersion::kV2, {});
  CHECK(v2.status().code() == Code::kNotFound);
}

TEST_CASE("pod sums and nano-cores", "[stats]") {
  CgroupSample a, b;
  a.cpu = CpuUsage{100};
  a.memory = MemoryUsage{};
  a.memory->usage = 10;
  a.memory->workingSet = 8;
  a.memory->rss = 5;
  b.cpu = CpuUsage{50};
  b.processes = 2;
  auto t = sumSamples({a, b});
  CHECK(t.cpu->usageNanos == 150);
  CHECK(t.memory->workingSet == 8);
  CHECK(t.processes == uint64_t{2});
  CHECK(nanoCores(1'000'000'000, 1'500'000'000, 1'000'000'000) == 500'000'000);
  CHECK(nanoCores(5, 3, 100) == 0);
  CHECK(nanoCores(0, 10, 0) == 0);
}

TEST_CASE("/proc/<pid>/net/dev", "[stats]") {
  auto ifs = parseNetDev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:     100       2    0    0    0     0          0         0      100       2    0 "
      "   0    0     0       0          0\n"
      "  eth0: 5000  40  1  0  0  0  0  0  7000  50  3  0  0  0  0  0\n"
      "broken: 1 2 3\n");
  REQUIRE(ifs.size() == 2);
  CHECK(ifs[0] == InterfaceCounters{"lo", 100, 0, 100, 0});
  CHECK(ifs[1] == InterfaceCounters{"eth0", 5000, 1, 7000, 3});
}

}  // namespace
}  // namespace dockershim::stats
