#include "logs/cri_log_tail.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "logs/cri_format.h"
#include "unit/temp_dir.h"

namespace dockershim::logs {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::writeFile;

constexpr int64_t kT0 = 1795860000LL * 1'000'000'000LL;

std::string record(int64_t t, const std::string& text) {
  std::string out;
  appendCriRecords(out, t, Stream::kStdout, text);
  return out;
}

TEST_CASE("readCriLogTail finds the last timestamp and its run", "[logs]") {
  TempDir dir;
  const std::string log = dir.file("0.log");

  SECTION("missing or empty file") {
    CHECK_FALSE(readCriLogTail(log).last.has_value());
    writeFile(log, "");
    CHECK_FALSE(readCriLogTail(log).last.has_value());
  }
  SECTION("one record per timestamp") {
    writeFile(log, record(kT0 + 1, "a\n") + record(kT0 + 2, "b\n"));
    auto tail = readCriLogTail(log);
    REQUIRE(tail.last.has_value());
    CHECK(tail.last->unixNanos == kT0 + 2);
    CHECK(tail.last->recordsAtTime == 1);
    CHECK_FALSE(tail.runCoversFile);
  }
  SECTION("a split line shares one timestamp") {
    writeFile(log, record(kT0 + 1, "a\n") + record(kT0 + 5, "xx") + record(kT0 + 5, "yy"));
    auto tail = readCriLogTail(log);
    REQUIRE(tail.last.has_value());
    CHECK(tail.last->unixNanos == kT0 + 5);
    CHECK(tail.last->recordsAtTime == 2);
  }
  SECTION("a torn last line and garbage are passed over") {
    writeFile(log,
              record(kT0 + 1, "a\n") + "garbage\n" + record(kT0 + 2, "b\n") + "2026-11-28T10:00:0");
    auto tail = readCriLogTail(log);
    REQUIRE(tail.last.has_value());
    CHECK(tail.last->unixNanos == kT0 + 2);
    CHECK(tail.last->recordsAtTime == 1);
  }
  SECTION("a run covering the whole file") {
    writeFile(log, record(kT0 + 3, "p") + record(kT0 + 3, "f\n"));
    auto tail = readCriLogTail(log);
    REQUIRE(tail.last.has_value());
    CHECK(tail.last->recordsAtTime == 2);
    CHECK(tail.runCoversFile);
  }
  SECTION("the last record is found past a large file's first window") {
    std::string big;
    for (int i = 0; i < 40000; ++i) big += record(kT0 + i, std::string(60, 'x') + "\n");
    writeFile(log, big);
    auto tail = readCriLogTail(log);
    REQUIRE(tail.last.has_value());
    CHECK(tail.last->unixNanos == kT0 + 39999);
  }
  SECTION("a symlink is not followed") {
    writeFile(dir.file("real.log"), record(kT0, "a\n"));
    fs::create_symlink(dir.file("real.log"), log);
    CHECK_FALSE(readCriLogTail(log).last.has_value());
  }
}

TEST_CASE("findResumePoint falls back on kubelet's newest rotated log", "[logs]") {
  TempDir dir;
  const std::string log = dir.file("0.log");

  CHECK(findResumePoint(log).recordsAtTime == 0);

  writeFile(dir.file("0.log.20261128-090000.gz"), "binary");
  writeFile(dir.file("0.log.20261128-090000"), record(kT0 + 1, "old\n"));
  writeFile(dir.file("0.log.20261128-095959"), record(kT0 + 7, "newer\n"));
  writeFile(dir.file("0.log.tmp"), record(kT0 + 99, "temp\n"));
  CHECK(newestRotatedCriLog(log) == dir.file("0.log.20261128-095959"));

  SECTION("current log missing or empty") {
    writeFile(log, "");
    auto p = findResumePoint(log);
    CHECK(p.unixNanos == kT0 + 7);
    CHECK(p.recordsAtTime == 1);
  }
  SECTION("current log has records") {
    writeFile(log, record(kT0 + 8, "x\n") + record(kT0 + 9, "y\n"));
    auto p = findResumePoint(log);
    CHECK(p.unixNanos == kT0 + 9);
    CHECK(p.recordsAtTime == 1);
  }
  SECTION("a run of one timestamp cut by the rotation") {
    writeFile(dir.file("0.log.20261128-095959"), record(kT0 + 1, "a\n") + record(kT0 + 7, "p1"));
    writeFile(log, record(kT0 + 7, "p2") + record(kT0 + 7, "f\n"));
    auto p = findResumePoint(log);
    CHECK(p.unixNanos == kT0 + 7);
    CHECK(p.recordsAtTime == 3);
  }
}

}  // namespace
}  // namespace dockershim::logs
