// A CNI plugin for e2e tests: records every invocation (command, container id, netns, CNI_ARGS
// and the configuration it was given on stdin) as one JSON line in the file named by the
// configuration's "logFile", passes an ADD's prevResult through unchanged, and fails or hangs
// on demand ("failOn" / "hangOn": the command to misbehave on; "hangIf": hang on the ADD of pods
// whose CNI_ARGS hold that text) so tests can see what dockershim does with plugins that do.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

namespace {
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
}  // namespace

int main() {
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::string command = env("CNI_COMMAND");
  if (command == "VERSION") {
    std::cout << R"({"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]})";
    return 0;
  }
  auto config = nlohmann::json::parse(input, nullptr, false);
  if (config.is_discarded() || !config.is_object()) {
    std::cout << R"({"cniVersion":"1.0.0","code":6,"msg":"cannot decode the configuration"})";
    return 1;
  }
  std::string version = config.value("cniVersion", "1.0.0");
  if (config.contains("logFile")) {
    nlohmann::json line = {{"command", command},        {"containerId", env("CNI_CONTAINERID")},
                           {"netns", env("CNI_NETNS")}, {"ifName", env("CNI_IFNAME")},
                           {"args", env("CNI_ARGS")},   {"path", env("CNI_PATH")},
                           {"config", config}};
    // One write on an O_APPEND descriptor: lines of plugins running at once never interleave.
    std::string text = line.dump() + "\n";
    int fd = ::open(config["logFile"].get<std::string>().c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      (void)!::write(fd, text.data(), text.size());
      ::close(fd);
    }
  }
  // "hangIf": hang on ADD only for pods whose CNI_ARGS hold this text (e.g. a pod name).
  const std::string hangIf = config.value("hangIf", "");
  if (config.value("hangOn", "") == command ||
      (command == "ADD" && !hangIf.empty() && env("CNI_ARGS").find(hangIf) != std::string::npos)) {
    // Stands for a plugin stuck on a lock or a dead API server.
    for (;;) ::pause();
  }
  if (config.value("failOn", "") == command) {
    nlohmann::json error = {{"cniVersion", version},
                            {"code", 100},
                            {"msg", "recorder refuses " + command},
                            {"details", "asked to by the test"}};
    std::cout << error.dump();
    return 1;
  }
  if (command == "ADD") {
    nlohmann::json result =
        config.contains("prevResult")
            ? config["prevResult"]
            : nlohmann::json{{"cniVersion", version}, {"ips", nlohmann::json::array()}};
    std::cout << result.dump();
  }
  return 0;
}
