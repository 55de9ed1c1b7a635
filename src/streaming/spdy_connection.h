#pragma once

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
  SpdyConnection(BytePipe& pipe, Activity& activity) : pipe_(pipe), activity_(activity) {}

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

  // A header's value by name (the client lower-cases them), "" when absent.
  static std::string header(const spdy::Headers& headers, std::string_view name);

 private:
  Status send(const Result<std::string>& bytes);

  BytePipe& pipe_;
  Activity& activity_;
  spdy::Decoder decoder_;
  std::mutex writeMu_;
  spdy::Encoder encoder_;
  bool goneAway_ = false;
  uint32_t lastClientStream_ = 0;
  bool ended_ = false;
  std::array<char, 64 * 1024> buf_{};
};

}  // namespace dockershim::streaming
