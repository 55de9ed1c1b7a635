#include "docker/api_version.h"

#include <charconv>
#include <vector>

namespace dockershim::docker {
namespace {

// Missing or non-numeric parts count as 0 so "1.41" == "1.41.0".
std::vector<long> parts(std::string_view v) {
  std::vector<long> out;
  while (!v.empty()) {
    auto dot = v.find('.');
    std::string_view part = v.substr(0, dot);
    long n = 0;
    std::from_chars(part.data(), part.data() + part.size(), n);
    out.push_back(n);
    if (dot == std::string_view::npos) break;
    v.remove_prefix(dot + 1);
  }
  return out;
}

bool wellFormed(std::string_view v) {
  if (v.empty() || v.front() == '.' || v.back() == '.') return false;
  if (v.find("..") != std::string_view::npos) return false;
  bool sawDot = false;
  for (char c : v) {
    if (c == '.') {
      sawDot = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return sawDot;
}

}  // namespace

int compareApiVersions(std::string_view a, std::string_view b) {
  auto pa = parts(a);
  auto pb = parts(b);
  size_t n = std::max(pa.size(), pb.size());
  pa.resize(n, 0);
  pb.resize(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

Result<std::string> negotiateApiVersion(std::string_view daemonApiVersion) {
  if (!wellFormed(daemonApiVersion)) {
    return Status(Code::kFailedPrecondition, "docker reported an unreadable API version \"" +
                                                 std::string(daemonApiVersion) + "\"");
  }
  if (compareApiVersions(daemonApiVersion, kOldestApiVersion) < 0) {
    return Status(Code::kFailedPrecondition, "docker API version " + std::string(daemonApiVersion) +
                                                 " is too old: dockershim needs at least " +
                                                 std::string(kOldestApiVersion) + " (Docker 1.12)");
  }
  if (compareApiVersions(daemonApiVersion, kNewestApiVersion) > 0) {
    return std::string(kNewestApiVersion);
  }
  return std::string(daemonApiVersion);
}

}  // namespace dockershim::docker
