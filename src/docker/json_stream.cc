#include "docker/json_stream.h"

#include <exception>
#include <new>
#include <utility>

namespace dockershim::docker {
namespace {

bool isJsonWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string describeByte(char c) {
  auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7f) return std::string("'") + c + "'";
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0xf];
}

}  // namespace

JsonStreamDecoder::JsonStreamDecoder(std::size_t maxMessageSize)
    : maxMessageSize_(maxMessageSize) {}

Status JsonStreamDecoder::fail(Status status) {
  failure_ = std::move(status);
  open_.clear();
  inString_ = false;
  escaped_ = false;
  buffer_.clear();
  buffer_.shrink_to_fit();
  return failure_;
}

Status JsonStreamDecoder::feed(std::string_view bytes, std::vector<nlohmann::json>& out) {
  if (!failure_.isOk()) return failure_;
  // Start of the in-progress object within `bytes`; bytes before it are already in buffer_.
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (open_.empty()) {
      if (isJsonWhitespace(c)) continue;
      if (c != '{') {
        return fail(errorStatus(Code::kDataLoss, "json stream: unexpected " + describeByte(c) +
                                                     " where an object should start"));
      }
      start = i;
      open_.push_back(c);
    } else if (inString_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        inString_ = false;
      }
    } else if (c == '"') {
      inString_ = true;
    } else if (c == '{' || c == '[') {
      open_.push_back(c);
    } else if (c == '}' || c == ']') {
      // Caught here rather than by nlohmann: "{[}" would otherwise swallow the objects after it
      // until the cap.
      if (open_.back() != (c == '}' ? '{' : '[')) {
        return fail(errorStatus(Code::kDataLoss,
                                "json stream: malformed message: mismatched " + describeByte(c)));
      }
      open_.pop_back();
    }

    if (buffer_.size() + (i + 1 - start) > maxMessageSize_) {
      return fail(errorStatus(
          Code::kResourceExhausted,
          "json stream: message larger than " + std::to_string(maxMessageSize_) + " bytes"));
    }
    if (open_.empty()) {
      buffer_.append(bytes.substr(start, i + 1 - start));
      if (Status s = parseBuffered(out); !s.isOk()) return fail(std::move(s));
    }
  }
  if (!open_.empty()) buffer_.append(bytes.substr(start));
  return Status::ok();
}

Status JsonStreamDecoder::parseBuffered(std::vector<nlohmann::json>& out) {
  try {
    out.push_back(nlohmann::json::parse(buffer_));
  } catch (const nlohmann::json::exception& e) {
    return errorStatus(Code::kDataLoss, std::string("json stream: malformed message: ") + e.what());
  } catch (const std::bad_alloc&) {
    return errorStatus(Code::kResourceExhausted, "json stream: out of memory parsing a message");
  } catch (const std::exception& e) {
    return errorStatus(Code::kInternal, std::string("json stream: ") + e.what());
  }
  buffer_.clear();
  return Status::ok();
}

}  // namespace dockershim::docker
