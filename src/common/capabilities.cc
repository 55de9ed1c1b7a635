#include "common/capabilities.h"

#include <fstream>
#include <sstream>

namespace dockershim::common {

uint64_t parseCapBnd(const std::string& statusText) {
  std::istringstream in(statusText);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapBnd:", 0) != 0) continue;
    try {
      return std::stoull(line.substr(7), nullptr, 16);
    } catch (...) {
      return ~0ULL;
    }
  }
  return ~0ULL;
}

uint64_t boundingCapabilities() {
  std::ifstream in("/proc/self/status");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseCapBnd(ss.str());
}

std::string missingCapabilities(uint64_t set) {
  std::string out;
  for (size_t bit = 0; bit < kCapabilityNames.size(); ++bit) {
    if ((set >> bit) & 1) continue;
    if (!out.empty()) out += ", ";
    out += kCapabilityNames[bit];
  }
  return out;
}

}  // namespace dockershim::common
