#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "dockershim/status.h"
#include "dockershim/streaming_runtime.h"
#include "streaming/token_store.h"

namespace dockershim::streaming {

struct ServerOptions {
  // "host:port", ":port" (every interface) or "[v6]:port"; port 0 picks a free one.
  std::string bindAddress = "127.0.0.1:0";
  // A session with no byte in either direction for this long is closed (0: never).
  std::chrono::milliseconds idleTimeout{std::chrono::hours(4)};
  // How long a SPDY client may take to open the streams it asked for.
  std::chrono::milliseconds streamCreationTimeout{std::chrono::seconds(30)};
  std::size_t maxPendingTokens = 1000;
  std::chrono::milliseconds tokenTtl{std::chrono::minutes(1)};
  // Concurrent connections; more are refused with 503 so a flood cannot take every thread.
  std::size_t maxConnections = 1000;
};

// The HTTP server behind the URLs Exec, Attach and PortForward return: a token per request,
// then one connection upgraded to SPDY/3.1 or WebSocket carrying the Kubernetes remotecommand or
// portforward protocol. A thread per connection (plus one per output pump), all joined by
// stop().
class Server {
 public:
  Server(ServerOptions options, StreamingRuntime& runtime);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; the address in use is then in baseUrl().
  Status start();
  // Closes the listener and every session, and joins their threads.
  void stop();
  // "http://127.0.0.1:34567" (loopback when bound to every interface).
  std::string baseUrl() const { return baseUrl_; }

  // The URL for a request a client will connect to once.
  Result<std::string> urlFor(PendingRequest request);

  const ServerOptions& options() const { return options_; }
  std::size_t activeConnections() const { return active_; }

 private:
  struct Connection;
  void acceptLoop();
  void serve(Connection& connection);
  void reapFinished();  // with mu_ held

  ServerOptions options_;
  StreamingRuntime& runtime_;
  TokenStore tokens_;
  int listenFd_ = -1;
  std::string baseUrl_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> active_{0};
  std::thread acceptThread_;
  std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace dockershim::streaming
