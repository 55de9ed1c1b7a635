#pragma once

#include <cstdint>
#include <string>

namespace dockershim::common {

inline constexpr int kCapSysResource = 24;

// The capability bounding set of this process (CapBnd in /proc/self/status): what containers
// started through this host can at most be granted. All bits when it cannot be read.
uint64_t boundingCapabilities();
// Parses the hex value of a "CapBnd:" line out of /proc/<pid>/status text.
uint64_t parseCapBnd(const std::string& statusText);

}  // namespace dockershim::common
