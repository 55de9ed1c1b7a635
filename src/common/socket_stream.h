#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "dockershim/status.h"

namespace dockershim::common {

// A connected stream socket it owns, read and written with poll() against deadlines, so one
// reader and one writer thread can use it at once and another thread can close() it to wake
// both. Used for Docker's hijacked connections, streaming clients and pod connections.
class SocketStream {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // `leftover`: bytes already read past a protocol header, returned first.
  explicit SocketStream(int fd, std::string leftover = {});
  ~SocketStream();
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  // Up to `size` bytes; 0 when the peer ended its side.
  Result<size_t> read(char* data, size_t size, Deadline deadline);
  // All of `data`, or an error (a slow peer holds the writer: back-pressure, bounded by the
  // deadline).
  Status write(std::string_view data, Deadline deadline);
  // Returns bytes a reader took too many of (past a protocol header); they are read next. Only
  // from the reading thread.
  void unread(std::string data) { leftover_.insert(0, data); }
  // Ends our sending side; the peer reads end of stream.
  Status closeWrite();
  // Wakes and fails any blocked read or write; the descriptor is closed by the destructor, so no
  // thread can race a reused descriptor number.
  void close();
  bool closed() const { return closed_; }
  // The peer hung up (its FIN or a reset arrived), seen without reading: a thread blocked
  // elsewhere can learn that the client is gone although unread bytes are still queued.
  bool peerClosed() const;
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string leftover_;  // only the reader touches it
  std::atomic<bool> closed_{false};
};

}  // namespace dockershim::common
