#include "streaming/spdy_connection.h"

#include <algorithm>

namespace dockershim::streaming {

std::string SpdyConnection::header(const spdy::Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return {};
}

Status SpdyConnection::read(std::vector<spdy::Frame>& out, Deadline deadline) {
  auto n = pipe_.read(buf_.data(), buf_.size(), deadline);
  if (!n) {
    if (n.status().code() == Code::kDeadlineExceeded) return Status::ok();
    return n.status();
  }
  if (*n == 0) {
    ended_ = true;
    return {Code::kCancelled, "the client closed the connection"};
  }
  activity_.touch();
  if (Status st = decoder_.feed(std::string_view(buf_.data(), *n), out); !st) return st;
  for (const auto& f : out) {
    if (const auto* syn = std::get_if<spdy::SynStream>(&f)) {
      if (syn->streamId > lastClientStream_) lastClientStream_ = syn->streamId;
    }
  }
  return Status::ok();
}

Status SpdyConnection::send(const Result<std::string>& bytes) {
  if (!bytes) return bytes.status();
  if (goneAway_ || broken_) return {Code::kCancelled, "connection closing"};
  Status st = pipe_.write(*bytes, deadlineAfter(writeTimeout_));
  if (!st) {
    broken_ = true;
    pipe_.close();
    return st;
  }
  activity_.touch();
  return st;
}

Status SpdyConnection::reply(uint32_t streamId) {
  std::lock_guard lock(writeMu_);
  return send(encoder_.synReply({.streamId = streamId, .fin = false, .headers = {}}));
}

Status SpdyConnection::data(uint32_t streamId, std::string_view payload, bool fin) {
  std::lock_guard lock(writeMu_);
  // spdystream reads each data frame whole into memory: keep them small.
  return send(encoder_.dataFrames(streamId, fin, payload, 32 * 1024));
}

Status SpdyConnection::reset(uint32_t streamId, uint32_t status) {
  std::lock_guard lock(writeMu_);
  return send(encoder_.rstStream({.streamId = streamId, .statusCode = status}));
}

Status SpdyConnection::pong(uint32_t id) {
  std::lock_guard lock(writeMu_);
  return send(encoder_.ping({.id = id}));
}

void SpdyConnection::goAway() {
  {
    std::lock_guard lock(writeMu_);
    if (goneAway_) return;
    (void)send(
        encoder_.goAway({.lastGoodStreamId = lastClientStream_, .statusCode = spdy::kGoAwayOk}));
    goneAway_ = true;
  }
  pipe_.closeWrite();
}

void SpdyConnection::abandon() {
  broken_ = true;
  pipe_.close();
}

void SpdyConnection::drainAndClose() {
  auto until = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < until) {
    auto n = pipe_.read(buf_.data(), buf_.size(), until);
    if (!n || *n == 0) break;
  }
  pipe_.close();
}

}  // namespace dockershim::streaming
