#include "common/child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "unit/temp_dir.h"

namespace dockershim::common {
namespace {

using namespace std::chrono_literals;
using test::readFile;
using test::TempDir;

// Running (not gone, not a zombie waiting for whoever adopted it).
bool alive(pid_t pid) {
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// The first line a child wrote to `path`, waiting up to 2 s for it ("" if none came).
std::string firstLine(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    std::string text = readFile(path);
    if (auto end = text.find('\n'); end != std::string::npos) return text.substr(0, end);
    std::this_thread::sleep_for(10ms);
  }
  return "";
}

TEST_CASE("ChildProcess: output goes to the log and the exit status is reported", "[common]") {
  TempDir dir;
  auto child = ChildProcess::spawn({"sh", "-c", "echo out; echo err >&2; exit 3"}, dir.file("log"));
  REQUIRE(child);
  int status = 0;
  REQUIRE(child->waitExit(10s, status));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
  CHECK(readFile(dir.file("log")) == "out\nerr\n");
  CHECK_FALSE(child->running());
  CHECK(child->stop() == -1);  // nothing left to stop
}

TEST_CASE("ChildProcess: a command that cannot be run exits 127", "[common]") {
  TempDir dir;
  auto child = ChildProcess::spawn({"/nonexistent/program"}, dir.file("log"));
  REQUIRE(child);
  int status = 0;
  REQUIRE(child->waitExit(10s, status));
  CHECK(WEXITSTATUS(status) == 127);
  CHECK(readFile(dir.file("log")).find("exec failed") != std::string::npos);
}

TEST_CASE("ChildProcess: the log works when the parent's stdin is closed", "[common]") {
  TempDir dir;
  int saved = ::dup(STDIN_FILENO);
  REQUIRE(saved >= 0);
  ::close(STDIN_FILENO);  // the log file would otherwise be opened as fd 0
  auto child = ChildProcess::spawn({"sh", "-c", "echo out; echo err >&2"}, dir.file("log"));
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  REQUIRE(child);
  int status = 0;
  REQUIRE(child->waitExit(10s, status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(readFile(dir.file("log")) == "out\nerr\n");
}

TEST_CASE("ChildProcess: bad arguments are errors, not children", "[common]") {
  TempDir dir;
  CHECK(ChildProcess::spawn({}, dir.file("log")).status().code() == Code::kInvalidArgument);
  CHECK_FALSE(ChildProcess::spawn({"true"}, dir.file("missing/dir/log")));
}

TEST_CASE("ChildProcess: stop terminates, and kills what ignores SIGTERM", "[common]") {
  TempDir dir;
  auto polite = ChildProcess::spawn({"sleep", "60"}, dir.file("log"));
  REQUIRE(polite);
  int status = polite->stop(10s);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);

  auto stubborn =
      ChildProcess::spawn({"sh", "-c", "trap '' TERM; echo ready; sleep 60"}, dir.file("stubborn"));
  REQUIRE(stubborn);
  firstLine(dir.file("stubborn"));  // waits until the trap is set
  status = stubborn->stop(200ms);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
}

TEST_CASE("ChildProcess: Term::kGroup also ends the rest of its process group", "[common]") {
  TempDir dir;
  // The shell starts a background sleep in its group that ignores SIGTERM, and reports its pid.
  auto child = ChildProcess::spawn({"sh", "-c", "(trap '' TERM; exec sleep 60) & echo $!; wait"},
                                   dir.file("log"), ChildProcess::Term::kGroup);
  REQUIRE(child);
  pid_t sleeper = std::stoi(firstLine(dir.file("log")));
  REQUIRE(alive(sleeper));
  int status = child->stop(10s);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);  // the shell ended by SIGTERM; the sleeper needed more
  // The sleeper is the shell's child, reparented when the shell ended; wait for it to go.
  for (int i = 0; i < 200 && alive(sleeper); ++i) std::this_thread::sleep_for(10ms);
  CHECK_FALSE(alive(sleeper));
}

TEST_CASE("ChildProcess: Term::kProcess leaves the rest of the group to the process", "[common]") {
  TempDir dir;
  auto child = ChildProcess::spawn({"sh", "-c", "sleep 60 & echo $!; wait"}, dir.file("log"));
  REQUIRE(child);
  pid_t sleeper = std::stoi(firstLine(dir.file("log")));
  child->stop(10s);
  std::this_thread::sleep_for(100ms);
  CHECK(alive(sleeper));  // only the shell was asked to end
  ::kill(sleeper, SIGKILL);
}

TEST_CASE("ChildProcess: children do not inherit the parent's signal mask or handlers",
          "[common]") {
  TempDir dir;
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  REQUIRE(::pthread_sigmask(SIG_BLOCK, &term, &old) == 0);
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(::sigaction(SIGTERM, &ignore, &previous) == 0);
  auto child = ChildProcess::spawn({"sleep", "60"}, dir.file("log"));
  ::sigaction(SIGTERM, &previous, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  REQUIRE(child);
  int status = child->stop(10s);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
}

}  // namespace
}  // namespace dockershim::common
