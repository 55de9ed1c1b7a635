// remotecommand (exec, attach) over WebSocket: channel.k8s.io, base64.channel.k8s.io,
// v4.channel.k8s.io, v4.base64.channel.k8s.io and v5.channel.k8s.io (which adds the client's
// close signal for stdin).
#include <spdlog/spdlog.h>

#include <cstring>
#include <optional>

#include "common/base64.h"
#include "streaming/remotecommand.h"
#include "streaming/session.h"
#include "streaming/ws_session.h"

namespace dockershim::streaming {

namespace {

constexpr uint8_t kStdin = 0, kStdout = 1, kStderr = 2, kError = 3, kResize = 4;
constexpr uint8_t kCloseSignal = 255;  // v5: [255, channel] closes the client's channel
constexpr auto kWriteTimeout = std::chrono::minutes(1);

}  // namespace

Status ChannelSocket::writeLocked(const std::string& frame, Deadline deadline) {
  if (broken_) return {Code::kCancelled, "websocket broken"};
  Status st = socket_.write(frame, deadline);
  if (!st) {
    broken_ = true;
    socket_.close();
  }
  return st;
}

Status ChannelSocket::send(uint8_t channel, std::string_view data) {
  std::string message;
  ws::Opcode op = ws::Opcode::kBinary;
  if (base64_) {
    op = ws::Opcode::kText;
    message.push_back(static_cast<char>('0' + channel));
    message += common::base64Encode(data);
  } else {
    message.push_back(static_cast<char>(channel));
    message.append(data);
  }
  return sendFrame(op, message);
}

Status ChannelSocket::sendFrame(ws::Opcode op, std::string_view payload) {
  std::string frame = ws::encodeFrame(op, payload);
  std::lock_guard lock(writeMu_);
  if (closeSent_) return {Code::kCancelled, "websocket closed"};
  return writeLocked(frame, deadlineAfter(writeTimeout_));
}

Status ChannelSocket::sendClose(uint16_t code, std::string_view reason) {
  std::lock_guard lock(writeMu_);
  if (closeSent_) return Status::ok();
  closeSent_ = true;
  return writeLocked(ws::encodeFrame(ws::Opcode::kClose, ws::closePayload(code, reason)),
                     Clock::now() + std::chrono::seconds(5));
}

bool ChannelSocket::closeSent() const {
  std::lock_guard lock(writeMu_);
  return closeSent_;
}

void lingerAndClose(common::SocketStream& socket) {
  (void)socket.closeWrite();
  std::array<char, 4096> buf{};
  auto until = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < until) {
    auto n = socket.read(buf.data(), buf.size(), until);
    if (!n || *n == 0) break;
  }
  socket.close();
}

Result<std::pair<uint8_t, std::string>> ChannelSocket::decode(const ws::Message& message) const {
  if (message.payload.empty()) return Status(Code::kInvalidArgument, "message without a channel");
  if (base64_) {
    char c = message.payload[0];
    if (c < '0' || c > '9') return Status(Code::kInvalidArgument, "bad channel in base64 message");
    std::string data;
    if (!common::base64Decode(std::string_view(message.payload).substr(1), data)) {
      return Status(Code::kInvalidArgument, "bad base64 data");
    }
    return std::make_pair(static_cast<uint8_t>(c - '0'), std::move(data));
  }
  return std::make_pair(static_cast<uint8_t>(message.payload[0]), message.payload.substr(1));
}

Result<size_t> WebSocketPipe::read(char* data, size_t size, Deadline deadline) {
  std::array<char, 32 * 1024> buf{};
  std::vector<ws::Message> messages;
  while (buffered_.empty()) {
    if (ended_) return size_t{0};
    auto n = socket_.read(buf.data(), buf.size(), deadline);
    if (!n) return n.status();
    if (*n == 0) return size_t{0};
    messages.clear();
    if (Status st = decoder_.feed(std::string_view(buf.data(), *n), messages); !st) {
      (void)channels_.sendClose(decoder_.closeCode(), st.message());
      return st;
    }
    for (auto& m : messages) {
      if (m.opcode == ws::Opcode::kPing) {
        (void)channels_.sendFrame(ws::Opcode::kPong, m.payload);
      } else if (m.opcode == ws::Opcode::kClose) {
        (void)channels_.sendClose(ws::kCloseNormal, "");
        ended_ = true;
        break;
      } else if (m.opcode == ws::Opcode::kBinary) {
        buffered_ += m.payload;
      }
    }
  }
  size_t n = std::min(size, buffered_.size());
  std::memcpy(data, buffered_.data(), n);
  buffered_.erase(0, n);
  return n;
}

Status WebSocketPipe::write(std::string_view data, Deadline) {
  return channels_.sendFrame(ws::Opcode::kBinary, data);
}

void serveRemoteCommandWebSocket(SessionContext& ctx) {
  const bool base64 = ctx.protocol.find("base64") != std::string::npos;
  const bool v4 = ctx.protocol.rfind("v4.", 0) == 0 || ctx.protocol.rfind("v5.", 0) == 0;
  const bool v5 = ctx.protocol.rfind("v5.", 0) == 0;
  ChannelSocket channels(ctx.client, base64, ctx.options.idleTimeout);
  const ExecRequest& request = ctx.request.exec;
  const bool isExec = ctx.request.kind == RequestKind::kExec;

  // The error channel's last word: Status JSON from v4 on, plain text (empty on success) before.
  auto sendResult = [&](const Result<int>& exit, const std::string& failure) {
    std::string payload;
    if (!failure.empty()) {
      payload = v4 ? failureStatusJson(failure) : failure;
    } else if (exit) {
      payload = v4 ? exitStatusJson(*exit)
                   : (*exit == 0 ? std::string()
                                 : "command terminated with non-zero exit code: exit status " +
                                       std::to_string(*exit));
    }
    if (!payload.empty()) (void)channels.send(kError, payload);
    (void)channels.sendClose(ws::kCloseNormal, "");
  };

  // As Kubernetes' own server does: an empty message on the first channel the client will
  // read tells it the session is set up.
  (void)channels.send(request.stdout ? kStdout : request.stderr ? kStderr : kError, "");

  auto started = isExec ? ctx.runtime.exec(request, Clock::now() + std::chrono::seconds(30))
                        : ctx.runtime.attach(request, Clock::now() + std::chrono::seconds(30));
  if (!started) {
    spdlog::info("streaming {} in {}: {}", isExec ? "exec" : "attach", request.containerId,
                 started.status().message());
    sendResult(0, started.status().message());
    lingerAndClose(ctx.client);
    return;
  }
  auto& process = **started;
  AbortHook abortHook(ctx, [&process] { process.abort(); });
  Activity activity;
  std::atomic<bool> finished{false};

  std::optional<OutputPump> pump;
  try {
    pump.emplace(
        process, activity,
        [&](OutputStream stream, std::string_view data) {
          uint8_t channel = stream == OutputStream::kStderr && request.stderr ? kStderr : kStdout;
          if (channel == kStdout && !request.stdout) return Status::ok();  // not asked for
          return channels.send(channel, data);
        },
        [&](Result<int> exit) {
          if (exit) {
            sendResult(exit, "");
          } else {
            sendResult(0, exit.status().message());
          }
          finished = true;  // the reader below lingers and closes
        },
        [&] { return ctx.client.peerClosed(); });
  } catch (const std::exception& e) {
    process.abort();
    sendResult(0, std::string("streaming: ") + e.what());
    lingerAndClose(ctx.client);
    return;
  }

  ws::Decoder decoder(ws::Decoder::Role::kServer, 1 << 20);
  ResizeDecoder resize;
  std::vector<ws::Message> messages;
  std::vector<TerminalSize> sizes;
  std::array<char, 32 * 1024> buf{};
  bool clientGone = false;
  bool stdinOpen = request.stdin;
  while (!finished && !clientGone) {
    auto n = ctx.client.read(buf.data(), buf.size(), Clock::now() + std::chrono::seconds(1));
    if (!n) {
      if (n.status().code() == Code::kDeadlineExceeded) {
        if (activity.idleFor(ctx.options.idleTimeout)) {
          spdlog::info("streaming session in {} idle for too long: closing", request.containerId);
          (void)channels.sendClose(ws::kCloseGoingAway, "idle timeout");
          clientGone = true;
        }
        continue;
      }
      clientGone = !finished;
      break;
    }
    if (*n == 0) {
      clientGone = !finished;
      break;
    }
    activity.touch();
    messages.clear();
    if (Status st = decoder.feed(std::string_view(buf.data(), *n), messages); !st) {
      (void)channels.sendClose(decoder.closeCode(), st.message());
      clientGone = true;
      break;
    }
    for (auto& m : messages) {
      if (m.opcode == ws::Opcode::kPing) {
        (void)channels.sendFrame(ws::Opcode::kPong, m.payload);
        continue;
      }
      if (m.opcode == ws::Opcode::kPong) continue;
      if (m.opcode == ws::Opcode::kClose) {
        (void)channels.sendClose(ws::kCloseNormal, "");
        clientGone = !finished;
        break;
      }
      if (m.payload.empty()) continue;  // an empty message carries nothing, not even a channel
      auto decoded = channels.decode(m);
      if (!decoded) {
        (void)channels.sendClose(ws::kCloseProtocolError, decoded.status().message());
        clientGone = true;
        break;
      }
      auto& [channel, data] = *decoded;
      if (channel == kStdin && stdinOpen) {
        if (data.empty()) continue;
        // Blocks while the process does not read: back-pressure on the client. A client that
        // hangs up meanwhile is noticed by the pump, which aborts the process and so this write.
        if (Status st = process.writeInput(data, deadlineAfter(ctx.options.idleTimeout)); !st) {
          spdlog::debug("streaming stdin to {}: {}", request.containerId, st.message());
          stdinOpen = false;  // the process closed it or is gone
        }
      } else if (channel == kResize && request.tty) {
        sizes.clear();
        if (resize.feed(data, sizes)) {
          for (auto sz : sizes) (void)process.resize(sz, Clock::now() + std::chrono::seconds(10));
        }
      } else if (v5 && channel == kCloseSignal && data.size() == 1 &&
                 static_cast<uint8_t>(data[0]) == kStdin && stdinOpen) {
        (void)process.closeInput();
        stdinOpen = false;
      }
    }
  }
  if (clientGone && !finished) {
    pump->stop();
    process.abort();
    ctx.client.close();  // and a pump blocked writing to the client gives up at once
    return;
  }
  lingerAndClose(ctx.client);
}

}  // namespace dockershim::streaming
