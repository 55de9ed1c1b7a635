#include "common/disk_usage.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>

namespace dockershim::common {
namespace {

// nftw has no user pointer; the walk state is per call and the mutex makes the calls serial.
std::mutex walkMu;
DiskUsage* walkUsage = nullptr;
std::set<std::pair<dev_t, ino_t>>* walkLinks = nullptr;

int visit(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_NS || st == nullptr) return 0;
  if (st->st_nlink > 1 && type != FTW_D && type != FTW_DP) {
    if (!walkLinks->insert({st->st_dev, st->st_ino}).second) return 0;
  }
  walkUsage->bytes += static_cast<uint64_t>(st->st_blocks) * 512;
  walkUsage->inodes += 1;
  return 0;
}

}  // namespace

Result<DiskUsage> diskUsage(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return Status(errno == ENOENT ? Code::kNotFound : Code::kInternal,
                  "stat " + path + ": " + std::strerror(errno));
  }
  std::lock_guard<std::mutex> lock(walkMu);
  DiskUsage usage;
  std::set<std::pair<dev_t, ino_t>> links;
  walkUsage = &usage;
  walkLinks = &links;
  int rc = ::nftw(path.c_str(), visit, 64, FTW_PHYS | FTW_MOUNT);
  walkUsage = nullptr;
  walkLinks = nullptr;
  if (rc != 0) return Status(Code::kInternal, "walk " + path + ": " + std::strerror(errno));
  return usage;
}

}  // namespace dockershim::common
