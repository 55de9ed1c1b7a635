// ExecSync: run a command in a container and return its output and exit code.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <thread>

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "cri/exec_kill.h"
#include "cri/exec_output.h"
#include "docker/stream_demux.h"

namespace dockershim::cri {

Status CriService::execSync(const v1::ExecSyncRequest& req, v1::ExecSyncResponse* resp,
                            const CallContext& ctx) {
  const std::string& id = req.container_id();
  if (id.empty()) return {Code::kInvalidArgument, "exec sync: container id is empty"};
  if (req.cmd().empty()) return {Code::kInvalidArgument, "exec sync: cmd is empty"};
  if (req.timeout() < 0) return {Code::kInvalidArgument, "exec sync: negative timeout"};

  nlohmann::json body = {{"AttachStdin", false},
                         {"AttachStdout", true},
                         {"AttachStderr", true},
                         {"Tty", false},
                         {"Cmd", nlohmann::json::array()}};
  for (const auto& arg : req.cmd()) body["Cmd"].push_back(arg);
  auto execId = docker_->createExec(id, body, ctx.deadline);
  if (!execId) return execId.status().withContext("exec sync in \"" + id + "\"");

  // CRI: timeout 0 means none; the call's own deadline still bounds it.
  auto commandDeadline = ctx.deadline;
  std::optional<docker::Deadline> timeoutAt;
  if (req.timeout() > 0) {
    // Capped at a day: a huge timeout must not overflow into a deadline in the past.
    int64_t seconds = std::min<int64_t>(req.timeout(), 24 * 3600);
    timeoutAt = docker::deadlineIn(std::chrono::seconds(seconds));
    commandDeadline = std::min(commandDeadline, *timeoutAt);
  }
  auto stream = docker_->startExec(*execId, /*tty=*/false, ctx.deadline);
  if (!stream) return stream.status().withContext("exec sync in \"" + id + "\"");

  docker::StreamDemuxer demux;
  ExecOutput output;
  std::vector<docker::Frame> frames;
  std::array<char, 32 * 1024> buf{};
  Status readStatus;
  for (;;) {
    auto n = (*stream)->read(buf.data(), buf.size(), commandDeadline);
    if (!n) {
      readStatus = n.status();
      break;
    }
    if (*n == 0) break;  // the process closed its output: it has exited
    frames.clear();
    if (Status st = demux.feed(std::string_view(buf.data(), *n), frames); !st) {
      readStatus = st;
      break;
    }
    for (const auto& f : frames) {
      if (f.stream == docker::StreamType::kStderr) {
        output.addStderr(f.data);
      } else {
        output.addStdout(f.data);
      }
    }
  }
  (*stream)->close();

  if (readStatus.code() == Code::kDeadlineExceeded) {
    // The command outlived its timeout: it is killed, not left running unobserved. The pid is
    // pinned with a pidfd first and the exec re-checked, so a reused pid is never signalled.
    killExecProcess(*docker_, *execId);
    // Noted only when the command's own timeout ran out (not the caller's deadline).
    if (timeoutAt && docker::Clock::now() >= *timeoutAt) noteExecOverran(id, req, ctx);
    return {Code::kDeadlineExceeded, "exec sync in \"" + id + "\": command timed out after " +
                                         std::to_string(req.timeout()) + "s"};
  }
  if (!readStatus.isOk()) return readStatus.withContext("exec sync in \"" + id + "\"");
  if (output.truncated()) {
    spdlog::warn("exec sync in \"{}\": output over 16 MiB truncated", id);
  }

  // The stream ends when the process exits; Docker records the code a moment later.
  // A probe must never pass on an exit code nobody saw: no code, no answer.
  nlohmann::json info;
  for (;;) {
    auto inspected = docker_->inspectExec(*execId, ctx.deadline);
    if (!inspected) return inspected.status().withContext("exec sync in \"" + id + "\"");
    info = std::move(*inspected);
    if (!common::jsonBool(info, "Running", true) &&
        common::jsonMember(info, "ExitCode").is_number_integer()) {
      break;
    }
    if (docker::Clock::now() >= ctx.deadline) {
      return {Code::kDeadlineExceeded,
              "exec sync in \"" + id + "\": docker reported no exit code in time"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string out, err;
  output.finish(&out, &err);
  resp->set_stdout(std::move(out));
  resp->set_stderr(std::move(err));
  resp->set_exit_code(static_cast<int32_t>(common::jsonInt(info, "ExitCode")));
  return Status::ok();
}

}  // namespace dockershim::cri
