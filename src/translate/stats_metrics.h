#pragma once

#include <map>
#include <string>
#include <vector>

#include "translate/cri_api.h"

// ListMetricDescriptors and ListPodSandboxMetrics: the numbers of ListPodSandboxStats under
// cAdvisor's metric names, for the kubelet's /metrics/cadvisor when it takes them from the
// runtime (PodAndContainerStatsFromCRI). Every metric carries the label keys "id", "name",
// "image" (containers: their id, name and image; a pod's own numbers: the sandbox id, "POD",
// ""), and some one more ("interface", "device", "failure_type"/"scope"). CRI carries whole
// numbers only: seconds are whole seconds.
namespace dockershim::translate {

std::vector<runtime::v1::MetricDescriptor> metricDescriptors();

// One pod's metrics from its stats; `imageOf` gives each container's image by id.
runtime::v1::PodSandboxMetrics podSandboxMetrics(const runtime::v1::PodSandboxStats& stats,
                                                 const std::map<std::string, std::string>& imageOf);

}  // namespace dockershim::translate
