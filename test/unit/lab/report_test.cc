#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "compare.h"
#include "unit/temp_dir.h"

namespace dockershim::lab {
namespace {

using test::readFile;
using test::TempDir;

// One run as runCompare records it, with round-dependent numbers.
nlohmann::json run(const std::string& runtime, int pods, int round, double scale, bool hops) {
  nlohmann::json perCall = {
      {"ListContainers",
       {{"latency_ms",
         {{"p50", 2.0 * scale * round}, {"p99", 8.0 * scale}, {"mean", 3.0 * scale}}}}},
      {"Version", {{"latency_ms", {{"p50", 1.0 * scale}, {"p99", 2.0 * scale}, {"mean", 1.0}}}}},
      // Fails on containerd (as its 1.6 CRI plugin's pod stats do), works on dockershim.
      {"PodSandboxStats",
       {{"reps", 10},
        {"errors", hops ? 0 : 10},
        {"latency_ms", {{"p50", hops ? 1.5 : 0.25}, {"p99", 3.0}, {"mean", 1.0}}}}}};
  if (hops) {
    perCall["ListContainers"]["hops_ms"] = {{"transport", 0.25},
                                            {"dockershim", 0.5 * round},
                                            {"docker", 2.25},
                                            {"docker_requests_per_call", 1.0}};
  }
  nlohmann::json groups = {{"containerd",
                            {{"cpu_cores", {{"mean", 0.1 * scale}, {"p95", 0.2}}},
                             {"rss_bytes", {{"mean", 100.0 * 1048576 * scale}, {"last", 0}}}}},
                           {"shims",
                            {{"cpu_cores", {{"mean", 0.05 * scale}, {"p95", 0.1}}},
                             {"rss_bytes", {{"mean", 10.0 * 1048576 * pods}, {"last", 0}}}}}};
  return {
      {"runtime", runtime},
      {"pods", pods},
      {"round", round},
      {"result",
       {{"startup",
         {{"latency_ms", {{"p50", 100.0 * scale}, {"p90", 150.0 * scale}, {"p99", 200.0 * scale}}},
          {"throughput_pods_per_min", 60.0 / scale}}},
        {"steady", {{"groups", groups}}},
        {"teardown", {{"wall_s", 1.5}}},
        {"leftovers", {{"clean", true}}},
        {"per_call", perCall}}}};
}

TEST_CASE("lab: the compare report from results.json", "[lab]") {
  TempDir dir;
  nlohmann::json results = {
      {"machine",
       {{"cpus", 2},
        {"cpu_model", "Test CPU"},
        {"memory_gib", 24.0},
        {"kernel", "6.1"},
        {"cgroup", "v1"},
        {"containerd", "containerd 1.6"},
        {"runc", "runc 1.1"},
        {"docker", "20.10"}}},
      {"options", {{"pods", 4}, {"parallel", 2}, {"steady_s", 30.0}, {"rounds", 2}}},
      {"runs", nlohmann::json::array()}};
  for (int round = 1; round <= 2; ++round) {
    for (int pods : {2, 4}) {
      results["runs"].push_back(run("docker+dockershim", pods, round, 2.0, true));
      results["runs"].push_back(run("containerd", pods, round, 1.0, false));
    }
  }
  // A third round, interrupted in its startup: it must not pull the means down.
  auto cut = run("docker+dockershim", 4, 3, 2.0, true);
  cut["result"]["interrupted"] = true;
  cut["result"].erase("steady");
  cut["result"].erase("per_call");
  cut["result"]["startup"]["latency_ms"]["p50"] = 1.0;
  results["runs"].push_back(cut);
  writeReport(results, dir.path());

  std::string md = readFile(dir.file("report.md"));
  CHECK(md.find("2 CPUs (Test CPU), 24 GiB, kernel 6.1, cgroup v1") != std::string::npos);
  // At 4 pods: daemons 0.2 + shims 0.1 cores against 0.1 + 0.05; RSS 200 + 40 MiB against
  // 100 + 40; p50 200 against 100 ms.
  CHECK(md.find("| docker+dockershim | 0.200 | 0.100 | 0.300 | 200 | 40 | 240 | 200 | 300 | 400 | "
                "30.0 |") != std::string::npos);
  CHECK(
      md.find("| containerd | 0.100 | 0.050 | 0.150 | 100 | 40 | 140 | 100 | 150 | 200 | 60.0 |") !=
      std::string::npos);
  CHECK(md.find("CPU 2.00×, memory 1.71×, startup p50 2.00×, p99 2.00×") != std::string::npos);
  // Per call: p50 means over rounds (4 and 8 ms against 2 and 4 ms), the ratio, and the hops
  // of the runtime that has them only.
  CHECK(md.find("## Per call at 4 pods") != std::string::npos);
  CHECK(md.find("| ListContainers | 6.00 | 16.00 | 3.00 | 8.00 | 2.00× |") != std::string::npos);
  CHECK(md.find("| Version | 2.00 | 4.00 | 1.00 | 2.00 | 2.00× |") != std::string::npos);
  CHECK(md.find("| ListContainers | 6.00 | 0.25 | 0.75 | 2.25 | 1.0 |") != std::string::npos);
  CHECK(md.find("| Version | 1.00 | ") == std::string::npos);  // no hops recorded for it
  // A call that failed says how often, and gets no ratio.
  CHECK(md.find("| PodSandboxStats | 1.50 | 3.00 | 0.25 (failed 20 of 20) | 3.00 | – |") !=
        std::string::npos);
  // Cost against pod count, each count once per runtime.
  CHECK(md.find("| docker+dockershim | 2 | 0.300 | 220 | 200 | 400 | 1.5 |") != std::string::npos);
  CHECK(md.find("| containerd | 2 | 0.150 | 120 | 100 | 200 | 1.5 |") != std::string::npos);

  std::string runs = readFile(dir.file("runs.csv"));
  CHECK(std::count(runs.begin(), runs.end(), '\n') == 10);  // header and 9 runs
  CHECK(runs.find("containerd,4,2,100.0,150.0,200.0,60.0,0.1000,0.0500,100.0,40.0,1.50,yes") !=
        std::string::npos);
  std::string calls = readFile(dir.file("per_call.csv"));
  CHECK(calls.find(
            "docker+dockershim,4,2,ListContainers,8.000,16.000,6.000,0.250,1.000,2.250,1.00") !=
        std::string::npos);
  CHECK(calls.find("containerd,4,1,Version,1.000,2.000,1.000,,,,") != std::string::npos);
  for (const char* chart :
       {"memory", "cpu", "latency", "cpu_vs_pods", "memory_vs_pods", "latency_vs_pods"}) {
    CHECK(std::filesystem::file_size(dir.file(std::string(chart) + ".png")) > 0);
    CHECK(readFile(dir.file(std::string(chart) + ".svg")).find("<svg") != std::string::npos);
  }
}

TEST_CASE("lab: a report from an interrupted comparison", "[lab]") {
  TempDir dir;
  // Interrupted in its first run's startup: no steady phase, no per-call numbers, no machine.
  nlohmann::json results = {{"options", {{"pods", 4}}},
                            {"runs",
                             {{{"runtime", "docker+dockershim"},
                               {"pods", 4},
                               {"round", 1},
                               {"result", {{"startup", {{"latency_ms", {{"p50", 120.0}}}}}}}}}}};
  writeReport(results, dir.path());
  std::string md = readFile(dir.file("report.md"));
  CHECK(md.find("| docker+dockershim | 0.000 | 0.000 | 0.000 | 0 | 0 | 0 | 120 |") !=
        std::string::npos);
  CHECK(md.find("## Per call") == std::string::npos);
  CHECK(readFile(dir.file("runs.csv")).find("docker+dockershim,4,1,120.0,") != std::string::npos);
  writeReport(nlohmann::json::object(), dir.path());  // nothing measured at all
  CHECK(readFile(dir.file("report.md")).find("# dockershim-lab compare") != std::string::npos);
}

}  // namespace
}  // namespace dockershim::lab
