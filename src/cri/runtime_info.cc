// Version, Status and RuntimeConfig: what the runtime is and whether it is ready.
#include <sys/utsname.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "docker/api_version.h"

namespace dockershim::cri {

namespace {
// compat: dockershim answered Version "0.1.0" (kubelet's kubeRuntimeAPIVersion) and named
// the runtime "docker"; kubelet and node tooling print both.
constexpr char kKubeRuntimeApiVersion[] = "0.1.0";
constexpr char kRuntimeName[] = "docker";
// RuntimeReady's reason when Docker answers but no API version is spoken by both sides.
constexpr char kApiVersionUnsupported[] = "DockerAPIVersionUnsupported";
// Whether the running kernel is `major`.`minor` or newer.
bool kernelAtLeast(int major, int minor) {
  static const std::pair<int, int> running = [] {
    utsname u{};
    int ma = 0, mi = 0;
    if (::uname(&u) == 0) std::sscanf(u.release, "%d.%d", &ma, &mi);
    return std::make_pair(ma, mi);
  }();
  return running >= std::make_pair(major, minor);
}

}  // namespace

Status CriService::version(const v1::VersionRequest&, v1::VersionResponse* resp,
                           const CallContext& ctx) {
  auto answer = [resp](const docker::VersionInfo& v) {
    resp->set_version(kKubeRuntimeApiVersion);
    resp->set_runtime_name(kRuntimeName);
    resp->set_runtime_version(v.version);
    // compat: dockershim reported Docker's API version as semver ("1.41.0").
    resp->set_runtime_api_version(v.apiVersion + ".0");
    return Status::ok();
  };
  // From memory while the state cache is synced and the event stream has not ended since
  // Docker was asked: dockerd's version changes only with a restart, which ends the stream.
  // Otherwise Docker is asked (and the API version negotiated again).
  bool cacheable = cache_ && cache_->synced();
  uint64_t epoch = cacheable ? cache_->streamEpoch() : 0;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(versionMu_);
    if (version_ && versionEpoch_ == epoch) return answer(*version_);
  }
  auto v = docker_->negotiate(ctx.deadline);
  if (!v) return v.status().withContext("docker version");
  if (cacheable && cache_->synced() && cache_->streamEpoch() == epoch) {
    std::lock_guard<std::mutex> lock(versionMu_);
    version_ = *v;
    versionEpoch_ = epoch;
  }
  return answer(*v);
}

Status CriService::updateRuntimeConfig(const v1::UpdateRuntimeConfigRequest& req,
                                       v1::UpdateRuntimeConfigResponse*, const CallContext&) {
  // The kubelet sends the node's pod CIDR(s) once it knows them; plugins that declare the
  // "ipRanges" capability (host-local) then allocate from them.
  const std::string& cidr = req.runtime_config().network_config().pod_cidr();
  if (options_.cni && !cidr.empty()) options_.cni->setPodCidr(cidr);
  return Status::ok();
}

Status CriService::status(const v1::StatusRequest& req, v1::StatusResponse* resp,
                          const CallContext& ctx) {
  // A ping at the negotiated API version (a Docker that answers but refuses every version
  // dockershim speaks, Docker 29 and clients below 1.44, would otherwise look healthy and run
  // nothing), taken in the background while Docker's events flow, else now.
  Status ping = dockerHealth(ctx);
  auto* runtimeReady = resp->mutable_status()->add_conditions();
  runtimeReady->set_type("RuntimeReady");
  runtimeReady->set_status(ping.isOk());
  if (ping.code() == Code::kFailedPrecondition) {
    runtimeReady->set_reason(kApiVersionUnsupported);
    runtimeReady->set_message("docker: " + ping.message());
  } else if (!ping) {
    // compat: the reason dockershim and cri-dockerd give; node alerts match on it.
    runtimeReady->set_reason("DockerDaemonNotReady");
    runtimeReady->set_message("docker: failed to get docker version: " + ping.message());
  }
  // With CNI, ready once the conf dir holds a usable network (reread when it changes);
  // without, Docker's own networking is always there.
  auto* networkReady = resp->mutable_status()->add_conditions();
  networkReady->set_type("NetworkReady");
  Status network = options_.cni ? options_.cni->ready() : Status::ok();
  networkReady->set_status(network.isOk());
  if (!network) {
    // compat: the reason and message prefix dockershim and cri-dockerd give.
    networkReady->set_reason("NetworkPluginNotReady");
    networkReady->set_message("docker: network plugin is not ready: cni config uninitialized: " +
                              network.message());
  }

  // Runtime handlers are Docker's runtimes ("" is the default one). Recursive read-only mounts
  // need Docker API 1.44 (BindOptions.ReadOnlyForceRecursive) and Linux 5.12 (Docker applies
  // them with mount_setattr); user namespaces per pod are not expressible through Docker. What a
  // handler lacks stays false, so kubelet refuses pods that ask for it instead of running them
  // wrongly.
  const std::string negotiated = docker_->versionInfo().negotiated;
  const bool rro = ping.isOk() && !negotiated.empty() &&
                   docker::apiAtLeast(negotiated, docker::kApiRecursiveReadOnly) &&
                   kernelAtLeast(5, 12);
  resp->add_runtime_handlers()->mutable_features()->set_recursive_read_only_mounts(rro);
  if (ping.isOk()) {
    if (auto facts = dockerFacts(ctx); facts) {
      for (const auto& name : facts->runtimes) {
        auto* handler = resp->add_runtime_handlers();
        handler->set_name(name);
        handler->mutable_features()->set_recursive_read_only_mounts(rro);
      }
    }
  }

  if (req.verbose()) {
    auto v = docker_->versionInfo();
    nlohmann::json config = {
        // kubeadm reads config.sandboxImage from verbose Status (cri-dockerd's key).
        {"sandboxImage", options_.podInfraImage},
        {"podInfraContainerImage", options_.podInfraImage},
        {"dockerEndpoint", options_.dockerEndpoint},
        {"rootDirectory", options_.rootDirectory},
        {"imagePullProgressDeadline",
         std::to_string(options_.pullProgressDeadline.count() / 1000) + "s"},
        {"dockershimVersion", options_.version},
        {"dockerVersion", v.version},
        {"dockerApiVersion", v.negotiated},
    };
    (*resp->mutable_info())["config"] = config.dump();
  }
  return Status::ok();
}

Status CriService::runtimeConfig(const v1::RuntimeConfigRequest&, v1::RuntimeConfigResponse* resp,
                                 const CallContext& ctx) {
  auto facts = dockerFacts(ctx);
  if (!facts) return facts.status().withContext("docker info");
  resp->mutable_linux()->set_cgroup_driver(
      facts->cgroupDriver == "systemd" ? v1::CgroupDriver::SYSTEMD : v1::CgroupDriver::CGROUPFS);
  return Status::ok();
}

}  // namespace dockershim::cri
