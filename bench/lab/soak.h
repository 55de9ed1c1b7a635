#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

// The lab's `soak`: pods cycled one after another through the kubelet's whole lifecycle (run,
// create, start, exec, read the log, stop, remove) for a fixed number of lifecycles, while the
// daemon's resident memory, open descriptors and threads are sampled; then what is left over
// since the warm-up (containers, and the files in the folders named: checkpoints, CNI records,
// IPAM allocations, log files). Reports the slope of each sample series after the warm-up.
namespace dockershim::lab {

struct SoakOptions {
  std::string endpoint;
  pid_t pid = 0;  // the daemon sampled
  int lifecycles = 2000;
  int warmup = 100;      // lifecycles before the baseline sample
  int sampleEvery = 50;  // lifecycles between samples
  std::string image = "busybox";
  std::string logRoot = "/tmp/dockershim-lab-soak";
  std::string dockerSocket;                      // leftover containers (optional)
  std::map<std::string, std::string> watchDirs;  // label → folder whose entries must not grow
  bool progress = true;
};

struct SoakSample {
  int lifecycles = 0;
  double rssKiB = 0;
  int fds = 0;
  int threads = 0;
};

// Runs the soak; the JSON holds the samples, slopes, leftovers and `ok` (nothing left over, and
// descriptors and threads back to their baseline). Stops early when `stop` becomes true.
nlohmann::json runSoak(const SoakOptions& options, const std::atomic<bool>& stop);

// Least-squares slope of y over x.
double slope(const std::vector<std::pair<double, double>>& points);

// A table of the samples and a summary, for people.
std::string soakSummary(const nlohmann::json& result);

}  // namespace dockershim::lab
