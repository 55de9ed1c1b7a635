#include "stats/sampler.h"

#include "common/small_file.h"

namespace dockershim::stats {

namespace {

Result<std::string> readProcFile(const std::string& path) {
  auto text = common::readSmallFile(path);
  if (!text) return Status(Code::kNotFound, "cannot read " + path);
  return std::move(*text);
}

}  // namespace

std::optional<std::string> containerCgroup(const std::string& path, const std::string& id) {
  std::string prefix = path;
  while (!prefix.empty() && prefix != "/") {
    if (cgroupNamesContainer(prefix, id)) return prefix;
    size_t slash = prefix.rfind('/');
    if (slash == std::string::npos) break;
    prefix.resize(slash);
  }
  return std::nullopt;
}

bool cgroupNamesContainer(const std::string& path, const std::string& id) {
  if (id.empty()) return false;
  size_t slash = path.rfind('/');
  std::string last = slash == std::string::npos ? path : path.substr(slash + 1);
  return last == id || last == "docker-" + id + ".scope" || last == "cri-containerd-" + id ||
         last == "cri-containerd-" + id + ".scope";
}

Sampler::Sampler(Roots roots)
    : roots_(std::move(roots)), version_(detectCgroupVersion(roots_.cgroup)) {}

Result<CgroupSample> Sampler::container(const std::string& id, int64_t pid) const {
  if (pid <= 0) return Status(Code::kNotFound, "the container has no process");
  std::optional<std::map<std::string, std::string>> known;
  {
    std::lock_guard<std::mutex> lock(pathsMu_);
    if (auto it = paths_.find(id); it != paths_.end() && it->second.pid == pid) {
      known = it->second.cgroups;
    }
  }
  if (known) {
    auto sample = readCgroupSample(roots_.cgroup, version_, *known);
    if (sample || sample.status().code() != Code::kNotFound) return sample;
    // The cgroup went (the container exited): the pid says what is true now.
    std::lock_guard<std::mutex> lock(pathsMu_);
    paths_.erase(id);
  }
  auto text = readProcFile(roots_.proc + "/" + std::to_string(pid) + "/cgroup");
  if (!text) return text.status();
  auto cgroups = parseProcCgroup(*text);
  const char* owner = version_ == CgroupVersion::kV2 ? "" : "memory";
  auto it = cgroups.find(owner);
  if (it == cgroups.end() && version_ == CgroupVersion::kV1) it = cgroups.find("cpuacct");
  if (it == cgroups.end() || !containerCgroup(it->second, id)) {
    return Status(Code::kFailedPrecondition,
                  "process " + std::to_string(pid) + " is not in the container's cgroup");
  }
  // The container's own cgroup even when its main process sits in a child of it (an init
  // system in the container moves itself to ".../init.scope").
  for (auto& [controller, path] : cgroups) {
    if (auto own = containerCgroup(path, id)) path = *own;
  }
  auto sample = readCgroupSample(roots_.cgroup, version_, cgroups);
  if (sample) {
    std::lock_guard<std::mutex> lock(pathsMu_);
    paths_[id] = Paths{pid, std::move(cgroups)};
  }
  return sample;
}

Result<std::vector<InterfaceCounters>> Sampler::network(int64_t pid) const {
  if (pid <= 0) return Status(Code::kNotFound, "the sandbox has no process");
  auto text = readProcFile(roots_.proc + "/" + std::to_string(pid) + "/net/dev");
  if (!text) return text.status();
  std::vector<InterfaceCounters> out;
  for (auto& i : parseNetDev(*text)) {
    if (i.name != "lo") out.push_back(std::move(i));
  }
  return out;
}

std::optional<uint64_t> Sampler::cpuRate(const std::string& key, uint64_t usageNanos,
                                         std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = cpu_.try_emplace(key, CpuMarks{{usageNanos, now}, std::nullopt});
  if (inserted) return std::nullopt;
  CpuMarks& marks = it->second;
  // A concurrent caller read its counter before the newest kept one was taken: no answer, and
  // nothing changed (it would look like a restart).
  if (now < marks.last.at) return std::nullopt;
  if (usageNanos < marks.last.usageNanos) {  // a restarted container: its counter began again
    marks = {{usageNanos, now}, std::nullopt};
    return std::nullopt;
  }
  CpuMark base = marks.last;
  if (now - marks.last.at >= std::chrono::seconds(1)) {
    marks.previous = marks.last;
    marks.last = {usageNanos, now};
  } else if (marks.previous) {
    base = *marks.previous;  // at least a second before `last`, so before now
  } else {
    return std::nullopt;  // only a window shorter than a second so far
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - base.at).count();
  if (elapsed <= 0) return std::nullopt;
  return nanoCores(base.usageNanos, usageNanos, static_cast<uint64_t>(elapsed));
}

void Sampler::forgetAllBut(const std::set<std::string>& live) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = cpu_.begin(); it != cpu_.end();) {
      it = live.count(it->first) ? std::next(it) : cpu_.erase(it);
    }
  }
  std::lock_guard<std::mutex> lock(pathsMu_);
  for (auto it = paths_.begin(); it != paths_.end();) {
    it = live.count(it->first) ? std::next(it) : paths_.erase(it);
  }
}

}  // namespace dockershim::stats
