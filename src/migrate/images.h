#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dockershim/docker_client.h"
#include "dockershim/status.h"

// Carrying the images a node's pods use from Docker's store into containerd's k8s.io namespace,
// so the first start on containerd does not pull them all at once (or fail to, for images no
// registry has).
namespace dockershim::migrate {

struct ImageToCarry {
  std::string id;                   // Docker's image id
  std::vector<std::string> names;   // every tag it has ("busybox:latest"), what containerd gets
  std::vector<std::string> usedBy;  // "namespace/pod" of the pods that use it; "(sandbox)"
};

struct CarryPlan {
  std::vector<ImageToCarry> images;
  // Images that cannot be carried, with why (no tag: containerd would know them by nothing).
  std::vector<std::string> skipped;
};

// Pure: `containers` is Docker's container list (GET /containers/json) of the node's CRI
// containers and sandboxes; `inspectImage` answers an image's inspect by id or name (null when
// Docker has none); `sandboxImage` is carried too.
CarryPlan planCarry(const nlohmann::json& containers,
                    const std::function<nlohmann::json(const std::string&)>& inspectImage,
                    const std::string& sandboxImage);

// The plan for the node behind `docker`.
Result<CarryPlan> planCarry(docker::DockerClient& docker, const std::string& sandboxImage,
                            docker::Deadline deadline);

struct ContainerdImport {
  std::string ctr = "ctr";  // containerd's client
  std::string address = "/run/containerd/containerd.sock";
  std::string namespace_ = "k8s.io";
};

// One `docker save` of every image in the plan, streamed into `ctr images import -`. `output`
// gets ctr's own report. UNAVAILABLE when ctr cannot run or fails (its output in the message).
Status carryImages(docker::DockerClient& docker, const CarryPlan& plan,
                   const ContainerdImport& target, docker::Deadline deadline, std::string* output);

}  // namespace dockershim::migrate
