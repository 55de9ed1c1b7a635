#include "translate/labels.h"

#include <string_view>

namespace dockershim::translate {
namespace {

// Labels the shim sets for itself; CRI callers never set them and must not see them back.
bool isInternalLabel(std::string_view key) {
  return key == kContainerTypeLabel || key == kSandboxIdLabel || key == kContainerLogPathLabel ||
         key == kRuntimeHandlerLabel;
}

bool isSandbox(const nlohmann::json& dockerLabels) {
  auto it = dockerLabels.find(kContainerTypeLabel);
  return it != dockerLabels.end() && it->is_string() &&
         it->get_ref<const std::string&>() == kContainerTypeSandbox;
}

}  // namespace

std::map<std::string, std::string> makeDockerLabels(const ProtoMap& labels,
                                                    const ProtoMap& annotations) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : labels) out.insert_or_assign(key, value);
  // compat: Docker has no annotations, so they travel as prefixed labels. Written after the
  // labels, an annotation wins over a label that already spells "annotation.<key>".
  for (const auto& [key, value] : annotations) {
    out.insert_or_assign(std::string(kAnnotationPrefix) + key, value);
  }
  return out;
}

void splitDockerLabels(const nlohmann::json& dockerLabels, ProtoMap* labels,
                       ProtoMap* annotations) {
  if (labels != nullptr) labels->clear();
  if (annotations != nullptr) annotations->clear();
  if (!dockerLabels.is_object()) return;

  const bool sandbox = isSandbox(dockerLabels);
  const std::string_view prefix = kAnnotationPrefix;
  for (const auto& [key, value] : dockerLabels.items()) {
    if (!value.is_string() || isInternalLabel(key)) continue;
    // compat: the shim adds io.kubernetes.container.name=POD to sandboxes for the summary API;
    // it is not one of the pod's labels. On containers it is kubelet's own label and stays.
    if (sandbox && key == kKubernetesContainerNameLabel) continue;
    const auto& text = value.get_ref<const std::string&>();
    if (std::string_view(key).starts_with(prefix)) {
      if (annotations != nullptr) (*annotations)[key.substr(prefix.size())] = text;
    } else if (labels != nullptr) {
      (*labels)[key] = text;
    }
  }
}

}  // namespace dockershim::translate
