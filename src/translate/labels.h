#pragma once

#include <google/protobuf/map.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace dockershim::translate {

// compat: label keys dockershim and cri-dockerd put on Docker containers; one place.
inline constexpr char kContainerTypeLabel[] = "io.kubernetes.docker.type";
inline constexpr char kContainerTypeSandbox[] = "podsandbox";
inline constexpr char kContainerTypeContainer[] = "container";
inline constexpr char kSandboxIdLabel[] = "io.kubernetes.sandbox.id";
inline constexpr char kContainerLogPathLabel[] = "io.kubernetes.container.logpath";
inline constexpr char kKubernetesContainerNameLabel[] = "io.kubernetes.container.name";
inline constexpr char kAnnotationPrefix[] = "annotation.";
// dockershim's own: the runtime handler RunPodSandbox was asked for ("" for the default), which
// PodSandboxStatus echoes as cri-dockerd and containerd do. Docker records only the runtime it
// resolved to, and Docker's default runtime has a name of its own.
inline constexpr char kRuntimeHandlerLabel[] = "io.dockershim.runtime-handler";

using ProtoMap = google::protobuf::Map<std::string, std::string>;

// CRI labels verbatim plus CRI annotations as "annotation.<key>" labels.
std::map<std::string, std::string> makeDockerLabels(const ProtoMap& labels,
                                                    const ProtoMap& annotations);

// The inverse for CRI answers: internal labels (type, sandbox id, log path, and the
// container-name label on sandboxes) hidden, "annotation.*" moved to annotations. `dockerLabels`
// is Docker's Labels object (null or non-object gives nothing; non-string values are skipped).
// Both maps are cleared first; either may be null when the caller wants only the other.
void splitDockerLabels(const nlohmann::json& dockerLabels, ProtoMap* labels, ProtoMap* annotations);

}  // namespace dockershim::translate
