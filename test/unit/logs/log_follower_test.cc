#include "logs/log_follower.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "docker/stream_demux.h"
#include "logs/cri_format.h"
#include "unit/temp_dir.h"

namespace dockershim::logs {
namespace {

using namespace std::chrono_literals;
using test::readFile;
using test::TempDir;

constexpr int64_t kT0 = 1795860000LL * 1'000'000'000LL;  // 2026-11-28T10:00:00Z

std::string frame(int64_t t, const std::string& text) {
  // kT0 + n with n < 1000: nine fraction digits as Docker writes them.
  char frac[16];
  std::snprintf(frac, sizeof frac, "%09lld", static_cast<long long>(t % 1'000'000'000));
  return docker::encodeFrame(docker::StreamType::kStdout,
                             std::string("2026-11-28T10:00:00.") + frac + "Z " + text);
}

std::string record(int64_t t, const std::string& text) {
  return formatRfc3339Nano(t) + " stdout F " + text + "\n";
}

// A Docker whose log streams the test scripts: each follow() takes the next answer.
struct ScriptedDocker {
  struct Answer {
    std::string body;
    Status end;          // what follow() returns after the body
    bool block = false;  // then wait for cancel
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Answer> answers;
  std::vector<int64_t> sinces;
  bool cancelled = false;
  bool running = true;

  FollowSource source() {
    FollowSource s;
    s.follow = [this](int64_t since, const std::function<Status(std::string_view)>& onBytes) {
      Answer a;
      {
        std::unique_lock<std::mutex> lock(mu);
        sinces.push_back(since);
        if (cancelled) return Status(Code::kCancelled, "cancelled");
        if (answers.empty()) {
          cv.wait(lock, [this] { return cancelled; });
          return Status(Code::kCancelled, "cancelled");
        }
        a = answers.front();
        answers.erase(answers.begin());
      }
      if (Status st = onBytes(a.body); !st) return st;
      if (a.block) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [this] { return cancelled; });
        return Status(Code::kCancelled, "cancelled");
      }
      return a.end;
    };
    s.cancel = [this] {
      std::lock_guard<std::mutex> lock(mu);
      cancelled = true;
      cv.notify_all();
    };
    s.running = [this]() -> Result<bool> {
      std::lock_guard<std::mutex> lock(mu);
      return running;
    };
    return s;
  }
};

bool eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 500; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

TEST_CASE("log followers: a stopped container's stream is copied whole, then ends", "[logs]") {
  TempDir dir;
  const std::string cri = dir.path() + "/0.log";
  ScriptedDocker docker;
  docker.running = false;
  docker.answers.push_back({frame(kT0, "one\n") + frame(kT0 + 1, "two\n"), Status::ok()});
  LogFollowers followers;
  REQUIRE(followers.watch("c1", cri, false, docker.source()));
  CHECK(eventually([&] { return readFile(cri) == record(kT0, "one") + record(kT0 + 1, "two"); }));
  followers.unwatch("c1");
  CHECK_FALSE(followers.watching("c1"));
  CHECK(docker.sinces == std::vector<int64_t>{0});
  CHECK(followers.problem("c1").empty());
}

TEST_CASE("log followers: a cut stream is followed again from the last record", "[logs]") {
  TempDir dir;
  const std::string cri = dir.path() + "/0.log";
  ScriptedDocker docker;
  docker.answers.push_back({frame(kT0, "one\n"), Status(Code::kUnavailable, "docker restarted")});
  // Docker sends what came at the `since` time again.
  docker.answers.push_back({frame(kT0, "one\n") + frame(kT0 + 1, "two\n"), Status::ok(), true});
  LogFollowers followers;
  REQUIRE(followers.watch("c1", cri, false, docker.source()));
  CHECK(eventually([&] { return readFile(cri) == record(kT0, "one") + record(kT0 + 1, "two"); }));
  // While the stream is open, kubelet rotates: records go to the new file.
  std::filesystem::rename(cri, cri + ".1");
  REQUIRE(followers.reopen("c1"));
  CHECK(readFile(cri).empty());
  followers.unwatch("c1", 10ms);  // still running: ended by cancel
  {
    std::lock_guard<std::mutex> lock(docker.mu);
    REQUIRE(docker.sinces.size() == 2);
    CHECK(docker.sinces[0] == 0);
    CHECK(docker.sinces[1] == kT0);
  }
  CHECK(readFile(cri + ".1") == record(kT0, "one") + record(kT0 + 1, "two"));
}

TEST_CASE("log followers: a dockershim restart resumes after the CRI log's last record", "[logs]") {
  TempDir dir;
  const std::string cri = dir.path() + "/0.log";
  {
    std::FILE* f = std::fopen(cri.c_str(), "w");
    std::fputs(record(kT0 + 1, "two").c_str(), f);
    std::fclose(f);
  }
  ScriptedDocker docker;
  docker.running = false;
  docker.answers.push_back({frame(kT0 + 1, "two\n") + frame(kT0 + 2, "three\n"), Status::ok()});
  LogFollowers followers;
  REQUIRE(followers.watch("c1", cri, false, docker.source()));
  CHECK(eventually(
      [&] { return readFile(cri) == record(kT0 + 1, "two") + record(kT0 + 2, "three"); }));
  followers.unwatch("c1");
  CHECK(docker.sinces == std::vector<int64_t>{kT0 + 1});
}

TEST_CASE("log followers: a driver Docker cannot read back is reported per container", "[logs]") {
  TempDir dir;
  ScriptedDocker docker;
  docker.answers.push_back(
      {"", Status(Code::kUnimplemented, "configured logging driver does not support reading")});
  LogFollowers followers;
  REQUIRE(followers.watch("c1", dir.path() + "/0.log", false, docker.source()));
  CHECK(eventually([&] { return !followers.problem("c1").empty(); }));
  CHECK_THAT(followers.problem("c1"), Catch::Contains("does not support reading"));
  followers.stop();
  CHECK(followers.watch("c2", dir.path() + "/1.log", false, docker.source()).code() ==
        Code::kFailedPrecondition);
}

TEST_CASE("log followers: the CRI log path is checked at once", "[logs]") {
  TempDir dir;
  std::filesystem::create_symlink("/etc/passwd", dir.path() + "/0.log");
  ScriptedDocker docker;
  LogFollowers followers;
  CHECK(followers.watch("c1", dir.path() + "/0.log", false, docker.source()).code() ==
        Code::kFailedPrecondition);
  CHECK_FALSE(followers.watching("c1"));
}

}  // namespace
}  // namespace dockershim::logs
