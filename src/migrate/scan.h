#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dockershim/docker_client.h"
#include "migrate/findings.h"

namespace dockershim::migrate {

// A container's facts from Docker's inspect of it and of its image (null when unknown): pod
// identity from the kubelet's labels or the k8s_ name, mounts from Mounts (or HostConfig.Binds),
// the command from Path and Args, annotations from "annotation.*" labels.
ContainerFacts factsFromInspect(const nlohmann::json& container, const nlohmann::json& image);

// Where Docker's socket and data root are on this node: the endpoint's path and info's
// DockerRootDir.
NodePaths nodePaths(const std::string& dockerEndpoint, const nlohmann::json& info);

// Every finding Docker's own records show for the node's CRI containers (what dockershim would
// note at CreateContainer; exec timeouts are only seen live).
Result<std::vector<Finding>> scanDocker(docker::DockerClient& docker,
                                        const std::string& dockerEndpoint,
                                        docker::Deadline deadline);

}  // namespace dockershim::migrate
