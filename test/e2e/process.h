#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/child_process.h"

namespace dockershim::e2e {

// A child process in its own process group with stdout/stderr appended to a log file.
class Process : public common::ChildProcess {
 public:
  Process() = default;
  explicit Process(common::ChildProcess child) : common::ChildProcess(std::move(child)) {}
  // Throws when it cannot be started.
  static Process spawn(const std::vector<std::string>& argv, const std::string& logFile);
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
