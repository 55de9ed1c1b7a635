#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"
#include "translate/cri_api.h"
#include "translate/naming.h"

namespace dockershim::translate {

// Docker's RFC 3339 time ("2026-11-28T09:49:54.279306719Z", any offset) -> Unix ns; Docker's zero
// time "0001-01-01T00:00:00Z", empty, unparsable or outside the int64 nanosecond range -> 0.
// Fractional digits beyond the ninth are truncated, as Go's parser does.
int64_t dockerTimeToNanos(std::string_view time);

// compat: ContainerStatus.image_ref as dockershim wrote it: "docker-pullable://<repo>@<digest>"
// when the image has a repo digest (the one of the repository the container was created from
// when there is one), else "docker://<image id>". `image` is Docker's image inspect (may be null).
// An empty `imageId` falls back to the inspect's Id; "" when neither is known.
std::string containerImageRef(const nlohmann::json& image, std::string_view configuredImage,
                              std::string_view imageId);

// Docker GET /containers/{id}/json -> CRI ContainerStatus: id, metadata (from the name), state,
// created/started/finished (ns), exit code, reason (OOMKilled, Completed, Error,
// ContainerCannotRun), message, image, image_ref, image_id, labels/annotations (internal ones
// hidden), mounts, log path (from the label). image.image is the configured image, or the
// image's first repo tag when the container was created from a bare image ID (kubelet passes
// IDs). `image` is the image inspect for image_ref and that tag (may be null).
// INVALID_ARGUMENT if the name is not a kube name or the body is not a container inspect.
Status containerStatusFromInspect(const nlohmann::json& inspect, const nlohmann::json& image,
                                  runtime::v1::ContainerStatus* out);

// The container's resources (from HostConfig) and, when Config.User is numeric "uid:gid", its
// user (with HostConfig.GroupAdd as supplemental groups) into `out`.
void containerResourcesFromInspect(const nlohmann::json& inspect,
                                   runtime::v1::ContainerStatus* out);

// Docker inspect of a pause container -> CRI PodSandboxStatus except the network section,
// which the caller fills (from the checkpoint / CNI); READY iff State.Running (the caller may
// still downgrade it, e.g. when the network is not set up); linux namespace options from
// HostConfig (NetworkMode/PidMode/IpcMode "host" -> NODE, else POD, CONTAINER, POD);
// runtime_handler = the handler RunPodSandbox was asked for (its label; "" without one).
Status sandboxStatusFromInspect(const nlohmann::json& inspect, runtime::v1::PodSandboxStatus* out);

// The IPv4 and IPv6 addresses Docker's own network gave a pause container (--network-plugin=none
// with Docker's bridge), IPv4 first. Docker API: before 1.52 the default network's addresses
// are also NetworkSettings' top-level IPAddress/GlobalIPv6Address (deprecated since 1.21, gone
// in 1.52); every version has them under NetworkSettings.Networks.<network>, which is read when
// the top-level ones are absent.
std::vector<std::string> dockerNetworkIps(const nlohmann::json& inspect);

// ---- shared with container_list.cc (the list translation), not for other callers ----

// Docker API: the values of State.Status and of the list `status` filter (IsValidStateString).
inline constexpr std::string_view kStateCreated = "created";
inline constexpr std::string_view kStateRunning = "running";
inline constexpr std::string_view kStatePaused = "paused";
inline constexpr std::string_view kStateRestarting = "restarting";
inline constexpr std::string_view kStateRemoving = "removing";
inline constexpr std::string_view kStateExited = "exited";
inline constexpr std::string_view kStateDead = "dead";

// The states Docker reports State.Running true for (running, paused, restarting): CRI RUNNING.
bool isRunningState(std::string_view state);

// obj[key] as an int64 (0 when absent or not a number). Unlike common::jsonInt, saturates huge
// unsigned values and rejects floats an int64 cannot hold (casting those is undefined behaviour).
int64_t intField(const nlohmann::json& obj, std::string_view key);

// A Docker container name (a JSON value, e.g. inspect's Name) -> its kube name;
// INVALID_ARGUMENT if it is not a string or not a kube name.
Result<KubeName> kubeNameOf(const nlohmann::json& name);
void setSandboxMetadata(const KubeName& name, runtime::v1::PodSandboxMetadata* md);
void setContainerMetadata(const KubeName& name, runtime::v1::ContainerMetadata* md);

}  // namespace dockershim::translate
