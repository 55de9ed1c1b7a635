#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/socket_stream.h"
#include "dockershim/streaming_runtime.h"
#include "streaming/server.h"
#include "streaming/token_store.h"

namespace dockershim::streaming {

// A deadline `limit` from now, where 0 means none (the idle timeout's "never").
inline Deadline deadlineAfter(std::chrono::milliseconds limit) {
  if (limit.count() <= 0) return Deadline::max();
  return Clock::now() + limit;
}

// The bytes a SPDY session runs over: the upgraded socket itself, or the binary messages of a
// WebSocket (the tunnel client-go's WebSocket port-forward dialer speaks).
class BytePipe {
 public:
  virtual ~BytePipe() = default;
  // Up to `size` bytes; 0 at the peer's end.
  virtual Result<size_t> read(char* data, size_t size, Deadline deadline) = 0;
  virtual Status write(std::string_view data, Deadline deadline) = 0;
  // Ends our side (a half-close where the transport has one).
  virtual void closeWrite() = 0;
  // Wakes and fails any blocked read or write.
  virtual void close() = 0;
  // The client hung up (checked without reading).
  virtual bool peerClosed() const = 0;
};

class SocketPipe : public BytePipe {
 public:
  explicit SocketPipe(common::SocketStream& socket) : socket_(socket) {}
  Result<size_t> read(char* data, size_t size, Deadline deadline) override {
    return socket_.read(data, size, deadline);
  }
  Status write(std::string_view data, Deadline deadline) override {
    return socket_.write(data, deadline);
  }
  void closeWrite() override { (void)socket_.closeWrite(); }
  void close() override { socket_.close(); }
  bool peerClosed() const override { return socket_.peerClosed(); }

 private:
  common::SocketStream& socket_;
};

// What a protocol handler gets once the connection is upgraded: it owns the session until it
// returns, and returns when the session is over (the caller then closes the socket).
struct SessionContext {
  common::SocketStream& client;
  StreamingRuntime& runtime;
  const PendingRequest& request;
  const ServerOptions& options;
  std::string protocol;  // the negotiated subprotocol
  std::string query;     // the URL's query string (WebSocket port-forward names its ports there)
  // Installs (or, with an empty function, removes) what ends this session's blocking work on
  // the runtime side when the server stops: a stdin write to a process that does not read, a
  // write to a pod that does not read. Called under the server's lock, so a session removes it
  // before the objects it touches go away (AbortHook does both).
  std::function<void(std::function<void()>)> setAbort;
};

class AbortHook {
 public:
  AbortHook(SessionContext& ctx, std::function<void()> abort) : ctx_(ctx) {
    if (ctx_.setAbort) ctx_.setAbort(std::move(abort));
  }
  ~AbortHook() {
    if (ctx_.setAbort) ctx_.setAbort({});
  }
  AbortHook(const AbortHook&) = delete;
  AbortHook& operator=(const AbortHook&) = delete;

 private:
  SessionContext& ctx_;
};

// Subprotocols in order of preference (the server picks the first one the client offers).
inline const std::vector<std::string>& remoteCommandSpdyProtocols() {
  // v5 over SPDY behaves as v4 (its one addition, the close signal, exists only on WebSocket);
  // clients offer it first.
  static const std::vector<std::string> p = {"v5.channel.k8s.io", "v4.channel.k8s.io",
                                             "v3.channel.k8s.io", "v2.channel.k8s.io",
                                             "channel.k8s.io"};
  return p;
}
inline const std::vector<std::string>& remoteCommandWebSocketProtocols() {
  static const std::vector<std::string> p = {"v5.channel.k8s.io", "v4.channel.k8s.io",
                                             "v4.base64.channel.k8s.io", "channel.k8s.io",
                                             "base64.channel.k8s.io"};
  return p;
}
inline const std::vector<std::string>& portForwardSpdyProtocols() {
  static const std::vector<std::string> p = {"portforward.k8s.io"};
  return p;
}
inline const std::vector<std::string>& portForwardWebSocketProtocols() {
  // The channel protocols carry one forward per port named in the request; the SPDY tunnel
  // (what client-go's and crictl's WebSocket dialer speak) carries SPDY port-forward in binary
  // messages.
  static const std::vector<std::string> p = {"SPDY/3.1+portforward.k8s.io", "v4.channel.k8s.io",
                                             "v4.base64.channel.k8s.io"};
  return p;
}

void serveRemoteCommandSpdy(SessionContext& ctx);
void serveRemoteCommandWebSocket(SessionContext& ctx);
// Port-forward over SPDY, on the socket or (WebSocket tunnel) on `pipe`.
void servePortForwardSpdy(SessionContext& ctx, BytePipe& pipe);
void servePortForwardWebSocket(SessionContext& ctx);

}  // namespace dockershim::streaming
