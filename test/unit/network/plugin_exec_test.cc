#include "network/plugin_exec.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "unit/temp_dir.h"

namespace dockershim::network {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string script(test::TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.file(name);
  { std::ofstream(path) << "#!/bin/sh\n" << body << "\n"; }
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST_CASE("a plugin gets its environment and stdin; stdout, stderr and the exit code come back",
          "[plugin_exec]") {
  test::TempDir dir;
  auto p =
      script(dir, "echo", "cat; echo \"cmd=$CNI_COMMAND\" >&2; echo \"home=$HOME\" >&2; exit 3");
  auto r = runPlugin(p, {"CNI_COMMAND=ADD"}, "{\"cniVersion\":\"1.0.0\"}", Clock::now() + 10s);
  REQUIRE(r);
  CHECK(r->stdoutText == "{\"cniVersion\":\"1.0.0\"}");
  CHECK(r->stderrText.find("cmd=ADD") != std::string::npos);
  CHECK(r->stderrText.find("home=\n") != std::string::npos);  // nothing inherited
  CHECK(r->exitCode == 3);
}

TEST_CASE("a plugin that hangs is killed at the deadline, with what it started", "[plugin_exec]") {
  test::TempDir dir;
  auto p = script(dir, "hang", "sleep 1000 & sleep 1000");
  auto start = Clock::now();
  auto r = runPlugin(p, {}, "", Clock::now() + 500ms);
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Code::kDeadlineExceeded);
  CHECK(Clock::now() - start < 5s);
}

TEST_CASE("a plugin that closes its output and hangs is killed at the deadline too",
          "[plugin_exec]") {
  test::TempDir dir;
  auto p = script(dir, "quiet", "exec >&- 2>&-; sleep 1000");
  auto start = Clock::now();
  auto r = runPlugin(p, {}, "", Clock::now() + 500ms);
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Code::kDeadlineExceeded);
  CHECK(Clock::now() - start < 5s);
}

TEST_CASE("no plugin is started once the deadline has passed", "[plugin_exec]") {
  test::TempDir dir;
  auto p = script(dir, "marker", "touch " + dir.file("ran"));
  auto r = runPlugin(p, {}, "", Clock::now() - 1ms);
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Code::kDeadlineExceeded);
  CHECK_FALSE(std::ifstream(dir.file("ran")).good());
}

TEST_CASE("a plugin that prints without end is stopped", "[plugin_exec]") {
  test::TempDir dir;
  auto p = script(dir, "yes", "exec yes");
  auto r = runPlugin(p, {}, "", Clock::now() + 10s, 64 * 1024);
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Code::kResourceExhausted);
}

TEST_CASE("a plugin that does not read a large stdin does not block the daemon", "[plugin_exec]") {
  test::TempDir dir;
  auto p = script(dir, "noread", "echo done");
  auto r = runPlugin(p, {}, std::string(4 << 20, 'x'), Clock::now() + 10s);
  REQUIRE(r);
  CHECK(r->stdoutText == "done\n");
  CHECK(r->exitCode == 0);
}

TEST_CASE("a missing or non-executable plugin is a clear error", "[plugin_exec]") {
  test::TempDir dir;
  auto r = runPlugin(dir.file("nope"), {}, "", Clock::now() + 5s);
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Code::kFailedPrecondition);
}

}  // namespace
}  // namespace dockershim::network
