// CRI log files: what kubelet, `crictl logs` and `kubectl logs` read, rotation and restarts.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "e2e/log_util.h"
#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

TEST_CASE("container output lands in the CRI log in kubelet's format", "[logs]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("logs");
  std::string podId = runPod(shim, pod);
  auto config = containerConfig("talk", {"sh", "-c", "echo out; echo err >&2; printf partial"});
  std::string id = startContainer(shim, podId, pod, config);
  std::string path = pod.log_directory() + "/talk.log";
  auto lines = waitLines(path, 3);
  REQUIRE(lines.size() == 3);
  static const std::regex ts(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z )");
  for (const auto& l : lines) CHECK(std::regex_search(l, ts));
  auto body = [](const std::string& l) { return l.substr(l.find(' ') + 1); };
  // stdout and stderr are separate pipes: their relative order is not fixed.
  std::vector<std::string> bodies = {body(lines[0]), body(lines[1]), body(lines[2])};
  std::sort(bodies.begin(), bodies.end());
  CHECK(bodies == std::vector<std::string>{"stderr F err", "stdout F out", "stdout P partial"});
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));

  // Docker writes the unterminated "partial" when the process ends its output (it exited):
  // reopening the log of a container not running is refused; of an unknown one NOT_FOUND.
  CHECK(reopen(shim, id).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(reopen(shim, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
            .error_code() == grpc::StatusCode::NOT_FOUND);
  cleanupPod(shim, podId);
}

TEST_CASE("ReopenContainerLog lets kubelet rotate without losing a line", "[logs]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("rotate");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("counter", kCounter));
  std::string path = pod.log_directory() + "/counter.log";
  REQUIRE(waitLines(path, 10).size() >= 10);
  // kubelet's rotation: rename, then ask the runtime to reopen.
  REQUIRE(std::rename(path.c_str(), (path + ".1").c_str()) == 0);
  auto s = reopen(shim, id);
  INFO(describe(s));
  REQUIRE(s.ok());
  REQUIRE(waitLines(path, 10).size() >= 10);
  auto older = numbers(readLines(path + ".1"));
  auto newer = numbers(readLines(path));
  std::vector<int> all = older;
  all.insert(all.end(), newer.begin(), newer.end());
  INFO("older " << older.size() << " newer " << newer.size());
  CHECK(consecutive(all));
  CHECK_FALSE(newer.empty());
  cleanupPod(shim, podId);
}

TEST_CASE("a dockershim restart neither loses nor repeats log lines", "[logs][restart]") {
  auto& bed = TestBed::get();
  std::vector<std::string> args = {"--root-directory=" + bed.dir() + "/restart-root"};
  auto shim = bed.startShim(args, "shim-restart");
  auto pod = podConfig("restart");
  std::string podId = runPod(*shim, pod);
  std::string id = startContainer(*shim, podId, pod, containerConfig("counter", kCounter));
  std::string path = pod.log_directory() + "/counter.log";
  REQUIRE(waitLines(path, 5).size() >= 5);

  shim->process.stop(10s);
  size_t atStop = readLines(path).size();
  std::this_thread::sleep_for(1500ms);  // ~15 lines written while no dockershim runs
  shim = bed.startShim(args, "shim-restart");
  auto lines = waitLines(path, atStop + 25);
  auto n = numbers(lines);
  std::string seq;
  for (int x : n) seq += std::to_string(x) + " ";
  INFO("lines at stop " << atStop << ", now " << n.size() << ": " << seq);
  CHECK(n.size() >= atStop + 25);
  CHECK(consecutive(n));
  cleanupPod(*shim, podId);
}
