#include "network/quantity.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>

namespace dockershim::network {
namespace {

// <signedNumber><suffix>, the number split into digits and a power of ten, the suffix into
// a power of ten and a power of two.
struct Quantity {
  bool negative = false;
  std::string digits;  // integer and fraction digits, no point
  int64_t exp10 = 0;   // value = digits * 10^exp10 * 2^exp2
  int exp2 = 0;
};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Decimal (power of ten) and binary (power of two) suffixes of Kubernetes' suffixer.
bool interpretSuffix(std::string_view s, int64_t* exp10, int* exp2) {
  static const std::pair<std::string_view, int> kDecimal[] = {
      {"", 0},  {"n", -9}, {"u", -6}, {"m", -3}, {"k", 3},
      {"M", 6}, {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
  static const std::pair<std::string_view, int> kBinary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                             {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  for (const auto& [name, e] : kDecimal) {
    if (s == name) {
      *exp10 = e;
      return true;
    }
  }
  for (const auto& [name, e] : kBinary) {
    if (s == name) {
      *exp2 = e;
      return true;
    }
  }
  // "e<int>"/"E<int>": Go's strconv.ParseInt(s[1:], 10, 64).
  if (s.size() < 2 || (s[0] != 'e' && s[0] != 'E')) return false;
  std::string_view rest = s.substr(1);
  bool neg = false;
  if (rest.front() == '+' || rest.front() == '-') {
    neg = rest.front() == '-';
    rest.remove_prefix(1);
  }
  if (rest.empty() || !std::all_of(rest.begin(), rest.end(), isDigit)) return false;
  uint64_t magnitude = 0;
  for (char c : rest) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (magnitude > (uint64_t{1} << 63) / 10 ||
        magnitude * 10 + d > (neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1)) {
      return false;  // out of int64, as ParseInt
    }
    magnitude = magnitude * 10 + d;
  }
  // Beyond ±2^40 the value is out of int64 or below 1e-(2^40) whatever the digits; clamping
  // keeps the arithmetic below from overflowing. (Go casts to int32 here and wraps.)
  constexpr uint64_t kClamp = uint64_t{1} << 40;
  const auto clamped = static_cast<int64_t>(std::min(magnitude, kClamp));
  *exp10 = neg ? -clamped : clamped;
  return true;
}

// The scanner of Go's parseQuantityString, then the suffix lookup of ParseQuantity.
std::optional<Quantity> parseQuantity(std::string_view s) {
  if (s.empty()) return std::nullopt;
  Quantity q;
  std::size_t pos = 0;
  if (s[0] == '+' || s[0] == '-') {
    q.negative = s[0] == '-';
    ++pos;
  }
  const std::size_t intStart = pos;
  while (pos < s.size() && isDigit(s[pos])) ++pos;
  q.digits = std::string(s.substr(intStart, pos - intStart));
  std::size_t fracDigits = 0;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t fracStart = ++pos;
    while (pos < s.size() && isDigit(s[pos])) ++pos;
    fracDigits = pos - fracStart;
    q.digits += s.substr(fracStart, fracDigits);
  }
  // compat: Go accepts a number with no digits at all ("+", ".", "k") as zero.
  const std::size_t suffixStart = pos;
  while (pos < s.size() && std::string_view("eEinumkKMGTP").find(s[pos]) != std::string::npos) {
    ++pos;
  }
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
  while (pos < s.size() && isDigit(s[pos])) ++pos;
  if (pos != s.size()) return std::nullopt;
  int64_t exp10 = 0;
  if (!interpretSuffix(s.substr(suffixStart), &exp10, &q.exp2)) return std::nullopt;
  q.exp10 = exp10 - static_cast<int64_t>(fracDigits);
  return q;
}

// Decimal digit string times two, in place.
void doubleDigits(std::string& digits) {
  int carry = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    const int d = (*it - '0') * 2 + carry;
    *it = static_cast<char>('0' + d % 10);
    carry = d / 10;
  }
  if (carry) digits.insert(digits.begin(), '1');
}

// Quantity.Value(): rounded up away from zero, here saturated at the int64 range.
int64_t roundedValue(Quantity q) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  std::string& d = q.digits;
  d.erase(0, std::min(d.find_first_not_of('0'), d.size()));
  if (d.empty()) return 0;
  for (int i = 0; i < q.exp2; ++i) doubleDigits(d);

  // Digits before the decimal point; above 19 the magnitude is at least 1e19 > int64.
  const int64_t intDigits = static_cast<int64_t>(d.size()) + q.exp10;
  if (intDigits > 19) return q.negative ? kMin : kMax;
  uint64_t magnitude = 0;
  bool fraction = false;
  if (intDigits <= 0) {
    fraction = true;  // 0 < |value| < 1
  } else {
    const auto take = static_cast<std::size_t>(std::min<int64_t>(intDigits, d.size()));
    for (std::size_t i = 0; i < take; ++i) magnitude = magnitude * 10 + (d[i] - '0');
    for (int64_t i = static_cast<int64_t>(take); i < intDigits; ++i) magnitude *= 10;
    fraction = d.find_first_not_of('0', take) != std::string::npos;
  }
  // 19 digits fit in uint64 (< 1e19 < 2^64); one more for the fraction still does.
  if (fraction) ++magnitude;
  if (q.negative) {
    return magnitude > (uint64_t{1} << 63) ? kMin : static_cast<int64_t>(0 - magnitude);
  }
  return magnitude > static_cast<uint64_t>(kMax) ? kMax : static_cast<int64_t>(magnitude);
}

}  // namespace

Result<int64_t> quantityValue(std::string_view text) {
  const std::optional<Quantity> q = parseQuantity(text);
  if (!q) {
    return errorStatus(Code::kInvalidArgument,
                       "not a Kubernetes quantity (a number with an optional suffix: "
                       "k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, m, u, n or e<exponent>)");
  }
  return roundedValue(*q);
}

}  // namespace dockershim::network
