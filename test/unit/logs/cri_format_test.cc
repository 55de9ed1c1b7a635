#include "logs/cri_format.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace dockershim::logs {
namespace {

// 2026-11-28T10:00:00Z
constexpr int64_t kT0 = 1795860000LL * 1'000'000'000LL;

TEST_CASE("formatRfc3339Nano trims the fraction as Go's RFC3339Nano does", "[logs]") {
  CHECK(formatRfc3339Nano(kT0 + 123456789) == "2026-11-28T10:00:00.123456789Z");
  CHECK(formatRfc3339Nano(kT0 + 123450000) == "2026-11-28T10:00:00.12345Z");
  CHECK(formatRfc3339Nano(kT0 + 100000000) == "2026-11-28T10:00:00.1Z");
  CHECK(formatRfc3339Nano(kT0 + 1) == "2026-11-28T10:00:00.000000001Z");
  CHECK(formatRfc3339Nano(kT0) == "2026-11-28T10:00:00Z");
  CHECK(formatRfc3339Nano(0) == "1970-01-01T00:00:00Z");
  CHECK(formatRfc3339Nano(-1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(formatRfc3339Nano(1709164800LL * 1'000'000'000LL + 5) == "2024-02-29T00:00:00.000000005Z");
  CHECK(formatRfc3339Nano(951868799LL * 1'000'000'000LL) == "2000-02-29T23:59:59Z");
}

TEST_CASE("parseRfc3339Nano reads what Docker and kubelet write", "[logs]") {
  CHECK(parseRfc3339Nano("2026-11-28T10:00:00.123456789Z") == kT0 + 123456789);
  CHECK(parseRfc3339Nano("2026-11-28T10:00:00.12345Z") == kT0 + 123450000);
  CHECK(parseRfc3339Nano("2026-11-28T10:00:00Z") == kT0);
  CHECK(parseRfc3339Nano("2026-11-28T12:30:00.5+02:30") == kT0 + 500000000);
  CHECK(parseRfc3339Nano("2026-11-28T05:00:00-05:00") == kT0);
  // Go drops digits past the ninth.
  CHECK(parseRfc3339Nano("2026-11-28T10:00:00.1234567899Z") == kT0 + 123456789);
  CHECK(parseRfc3339Nano("1969-12-31T23:59:59.999999999Z") == -1);
  CHECK(parseRfc3339Nano("2024-02-29T00:00:00Z").has_value());

  for (const char* bad :
       {"", "2026-11-28", "2026-11-28 10:00:00Z", "2026-11-28T10:00:00", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-28T24:00:00Z",
        "2026-11-28T10:60:00Z", "2026-11-28T10:00:60Z", "2026-11-28T10:00:00.Z",
        "2026-11-28T10:00:00Zjunk", "2026-11-28T10:00:00+0200", "2026-11-28T10:00:00+24:00",
        "9999-12-31T23:59:59Z", "1600-01-01T00:00:00Z", "2026-1a-28T10:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(parseRfc3339Nano(bad).has_value());
  }
}

TEST_CASE("timestamps round-trip", "[logs]") {
  for (int64_t t : {kT0, kT0 + 1, kT0 + 999999999, int64_t{0}, int64_t{-1},
                    int64_t{-86'400'000'000'000}, kT0 * 2 + 7}) {
    INFO(t);
    CHECK(parseRfc3339Nano(formatRfc3339Nano(t)) == t);
  }
}

TEST_CASE("appendCriRecords writes F for a full line and P for a partial one", "[logs]") {
  std::string out;
  CHECK(appendCriRecords(out, kT0 + 1, Stream::kStdout, "hello\n") == 1);
  CHECK(out == "2026-11-28T10:00:00.000000001Z stdout F hello\n");

  out.clear();
  CHECK(appendCriRecords(out, kT0, Stream::kStderr, "no newline") == 1);
  CHECK(out == "2026-11-28T10:00:00Z stderr P no newline\n");

  out.clear();
  CHECK(appendCriRecords(out, kT0, Stream::kStdout, "\n") == 1);
  CHECK(out == "2026-11-28T10:00:00Z stdout F \n");

  out.clear();
  CHECK(appendCriRecords(out, kT0, Stream::kStdout, "") == 0);
  CHECK(out.empty());

  // compat: a CR before the newline stays, as `docker logs` shows it.
  out.clear();
  CHECK(appendCriRecords(out, kT0, Stream::kStdout, "dos\r\n") == 1);
  CHECK(out == "2026-11-28T10:00:00Z stdout F dos\r\n");

  // Inner newlines (never from Docker itself) still give one record per line.
  out.clear();
  CHECK(appendCriRecords(out, kT0, Stream::kStdout, "a\nb\nc") == 3);
  CHECK(out ==
        "2026-11-28T10:00:00Z stdout F a\n"
        "2026-11-28T10:00:00Z stdout F b\n"
        "2026-11-28T10:00:00Z stdout P c\n");
  CHECK(criRecordCount("a\nb\nc") == 3);
  CHECK(criRecordCount("a\n") == 1);
  CHECK(criRecordCount("") == 0);
}

TEST_CASE("parseCriRecordHead reads the fields kubelet reads", "[logs]") {
  auto head = parseCriRecordHead("2026-11-28T10:00:00.5Z stderr P some text");
  REQUIRE(head.has_value());
  CHECK(head->unixNanos == kT0 + 500000000);
  CHECK(head->stream == Stream::kStderr);
  CHECK(head->partial);

  head = parseCriRecordHead("2026-11-28T10:00:00Z stdout F ");
  REQUIRE(head.has_value());
  CHECK_FALSE(head->partial);

  // Forward compatible tag lists, as kubelet splits them on ':'.
  head = parseCriRecordHead("2026-11-28T10:00:00Z stdout P:x content");
  REQUIRE(head.has_value());
  CHECK(head->partial);

  CHECK_FALSE(parseCriRecordHead("").has_value());
  CHECK_FALSE(parseCriRecordHead("garbage").has_value());
  CHECK_FALSE(parseCriRecordHead("2026-11-28T10:00:00Z stdin F x").has_value());
  CHECK_FALSE(parseCriRecordHead("2026-11-28T10:00:00Z stdout").has_value());
  CHECK_FALSE(parseCriRecordHead("{\"log\":\"x\"} stdout F x").has_value());
}

}  // namespace
}  // namespace dockershim::logs
