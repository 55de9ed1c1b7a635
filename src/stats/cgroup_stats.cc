#include "stats/cgroup_stats.h"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <charconv>
#include <sstream>

#include "common/small_file.h"

namespace dockershim::stats {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<uint64_t> parseNumber(std::string_view s) {
  s = trim(s);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

template <class F>
void forEachLine(std::string_view text, F f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    f(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

using common::readSmallFile;

std::optional<uint64_t> readNumber(const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return std::nullopt;
  return parseNumber(*text);
}

uint64_t value(const std::map<std::string, uint64_t>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

void finishMemory(MemoryUsage& m, uint64_t inactiveFile) {
  m.workingSet = m.usage > inactiveFile ? m.usage - inactiveFile : 0;
  if (m.limit) m.available = *m.limit > m.workingSet ? *m.limit - m.workingSet : 0;
}

std::string controllerPath(const std::map<std::string, std::string>& cgroups,
                           const std::string& controller) {
  auto it = cgroups.find(controller);
  return it == cgroups.end() ? std::string() : it->second;
}

}  // namespace

CgroupVersion detectCgroupVersion(const std::string& root) {
  struct statfs fs {};
  if (::statfs(root.c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
    return CgroupVersion::kV2;
  }
  return CgroupVersion::kV1;
}

std::map<std::string, std::string> parseProcCgroup(std::string_view text) {
  std::map<std::string, std::string> out;
  forEachLine(text, [&](std::string_view line) {
    size_t first = line.find(':');
    if (first == std::string_view::npos) return;
    size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) return;
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (path.empty() || path[0] != '/') return;
    if (controllers.empty()) {
      if (line.substr(0, first) == "0") out[""] = path;
      return;
    }
    while (!controllers.empty()) {
      size_t comma = controllers.find(',');
      std::string_view c = controllers.substr(0, comma);
      if (!c.empty()) out[std::string(c)] = path;
      if (comma == std::string_view::npos) break;
      controllers.remove_prefix(comma + 1);
    }
  });
  return out;
}

std::map<std::string, uint64_t> parseFlatKeyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  forEachLine(text, [&](std::string_view line) {
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0) return;
    if (auto v = parseNumber(line.substr(space + 1))) out[std::string(line.substr(0, space))] = *v;
  });
  return out;
}

std::optional<uint64_t> parseMemoryLimit(std::string_view text) {
  text = trim(text);
  if (text == "max") return std::nullopt;
  auto v = parseNumber(text);
  if (!v || *v >= (uint64_t{1} << 62)) return std::nullopt;
  return v;
}

Result<CgroupSample> readCgroupSample(const std::string& root, CgroupVersion version,
                                      const std::map<std::string, std::string>& cgroups) {
  CgroupSample sample;
  if (version == CgroupVersion::kV2) {
    std::string dir = root + controllerPath(cgroups, "");
    if (controllerPath(cgroups, "").empty()) {
      return Status(Code::kNotFound, "no cgroup v2 path for the process");
    }
    if (auto text = readSmallFile(dir + "/cpu.stat")) {
      auto stat = parseFlatKeyed(*text);
      if (stat.count("usage_usec")) sample.cpu = CpuUsage{value(stat, "usage_usec") * 1000};
    }
    if (auto usage = readNumber(dir + "/memory.current")) {
      MemoryUsage m;
      m.usage = *usage;
      auto stat = parseFlatKeyed(readSmallFile(dir + "/memory.stat").value_or(""));
      m.rss = value(stat, "anon");
      m.pageFaults = value(stat, "pgfault");
      m.majorPageFaults = value(stat, "pgmajfault");
      if (auto limit = readSmallFile(dir + "/memory.max")) m.limit = parseMemoryLimit(*limit);
      finishMemory(m, value(stat, "inactive_file"));
      sample.memory = m;
    }
    sample.processes = readNumber(dir + "/pids.current");
  } else {
    std::string cpuacct = controllerPath(cgroups, "cpuacct");
    if (!cpuacct.empty()) {
      if (auto usage = readNumber(root + "/cpuacct" + cpuacct + "/cpuacct.usage")) {
        sample.cpu = CpuUsage{*usage};
      }
    }
    std::string memory = controllerPath(cgroups, "memory");
    if (!memory.empty()) {
      std::string dir = root + "/memory" + memory;
      if (auto usage = readNumber(dir + "/memory.usage_in_bytes")) {
        MemoryUsage m;
        m.usage = *usage;
        auto stat = parseFlatKeyed(readSmallFile(dir + "/memory.stat").value_or(""));
        m.rss = value(stat, "total_rss");
        m.pageFaults = value(stat, "total_pgfault");
        m.majorPageFaults = value(stat, "total_pgmajfault");
        if (auto limit = readSmallFile(dir + "/memory.limit_in_bytes")) {
          m.limit = parseMemoryLimit(*limit);
        }
        finishMemory(m, value(stat, "total_inactive_file"));
        sample.memory = m;
      }
    }
    std::string pids = controllerPath(cgroups, "pids");
    if (!pids.empty()) sample.processes = readNumber(root + "/pids" + pids + "/pids.current");
  }
  if (!sample.cpu && !sample.memory && !sample.processes) {
    return Status(Code::kNotFound, "the container's cgroup files cannot be read");
  }
  return sample;
}

CgroupSample sumSamples(const std::vector<CgroupSample>& samples) {
  CgroupSample total;
  for (const auto& s : samples) {
    if (s.cpu) {
      if (!total.cpu) total.cpu = CpuUsage{};
      total.cpu->usageNanos += s.cpu->usageNanos;
    }
    if (s.memory) {
      if (!total.memory) total.memory = MemoryUsage{};
      auto& m = *total.memory;
      m.usage += s.memory->usage;
      m.workingSet += s.memory->workingSet;
      m.rss += s.memory->rss;
      m.pageFaults += s.memory->pageFaults;
      m.majorPageFaults += s.memory->majorPageFaults;
    }
    if (s.processes) total.processes = total.processes.value_or(0) + *s.processes;
  }
  return total;
}

uint64_t nanoCores(uint64_t previousUsageNanos, uint64_t usageNanos, uint64_t elapsedNanos) {
  if (elapsedNanos == 0 || usageNanos < previousUsageNanos) return 0;
  long double nano = static_cast<long double>(usageNanos - previousUsageNanos) /
                     static_cast<long double>(elapsedNanos) * 1e9L;
  // A nonsense interval must not overflow the cast (undefined behaviour): saturate.
  if (!(nano < 1.8e19L)) return UINT64_MAX;
  return static_cast<uint64_t>(nano);
}

std::vector<InterfaceCounters> parseNetDev(std::string_view text) {
  std::vector<InterfaceCounters> out;
  forEachLine(text, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    std::string name(trim(line.substr(0, colon)));
    if (name.empty() || name.find('|') != std::string::npos) return;
    std::istringstream fields(std::string(line.substr(colon + 1)));
    uint64_t v[16];
    for (auto& x : v) {
      if (!(fields >> x)) return;
    }
    // Receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets
    // errs drop fifo colls carrier compressed.
    out.push_back({name, v[0], v[2], v[8], v[10]});
  });
  return out;
}

}  // namespace dockershim::stats
