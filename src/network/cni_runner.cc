#include "network/cni_runner.h"

#include <cstdlib>

namespace dockershim::network {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

CniRunner::CniRunner(std::vector<std::string> binDirs, Exec exec)
    : binDirs_(std::move(binDirs)), exec_(std::move(exec)) {
  if (!exec_) exec_ = [](auto& b, auto& e, auto& in, auto d) { return runPlugin(b, e, in, d); };
}

Result<std::string> CniRunner::invoke(const std::string& command, const NetworkConfig& network,
                                      std::size_t index, const PodNetwork& pod,
                                      const json* prevResult, Clock::time_point deadline) {
  const std::string& type = network.plugins[index].type;
  auto binary = findPlugin(type, binDirs_);
  if (!binary) return binary.status();
  CniInvocation inv;
  inv.command = command;
  inv.containerId = pod.sandboxId;
  inv.netnsPath = pod.netnsPath;
  inv.ifName = pod.ifName;
  inv.binDirs = binDirs_;
  inv.pod = pod.pod;
  // Plugins such as portmap and bandwidth run iptables and tc: they need a PATH.
  const char* path = std::getenv("PATH");
  auto env =
      cniEnvironment(inv, {std::string("PATH=") + (path ? path : "/usr/sbin:/usr/bin:/sbin:/bin")});
  if (!env) return env.status();
  json config = pluginInvocationConfig(network, index, pod.args, prevResult);
  std::string stdinText = config.dump(-1, ' ', false, json::error_handler_t::replace);
  auto out = exec_(*binary, *env, stdinText, deadline);
  if (!out) return out.status().withContext("CNI " + command + " of " + type);
  if (out->exitCode != 0) {
    return parseCniError(type, out->stdoutText, out->exitCode, out->stderrText)
        .withContext("CNI " + command);
  }
  return std::move(out->stdoutText);
}

Result<json> CniRunner::add(const NetworkConfig& network, const PodNetwork& pod,
                            Clock::time_point deadline) {
  json prev;
  bool havePrev = false;
  for (std::size_t i = 0; i < network.plugins.size(); ++i) {
    auto out = invoke("ADD", network, i, pod, havePrev ? &prev : nullptr, deadline);
    if (!out) return out.status();
    // The result is checked (a plugin that prints garbage fails the pod) and kept raw: the next
    // plugin and the later DEL get it exactly as the plugin wrote it.
    if (Status st = parseCniResult(*out).status(); !st) {
      return st.withContext("CNI ADD of " + network.plugins[i].type);
    }
    json parsed = json::parse(*out, nullptr, false);
    if (parsed.is_discarded()) {
      return Status(Code::kInvalidArgument,
                    "CNI ADD of " + network.plugins[i].type + ": result is not JSON");
    }
    prev = std::move(parsed);
    havePrev = true;
  }
  if (!havePrev)
    return Status(Code::kInvalidArgument, "CNI network " + network.name + " has no plugins");
  return prev;
}

Status CniRunner::del(const NetworkConfig& network, const PodNetwork& pod, const json* addResult,
                      Clock::time_point deadline) {
  // Every plugin is asked, in reverse order, even after one fails: each frees what it holds
  // (IPAM addresses, iptables rules). The first failure is reported.
  Status first;
  const json* prev = prevResultOnDelete(network) ? addResult : nullptr;
  for (std::size_t i = network.plugins.size(); i-- > 0;) {
    auto out = invoke("DEL", network, i, pod, prev, deadline);
    if (!out && first) first = out.status();
  }
  return first;
}

Status CniRunner::check(const NetworkConfig& network, const PodNetwork& pod, const json& addResult,
                        Clock::time_point deadline) {
  if (!checkSupported(network)) return Status::ok();
  for (std::size_t i = 0; i < network.plugins.size(); ++i) {
    auto out = invoke("CHECK", network, i, pod, &addResult, deadline);
    if (!out) return out.status();
  }
  return Status::ok();
}

}  // namespace dockershim::network
