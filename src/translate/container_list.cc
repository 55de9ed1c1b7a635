#include "translate/container_list.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/json_util.h"
#include "translate/container_status.h"
#include "translate/labels.h"
#include "translate/naming.h"

namespace dockershim::translate {

using nlohmann::json;

namespace {

// Docker IDs are 64 hex digits; a sandbox id filter that long can only match by equality.
constexpr size_t kFullIdLength = 64;

// ---- states ----

// The state of a /containers/json entry. `State` is Docker's state word (API >= 1.21);
// without it, compat: dockershim parsed the human `Status` ("Up 2 minutes", "Exited (0) ...").
runtime::v1::ContainerState summaryContainerState(const json& summary) {
  const json& state = common::jsonMember(summary, "State");
  if (state.is_string()) {
    const auto& s = state.get_ref<const std::string&>();
    if (s == kStateCreated) return runtime::v1::CONTAINER_CREATED;
    if (isRunningState(s)) return runtime::v1::CONTAINER_RUNNING;
    if (s == kStateExited || s == kStateDead) return runtime::v1::CONTAINER_EXITED;
    // compat: "removing" was "Removal In Progress" to dockershim: UNKNOWN.
    return runtime::v1::CONTAINER_UNKNOWN;
  }
  std::string status = common::jsonString(summary, "Status");
  if (status.rfind("Up", 0) == 0) return runtime::v1::CONTAINER_RUNNING;
  if (status.rfind("Exited", 0) == 0) return runtime::v1::CONTAINER_EXITED;
  if (status.rfind("Created", 0) == 0) return runtime::v1::CONTAINER_CREATED;
  return runtime::v1::CONTAINER_UNKNOWN;
}

// The Docker states that translate to a CRI container state (the inverse of the above).
std::vector<std::string_view> dockerStatesFor(runtime::v1::ContainerState state) {
  switch (state) {
    case runtime::v1::CONTAINER_CREATED:
      return {kStateCreated};
    case runtime::v1::CONTAINER_RUNNING:
      return {kStateRunning, kStatePaused, kStateRestarting};
    case runtime::v1::CONTAINER_EXITED:
      return {kStateExited, kStateDead};
    case runtime::v1::CONTAINER_UNKNOWN:
      return {kStateRemoving};
    default:
      // An enum value this build does not know: Docker rejects unknown status words with 400,
      // so push nothing and let matches() drop everything.
      return {};
  }
}

std::vector<std::string_view> dockerStatesFor(runtime::v1::PodSandboxState state) {
  switch (state) {
    case runtime::v1::SANDBOX_READY:
      return {kStateRunning, kStatePaused, kStateRestarting};
    case runtime::v1::SANDBOX_NOTREADY:
      return {kStateCreated, kStateExited, kStateDead, kStateRemoving};
    default:
      return {};
  }
}

// ---- list entries ----

// The first name of a /containers/json entry (Docker lists links as further names).
Result<KubeName> summaryKubeName(const json& summary) {
  const json& names = common::jsonMember(summary, "Names");
  if (!names.is_array() || names.empty()) {
    return Status(Code::kInvalidArgument, "container has no name");
  }
  return kubeNameOf(names.front());
}

int64_t summaryCreatedNanos(const json& summary) {
  int64_t seconds = intField(summary, "Created");
  int64_t nanos = 0;
  if (seconds <= 0 || __builtin_mul_overflow(seconds, int64_t{1000000000}, &nanos)) return 0;
  return nanos;
}

// ---- filters ----

bool labelsMatch(const ProtoMap& selector, const ProtoMap& labels) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

bool hasPrefix(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// CRI label selector -> Docker label filter values, sorted so the query is deterministic.
void addLabelSelector(const ProtoMap& selector, json& labels) {
  std::vector<std::string> pairs;
  for (const auto& [key, value] : selector) {
    // Docker splits "k=v" at the first '='; a key holding one would be matched wrongly, so it
    // is left to matches().
    if (key.find('=') != std::string::npos) continue;
    pairs.push_back(key + "=" + value);
  }
  std::sort(pairs.begin(), pairs.end());
  for (auto& p : pairs) labels.push_back(std::move(p));
}

json statusArray(const std::vector<std::string_view>& states) {
  json out = json::array();
  for (auto s : states) out.push_back(std::string(s));
  return out;
}

// Docker's filters object shared by both lists. Docker API: the id filter resolves a unique ID
// prefix (an ambiguous one matches nothing).
json listFilters(json labels, const std::string& id, const std::vector<std::string_view>& states) {
  json out = json::object();
  out["label"] = std::move(labels);
  if (!id.empty()) out["id"] = json::array({id});
  if (!states.empty()) out["status"] = statusArray(states);
  return out;
}

}  // namespace

json summaryFromInspect(const json& inspect) {
  json out = json::object();
  out["Id"] = common::jsonString(inspect, "Id");
  out["Names"] = json::array();
  if (const auto& name = common::jsonMember(inspect, "Name"); name.is_string()) {
    out["Names"].push_back(name);
  }
  const json& config = common::jsonMember(inspect, "Config");
  out["Image"] = common::jsonString(config, "Image");
  out["ImageID"] = common::jsonString(inspect, "Image");
  const json& labels = common::jsonMember(config, "Labels");
  out["Labels"] = labels.is_object() ? labels : json::object();
  out["State"] = common::jsonString(common::jsonMember(inspect, "State"), "Status");
  out["Created"] = dockerTimeToNanos(common::jsonString(inspect, "Created")) / 1'000'000'000;
  return out;
}

Status containerFromSummary(const json& summary, runtime::v1::Container* out) {
  if (!summary.is_object()) {
    return Status(Code::kInvalidArgument, "container list entry is not a JSON object");
  }
  std::string id = common::jsonString(summary, "Id");
  if (id.empty()) return Status(Code::kInvalidArgument, "container list entry has no Id");
  auto name = summaryKubeName(summary);
  if (!name) return name.status().withContext("container \"" + id + "\"");

  const json& labels = common::jsonMember(summary, "Labels");
  out->Clear();
  out->set_id(id);
  out->set_pod_sandbox_id(common::jsonString(labels, kSandboxIdLabel));
  setContainerMetadata(*name, out->mutable_metadata());
  out->mutable_image()->set_image(common::jsonString(summary, "Image"));
  // compat: the raw image ID, not ContainerStatus's docker-pullable:// form; kubelet's image GC
  // keeps images whose ID a listed container names.
  out->set_image_ref(common::jsonString(summary, "ImageID"));
  out->set_image_id(out->image_ref());
  out->set_state(summaryContainerState(summary));
  out->set_created_at(summaryCreatedNanos(summary));
  splitDockerLabels(labels, out->mutable_labels(), out->mutable_annotations());
  return Status::ok();
}

Status sandboxFromSummary(const json& summary, runtime::v1::PodSandbox* out) {
  if (!summary.is_object()) {
    return Status(Code::kInvalidArgument, "container list entry is not a JSON object");
  }
  std::string id = common::jsonString(summary, "Id");
  if (id.empty()) return Status(Code::kInvalidArgument, "container list entry has no Id");
  // compat: like dockershim, the container field of the name is not checked; the type label
  // already selected sandboxes, and hiding one from kubelet would leak it.
  auto name = summaryKubeName(summary);
  if (!name) return name.status().withContext("sandbox \"" + id + "\"");

  out->Clear();
  out->set_id(id);
  setSandboxMetadata(*name, out->mutable_metadata());
  out->set_state(summaryContainerState(summary) == runtime::v1::CONTAINER_RUNNING
                     ? runtime::v1::SANDBOX_READY
                     : runtime::v1::SANDBOX_NOTREADY);
  out->set_created_at(summaryCreatedNanos(summary));
  splitDockerLabels(common::jsonMember(summary, "Labels"), out->mutable_labels(),
                    out->mutable_annotations());
  // The runtime handler RunPodSandbox was asked for (sandboxes made before the label: "").
  out->set_runtime_handler(
      common::jsonString(common::jsonMember(summary, "Labels"), kRuntimeHandlerLabel));
  return Status::ok();
}

json containerListFilters(const runtime::v1::ContainerFilter& filter) {
  json labels = json::array();
  labels.push_back(std::string(kContainerTypeLabel) + "=" + kContainerTypeContainer);
  if (filter.pod_sandbox_id().size() >= kFullIdLength) {
    labels.push_back(std::string(kSandboxIdLabel) + "=" + filter.pod_sandbox_id());
  }
  addLabelSelector(filter.label_selector(), labels);
  return listFilters(std::move(labels), filter.id(),
                     filter.has_state() ? dockerStatesFor(filter.state().state())
                                        : std::vector<std::string_view>{});
}

json sandboxListFilters(const runtime::v1::PodSandboxFilter& filter) {
  json labels = json::array();
  labels.push_back(std::string(kContainerTypeLabel) + "=" + kContainerTypeSandbox);
  addLabelSelector(filter.label_selector(), labels);
  return listFilters(std::move(labels), filter.id(),
                     filter.has_state() ? dockerStatesFor(filter.state().state())
                                        : std::vector<std::string_view>{});
}

bool matches(const runtime::v1::ContainerFilter& filter, const runtime::v1::Container& c) {
  if (!filter.id().empty() && !hasPrefix(c.id(), filter.id())) return false;
  if (filter.has_state() && c.state() != filter.state().state()) return false;
  if (!filter.pod_sandbox_id().empty() && !hasPrefix(c.pod_sandbox_id(), filter.pod_sandbox_id())) {
    return false;
  }
  return labelsMatch(filter.label_selector(), c.labels());
}

bool matches(const runtime::v1::PodSandboxFilter& filter, const runtime::v1::PodSandbox& s) {
  if (!filter.id().empty() && !hasPrefix(s.id(), filter.id())) return false;
  if (filter.has_state() && s.state() != filter.state().state()) return false;
  return labelsMatch(filter.label_selector(), s.labels());
}

}  // namespace dockershim::translate
