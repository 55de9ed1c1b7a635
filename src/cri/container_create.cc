// CreateContainer.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/fault_point.h"
#include "common/json_util.h"
#include "common/scope_guard.h"
#include "cri/cri_service.h"
#include "translate/container_config.h"
#include "translate/image_ref.h"
#include "translate/naming.h"
#include "translate/sandbox_config.h"

namespace dockershim::cri {

namespace fs = std::filesystem;

namespace {

Result<std::string> readProfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(Code::kInvalidArgument, "cannot read seccomp profile " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Host paths of bind mounts: kubelet owns them and they are used as given, but a missing one
// is created as a directory (Docker's Binds do the same, its Mounts API does not), and a
// symlink is resolved so the container sees what the link points to.
Status prepareMounts(v1::ContainerConfig& config) {
  for (auto& m : *config.mutable_mounts()) {
    if (m.host_path().empty()) continue;
    std::error_code ec;
    auto st = fs::symlink_status(m.host_path(), ec);
    if (ec || !fs::exists(st)) {
      fs::create_directories(m.host_path(), ec);
      if (ec) {
        return {Code::kInvalidArgument,
                "mount host path " + m.host_path() + " cannot be created: " + ec.message()};
      }
      continue;
    }
    if (fs::is_symlink(st)) {
      auto target = fs::canonical(m.host_path(), ec);
      if (ec) {
        return {Code::kInvalidArgument,
                "mount host path " + m.host_path() + " is a broken symlink: " + ec.message()};
      }
      m.set_host_path(target.string());
    }
  }
  return Status::ok();
}

}  // namespace

Status CriService::createContainer(const v1::CreateContainerRequest& req,
                                   v1::CreateContainerResponse* resp, const CallContext& ctx) {
  const std::string& sandboxId = req.pod_sandbox_id();
  common::ScopeGuard refresh([&] { refreshCached(resp->container_id()); });
  v1::ContainerConfig config = req.config();
  if (config.metadata().name().empty()) {
    return {Code::kInvalidArgument, "create container: metadata.name is required"};
  }
  if (config.image().image().empty()) {
    return {Code::kInvalidArgument, "create container: image is required"};
  }
  // The sandbox must exist and run: a container cannot join the namespaces of a dead pause.
  auto sandbox = inspectSandbox(sandboxId, ctx);
  if (!sandbox) {
    return sandbox.status().withContext("create container in sandbox \"" + sandboxId + "\"");
  }
  std::string fullSandboxId = common::jsonString(**sandbox, "Id", sandboxId);
  if (!common::jsonBool(common::jsonMember(**sandbox, "State"), "Running")) {
    return {Code::kFailedPrecondition,
            "create container: sandbox \"" + sandboxId + "\" is not running"};
  }

  // The image must be present (kubelet pulls first); its ID is what runs.
  std::string imageName = config.image().image();
  if (!translate::isImageId(imageName)) {
    if (auto ref = translate::parseImageRef(imageName); ref) {
      imageName = ref->digest.empty() ? ref->string() : ref->repository() + "@" + ref->digest;
    }
  }
  auto image = inspectImageAny(imageName, ctx);
  // Also kept under the name as given, which the container list shows: lists from memory then
  // need not ask Docker.
  if (image && imageName != config.image().image())
    (void)inspectImageAny(config.image().image(), ctx);
  if (!image) {
    return image.status().withContext("create container: image \"" + config.image().image() + "\"");
  }

  auto facts = dockerFacts(ctx);
  if (!facts) return facts.status().withContext("create container");
  auto cgroupParent = translate::dockerCgroupParent(req.sandbox_config().linux().cgroup_parent(),
                                                    facts->cgroupDriver);
  if (!cgroupParent) return cgroupParent.status().withContext("create container");
  // CRI: log_path is relative to the sandbox's log_directory; nothing may lead out of it.
  if (!config.log_path().empty()) {
    fs::path rel(config.log_path());
    bool escapes = rel.is_absolute();
    for (const auto& part : rel) escapes = escapes || part == "..";
    if (escapes) {
      return {Code::kInvalidArgument, "create container: log_path \"" + config.log_path() +
                                          "\" must stay inside the log directory"};
    }
  }
  std::string logPath;
  if (!req.sandbox_config().log_directory().empty() && !config.log_path().empty()) {
    logPath = (fs::path(req.sandbox_config().log_directory()) / config.log_path()).string();
  }
  auto apiVersion = dockerApiVersion(ctx);
  if (!apiVersion) return apiVersion.status().withContext("create container");
  std::error_code fsError;
  translate::ContainerCreateContext createCtx{
      .sandboxId = fullSandboxId,
      // As given: Docker resolves it to the image just checked, and ContainerStatus.image then
      // shows what kubelet asked for.
      .image = config.image().image(),
      .logPath = logPath,
      .cgroupParent = *cgroupParent,
      .runtime = common::jsonString(common::jsonMember(**sandbox, "HostConfig"), "Runtime"),
      .apiVersion = *apiVersion,
      .hostCapabilities = hostCapabilities_,
      .apparmorEnabled = fs::exists("/sys/kernel/security/apparmor", fsError),
      .readFile = readProfile,
  };
  // Translate before touching anything: bad input leaves nothing behind (not even a created
  // host directory); then again with the host paths prepared.
  auto body = translate::makeContainerCreateBody(config, req.sandbox_config(), createCtx);
  if (!body) return body.status().withContext("create container");
  if (Status st = prepareMounts(config); !st) return st.withContext("create container");
  body = translate::makeContainerCreateBody(config, req.sandbox_config(), createCtx);
  if (!body) return body.status().withContext("create container");

  std::string name =
      translate::makeContainerName(req.sandbox_config().metadata(), config.metadata());
  auto id = docker_->createContainer(name, *body, *apiVersion, ctx.deadline);
  if (!id && id.status().code() == Code::kAlreadyExists) {
    id = docker_->createContainer(translate::randomizeName(name), *body, *apiVersion, ctx.deadline);
  }
  if (!id) return id.status().withContext("create container \"" + name + "\"");
  spdlog::info("created container \"{}\" ({}) in sandbox {}", name, *id, fullSandboxId);
  DS_FAULT_POINT("create_container.after_create");
  resp->set_container_id(*id);
  noteCreated(req, **image, fullSandboxId, facts->rootDir);
  return Status::ok();
}

}  // namespace dockershim::cri
