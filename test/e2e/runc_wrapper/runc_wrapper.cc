// The test bed's runc wrapper: dockerd's default runtime on hosts whose root lacks capabilities
// Docker hands out (this VM has no CAP_SYS_RESOURCE in its bounding set). runc fails to start a
// process that asks for a capability its parent cannot grant, so Docker 20.10's privileged
// containers (and privileged execs) would not run at all. The wrapper removes, from the OCI
// bundle's config.json (`--bundle`) and from an exec's process.json (`--process`), only the
// capabilities missing from its own bounding set, then execs the real runc with the same
// arguments. It is test equipment: the daemon itself never hides the difference from a user.
#include <linux/capability.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/capabilities.h"

using dockershim::common::boundingCapabilities;
using dockershim::common::kCapabilityNames;
using nlohmann::json;

namespace {

bool grantable(const std::string& name, uint64_t bounding) {
  for (size_t bit = 0; bit < kCapabilityNames.size(); ++bit) {
    if (name == "CAP_" + std::string(kCapabilityNames[bit])) return (bounding >> bit) & 1;
  }
  return true;  // unknown to us: leave it for runc to judge
}

// Drops ungrantable names from every set of an OCI "capabilities" object.
bool filterCapabilities(json& caps, uint64_t bounding) {
  if (!caps.is_object()) return false;
  bool changed = false;
  for (auto& [set, names] : caps.items()) {
    if (!names.is_array()) continue;
    json kept = json::array();
    for (auto& n : names) {
      if (n.is_string() && !grantable(n.get<std::string>(), bounding)) {
        changed = true;
        continue;
      }
      kept.push_back(n);
    }
    names = std::move(kept);
  }
  return changed;
}

// Rewrites `path` with `pointer` (a JSON pointer to the capabilities object) filtered.
void rewrite(const std::string& path, const json::json_pointer& pointer, uint64_t bounding) {
  std::ifstream in(path);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.contains(pointer)) return;
  if (!filterCapabilities(doc[pointer], bounding)) return;
  std::string tmp = path + ".wrapper-tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << doc.dump();
    if (!out) return;
  }
  std::rename(tmp.c_str(), path.c_str());
}

// The value of `--name value`, `--name=value` or `-short value`.
std::string flagValue(int argc, char** argv, const std::string& name,
                      const std::string& shortName) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == name || a == shortName) && i + 1 < argc) return argv[i + 1];
    if (a.rfind(name + "=", 0) == 0) return a.substr(name.size() + 1);
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t bounding = boundingCapabilities();
  if (std::string bundle = flagValue(argc, argv, "--bundle", "-b"); !bundle.empty()) {
    rewrite(bundle + "/config.json", json::json_pointer("/process/capabilities"), bounding);
  }
  if (std::string process = flagValue(argc, argv, "--process", "-p"); !process.empty()) {
    rewrite(process, json::json_pointer("/capabilities"), bounding);
  }
  const char* real = std::getenv("DOCKERSHIM_REAL_RUNC");
  if (!real || !*real) real = "runc";
  argv[0] = const_cast<char*>(real);
  ::execvp(real, argv);
  std::fprintf(stderr, "runc wrapper: exec %s: %s\n", real, std::strerror(errno));
  return 127;
}
