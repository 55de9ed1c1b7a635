#include "cri/state_cache.h"

#include "common/json_util.h"
#include "translate/container_list.h"
#include "translate/labels.h"

namespace dockershim::cri {

namespace {
// Tombstones are only needed while an inspect begun before the erase may still land.
constexpr size_t kMaxTombstones = 4096;
// Images kept; past this all are dropped (a node runs far fewer distinct images).
constexpr size_t kMaxImages = 1024;

bool carriesNothing(const nlohmann::json& v) {
  if (v.is_null()) return true;
  if (v.is_object() || v.is_array()) return v.empty();
  return v.is_string() && v.get_ref<const std::string&>().empty();
}

// Maps keyed by the user, not Docker's fields: a label "role" with the value "" is a label.
bool userKeyed(std::string_view key) {
  return key == "Labels" || key == "Annotations" || key == "Sysctls" || key == "Tmpfs" ||
         key == "StorageOpt" || key == "DriverOpts";
}

void compactMembers(nlohmann::json& v, bool dropEmpty) {
  if (v.is_array()) {
    for (auto& item : v) compactMembers(item, true);
    return;
  }
  if (!v.is_object()) return;
  for (auto it = v.begin(); it != v.end();) {
    compactMembers(*it, !userKeyed(it.key()));
    it = dropEmpty && carriesNothing(*it) ? v.erase(it) : std::next(it);
  }
}
// Zero and false scalars directly in HostConfig: every reader of a kept HostConfig (limits,
// shares, Privileged, ReadonlyRootfs, OomScoreAdj …) reads an absent one as 0 or false, and about
// two thirds of its members are such. Not elsewhere: an absent Mounts[].RW reads as true, an
// absent State.Running defers to State.Status.
void dropZeroScalars(nlohmann::json& object) {
  if (!object.is_object()) return;
  for (auto it = object.begin(); it != object.end();) {
    const bool zero = (it->is_boolean() && !it->get<bool>()) ||
                      (it->is_number_integer() && it->get<int64_t>() == 0) ||
                      (it->is_number_unsigned() && it->get<uint64_t>() == 0) ||
                      (it->is_number_float() && it->get<double>() == 0.0);
    it = zero ? object.erase(it) : std::next(it);
  }
}
}  // namespace

void StateCache::compact(nlohmann::json& inspect) {
  compactMembers(inspect, true);
  if (!inspect.is_object()) return;
  auto host = inspect.find("HostConfig");
  if (host != inspect.end()) dropZeroScalars(*host);
  // Files and folders no reader of a kept inspect asks for, and long: the image's layer folders
  // (stats measure only the writable UpperDir) and two files Docker writes for each container
  // (resolv.conf, which is read, stays).
  auto driver = inspect.find("GraphDriver");
  if (driver != inspect.end() && driver->is_object()) {
    auto data = driver->find("Data");
    if (data != driver->end() && data->is_object()) {
      for (const char* unread : {"LowerDir", "MergedDir", "WorkDir"}) data->erase(unread);
    }
  }
  inspect.erase("HostsPath");
  inspect.erase("HostnamePath");
}

uint64_t StateCache::nextGeneration() {
  std::lock_guard<std::mutex> lock(mu_);
  return ++generation_;
}

bool StateCache::put(std::shared_ptr<const nlohmann::json> kept, uint64_t generation) {
  if (!kept) return false;
  const nlohmann::json& inspect = *kept;
  std::string id = common::jsonString(inspect, "Id");
  if (id.empty()) return false;
  std::string kind =
      common::jsonString(common::jsonMember(common::jsonMember(inspect, "Config"), "Labels"),
                         translate::kContainerTypeLabel);
  bool sandbox = kind == translate::kContainerTypeSandbox;
  if (!sandbox && kind != translate::kContainerTypeContainer) return false;
  Entry entry;
  entry.summary = std::make_shared<const nlohmann::json>(translate::summaryFromInspect(inspect));
  entry.inspect = std::move(kept);
  entry.sandbox = sandbox;
  entry.generation = generation;
  // Translated here, once, outside the lock: lists copy what is ready.
  if (sandbox) {
    auto made = std::make_shared<runtime::v1::PodSandbox>();
    if (translate::sandboxFromSummary(*entry.summary, made.get())) {
      entry.wire = std::make_shared<const std::string>(made->SerializeAsString());
      entry.podSandbox = made;
    }
  } else {
    auto made = std::make_shared<runtime::v1::Container>();
    if (translate::containerFromSummary(*entry.summary, made.get())) {
      entry.wire = std::make_shared<const std::string>(made->SerializeAsString());
      entry.container = made;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (auto t = tombstones_.find(id); t != tombstones_.end()) {
    if (t->second >= generation) return false;
    tombstones_.erase(t);  // the same id again (never for Docker ids), newer than its removal
  }
  auto it = entries_.find(id);
  if (it != entries_.end() && it->second.generation >= generation) return false;
  if (it != entries_.end()) unindex(id, it->second);
  index(id, entry);
  entries_[id] = std::move(entry);
  return true;
}

void StateCache::index(const std::string& id, const Entry& e) {
  if (e.container) bySandbox_[e.container->pod_sandbox_id()].insert(id);
}

void StateCache::unindex(const std::string& id, const Entry& e) {
  if (!e.container) return;
  auto it = bySandbox_.find(e.container->pod_sandbox_id());
  if (it == bySandbox_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) bySandbox_.erase(it);
}

void StateCache::erase(const std::string& id, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it != entries_.end() && it->second.generation > generation) return;
  if (it != entries_.end()) {
    unindex(id, it->second);
    entries_.erase(it);
  }
  tombstones_[id] = generation;
  while (tombstones_.size() > kMaxTombstones) {
    // The oldest erase goes first.
    auto oldest = tombstones_.begin();
    for (auto t = tombstones_.begin(); t != tombstones_.end(); ++t) {
      if (t->second < oldest->second) oldest = t;
    }
    tombstones_.erase(oldest);
  }
}

std::optional<StateCache::Entry> StateCache::find(const std::string& idOrPrefix) const {
  if (idOrPrefix.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.lower_bound(idOrPrefix);
  if (it == entries_.end() || it->first.compare(0, idOrPrefix.size(), idOrPrefix) != 0) {
    return std::nullopt;
  }
  if (it->first.size() == idOrPrefix.size()) return it->second;
  auto next = std::next(it);
  if (next != entries_.end() && next->first.compare(0, idOrPrefix.size(), idOrPrefix) == 0) {
    return std::nullopt;  // ambiguous: Docker decides (and says so)
  }
  return it->second;
}

std::vector<StateCache::Entry> StateCache::list(bool sandboxes, std::string_view idPrefix,
                                                std::string_view sandboxIdPrefix) const {
  auto hasPrefix = [](std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
  };
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Entry> out;
  auto take = [&](const std::string& id) {
    if (!hasPrefix(id, idPrefix)) return;
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.sandbox == sandboxes) out.push_back(it->second);
  };
  if (!sandboxes && !sandboxIdPrefix.empty()) {
    for (auto it = bySandbox_.lower_bound(sandboxIdPrefix);
         it != bySandbox_.end() && hasPrefix(it->first, sandboxIdPrefix); ++it) {
      for (const auto& id : it->second) take(id);
    }
    return out;
  }
  for (auto it = entries_.lower_bound(idPrefix);
       it != entries_.end() && hasPrefix(it->first, idPrefix); ++it) {
    if (it->second.sandbox == sandboxes) out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> StateCache::ids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, _] : entries_) out.push_back(id);
  return out;
}

uint64_t StateCache::imageEpoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return imageEpoch_;
}

void StateCache::putImage(const std::string& id, std::shared_ptr<const nlohmann::json> kept,
                          uint64_t epoch) {
  if (id.empty() || !kept) return;
  std::lock_guard<std::mutex> lock(mu_);
  // An image changed since the inspect was asked for, or no event would tell of the next one.
  if (epoch != imageEpoch_ || !synced_) return;
  if (images_.size() >= kMaxImages) images_.clear();
  images_[id] = std::move(kept);
}

std::shared_ptr<const nlohmann::json> StateCache::findImage(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = images_.find(id);
  return it == images_.end() ? nullptr : it->second;
}

void StateCache::clearImages() {
  std::lock_guard<std::mutex> lock(mu_);
  ++imageEpoch_;
  images_.clear();
  imageSet_.reset();
}

void StateCache::putImageSet(std::shared_ptr<const ImageSet> images, uint64_t epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  if (epoch != imageEpoch_ || !synced_) return;
  imageSet_ = std::move(images);
}

std::shared_ptr<const ImageSet> StateCache::imageSet() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_ ? imageSet_ : nullptr;
}

std::optional<translate::ImageUser> StateCache::imageUser(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = imageUsers_.find(id);
  if (it == imageUsers_.end()) return std::nullopt;
  return it->second;
}

void StateCache::putImageUser(const std::string& id, const translate::ImageUser& user) {
  if (id.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (imageUsers_.size() >= kMaxImages) imageUsers_.clear();
  imageUsers_[id] = user;
}

bool StateCache::synced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_;
}

void StateCache::setStreamUp(bool up) {
  std::lock_guard<std::mutex> lock(mu_);
  streamUp_ = up;
  ++streamEpoch_;
}

uint64_t StateCache::streamEpoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streamEpoch_;
}

void StateCache::invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  synced_ = false;
  invalidatedAt_ = ++generation_;
  // Image events may go unheard too.
  ++imageEpoch_;
  images_.clear();
  imageSet_.reset();
}

bool StateCache::syncFrom(uint64_t mark) {
  std::lock_guard<std::mutex> lock(mu_);
  if (synced_ || !streamUp_ || invalidatedAt_ >= mark) return false;
  synced_ = true;
  // Images kept while unsynced may predate a change no event told of.
  ++imageEpoch_;
  images_.clear();
  imageSet_.reset();
  return true;
}

size_t StateCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace dockershim::cri
