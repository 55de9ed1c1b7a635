#include "migrate/scan.h"

#include <map>

#include "common/json_util.h"
#include "translate/image_ref.h"
#include "translate/labels.h"
#include "translate/naming.h"

namespace dockershim::migrate {

using json = nlohmann::json;
using common::jsonMember;
using common::jsonString;

ContainerFacts factsFromInspect(const json& container, const json& image) {
  ContainerFacts f;
  const json& config = jsonMember(container, "Config");
  const json& labels = jsonMember(config, "Labels");
  if (labels.is_object()) {
    const std::string prefix = translate::kAnnotationPrefix;
    for (const auto& [k, v] : labels.items()) {
      if (!v.is_string()) continue;
      if (k.rfind(prefix, 0) == 0) {
        f.annotations[k.substr(prefix.size())] = v.get<std::string>();
      } else {
        f.labels[k] = v.get<std::string>();
      }
    }
  }
  f.podNamespace = jsonString(labels, "io.kubernetes.pod.namespace", "");
  f.pod = jsonString(labels, "io.kubernetes.pod.name", "");
  f.podUid = jsonString(labels, "io.kubernetes.pod.uid", "");
  f.container = jsonString(labels, translate::kKubernetesContainerNameLabel, "");
  std::string name = jsonString(container, "Name", "");
  if (!name.empty() && name[0] == '/') name.erase(0, 1);
  if (auto k = translate::parseKubeName(name); k) {
    if (f.pod.empty()) f.pod = k->pod;
    if (f.podNamespace.empty()) f.podNamespace = k->podNamespace;
    if (f.podUid.empty()) f.podUid = k->podUid;
    if (f.container.empty()) f.container = k->container;
  }

  f.image = jsonString(config, "Image", "");
  if (image.is_object()) {
    f.imageKnown = true;
    const json& digests = jsonMember(image, "RepoDigests");
    if (digests.is_array()) {
      for (const auto& d : digests) {
        if (d.is_string()) f.imageRepoDigests.push_back(d.get<std::string>());
      }
    }
    // The kubelet creates containers from image ids: name them by a tag where there is one.
    const json& tags = jsonMember(image, "RepoTags");
    if (translate::isImageId(f.image) && tags.is_array() && !tags.empty() && tags[0].is_string()) {
      f.image = tags[0].get<std::string>();
    }
  }

  const json& mounts = jsonMember(container, "Mounts");
  if (mounts.is_array()) {
    for (const auto& m : mounts) {
      if (jsonString(m, "Type", "bind") != "bind") continue;
      f.mounts.push_back({jsonString(m, "Source", ""), jsonString(m, "Destination", "")});
    }
  } else if (const json& binds = jsonMember(jsonMember(container, "HostConfig"), "Binds");
             binds.is_array()) {
    for (const auto& b : binds) {
      if (!b.is_string()) continue;
      std::string s = b.get<std::string>();
      auto colon = s.find(':');
      std::string dest = colon == std::string::npos ? "" : s.substr(colon + 1);
      f.mounts.push_back({s.substr(0, colon), dest.substr(0, dest.find(':'))});
    }
  }
  f.privileged = common::jsonBool(jsonMember(container, "HostConfig"), "Privileged");
  std::string path = jsonString(container, "Path", "");
  if (!path.empty()) f.command.push_back(path);
  const json& args = jsonMember(container, "Args");
  if (args.is_array()) {
    for (const auto& a : args) {
      if (a.is_string()) f.command.push_back(a.get<std::string>());
    }
  }
  return f;
}

NodePaths nodePaths(const std::string& dockerEndpoint, const json& info) {
  NodePaths p;
  const std::string unix = "unix://";
  if (dockerEndpoint.rfind(unix, 0) == 0) p.dockerSocket = dockerEndpoint.substr(unix.size());
  std::string root = jsonString(info, "DockerRootDir", "");
  if (!root.empty()) p.dockerRoot = root;
  return p;
}

Result<std::vector<Finding>> scanDocker(docker::DockerClient& docker,
                                        const std::string& dockerEndpoint,
                                        docker::Deadline deadline) {
  auto info = docker.info(deadline);
  if (!info) return info.status().withContext("docker info");
  NodePaths paths = nodePaths(dockerEndpoint, *info);
  json filters;
  filters["label"] = json::array(
      {std::string(translate::kContainerTypeLabel) + "=" + translate::kContainerTypeContainer});
  auto list = docker.listContainers(filters, deadline);
  if (!list) return list.status().withContext("list the node's containers");
  std::map<std::string, json> images;
  std::vector<Finding> out;
  for (const auto& c : *list) {
    std::string id = jsonString(c, "Id", "");
    auto inspect = docker.inspectContainer(id, deadline);
    if (!inspect) {
      if (inspect.status().code() == Code::kNotFound) continue;  // removed meanwhile
      return inspect.status().withContext("inspect container \"" + id + "\"");
    }
    std::string imageId = jsonString(*inspect, "Image", "");
    if (images.find(imageId) == images.end()) {
      auto image = docker.inspectImage(imageId, deadline);
      images[imageId] = image ? *image : json();
    }
    auto found = inspectContainer(factsFromInspect(*inspect, images[imageId]), paths);
    out.insert(out.end(), found.begin(), found.end());
  }
  return normalize(std::move(out));
}

}  // namespace dockershim::migrate
