// ImageFsInfo.
#include <chrono>

#include "common/disk_usage.h"
#include "common/json_util.h"
#include "cri/cri_service.h"

namespace dockershim::cri {

namespace {
// kubelet asks every ~10 s; a walk of a large image store costs more than that is worth.
// Capacity and free space (what eviction uses) kubelet reads from the mountpoint itself.
constexpr auto kFsUsageTtl = std::chrono::seconds(30);
}  // namespace

Status CriService::imageFsInfo(const v1::ImageFsInfoRequest&, v1::ImageFsInfoResponse* resp,
                               const CallContext& ctx) {
  std::lock_guard<std::mutex> lock(fsUsage_.mu);
  auto now = docker::Clock::now();
  if (fsUsage_.mountpoint.empty() || now - fsUsage_.at > kFsUsageTtl) {
    auto facts = dockerFacts(ctx);
    if (!facts) return facts.status().withContext("image fs info");
    const std::string& root = facts->rootDir;
    if (root.empty()) return {Code::kInternal, "image fs info: docker reports no DockerRootDir"};
    // Image layers live in the storage driver's folder and the image metadata beside it.
    uint64_t bytes = 0, inodes = 0;
    std::string driver = facts->storageDriver.empty() ? "overlay2" : facts->storageDriver;
    for (const std::string& dir : {root + "/" + driver, root + "/image"}) {
      auto usage = common::diskUsage(dir);
      if (!usage) {
        if (usage.status().code() == Code::kNotFound) continue;
        return usage.status().withContext("image fs info");
      }
      bytes += usage->bytes;
      inodes += usage->inodes;
    }
    fsUsage_.mountpoint = root;
    fsUsage_.bytes = bytes;
    fsUsage_.inodes = inodes;
    fsUsage_.at = now;
  }
  auto* fs = resp->add_image_filesystems();
  fs->set_timestamp(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
  fs->mutable_fs_id()->set_mountpoint(fsUsage_.mountpoint);
  fs->mutable_used_bytes()->set_value(fsUsage_.bytes);
  fs->mutable_inodes_used()->set_value(fsUsage_.inodes);
  return Status::ok();
}

}  // namespace dockershim::cri
