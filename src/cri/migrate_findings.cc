// Migration readiness: what the node's pods do that would break or change on containerd, noted
// as the kubelet creates containers and runs execs (migrate/findings.h).
#include "common/json_util.h"
#include "cri/cri_service.h"
#include "migrate/scan.h"
#include "translate/image_ref.h"
#include "translate/labels.h"

namespace dockershim::cri {

void CriService::noteCreated(const v1::CreateContainerRequest& req, const nlohmann::json& image,
                             const std::string& sandboxId, const std::string& dockerRoot) {
  if (!options_.findings) return;
  const auto& config = req.config();
  const auto& pod = req.sandbox_config().metadata();
  migrate::ContainerFacts facts;
  facts.podNamespace = pod.namespace_();
  facts.pod = pod.name();
  facts.podUid = pod.uid();
  facts.container = config.metadata().name();
  facts.image = config.image().image();
  const auto& tags = common::jsonMember(image, "RepoTags");
  if (translate::isImageId(facts.image) && tags.is_array() && !tags.empty() &&
      tags[0].is_string()) {
    facts.image = tags[0].get<std::string>();  // the kubelet names images by id
  }
  facts.imageKnown = image.is_object();
  const auto& digests = common::jsonMember(image, "RepoDigests");
  if (digests.is_array()) {
    for (const auto& d : digests) {
      if (d.is_string()) facts.imageRepoDigests.push_back(d.get<std::string>());
    }
  }
  for (const auto& m : config.mounts()) facts.mounts.push_back({m.host_path(), m.container_path()});
  facts.privileged = config.linux().security_context().privileged();
  // What runs: the pod's command and args, else the image's entrypoint and cmd (as Docker's
  // Path and Args show it, which `migrate check` reads).
  const auto& imageConfig = common::jsonMember(image, "Config");
  auto strings = [](const nlohmann::json& list) {
    std::vector<std::string> out;
    if (list.is_array()) {
      for (const auto& v : list) {
        if (v.is_string()) out.push_back(v.get<std::string>());
      }
    }
    return out;
  };
  if (config.command().empty()) {
    facts.command = strings(common::jsonMember(imageConfig, "Entrypoint"));
  } else {
    facts.command.assign(config.command().begin(), config.command().end());
  }
  if (config.command().empty() && config.args().empty()) {
    auto cmd = strings(common::jsonMember(imageConfig, "Cmd"));
    facts.command.insert(facts.command.end(), cmd.begin(), cmd.end());
  } else {
    facts.command.insert(facts.command.end(), config.args().begin(), config.args().end());
  }
  facts.labels.insert(config.labels().begin(), config.labels().end());
  facts.annotations.insert(config.annotations().begin(), config.annotations().end());
  migrate::NodePaths paths = migrate::nodePaths(options_.dockerEndpoint, nlohmann::json());
  if (!dockerRoot.empty()) paths.dockerRoot = dockerRoot;
  options_.findings->add(sandboxId, migrate::inspectContainer(facts, paths));
}

void CriService::noteExecOverran(const std::string& containerId, const v1::ExecSyncRequest& req,
                                 const CallContext& ctx) {
  if (!options_.findings) return;
  auto inspect = inspectAny(containerId, ctx);
  if (!inspect) return;
  migrate::ContainerFacts who = migrate::factsFromInspect(**inspect, nlohmann::json());
  std::string sandboxId =
      common::jsonString(common::jsonMember(common::jsonMember(**inspect, "Config"), "Labels"),
                         translate::kSandboxIdLabel, "");
  std::vector<std::string> cmd(req.cmd().begin(), req.cmd().end());
  options_.findings->add(sandboxId, {migrate::execOverran(who, cmd, req.timeout())});
}

}  // namespace dockershim::cri
