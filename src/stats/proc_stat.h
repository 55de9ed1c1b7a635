#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dockershim/status.h"

// A process's CPU time and memory from /proc, for dockershim's own metrics (process RSS and
// CPU) and for sampling daemons (dockerd, containerd, shims) in the overhead lab.
namespace dockershim::stats {

struct ProcessUsage {
  uint64_t cpuNanos = 0;  // user + system time (utime + stime of /proc/<pid>/stat)
  uint64_t rssBytes = 0;  // resident set (VmRSS of /proc/<pid>/status)
  std::string name;       // comm, as /proc/<pid>/stat shows it (without the parentheses)
  int parentPid = 0;
};

// /proc/<pid>/stat: "pid (comm) state ppid ... utime stime ..." — comm may hold spaces and ')'
// itself, so fields are counted from the last ')'. `ticksPerSecond` is sysconf(_SC_CLK_TCK).
// nullopt when the text does not have that shape.
std::optional<ProcessUsage> parseProcStat(std::string_view text, long ticksPerSecond);
// "VmRSS:   1234 kB" of /proc/<pid>/status in bytes; nullopt when absent (kernel threads).
std::optional<uint64_t> parseVmRss(std::string_view statusText);

// Both files of one process under `procRoot` (default /proc); NOT_FOUND when it is gone.
Result<ProcessUsage> readProcessUsage(int pid, const std::string& procRoot = "/proc");

}  // namespace dockershim::stats
