#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dockershim/docker_client.h"

namespace dockershim::docker {

// One HTTP/1.1 connection to Docker's unix socket. Blocking calls are built on Beast's async
// operations run on the connection's own io_context, so each carries a deadline
// (basic_stream::expires_at); a timed-out connection is closed and never reused.
// Not thread-safe: the pool lends a connection to one caller at a time.
class Connection {
 public:
  using Stream = boost::beast::basic_stream<boost::asio::local::stream_protocol>;
  using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

  explicit Connection(std::string socketPath);

  Status connect(Deadline deadline);
  bool open() const { return open_; }
  // Keep-alive was allowed by the last response and nothing failed since.
  bool reusable() const { return open_ && reusable_; }

  Status writeRequest(const HttpRequest& request, Deadline deadline);
  // Reads a whole response into memory. `gotBytes` says whether anything arrived (a reused
  // connection Docker had closed fails with nothing received and may be retried).
  Result<Response> readResponse(Deadline deadline, bool& gotBytes);
  // Reads a response header, then hands the body to `onBody` piece by piece as it arrives; each
  // read waits at most until min(deadline, now + idle). `idleMessage` describes an idle timeout.
  Result<int> readStreaming(Deadline deadline, std::chrono::milliseconds idle,
                            const std::function<Status(std::string_view)>& onBody,
                            std::string& errorBody);
  // Reads the header of an upgrade answer; leaves the socket as a raw byte stream. Returns the
  // HTTP status; `leftover` gets the bytes already read past the header; `errorBody` the body
  // of a non-upgrade answer.
  Result<int> readUpgradeHeader(Deadline deadline, std::string& leftover, std::string& errorBody);
  // Gives up the socket: a dup'ed file descriptor the caller owns.
  int releaseFd();
  // The socket's descriptor, still owned by the connection (-1 when closed).
  int nativeHandle() { return open_ ? stream_.socket().native_handle() : -1; }

  void close();

 private:
  Status ioStatus(const boost::system::error_code& ec, const char* what) const;

  std::string socketPath_;
  boost::asio::io_context ioc_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  bool open_ = false;
  bool reusable_ = true;
};

// Keep-alive connections shared by all threads. acquire() never blocks on other callers: it
// hands out the connection used last or a new one; release() keeps at most `maxIdle` around.
// A connection left idle for `idleExpiry` is closed at the next acquire or release: a moment of
// concurrency (a background ping beside a call) does not keep descriptors open for good.
class ConnectionPool {
 public:
  ConnectionPool(std::string socketPath, size_t maxIdle,
                 std::chrono::milliseconds idleExpiry = std::chrono::seconds(3));

  std::unique_ptr<Connection> acquire(bool& reused);
  void release(std::unique_ptr<Connection> conn);
  // Closes every idle connection: one was found dead (dockerd restarted), so all are.
  void clear();
  size_t idleCount();
  const std::string& socketPath() const { return socketPath_; }

 private:
  struct Idle {
    std::unique_ptr<Connection> conn;
    std::chrono::steady_clock::time_point since;
  };
  // Moves connections idle for too long out of idle_ (into `expired`, closed by the caller
  // outside the lock). Under mu_.
  void expire(std::vector<Idle>& expired);

  std::string socketPath_;
  size_t maxIdle_;
  std::chrono::milliseconds idleExpiry_;
  std::mutex mu_;
  std::vector<Idle> idle_;  // oldest first; the last released is reused first
};

}  // namespace dockershim::docker
