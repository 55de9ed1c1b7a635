#pragma once

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

// The lab's `compare`: private Docker + dockershim and private containerd (CRI plugin) on this
// machine, the same `run` workload on each, alternating A B A B against machine drift, and a
// report folder: results.json, CSVs, charts (PNG and SVG) and report.md.
namespace dockershim::lab {

struct CompareOptions {
  std::string out;
  std::vector<int> podCounts = {10, 35, 105, 250};
  int pods = 105;  // the count the three headline charts show
  int rounds = 2;
  int parallel = 10;
  std::chrono::milliseconds steady{std::chrono::seconds(60)};
  int reps = 50;
  std::string workDir;            // default /tmp/dslab-<pid>
  std::string dockershimBinary;   // default: next to dockershim-lab's build folder
  std::string busyboxScript;      // default: packaging/make-busybox-rootfs.sh of the source tree
  std::vector<std::string> also;  // more endpoints, run as they are
  std::vector<std::string> alsoGroups;  // process groups sampled for them
  bool progress = true;
};

// 0: report written; 1: a run was not clean; 2: could not start the runtimes.
int runCompare(const CompareOptions& options, const std::atomic<bool>& stop);

// From the runs of results.json: the CSVs, charts and report.md (also used on a kept
// results.json).
void writeReport(const nlohmann::json& results, const std::string& out);

}  // namespace dockershim::lab
