#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cri/image_set.h"
#include "translate/cri_api.h"
#include "translate/image.h"

// Docker's view of every CRI container and sandbox, kept in memory so that ListContainers,
// ListPodSandbox, ContainerStatus and PodSandboxStatus (and the stats RPCs' lists) need no
// Docker request.
//
// Consistency rule. An entry is Docker's inspect of the container, replaced whenever something
// may have changed it: each Docker event for it (re-inspect; destroy erases), each RPC of
// dockershim that changed it (re-inspect before the RPC returns), and a periodic full resync.
// Updates race (the event thread and an RPC may inspect the same container at once), so each
// inspect takes a generation number before it asks Docker, and an answer older than the one
// kept is dropped; an erase leaves a tombstone so an older inspect cannot bring a removed
// container back. While the cache is not synced (before the first full list, or while the
// Docker event stream is down, or after a refresh Docker did not answer) readers ask Docker
// instead, and the full list that syncs again re-inspects every container. The events heard are
// create, start, die, destroy, update, rename, pause, unpause and every image change, so what
// an inspect shows changes only with an event.
namespace dockershim::cri {

class StateCache {
 public:
  struct Entry {
    std::shared_ptr<const nlohmann::json> inspect;
    std::shared_ptr<const nlohmann::json> summary;  // translate::summaryFromInspect
    // What ListContainers / ListPodSandbox send for it, made once per inspect (null when the
    // summary does not translate: such containers are not listed).
    std::shared_ptr<const runtime::v1::Container> container;
    std::shared_ptr<const runtime::v1::PodSandbox> podSandbox;
    // That message serialised: what a list sends for it, unless the call changes it.
    std::shared_ptr<const std::string> wire;
    bool sandbox = false;
    uint64_t generation = 0;
  };

  // Docker's inspect as it is kept: without the members that carry nothing (null, "", [] and {},
  // and HostConfig's 0 and false), which are about half of its memory, nor the layer folders
  // and files no reader asks for. Readers go through common/json_util.h, which reads an absent
  // member as null, "", 0 or false alike; verbose answers, which show Docker's documents as they
  // are, ask Docker.
  static void compact(nlohmann::json& inspect);

  // Taken before the Docker request whose answer will be put or erased.
  uint64_t nextGeneration();
  // Keeps `inspect` (a CRI container or sandbox; others are ignored) unless the entry or
  // tombstone kept for its id is newer. Returns whether it was kept.
  bool put(std::shared_ptr<const nlohmann::json> inspect, uint64_t generation);
  bool put(const nlohmann::json& inspect, uint64_t generation) {
    return put(std::make_shared<const nlohmann::json>(inspect), generation);
  }
  // The container is gone (destroy event, RemoveContainer, a 404 on inspect).
  void erase(const std::string& id, uint64_t generation);
  // By full id, or by a prefix that names exactly one entry.
  std::optional<Entry> find(const std::string& idOrPrefix) const;
  // The containers (or sandboxes) a list filtered by an id prefix and (containers) a sandbox
  // id prefix can match, found by index; the caller still applies the CRI filter (state,
  // labels). By id.
  std::vector<Entry> list(bool sandboxes, std::string_view idPrefix = {},
                          std::string_view sandboxIdPrefix = {}) const;
  std::vector<std::string> ids() const;

  // Docker's inspect of the images containers run (ContainerStatus reports their tags and
  // digests). Tags and digests change on tag, untag, pull, push and removal: any image event,
  // and every image write of dockershim, empties this part (clearImages), and an inspect taken
  // before that (its imageEpoch() is older) is not kept.
  uint64_t imageEpoch() const;
  void putImage(const std::string& id, std::shared_ptr<const nlohmann::json> inspect,
                uint64_t epoch);
  void putImage(const std::string& id, const nlohmann::json& inspect, uint64_t epoch) {
    putImage(id, std::make_shared<const nlohmann::json>(inspect), epoch);
  }
  std::shared_ptr<const nlohmann::json> findImage(const std::string& id) const;
  void clearImages();
  // Docker's whole image list, as ListImages and ImageStatus answer from it: kept when listed
  // at the current imageEpoch() while synced, and current until the next image change.
  void putImageSet(std::shared_ptr<const ImageSet> images, uint64_t epoch);
  std::shared_ptr<const ImageSet> imageSet() const;  // null when none is current
  // An image's Config.User by image ID. An ID names fixed content, so this outlives changes.
  std::optional<translate::ImageUser> imageUser(const std::string& id) const;
  void putImageUser(const std::string& id, const translate::ImageUser& user);

  // Whether readers may answer from memory. Synced by a full list (syncFrom) while the event
  // stream is up, and only when nothing invalidated the cache after that list was asked for.
  bool synced() const;
  // The stream is open (or about to be, with `since` covering the gap) / it ended.
  void setStreamUp(bool up);
  // Counts setStreamUp calls: what was learnt from Docker in one epoch (with the cache synced)
  // cannot have been changed by a restart of dockerd, which ends the stream.
  uint64_t streamEpoch() const;
  // What is kept may be stale (the stream ended, Docker did not answer a refresh): readers ask
  // Docker until a full list asked for after this syncs again.
  void invalidate();
  // A full list asked for at generation `mark` has been applied.
  // True when this call made the cache synced.
  bool syncFrom(uint64_t mark);
  size_t size() const;

 private:
  void index(const std::string& id, const Entry& e);    // under mu_
  void unindex(const std::string& id, const Entry& e);  // under mu_

  mutable std::mutex mu_;
  uint64_t generation_ = 0;
  bool synced_ = false;
  bool streamUp_ = false;
  uint64_t streamEpoch_ = 0;
  uint64_t invalidatedAt_ = 0;  // generation of the last invalidate()
  std::map<std::string, Entry, std::less<>> entries_;
  // Pod sandbox id (the container's label) -> ids of its containers.
  std::map<std::string, std::set<std::string>, std::less<>> bySandbox_;
  std::map<std::string, uint64_t> tombstones_;  // id -> generation of the erase
  uint64_t imageEpoch_ = 0;
  std::map<std::string, std::shared_ptr<const nlohmann::json>> images_;
  std::shared_ptr<const ImageSet> imageSet_;
  std::map<std::string, translate::ImageUser> imageUsers_;
};

}  // namespace dockershim::cri
