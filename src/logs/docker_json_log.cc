#include "logs/docker_json_log.h"

#include <nlohmann/json.hpp>
#include <optional>

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

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at `p` (an escape's \uXXXX), or -1.
int32_t hex4(std::string_view s, size_t p) {
  if (p + 4 > s.size()) return -1;
  int32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    int h = hexValue(s[p + i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The length of the well-formed UTF-8 sequence starting at s[p] (a byte >= 0x80), or 0.
size_t utf8Length(std::string_view s, size_t p) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(p);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (p + n > s.size()) return 0;
  if (byte(p + 1) < lo || byte(p + 1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(p + i) < 0x80 || byte(p + i) > 0xBF) return 0;
  }
  return n;
}

// A JSON string's content starting at s[p] (after its opening quote), unescaped into `out`; p
// ends after the closing quote. False for anything the general parser should judge.
bool scanString(std::string_view s, size_t& p, std::string& out) {
  out.clear();
  size_t run = p;  // start of bytes not yet copied
  while (p < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[p]);
    if (c == '"') {
      out.append(s.data() + run, p - run);
      ++p;
      return true;
    }
    if (c == '\\') {
      out.append(s.data() + run, p - run);
      if (p + 1 >= s.size()) return false;
      char e = s[p + 1];
      p += 2;
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          int32_t cp = hex4(s, p);
          if (cp < 0) return false;
          p += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (p + 1 >= s.size() || s[p] != '\\' || s[p + 1] != 'u') return false;
            int32_t low = hex4(s, p + 2);
            if (low < 0xDC00 || low > 0xDFFF) return false;
            p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          appendUtf8(out, static_cast<uint32_t>(cp));
          break;
        }
        default:
          return false;
      }
      run = p;
      continue;
    }
    if (c < 0x20) return false;
    if (c >= 0x80) {
      size_t n = utf8Length(s, p);
      if (n == 0) return false;
      p += n;
      continue;
    }
    ++p;
  }
  return false;
}

// A string without escapes (the stream's name, the time) as a view, or nullopt.
std::optional<std::string_view> scanPlain(std::string_view s, size_t& p) {
  size_t end = s.find('"', p);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view v = s.substr(p, end - p);
  for (char c : v) {
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
        static_cast<unsigned char>(c) >= 0x80) {
      return std::nullopt;
    }
  }
  p = end + 1;
  return v;
}

bool consume(std::string_view s, size_t& p, std::string_view literal) {
  if (s.substr(p, literal.size()) != literal) return false;
  p += literal.size();
  return true;
}

// The shape Docker's json-file writer gives every entry, fields in its order:
// {"log":"…","stream":"…","time":"…"} ("log" left out when empty). Read without a general
// parser; false for any other line (extra fields, "attrs", spaces, another order), which the
// general parser then reads. Same answers as the general parser for every line it takes.
bool scanDockerShape(std::string_view line, DockerLogEntry& out) {
  size_t p = 0;
  if (consume(line, p, R"({"log":")")) {
    if (!scanString(line, p, out.log)) return false;
    if (!consume(line, p, R"(,"stream":")")) return false;
  } else if (consume(line, p, R"({"stream":")")) {
    out.log.clear();
  } else {
    return false;
  }
  auto stream = scanPlain(line, p);
  if (!stream) return false;
  auto parsedStream = parseStream(*stream);
  if (!parsedStream) return false;
  if (!consume(line, p, R"(,"time":")")) return false;
  auto time = scanPlain(line, p);
  if (!time) return false;
  if (!consume(line, p, "}") || p != line.size()) return false;
  auto nanos = parseRfc3339Nano(*time);
  if (!nanos) return false;
  out.stream = *parsedStream;
  out.unixNanos = *nanos;
  return true;
}

}  // namespace

Result<DockerLogEntry> parseDockerJsonLine(std::string_view line) {
  if (DockerLogEntry entry; scanDockerShape(line, entry)) return entry;
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
