#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::streaming {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

struct TerminalSize {
  uint16_t width = 0;
  uint16_t height = 0;
};

// What Exec and Attach ask for, kept with the token until the client connects.
struct ExecRequest {
  std::string containerId;
  std::vector<std::string> cmd;  // empty for attach
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
};

struct PortForwardRequest {
  std::string sandboxId;
  std::vector<int32_t> ports;  // may be empty: the client names ports (SPDY) or the URL does
};

enum class RequestKind { kExec, kAttach, kPortForward };

// A request handed out by Exec/Attach/PortForward, kept with its token until the client comes.
struct PendingRequest {
  RequestKind kind = RequestKind::kExec;
  ExecRequest exec;            // exec and attach
  PortForwardRequest forward;  // port-forward
};

enum class OutputStream { kStdout, kStderr };

struct OutputChunk {
  OutputStream stream = OutputStream::kStdout;
  std::string data;  // empty: the process closed its output (it has exited or detached)
};

// A running exec'd process or an attached container, as the streaming server drives it. One
// thread reads output while another writes input, resizes or closes.
class Process {
 public:
  virtual ~Process() = default;
  // The next piece of output; an empty chunk at the end. Bounded by the deadline.
  virtual Result<OutputChunk> readOutput(Deadline deadline) = 0;
  virtual Status writeInput(std::string_view data, Deadline deadline) = 0;
  // The client's stdin ended: the process sees EOF.
  virtual Status closeInput() = 0;
  virtual Status resize(TerminalSize size, Deadline deadline) = 0;
  // After the output ended: the exit code (exec) or the container's (attach, once it exited;
  // NOT_FOUND-free: an attach that ended while the container runs on reports 0).
  virtual Result<int> exitCode(Deadline deadline) = 0;
  // The client is gone: end the Docker connection and anything left running for this session.
  virtual void abort() = 0;
};

// A TCP connection inside a pod's network namespace.
class Connection {
 public:
  virtual ~Connection() = default;
  // Up to `size` bytes; 0 at the peer's end of stream.
  virtual Result<size_t> read(char* data, size_t size, Deadline deadline) = 0;
  virtual Status write(std::string_view data, Deadline deadline) = 0;
  virtual Status closeWrite() = 0;
  virtual void close() = 0;
};

// The runtime side of streaming, implemented against Docker by the CRI layer.
class StreamingRuntime {
 public:
  virtual ~StreamingRuntime() = default;
  virtual Result<std::unique_ptr<Process>> exec(const ExecRequest& request, Deadline deadline) = 0;
  virtual Result<std::unique_ptr<Process>> attach(const ExecRequest& request,
                                                  Deadline deadline) = 0;
  // Connects to localhost:port from inside the sandbox's network namespace.
  virtual Result<std::unique_ptr<Connection>> portForward(const std::string& sandboxId,
                                                          uint16_t port, Deadline deadline) = 0;
};

}  // namespace dockershim::streaming
