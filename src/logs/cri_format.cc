#include "logs/cri_format.h"

#include <array>

namespace dockershim::logs {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's
// chrono-compatible algorithms), so formatting neither depends on the C library's time zone state
// nor on a libstdc++ that has all of C++20's calendar.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

Civil civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool isLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

unsigned daysInMonth(int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

void appendDigits(std::string& out, int64_t value, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

// Reads exactly `width` digits at text[pos]; advances pos.
bool readDigits(std::string_view text, std::size_t& pos, int width, int& value) {
  if (pos + static_cast<std::size_t>(width) > text.size()) return false;
  int v = 0;
  for (int i = 0; i < width; ++i) {
    char c = text[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(width);
  value = v;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

void appendRecord(std::string& out, std::string_view head, std::string_view content, char tag) {
  out.append(head);
  out.push_back(tag);
  out.push_back(' ');
  out.append(content);
  out.push_back('\n');
}

}  // namespace

std::string_view streamName(Stream stream) {
  return stream == Stream::kStderr ? "stderr" : "stdout";
}

std::optional<Stream> parseStream(std::string_view name) {
  if (name == "stdout") return Stream::kStdout;
  if (name == "stderr") return Stream::kStderr;
  return std::nullopt;
}

void appendRfc3339Nano(std::string& out, int64_t unixNanos) {
  // Floor division, so instants before 1970 get a positive fraction as Go prints them.
  int64_t secs = unixNanos / kNanosPerSecond;
  int64_t nanos = unixNanos % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    secs -= 1;
  }
  int64_t days = secs / kSecondsPerDay;
  int64_t secOfDay = secs % kSecondsPerDay;
  if (secOfDay < 0) {
    secOfDay += kSecondsPerDay;
    days -= 1;
  }
  // int64 nanoseconds span 1677–2262, always four-digit years.
  const Civil date = civilFromDays(days);
  appendDigits(out, date.year, 4);
  out.push_back('-');
  appendDigits(out, date.month, 2);
  out.push_back('-');
  appendDigits(out, date.day, 2);
  out.push_back('T');
  appendDigits(out, secOfDay / 3600, 2);
  out.push_back(':');
  appendDigits(out, secOfDay / 60 % 60, 2);
  out.push_back(':');
  appendDigits(out, secOfDay % 60, 2);
  if (nanos != 0) {
    // Go's ".999999999" layout: the fraction without its trailing zeros.
    int width = 9;
    while (nanos % 10 == 0) {
      nanos /= 10;
      --width;
    }
    out.push_back('.');
    appendDigits(out, nanos, width);
  }
  out.push_back('Z');
}

std::string formatRfc3339Nano(int64_t unixNanos) {
  std::string out;
  out.reserve(30);
  appendRfc3339Nano(out, unixNanos);
  return out;
}

std::optional<int64_t> parseRfc3339Nano(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!readDigits(text, pos, 4, year) || !expect(text, pos, '-') ||
      !readDigits(text, pos, 2, month) || !expect(text, pos, '-') ||
      !readDigits(text, pos, 2, day) || !expect(text, pos, 'T') ||
      !readDigits(text, pos, 2, hour) || !expect(text, pos, ':') ||
      !readDigits(text, pos, 2, minute) || !expect(text, pos, ':') ||
      !readDigits(text, pos, 2, second)) {
    return std::nullopt;
  }
  // Go rejects a leap second (60) too.
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > daysInMonth(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }

  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }

  int64_t offsetSeconds = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool negative = text[pos] == '-';
    ++pos;
    int oh = 0, om = 0;
    if (!readDigits(text, pos, 2, oh) || !expect(text, pos, ':') || !readDigits(text, pos, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offsetSeconds = (oh * 3600 + om * 60) * (negative ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  const int64_t secs =
      daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) *
          kSecondsPerDay +
      hour * 3600 + minute * 60 + second - offsetSeconds;
  int64_t result = 0;
  if (__builtin_mul_overflow(secs, kNanosPerSecond, &result) ||
      __builtin_add_overflow(result, nanos, &result)) {
    return std::nullopt;
  }
  return result;
}

std::size_t criRecordCount(std::string_view text) {
  std::size_t count = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    ++count;
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return count;
}

std::size_t appendCriRecords(std::string& out, int64_t unixNanos, Stream stream,
                             std::string_view text) {
  if (text.empty()) return 0;
  // The "<time> <stream> " head is the same for every record of this entry.
  std::string head;
  head.reserve(48);
  appendRfc3339Nano(head, unixNanos);
  head.push_back(' ');
  head.append(streamName(stream));
  head.push_back(' ');

  std::size_t count = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      appendRecord(out, head, text.substr(start), 'P');
      ++count;
      break;
    }
    appendRecord(out, head, text.substr(start, nl - start), 'F');
    ++count;
    start = nl + 1;
  }
  return count;
}

std::optional<CriRecordHead> parseCriRecordHead(std::string_view line) {
  CriRecordHead head;
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  auto time = parseRfc3339Nano(line.substr(0, sp1));
  if (!time) return std::nullopt;
  head.unixNanos = *time;

  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  auto stream = parseStream(line.substr(sp1 + 1, sp2 - sp1 - 1));
  if (!stream) return std::nullopt;
  head.stream = *stream;

  std::size_t sp3 = line.find(' ', sp2 + 1);
  if (sp3 == std::string_view::npos) return std::nullopt;
  std::string_view tags = line.substr(sp2 + 1, sp3 - sp2 - 1);
  std::string_view first = tags.substr(0, tags.find(':'));
  head.partial = first == "P";
  return head;
}

}  // namespace dockershim::logs
