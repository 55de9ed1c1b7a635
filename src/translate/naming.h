#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dockershim/status.h"
#include "translate/cri_api.h"

namespace dockershim::translate {

// compat: the Docker container name codec of dockershim and cri-dockerd, byte for byte:
//   sandboxes   k8s_POD_<pod>_<namespace>_<uid>_<attempt>
//   containers  k8s_<container>_<pod>_<namespace>_<uid>_<attempt>
// A 7th field `_<random>` is written only to resolve a name conflict and tolerated on read.
// kubelet tooling and node operators grep for these names.
inline constexpr std::string_view kNamePrefix = "k8s";
inline constexpr std::string_view kSandboxContainerName = "POD";

std::string makeSandboxName(const runtime::v1::PodSandboxMetadata& pod);
std::string makeContainerName(const runtime::v1::PodSandboxMetadata& pod,
                              const runtime::v1::ContainerMetadata& container);
// name + "_" + 8 random lowercase hex digits.
std::string randomizeName(std::string_view name);

struct KubeName {
  std::string container;  // "POD" for sandboxes
  std::string pod;
  std::string podNamespace;
  std::string podUid;
  uint32_t attempt = 0;
};
// Parses a Docker container name (a leading '/' is stripped); INVALID_ARGUMENT for names that
// are not this codec's (wrong prefix, field count other than 6 or 7, attempt not a uint32).
Result<KubeName> parseKubeName(std::string_view dockerName);

}  // namespace dockershim::translate
