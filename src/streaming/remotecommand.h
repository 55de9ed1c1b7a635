#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dockershim/status.h"
#include "dockershim/streaming_runtime.h"

namespace dockershim::streaming {

// The Kubernetes remotecommand protocol pieces both transports (SPDY, WebSocket) share.

// The error stream's last word in protocol v4 and later: a metav1.Status as JSON.
// Exit code 0 is Success; another is Failure with reason NonZeroExitCode and an ExitCode cause.
std::string exitStatusJson(int exitCode);
// A failure that is not the command's own (it could not be started, Docker went away ...).
std::string failureStatusJson(const std::string& message);

// Terminal sizes from the resize stream: a sequence of JSON objects {"Width":w,"Height":h},
// possibly split across reads. Malformed input is an error; the stream can not resync.
class ResizeDecoder {
 public:
  Status feed(std::string_view bytes, std::vector<TerminalSize>& out);

 private:
  std::string buffer_;
  Status failure_;
};

// The time of the last byte either way, for the idle timeout.
class Activity {
 public:
  Activity() { touch(); }
  void touch() { last_ = Clock::now().time_since_epoch().count(); }
  bool idleFor(std::chrono::milliseconds limit) const {
    if (limit.count() <= 0) return false;
    return Clock::now().time_since_epoch().count() - last_.load() >
           std::chrono::duration_cast<Clock::duration>(limit).count();
  }

 private:
  std::atomic<Clock::rep> last_{0};
};

// Runs a process's output to the client on a thread of its own: each chunk goes to `write`
// (which blocks while the client is slow: back-pressure reaches Docker, nothing piles up here),
// then, once the output ended, `finished` gets the exit code or the error. Stops early when
// `stop()` is called (the client is gone) or the write fails.
class OutputPump {
 public:
  using Write = std::function<Status(OutputStream stream, std::string_view data)>;
  using Finished = std::function<void(Result<int> exitCode)>;
  // Checked about once a second: the client hung up. The process is then aborted (which also
  // frees a session thread blocked writing to its stdin) and `finished` is not called.
  using HungUp = std::function<bool()>;

  OutputPump(Process& process, Activity& activity, Write write, Finished finished, HungUp hungUp);
  ~OutputPump();  // stops and joins
  void stop();
  bool done() const { return done_; }

 private:
  void run();
  void pumpOutput();

  Process& process_;
  Activity& activity_;
  Write write_;
  Finished finished_;
  HungUp hungUp_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  bool finishedCalled_ = false;  // only the pump thread touches it
  std::thread thread_;
};

}  // namespace dockershim::streaming
