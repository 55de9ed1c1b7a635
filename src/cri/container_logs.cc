// CRI log files: ReopenContainerLog, and the wiring of the log copier to container lifecycles.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "translate/labels.h"

namespace dockershim::cri {

void CriService::watchLogs(const nlohmann::json& inspect) {
  if (!options_.logCopier) return;
  std::string id = common::jsonString(inspect, "Id");
  std::string criPath =
      common::jsonString(common::jsonMember(common::jsonMember(inspect, "Config"), "Labels"),
                         translate::kContainerLogPathLabel);
  if (id.empty() || criPath.empty()) return;  // kubelet asked for no log file
  std::string dockerPath = common::jsonString(inspect, "LogPath");
  if (dockerPath.empty()) {
    static std::once_flag once;
    std::call_once(once, [] {
      spdlog::warn(
          "docker's log driver is not json-file: container logs cannot be copied to "
          "the CRI log files kubelet reads");
    });
    return;
  }
  // compat: cri-dockerd put a symlink to Docker's JSON log at the CRI path. A CRI-format file
  // replaces it; the copier starts from the beginning of Docker's log, so no history is lost.
  struct stat st {};
  if (::lstat(criPath.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) ::unlink(criPath.c_str());
  if (Status s = options_.logCopier->watch(id, dockerPath, criPath); !s) {
    spdlog::warn("container \"{}\": cannot copy its log to \"{}\": {}", id, criPath, s.message());
  }
}

Status CriService::resumeLogs(docker::Deadline deadline) {
  if (!options_.logCopier) return Status::ok();
  nlohmann::json filters = {
      {"label",
       {std::string(translate::kContainerTypeLabel) + "=" + translate::kContainerTypeContainer}}};
  auto list = docker_->listContainers(filters, deadline);
  if (!list) return list.status().withContext("resume container logs");
  if (!list->is_array()) return Status::ok();
  Status failed;
  for (const auto& summary : *list) {
    std::string id = common::jsonString(summary, "Id");
    if (id.empty() || options_.logCopier->watching(id)) continue;
    // A container never started has written nothing yet: StartContainer will watch it.
    if (common::jsonString(summary, "State") == "created") continue;
    auto inspect = docker_->inspectContainer(id, docker::deadlineIn(std::chrono::seconds(5)));
    if (inspect) {
      watchLogs(*inspect);
    } else if (inspect.status().code() != Code::kNotFound) {
      failed = inspect.status();  // the caller retries; containers watched so far stay watched
    }
  }
  return failed;
}

Status CriService::reopenContainerLog(const v1::ReopenContainerLogRequest& req,
                                      v1::ReopenContainerLogResponse*, const CallContext& ctx) {
  const std::string& id = req.container_id();
  if (id.empty()) return {Code::kInvalidArgument, "reopen container log: container id is empty"};
  auto inspect = docker_->inspectContainer(id, ctx.deadline);
  if (!inspect) return inspect.status().withContext("reopen container log \"" + id + "\"");
  // CRI: the log of a container that is not running cannot be reopened (kubelet then skips it).
  if (!common::jsonBool(common::jsonMember(*inspect, "State"), "Running")) {
    return {Code::kFailedPrecondition,
            "reopen container log: container \"" + id + "\" is not running"};
  }
  if (!options_.logCopier) {
    return {Code::kFailedPrecondition, "reopen container log: log copying is off"};
  }
  std::string fullId = common::jsonString(*inspect, "Id", id);
  Status st = options_.logCopier->reopen(fullId);
  if (st.code() == Code::kNotFound) {
    // Not watched yet (e.g. dockershim restarted a moment ago): watching opens the file anew.
    watchLogs(*inspect);
    st = options_.logCopier->watching(fullId)
             ? Status::ok()
             : Status(Code::kFailedPrecondition, "container \"" + id + "\" has no CRI log path");
  }
  if (!st) return st.withContext("reopen container log \"" + id + "\"");
  spdlog::info("reopened the log of container {}", fullId);
  return Status::ok();
}

}  // namespace dockershim::cri
