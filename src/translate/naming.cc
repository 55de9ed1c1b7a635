#include "translate/naming.h"

#include <chrono>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

namespace dockershim::translate {
namespace {

constexpr char kDelimiter = '_';

// A pod name, namespace and uid cannot hold '_' (DNS labels / UUIDs), and a container name is a
// DNS label, so the fields are joined without escaping, exactly as dockershim did.
std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (std::string_view part : parts) {
    if (!first) out += kDelimiter;
    out += part;
    first = false;
  }
  return out;
}

// The split of Go's strings.Split: empty fields are kept, so "a__b" has three.
std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = s.find(kDelimiter, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// compat: strconv.ParseUint(s, 10, 32): ASCII digits only (no sign, no spaces, leading zeros
// allowed), at least one, and no more than UINT32_MAX.
bool parseAttempt(std::string_view s, uint32_t* out) {
  if (s.empty()) return false;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > std::numeric_limits<uint32_t>::max()) return false;
  }
  *out = static_cast<uint32_t>(value);
  return true;
}

// std::random_device may throw when the platform has no entropy source; a clock seed is enough
// for a suffix whose only job is to differ from a name already taken.
uint32_t randomSeed() {
  try {
    return std::random_device{}();
  } catch (...) {
    return static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
}

Status invalidName(std::string_view name, std::string_view why) {
  return errorStatus(Code::kInvalidArgument,
                     "docker name \"" + std::string(name) + "\": " + std::string(why));
}

}  // namespace

std::string makeSandboxName(const runtime::v1::PodSandboxMetadata& pod) {
  const std::string attempt = std::to_string(pod.attempt());
  return join(
      {kNamePrefix, kSandboxContainerName, pod.name(), pod.namespace_(), pod.uid(), attempt});
}

std::string makeContainerName(const runtime::v1::PodSandboxMetadata& pod,
                              const runtime::v1::ContainerMetadata& container) {
  // The attempt is the container's; the sandbox's own attempt is not part of the name.
  const std::string attempt = std::to_string(container.attempt());
  return join({kNamePrefix, container.name(), pod.name(), pod.namespace_(), pod.uid(), attempt});
}

std::string randomizeName(std::string_view name) {
  // compat: fmt.Sprintf("%08x", rand.Uint32()).
  thread_local std::mt19937 engine{randomSeed()};
  std::uniform_int_distribution<uint32_t> dist;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(dist(engine)));
  return join({name, suffix});
}

Result<KubeName> parseKubeName(std::string_view dockerName) {
  // Docker reports names with a leading '/'.
  std::string_view name = dockerName;
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);

  const std::vector<std::string_view> parts = split(name);
  // compat: a 7th field is the random suffix of randomizeName; its content is not checked.
  if (parts.size() != 6 && parts.size() != 7) {
    return invalidName(name, "not a kubernetes name: want 6 or 7 fields separated by '_'");
  }
  if (parts[0] != kNamePrefix) return invalidName(name, "not managed by kubernetes");

  KubeName out;
  if (!parseAttempt(parts[5], &out.attempt)) {
    return invalidName(name, "attempt \"" + std::string(parts[5]) + "\" is not a uint32");
  }
  out.container = std::string(parts[1]);
  out.pod = std::string(parts[2]);
  out.podNamespace = std::string(parts[3]);
  out.podUid = std::string(parts[4]);
  return out;
}

}  // namespace dockershim::translate
