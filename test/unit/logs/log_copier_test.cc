#include "logs/log_copier.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "logs/cri_format.h"
#include "unit/temp_dir.h"

namespace dockershim::logs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::readFile;
using test::TempDir;

constexpr int64_t kT0 = 1795860000LL * 1'000'000'000LL;  // 2026-11-28T10:00:00Z

// A container's two files as Docker and kubelet lay them out, under a private temp dir.
struct Container {
  Container(const fs::path& root, const std::string& containerId) : id(containerId) {
    fs::path dockerDir = root / "docker" / id;
    fs::create_directories(dockerDir);
    dockerLog = (dockerDir / (id + "-json.log")).string();
    fs::path podDir = root / "pods" / ("ns_pod_" + id) / "app";
    fs::create_directories(podDir);
    criLog = (podDir / "0.log").string();
  }
  std::string id;
  std::string dockerLog;
  std::string criLog;
};

std::string dockerLine(const std::string& log, int64_t t, const std::string& stream = "stdout") {
  nlohmann::json j = {{"log", log}, {"stream", stream}, {"time", formatRfc3339Nano(t)}};
  return j.dump() + "\n";
}

void append(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
}

std::vector<std::string> readLines(const std::string& path) {
  std::vector<std::string> lines;
  std::string text = readFile(path);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start) + "<no newline>");
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string cri(int64_t t, const std::string& content, const std::string& stream = "stdout",
                const std::string& tag = "F") {
  return formatRfc3339Nano(t) + " " + stream + " " + tag + " " + content;
}

// The worker runs only when watch() or drain() wakes it: each test decides when copying happens.
LogCopierOptions manual() {
  LogCopierOptions o;
  o.pollInterval = std::chrono::hours(1);
  o.useInotify = false;
  return o;
}

std::unique_ptr<LogCopier> makeCopier(LogCopierOptions options = manual()) {
  auto copier = LogCopier::create(options);
  REQUIRE(copier.isOk());
  return std::move(copier).value();
}

void drain(LogCopier& copier, const std::string& id) {
  Status st = copier.drain(id, std::chrono::steady_clock::now() + 5s);
  INFO(st.toString());
  REQUIRE(st.isOk());
}

std::size_t threadCount() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST_CASE("LogCopier writes full and partial lines of both streams with Docker's times", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());

  append(c.dockerLog, dockerLine("hello\n", kT0 + 123456789) +
                          dockerLine("oops\n", kT0 + 120000000, "stderr") +
                          dockerLine("no newline", kT0 + 1000000000) +
                          dockerLine("tab\t\"quoted\" <&> é 日本\n", kT0 + 1000000001) +
                          dockerLine("\n", kT0 + 1000000002));
  drain(*copier, c.id);
  CHECK(readLines(c.criLog) ==
        std::vector<std::string>{
            "2026-11-28T10:00:00.123456789Z stdout F hello",
            "2026-11-28T10:00:00.12Z stderr F oops",
            "2026-11-28T10:00:01Z stdout P no newline",
            "2026-11-28T10:00:01.000000001Z stdout F tab\t\"quoted\" <&> é 日本",
            "2026-11-28T10:00:01.000000002Z stdout F ",
        });
  struct stat st {};
  REQUIRE(::stat(c.criLog.c_str(), &st) == 0);
  CHECK((st.st_mode & 0077 & ~0040) == 0);  // 0640 at most
}

TEST_CASE("LogCopier turns a line Docker split at 16 KiB into P P F", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());

  const std::string a(16384, 'a'), b(16384, 'b');
  // Docker gives every piece of a split line the same timestamp.
  append(c.dockerLog, dockerLine(a, kT0 + 5) + dockerLine(b, kT0 + 5) +
                          dockerLine("end\n", kT0 + 5) + dockerLine("next\n", kT0 + 6));
  drain(*copier, c.id);
  CHECK(readLines(c.criLog) == std::vector<std::string>{
                                   cri(kT0 + 5, a, "stdout", "P"),
                                   cri(kT0 + 5, b, "stdout", "P"),
                                   cri(kT0 + 5, "end"),
                                   cri(kT0 + 6, "next"),
                               });
}

TEST_CASE("LogCopier skips malformed lines and goes on", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());

  append(c.dockerLog, dockerLine("one\n", kT0 + 1) + "not json\n" +
                          R"({"log":"x\n","stream":"stdout")" + "\n" + "{}\n" + "\n" +
                          std::string("\x01\xff\xfe garbage\n") +
                          R"({"log":"x\n","stream":"stdin","time":"2026-11-28T10:00:00Z"})" + "\n" +
                          R"({"log":"x\n","stream":"stdout","time":"noon"})" + "\n" +
                          dockerLine("two\n", kT0 + 2));
  drain(*copier, c.id);
  CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "one"), cri(kT0 + 2, "two")});
}

TEST_CASE("LogCopier waits for the end of a line Docker is still writing", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());

  const std::string line = dockerLine("whole\n", kT0 + 1);
  append(c.dockerLog, line.substr(0, 10));
  drain(*copier, c.id);
  CHECK(readFile(c.criLog).empty());
  append(c.dockerLog, line.substr(10));
  drain(*copier, c.id);
  CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "whole")});
}

TEST_CASE("LogCopier assembles lines across tiny reads", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  LogCopierOptions o = manual();
  o.limits.readChunkBytes = 7;
  o.passBudgetBytes = 50;  // the worker comes back for the rest at once
  auto copier = makeCopier(o);
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());

  std::string text;
  std::vector<std::string> want;
  for (int i = 0; i < 200; ++i) {
    text += dockerLine("line " + std::to_string(i) + "\n", kT0 + i);
    want.push_back(cri(kT0 + i, "line " + std::to_string(i)));
  }
  append(c.dockerLog, text);
  drain(*copier, c.id);
  CHECK(readLines(c.criLog) == want);
}

TEST_CASE("LogCopier skips a Docker line over the cap", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");

  SECTION("default cap, line spanning many reads") {
    auto copier = makeCopier();
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    append(c.dockerLog, dockerLine("before\n", kT0 + 1) +
                            dockerLine(std::string(300 * 1024, 'x') + "\n", kT0 + 2) +
                            dockerLine("after\n", kT0 + 3));
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) ==
          std::vector<std::string>{cri(kT0 + 1, "before"), cri(kT0 + 3, "after")});
  }
  SECTION("small cap, line inside one read") {
    LogCopierOptions o = manual();
    o.limits.maxLineBytes = 200;
    auto copier = makeCopier(o);
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    append(c.dockerLog, dockerLine("before\n", kT0 + 1) +
                            dockerLine(std::string(500, 'x') + "\n", kT0 + 2) +
                            dockerLine("after\n", kT0 + 3));
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) ==
          std::vector<std::string>{cri(kT0 + 1, "before"), cri(kT0 + 3, "after")});
  }
  SECTION("small cap, line cut across reads") {
    LogCopierOptions o = manual();
    o.limits.maxLineBytes = 200;
    o.limits.readChunkBytes = 64;
    auto copier = makeCopier(o);
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    append(c.dockerLog, dockerLine("before\n", kT0 + 1) +
                            dockerLine(std::string(500, 'x') + "\n", kT0 + 2) +
                            dockerLine("after\n", kT0 + 3));
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) ==
          std::vector<std::string>{cri(kT0 + 1, "before"), cri(kT0 + 3, "after")});
  }
}

TEST_CASE("LogCopier follows Docker's rotation", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  append(c.dockerLog, dockerLine("1\n", kT0 + 1));
  drain(*copier, c.id);

  SECTION("once: the old file is finished before the new one") {
    append(c.dockerLog, dockerLine("2\n", kT0 + 2));  // not seen before the rotation
    fs::rename(c.dockerLog, c.dockerLog + ".1");
    append(c.dockerLog, dockerLine("3\n", kT0 + 3));
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) ==
          std::vector<std::string>{cri(kT0 + 1, "1"), cri(kT0 + 2, "2"), cri(kT0 + 3, "3")});
  }
  SECTION("twice between two passes") {
    append(c.dockerLog, dockerLine("2\n", kT0 + 2));
    fs::rename(c.dockerLog, c.dockerLog + ".1");
    append(c.dockerLog, dockerLine("3\n", kT0 + 3));
    fs::rename(c.dockerLog + ".1", c.dockerLog + ".2");
    fs::rename(c.dockerLog, c.dockerLog + ".1");
    append(c.dockerLog, dockerLine("4\n", kT0 + 4));
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "1"), cri(kT0 + 2, "2"),
                                                          cri(kT0 + 3, "3"), cri(kT0 + 4, "4")});
  }
  SECTION("the new file appears after a pass saw none") {
    fs::rename(c.dockerLog, c.dockerLog + ".1");
    drain(*copier, c.id);  // no file at the path: nothing to wait for
    append(c.dockerLog, dockerLine("2\n", kT0 + 2));
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "1"), cri(kT0 + 2, "2")});
  }
}

TEST_CASE("LogCopier starts over on a truncated Docker log", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  append(c.dockerLog, dockerLine("first, a fairly long line\n", kT0 + 1));
  drain(*copier, c.id);

  SECTION("shorter than before") {
    REQUIRE(::truncate(c.dockerLog.c_str(), 0) == 0);
    append(c.dockerLog, dockerLine("2\n", kT0 + 2));
    drain(*copier, c.id);
  }
  SECTION("already longer than before") {
    REQUIRE(::truncate(c.dockerLog.c_str(), 0) == 0);
    append(c.dockerLog, dockerLine("2" + std::string(100, '.') + "\n", kT0 + 2));
    drain(*copier, c.id);
  }
  auto lines = readLines(c.criLog);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == cri(kT0 + 1, "first, a fairly long line"));
  CHECK(lines[1].rfind(cri(kT0 + 2, "2"), 0) == 0);
}

TEST_CASE("LogCopier waits for a Docker log created later", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  drain(*copier, c.id);
  CHECK(fs::exists(c.criLog));  // created by watch(), for kubelet to find
  append(c.dockerLog, dockerLine("late\n", kT0 + 1));
  drain(*copier, c.id);
  CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "late")});
}

TEST_CASE("LogCopier keeps writing to a renamed CRI log until reopen", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  append(c.dockerLog, dockerLine("1\n", kT0 + 1));
  drain(*copier, c.id);

  // kubelet's rotation: rename, then ReopenContainerLog.
  const std::string rotated = c.criLog + ".20261128-100000";
  fs::rename(c.criLog, rotated);
  append(c.dockerLog, dockerLine("2\n", kT0 + 2));
  drain(*copier, c.id);
  REQUIRE(copier->reopen(c.id).isOk());
  append(c.dockerLog, dockerLine("3\n", kT0 + 3));
  drain(*copier, c.id);

  CHECK(readLines(rotated) == std::vector<std::string>{cri(kT0 + 1, "1"), cri(kT0 + 2, "2")});
  CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 3, "3")});
}

TEST_CASE("LogCopier reopen errors", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();
  CHECK(copier->reopen("nope").code() == Code::kNotFound);

  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  // Something that cannot be opened at the path: the old file stays in use.
  const std::string rotated = c.criLog + ".old";
  fs::rename(c.criLog, rotated);
  fs::create_directory(c.criLog);
  CHECK_FALSE(copier->reopen(c.id).isOk());
  append(c.dockerLog, dockerLine("1\n", kT0 + 1));
  drain(*copier, c.id);
  CHECK(readLines(rotated) == std::vector<std::string>{cri(kT0 + 1, "1")});

  copier->unwatch(c.id);
  CHECK(copier->reopen(c.id).code() == Code::kNotFound);
}

TEST_CASE("LogCopier resumes after a restart without duplicates or losses", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  {
    auto copier = makeCopier();
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    append(c.dockerLog, dockerLine("1\n", kT0 + 1) + dockerLine("2\n", kT0 + 2, "stderr"));
    drain(*copier, c.id);
  }
  append(c.dockerLog, dockerLine("3\n", kT0 + 3));  // while dockershim is down

  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  append(c.dockerLog, dockerLine("4\n", kT0 + 4));
  drain(*copier, c.id);
  CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "1"),
                                                        cri(kT0 + 2, "2", "stderr"),
                                                        cri(kT0 + 3, "3"), cri(kT0 + 4, "4")});
}

TEST_CASE("LogCopier resumes in the middle of a split line", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  // The pieces of a split line share one timestamp; the restart came after the first piece.
  append(c.dockerLog, dockerLine("1\n", kT0 + 1) + dockerLine("aaa", kT0 + 5) +
                          dockerLine("bbb", kT0 + 5) + dockerLine("ccc\n", kT0 + 5) +
                          dockerLine("2\n", kT0 + 6));
  append(c.criLog, cri(kT0 + 1, "1") + "\n" + cri(kT0 + 5, "aaa", "stdout", "P") + "\n");

  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  drain(*copier, c.id);
  CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "1"),
                                                        cri(kT0 + 5, "aaa", "stdout", "P"),
                                                        cri(kT0 + 5, "bbb", "stdout", "P"),
                                                        cri(kT0 + 5, "ccc"), cri(kT0 + 6, "2")});
}

TEST_CASE("LogCopier resume sources", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  append(c.dockerLog,
         dockerLine("1\n", kT0 + 1) + dockerLine("2\n", kT0 + 2) + dockerLine("3\n", kT0 + 3));
  auto copier = makeCopier();

  SECTION("resumeAfterNanos when later than the CRI log") {
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog, kT0 + 2).isOk());
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 3, "3")});
  }
  SECTION("the CRI log when later than resumeAfterNanos") {
    append(c.criLog, cri(kT0 + 1, "1") + "\n" + cri(kT0 + 2, "2") + "\n");
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog, kT0 + 1).isOk());
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) ==
          std::vector<std::string>{cri(kT0 + 1, "1"), cri(kT0 + 2, "2"), cri(kT0 + 3, "3")});
  }
  SECTION("kubelet rotated the CRI log just before the restart") {
    append(c.criLog + ".20261128-100000", cri(kT0 + 1, "1") + "\n" + cri(kT0 + 2, "2") + "\n");
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 3, "3")});
  }
  SECTION("a record torn by a crash is cut off and copied again whole") {
    std::string torn = cri(kT0 + 2, "2");
    append(c.criLog, cri(kT0 + 1, "1") + "\n" + torn.substr(0, torn.size() / 2));
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) ==
          std::vector<std::string>{cri(kT0 + 1, "1"), cri(kT0 + 2, "2"), cri(kT0 + 3, "3")});
  }
  SECTION("a file that is one torn record is emptied, then copied whole") {
    append(c.criLog, "2026-11-28T10:00:0");
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) ==
          std::vector<std::string>{cri(kT0 + 1, "1"), cri(kT0 + 2, "2"), cri(kT0 + 3, "3")});
  }
  SECTION("a torn line longer than any record is ended, not cut") {
    std::string huge(2 << 20, 'x');
    append(c.criLog, huge);
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    drain(*copier, c.id);
    CHECK(readLines(c.criLog) ==
          std::vector<std::string>{huge, cri(kT0 + 1, "1"), cri(kT0 + 2, "2"), cri(kT0 + 3, "3")});
  }
}

TEST_CASE("LogCopier after a restart reads the Docker rotations it missed", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  {
    auto copier = makeCopier();
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    append(c.dockerLog, dockerLine("1\n", kT0 + 1));
    drain(*copier, c.id);
  }
  append(c.dockerLog, dockerLine("2\n", kT0 + 2));
  fs::rename(c.dockerLog, c.dockerLog + ".1");
  append(c.dockerLog, dockerLine("3\n", kT0 + 3));
  fs::rename(c.dockerLog + ".1", c.dockerLog + ".2");
  fs::rename(c.dockerLog, c.dockerLog + ".1");
  append(c.dockerLog, dockerLine("4\n", kT0 + 4));

  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  drain(*copier, c.id);
  CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "1"), cri(kT0 + 2, "2"),
                                                        cri(kT0 + 3, "3"), cri(kT0 + 4, "4")});
}

TEST_CASE("LogCopier rejects options that would spin", "[logs]") {
  LogCopierOptions o = manual();
  o.passBudgetBytes = 0;
  CHECK(LogCopier::create(o).status().code() == Code::kInvalidArgument);
  o = manual();
  o.pollInterval = std::chrono::milliseconds(0);
  CHECK(LogCopier::create(o).status().code() == Code::kInvalidArgument);
  o = manual();
  o.watchedPollInterval = std::chrono::milliseconds(0);
  CHECK(LogCopier::create(o).status().code() == Code::kInvalidArgument);
}

TEST_CASE("LogCopier watch arguments and destination checks", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  auto copier = makeCopier();

  CHECK(copier->watch("", c.dockerLog, c.criLog).code() == Code::kInvalidArgument);
  CHECK(copier->watch(c.id, "relative.log", c.criLog).code() == Code::kInvalidArgument);
  CHECK(copier->watch(c.id, c.dockerLog, "").code() == Code::kInvalidArgument);
  CHECK(copier->drain("nope", std::chrono::steady_clock::now()).code() == Code::kNotFound);

  SECTION("a symlinked CRI log is refused") {
    const std::string target = tmp.file("elsewhere");
    append(target, "");
    fs::create_symlink(target, c.criLog);
    Status st = copier->watch(c.id, c.dockerLog, c.criLog);
    CHECK(st.code() == Code::kFailedPrecondition);
    CHECK_FALSE(copier->watching(c.id));
    CHECK(readFile(target).empty());
  }
  SECTION("watching again") {
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    CHECK(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    CHECK(copier->watch(c.id, c.dockerLog, c.criLog + "x").code() == Code::kAlreadyExists);
  }
  SECTION("a missing container folder is created, not a whole tree") {
    const std::string inNewDir = (fs::path(c.criLog).parent_path().parent_path() / "new" / "0.log");
    REQUIRE(copier->watch(c.id, c.dockerLog, inNewDir).isOk());
    CHECK(fs::is_regular_file(inNewDir));
    const std::string deep = tmp.file("a/b/0.log");
    CHECK(copier->watch("c2", c.dockerLog, deep).code() == Code::kNotFound);
  }
  SECTION("after stop") {
    copier->stop();
    CHECK(copier->watch(c.id, c.dockerLog, c.criLog).code() == Code::kFailedPrecondition);
  }
}

TEST_CASE("LogCopier unwatch and stop copy what is left", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  Container d(tmp.path(), "c2");
  auto copier = makeCopier();
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  REQUIRE(copier->watch(d.id, d.dockerLog, d.criLog).isOk());
  drain(*copier, c.id);
  drain(*copier, d.id);
  append(c.dockerLog, dockerLine("last words\n", kT0 + 1));
  append(d.dockerLog, dockerLine("bye\n", kT0 + 2));

  copier->unwatch(c.id);
  CHECK_FALSE(copier->watching(c.id));
  CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "last words")});
  copier->unwatch(c.id);  // again: fine

  copier->stop();
  CHECK(readLines(d.criLog) == std::vector<std::string>{cri(kT0 + 2, "bye")});
  copier->stop();
}

// 250 "copying logs of container" lines say nothing a test reader needs.
class QuietLog {
 public:
  QuietLog() : level_(spdlog::get_level()) { spdlog::set_level(spdlog::level::warn); }
  ~QuietLog() { spdlog::set_level(level_); }

 private:
  spdlog::level::level_enum level_;
};

TEST_CASE("LogCopier copies 250 containers on one thread", "[logs]") {
  QuietLog quiet;
  TempDir tmp;
  const std::size_t before = threadCount();
  LogCopierOptions o;  // the daemon's defaults: inotify and a 1 s poll
  auto copier = makeCopier(o);

  std::vector<Container> containers;
  for (int i = 0; i < 250; ++i) containers.emplace_back(tmp.path(), "c" + std::to_string(i));
  for (auto& c : containers) REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  CHECK(threadCount() == before + 1);

  for (std::size_t i = 0; i < containers.size(); ++i) {
    append(containers[i].dockerLog, dockerLine("hi " + std::to_string(i) + "\n", kT0 + 1));
  }
  for (auto& c : containers) drain(*copier, c.id);
  CHECK(threadCount() == before + 1);
  for (std::size_t i = 0; i < containers.size(); ++i) {
    INFO(containers[i].id);
    CHECK(readLines(containers[i].criLog) ==
          std::vector<std::string>{cri(kT0 + 1, "hi " + std::to_string(i))});
  }
  copier.reset();
  CHECK(threadCount() == before);
}

// Polls for what the worker should do on its own; returns as soon as it has.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

TEST_CASE("LogCopier copies on inotify events without waiting for the poll", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  LogCopierOptions o;
  o.pollInterval = std::chrono::hours(1);
  auto copier = makeCopier(o);
  if (!copier->usesInotify()) {
    WARN("inotify unavailable here; skipped");
    return;
  }
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  append(c.dockerLog, dockerLine("1\n", kT0 + 1));
  CHECK(eventually([&] { return readLines(c.criLog).size() == 1; }));

  fs::rename(c.dockerLog, c.dockerLog + ".1");
  append(c.dockerLog, dockerLine("2\n", kT0 + 2));
  CHECK(eventually([&] { return readLines(c.criLog).size() == 2; }));
  CHECK(readLines(c.criLog) == std::vector<std::string>{cri(kT0 + 1, "1"), cri(kT0 + 2, "2")});
}

TEST_CASE("LogCopier's poll finds what no event announced", "[logs]") {
  TempDir tmp;
  Container c(tmp.path(), "c1");
  LogCopierOptions o;
  o.useInotify = false;
  o.pollInterval = std::chrono::milliseconds(20);
  auto copier = makeCopier(o);
  REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
  append(c.dockerLog, dockerLine("1\n", kT0 + 1));
  CHECK(eventually([&] { return readLines(c.criLog).size() == 1; }));
}

TEST_CASE("LogCopier polls a container inotify watches only as a rare backstop", "[logs]") {
  // A write through a hard link in another folder raises no event on the container's folder:
  // only the poll can find it.
  for (auto watchedPoll : {std::chrono::milliseconds(50), std::chrono::milliseconds(3'600'000)}) {
    TempDir tmp;
    Container c(tmp.path(), "c1");
    LogCopierOptions o;
    o.pollInterval = std::chrono::milliseconds(10);
    o.watchedPollInterval = watchedPoll;
    auto copier = makeCopier(o);
    if (!copier->usesInotify()) {
      WARN("inotify unavailable here; skipped");
      return;
    }
    append(c.dockerLog, dockerLine("1\n", kT0 + 1));
    REQUIRE(copier->watch(c.id, c.dockerLog, c.criLog).isOk());
    REQUIRE(eventually([&] { return readLines(c.criLog).size() == 1; }));
    const std::string elsewhere = tmp.file("elsewhere.log");
    fs::create_hard_link(c.dockerLog, elsewhere);
    append(elsewhere, dockerLine("2\n", kT0 + 2));
    INFO("watched poll every " << watchedPoll.count() << " ms");
    if (watchedPoll.count() < 1000) {
      CHECK(eventually([&] { return readLines(c.criLog).size() == 2; }));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // 30 unwatched polls
      CHECK(readLines(c.criLog).size() == 1);
      append(c.dockerLog, dockerLine("3\n", kT0 + 3));  // an event: both lines copied
      CHECK(eventually([&] { return readLines(c.criLog).size() == 3; }));
    }
  }
}

}  // namespace
}  // namespace dockershim::logs
