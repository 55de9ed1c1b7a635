#include "stats/sampler.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "unit/temp_dir.h"

namespace dockershim::stats {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using namespace std::chrono_literals;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

void put(const TempDir& root, const std::string& rel, const std::string& text) {
  fs::create_directories(fs::path(root.file(rel)).parent_path());
  REQUIRE(test::writeFile(root.file(rel), text));
}

TEST_CASE("a cgroup path names a container by its last component only", "[stats]") {
  CHECK(cgroupNamesContainer("/docker/" + kId, kId));
  CHECK(cgroupNamesContainer("/kubepods/burstable/pod1/" + kId, kId));
  CHECK(cgroupNamesContainer("/system.slice/docker-" + kId + ".scope", kId));
  CHECK_FALSE(cgroupNamesContainer("/docker/" + kId + "/child", kId));
  CHECK_FALSE(cgroupNamesContainer("/docker/other", kId));
  CHECK_FALSE(cgroupNamesContainer("/", kId));
  CHECK_FALSE(cgroupNamesContainer("/docker/", ""));
  CHECK(containerCgroup("/system.slice/docker-" + kId + ".scope/init.scope", kId) ==
        "/system.slice/docker-" + kId + ".scope");
  CHECK(containerCgroup("/docker/" + kId, kId) == "/docker/" + kId);
  CHECK_FALSE(containerCgroup("/docker/other/init", kId));
  CHECK_FALSE(containerCgroup("/", kId));
}

TEST_CASE("a main process in a child cgroup is measured at the container's cgroup", "[stats]") {
  TempDir cg, proc;
  put(cg, "memory/docker/" + kId + "/memory.usage_in_bytes", "2097152\n");
  put(cg, "memory/docker/" + kId + "/init/memory.usage_in_bytes", "4096\n");
  put(proc, "9/cgroup", "4:memory:/docker/" + kId + "/init\n");
  Sampler sampler({cg.path(), proc.path()});
  auto s = sampler.container(kId, 9);
  REQUIRE(s.isOk());
  CHECK(s->memory->usage == 2097152);
}

TEST_CASE("the sampler trusts a pid only while it is in the container's cgroup", "[stats]") {
  TempDir cg, proc;
  put(cg, "memory/docker/" + kId + "/memory.usage_in_bytes", "1048576\n");
  put(cg, "memory/docker/" + kId + "/memory.stat", "total_inactive_file 4096\n");
  put(cg, "cpuacct/docker/" + kId + "/cpuacct.usage", "5000\n");
  put(proc, "41/cgroup", "4:memory:/docker/" + kId + "\n3:cpu,cpuacct:/docker/" + kId + "\n");
  put(proc, "42/cgroup", "4:memory:/user.slice\n3:cpu,cpuacct:/user.slice\n");
  Sampler sampler({cg.path(), proc.path()});
  REQUIRE(sampler.version() == CgroupVersion::kV1);

  auto s = sampler.container(kId, 41);
  REQUIRE(s.isOk());
  REQUIRE(s->memory);
  CHECK(s->memory->workingSet == 1048576 - 4096);
  REQUIRE(s->cpu);
  CHECK(s->cpu->usageNanos == 5000);

  CHECK(sampler.container(kId, 42).status().code() == Code::kFailedPrecondition);
  CHECK(sampler.container(kId, 43).status().code() == Code::kNotFound);
  CHECK(sampler.container(kId, 0).status().code() == Code::kNotFound);
}

TEST_CASE("the sampler reads a pid's cgroups once, and again once the cgroup is gone", "[stats]") {
  TempDir cg, proc;
  put(cg, "memory/docker/" + kId + "/memory.usage_in_bytes", "1048576\n");
  put(proc, "41/cgroup", "4:memory:/docker/" + kId + "\n");
  put(proc, "42/cgroup", "4:memory:/user.slice\n");
  Sampler sampler({cg.path(), proc.path()});
  REQUIRE(sampler.container(kId, 41).isOk());
  // /proc/41/cgroup is not read again: the container's own cgroup answers.
  fs::remove(proc.file("41/cgroup"));
  put(cg, "memory/docker/" + kId + "/memory.usage_in_bytes", "2097152\n");
  auto again = sampler.container(kId, 41);
  REQUIRE(again.isOk());
  CHECK(again->memory->usage == 2097152);
  // Another pid is checked as ever.
  CHECK(sampler.container(kId, 42).status().code() == Code::kFailedPrecondition);
  // The cgroup gone (the container exited): the pid is asked again, and is gone too.
  fs::remove_all(cg.file("memory/docker/" + kId));
  CHECK(sampler.container(kId, 41).status().code() == Code::kNotFound);
  // Forgotten with the container: a later pid 41 in another cgroup is not trusted.
  put(cg, "memory/docker/" + kId + "/memory.usage_in_bytes", "1\n");
  put(proc, "41/cgroup", "4:memory:/user.slice\n");
  CHECK(sampler.container(kId, 41).status().code() == Code::kFailedPrecondition);
}

TEST_CASE("network counters of the pid's namespace leave loopback out", "[stats]") {
  TempDir cg, proc;
  put(proc, "7/net/dev",
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:     100       1    0    0    0     0          0         0      100       1    0 "
      "   0    0     0       0          0\n"
      "  eth0:    2000      20    1    0    0     0          0         0     3000      30    2 "
      "   0    0     0       0          0\n");
  Sampler sampler({cg.path(), proc.path()});
  auto net = sampler.network(7);
  REQUIRE(net.isOk());
  REQUIRE(net->size() == 1);
  CHECK((*net)[0] == InterfaceCounters{"eth0", 2000, 1, 3000, 2});
  CHECK(sampler.network(8).status().code() == Code::kNotFound);
}

TEST_CASE("CPU rate: none at first, windows of at least a second for callers close together",
          "[stats]") {
  TempDir cg;
  Sampler sampler({cg.path(), cg.path()});
  auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  CHECK_FALSE(sampler.cpuRate("c", 1'000'000'000, t0));
  // Half a core over 2 s.
  CHECK(sampler.cpuRate("c", 2'000'000'000, t0 + 2s) == 500'000'000);
  // 10 ms later another caller: measured from the sample 2 s before, not over 10 ms.
  CHECK(sampler.cpuRate("c", 2'010'000'000, t0 + 2010ms) == 502'487'562);
  // A restart: the counter began again.
  CHECK_FALSE(sampler.cpuRate("c", 5, t0 + 3s));
  CHECK(sampler.cpuRate("c", 1'000'000'005, t0 + 5s) == 500'000'000);
  // A concurrent caller's older reading changes nothing.
  CHECK_FALSE(sampler.cpuRate("c", 4, t0 + 4s));
  CHECK(sampler.cpuRate("c", 1'000'000'005, t0 + 5s) == 500'000'000);
  // No window of a second yet: no answer rather than a rate over milliseconds.
  CHECK_FALSE(sampler.cpuRate("d", 0, t0));
  CHECK_FALSE(sampler.cpuRate("d", 10'000'000, t0 + 10ms));
  sampler.forgetAllBut({});
  CHECK_FALSE(sampler.cpuRate("c", 1'000'000'005, t0 + 6s));
}

}  // namespace
}  // namespace dockershim::stats
