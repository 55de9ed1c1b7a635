#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::common {

// A child process in its own process group, stdin from /dev/null, stdout and stderr appended
// to a log file, with default signal handling and an empty signal mask. Destroying it stops it.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  // How stop() asks it to end: SIGTERM to the process alone, or to its whole process group
  // (what is left of the group once the process exited is then killed too).
  enum class Term { kProcess, kGroup };

  static Result<ChildProcess> spawn(const std::vector<std::string>& argv,
                                    const std::string& logFile, Term term = Term::kProcess);

  pid_t pid() const { return pid_; }
  // False once it has exited (and is reaped).
  bool running();
  // Waits for exit up to `timeout`; true with its waitpid status when it exited.
  bool waitExit(std::chrono::milliseconds timeout, int& status);

  // SIGTERM (as spawn's `term` says), then SIGKILL to its group after `grace`. Returns the
  // waitpid status, or -1 when there was nothing to stop.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(20));

 private:
  // Reaps the process if it has exited: true (and `status`) when it is gone.
  bool reaped(int& status);

  pid_t pid_ = -1;
  Term term_ = Term::kProcess;
};

}  // namespace dockershim::common
