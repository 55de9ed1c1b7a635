#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::docker {

// Decodes the JSON message streams Docker sends from /images/create (pull progress), /build,
// /events and the like: JSON objects one after another, optionally separated by whitespace
// (Docker writes "\r\n"), arriving split at arbitrary byte boundaries.
//
// The decoder only tracks brackets, strings and escapes to find where each object ends, then
// hands the object's bytes to nlohmann::json. Memory is bounded by the message cap: only the
// bytes of the one object in progress are kept between calls.
//
// Not thread-safe.
class JsonStreamDecoder {
 public:
  static constexpr std::size_t kDefaultMaxMessageSize = 16 * 1024 * 1024;

  explicit JsonStreamDecoder(std::size_t maxMessageSize = kDefaultMaxMessageSize);

  // Appends each object completed by `bytes` to `out`. A malformed object, or anything other than
  // whitespace between objects, yields Code::kDataLoss; an object longer than the cap yields
  // Code::kResourceExhausted as soon as the cap is passed. Objects decoded before the error stay
  // in `out`; every later call fails the same way, since the stream cannot be resynchronised.
  Status feed(std::string_view bytes, std::vector<nlohmann::json>& out);

  // True while an object has started but not ended; at end of stream this means truncation.
  bool pending() const { return !open_.empty(); }

 private:
  Status fail(Status status);
  Status parseBuffered(std::vector<nlohmann::json>& out);

  std::size_t maxMessageSize_;
  std::string buffer_;  // bytes of the object in progress
  std::string open_;    // the '{' and '[' not yet closed, innermost last; empty between objects
  bool inString_ = false;
  bool escaped_ = false;  // the previous byte inside a string was an unescaped '\'
  Status failure_;
};

}  // namespace dockershim::docker
