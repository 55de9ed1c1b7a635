#pragma once

// A CNI set-up of a test's own for e2e tests: Debian's bridge, host-local and portmap plus the
// recording plugin (e2e/cni_recorder), with folders, a bridge and subnets no one else uses, and a
// dockershim running --network-plugin=cni on them.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e2e/pod_util.h"

namespace dockershim::e2e {

namespace fs = std::filesystem;
using nlohmann::json;

inline void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// One CNI set-up of the test's own: folders under the test bed, a bridge that no one else
// uses, a subnet nothing on this host routes, and a dockershim running --network-plugin=cni.
class CniEnv {
 public:
  explicit CniEnv(const std::string& name) : name_(name) {
    static std::atomic<int> counter{0};
    index_ = 40 + (counter++ % 200);
    dir_ = TestBed::get().dir() + "/cni-" + name;
    fs::remove_all(dir_);
    for (const char* sub : {"conf", "cache", "ipam"}) fs::create_directories(dir_ + "/" + sub);
    bridge_ = "dse" + std::to_string(::getpid() % 100000) + "x" + std::to_string(index_);
    subnet_ = "10.213." + std::to_string(index_) + ".0/24";
    subnet6_ = "fd00:213:" + std::to_string(index_) + "::/64";
  }
  ~CniEnv() {
    shim_.reset();
    runCommand("ip link del " + bridge_ + " 2>/dev/null");
  }

  const std::string& dir() const { return dir_; }
  std::string confDir() const { return dir_ + "/conf"; }
  std::string cacheDir() const { return dir_ + "/cache"; }
  std::string logFile() const { return dir_ + "/recorder.log"; }
  const std::string& subnet() const { return subnet_; }
  const std::string& bridge() const { return bridge_; }
  // The veth ends attached to the test's bridge (one per pod with a network).
  std::string bridgePorts() const {
    std::string out;
    runCommand("ip -o link show master " + bridge_ + " 2>/dev/null", &out);
    return out;
  }
  // host-local's allocations: one file per address, named by it.
  std::vector<std::string> allocations() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ + "/ipam/" + network(), ec)) {
      std::string n = e.path().filename();
      if (n.find('.') != std::string::npos || n.find(':') != std::string::npos) {
        if (n.rfind("last_reserved_ip", 0) != 0) out.push_back(n);
      }
    }
    return out;
  }
  std::string network() const { return "dse2e-" + name_; }

  // bridge + host-local (+ portmap) + the recorder, in spec 1.0.0.
  json conflist(const json& recorderExtra = json::object(), bool dualStack = false,
                bool portmap = true) const {
    json ranges = json::array({json::array({{{"subnet", subnet_}}})});
    if (dualStack) ranges.push_back(json::array({{{"subnet", subnet6_}}}));
    json routes = json::array({{{"dst", "0.0.0.0/0"}}});
    if (dualStack) routes.push_back({{"dst", "::/0"}});
    json plugins = json::array();
    plugins.push_back({{"type", "bridge"},
                       {"bridge", bridge_},
                       {"isGateway", true},
                       {"ipMasq", false},
                       {"hairpinMode", true},
                       {"ipam",
                        {{"type", "host-local"},
                         {"dataDir", dir_ + "/ipam"},
                         {"ranges", ranges},
                         {"routes", routes}}}});
    if (portmap) {
      plugins.push_back({{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}});
    }
    json recorder = {
        {"type", "cni-recorder"},
        {"logFile", logFile()},
        {"capabilities",
         {{"portMappings", true}, {"bandwidth", true}, {"dns", true}, {"ipRanges", true}}}};
    recorder.update(recorderExtra);
    plugins.push_back(recorder);
    return {{"cniVersion", "1.0.0"}, {"name", network()}, {"plugins", plugins}};
  }
  void writeConf(const std::string& file, const json& conf) const {
    writeText(confDir() + "/" + file, conf.dump(2));
  }

  Shim& start(const ShimLaunch& launch = {}, const std::vector<std::string>& extraArgs = {}) {
    std::vector<std::string> args = {
        "--network-plugin=cni", "--cni-conf-dir=" + confDir(), "--cni-cache-dir=" + cacheDir(),
        std::string("--cni-bin-dir=") + CNI_TEST_BIN_DIR, "--root-directory=" + dir_ + "/root"};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    shim_ = TestBed::get().startShim(args, "cni-" + name_, true, launch);
    return *shim_;
  }
  void stop() { shim_.reset(); }
  Shim& shim() { return *shim_; }

  // The recorder's lines, optionally only those of one sandbox.
  std::vector<json> calls(const std::string& containerId = "") const {
    std::vector<json> out;
    std::ifstream in(logFile());
    std::string line;
    while (std::getline(in, line)) {
      auto j = json::parse(line, nullptr, false);
      INFO("recorder line: " << line);
      REQUIRE_FALSE(j.is_discarded());
      if (containerId.empty() || j["containerId"] == containerId) out.push_back(j);
    }
    return out;
  }
  int count(const std::string& containerId, const std::string& command) const {
    int n = 0;
    for (const auto& c : calls(containerId)) n += c["command"] == command;
    return n;
  }

 private:
  std::string name_;
  int index_;
  std::string dir_, bridge_, subnet_, subnet6_;
  std::unique_ptr<Shim> shim_;
};

inline grpc::Status tryRunPod(Shim& shim, const v1::PodSandboxConfig& config, std::string* id,
                              std::chrono::milliseconds deadline = 120s) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  v1::RunPodSandboxResponse resp;
  Ctx ctx(deadline);
  auto s = shim.runtime->RunPodSandbox(&ctx, req, &resp);
  if (id) *id = resp.pod_sandbox_id();
  return s;
}

inline v1::PodSandboxStatus sandboxStatus(Shim& shim, const std::string& id) {
  v1::PodSandboxStatusResponse resp;
  auto s = podStatus(shim, id, &resp, false);
  INFO(describe(s));
  REQUIRE(s.ok());
  return resp.status();
}

// Docker containers (any state) whose name holds `text`.
inline int dockerContainersNamed(const std::string& text) {
  std::string out;
  runCommand("DOCKER_HOST=unix://" + TestBed::get().dockerSocket() +
                 " docker ps -a --format '{{.Names}}' 2>/dev/null | grep -c -- '" + text + "'",
             &out);
  return std::atoi(out.c_str());
}

// Polls `probe` for up to `limit`.
template <class F>
inline bool eventually(F probe, std::chrono::milliseconds limit = 20s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (probe()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return probe();
}

}  // namespace dockershim::e2e
