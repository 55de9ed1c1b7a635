#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::network {

struct ExecOutput {
  int exitCode = -1;  // or -signal when a signal ended it
  std::string stdoutText;
  std::string stderrText;
};

// Runs `binary` with exactly `env` as its environment and `stdinText` on its stdin, collecting
// stdout and stderr (each bounded by `maxOutput`: a plugin that prints without end is killed).
// Nothing is started once `deadline` has passed (DEADLINE_EXCEEDED). A plugin still running at
// `deadline` is killed (SIGKILL to its process group, so helpers it
// started go too) and the call returns DEADLINE_EXCEEDED. No shell is involved; the child gets
// no descriptor of the daemon's but the three pipes. The process must ignore SIGPIPE (the daemon
// does): a plugin that exits before reading its stdin gives EPIPE.
Result<ExecOutput> runPlugin(const std::string& binary, const std::vector<std::string>& env,
                             const std::string& stdinText,
                             std::chrono::steady_clock::time_point deadline,
                             std::size_t maxOutput = 1 << 20);

}  // namespace dockershim::network
