#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "translate/cri_api.h"

// Docker's images at one moment (one GET /images/json), indexed so that ListImages and
// ImageStatus are answered from memory.
//
// Names resolve as Docker resolves them (its image service's lookup): a full ID names the image
// with that ID; a reference names what Docker's reference store maps it to (a name without tag
// or digest means ":latest"); a hex string of 12 or more characters that is no tag is an ID
// prefix. Where memory cannot answer as Docker would (an ambiguous ID prefix, a digest no image
// lists, a pattern in a list filter) the answer is "unknown" and the caller asks Docker.
namespace dockershim::cri {

class ImageSet {
 public:
  // `summaries`: Docker's /images/json array; `pinned`: familiar "name:tag" strings of images
  // reported pinned (the sandbox image).
  ImageSet(const nlohmann::json& summaries, const std::vector<std::string>& pinned);

  enum class Lookup { kFound, kAbsent, kUnknown };
  struct Found {
    Lookup lookup = Lookup::kUnknown;
    const runtime::v1::Image* image = nullptr;  // kFound only; lives as long as the set
  };
  // A CRI image name as ImageStatus gets it (validated: an ID, an ID prefix or a reference).
  Found find(std::string_view name) const;

  // ListImages' answer for a CRI image filter ("" lists all), in Docker's order; nullopt when
  // only Docker can say (a filter with a pattern, or one that does not parse).
  std::optional<std::vector<runtime::v1::Image>> list(std::string_view filter) const;

  size_t size() const { return images_.size(); }

 private:
  std::vector<std::string> pinned_;
  std::vector<runtime::v1::Image> images_;
  // Normalized references -> index: "docker.io/library/busybox:latest" and
  // "docker.io/library/busybox@sha256:<hex>".
  std::unordered_map<std::string, size_t> byRef_;
  std::map<std::string, size_t, std::less<>> byId_;  // "sha256:<hex>" -> index
};

}  // namespace dockershim::cri
