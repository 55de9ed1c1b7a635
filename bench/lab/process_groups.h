#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"

// Daemon process groups the lab samples (dockershim, dockerd, containerd, the shims): CPU time
// and resident memory summed over the group's processes, read from /proc.
namespace dockershim::lab {

struct GroupSpec {
  std::string label;    // how reports name the group
  int pid = 0;          // one process, or
  std::string pattern;  // every process whose name matches (shell glob: "containerd-shim*")
  // With a pattern: only processes whose command line holds this (the shims of one containerd
  // hold its socket path).
  std::string cmdlineContains;
};

// "dockerd", "containerd-shim*", "1234", "label=<pid or pattern>", "pattern@text" (a pattern
// and a command-line filter).
Result<GroupSpec> parseGroupSpec(std::string_view text);

// Whether a process belongs to a group by name: its comm (the kernel cuts it at 15 bytes) or
// the file name of its executable matches.
bool matchesName(const GroupSpec& spec, std::string_view comm, std::string_view exeName);

struct GroupReading {
  std::string label;
  uint64_t cpuNanos = 0;  // user + system time of the members, cumulative
  uint64_t rssBytes = 0;  // their resident memory now
  std::map<int, uint64_t> cpuByPid;
  size_t processes() const { return cpuByPid.size(); }
};

// Cores a group used between two readings: for each process in both, its CPU time since the
// first; a process that appeared since counts all of its CPU time (it started in between).
double groupCores(const GroupReading& before, const GroupReading& after, double wallSeconds);

class GroupSampler {
 public:
  explicit GroupSampler(std::vector<GroupSpec> specs, std::string procRoot = "/proc");
  // One reading of every group, in the order of the specs.
  std::vector<GroupReading> read() const;
  const std::vector<GroupSpec>& specs() const { return specs_; }

 private:
  std::vector<GroupSpec> specs_;
  std::string procRoot_;
};

}  // namespace dockershim::lab
