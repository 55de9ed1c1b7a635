#pragma once

#include <string>
#include <string_view>

#include "dockershim/status.h"

namespace dockershim::translate {

// A Docker image reference split into its parts, following the grammar of
// github.com/distribution/reference and Docker's normalisation of it.
struct ImageRef {
  std::string domain;  // "docker.io", "127.0.0.1:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // "" when absent; parseImageRef sets "latest" when neither tag nor digest
  std::string digest;  // "sha256:<hex>" or ""

  // domain + "/" + path: "docker.io/library/busybox".
  std::string repository() const;
  // The short form Docker prints: "busybox", "foo/bar"; repository() outside Docker Hub.
  std::string familiarName() const;
  // repository()[":" tag]["@" digest].
  std::string string() const;

  bool operator==(const ImageRef&) const = default;
};

// Parses and normalises a reference as Docker does: "busybox" -> docker.io/library/busybox:latest,
// "index.docker.io/foo" -> docker.io/library/foo:latest. A reference with a digest and no tag gets
// no default tag; one with both keeps both. Image IDs (see isImageId) are not references and are
// rejected, like anything malformed, with Code::kInvalidArgument.
Result<ImageRef> parseImageRef(std::string_view ref);

// True for "sha256:<64 lowercase hex>" and for a bare 64-hex id: the forms kubelet uses to name an
// image by ID. Such strings must be resolved as IDs, never parsed as references.
bool isImageId(std::string_view s);

// A full image ID, or a hex prefix long enough to be one (Docker prints 12): what crictl users
// type for an image. Shorter hex strings ("cafe") are valid repository names.
bool looksLikeImageId(std::string_view s);

}  // namespace dockershim::translate
