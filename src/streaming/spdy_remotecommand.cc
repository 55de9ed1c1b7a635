// remotecommand (exec, attach) over SPDY/3.1: channel.k8s.io (v1) to v4.channel.k8s.io, and
// v5.channel.k8s.io, which over SPDY is v4.
#include <spdlog/spdlog.h>

#include <map>
#include <optional>

#include "streaming/remotecommand.h"
#include "streaming/session.h"
#include "streaming/spdy_connection.h"

namespace dockershim::streaming {

namespace {

int protocolVersion(const std::string& protocol) {
  if (protocol.rfind("v5.", 0) == 0 || protocol.rfind("v4.", 0) == 0) return 4;
  if (protocol.rfind("v3.", 0) == 0) return 3;
  if (protocol.rfind("v2.", 0) == 0) return 2;
  return 1;
}

constexpr std::size_t kMaxEarlyStdin = 1 << 20;

}  // namespace

void serveRemoteCommandSpdy(SessionContext& ctx) {
  SocketPipe pipe(ctx.client);
  Activity activity;
  SpdyConnection conn(pipe, activity, ctx.options.idleTimeout);
  const ExecRequest& request = ctx.request.exec;
  const bool isExec = ctx.request.kind == RequestKind::kExec;
  const int version = protocolVersion(ctx.protocol);
  const char* what = isExec ? "exec" : "attach";

  // The streams the client must open, as the request (not the client) says.
  std::map<std::string, bool> expected = {{"error", true},
                                          {"stdin", request.stdin},
                                          {"stdout", request.stdout},
                                          {"stderr", request.stderr && !request.tty},
                                          {"resize", request.tty && version >= 3}};
  std::map<std::string, uint32_t> streams;
  std::size_t wanted = 0;
  for (auto& [name, on] : expected) wanted += on ? 1 : 0;

  std::vector<spdy::Frame> frames;
  std::string earlyStdin;
  bool stdinClosedEarly = false;
  auto handleControl = [&](const spdy::Frame& f) -> bool {  // true: handled
    if (const auto* ping = std::get_if<spdy::Ping>(&f)) {
      (void)conn.pong(ping->id);
      return true;
    }
    return std::holds_alternative<spdy::Settings>(f) ||
           std::holds_alternative<spdy::WindowUpdate>(f);
  };

  // 1. The client opens its streams one by one, each after our reply.
  const auto creationDeadline = Clock::now() + ctx.options.streamCreationTimeout;
  while (streams.size() < wanted) {
    if (Clock::now() >= creationDeadline) {
      spdlog::info("streaming {} in {}: timed out waiting for the client to create streams", what,
                   request.containerId);
      conn.goAway();
      conn.drainAndClose();
      return;
    }
    frames.clear();
    if (Status st =
            conn.read(frames, std::min(creationDeadline, Clock::now() + std::chrono::seconds(1)));
        !st) {
      spdlog::debug("streaming {} in {}: {}", what, request.containerId, st.message());
      pipe.close();
      return;
    }
    for (const auto& f : frames) {
      if (handleControl(f)) continue;
      if (const auto* syn = std::get_if<spdy::SynStream>(&f)) {
        std::string type = SpdyConnection::header(syn->headers, "streamtype");
        (void)conn.reply(syn->streamId);
        auto it = expected.find(type);
        if (it != expected.end() && it->second && !streams.count(type)) {
          streams[type] = syn->streamId;
        }
        if (type == "stdin" && syn->fin) stdinClosedEarly = true;
      } else if (const auto* d = std::get_if<spdy::Data>(&f)) {
        if (streams.count("stdin") && d->streamId == streams["stdin"]) {
          if (earlyStdin.size() + d->payload.size() > kMaxEarlyStdin) {
            conn.goAway();
            conn.drainAndClose();
            return;
          }
          earlyStdin += d->payload;
          if (d->fin) stdinClosedEarly = true;
        }
      } else if (std::holds_alternative<spdy::GoAway>(f)) {
        pipe.close();
        return;
      }
    }
  }
  auto streamOf = [&](const char* type) -> uint32_t {
    auto it = streams.find(type);
    return it == streams.end() ? 0 : it->second;
  };
  const uint32_t errorStream = streamOf("error"), stdinStream = streamOf("stdin"),
                 stdoutStream = streamOf("stdout"), stderrStream = streamOf("stderr"),
                 resizeStream = streamOf("resize");

  // 2. The error stream's last word, then every stream ends and the connection says goodbye.
  std::atomic<bool> finished{false};
  auto finish = [&](const Result<int>& exit, const std::string& failure) {
    std::string payload;
    if (!failure.empty()) {
      payload = version >= 4 ? failureStatusJson(failure) : failure;
    } else if (exit) {
      if (version >= 4) {
        payload = exitStatusJson(*exit);
      } else if (*exit != 0) {
        payload =
            "command terminated with non-zero exit code: exit status " + std::to_string(*exit);
      }
    }
    if (!payload.empty()) (void)conn.data(errorStream, payload);
    for (uint32_t id : {errorStream, stdoutStream, stderrStream, stdinStream, resizeStream}) {
      if (id != 0) (void)conn.data(id, "", /*fin=*/true);
    }
    conn.goAway();
    finished = true;  // after the goodbye: the reader then drains and closes
  };

  auto started = isExec ? ctx.runtime.exec(request, Clock::now() + std::chrono::seconds(30))
                        : ctx.runtime.attach(request, Clock::now() + std::chrono::seconds(30));
  if (!started) {
    spdlog::info("streaming {} in {}: {}", what, request.containerId, started.status().message());
    finish(0, started.status().message());
    conn.drainAndClose();
    return;
  }
  auto& process = **started;
  AbortHook abortHook(ctx, [&process] { process.abort(); });
  bool stdinOpen = stdinStream != 0;
  if (!earlyStdin.empty()) {
    stdinOpen = process.writeInput(earlyStdin, deadlineAfter(ctx.options.idleTimeout)).isOk();
  }
  if (stdinClosedEarly && stdinOpen) {
    (void)process.closeInput();
    stdinOpen = false;
  }
  // v1 (Kubernetes 1.0): the server ends its own half of the stdin stream right after setup.
  if (version == 1 && stdinStream != 0) (void)conn.data(stdinStream, "", true);

  std::optional<OutputPump> pump;
  try {
    pump.emplace(
        process, activity,
        [&](OutputStream stream, std::string_view data) {
          uint32_t id =
              stream == OutputStream::kStderr && stderrStream ? stderrStream : stdoutStream;
          if (id == 0) return Status::ok();  // not asked for
          return conn.data(id, data);
        },
        [&](Result<int> exit) {
          if (exit) {
            finish(exit, "");
          } else {
            finish(0, exit.status().message());
          }
        },
        [&] { return pipe.peerClosed(); });
  } catch (const std::exception& e) {
    process.abort();
    finish(0, std::string("streaming: ") + e.what());
    conn.drainAndClose();
    return;
  }

  // 3. Input: stdin, resize, pings; until the process ends or the client goes.
  ResizeDecoder resize;
  std::vector<TerminalSize> sizes;
  bool clientGone = false;
  while (!finished && !clientGone) {
    frames.clear();
    if (Status st = conn.read(frames, Clock::now() + std::chrono::seconds(1)); !st) {
      clientGone = !finished;
      break;
    }
    if (frames.empty() && activity.idleFor(ctx.options.idleTimeout)) {
      spdlog::info("streaming {} in {}: idle for too long, closing", what, request.containerId);
      clientGone = true;
      break;
    }
    for (const auto& f : frames) {
      if (handleControl(f)) continue;
      if (const auto* d = std::get_if<spdy::Data>(&f)) {
        if (d->streamId == stdinStream && stdinOpen) {
          if (!d->payload.empty()) {
            // Blocks while the process does not read: back-pressure on the client. A client
            // that hangs up meanwhile is noticed by the pump, which aborts the process and so
            // this write.
            if (!process.writeInput(d->payload, deadlineAfter(ctx.options.idleTimeout))) {
              stdinOpen = false;  // the process closed it or is gone
            }
          }
          if (d->fin && stdinOpen) {
            (void)process.closeInput();
            stdinOpen = false;
          }
        } else if (d->streamId == resizeStream && resizeStream != 0) {
          sizes.clear();
          if (resize.feed(d->payload, sizes)) {
            for (auto s : sizes) (void)process.resize(s, Clock::now() + std::chrono::seconds(10));
          }
        }
      } else if (const auto* rst = std::get_if<spdy::RstStream>(&f)) {
        if (rst->streamId == stdinStream && stdinOpen) {
          (void)process.closeInput();
          stdinOpen = false;
        }
      } else if (const auto* syn = std::get_if<spdy::SynStream>(&f)) {
        (void)conn.reset(syn->streamId, spdy::kRstRefusedStream);  // nothing more to open
      } else if (std::holds_alternative<spdy::GoAway>(f)) {
        clientGone = !finished;
      }
    }
  }
  if (clientGone && !finished) {
    spdlog::info("streaming {} in {}: the client went away", what, request.containerId);
    pump->stop();
    process.abort();
    conn.abandon();  // and a pump blocked writing to the client gives up at once
    return;
  }
  conn.drainAndClose();
}

}  // namespace dockershim::streaming
