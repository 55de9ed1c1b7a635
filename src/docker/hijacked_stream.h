#pragma once

#include <atomic>
#include <string>

#include "dockershim/docker_client.h"

namespace dockershim::docker {

// A hijacked Docker connection as a plain socket. Reads and writes use poll() against the
// deadline so one reader and one writer thread can work at once without an io_context.
class FdHijackedStream : public HijackedStream {
 public:
  FdHijackedStream(int fd, std::string leftover);
  ~FdHijackedStream() override;

  Result<size_t> read(char* data, size_t size, Deadline deadline) override;
  Status write(std::string_view data, Deadline deadline) override;
  Status closeWrite() override;
  void close() override;

 private:
  int fd_;
  std::string leftover_;  // bytes read past the upgrade header; only the reader touches it
  std::atomic<bool> closed_{false};
};

}  // namespace dockershim::docker
