#include "docker/stream_demux.h"

#include <algorithm>
#include <limits>

namespace dockershim::docker {
namespace {

constexpr std::uint32_t kMaxFramePayload = std::numeric_limits<std::uint32_t>::max();

std::string hexByte(unsigned char b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0xf];
}

}  // namespace

Status StreamDemuxer::feed(std::string_view bytes, std::vector<Frame>& out) {
  if (!failure_.isOk()) return failure_;
  while (!bytes.empty()) {
    if (remaining_ == 0) {
      std::size_t take = std::min(kHeaderSize - headerLen_, bytes.size());
      std::copy_n(bytes.begin(), take, header_.begin() + headerLen_);
      headerLen_ += take;
      bytes.remove_prefix(take);
      if (headerLen_ < kHeaderSize) break;
      headerLen_ = 0;
      if (Status s = parseHeader(); !s.isOk()) {
        failure_ = s;
        return s;
      }
      continue;
    }
    std::size_t take = std::min<std::size_t>(remaining_, bytes.size());
    out.push_back(Frame{stream_, std::string(bytes.substr(0, take))});
    remaining_ -= static_cast<std::uint32_t>(take);
    bytes.remove_prefix(take);
  }
  return Status::ok();
}

Status StreamDemuxer::parseHeader() {
  unsigned char type = header_[0];
  if (type > static_cast<unsigned char>(StreamType::kSystemErr)) {
    return errorStatus(Code::kDataLoss, "multiplexed stream: unknown stream type " + hexByte(type) +
                                            " in frame header (is the container using a TTY?)");
  }
  if (header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
    return errorStatus(Code::kDataLoss, "multiplexed stream: non-zero padding in frame header");
  }
  stream_ = static_cast<StreamType>(type);
  remaining_ = (std::uint32_t{header_[4]} << 24) | (std::uint32_t{header_[5]} << 16) |
               (std::uint32_t{header_[6]} << 8) | std::uint32_t{header_[7]};
  return Status::ok();
}

std::string encodeFrame(StreamType stream, std::string_view payload) {
  std::string out;
  do {
    std::size_t size = std::min<std::size_t>(payload.size(), kMaxFramePayload);
    out.push_back(static_cast<char>(stream));
    out.append(3, '\0');
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((size >> shift) & 0xff));
    }
    out.append(payload.substr(0, size));
    payload.remove_prefix(size);
  } while (!payload.empty());
  return out;
}

}  // namespace dockershim::docker
