// CRI log files on Docker nodes whose log driver is not json-file: Docker's logs API is followed
// (Docker 20.10's dual logging serves it for every driver), so `kubectl logs` works with the
// node's driver unchanged; where Docker cannot give logs back, ContainerStatus says so.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "e2e/log_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

// A private dockerd with `driverArgs` and a dockershim on it.
struct DriverBed {
  DriverBed(const std::string& name, const std::vector<std::string>& driverArgs)
      : shimName(name + "-shim") {
    auto& bed = TestBed::get();
    docker = bed.startPrivateDocker(name, driverArgs);
    args = {"--docker-endpoint=unix://" + docker->socket,
            "--root-directory=" + bed.dir() + "/" + name + "-root"};
    shim = bed.startShim(args, shimName);
  }
  void restartShim() {
    shim->process.stop(10s);
    shim = TestBed::get().startShim(args, shimName);
  }
  std::string shimName;
  std::unique_ptr<PrivateDocker> docker;
  std::vector<std::string> args;
  std::unique_ptr<Shim> shim;
};

// The kubelet's view: records of one stream joined (P … F) into lines.
std::vector<std::string> joinedLines(const std::vector<std::string>& records,
                                     const std::string& stream) {
  static const std::regex re(R"(^\S+ (stdout|stderr) (P|F) (.*)$)");
  std::vector<std::string> out;
  std::string current;
  for (const auto& r : records) {
    std::smatch m;
    if (!std::regex_match(r, m, re) || m[1] != stream) continue;
    current += m[3];
    if (m[2] == "F") {
      out.push_back(current);
      current.clear();
    }
  }
  return out;
}

void checkFollowedLogs(DriverBed& d, const std::string& driver) {
  Shim& shim = *d.shim;
  auto pod = podConfig("drv-" + driver);
  std::string podId = runPod(shim, pod);

  // stdout and stderr, and a 40000-byte line Docker splits into 16 KiB pieces.
  auto talk = containerConfig(
      "talk", {"sh", "-c",
               "echo out; echo err >&2; head -c 40000 /dev/zero | tr '\\0' x; echo; echo done"});
  std::string id = startContainer(shim, podId, pod, talk);
  std::string path = pod.log_directory() + "/talk.log";
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i) {
    lines = readLines(path);
    if (joinedLines(lines, "stdout").size() >= 3 && joinedLines(lines, "stderr").size() >= 1) break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(TestBed::get().logTails());
  CHECK(joinedLines(lines, "stdout") ==
        std::vector<std::string>{"out", std::string(40000, 'x'), "done"});
  CHECK(joinedLines(lines, "stderr") == std::vector<std::string>{"err"});
  // The long line came in pieces, as Docker keeps it: P records, then one F.
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
          return l.find(" stdout P x") != std::string::npos;
        }) >= 2);
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK(containerStatus(shim, id).message().empty());

  // A running counter: rotation by the kubelet, then a dockershim restart, lose and repeat
  // nothing.
  std::string counterId = startContainer(shim, podId, pod, containerConfig("counter", kCounter));
  std::string counterPath = pod.log_directory() + "/counter.log";
  REQUIRE(waitLines(counterPath, 10).size() >= 10);
  REQUIRE(std::rename(counterPath.c_str(), (counterPath + ".1").c_str()) == 0);
  auto s = reopen(shim, counterId);
  INFO(describe(s));
  REQUIRE(s.ok());
  REQUIRE(waitLines(counterPath, 5).size() >= 5);
  d.restartShim();
  size_t atRestart = readLines(counterPath).size();
  auto after = waitLines(counterPath, atRestart + 20);
  auto all = numbers(readLines(counterPath + ".1"));
  auto newer = numbers(after);
  all.insert(all.end(), newer.begin(), newer.end());
  std::string seq;
  for (int x : all) seq += std::to_string(x) + " ";
  INFO("records: " << seq);
  CHECK(newer.size() >= atRestart + 20);
  CHECK(consecutive(all));
  cleanupPod(*d.shim, podId);
}

}  // namespace

TEST_CASE("logs on a Docker whose log driver is local", "[logs][driver]") {
  DriverBed d("local", {"--log-driver=local"});
  checkFollowedLogs(d, "local");
}

// Registered as its own CTest test, run only where the host has a journal (CTest reports it as
// not run elsewhere).
TEST_CASE("logs on a Docker whose log driver is journald", "[.journald]") {
  DriverBed d("jrnl", {"--log-driver=journald"});
  checkFollowedLogs(d, "journald");
}

TEST_CASE("a log driver Docker cannot read back is named in ContainerStatus", "[logs][driver]") {
  DriverBed d("nolog", {"--log-driver=none"});
  Shim& shim = *d.shim;
  auto pod = podConfig("drv-none");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("quiet", {"sleep", "100000"}));
  std::string message;
  for (int i = 0; i < 100 && message.empty(); ++i) {
    message = containerStatus(shim, id).message();
    if (message.empty()) std::this_thread::sleep_for(100ms);
  }
  CHECK_THAT(message, Catch::Contains("docker cannot give this container's log back") &&
                          Catch::Contains("does not support reading"));
  CHECK(waitForLog(shim, "no CRI log is written for it"));
  // The container itself runs as usual.
  CHECK(containerStatus(shim, id).state() == v1::CONTAINER_RUNNING);
  cleanupPod(shim, podId);
}
