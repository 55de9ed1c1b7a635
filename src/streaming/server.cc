#include "streaming/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/socket_stream.h"
#include "common/tcp_listen.h"
#include "streaming/session.h"
#include "streaming/websocket.h"
#include "streaming/ws_session.h"

namespace dockershim::streaming {

namespace http = boost::beast::http;

struct Server::Connection {
  explicit Connection(int fd) : socket(fd) {}
  common::SocketStream socket;
  std::thread thread;
  std::atomic<bool> done{false};
  std::mutex abortMu;
  std::function<void()> abort;  // the session's runtime-side abort, while it has one
  bool stopping = false;        // under abortMu
};

namespace {

constexpr std::size_t kMaxHeader = 16 * 1024;
constexpr auto kHeaderTimeout = std::chrono::seconds(30);

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool containsToken(std::string_view list, std::string_view token) {
  std::string l = lower(list), t = lower(token);
  size_t pos = 0;
  while (pos <= l.size()) {
    size_t end = l.find(',', pos);
    if (end == std::string::npos) end = l.size();
    std::string_view item(l.data() + pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == t) return true;
    pos = end + 1;
  }
  return false;
}

std::string response(int code, std::string_view reason, std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  if (code != 101) {
    out += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

// The first protocol the client offered that we speak: the client's preference wins, as in
// Kubernetes' own handshake.
std::string negotiate(const std::vector<std::string>& offered,
                      const std::vector<std::string>& ours) {
  for (const auto& p : offered) {
    if (std::find(ours.begin(), ours.end(), p) != ours.end()) return p;
  }
  return {};
}

std::string joinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

Server::Server(ServerOptions options, StreamingRuntime& runtime)
    : options_(std::move(options)),
      runtime_(runtime),
      tokens_(options_.maxPendingTokens, options_.tokenTtl) {}

Server::~Server() { stop(); }

Status Server::start() {
  auto listener = common::listenTcp(options_.bindAddress, "streaming bind address");
  if (!listener) return listener.status();
  listenFd_ = listener->fd;
  baseUrl_ = "http://" + listener->urlHost + ":" + std::to_string(listener->port);
  acceptThread_ = std::thread([this] { acceptLoop(); });
  spdlog::info("streaming server listening on {} (URLs {})", options_.bindAddress, baseUrl_);
  return Status::ok();
}

void Server::stop() {
  if (stopping_.exchange(true)) return;
  if (listenFd_ >= 0) ::shutdown(listenFd_, SHUT_RDWR);
  if (acceptThread_.joinable()) acceptThread_.join();
  if (listenFd_ >= 0) ::close(listenFd_);
  listenFd_ = -1;
  std::list<std::unique_ptr<Connection>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& c : connections_) {
      c->socket.close();
      std::lock_guard abortLock(c->abortMu);
      c->stopping = true;
      if (c->abort) c->abort();
    }
    all.swap(connections_);
  }
  for (auto& c : all) {
    if (c->thread.joinable()) c->thread.join();
  }
}

Result<std::string> Server::urlFor(PendingRequest request) {
  const char* path = request.kind == RequestKind::kExec     ? "/exec/"
                     : request.kind == RequestKind::kAttach ? "/attach/"
                                                            : "/portforward/";
  auto token = tokens_.insert(std::move(request));
  if (!token) return token.status();
  return baseUrl_ + path + *token;
}

void Server::reapFinished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::acceptLoop() {
  while (!stopping_) {
    pollfd p{listenFd_, POLLIN, 0};
    int rc = ::poll(&p, 1, 1000);
    if (stopping_) break;
    if (rc <= 0) {
      std::lock_guard lock(mu_);
      reapFinished();
      continue;
    }
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      if (stopping_) break;
      spdlog::warn("streaming server: accept: {}", std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // EMFILE: do not spin
      continue;
    }
    std::lock_guard lock(mu_);
    reapFinished();
    auto conn = std::make_unique<Connection>(fd);
    if (active_ >= options_.maxConnections) {
      (void)conn->socket.write(
          response(503, "Service Unavailable", "too many streaming sessions\n"),
          Clock::now() + std::chrono::seconds(1));
      continue;  // the socket closes with conn
    }
    ++active_;
    Connection* raw = conn.get();
    try {
      conn->thread = std::thread([this, raw] {
        try {
          serve(*raw);
        } catch (const std::exception& e) {
          spdlog::error("streaming session failed: {}", e.what());
        } catch (...) {
          spdlog::error("streaming session failed");
        }
        raw->socket.close();
        --active_;
        raw->done = true;
      });
    } catch (const std::system_error& e) {
      // No thread to serve it (the task limit): refuse this one, keep serving the others.
      --active_;
      spdlog::warn("streaming server: no thread for a connection: {}", e.what());
      (void)conn->socket.write(response(503, "Service Unavailable", "no capacity\n"),
                               Clock::now() + std::chrono::seconds(1));
      continue;
    }
    connections_.push_back(std::move(conn));
  }
}

void Server::serve(Connection& connection) {
  auto& socket = connection.socket;
  const auto headerDeadline = Clock::now() + kHeaderTimeout;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kMaxHeader);
  parser.eager(false);
  std::string buffer;
  char chunk[4096];
  boost::beast::error_code ec;
  while (!parser.is_header_done()) {
    auto n = socket.read(chunk, sizeof chunk, headerDeadline);
    if (!n || *n == 0) return;  // gone, or silent for too long
    buffer.append(chunk, *n);
    size_t used = parser.put(boost::asio::buffer(buffer), ec);
    if (ec == http::error::need_more) {
      ec = {};
      if (buffer.size() > kMaxHeader) break;
      buffer.erase(0, used);
      continue;
    }
    if (ec) break;
    buffer.erase(0, used);
  }
  const auto writeDeadline = [] { return Clock::now() + std::chrono::seconds(10); };
  auto fail = [&](int code, std::string_view reason, const std::string& body) {
    (void)socket.write(response(code, reason, body + "\n"), writeDeadline());
  };
  if (ec || !parser.is_header_done()) {
    fail(400, "Bad Request", "malformed request");
    return;
  }
  socket.unread(std::move(buffer));
  const auto& req = parser.get();
  std::string target(req.target());
  std::string query;
  if (auto q = target.find('?'); q != std::string::npos) {
    query = target.substr(q + 1);
    target.resize(q);
  }
  RequestKind kind;
  std::string token;
  for (auto [prefix, k] :
       {std::pair{"/exec/", RequestKind::kExec}, std::pair{"/attach/", RequestKind::kAttach},
        std::pair{"/portforward/", RequestKind::kPortForward}}) {
    std::string_view p(prefix);
    if (target.rfind(p, 0) == 0) {
      kind = k;
      token = target.substr(p.size());
      break;
    }
  }
  if (token.empty() || token.find('/') != std::string::npos) {
    fail(404, "Not Found", "no such streaming endpoint");
    return;
  }
  if (req.method() != http::verb::get && req.method() != http::verb::post) {
    fail(405, "Method Not Allowed", "use GET or POST");
    return;
  }
  auto pending = tokens_.consume(token);
  if (!pending || pending->kind != kind) {
    fail(404, "Not Found", "streaming token not found, used or expired");
    return;
  }

  std::string upgrade = lower(std::string(req[http::field::upgrade]));
  std::string connectionHeader(req[http::field::connection]);
  bool isPortForward = kind == RequestKind::kPortForward;
  if (!containsToken(connectionHeader, "upgrade")) {
    fail(400, "Bad Request", "this endpoint needs a connection upgrade (SPDY/3.1 or websocket)");
    return;
  }
  SessionContext ctx{socket, runtime_, *pending, options_, "", query, {}};
  ctx.setAbort = [&connection](std::function<void()> abort) {
    std::lock_guard lock(connection.abortMu);
    connection.abort = std::move(abort);
    if (connection.stopping && connection.abort) connection.abort();
  };
  if (upgrade.find("websocket") != std::string::npos) {
    auto accept = ws::validateUpgrade([&](std::string_view name) {
      return std::string(req[boost::beast::string_view(name.data(), name.size())]);
    });
    if (!accept && accept.status().code() == Code::kUnimplemented) {
      (void)socket.write(response(426, "Upgrade Required", accept.status().message() + "\n",
                                  {{"Sec-WebSocket-Version", std::string(ws::kVersion)}}),
                         writeDeadline());
      return;
    }
    if (!accept) {
      fail(400, "Bad Request", accept.status().message());
      return;
    }
    std::vector<std::string> offered;
    for (const auto& field : req) {
      if (field.name() == http::field::sec_websocket_protocol) {
        auto list = ws::requestedProtocols(std::string(field.value()));
        offered.insert(offered.end(), list.begin(), list.end());
      }
    }
    const auto& ours =
        isPortForward ? portForwardWebSocketProtocols() : remoteCommandWebSocketProtocols();
    ctx.protocol = negotiate(offered, ours);
    // An old client may offer none; "channel.k8s.io" is then what it speaks.
    if (ctx.protocol.empty() && offered.empty()) {
      ctx.protocol = isPortForward ? "v4.channel.k8s.io" : "channel.k8s.io";
    }
    if (ctx.protocol.empty()) {
      fail(400, "Bad Request",
           "none of the offered subprotocols is supported; supported: " + joinList(ours));
      return;
    }
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", *accept}};
    if (!offered.empty()) headers.emplace_back("Sec-WebSocket-Protocol", ctx.protocol);
    if (!socket.write(response(101, "Switching Protocols", "", headers), writeDeadline())) return;
    if (isPortForward && ctx.protocol.rfind("SPDY/3.1+", 0) == 0) {
      WebSocketPipe pipe(socket, options_.idleTimeout);
      servePortForwardSpdy(ctx, pipe);
    } else if (isPortForward) {
      servePortForwardWebSocket(ctx);
    } else {
      serveRemoteCommandWebSocket(ctx);
    }
    return;
  }
  if (upgrade.find("spdy/3.1") != std::string::npos) {
    std::vector<std::string> offered;
    for (const auto& field : req) {
      if (lower(std::string(field.name_string())) == "x-stream-protocol-version") {
        for (auto& p : ws::requestedProtocols(std::string(field.value()))) offered.push_back(p);
      }
    }
    const auto& ours = isPortForward ? portForwardSpdyProtocols() : remoteCommandSpdyProtocols();
    ctx.protocol = negotiate(offered, ours);
    if (offered.empty()) {
      fail(400, "Bad Request", "unable to upgrade: X-Stream-Protocol-Version is required");
      return;
    }
    if (ctx.protocol.empty()) {
      std::string body = "unable to upgrade: unable to negotiate protocol: client supports " +
                         joinList(offered) + ", server supports " + joinList(ours);
      (void)socket.write(response(403, "Forbidden", body + "\n",
                                  {{"X-Accepted-Stream-Protocol-Versions", joinList(ours)}}),
                         writeDeadline());
      return;
    }
    std::vector<std::pair<std::string, std::string>> headers = {{"Connection", "Upgrade"},
                                                                {"Upgrade", "SPDY/3.1"}};
    if (!ctx.protocol.empty()) headers.emplace_back("X-Stream-Protocol-Version", ctx.protocol);
    if (!socket.write(response(101, "Switching Protocols", "", headers), writeDeadline())) return;
    if (isPortForward) {
      SocketPipe pipe(socket);
      servePortForwardSpdy(ctx, pipe);
    } else {
      serveRemoteCommandSpdy(ctx);
    }
    return;
  }
  fail(400, "Bad Request", "unsupported upgrade \"" + upgrade + "\" (SPDY/3.1 or websocket)");
}

}  // namespace dockershim::streaming
