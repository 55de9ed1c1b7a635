// RunPodSandbox: the pause container that holds a pod's namespaces.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/capabilities.h"
#include "common/json_util.h"
#include "common/scope_guard.h"
#include "cri/cri_service.h"
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
  auto runtime = dockerRuntimeFor(req.runtime_handler(), ctx);
  if (!runtime) return runtime.status().withContext("run pod sandbox");
  auto facts = dockerFacts(ctx);
  if (!facts) return facts.status().withContext("run pod sandbox");

  translate::SandboxCreateContext createCtx{
      .image = options_.podInfraImage,
      .apiVersion = docker_->versionInfo().negotiated,
      .cgroupDriver = facts->cgroupDriver,
      .dockerRuntime = *runtime,
      .canLowerOomScore = canLowerOomScore(),
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
  auto id = docker_->createContainer(name, *body, ctx.deadline);
  if (!id && id.status().code() == Code::kAlreadyExists) {
    id = docker_->createContainer(translate::randomizeName(name), *body, ctx.deadline);
  }
  if (!id) return id.status().withContext("run pod sandbox \"" + name + "\": create");
  spdlog::info("created sandbox \"{}\" ({})", name, *id);
  // Cleanup for every later failure: no container or checkpoint is left behind.
  common::ScopeGuard undo([&] {
    auto cleanupDeadline = docker::deadlineIn(std::chrono::seconds(30));
    (void)checkpoints_->remove(*id);
    Status st = docker_->removeContainer(*id, /*force=*/true, cleanupDeadline);
    if (!st && st.code() != Code::kNotFound) {
      spdlog::warn("run pod sandbox \"{}\": cleanup of {} failed: {}", name, *id, st.message());
    }
  });

  // Step 2: checkpoint before start, so a crash after start still lets StopPodSandbox find
  // what the pod was given (port mappings, host network).
  store::SandboxCheckpoint cp;
  cp.name = config.metadata().name();
  cp.podNamespace = config.metadata().namespace_();
  cp.hostNetwork = config.linux().security_context().namespace_options().network() == v1::NODE;
  for (const auto& pm : config.port_mappings()) {
    cp.portMappings.push_back(
        {protocolName(pm.protocol()), pm.container_port(), pm.host_port(), pm.host_ip()});
  }
  if (Status st = checkpoints_->write(*id, cp); !st) {
    return st.withContext("run pod sandbox \"" + name + "\": checkpoint");
  }

  // Step 3: start.
  if (Status st = docker_->startContainer(*id, ctx.deadline); !st) {
    return st.withContext("run pod sandbox \"" + name + "\": start");
  }

  // Step 4: the pod's DNS, written into the file all its containers share.
  std::string resolv = translate::resolvConf(config.dns_config());
  if (!resolv.empty()) {
    auto inspect = docker_->inspectContainer(*id, ctx.deadline);
    if (!inspect) return inspect.status().withContext("run pod sandbox \"" + name + "\"");
    if (Status st = writeResolvConf(common::jsonString(*inspect, "ResolvConfPath"), resolv); !st) {
      return st.withContext("run pod sandbox \"" + name + "\": resolv.conf");
    }
  }

  undo.dismiss();
  resp->set_pod_sandbox_id(*id);
  return Status::ok();
}

}  // namespace dockershim::cri
