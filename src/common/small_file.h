#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace dockershim::common {

// The whole of a small file (procfs, sysfs, cgroupfs: one open, a few reads, no stream
// machinery); nullopt when it cannot be opened or read, or is larger than `limit`.
std::optional<std::string> readSmallFile(const std::string& path, size_t limit = 1 << 20);

}  // namespace dockershim::common
