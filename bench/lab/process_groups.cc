#include "process_groups.h"

#include <dirent.h>
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "common/small_file.h"
#include "stats/proc_stat.h"

namespace dockershim::lab {

namespace {

std::optional<int> parsePid(std::string_view text) {
  int pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
  return pid;
}

bool globMatches(const std::string& pattern, std::string_view name) {
  return !name.empty() && ::fnmatch(pattern.c_str(), std::string(name).c_str(), 0) == 0;
}

std::string exeName(const std::string& procDir) {
  char buf[4096];
  ssize_t n = ::readlink((procDir + "/exe").c_str(), buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string_view path(buf, static_cast<size_t>(n));
  // A replaced binary reads "/usr/bin/dockerd (deleted)".
  if (auto deleted = path.rfind(" (deleted)");
      deleted != std::string_view::npos && deleted + 10 == path.size()) {
    path = path.substr(0, deleted);
  }
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

Result<GroupSpec> parseGroupSpec(std::string_view text) {
  GroupSpec spec;
  std::string_view what = text;
  if (auto eq = text.find('='); eq != std::string_view::npos) {
    spec.label = std::string(text.substr(0, eq));
    what = text.substr(eq + 1);
    if (spec.label.empty()) {
      return Status(Code::kInvalidArgument,
                    "process group \"" + std::string(text) + "\": the label before '=' is empty");
    }
  }
  if (what.empty()) {
    return Status(Code::kInvalidArgument,
                  "process group \"" + std::string(text) + "\": no pid or name");
  }
  if (auto pid = parsePid(what)) {
    spec.pid = *pid;
  } else {
    spec.pattern = std::string(what);
    if (auto at = spec.pattern.find('@'); at != std::string::npos) {
      spec.cmdlineContains = spec.pattern.substr(at + 1);
      spec.pattern.resize(at);
      if (spec.pattern.empty()) {
        return Status(Code::kInvalidArgument,
                      "process group \"" + std::string(text) + "\": no name before '@'");
      }
    }
  }
  if (spec.label.empty()) spec.label = std::string(what);
  return spec;
}

bool matchesName(const GroupSpec& spec, std::string_view comm, std::string_view exe) {
  if (spec.pattern.empty()) return false;
  return globMatches(spec.pattern, comm) || globMatches(spec.pattern, exe);
}

double groupCores(const GroupReading& before, const GroupReading& after, double wallSeconds) {
  if (wallSeconds <= 0) return 0;
  uint64_t nanos = 0;
  for (const auto& [pid, cpu] : after.cpuByPid) {
    auto it = before.cpuByPid.find(pid);
    if (it == before.cpuByPid.end()) {
      nanos += cpu;
    } else if (cpu >= it->second) {
      nanos += cpu - it->second;
    }
  }
  return static_cast<double>(nanos) / 1e9 / wallSeconds;
}

GroupSampler::GroupSampler(std::vector<GroupSpec> specs, std::string procRoot)
    : specs_(std::move(specs)), procRoot_(std::move(procRoot)) {}

std::vector<GroupReading> GroupSampler::read() const {
  std::vector<GroupReading> out(specs_.size());
  for (size_t i = 0; i < specs_.size(); ++i) out[i].label = specs_[i].label;
  auto add = [&](size_t group, int pid) {
    auto usage = stats::readProcessUsage(pid, procRoot_);
    if (!usage) return;
    out[group].cpuNanos += usage->cpuNanos;
    out[group].rssBytes += usage->rssBytes;
    out[group].cpuByPid[pid] = usage->cpuNanos;
  };
  bool byName = false;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].pid > 0) {
      add(i, specs_[i].pid);
    } else {
      byName = true;
    }
  }
  if (!byName) return out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(procRoot_.c_str()), ::closedir);
  if (!dir) return out;
  while (auto* entry = ::readdir(dir.get())) {
    auto pid = parsePid(entry->d_name);
    if (!pid) continue;
    std::string procDir = procRoot_ + "/" + entry->d_name;
    auto comm = common::readSmallFile(procDir + "/comm");
    if (!comm) continue;
    std::string name = *comm;
    while (!name.empty() && name.back() == '\n') name.pop_back();
    std::string exe;  // read only when the comm does not decide
    bool exeRead = false;
    for (size_t i = 0; i < specs_.size(); ++i) {
      if (specs_[i].pattern.empty()) continue;
      bool match = globMatches(specs_[i].pattern, name);
      if (!match) {
        if (!exeRead) {
          exe = exeName(procDir);
          exeRead = true;
        }
        match = matchesName(specs_[i], name, exe);
      }
      if (match && !specs_[i].cmdlineContains.empty()) {
        auto cmdline = common::readSmallFile(procDir + "/cmdline");
        if (!cmdline) continue;
        std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
        match = cmdline->find(specs_[i].cmdlineContains) != std::string::npos;
      }
      if (match) add(i, *pid);
    }
  }
  return out;
}

}  // namespace dockershim::lab
