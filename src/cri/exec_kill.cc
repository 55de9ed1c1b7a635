#include "cri/exec_kill.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/json_util.h"

namespace dockershim::cri {

void killExecProcess(docker::DockerClient& docker, const std::string& execId) {
  auto deadline = [] { return docker::deadlineIn(std::chrono::seconds(5)); };
  auto info = docker.inspectExec(execId, deadline());
  int64_t pid = info ? common::jsonInt(*info, "Pid") : 0;
  // Linux pids fit in 22 bits (pid_max at most 2^22): anything else is not a pid to signal.
  if (pid <= 1 || pid > (1 << 22) || !common::jsonBool(*info, "Running")) return;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  if (pidfd < 0) {
    spdlog::warn("exec {}: pidfd_open({}): {}", execId, pid, std::strerror(errno));
    return;
  }
  auto again = docker.inspectExec(execId, deadline());
  if (again && common::jsonBool(*again, "Running") && common::jsonInt(*again, "Pid") == pid) {
    if (::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0) {
      spdlog::info("exec {}: killed its process {}", execId, pid);
    }
  }
  ::close(pidfd);
}

}  // namespace dockershim::cri
