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
#include <system_error>

#include "common/scope_guard.h"
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
  bool stopped() {
    std::lock_guard lock(mu_);
    return stopped_;
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
  std::atomic<bool> ended{false};  // both streams ended toward the client
  std::thread worker;

  // Stops the worker and waits for it, whatever path leads here (unwinding included).
  ~SpdyForward() {
    stop = true;
    {
      std::lock_guard lock(mu);
      if (conn) conn->close();
    }
    if (worker.joinable()) worker.join();
  }

  // Ends both streams toward the client once: FIN (the pod's server finished), or RST (the
  // connection broke: client-go then drops that connection and waits for the error stream's
  // end, which the RST also is).
  void endStreams(SpdyConnection& c, bool reset) {
    if (ended.exchange(true)) return;
    if (reset) {
      (void)c.reset(dataStream);
      (void)c.reset(errorStream);
    } else {
      (void)c.data(dataStream, "", true);
      (void)c.data(errorStream, "", true);
    }
  }
};

void runSpdyForward(SpdyForward& f, SessionContext& ctx, SpdyConnection& conn,
                    LiveConnections& live, BytePipe& pipe) {
  const std::string& sandbox = ctx.request.forward.sandboxId;
  auto connected = ctx.runtime.portForward(sandbox, f.port, Clock::now() + kConnectTimeout);
  if (!connected) {
    spdlog::info("port-forward to {} port {}: {}", sandbox, f.port, connected.status().message());
    (void)conn.data(f.errorStream, forwardError(f.port, sandbox, connected.status().message()));
    f.endStreams(conn, false);
    std::lock_guard lock(f.mu);
    f.failed = true;
    return;
  }
  Connection& pod = **connected;
  live.add(&pod);
  common::ScopeGuard unregister([&] {
    pod.close();
    live.remove(&pod);
  });
  {
    std::lock_guard lock(f.mu);
    f.conn = std::move(*connected);
    if (f.failed) return;
    if (!f.pending.empty() && !pod.write(f.pending, deadlineAfter(ctx.options.idleTimeout))) {
      f.failed = true;
      f.endStreams(conn, true);
      return;
    }
    f.pending.clear();
    if (f.pendingFin) (void)pod.closeWrite();
    f.ready = true;
  }
  std::array<char, 32 * 1024> buf{};
  for (;;) {
    if (f.stop) {
      f.endStreams(conn, false);  // the client reset its data stream: end the error stream
      break;
    }
    // A client that hung up while the session's reader is blocked writing to a pod that does
    // not read: free it by closing the pod connections.
    if (pipe.peerClosed()) {
      live.closeAll();
      conn.abandon();
      break;
    }
    auto n = pod.read(buf.data(), buf.size(), Clock::now() + std::chrono::seconds(1));
    if (!n) {
      if (n.status().code() == Code::kDeadlineExceeded) continue;
      // The pod reset the connection (or we closed it): so is the client's, without a message.
      f.endStreams(conn, !f.stop);
      break;
    }
    if (*n == 0) {  // the server in the pod finished: end both streams
      f.endStreams(conn, false);
      break;
    }
    if (!conn.data(f.dataStream, std::string_view(buf.data(), *n))) break;
  }
}

constexpr std::size_t kMaxForwardsPerSession = 256;

}  // namespace

void servePortForwardSpdy(SessionContext& ctx, BytePipe& pipe) {
  Activity activity;
  SpdyConnection conn(pipe, activity, ctx.options.idleTimeout);
  const std::string& sandbox = ctx.request.forward.sandboxId;
  LiveConnections live;
  AbortHook abortHook(ctx, [&live] { live.closeAll(); });
  std::map<uint32_t, std::unique_ptr<SpdyForward>> forwards;  // by request id
  std::map<uint32_t, SpdyForward*> byStream;
  std::vector<spdy::Frame> frames;

  auto drop = [&](std::map<uint32_t, std::unique_ptr<SpdyForward>>::iterator it) {
    byStream.erase(it->second->dataStream);
    byStream.erase(it->second->errorStream);
    return forwards.erase(it);  // ~SpdyForward stops and joins its worker
  };

  bool end = false;
  while (!end) {
    frames.clear();
    if (Status st = conn.read(frames, Clock::now() + std::chrono::seconds(1)); !st) break;
    if (conn.broken()) break;
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
        auto found = forwards.find(key);
        if (found == forwards.end() && forwards.size() >= kMaxForwardsPerSession) {
          (void)conn.reset(syn->streamId, spdy::kRstRefusedStream);
          continue;
        }
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
          try {
            f->worker = std::thread([f, &ctx, &conn, &live, &pipe] {
              try {
                runSpdyForward(*f, ctx, conn, live, pipe);
              } catch (const std::exception& e) {
                spdlog::error("port-forward worker: {}", e.what());
                f->endStreams(conn, true);
              }
              f->done = true;
            });
          } catch (const std::system_error& e) {
            spdlog::warn("port-forward to {}: no thread for a connection: {}", sandbox, e.what());
            f->endStreams(conn, true);
            f->done = true;
          }
        }
      } else if (const auto* d = std::get_if<spdy::Data>(&frame)) {
        auto it = byStream.find(d->streamId);
        if (it == byStream.end() || d->streamId != it->second->dataStream) continue;
        SpdyForward& f = *it->second;
        std::lock_guard lock(f.mu);
        if (f.failed) continue;
        if (!f.ready) {
          if (f.pending.size() + d->payload.size() > kMaxPendingInput) {
            f.failed = true;
            f.stop = true;
            f.endStreams(conn, true);
            continue;
          }
          f.pending += d->payload;
          f.pendingFin = f.pendingFin || d->fin;
          continue;
        }
        // Blocks while the pod does not read: back-pressure on the client. A client that hangs
        // up meanwhile is noticed by the worker, which closes the pod connections.
        if (!d->payload.empty() &&
            !f.conn->write(d->payload, deadlineAfter(ctx.options.idleTimeout))) {
          f.failed = true;
          f.stop = true;
          f.conn->close();
          f.endStreams(conn, true);
          continue;
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
        f.ended = true;
        it = drop(it);
      } else if (f.done) {
        it = drop(it);
      } else {
        ++it;
      }
    }
  }
  // The client left (or idled out, or the server stops): no goodbye is read any more. Closing
  // first makes every worker's pending write fail at once, so the joins below are quick.
  live.closeAll();
  conn.abandon();
  forwards.clear();
}

void servePortForwardWebSocket(SessionContext& ctx) {
  const bool base64 = ctx.protocol.find("base64") != std::string::npos;
  ChannelSocket channels(ctx.client, base64, ctx.options.idleTimeout);
  const std::string& sandbox = ctx.request.forward.sandboxId;
  const auto& ports = ctx.request.forward.ports;
  if (ports.empty() || ports.size() > 127) {
    (void)channels.sendClose(ws::kCloseProtocolError,
                             "port-forward over channels needs the ports in the request");
    lingerAndClose(ctx.client);
    return;
  }
  Activity activity;
  LiveConnections live;
  AbortHook abortHook(ctx, [&live] { live.closeAll(); });
  struct Port {
    LiveConnections* live = nullptr;
    uint16_t port = 0;
    std::unique_ptr<Connection> conn;
    std::thread pump;
    std::atomic<bool> done{false};
    ~Port() {
      if (conn) conn->close();
      if (pump.joinable()) pump.join();
      if (conn) live->remove(conn.get());
    }
  };
  std::list<Port> forwards;  // after `live`: destroyed (joined) before it
  for (size_t i = 0; i < ports.size(); ++i) {
    auto& p = forwards.emplace_back();
    p.live = &live;
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
    if (live.stopped()) {
      p.done = true;
      continue;
    }
    auto connected = ctx.runtime.portForward(sandbox, p.port, Clock::now() + kConnectTimeout);
    if (!connected) {
      (void)channels.send(error, forwardError(p.port, sandbox, connected.status().message()));
      p.done = true;
      continue;
    }
    p.conn = std::move(*connected);
    live.add(p.conn.get());
    Port* port = &p;
    try {
      p.pump = std::thread([port, data, &channels, &activity, &live, &ctx] {
        try {
          std::array<char, 32 * 1024> buf{};
          for (;;) {
            if (ctx.client.peerClosed()) {
              live.closeAll();  // frees the reader if it is blocked writing to a pod
              break;
            }
            auto n =
                port->conn->read(buf.data(), buf.size(), Clock::now() + std::chrono::seconds(1));
            if (!n && n.status().code() == Code::kDeadlineExceeded) continue;
            if (!n || *n == 0) break;
            activity.touch();
            if (!channels.send(data, std::string_view(buf.data(), *n))) break;
          }
        } catch (const std::exception& e) {
          spdlog::error("port-forward pump: {}", e.what());
        }
        port->done = true;
      });
    } catch (const std::system_error& e) {
      (void)channels.send(error, forwardError(p.port, sandbox, e.what()));
      p.done = true;
    }
  }

  ws::Decoder decoder(ws::Decoder::Role::kServer, 1 << 20);
  std::vector<ws::Message> messages;
  std::array<char, 32 * 1024> buf{};
  bool clientGone = false;
  for (bool end = false; !end;) {
    bool allDone = true;
    for (auto& p : forwards) allDone = allDone && p.done;
    if (allDone) break;
    auto n = ctx.client.read(buf.data(), buf.size(), Clock::now() + std::chrono::seconds(1));
    if (!n && n.status().code() == Code::kDeadlineExceeded) {
      if (activity.idleFor(ctx.options.idleTimeout)) break;
      continue;
    }
    if (!n || *n == 0) {
      clientGone = true;
      break;
    }
    activity.touch();
    messages.clear();
    if (Status st = decoder.feed(std::string_view(buf.data(), *n), messages); !st) {
      (void)channels.sendClose(decoder.closeCode(), st.message());
      break;
    }
    for (auto& m : messages) {
      if (m.opcode == ws::Opcode::kPing) {
        (void)channels.sendFrame(ws::Opcode::kPong, m.payload);
        continue;
      }
      if (m.opcode == ws::Opcode::kPong) continue;
      if (m.opcode == ws::Opcode::kClose) {
        end = true;
        break;
      }
      if (m.payload.empty()) continue;
      auto decoded = channels.decode(m);
      if (!decoded) continue;
      auto& [channel, payload] = *decoded;
      size_t i = channel / 2;
      if (channel % 2 != 0 || i >= forwards.size() || payload.empty()) continue;
      auto it = std::next(forwards.begin(), static_cast<long>(i));
      if (it->conn && !it->done &&
          !it->conn->write(payload, deadlineAfter(ctx.options.idleTimeout))) {
        it->conn->close();  // its pump ends; the client sees the data channel go quiet
      }
    }
  }
  live.closeAll();
  if (clientGone) ctx.client.close();  // pumps blocked writing to the client give up at once
  forwards.clear();                    // joins the pumps
  (void)channels.sendClose(ws::kCloseNormal, "");
  lingerAndClose(ctx.client);
}

}  // namespace dockershim::streaming
