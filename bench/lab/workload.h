#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cri_client.h"
#include "metrics_scrape.h"
#include "process_groups.h"
#include "progress.h"

// The lab's `run`: a batch of pods started as the Kubernetes node density test does, the
// kubelet's polling load on them while the daemons' CPU and memory are sampled, the latency of
// each CRI call at that size (split into hops when the endpoint is dockershim), teardown, and a
// check that nothing is left behind.
namespace dockershim::lab {

struct RunOptions {
  int pods = 105;
  int parallel = 10;                      // pods started at once
  std::chrono::milliseconds interval{0};  // > 0: pod i starts no sooner than i × interval
  std::string image = "busybox";
  std::vector<std::string> command = {"sleep", "1000000"};
  std::chrono::milliseconds steady{std::chrono::seconds(60)};
  int reps = 100;              // repetitions of each RPC for per-call latency
  std::string metrics;         // dockershim's metrics host:port: hop breakdown
  std::string runtimeHandler;  // RunPodSandbox's runtime_handler
  std::string logRoot = "/tmp/dockershim-lab";
  std::vector<GroupSpec> groups;
  bool progress = true;
};

struct PodRecord {
  std::string sandboxId;
  std::string containerId;
  // Milliseconds of each phase (a failed call's too); negative when it was not reached.
  double runSandbox = -1, createContainer = -1, startContainer = -1, observedRunning = -1;
  double total = -1;  // RunPodSandbox sent → container seen RUNNING
  std::string error;
};

class Workload {
 public:
  Workload(CriClient& cri, RunOptions options, const std::atomic<bool>& stop);
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Every phase in turn (teardown even after a failure or Ctrl-C); results.json's content.
  nlohmann::json run();

  // Phases, public for tests and for `compare`.
  nlohmann::json startup();
  nlohmann::json steadyState();
  nlohmann::json perCall();
  nlohmann::json teardown();
  nlohmann::json leftovers();

  const std::string& runId() const { return runId_; }
  const std::vector<PodRecord>& pods() const { return pods_; }

 private:
  struct Sample {
    double t;  // seconds since the run began
    std::string phase;
    std::vector<double> cores;
    std::vector<uint64_t> rss;
    std::vector<size_t> processes;
  };
  void startSampling();
  void stopSampling();
  void setPhase(const std::string& phase);
  nlohmann::json groupsDuring(const std::string& phase) const;
  nlohmann::json series() const;
  PodRecord startPod(int index);
  v1::PodSandboxConfig podConfig(int index) const;
  bool stopping() const { return stop_.load(); }

  CriClient& cri_;
  RunOptions options_;
  const std::atomic<bool>& stop_;
  std::string runId_;
  Progress progress_;
  std::vector<PodRecord> pods_;
  std::chrono::steady_clock::time_point begin_;

  GroupSampler sampler_;
  mutable std::mutex sampleMu_;
  std::string phase_;
  std::vector<Sample> samples_;
  std::vector<size_t> processesBefore_;
  std::atomic<bool> samplingDone_{false};
  std::thread samplerThread_;
};

// From dockershim's metrics before and after a batch of pod starts: each start call's mean time
// split into Docker's, the CNI plugins' and dockershim's own (ms), and their sum per pod.
nlohmann::json startupShare(const Samples& before, const Samples& after);

// The label every pod and container of a run carries (its value: the run id).
inline constexpr const char* kRunLabel = "dockershim-lab.run";

}  // namespace dockershim::lab
