#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"

// CNI network configuration: which network a pod joins (the kubelet's "default network") and
// what each plugin of its list is given on stdin. Pure data-in, data-out apart from reading
// the configuration folder in loadDefaultNetwork / loadNetworkConfigFile.
//
// Spec versions: every released one, 0.1.0 to 1.1.0, as the kubelet and containerd take them
// through libcni: they load such files, and their plugins' VERSION answers decide; results of
// 0.1.0/0.2.0 are converted (network/cni_result.h reads them too). A file without cniVersion is
// taken too (libcni passes the empty version on; plugins read it as 0.1.0). Any other version
// ("0.3", "1.2.0", ...) is refused: no plugin could answer it. Spec 1.1.0's "cniVersions" list
// is honoured: the highest known version in it (or cniVersion, if higher) is used, as libcni
// picks the highest it implements.
namespace dockershim::network {

inline constexpr const char* kKnownCniVersions[] = {"0.1.0", "0.2.0", "0.3.0", "0.3.1",
                                                    "0.4.0", "1.0.0", "1.1.0"};

struct PluginConfig {
  std::string type;    // the plugin binary's name
  nlohmann::json raw;  // the plugin's object as written (a .conf: the whole file)
};

// One network configuration list, as libcni's NetworkConfigList.
struct NetworkConfig {
  std::string name;
  std::string cniVersion;             // one of kKnownCniVersions, or "" (unversioned)
  bool disableCheck = false;          // spec: the runtime must not call CHECK when true
  std::vector<PluginConfig> plugins;  // never empty
  std::string sourcePath;             // the file it came from ("" when parsed from text)
};

// INVALID_ARGUMENT, message `CNI config "<sourcePath>": <reason>` ("CNI config: <reason>"
// without a path), when the text is not a
// usable network configuration list (.conflist): not a JSON object, no or bad "name" (spec:
// [a-zA-Z0-9][a-zA-Z0-9_.-]*), a cniVersion that is not a string or not a known version,
// "cniVersions" not a list of strings, "disableCheck" neither a boolean nor "true"/"false",
// "plugins" missing/empty/not an array, a plugin that is not an object, has no "type" (or one
// with '/') or has well-known fields of the wrong JSON type (as Go's decoder refuses them).
Result<NetworkConfig> parseConfList(std::string_view text, const std::string& sourcePath = "");
// A single-plugin configuration (.conf, .json) wrapped into a list of one, as libcni's
// ConfListFromConf: list name and cniVersion are the plugin's; "disableCheck" is not read.
// compat: spec 1.0.0 dropped such files, but libcni (so the kubelet and containerd) still
// takes them at any version.
Result<NetworkConfig> parseSingleConf(std::string_view text, const std::string& sourcePath = "");

// Reads one file and parses it by extension (".conflist" a list, ".conf"/".json" a single
// plugin). NOT_FOUND when absent, PERMISSION_DENIED/INTERNAL when unreadable, INVALID_ARGUMENT
// as above (also for another extension).
Result<NetworkConfig> loadNetworkConfigFile(const std::string& path);

struct SkippedConfig {
  std::string path;
  std::string reason;
};

// The default network as the kubelet's CNI plugin (and cri-o's ocicni) chooses it: files of
// confDir ending in .conf, .conflist or .json (directories left out), sorted by name, the first
// that loads. Files that do not load are skipped; each is appended to `skipped` (when given)
// for the caller's debug log. NOT_FOUND, "no CNI configuration in "<dir>"" followed by every
// skipped file and its reason, when none loads or the folder does not exist;
// PERMISSION_DENIED/INTERNAL when the folder cannot be listed.
Result<NetworkConfig> loadDefaultNetwork(const std::string& confDir,
                                         std::vector<SkippedConfig>* skipped = nullptr);

// ---- capability arguments (CNI CONVENTIONS.md, "Well-known Capabilities") ----

struct PortMapping {
  int32_t hostPort = 0;
  int32_t containerPort = 0;
  std::string protocol;  // lowercase on the wire: "tcp", "udp", "sctp"
  std::string hostIp;    // "" for all addresses; left out of the JSON then
  bool operator==(const PortMapping&) const = default;
};

// Rates in bits per second, bursts in bits; 0 means unset and is left out of the JSON.
struct Bandwidth {
  uint64_t ingressRate = 0;
  uint64_t ingressBurst = 0;
  uint64_t egressRate = 0;
  uint64_t egressBurst = 0;
  bool operator==(const Bandwidth&) const = default;
};

// Empty lists are left out of the JSON (the kubelet's omitempty).
struct DnsConfig {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;
};

struct IpRange {
  std::string subnet;  // CIDR, e.g. the node's pod CIDR
};

// What the runtime offers; a plugin receives only what it declares in "capabilities".
struct RuntimeArgs {
  // Always offered (an empty list too, as the kubelet does: portmap then maps nothing). The
  // caller converts from CRI as the kubelet did: mappings without a host port dropped,
  // protocol lowercased.
  std::vector<PortMapping> portMappings;
  std::optional<Bandwidth> bandwidth;  // offered when set
  std::optional<DnsConfig> dns;        // offered when set
  // host-local "ranges": outer list one entry per address to allocate, inner list the pools.
  std::vector<std::vector<IpRange>> ipRanges;  // offered when not empty
};

// Whether plugin `index` declares `capability` with true ({"portMappings": true}).
bool pluginHasCapability(const NetworkConfig& net, std::size_t index, std::string_view capability);
// Whether any plugin of the list declares it (e.g. "ipRanges": the pod CIDR must be known).
bool networkHasCapability(const NetworkConfig& net, std::string_view capability);

// The stdin configuration of plugin `pluginIndex` (precondition: < net.plugins.size(); a null
// JSON otherwise), built as libcni's buildOneConfig: the plugin's object with the list's "name"
// and "cniVersion", "prevResult" when given, and "runtimeConfig" holding the capability
// arguments the plugin declares (replacing any written one; none added when nothing matches).
// From 1.0.0 "capabilities" is removed (spec 1.0.0 §3: "must be removed by the runtime");
// libcni keeps it, as do we for 0.x, whose specs say nothing of it.
// prevResult must be in the list's cniVersion format: on ADD the previous plugin's result
// (none for the first); on CHECK and DEL the final ADD result (CHECK exists from 0.4.0; libcni
// passes prevResult on DEL from 0.4.0 too, see checkSupported / prevResultOnDelete).
nlohmann::json pluginInvocationConfig(const NetworkConfig& net, std::size_t pluginIndex,
                                      const RuntimeArgs& args, const nlohmann::json* prevResult);

// CHECK may be called: spec version >= 0.4.0 and disableCheck not set.
bool checkSupported(const NetworkConfig& net);
// DEL gets the ADD result as prevResult: spec version >= 0.4.0.
bool prevResultOnDelete(const NetworkConfig& net);

// ---- Kubernetes bandwidth annotations ----

inline constexpr char kIngressBandwidthAnnotation[] = "kubernetes.io/ingress-bandwidth";
inline constexpr char kEgressBandwidthAnnotation[] = "kubernetes.io/egress-bandwidth";
// compat: the kubelet's dockershim set each burst of a set direction to math.MaxInt32 bits
// ("no limit") since the annotations carry only a rate.
inline constexpr uint64_t kBandwidthBurstBits = 2147483647;

// The two annotations as the kubelet read them (pkg/util/bandwidth): each a quantity (see
// network/quantity.h) of bits per second, from 1k to 1P inclusive; the rate is the quantity's value
// and the burst kBandwidthBurstBits. nullopt when neither annotation is present; INVALID_ARGUMENT
// naming the annotation when one does not parse or is out of range (an empty value included).
Result<std::optional<Bandwidth>> bandwidthFromAnnotations(
    const std::map<std::string, std::string>& annotations);

}  // namespace dockershim::network
