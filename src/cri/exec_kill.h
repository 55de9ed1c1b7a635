#pragma once

#include <string>

#include "dockershim/docker_client.h"

namespace dockershim::cri {

// Kills (SIGKILL) the process of a Docker exec if it still runs: an ExecSync past its timeout,
// a streaming exec whose client is gone. Docker has no API for it, so the pid Docker reports is
// pinned with a pidfd and the exec re-checked before the signal, so a reused pid is never hit.
// Best effort: failures are logged, not returned.
void killExecProcess(docker::DockerClient& docker, const std::string& execId);

}  // namespace dockershim::cri
