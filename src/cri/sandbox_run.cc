// RunPodSandbox: the pause container that holds a pod's namespaces.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/capabilities.h"
#include "common/fault_point.h"
#include "common/json_util.h"
#include "common/scope_guard.h"
#include "cri/cri_service.h"
#include "network/cni_config.h"
#include "translate/image_ref.h"
#include "translate/labels.h"
#include "translate/naming.h"
#include "translate/sandbox_config.h"

namespace dockershim::cri {

namespace {

std::string protocolName(v1::Protocol p) {
  switch (p) {
    case v1::UDP:
      return "udp";
    case v1::SCTP:
      return "sctp";
    default:
      return "tcp";
  }
}

// Writes the pod's resolv.conf over the one Docker made for the pause container; the pod's
// containers join its network namespace and so read this very file.
Status writeResolvConf(const std::string& path, const std::string& content) {
  if (path.empty()) return {Code::kInternal, "docker reports no ResolvConfPath"};
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return {Code::kInternal, "open " + path + ": " + std::strerror(errno)};
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = n < 0 ? std::strerror(errno) : "short write";
      ::close(fd);
      return {Code::kInternal, "write " + path + ": " + why};
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return Status::ok();
}

// What CNI plugins are given for a pod (CNI CONVENTIONS "Well-known Capabilities"), converted
// as the kubelet did: only mappings with a host port, protocol lowercase.
std::vector<network::PortMapping> cniPortMappings(const v1::PodSandboxConfig& config) {
  std::vector<network::PortMapping> out;
  for (const auto& pm : config.port_mappings()) {
    if (pm.host_port() <= 0) continue;
    out.push_back({pm.host_port(), pm.container_port(), protocolName(pm.protocol()), pm.host_ip()});
  }
  return out;
}

std::optional<network::DnsConfig> cniDns(const v1::PodSandboxConfig& config) {
  if (!config.has_dns_config()) return std::nullopt;
  const auto& dns = config.dns_config();
  network::DnsConfig out;
  out.servers.assign(dns.servers().begin(), dns.servers().end());
  out.searches.assign(dns.searches().begin(), dns.searches().end());
  out.options.assign(dns.options().begin(), dns.options().end());
  return out;
}

}  // namespace

bool CriService::canLowerOomScore() {
  bool can = (hostCapabilities_ >> common::kCapSysResource) & 1;
  if (!can) {
    std::call_once(oomWarning_, [] {
      spdlog::warn(
          "this host does not grant CAP_SYS_RESOURCE: sandboxes get oom_score_adj 0 "
          "instead of {} (runc cannot lower it here)",
          translate::kSandboxOomScoreAdj);
    });
  }
  return can;
}

Status CriService::ensureSandboxImage(const CallContext& ctx) {
  auto image = docker_->inspectImage(options_.podInfraImage, ctx.deadline);
  if (image) return Status::ok();
  if (image.status().code() != Code::kNotFound) return image.status();
  if (options_.ensureDefaultSandboxImage) return options_.ensureDefaultSandboxImage(ctx.deadline);
  auto ref = translate::parseImageRef(options_.podInfraImage);
  if (!ref) return ref.status();
  spdlog::info("pull sandbox image \"{}\"", options_.podInfraImage);
  return docker_->pullImage(ref->repository(), ref->digest.empty() ? ref->tag : ref->digest, "",
                            options_.pullProgressDeadline, ctx.deadline, ctx.cancelled);
}

Result<std::string> CriService::dockerRuntimeFor(const std::string& handler,
                                                 const CallContext& ctx) {
  if (handler.empty()) return std::string();
  auto facts = dockerFacts(ctx);
  if (!facts) return facts.status();
  for (const auto& name : facts->runtimes) {
    if (name == handler) return name;
  }
  return Status(Code::kInvalidArgument,
                "runtime handler \"" + handler + "\" is not a runtime of this Docker engine");
}

Status CriService::runPodSandbox(const v1::RunPodSandboxRequest& req,
                                 v1::RunPodSandboxResponse* resp, const CallContext& ctx) {
  const auto& config = req.config();
  // The state cache asks Docker again before the call returns, after any cleanup below (a
  // pause container created then removed must not stay listed).
  std::string createdId;
  common::ScopeGuard refresh([&] { refreshCached(createdId); });
  auto runtime = dockerRuntimeFor(req.runtime_handler(), ctx);
  if (!runtime) return runtime.status().withContext("run pod sandbox");
  auto facts = dockerFacts(ctx);
  if (!facts) return facts.status().withContext("run pod sandbox");
  const bool hostNetwork =
      config.linux().security_context().namespace_options().network() == v1::NODE;
  const bool useCni = options_.cni && !hostNetwork;
  std::optional<network::Bandwidth> bandwidth;
  if (useCni) {
    std::map<std::string, std::string> annotations(config.annotations().begin(),
                                                   config.annotations().end());
    auto parsed = network::bandwidthFromAnnotations(annotations);
    if (!parsed) return parsed.status().withContext("run pod sandbox");
    bandwidth = *parsed;
    // No network, no pod: fail before anything exists (kubelet retries, and reports the reason).
    if (Status st = options_.cni->ready(); !st) {
      return Status(Code::kFailedPrecondition,
                    "run pod sandbox: network plugin is not ready: " + st.message());
    }
  }

  auto apiVersion = dockerApiVersion(ctx);
  if (!apiVersion) return apiVersion.status().withContext("run pod sandbox");
  translate::SandboxCreateContext createCtx{
      .image = options_.podInfraImage,
      .apiVersion = *apiVersion,
      .cgroupDriver = facts->cgroupDriver,
      .dockerRuntime = *runtime,
      .runtimeHandler = req.runtime_handler(),
      .canLowerOomScore = canLowerOomScore(),
      .dockerBridge = !options_.cni && facts->bridgeNetwork,
  };
  // Translate first: bad input fails before anything exists.
  auto body = translate::makeSandboxCreateBody(config, createCtx);
  if (!body) return body.status().withContext("run pod sandbox");
  std::string name = translate::makeSandboxName(config.metadata());

  if (Status st = ensureSandboxImage(ctx); !st) {
    return st.withContext("run pod sandbox \"" + name + "\": sandbox image");
  }

  // Step 1: create the pause container. A name conflict means an earlier attempt left a
  // container behind (kubelet retried): a random suffix keeps both apart, as dockershim did.
  auto id = docker_->createContainer(name, *body, *apiVersion, ctx.deadline);
  if (!id && id.status().code() == Code::kAlreadyExists) {
    id = docker_->createContainer(translate::randomizeName(name), *body, *apiVersion, ctx.deadline);
  }
  if (!id) return id.status().withContext("run pod sandbox \"" + name + "\": create");
  createdId = *id;
  spdlog::info("created sandbox \"{}\" ({})", name, *id);
  DS_FAULT_POINT("run_pod_sandbox.after_create");
  // Cleanup for every later failure: no network, container or checkpoint is left behind.
  std::string netnsPath;
  bool addBegan = false;  // before that, the reserved CNI record is dropped without a DEL
  common::ScopeGuard undo([&] {
    auto cleanupDeadline = docker::deadlineIn(std::chrono::seconds(30));
    if (useCni && addBegan) {
      network::CniManager::PodLock podLock(*options_.cni, *id);
      Status st = options_.cni->tearDown(*id, netnsPath, cleanupDeadline);
      if (!st) spdlog::warn("run pod sandbox \"{}\": CNI DEL failed: {}", name, st.message());
    }
    (void)checkpoints_->remove(*id);
    Status st = docker_->removeContainer(*id, /*force=*/true, cleanupDeadline);
    if (!st && st.code() != Code::kNotFound) {
      spdlog::warn("run pod sandbox \"{}\": cleanup of {} failed: {}", name, *id, st.message());
    }
    if (useCni) options_.cni->discard(*id);
  });

  // Step 2: checkpoint before start, so a crash after start still lets StopPodSandbox find
  // what the pod was given (port mappings, host network).
  store::SandboxCheckpoint cp;
  cp.name = config.metadata().name();
  cp.podNamespace = config.metadata().namespace_();
  cp.hostNetwork = hostNetwork;
  for (const auto& pm : config.port_mappings()) {
    cp.portMappings.push_back(
        {protocolName(pm.protocol()), pm.container_port(), pm.host_port(), pm.host_ip()});
  }
  if (Status st = checkpoints_->write(*id, cp); !st) {
    return st.withContext("run pod sandbox \"" + name + "\": checkpoint");
  }
  DS_FAULT_POINT("run_pod_sandbox.after_checkpoint");

  // The pod's network record, also before start: a pause container found running after a crash
  // whose record never got ADD's result is reported NOTREADY, never ready without its network.
  network::PodSetup setup{
      .sandboxId = *id,
      .netnsPath = "",
      .pod = {config.metadata().namespace_(), config.metadata().name(), config.metadata().uid()},
      .portMappings = cniPortMappings(config),
      .bandwidth = bandwidth,
      .dns = cniDns(config),
  };
  if (useCni) {
    if (Status st = options_.cni->reserve(setup); !st) {
      return st.withContext("run pod sandbox \"" + name + "\"");
    }
  }

  // Step 3: start.
  if (Status st = docker_->startContainer(*id, ctx.deadline); !st) {
    return st.withContext("run pod sandbox \"" + name + "\": start");
  }
  DS_FAULT_POINT("run_pod_sandbox.after_start");

  std::string resolv = translate::resolvConf(config.dns_config());
  std::optional<nlohmann::json> inspect;
  if (useCni || !resolv.empty()) {
    auto got = docker_->inspectContainer(*id, ctx.deadline);
    if (!got) return got.status().withContext("run pod sandbox \"" + name + "\"");
    inspect = std::move(*got);
  }

  // Step 4: the pod's network, on the pause container's namespace.
  if (useCni) {
    int64_t pid = common::jsonInt(common::jsonMember(*inspect, "State"), "Pid");
    if (pid <= 0) {
      return Status(Code::kUnavailable,
                    "run pod sandbox \"" + name + "\": the pause container exited at once");
    }
    netnsPath = "/proc/" + std::to_string(pid) + "/ns/net";
    setup.netnsPath = netnsPath;
    network::CniManager::PodLock podLock(*options_.cni, *id);
    addBegan = true;
    auto ips = options_.cni->setUp(setup, ctx.deadline);
    if (!ips) {
      return ips.status().withContext("run pod sandbox \"" + name + "\": set up pod network");
    }
    spdlog::info("sandbox \"{}\" network: {}", name, ips->empty() ? "no IP" : (*ips)[0]);
  }

  // Step 5: the pod's DNS, written into the file all its containers share.
  if (!resolv.empty()) {
    if (Status st = writeResolvConf(common::jsonString(*inspect, "ResolvConfPath"), resolv); !st) {
      return st.withContext("run pod sandbox \"" + name + "\": resolv.conf");
    }
  }

  undo.dismiss();
  DS_FAULT_POINT("run_pod_sandbox.before_return");
  resp->set_pod_sandbox_id(*id);
  return Status::ok();
}

}  // namespace dockershim::cri
