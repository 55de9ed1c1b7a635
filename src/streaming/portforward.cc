// Port-forward: over SPDY (portforward.k8s.io; also tunnelled in WebSocket binary messages) a
// data and an error stream per forwarded connection, paired by their requestid; over the
// WebSocket channel protocols (v4.channel.k8s.io, v4.base64.channel.k8s.io) a data and an error
// channel per port the request named. The connection into the pod is made by the runtime from
// inside the sandbox's network namespace.
#include <spdlog/spdlog.h>

#include <charconv>
#include <list>
#include <map>
#include <set>

#include "streaming/remotecommand.h"
#include "streaming/session.h"
#include "streaming/spdy_connection.h"
#include "streaming/ws_session.h"

namespace dockershim::streaming {

namespace {

constexpr std::size_t kMaxPendingInput = 1 << 20;
constexpr auto kConnectTimeout = std::chrono::seconds(30);

std::optional<uint32_t> parseNumber(const std::string& s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string forwardError(uint16_t port, const std::string& sandboxId, const std::string& why) {
  return "error forwarding port " + std::to_string(port) + " to pod " + sandboxId +
         ", uid : " + why;
}

// The pod connections of a session, so a stopping server can close them: a write to a pod that
// does not read blocks the session until then.
class LiveConnections {
 public:
  void add(Connection* c) {
    std::lock_guard lock(mu_);
    live_.insert(c);
    if (stopped_) c->close();
  }
  void remove(Connection* c) {
    std::lock_guard lock(mu_);
    live_.erase(c);
  }
  void closeAll() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    for (auto* c : live_) c->close();
  }

 private:
  std::mutex mu_;
  std::set<Connection*> live_;
  bool stopped_ = false;
};

// One forwarded connection of a SPDY session.
struct SpdyForward {
  uint32_t requestId = 0;
  uint16_t port = 0;
  uint32_t dataStream = 0;
  uint32_t errorStream = 0;
  Clock::time_point firstSeen;

  std::mutex mu;  // guards the fields below between the session's reader and the worker
  std::unique_ptr<Connection> conn;
  std::string pending;  // client bytes that arrived before the pod connection was made
  bool pendingFin = false;
  bool ready = false;
  bool failed = false;

  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::thread worker;
};

void runSpdyForward(SpdyForward& f, SessionContext& ctx, SpdyConnection& conn,
                    LiveConnections& live) {
  const std::string& sandbox = ctx.request.forward.sandboxId;
  auto connected = ctx.runtime.portForward(sandbox, f.port, Clock::now() + kConnectTimeout);
  if (!connected) {
    spdlog::info("port-forward to {} port {}: {}", sandbox, f.port, connected.status().message());
    (void)conn.data(f.errorStream, forwardError(f.port, sandbox, connected.status().message()));
    (void)conn.data(f.errorStream, "", true);
    (void)conn.data(f.dataStream, "", true);
    std::lock_guard lock(f.mu);
    f.failed = true;
    f.done = true;
    return;
  }
  Connection& pod = **connected;
  live.add(&pod);
  {
    std::lock_guard lock(f.mu);
    f.conn = std::move(*connected);
    if (!f.pending.empty()) (void)pod.write(f.pending, Clock::now() + std::chrono::minutes(1));
    f.pending.clear();
    if (f.pendingFin) (void)pod.closeWrite();
    f.ready = true;
  }
  std::array<char, 32 * 1024> buf{};
  for (;;) {
    if (f.stop) break;
    auto n = pod.read(buf.data(), buf.size(), Clock::now() + std::chrono::seconds(1));
    if (!n) {
      if (n.status().code() == Code::kDeadlineExceeded) continue;
      // The pod reset the connection: so is the client's stream, without a message.
      (void)conn.reset(f.dataStream);
      (void)conn.reset(f.errorStream);
      break;
    }
    if (*n == 0) {  // the server in the pod finished: end both streams
      (void)conn.data(f.dataStream, "", true);
      (void)conn.data(f.errorStream, "", true);
      break;
    }
    if (!conn.data(f.dataStream, std::string_view(buf.data(), *n))) break;
  }
  pod.close();
  live.remove(&pod);
  f.done = true;
}

}  // namespace

void servePortForwardSpdy(SessionContext& ctx, BytePipe& pipe) {
  Activity activity;
  SpdyConnection conn(pipe, activity);
  const std::string& sandbox = ctx.request.forward.sandboxId;
  LiveConnections live;
  AbortHook abortHook(ctx, [&live] { live.closeAll(); });
  std::map<uint32_t, std::unique_ptr<SpdyForward>> forwards;  // by request id
  std::map<uint32_t, SpdyForward*> byStream;
  std::vector<spdy::Frame> frames;

  auto drop = [&](std::map<uint32_t, std::unique_ptr<SpdyForward>>::iterator it) {
    auto& f = *it->second;
    f.stop = true;
    {
      std::lock_guard lock(f.mu);
      if (f.conn) f.conn->close();
    }
    if (f.worker.joinable()) f.worker.join();
    byStream.erase(f.dataStream);
    byStream.erase(f.errorStream);
    return forwards.erase(it);
  };

  bool end = false;
  while (!end) {
    frames.clear();
    if (Status st = conn.read(frames, Clock::now() + std::chrono::seconds(1)); !st) break;
    if (frames.empty() && activity.idleFor(ctx.options.idleTimeout)) {
      spdlog::info("port-forward to {}: idle for too long, closing", sandbox);
      break;
    }
    for (auto& frame : frames) {
      if (const auto* ping = std::get_if<spdy::Ping>(&frame)) {
        (void)conn.pong(ping->id);
      } else if (const auto* syn = std::get_if<spdy::SynStream>(&frame)) {
        std::string type = SpdyConnection::header(syn->headers, "streamtype");
        auto port = parseNumber(SpdyConnection::header(syn->headers, "port"));
        if ((type != "data" && type != "error") || !port || *port == 0 || *port > 65535) {
          (void)conn.reset(syn->streamId);
          continue;
        }
        // Old clients name no request: the error stream's id, the data stream's id minus 2.
        auto requestId = parseNumber(SpdyConnection::header(syn->headers, "requestid"));
        uint32_t key =
            requestId ? *requestId : (type == "error" ? syn->streamId : syn->streamId - 2);
        auto& slot = forwards[key];
        if (!slot) {
          slot = std::make_unique<SpdyForward>();
          slot->requestId = key;
          slot->port = static_cast<uint16_t>(*port);
          slot->firstSeen = Clock::now();
        }
        uint32_t& id = type == "data" ? slot->dataStream : slot->errorStream;
        if (id != 0 || slot->port != *port) {
          (void)conn.reset(syn->streamId);  // a second stream of that type, or another port
          continue;
        }
        id = syn->streamId;
        byStream[syn->streamId] = slot.get();
        (void)conn.reply(syn->streamId);
        if (slot->dataStream != 0 && slot->errorStream != 0) {
          SpdyForward* f = slot.get();
          f->worker = std::thread([f, &ctx, &conn, &live] { runSpdyForward(*f, ctx, conn, live); });
        }
      } else if (const auto* d = std::get_if<spdy::Data>(&frame)) {
        auto it = byStream.find(d->streamId);
        if (it == byStream.end() || d->streamId != it->second->dataStream) continue;
        SpdyForward& f = *it->second;
        std::lock_guard lock(f.mu);
        if (f.failed) continue;
        if (!f.ready) {
          if (f.pending.size() + d->payload.size() > kMaxPendingInput) {
            (void)conn.reset(f.dataStream);
            f.failed = true;
            continue;
          }
          f.pending += d->payload;
          f.pendingFin = f.pendingFin || d->fin;
          continue;
        }
        // Blocks while the pod does not read: back-pressure on the client.
        if (!d->payload.empty()) {
          (void)f.conn->write(d->payload, Clock::now() + ctx.options.idleTimeout);
        }
        if (d->fin) (void)f.conn->closeWrite();
      } else if (const auto* rst = std::get_if<spdy::RstStream>(&frame)) {
        auto it = byStream.find(rst->streamId);
        if (it != byStream.end() && rst->streamId == it->second->dataStream) {
          SpdyForward& f = *it->second;
          f.stop = true;
          std::lock_guard lock(f.mu);
          if (f.conn) f.conn->close();
        }
      } else if (std::holds_alternative<spdy::GoAway>(frame)) {
        end = true;
      }
    }
    // Finished forwards are joined; pairs that never completed time out.
    for (auto it = forwards.begin(); it != forwards.end();) {
      auto& f = *it->second;
      bool incomplete = f.dataStream == 0 || f.errorStream == 0;
      if (incomplete && Clock::now() - f.firstSeen > ctx.options.streamCreationTimeout) {
        if (f.errorStream != 0) {
          (void)conn.data(f.errorStream,
                          "timed out waiting for streams of request " + std::to_string(f.requestId),
                          true);
        }
        if (f.dataStream != 0) (void)conn.reset(f.dataStream);
        it = drop(it);
      } else if (f.done) {
        it = drop(it);
      } else {
        ++it;
      }
    }
  }
  for (auto it = forwards.begin(); it != forwards.end();) it = drop(it);
  conn.goAway();
  conn.drainAndClose();
}

void servePortForwardWebSocket(SessionContext& ctx) {
  const bool base64 = ctx.protocol.find("base64") != std::string::npos;
  ChannelSocket channels(ctx.client, base64);
  const std::string& sandbox = ctx.request.forward.sandboxId;
  const auto& ports = ctx.request.forward.ports;
  if (ports.empty() || ports.size() > 127) {
    (void)channels.sendClose(ws::kCloseProtocolError,
                             "port-forward over channels needs the ports in the request");
    return;
  }
  Activity activity;
  struct Port {
    uint16_t port = 0;
    std::unique_ptr<Connection> conn;
    std::thread pump;
    std::atomic<bool> done{false};
  };
  std::list<Port> forwards;
  LiveConnections live;
  AbortHook abortHook(ctx, [&live] { live.closeAll(); });
  for (size_t i = 0; i < ports.size(); ++i) {
    auto& p = forwards.emplace_back();
    p.port = static_cast<uint16_t>(ports[i]);
    // Each channel first carries its port, two bytes little-endian.
    std::string prefix = {static_cast<char>(p.port & 0xff), static_cast<char>(p.port >> 8)};
    (void)channels.send(static_cast<uint8_t>(2 * i), prefix);
    (void)channels.send(static_cast<uint8_t>(2 * i + 1), prefix);
  }
  size_t index = 0;
  for (auto& p : forwards) {
    uint8_t data = static_cast<uint8_t>(2 * index), error = static_cast<uint8_t>(2 * index + 1);
    ++index;
    auto connected = ctx.runtime.portForward(sandbox, p.port, Clock::now() + kConnectTimeout);
    if (!connected) {
      (void)channels.send(error, forwardError(p.port, sandbox, connected.status().message()));
      p.done = true;
      continue;
    }
    p.conn = std::move(*connected);
    live.add(p.conn.get());
    Port* port = &p;
    p.pump = std::thread([port, data, &channels, &activity] {
      std::array<char, 32 * 1024> buf{};
      for (;;) {
        auto n = port->conn->read(buf.data(), buf.size(), Clock::now() + std::chrono::seconds(1));
        if (!n && n.status().code() == Code::kDeadlineExceeded) continue;
        if (!n || *n == 0) break;
        activity.touch();
        if (!channels.send(data, std::string_view(buf.data(), *n))) break;
      }
      port->done = true;
    });
  }

  ws::Decoder decoder(ws::Decoder::Role::kServer, 1 << 20);
  std::vector<ws::Message> messages;
  std::array<char, 32 * 1024> buf{};
  for (bool end = false; !end;) {
    bool allDone = true;
    for (auto& p : forwards) allDone = allDone && p.done;
    if (allDone) break;
    auto n = ctx.client.read(buf.data(), buf.size(), Clock::now() + std::chrono::seconds(1));
    if (!n && n.status().code() == Code::kDeadlineExceeded) {
      if (activity.idleFor(ctx.options.idleTimeout)) break;
      continue;
    }
    if (!n || *n == 0) break;
    activity.touch();
    messages.clear();
    if (Status st = decoder.feed(std::string_view(buf.data(), *n), messages); !st) {
      (void)channels.sendClose(decoder.closeCode(), st.message());
      break;
    }
    for (auto& m : messages) {
      if (m.opcode == ws::Opcode::kPing) {
        (void)channels.sendControl(ws::Opcode::kPong, m.payload);
        continue;
      }
      if (m.opcode == ws::Opcode::kPong) continue;
      if (m.opcode == ws::Opcode::kClose) {
        end = true;
        break;
      }
      auto decoded = channels.decode(m);
      if (!decoded) continue;
      auto& [channel, payload] = *decoded;
      size_t i = channel / 2;
      if (channel % 2 != 0 || i >= forwards.size() || payload.empty()) continue;
      auto it = std::next(forwards.begin(), static_cast<long>(i));
      if (it->conn && !it->done) {
        (void)it->conn->write(payload, Clock::now() + ctx.options.idleTimeout);
      }
    }
  }
  for (auto& p : forwards) {
    if (p.conn) p.conn->close();
  }
  for (auto& p : forwards) {
    if (p.pump.joinable()) p.pump.join();
    if (p.conn) live.remove(p.conn.get());
  }
  (void)channels.sendClose(ws::kCloseNormal, "");
}

}  // namespace dockershim::streaming
