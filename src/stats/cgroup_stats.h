#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"

// Container resource usage read straight from the kernel's cgroup files, as cAdvisor and
// containerd do, instead of Docker's stats API (one dockerd request per container per kubelet
// poll). Pure parsing plus plain file reads under a root folder, so tests can lay out fixed
// trees. Both cgroup v1 (one hierarchy per controller) and v2 (one unified hierarchy), and both
// Docker cgroup drivers: the container's cgroup is taken from /proc/<pid>/cgroup, which names
// it whatever the driver made of it.
namespace dockershim::stats {

enum class CgroupVersion { kV1, kV2 };

// Which hierarchy the host mounts at `root` (statfs: cgroup2 magic → v2, else v1).
CgroupVersion detectCgroupVersion(const std::string& root = "/sys/fs/cgroup");

// /proc/<pid>/cgroup: "hierarchy-id:controller,controller:path" per line. v1 lines are filed under
// each of their controllers ("cpu", "cpuacct", "memory", "pids", …; "name=systemd" as written);
// the v2 line ("0::/path") under "". Malformed lines are skipped.
std::map<std::string, std::string> parseProcCgroup(std::string_view text);

// "key value" lines (memory.stat, cpu.stat, …) → map; lines that do not parse are skipped.
std::map<std::string, uint64_t> parseFlatKeyed(std::string_view text);

// A memory limit file: "max" (v2) or a v1 value of 2^62 and above (v1's "no limit" is
// PAGE_COUNTER_MAX rounded to pages) → nullopt; a number otherwise; nullopt when garbage.
std::optional<uint64_t> parseMemoryLimit(std::string_view text);

struct CpuUsage {
  uint64_t usageNanos = 0;  // cumulative CPU time of the cgroup
};

struct MemoryUsage {
  uint64_t usage = 0;       // v1 memory.usage_in_bytes, v2 memory.current
  uint64_t workingSet = 0;  // usage − inactive file cache, never below 0 (cAdvisor's rule)
  uint64_t rss = 0;         // v1 total_rss, v2 anon
  uint64_t pageFaults = 0;
  uint64_t majorPageFaults = 0;
  std::optional<uint64_t> limit;      // none when unlimited
  std::optional<uint64_t> available;  // limit − working set (0 when above), with a limit only
};

struct CgroupSample {
  std::optional<CpuUsage> cpu;
  std::optional<MemoryUsage> memory;
  std::optional<uint64_t> processes;  // pids.current
};

// Reads one container's counters. `cgroups` is parseProcCgroup's answer for a process of the
// container; `root` the cgroup mount point. A controller whose files are missing is left out
// of the sample (a host without the pids controller, say); NOT_FOUND when none could be read
// (the container's cgroup is gone: it exited meanwhile).
Result<CgroupSample> readCgroupSample(const std::string& root, CgroupVersion version,
                                      const std::map<std::string, std::string>& cgroups);

// Adds up samples (a pod's containers); a part is present when any sample has it.
CgroupSample sumSamples(const std::vector<CgroupSample>& samples);

// CPU nano-cores between two cumulative readings taken `elapsedNanos` apart (0 when the
// interval is empty or the counter went backwards, e.g. a restarted container).
uint64_t nanoCores(uint64_t previousUsageNanos, uint64_t usageNanos, uint64_t elapsedNanos);

// One interface of /proc/<pid>/net/dev (the counters of the network namespace that pid is in;
// reading it needs no setns). "lo" is included; the caller decides.
struct InterfaceCounters {
  std::string name;
  uint64_t rxBytes = 0;
  uint64_t rxErrors = 0;
  uint64_t txBytes = 0;
  uint64_t txErrors = 0;
  bool operator==(const InterfaceCounters&) const = default;
};
// The two header lines are skipped; malformed lines too.
std::vector<InterfaceCounters> parseNetDev(std::string_view text);

}  // namespace dockershim::stats
