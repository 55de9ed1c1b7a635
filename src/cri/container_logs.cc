// CRI log files: ReopenContainerLog, and the wiring of the log copier to container lifecycles.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "docker/url.h"
#include "translate/labels.h"

namespace dockershim::cri {

void CriService::watchLogs(const nlohmann::json& inspect) {
  if (!options_.logCopier && !options_.logFollowers) return;
  std::string id = common::jsonString(inspect, "Id");
  const auto& config = common::jsonMember(inspect, "Config");
  std::string criPath =
      common::jsonString(common::jsonMember(config, "Labels"), translate::kContainerLogPathLabel);
  if (id.empty() || criPath.empty()) return;  // kubelet asked for no log file
  std::string driver = common::jsonString(
      common::jsonMember(common::jsonMember(inspect, "HostConfig"), "LogConfig"), "Type");
  std::string dockerPath = common::jsonString(inspect, "LogPath");
  // The json-file driver's own file is the fast path; every other driver is read back through
  // Docker's logs API (Docker 20.10's dual logging serves it for any driver).
  const bool jsonFile = !dockerPath.empty() && (driver.empty() || driver == "json-file");
  // compat: cri-dockerd put a symlink to Docker's JSON log at the CRI path. A CRI-format file
  // replaces it; the copy starts from the beginning of Docker's log, so no history is lost.
  struct stat st {};
  if (::lstat(criPath.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) ::unlink(criPath.c_str());
  Status s;
  if (jsonFile && options_.logCopier) {
    s = options_.logCopier->watch(id, dockerPath, criPath);
  } else if (options_.logFollowers) {
    s = options_.logFollowers->watch(id, criPath, common::jsonBool(config, "Tty"),
                                     followSource(id));
  } else {
    return;
  }
  if (!s) {
    spdlog::warn("container \"{}\": cannot copy its log to \"{}\": {}", id, criPath, s.message());
  }
}

void CriService::unwatchLogs(const std::string& containerId) {
  if (options_.logCopier) options_.logCopier->unwatch(containerId);
  if (options_.logFollowers) options_.logFollowers->unwatch(containerId);
}

logs::FollowSource CriService::followSource(const std::string& containerId) {
  auto cancel = std::make_shared<docker::StreamCancel>();
  std::shared_ptr<docker::DockerClient> docker = docker_;
  logs::FollowSource source;
  source.follow = [docker, containerId, cancel](
                      int64_t sinceNanos,
                      const std::function<Status(std::string_view)>& onBytes) -> Status {
    std::vector<std::pair<std::string, std::string>> query = {
        {"follow", "1"}, {"stdout", "1"}, {"stderr", "1"}, {"timestamps", "1"}};
    if (sinceNanos > 0) {
      // Docker API: `since` as "<seconds>.<nanoseconds>"; entries at that very time come
      // again, and the follower drops the ones it has.
      char since[48];
      std::snprintf(since, sizeof since, "%lld.%09lld",
                    static_cast<long long>(sinceNanos / 1'000'000'000),
                    static_cast<long long>(sinceNanos % 1'000'000'000));
      query.emplace_back("since", since);
    }
    docker::Request request{
        .method = "GET",
        .path = "/containers/" + containerId + "/logs" + docker::buildQuery(query),
        .operation = "logs",
        .cancel = cancel};
    // No deadline and no idle bound: a quiet container's stream is idle for as long as it is
    // quiet; unwatch() ends it through `cancel`.
    return docker->rawStream(request, docker::Clock::time_point::max(),
                             std::chrono::hours(24 * 365), onBytes);
  };
  source.cancel = [cancel] { cancel->cancel(); };
  source.running = [docker, containerId]() -> Result<bool> {
    auto inspect =
        docker->inspectContainer(containerId, docker::deadlineIn(std::chrono::seconds(10)));
    if (!inspect) return inspect.status();
    return common::jsonBool(common::jsonMember(*inspect, "State"), "Running");
  };
  return source;
}

Status CriService::resumeLogs(docker::Deadline deadline) {
  if (!options_.logCopier && !options_.logFollowers) return Status::ok();
  nlohmann::json filters = {
      {"label",
       {std::string(translate::kContainerTypeLabel) + "=" + translate::kContainerTypeContainer}}};
  auto list = docker_->listContainers(filters, deadline);
  if (!list) return list.status().withContext("resume container logs");
  if (!list->is_array()) return Status::ok();
  Status failed;
  for (const auto& summary : *list) {
    std::string id = common::jsonString(summary, "Id");
    if (id.empty() || (options_.logCopier && options_.logCopier->watching(id)) ||
        (options_.logFollowers && options_.logFollowers->watching(id))) {
      continue;
    }
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
  if (!options_.logCopier && !options_.logFollowers) {
    return {Code::kFailedPrecondition, "reopen container log: log copying is off"};
  }
  std::string fullId = common::jsonString(*inspect, "Id", id);
  Status st(Code::kNotFound, "not watched");
  if (options_.logCopier) st = options_.logCopier->reopen(fullId);
  if (st.code() == Code::kNotFound && options_.logFollowers) {
    st = options_.logFollowers->reopen(fullId);
  }
  if (st.code() == Code::kNotFound) {
    // Not watched yet (e.g. dockershim restarted a moment ago): watching opens the file anew.
    watchLogs(*inspect);
    const bool watched = (options_.logCopier && options_.logCopier->watching(fullId)) ||
                         (options_.logFollowers && options_.logFollowers->watching(fullId));
    st = watched
             ? Status::ok()
             : Status(Code::kFailedPrecondition, "container \"" + id + "\" has no CRI log path");
  }
  if (!st) return st.withContext("reopen container log \"" + id + "\"");
  spdlog::info("reopened the log of container {}", fullId);
  return Status::ok();
}

}  // namespace dockershim::cri
