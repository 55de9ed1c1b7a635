#pragma once

#include <cstdint>
#include <string>

#include "dockershim/status.h"

namespace dockershim::common {

struct DiskUsage {
  uint64_t bytes = 0;   // allocated blocks, hard links counted once
  uint64_t inodes = 0;  // distinct inodes under the path
};

// Walks `path` without following symlinks or crossing into other filesystems. Entries that
// vanish during the walk are skipped (containers come and go). NOT_FOUND if `path` is missing.
Result<DiskUsage> diskUsage(const std::string& path);

}  // namespace dockershim::common
