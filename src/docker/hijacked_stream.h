#pragma once

#include <string>

#include "common/socket_stream.h"
#include "dockershim/docker_client.h"

namespace dockershim::docker {

// A hijacked Docker connection (exec, attach) as a plain socket.
class FdHijackedStream : public HijackedStream {
 public:
  FdHijackedStream(int fd, std::string leftover) : socket_(fd, std::move(leftover)) {}

  Result<size_t> read(char* data, size_t size, Deadline deadline) override {
    return socket_.read(data, size, deadline);
  }
  Status write(std::string_view data, Deadline deadline) override {
    return socket_.write(data, deadline);
  }
  Status closeWrite() override { return socket_.closeWrite(); }
  void close() override { socket_.close(); }

 private:
  common::SocketStream socket_;
};

}  // namespace dockershim::docker
