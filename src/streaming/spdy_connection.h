#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"
#include "streaming/remotecommand.h"
#include "streaming/session.h"
#include "streaming/spdy.h"

namespace dockershim::streaming {

// One SPDY/3.1 connection as Kubernetes' clients (spdystream) use it: the client opens every
// stream; we reply, send data, reset, echo pings and say goodbye. spdystream has no flow control
// (it neither sends nor honours WINDOW_UPDATE), so none is done here: TCP is the back-pressure.
// Only frame types spdystream knows are ever sent. Writes from several threads are serialised;
// reads belong to one thread.
class SpdyConnection {
 public:
  // `writeTimeout`: how long one write may wait for a client that does not read (0: no limit);
  // a write that fails breaks the connection for good (a frame cut in half cannot be followed
  // by another).
  SpdyConnection(BytePipe& pipe, Activity& activity, std::chrono::milliseconds writeTimeout)
      : pipe_(pipe), activity_(activity), writeTimeout_(writeTimeout) {}

  // The next frames from the client (none when the deadline passed); 0 frames and an OK status
  // never means the end: the end is an error (CANCELLED/UNAVAILABLE) or `ended()`.
  Status read(std::vector<spdy::Frame>& out, Deadline deadline);
  bool ended() const { return ended_; }

  Status reply(uint32_t streamId);
  Status data(uint32_t streamId, std::string_view payload, bool fin = false);
  Status reset(uint32_t streamId, uint32_t status = spdy::kRstCancel);
  Status pong(uint32_t id);
  // The last frame: GOAWAY, then our side is closed. Any thread.
  void goAway();
  // After goAway, on the reading thread: a short wait for the client to hang up (so it reads
  // everything rather than being reset mid-read), then the connection is closed.
  void drainAndClose();
  // Ends the connection at once, without goodbye: every write, blocked or later, fails.
  void abandon();
  bool broken() const { return broken_; }

  // A header's value by name (the client lower-cases them), "" when absent.
  static std::string header(const spdy::Headers& headers, std::string_view name);

 private:
  Status send(const Result<std::string>& bytes);

  BytePipe& pipe_;
  Activity& activity_;
  const std::chrono::milliseconds writeTimeout_;
  // Kubernetes' clients write data frames of 32 KiB; 1 MiB bounds what one frame may buffer.
  spdy::Decoder decoder_{spdy::Decoder::kDefaultMaxHeaderBlockSize, 1 << 20};
  std::mutex writeMu_;
  spdy::Encoder encoder_;
  bool goneAway_ = false;  // under writeMu_
  std::atomic<bool> broken_{false};
  std::atomic<uint32_t> lastClientStream_{0};
  bool ended_ = false;
  std::array<char, 64 * 1024> buf_{};
};

}  // namespace dockershim::streaming
