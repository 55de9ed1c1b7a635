#include "cri/docker_streaming.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <system_error>
#include <thread>

#include "common/json_util.h"
#include "common/netns.h"
#include "common/scope_guard.h"
#include "common/socket_stream.h"
#include "cri/exec_kill.h"
#include "docker/errors.h"
#include "docker/stream_demux.h"

namespace dockershim::cri {

namespace {

using streaming::Deadline;
using streaming::OutputChunk;
using streaming::OutputStream;

// Docker's full container ID (64 hex digits) out of an inspect: safe to put in a path.
std::string fullId(const nlohmann::json& inspect) { return common::jsonString(inspect, "Id"); }

Status postNoBody(docker::DockerClient& docker, const std::string& path, const char* operation,
                  Deadline deadline) {
  auto resp = docker.call(
      {.method = "POST", .path = path, .operation = operation, .verb = docker::Verb::kModify},
      deadline);
  if (!resp) return resp.status();
  return docker::statusFromHttp(resp->status, resp->body, docker::Verb::kModify);
}

// An exec'd process or an attached container on a hijacked Docker connection.
class DockerProcess : public streaming::Process {
 public:
  DockerProcess(std::shared_ptr<docker::DockerClient> docker,
                std::unique_ptr<docker::HijackedStream> stream, bool multiplexed,
                std::string execId, std::string containerId)
      : docker_(std::move(docker)),
        stream_(std::move(stream)),
        multiplexed_(multiplexed),
        execId_(std::move(execId)),
        containerId_(std::move(containerId)) {}

  ~DockerProcess() override {
    stream_->close();
    // A process whose client is gone must not linger in the container. Done here, on the
    // session's own thread, so abort() stays cheap (the server calls it while stopping).
    if (aborted_ && !execId_.empty()) killExecProcess(*docker_, execId_);
  }

  Result<OutputChunk> readOutput(Deadline deadline) override {
    for (;;) {
      if (!pending_.empty()) {
        auto f = std::move(pending_.front());
        pending_.pop_front();
        OutputChunk chunk;
        chunk.stream =
            f.stream == docker::StreamType::kStdout ? OutputStream::kStdout : OutputStream::kStderr;
        chunk.data = std::move(f.data);
        if (!chunk.data.empty()) return chunk;
        continue;
      }
      auto n = stream_->read(buf_.data(), buf_.size(), deadline);
      if (!n) return n.status();
      if (*n == 0) return OutputChunk{};  // the process closed its output
      if (!multiplexed_) return OutputChunk{OutputStream::kStdout, std::string(buf_.data(), *n)};
      std::vector<docker::Frame> frames;
      if (Status st = demux_.feed(std::string_view(buf_.data(), *n), frames); !st) return st;
      for (auto& f : frames) {
        if (f.stream != docker::StreamType::kStdin) pending_.push_back(std::move(f));
      }
    }
  }

  Status writeInput(std::string_view data, Deadline deadline) override {
    return stream_->write(data, deadline);
  }

  Status closeInput() override { return stream_->closeWrite(); }

  Status resize(streaming::TerminalSize size, Deadline deadline) override {
    if (size.width == 0 || size.height == 0) return Status::ok();  // nothing to apply
    std::string query =
        "/resize?h=" + std::to_string(size.height) + "&w=" + std::to_string(size.width);
    if (!execId_.empty()) {
      return postNoBody(*docker_, "/exec/" + execId_ + query, "resize_exec", deadline);
    }
    return postNoBody(*docker_, "/containers/" + containerId_ + query, "resize_container",
                      deadline);
  }

  Result<int> exitCode(Deadline deadline) override {
    // Attach has no exit code of its own: the session simply ended.
    if (execId_.empty()) return 0;
    // The output ends when the process exits; Docker records the code a moment later.
    for (;;) {
      if (aborted_) return Status(Code::kCancelled, "the session was aborted");
      auto info = docker_->inspectExec(execId_, deadline);
      if (!info) return info.status();
      if (!common::jsonBool(*info, "Running", true) &&
          common::jsonMember(*info, "ExitCode").is_number_integer()) {
        return static_cast<int>(common::jsonInt(*info, "ExitCode"));
      }
      if (streaming::Clock::now() >= deadline) {
        return Status(Code::kDeadlineExceeded, "docker reported no exit code in time");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  void abort() override {
    aborted_ = true;
    stream_->close();
  }

 private:
  std::shared_ptr<docker::DockerClient> docker_;
  std::unique_ptr<docker::HijackedStream> stream_;
  const bool multiplexed_;
  const std::string execId_;       // exec sessions
  const std::string containerId_;  // attach sessions
  docker::StreamDemuxer demux_;
  std::deque<docker::Frame> pending_;
  std::atomic<bool> aborted_{false};
  std::array<char, 32 * 1024> buf_{};
};

class PodConnection : public streaming::Connection {
 public:
  explicit PodConnection(int fd) : socket_(fd) {}
  Result<size_t> read(char* data, size_t size, Deadline deadline) override {
    return socket_.read(data, size, deadline);
  }
  Status write(std::string_view data, Deadline deadline) override {
    return socket_.write(data, deadline);
  }
  Status closeWrite() override { return socket_.closeWrite(); }
  void close() override { socket_.close(); }

 private:
  common::SocketStream socket_;
};

// Connects `fd` (non-blocking) to `addr` before the deadline; 0 or an errno.
int connectBefore(int fd, const sockaddr* addr, socklen_t len, Deadline deadline) {
  if (::connect(fd, addr, len) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - streaming::Clock::now());
    if (left.count() <= 0) return ETIMEDOUT;
    pollfd p{fd, POLLOUT, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60000)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return errno;
    if (rc == 0) continue;
    int err = 0;
    socklen_t errLen = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errLen);
    return err;
  }
}

}  // namespace

Result<int> connectInNetworkNamespace(int pid, uint16_t port, Deadline deadline) {
  int result = -1;
  Status st =
      common::runInNetworkNamespace("/proc/" + std::to_string(pid) + "/ns/net", [&]() -> Status {
        sockaddr_in v4{};
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sockaddr_in6 v6{};
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        v6.sin6_addr = in6addr_loopback;
        const std::pair<const sockaddr*, socklen_t> targets[] = {
            {reinterpret_cast<const sockaddr*>(&v4), sizeof v4},
            {reinterpret_cast<const sockaddr*>(&v6), sizeof v6}};
        int error = 0;
        // IPv4 first; a server listening on IPv6 only is reached on [::1].
        for (const auto& [addr, len] : targets) {
          int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
          int rc = fd < 0 ? errno : connectBefore(fd, addr, len, deadline);
          if (rc == 0) {
            result = fd;
            return Status::ok();
          }
          if (fd >= 0) ::close(fd);
          if (error == 0) error = rc;
          if (rc != ECONNREFUSED && rc != EAFNOSUPPORT && rc != EADDRNOTAVAIL) break;
        }
        Code code = error == ETIMEDOUT ? Code::kDeadlineExceeded : Code::kUnavailable;
        return Status(code,
                      "connect to localhost:" + std::to_string(port) + ": " + std::strerror(error));
      });
  if (!st) return st;
  return result;
}

Result<std::unique_ptr<streaming::Process>> DockerStreamingRuntime::exec(
    const streaming::ExecRequest& request, Deadline deadline) {
  nlohmann::json body = {{"AttachStdin", request.stdin},
                         {"AttachStdout", request.stdout},
                         {"AttachStderr", request.stderr},
                         {"Tty", request.tty},
                         {"Cmd", request.cmd}};
  auto execId = docker_->createExec(request.containerId, body, deadline);
  if (!execId) return execId.status().withContext("exec in \"" + request.containerId + "\"");
  auto stream = docker_->startExec(*execId, request.tty, deadline);
  if (!stream) return stream.status().withContext("exec in \"" + request.containerId + "\"");
  return std::unique_ptr<streaming::Process>(std::make_unique<DockerProcess>(
      docker_, std::move(*stream), !request.tty, *execId, std::string()));
}

Result<std::unique_ptr<streaming::Process>> DockerStreamingRuntime::attach(
    const streaming::ExecRequest& request, Deadline deadline) {
  auto inspect = docker_->inspectContainer(request.containerId, deadline);
  if (!inspect) return inspect.status().withContext("attach to \"" + request.containerId + "\"");
  std::string id = fullId(*inspect);
  // Docker frames the output by the container's own TTY setting, not by the request's.
  bool tty = common::jsonBool(common::jsonMember(*inspect, "Config"), "Tty");
  std::string path = "/containers/" + id + "/attach?stream=1&stdin=" + (request.stdin ? "1" : "0") +
                     "&stdout=" + (request.stdout ? "1" : "0") +
                     "&stderr=" + (request.stderr ? "1" : "0");
  auto stream = docker_->upgrade(
      {.method = "POST", .path = path, .operation = "attach", .verb = docker::Verb::kModify},
      deadline);
  if (!stream) return stream.status().withContext("attach to \"" + request.containerId + "\"");
  return std::unique_ptr<streaming::Process>(
      std::make_unique<DockerProcess>(docker_, std::move(*stream), !tty, std::string(), id));
}

Result<std::unique_ptr<streaming::Connection>> DockerStreamingRuntime::portForward(
    const std::string& sandboxId, uint16_t port, Deadline deadline) {
  auto inspect = docker_->inspectContainer(sandboxId, deadline);
  if (!inspect) return inspect.status().withContext("port-forward into \"" + sandboxId + "\"");
  const auto& state = common::jsonMember(*inspect, "State");
  int pid = static_cast<int>(common::jsonInt(state, "Pid"));
  if (!common::jsonBool(state, "Running") || pid <= 0) {
    return Status(Code::kFailedPrecondition,
                  "port-forward into \"" + sandboxId + "\": the sandbox is not running");
  }
  auto fd = connectInNetworkNamespace(pid, port, deadline);
  if (!fd) {
    return fd.status().withContext("port-forward to port " + std::to_string(port) + " of \"" +
                                   sandboxId + "\"");
  }
  // The pause process may have died and its pid been reused between the inspect and the
  // connect: the sandbox must still be that process.
  auto again = docker_->inspectContainer(sandboxId, deadline);
  if (!again || common::jsonInt(common::jsonMember(*again, "State"), "Pid") != pid) {
    ::close(*fd);
    return Status(Code::kFailedPrecondition,
                  "port-forward into \"" + sandboxId + "\": the sandbox stopped meanwhile");
  }
  return std::unique_ptr<streaming::Connection>(std::make_unique<PodConnection>(*fd));
}

}  // namespace dockershim::cri
