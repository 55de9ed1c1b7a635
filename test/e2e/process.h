#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace dockershim::e2e {

// A child process in its own process group with stdout/stderr appended to a log file.
class Process {
 public:
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  ~Process();

  static Process spawn(const std::vector<std::string>& argv, const std::string& logFile);

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, then SIGKILL to the whole group after `grace`. Returns the exit status as
  // waitpid reports it, or -1 when the process was already reaped.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(20));
  // Waits for exit up to `timeout`; true and the status when it exited.
  bool waitExit(std::chrono::milliseconds timeout, int& status);

 private:
  pid_t pid_ = -1;
};

// Runs a command to completion; returns its exit code and (optionally) its output.
int runCommand(const std::string& shellCommand, std::string* output = nullptr);

// The last `lines` lines of a file, for failure reports.
std::string tailFile(const std::string& path, size_t lines);

// A TCP port on 127.0.0.1 that was free a moment ago.
int freeTcpPort();

// One HTTP/1.0 GET from this process (5 s bound); the whole answer, "" when the connection
// fails.
std::string httpGet(const std::string& ip, int port, const std::string& path);

}  // namespace dockershim::e2e
