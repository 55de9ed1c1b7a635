#include "logs/docker_json_log.h"

#include <nlohmann/json.hpp>

namespace dockershim::logs {
namespace {

using Json = nlohmann::json;

// A SAX handler that keeps only the three top-level string fields: no DOM is built for the
// thousands of lines a busy container writes each second.
class EntryHandler : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return scalar(); }
  bool boolean(bool) override { return scalar(); }
  bool number_integer(number_integer_t) override { return scalar(); }
  bool number_unsigned(number_unsigned_t) override { return scalar(); }
  bool number_float(number_float_t, const string_t&) override { return scalar(); }
  bool binary(binary_t&) override { return scalar(); }

  bool string(string_t& val) override {
    if (depth_ == 1) {
      if (key_ == "log") {
        log = std::move(val);
      } else if (key_ == "stream") {
        stream = std::move(val);
        hasStream = true;
      } else if (key_ == "time") {
        time = std::move(val);
        hasTime = true;
      }
    }
    return depth_ > 0;
  }

  bool start_object(std::size_t) override {
    if (depth_ == 1 && typedKey_) {
      badType = true;
      return false;
    }
    ++depth_;
    return true;
  }
  bool key(string_t& val) override {
    if (depth_ == 1) {
      key_ = std::move(val);
      // Go's decoder fails on a non-string value for a string field; so does this parser.
      typedKey_ = key_ == "log" || key_ == "stream" || key_ == "time";
    }
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return false;  // a top-level array is not an entry
    if (depth_ == 1 && typedKey_) {
      badType = true;
      return false;
    }
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

  std::string log;
  std::string stream;
  std::string time;
  bool hasStream = false;
  bool hasTime = false;
  bool badType = false;

 private:
  bool scalar() {
    if (depth_ == 0) return false;  // a bare scalar is not an entry
    if (depth_ == 1 && typedKey_) {
      badType = true;
      return false;
    }
    return true;
  }

  int depth_ = 0;
  std::string key_;
  bool typedKey_ = false;
};

Status malformed(const char* why) {
  return errorStatus(Code::kInvalidArgument, std::string("docker json log line: ") + why);
}

}  // namespace

Result<DockerLogEntry> parseDockerJsonLine(std::string_view line) {
  EntryHandler handler;
  bool ok = false;
  try {
    ok = Json::sax_parse(line.begin(), line.end(), &handler);
  } catch (const Json::exception&) {
    // sax_parse reports syntax errors through parse_error; this only guards the library's own
    // invariants, so a container's output can never take the daemon down.
    ok = false;
  }
  if (handler.badType) return malformed("a field has the wrong type");
  if (!ok) return malformed("not a JSON object");
  if (!handler.hasStream) return malformed("no \"stream\"");
  auto stream = parseStream(handler.stream);
  if (!stream) return malformed("\"stream\" is neither stdout nor stderr");
  if (!handler.hasTime) return malformed("no \"time\"");
  auto time = parseRfc3339Nano(handler.time);
  if (!time) return malformed("\"time\" is not an RFC 3339 timestamp");

  DockerLogEntry entry;
  entry.log = std::move(handler.log);
  entry.stream = *stream;
  entry.unixNanos = *time;
  return entry;
}

}  // namespace dockershim::logs
