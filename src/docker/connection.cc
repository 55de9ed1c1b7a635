#include "docker/connection.h"

#include <poll.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <cstdint>
#include <iterator>
#include <limits>

#include "docker/errors.h"

namespace dockershim::docker {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr size_t kMaxBodyBytes = 512u << 20;  // an image list of a large node fits easily

// Asio timers overflow on time_point::max(); a year is "no deadline" for any call.
Deadline clamp(Deadline d) { return std::min(d, Clock::now() + std::chrono::hours(24 * 365)); }
}  // namespace

Connection::Connection(std::string socketPath)
    : socketPath_(std::move(socketPath)), stream_(ioc_) {}

Status Connection::ioStatus(const boost::system::error_code& ec, const char* what) const {
  if (ec == beast::error::timeout) {
    return {Code::kDeadlineExceeded, std::string(what) + " docker: deadline exceeded"};
  }
  return {Code::kUnavailable,
          std::string(what) + " docker at " + socketPath_ + ": " + ec.message()};
}

Status Connection::connect(Deadline deadline) {
  boost::system::error_code result = net::error::would_block;
  stream_.expires_at(clamp(deadline));
  stream_.async_connect(net::local::stream_protocol::endpoint(socketPath_),
                        [&](boost::system::error_code ec) { result = ec; });
  ioc_.restart();
  ioc_.run();
  if (result) {
    stream_.close();
    return ioStatus(result, "connect to");
  }
  open_ = true;
  reusable_ = true;
  return Status::ok();
}

Status Connection::writeRequest(const HttpRequest& request, Deadline deadline) {
  boost::system::error_code result = net::error::would_block;
  stream_.expires_at(clamp(deadline));
  http::async_write(stream_, request, [&](boost::system::error_code ec, size_t) { result = ec; });
  ioc_.restart();
  ioc_.run();
  if (result) {
    close();
    return ioStatus(result, "write to");
  }
  return Status::ok();
}

Result<Response> Connection::readResponse(Deadline deadline, bool& gotBytes) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBodyBytes);
  boost::system::error_code result = net::error::would_block;
  size_t before = buffer_.size();
  stream_.expires_at(clamp(deadline));
  http::async_read(stream_, buffer_, parser,
                   [&](boost::system::error_code ec, size_t) { result = ec; });
  ioc_.restart();
  ioc_.run();
  gotBytes = parser.got_some() || buffer_.size() > before;
  if (result) {
    close();
    return ioStatus(result, "read from");
  }
  auto msg = parser.release();
  if (!msg.keep_alive()) reusable_ = false;
  return Response{static_cast<int>(msg.result_int()), std::move(msg.body())};
}

Result<int> Connection::readStreaming(Deadline deadline, std::chrono::milliseconds idle,
                                      const std::function<Status(std::string_view)>& onBody,
                                      std::string& errorBody) {
  http::response_parser<http::buffer_body> parser;
  // Streams (events) have no end by design.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  std::array<char, 16 * 1024> chunk{};

  auto runRead = [&](bool headerOnly) {
    boost::system::error_code result = net::error::would_block;
    auto idleAt = Clock::now() + idle;
    stream_.expires_at(clamp(std::min(deadline, idleAt)));
    auto handler = [&](boost::system::error_code ec, size_t) { result = ec; };
    if (headerOnly) {
      http::async_read_header(stream_, buffer_, parser, handler);
    } else {
      http::async_read_some(stream_, buffer_, parser, handler);
    }
    ioc_.restart();
    ioc_.run();
    return result;
  };
  auto timeoutStatus = [&]() -> Status {
    if (Clock::now() >= deadline)
      return {Code::kDeadlineExceeded, "docker stream: deadline exceeded"};
    return {Code::kDeadlineExceeded,
            "docker stream: no progress for " + std::to_string(idle.count() / 1000) + "s"};
  };

  auto ec = runRead(true);
  if (ec) {
    close();
    return ec == beast::error::timeout ? Result<int>(timeoutStatus())
                                       : Result<int>(ioStatus(ec, "read from"));
  }
  int status = static_cast<int>(parser.get().result_int());
  bool ok = status >= 200 && status < 300;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    ec = runRead(false);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      close();
      return ec == beast::error::timeout ? Result<int>(timeoutStatus())
                                         : Result<int>(ioStatus(ec, "read from"));
    }
    size_t n = chunk.size() - parser.get().body().size;
    if (n == 0) continue;
    if (!ok) {
      if (errorBody.size() < 64 * 1024) errorBody.append(chunk.data(), n);
      continue;
    }
    Status st = onBody(std::string_view(chunk.data(), n));
    if (!st.isOk()) {
      close();  // the rest of the stream is unwanted; the connection cannot be reused
      return st;
    }
  }
  if (!parser.get().keep_alive()) reusable_ = false;
  return status;
}

Result<int> Connection::readUpgradeHeader(Deadline deadline, std::string& leftover,
                                          std::string& errorBody) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  boost::system::error_code result = net::error::would_block;
  stream_.expires_at(clamp(deadline));
  http::async_read_header(stream_, buffer_, parser,
                          [&](boost::system::error_code ec, size_t) { result = ec; });
  ioc_.restart();
  ioc_.run();
  if (result) {
    close();
    return ioStatus(result, "read from");
  }
  int status = static_cast<int>(parser.get().result_int());
  if (status == 101 || status == 200) {
    // Docker API: after the header the connection carries the raw (possibly multiplexed)
    // stream; anything the parser buffered past the header belongs to it.
    auto data = buffer_.data();
    leftover.assign(static_cast<const char*>(data.data()), data.size());
    buffer_.consume(buffer_.size());
    reusable_ = false;
    return status;
  }
  result = net::error::would_block;
  http::async_read(stream_, buffer_, parser,
                   [&](boost::system::error_code ec, size_t) { result = ec; });
  ioc_.restart();
  ioc_.run();
  if (!result) errorBody = parser.get().body();
  close();
  return status;
}

int Connection::releaseFd() {
  int fd = ::dup(stream_.socket().native_handle());
  // Close only this descriptor: a shutdown() would end the socket for the dup as well.
  stream_.close();
  open_ = false;
  reusable_ = false;
  return fd;
}

void Connection::close() {
  if (open_) {
    boost::system::error_code ignored;
    stream_.socket().shutdown(net::socket_base::shutdown_both, ignored);
    stream_.close();
  }
  open_ = false;
  reusable_ = false;
  buffer_.consume(buffer_.size());
}

ConnectionPool::ConnectionPool(std::string socketPath, size_t maxIdle,
                               std::chrono::milliseconds idleExpiry)
    : socketPath_(std::move(socketPath)), maxIdle_(maxIdle), idleExpiry_(idleExpiry) {}

void ConnectionPool::expire(std::vector<Idle>& expired) {
  auto now = std::chrono::steady_clock::now();
  size_t old = 0;
  while (old < idle_.size() && now - idle_[old].since >= idleExpiry_) ++old;
  if (old == 0) return;
  std::move(idle_.begin(), idle_.begin() + static_cast<ptrdiff_t>(old),
            std::back_inserter(expired));
  idle_.erase(idle_.begin(), idle_.begin() + static_cast<ptrdiff_t>(old));
}

size_t ConnectionPool::idleCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

std::unique_ptr<Connection> ConnectionPool::acquire(bool& reused) {
  std::vector<Idle> expired;  // closed after the lock is let go
  for (;;) {
    std::unique_ptr<Connection> conn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      expire(expired);
      if (idle_.empty()) break;
      conn = std::move(idle_.back().conn);
      idle_.pop_back();
    }
    // An idle connection has nothing to read: readable means Docker closed it (it went away, or
    // dropped an idle connection). Such a one is not used, so a request is not lost on it.
    pollfd p{conn->nativeHandle(), POLLIN | POLLRDHUP, 0};
    if (p.fd >= 0 && ::poll(&p, 1, 0) == 0) {
      reused = true;
      return conn;
    }
  }
  reused = false;
  return std::make_unique<Connection>(socketPath_);
}

void ConnectionPool::clear() {
  std::vector<Idle> dead;
  std::lock_guard<std::mutex> lock(mu_);
  dead.swap(idle_);
}

void ConnectionPool::release(std::unique_ptr<Connection> conn) {
  std::vector<Idle> expired;
  std::lock_guard<std::mutex> lock(mu_);
  expire(expired);
  if (!conn || !conn->reusable()) return;
  if (idle_.size() < maxIdle_) idle_.push_back({std::move(conn), std::chrono::steady_clock::now()});
}

}  // namespace dockershim::docker
