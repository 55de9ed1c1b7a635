#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "dockershim/status.h"
#include "stats/cgroup_stats.h"

// Reads a container's counters through its main process: /proc/<pid>/cgroup names the
// container's cgroup (whatever the cgroup driver called it), /proc/<pid>/net/dev the counters of
// the network namespace it is in. No Docker call, no fork, no setns.
namespace dockershim::stats {

struct Roots {
  std::string cgroup = "/sys/fs/cgroup";
  std::string proc = "/proc";
};

class Sampler {
 public:
  explicit Sampler(Roots roots = {});

  // The counters of container `id` whose main process is `pid`. The pid is trusted only when
  // its cgroup path (or an ancestor of it: the container's own cgroup) names the container
  // (Docker's cgroupfs driver ends it with the full id, the systemd driver with
  // "docker-<id>.scope"): FAILED_PRECONDITION when it does not (the pid is stale: the container
  // exited or restarted and the number was reused), NOT_FOUND when the process or its cgroup is
  // gone. The container's cgroup paths, once found through a pid, are kept for that id and pid:
  // they name the container itself, so they stay right until the cgroup goes (then the pid is
  // asked again), and /proc/<pid>/cgroup, costly to read on cgroup v1, is read once.
  Result<CgroupSample> container(const std::string& id, int64_t pid) const;

  // The interfaces of the network namespace `pid` is in, loopback left out. Whether `pid` is
  // still the one meant is the caller's to know (it sampled the same pid's cgroup just before).
  Result<std::vector<InterfaceCounters>> network(int64_t pid) const;

  // CPU nano-cores of `key` averaged since a kept sample, or nullopt on the first call. A new
  // sample is kept once the newest kept one is a second old; a call sooner than that measures
  // from the one kept before, so callers that poll at about the same time (kubelet and crictl)
  // each still get a window of at least a second.
  std::optional<uint64_t> cpuRate(const std::string& key, uint64_t usageNanos,
                                  std::chrono::steady_clock::time_point now);
  // Drops the kept CPU samples and cgroup paths of every key not in `live` (removed containers).
  void forgetAllBut(const std::set<std::string>& live);

  CgroupVersion version() const { return version_; }

 private:
  struct CpuMark {
    uint64_t usageNanos = 0;
    std::chrono::steady_clock::time_point at;
  };
  // The newest sample kept, and the one kept before it (at least a second older).
  struct CpuMarks {
    CpuMark last;
    std::optional<CpuMark> previous;
  };
  Roots roots_;
  CgroupVersion version_;
  std::mutex mu_;
  std::unordered_map<std::string, CpuMarks> cpu_;
  struct Paths {
    int64_t pid = 0;
    std::map<std::string, std::string> cgroups;  // controller -> the container's cgroup
  };
  mutable std::mutex pathsMu_;
  mutable std::unordered_map<std::string, Paths> paths_;  // by container id
};

// A cgroup path belongs to container `id` when its last component names it.
bool cgroupNamesContainer(const std::string& path, const std::string& id);
// The container's cgroup within `path`: `path` itself or the nearest ancestor whose last
// component names container `id`; nullopt when none does.
std::optional<std::string> containerCgroup(const std::string& path, const std::string& id);

}  // namespace dockershim::stats
