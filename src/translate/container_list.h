#pragma once

#include <nlohmann/json.hpp>

#include "dockershim/status.h"
#include "translate/cri_api.h"

namespace dockershim::translate {

// Docker GET /containers/json entry -> CRI Container (pod_sandbox_id from the label; image_ref
// and image_id are the image ID, which kubelet's image GC compares with ListImages ids).
// INVALID_ARGUMENT for entries without a kube name: the caller skips them.
Status containerFromSummary(const nlohmann::json& summary, runtime::v1::Container* out);

// Docker GET /containers/json entry of a pause container -> CRI PodSandbox
// (READY when running, paused or restarting, else NOTREADY; no runtime_handler: the summary
// does not carry HostConfig.Runtime).
Status sandboxFromSummary(const nlohmann::json& summary, runtime::v1::PodSandbox* out);

// A container inspect in the shape of its GET /containers/json entry (Id, Names, Image, ImageID,
// Labels, State, Created in seconds): what containerFromSummary/sandboxFromSummary read, so a
// list answered from kept inspects equals one answered by Docker.
nlohmann::json summaryFromInspect(const nlohmann::json& inspect);

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
