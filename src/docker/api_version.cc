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
  if (v.empty() || v.size() > 16 || v.front() == '.' || v.back() == '.') return false;
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

bool apiAtLeast(std::string_view negotiated, std::string_view min) {
  return compareApiVersions(negotiated.empty() ? kNewestApiVersion : negotiated, min) >= 0;
}

std::string supportedApiRange() {
  return std::string(kOldestApiVersion) + " to " + std::string(kNewestApiVersion);
}

Result<std::string> negotiateApiVersion(std::string_view daemonApiVersion,
                                        std::string_view daemonMinApiVersion) {
  if (!wellFormed(daemonApiVersion)) {
    return Status(Code::kFailedPrecondition, "docker reported an unreadable API version \"" +
                                                 std::string(daemonApiVersion) + "\"");
  }
  if (compareApiVersions(daemonApiVersion, kOldestApiVersion) < 0) {
    return Status(Code::kFailedPrecondition, "docker API version " + std::string(daemonApiVersion) +
                                                 " is too old: dockershim speaks Docker API " +
                                                 supportedApiRange() + " (Docker 1.12 and later)");
  }
  std::string chosen(compareApiVersions(daemonApiVersion, kNewestApiVersion) > 0
                         ? kNewestApiVersion
                         : daemonApiVersion);
  // An unreadable minimum is not trusted to refuse anything: the daemon would say so itself.
  if (wellFormed(daemonMinApiVersion) && compareApiVersions(daemonMinApiVersion, chosen) > 0) {
    return Status(Code::kFailedPrecondition,
                  "docker requires API " + std::string(daemonMinApiVersion) +
                      " or newer (it speaks " + std::string(daemonMinApiVersion) + " to " +
                      std::string(daemonApiVersion) + "); dockershim speaks " +
                      supportedApiRange());
  }
  return chosen;
}

bool isApiVersionRefusal(int httpStatus, std::string_view message) {
  if (httpStatus != 400) return false;
  // Docker 1.12 and before: "client is newer than server (client API version: …)". Docker
  // 1.13 to 17.09 serve a newer client as if it were their own version; 17.12 on refuse it.
  if (message.starts_with("client is newer than server")) return true;
  if (!message.starts_with("client version ")) return false;
  return message.find(" is too old") != std::string_view::npos ||
         message.find(" is too new") != std::string_view::npos;
}

}  // namespace dockershim::docker
