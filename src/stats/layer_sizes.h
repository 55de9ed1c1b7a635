#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "common/disk_usage.h"
#include "dockershim/status.h"

// The disk use of containers' writable layers. Walking a layer costs a directory walk (or a
// Docker `size=1` inspect, which walks too): never on every stats call, never on a call's path.
// One worker thread measures a layer when first asked for (the caller waits a bounded time),
// then again when its answer is older than the refresh period; callers get the last
// measurement at once.
namespace dockershim::stats {

class LayerSizes {
 public:
  using Measure = std::function<Result<common::DiskUsage>()>;
  struct Usage {
    common::DiskUsage usage;
    std::chrono::system_clock::time_point measuredAt;
  };

  explicit LayerSizes(std::chrono::milliseconds refresh);
  ~LayerSizes();
  LayerSizes(const LayerSizes&) = delete;
  LayerSizes& operator=(const LayerSizes&) = delete;

  // The last measurement of container `id`, at once. `measure` is queued for the worker when
  // the one there is older than the refresh period, or when there is none yet: then the call
  // waits for it until `waitUntil` at most, and answers nullopt if it is not done by then (or
  // failed). A call's path never walks a layer itself.
  std::optional<Usage> get(const std::string& id, const Measure& measure,
                           std::chrono::steady_clock::time_point waitUntil);
  // Drops the measurements of containers not in `live` (removed).
  void forgetAllBut(const std::set<std::string>& live);
  // How many measurements ran (for tests and benchmarks).
  uint64_t measurements() const;

 private:
  void work();

  const std::chrono::milliseconds refresh_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Usage> sizes_;
  std::set<std::string> queued_;
  std::set<std::string> first_;  // queued, never measured: kept when measured
  std::deque<std::pair<std::string, Measure>> queue_;
  uint64_t measurements_ = 0;
  std::condition_variable measured_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace dockershim::stats
