#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::docker {

// Docker API: the stream byte of a multiplexed attach/exec frame header.
enum class StreamType : std::uint8_t {
  kStdin = 0,
  kStdout = 1,
  kStderr = 2,
  kSystemErr = 3,  // newer daemons report exec setup failures on it
};

struct Frame {
  StreamType stream;
  std::string data;

  bool operator==(const Frame&) const = default;
};

// Decodes Docker's multiplexed stream (the body of attach/exec without a TTY): frames of an
// 8-byte header (stream type, three zero bytes, big-endian uint32 payload size) and the payload.
//
// Payloads are passed on as they arrive rather than reassembled: one wire frame may come out as
// several consecutive Frame entries of the same stream, one per feed() call it spans, and a
// frame wholly inside one feed() comes out as one entry. Zero-length frames produce no entry.
// So memory stays bounded by the caller's buffers: at most 7 header bytes are kept between calls,
// however large a frame claims to be.
//
// Not thread-safe.
class StreamDemuxer {
 public:
  // Appends the payload bytes decoded from `bytes` to `out`. A header with an unknown stream type
  // or non-zero padding yields Code::kDataLoss; entries decoded before it stay in `out`, and every
  // later call fails the same way, since the framing can no longer be trusted.
  Status feed(std::string_view bytes, std::vector<Frame>& out);

  // True while a header or payload is incomplete; at end of stream this means truncation.
  bool midFrame() const { return headerLen_ > 0 || remaining_ > 0; }

 private:
  static constexpr std::size_t kHeaderSize = 8;

  Status parseHeader();

  std::array<unsigned char, kHeaderSize> header_{};
  std::size_t headerLen_ = 0;
  StreamType stream_ = StreamType::kStdout;
  std::uint32_t remaining_ = 0;  // payload bytes of the current frame not yet delivered
  Status failure_;
};

// Encodes one frame per 4 GiB - 1 of payload (a single frame for anything smaller; an empty
// payload gives a lone header). For tests and the fake Docker server.
std::string encodeFrame(StreamType stream, std::string_view payload);

}  // namespace dockershim::docker
