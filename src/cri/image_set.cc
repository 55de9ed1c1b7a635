#include "cri/image_set.h"

#include "translate/image.h"
#include "translate/image_ref.h"

namespace dockershim::cri {

namespace {

constexpr std::string_view kIdPrefix = "sha256:";

// The reference store's key for a reference: repository with its digest, else with its tag.
std::string storeKey(const translate::ImageRef& ref) {
  return ref.digest.empty() ? ref.repository() + ":" + ref.tag
                            : ref.repository() + "@" + ref.digest;
}

// Docker API: the reference filter of GET /images/json keeps a tag or digest when the pattern
// equals its familiar string ("busybox:1.36", "busybox@sha256:…") or its familiar name
// ("busybox"); the image is listed with the tags and digests that matched.
bool filterMatches(std::string_view filter, std::string_view familiar) {
  if (filter == familiar) return true;
  std::string_view name = familiar.substr(0, familiar.find('@'));
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    name = name.substr(0, colon);
  }
  return filter == name;
}

bool hasPattern(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

}  // namespace

ImageSet::ImageSet(const nlohmann::json& summaries, const std::vector<std::string>& pinned)
    : pinned_(pinned) {
  if (!summaries.is_array()) return;
  images_.reserve(summaries.size());
  for (const auto& summary : summaries) {
    runtime::v1::Image image;
    translate::imageFromSummary(summary, &image);
    if (image.id().empty()) continue;
    translate::markPinned(pinned_, &image);
    size_t index = images_.size();
    byId_[image.id()] = index;
    for (const auto& tag : image.repo_tags()) {
      if (auto ref = translate::parseImageRef(tag); ref && !ref->tag.empty()) {
        byRef_[storeKey(*ref)] = index;
      }
    }
    for (const auto& digest : image.repo_digests()) {
      if (auto ref = translate::parseImageRef(digest); ref && !ref->digest.empty()) {
        byRef_[storeKey(*ref)] = index;
      }
    }
    images_.push_back(std::move(image));
  }
}

ImageSet::Found ImageSet::find(std::string_view name) const {
  auto found = [this](size_t index) { return Found{Lookup::kFound, &images_[index]}; };
  if (translate::isImageId(name)) {
    std::string id = name.substr(0, kIdPrefix.size()) == kIdPrefix
                         ? std::string(name)
                         : std::string(kIdPrefix) + std::string(name);
    auto it = byId_.find(id);
    return it == byId_.end() ? Found{Lookup::kAbsent} : found(it->second);
  }
  if (translate::looksLikeImageId(name)) {
    // Docker tries a hex string as a repository name first, then as an ID prefix.
    if (auto ref = translate::parseImageRef(name); ref) {
      if (auto it = byRef_.find(storeKey(*ref)); it != byRef_.end()) return found(it->second);
    }
    std::string prefix = std::string(kIdPrefix) + std::string(name);
    auto it = byId_.lower_bound(prefix);
    auto matching = [&](auto i) { return i != byId_.end() && i->first.rfind(prefix, 0) == 0; };
    if (!matching(it)) return Found{Lookup::kAbsent};
    if (matching(std::next(it))) return Found{Lookup::kUnknown};  // ambiguous: Docker says how
    return found(it->second);
  }
  auto ref = translate::parseImageRef(name);
  if (!ref) return Found{Lookup::kUnknown};
  if (auto it = byRef_.find(storeKey(*ref)); it != byRef_.end()) return found(it->second);
  // A tag no image has is absent. A digest no image lists may still name a manifest Docker
  // knows of another way (newer image stores): Docker decides.
  return Found{ref->digest.empty() ? Lookup::kAbsent : Lookup::kUnknown};
}

std::optional<std::vector<runtime::v1::Image>> ImageSet::list(std::string_view filter) const {
  if (filter.empty()) return images_;
  std::vector<runtime::v1::Image> out;
  if (translate::looksLikeImageId(filter)) {
    std::string prefix = filter.substr(0, kIdPrefix.size()) == kIdPrefix
                             ? std::string(filter)
                             : std::string(kIdPrefix) + std::string(filter);
    for (const auto& image : images_) {
      if (image.id().rfind(prefix, 0) == 0) out.push_back(image);
    }
    return out;
  }
  auto dockerFilter = translate::dockerReferenceFilter(filter);
  if (!dockerFilter || hasPattern(*dockerFilter)) return std::nullopt;
  for (const auto& image : images_) {
    runtime::v1::Image kept = image;
    kept.clear_repo_tags();
    kept.clear_repo_digests();
    kept.set_pinned(false);
    for (const auto& tag : image.repo_tags()) {
      if (filterMatches(*dockerFilter, tag)) kept.add_repo_tags(tag);
    }
    for (const auto& digest : image.repo_digests()) {
      if (filterMatches(*dockerFilter, digest)) kept.add_repo_digests(digest);
    }
    if (kept.repo_tags().empty() && kept.repo_digests().empty()) continue;
    translate::markPinned(pinned_, &kept);
    out.push_back(std::move(kept));
  }
  return out;
}

}  // namespace dockershim::cri
