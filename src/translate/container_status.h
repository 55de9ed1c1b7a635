#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dockershim/status.h"
#include "translate/cri_api.h"

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

// Docker GET /containers/json entry -> CRI Container (pod_sandbox_id from the label; image_ref
// and image_id are the image ID, which kubelet's image GC compares with ListImages ids).
// INVALID_ARGUMENT for entries without a kube name: the caller skips them.
Status containerFromSummary(const nlohmann::json& summary, runtime::v1::Container* out);

// Docker GET /containers/json entry of a pause container -> CRI PodSandbox
// (READY when running, paused or restarting, else NOTREADY; no runtime_handler: the summary
// does not carry HostConfig.Runtime).
Status sandboxFromSummary(const nlohmann::json& summary, runtime::v1::PodSandbox* out);

// Docker inspect of a pause container -> CRI PodSandboxStatus except the network section,
// which the caller fills (from the checkpoint / CNI); READY iff State.Running (the caller may
// still downgrade it, e.g. when the network is not set up); linux namespace options from
// HostConfig (NetworkMode/PidMode/IpcMode "host" -> NODE, else POD, CONTAINER, POD);
// runtime_handler = HostConfig.Runtime unless it is `defaultRuntime` (the handler "").
Status sandboxStatusFromInspect(const nlohmann::json& inspect, runtime::v1::PodSandboxStatus* out,
                                std::string_view defaultRuntime = "runc");

// The `filters` query value for GET /containers/json (JSON object of arrays), pushing into
// Docker what it can do: label type, id (Docker resolves it as a unique ID prefix), sandbox id
// label (only for a full 64-character ID), CRI label selector as label=key=value, state ->
// status values. Docker's filters are looser or stricter in corner cases: always re-check with
// matches().
nlohmann::json containerListFilters(const runtime::v1::ContainerFilter& filter);
nlohmann::json sandboxListFilters(const runtime::v1::PodSandboxFilter& filter);
// Exact CRI filter semantics re-checked on a translated item: id and pod_sandbox_id are
// prefixes, state is equal, every label selector pair is present with the same value.
bool matches(const runtime::v1::ContainerFilter& filter, const runtime::v1::Container& c);
bool matches(const runtime::v1::PodSandboxFilter& filter, const runtime::v1::PodSandbox& s);

}  // namespace dockershim::translate
