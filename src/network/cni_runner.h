#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dockershim/status.h"
#include "network/cni_config.h"
#include "network/cni_exec_env.h"
#include "network/cni_result.h"
#include "network/plugin_exec.h"

namespace dockershim::network {

// What one pod's network operation needs.
struct PodNetwork {
  std::string sandboxId;  // CNI_CONTAINERID
  std::string netnsPath;  // /proc/<pause pid>/ns/net; may be empty for DEL
  PodRef pod;
  RuntimeArgs args;
  std::string ifName = "eth0";
};

// Runs a network list's plugins as libcni does: ADD in order, each plugin getting the previous
// one's result as prevResult; DEL in reverse order with the stored ADD result (0.4.0+); CHECK in
// order with it. Every plugin execution is bounded by the caller's deadline.
class CniRunner {
 public:
  using Exec = std::function<Result<ExecOutput>(
      const std::string& binary, const std::vector<std::string>& env, const std::string& stdinText,
      std::chrono::steady_clock::time_point deadline)>;

  explicit CniRunner(std::vector<std::string> binDirs, Exec exec = {});

  // The final result (raw JSON, to be stored for DEL and CHECK). On failure nothing is undone
  // here: the caller runs del() (the spec asks the runtime to clean up a failed ADD that way).
  Result<nlohmann::json> add(const NetworkConfig& network, const PodNetwork& pod,
                             std::chrono::steady_clock::time_point deadline);
  Status del(const NetworkConfig& network, const PodNetwork& pod, const nlohmann::json* addResult,
             std::chrono::steady_clock::time_point deadline);
  Status check(const NetworkConfig& network, const PodNetwork& pod, const nlohmann::json& addResult,
               std::chrono::steady_clock::time_point deadline);

 private:
  Result<std::string> invoke(const std::string& command, const NetworkConfig& network,
                             std::size_t index, const PodNetwork& pod,
                             const nlohmann::json* prevResult,
                             std::chrono::steady_clock::time_point deadline);

  std::vector<std::string> binDirs_;
  Exec exec_;
};

}  // namespace dockershim::network
