#include "stats/proc_stat.h"

#include <unistd.h>

#include <sstream>
#include <vector>

#include "common/small_file.h"

namespace dockershim::stats {

std::optional<ProcessUsage> parseProcStat(std::string_view text, long ticksPerSecond) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
      ticksPerSecond <= 0) {
    return std::nullopt;
  }
  ProcessUsage usage;
  usage.name = std::string(text.substr(open + 1, close - open - 1));
  // After ") ": state(3) ppid(4) pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime(14) stime(15) — numbered as in proc(5).
  std::istringstream rest{std::string(text.substr(close + 1))};
  std::vector<std::string> fields;
  std::string f;
  while (fields.size() < 13 && rest >> f) fields.push_back(f);
  if (fields.size() < 13) return std::nullopt;
  try {
    usage.parentPid = std::stoi(fields[1]);
    uint64_t ticks = std::stoull(fields[11]) + std::stoull(fields[12]);
    usage.cpuNanos = ticks * (1'000'000'000ull / static_cast<uint64_t>(ticksPerSecond));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return usage;
}

std::optional<uint64_t> parseVmRss(std::string_view statusText) {
  size_t at = statusText.find("VmRSS:");
  if (at == std::string_view::npos) return std::nullopt;
  std::istringstream line{std::string(statusText.substr(at + 6, 64))};
  uint64_t kb = 0;
  std::string unit;
  if (!(line >> kb >> unit) || unit != "kB") return std::nullopt;
  return kb * 1024;
}

Result<ProcessUsage> readProcessUsage(int pid, const std::string& procRoot) {
  std::string dir = procRoot + "/" + std::to_string(pid);
  auto stat = common::readSmallFile(dir + "/stat");
  if (!stat) return Status(Code::kNotFound, "process " + std::to_string(pid) + " is gone");
  auto usage = parseProcStat(*stat, ::sysconf(_SC_CLK_TCK));
  if (!usage) return Status(Code::kInternal, dir + "/stat does not parse");
  if (auto status = common::readSmallFile(dir + "/status"))
    usage->rssBytes = parseVmRss(*status).value_or(0);
  return *usage;
}

}  // namespace dockershim::stats
