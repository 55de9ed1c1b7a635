#include "network/cni_config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "network/quantity.h"

namespace dockershim::network {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Internal results carry the bare reason; the public functions add `CNI config "<path>"`.
Status invalid(std::string reason) {
  return errorStatus(Code::kInvalidArgument, std::move(reason));
}

std::string inQuotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string knownList() {
  std::string out;
  for (const char* v : kKnownCniVersions) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

// Index into kKnownCniVersions (which is in ascending order), or -1.
int knownIndex(std::string_view version) {
  for (std::size_t i = 0; i < std::size(kKnownCniVersions); ++i) {
    if (version == kKnownCniVersions[i]) return static_cast<int>(i);
  }
  return -1;
}

// Known versions only (a hand-built NetworkConfig may hold anything).
bool versionAtLeast(std::string_view version, std::string_view minimum) {
  const int have = knownIndex(version);
  return have >= 0 && have >= knownIndex(minimum);
}

// ---- JSON shape checks: what Go's encoding/json refuses when libcni decodes types.NetConf.
// There JSON null leaves the zero value, so null passes wherever a value is optional.

bool isStringOrNull(const Json& v) { return v.is_string() || v.is_null(); }

std::string checkStringField(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || isStringOrNull(*it)) return "";
  return inQuotes(key) + " is not a string";
}

std::string checkStringList(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  const bool ok = it->is_array() && std::all_of(it->begin(), it->end(), isStringOrNull);
  return ok ? "" : inQuotes(key) + " is not a list of strings";
}

std::string stringOr(const Json& obj, const char* key, std::string fallback = "") {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// spec: "Must start with an alphanumeric character, optionally followed by any combination of
// one or more alphanumeric characters, underscore (_), dot (.) or hyphen (-)." libcni checks it
// only when a plugin runs; we refuse the file instead, so a later file can serve.
bool validNetworkName(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || !alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

std::string checkName(const std::string& name) {
  if (name.empty()) return "no \"name\"";
  if (!validNetworkName(name)) {
    return "name " + inQuotes(name) +
           " is not a CNI network name (a letter or digit, then letters, digits, '_', '.', '-')";
  }
  return "";
}

// One plugin configuration object; `type` receives its "type".
std::string checkPlugin(const Json& plugin, std::string* type) {
  if (!plugin.is_object()) return "not a JSON object";
  if (std::string r = checkStringField(plugin, "type"); !r.empty()) return r;
  *type = stringOr(plugin, "type");
  if (type->empty()) {
    // compat: the kubelet's hint; a list saved as .conf lands here.
    return plugin.contains("plugins") ? "no \"type\" (perhaps this is a .conflist?)"
                                      : "no \"type\"";
  }
  // spec 1.0.0: type "must not contain characters disallowed in file paths"; it names a binary
  // inside the plugin folders and must not reach out of them.
  if (type->find('/') != std::string::npos || type->find('\0') != std::string::npos ||
      *type == "." || *type == "..") {
    return "type " + inQuotes(*type) + " is not a plugin file name";
  }
  for (const char* key : {"name", "cniVersion"}) {
    if (std::string r = checkStringField(plugin, key); !r.empty()) return r;
  }
  if (auto it = plugin.find("capabilities"); it != plugin.end() && !it->is_null()) {
    const bool ok = it->is_object() && std::all_of(it->begin(), it->end(), [](const Json& v) {
                      return v.is_boolean() || v.is_null();
                    });
    if (!ok) return "\"capabilities\" is not an object of booleans";
  }
  if (auto it = plugin.find("ipam"); it != plugin.end() && !it->is_null()) {
    if (!it->is_object()) return "\"ipam\" is not an object";
    if (std::string r = checkStringField(*it, "type"); !r.empty()) return "ipam: " + r;
  }
  if (auto it = plugin.find("dns"); it != plugin.end() && !it->is_null()) {
    if (!it->is_object()) return "\"dns\" is not an object";
    for (const char* key : {"nameservers", "search", "options"}) {
      if (std::string r = checkStringList(*it, key); !r.empty()) return "dns: " + r;
    }
    if (std::string r = checkStringField(*it, "domain"); !r.empty()) return "dns: " + r;
  }
  return "";
}

Result<Json> parseObject(std::string_view text) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::exception& e) {
    return invalid(std::string("not JSON: ") + e.what());
  }
  if (!doc.is_object()) return invalid("not a JSON object");
  return doc;
}

// The version to run the list at. `listLevel`: a .conflist, where libcni reads the object as a
// map (null is then a wrong type) and honours spec 1.1.0's "cniVersions".
Result<std::string> selectVersion(const Json& doc, bool listLevel) {
  std::string declared;
  if (auto it = doc.find("cniVersion"); it != doc.end() && !(it->is_null() && !listLevel)) {
    if (!it->is_string()) return invalid("\"cniVersion\" is not a string");
    declared = it->get<std::string>();
  }
  if (auto versions = doc.find("cniVersions"); listLevel && versions != doc.end()) {
    if (!versions->is_array() || !std::all_of(versions->begin(), versions->end(),
                                              [](const Json& v) { return v.is_string(); })) {
      return invalid("\"cniVersions\" is not a list of strings");
    }
    int best = -1;
    for (const Json& v : *versions) best = std::max(best, knownIndex(v.get<std::string>()));
    if (best >= 0) {
      best = std::max(best, knownIndex(declared));
      return std::string(kKnownCniVersions[best]);
    }
    // None known: cniVersion alone decides.
  }
  // compat: libcni runs an unversioned list with cniVersion "" (plugins read 0.1.0).
  if (!declared.empty() && knownIndex(declared) < 0) {
    return invalid("cniVersion " + inQuotes(declared) +
                   " is not a CNI spec version (known: " + knownList() + ")");
  }
  return declared;
}

Result<NetworkConfig> parseList(std::string_view text) {
  Result<Json> doc = parseObject(text);
  if (!doc) return doc.status();

  NetworkConfig net;
  auto name = doc->find("name");
  if (name == doc->end()) return invalid("no \"name\"");
  if (!name->is_string()) return invalid("\"name\" is not a string");
  net.name = name->get<std::string>();
  if (std::string r = checkName(net.name); !r.empty()) return invalid(r);

  Result<std::string> version = selectVersion(*doc, /*listLevel=*/true);
  if (!version) return version.status();
  net.cniVersion = std::move(*version);

  // compat: libcni takes a boolean or the strings "true"/"false" in any case (spec 0.4.0
  // called the field a string, 1.0.0 a boolean).
  if (auto it = doc->find("disableCheck"); it != doc->end()) {
    std::string s = it->is_string() ? it->get<std::string>() : "";
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (it->is_boolean()) {
      net.disableCheck = it->get<bool>();
    } else if (s == "true" || s == "false") {
      net.disableCheck = s == "true";
    } else {
      return invalid("\"disableCheck\" is neither true nor false");
    }
  }

  auto plugins = doc->find("plugins");
  if (plugins == doc->end()) {
    return invalid(doc->contains("type") ? "no \"plugins\" (perhaps this is a single-plugin .conf?)"
                                         : "no \"plugins\"");
  }
  if (!plugins->is_array()) return invalid("\"plugins\" is not a list");
  if (plugins->empty()) return invalid("\"plugins\" is empty");
  for (std::size_t i = 0; i < plugins->size(); ++i) {
    PluginConfig plugin;
    if (std::string r = checkPlugin((*plugins)[i], &plugin.type); !r.empty()) {
      return invalid("plugin " + std::to_string(i) + ": " + r);
    }
    plugin.raw = (*plugins)[i];
    net.plugins.push_back(std::move(plugin));
  }
  return net;
}

Result<NetworkConfig> parseSingle(std::string_view text) {
  Result<Json> doc = parseObject(text);
  if (!doc) return doc.status();

  PluginConfig plugin;
  if (std::string r = checkPlugin(*doc, &plugin.type); !r.empty()) return invalid(r);
  NetworkConfig net;
  net.name = stringOr(*doc, "name");
  if (std::string r = checkName(net.name); !r.empty()) return invalid(r);
  Result<std::string> version = selectVersion(*doc, /*listLevel=*/false);
  if (!version) return version.status();
  net.cniVersion = std::move(*version);
  plugin.raw = std::move(*doc);
  net.plugins.push_back(std::move(plugin));
  return net;
}

// Go's filepath.Ext: from the last '.' of the file name (".conf" itself has the extension).
std::string extensionOf(const std::string& fileName) {
  const auto dot = fileName.rfind('.');
  return dot == std::string::npos ? "" : fileName.substr(dot);
}

bool isConfigExtension(const std::string& ext) {
  return ext == ".conf" || ext == ".conflist" || ext == ".json";
}

Code codeForErrno(int err) {
  switch (err) {
    case ENOENT:
      return Code::kNotFound;
    case EACCES:
    case EPERM:
      return Code::kPermissionDenied;
    default:
      return Code::kInternal;
  }
}

Result<std::string> readWholeFile(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec) return errorStatus(codeForErrno(ec.value()), "cannot read: " + ec.message());
  if (fs::is_directory(st)) return invalid("is a directory");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return errorStatus(codeForErrno(err),
                       std::string("cannot open: ") + (err ? std::strerror(err) : "failed"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return errorStatus(Code::kInternal, "read failed");
  return text.str();
}

// loadNetworkConfigFile without the path in the message.
Result<NetworkConfig> loadFile(const std::string& path) {
  const std::string ext = extensionOf(fs::path(path).filename().string());
  if (!isConfigExtension(ext)) return invalid("not a .conf, .conflist or .json file");
  Result<std::string> text = readWholeFile(path);
  if (!text) return text.status();
  Result<NetworkConfig> net = ext == ".conflist" ? parseList(*text) : parseSingle(*text);
  if (net) net->sourcePath = path;
  return net;
}

std::string context(const std::string& path) {
  return path.empty() ? "CNI config" : "CNI config " + inQuotes(path);
}

Result<NetworkConfig> withPath(Result<NetworkConfig> net, const std::string& path) {
  if (!net) return net.status().withContext(context(path));
  net->sourcePath = path;
  return net;
}

// ---- capability arguments ----

Json portMappingsJson(const std::vector<PortMapping>& mappings) {
  Json list = Json::array();
  for (const PortMapping& pm : mappings) {
    Json m = {
        {"hostPort", pm.hostPort}, {"containerPort", pm.containerPort}, {"protocol", pm.protocol}};
    if (!pm.hostIp.empty()) m["hostIP"] = pm.hostIp;
    list.push_back(std::move(m));
  }
  return list;
}

Json bandwidthJson(const Bandwidth& bw) {
  Json out = Json::object();
  const std::pair<const char*, uint64_t> fields[] = {{"ingressRate", bw.ingressRate},
                                                     {"ingressBurst", bw.ingressBurst},
                                                     {"egressRate", bw.egressRate},
                                                     {"egressBurst", bw.egressBurst}};
  for (const auto& [key, value] : fields) {
    if (value != 0) out[key] = value;
  }
  return out;
}

Json dnsJson(const DnsConfig& dns) {
  Json out = Json::object();
  if (!dns.servers.empty()) out["servers"] = dns.servers;
  if (!dns.searches.empty()) out["searches"] = dns.searches;
  if (!dns.options.empty()) out["options"] = dns.options;
  return out;
}

Json ipRangesJson(const std::vector<std::vector<IpRange>>& ranges) {
  Json outer = Json::array();
  for (const auto& pool : ranges) {
    Json inner = Json::array();
    for (const IpRange& r : pool) inner.push_back(Json::object({{"subnet", r.subnet}}));
    outer.push_back(std::move(inner));
  }
  return outer;
}

// The capability arguments on offer, by capability name.
Json offeredCapabilities(const RuntimeArgs& args) {
  Json offered = Json::object();
  offered["portMappings"] = portMappingsJson(args.portMappings);
  if (args.bandwidth) offered["bandwidth"] = bandwidthJson(*args.bandwidth);
  if (args.dns) offered["dns"] = dnsJson(*args.dns);
  if (!args.ipRanges.empty()) offered["ipRanges"] = ipRangesJson(args.ipRanges);
  return offered;
}

bool declares(const Json& plugin, std::string_view capability) {
  auto caps = plugin.find("capabilities");
  if (caps == plugin.end() || !caps->is_object()) return false;
  auto it = caps->find(capability);
  return it != caps->end() && it->is_boolean() && it->get<bool>();
}

// pkg/util/bandwidth's validateBandwidthIsReasonable.
constexpr int64_t kMinBandwidth = 1000;              // 1k
constexpr int64_t kMaxBandwidth = 1000000000000000;  // 1P

Result<uint64_t> bandwidthRate(const std::string& annotation, const std::string& text) {
  const std::string what = "pod annotation " + inQuotes(annotation) + " = " + inQuotes(text);
  Result<int64_t> value = quantityValue(text);
  if (!value) return value.status().withContext(what);
  if (*value < kMinBandwidth) return invalid(what + ": unreasonably small (< 1kbit)");
  if (*value > kMaxBandwidth) return invalid(what + ": unreasonably large (> 1Pbit)");
  return static_cast<uint64_t>(*value);
}

}  // namespace

Result<NetworkConfig> parseConfList(std::string_view text, const std::string& sourcePath) {
  return withPath(parseList(text), sourcePath);
}

Result<NetworkConfig> parseSingleConf(std::string_view text, const std::string& sourcePath) {
  return withPath(parseSingle(text), sourcePath);
}

Result<NetworkConfig> loadNetworkConfigFile(const std::string& path) {
  try {
    return withPath(loadFile(path), path);
  } catch (const std::exception& e) {
    return errorStatus(Code::kInternal, context(path) + ": " + e.what());
  }
}

Result<NetworkConfig> loadDefaultNetwork(const std::string& confDir,
                                         std::vector<SkippedConfig>* skipped) {
  const std::string noConfig = "no CNI configuration in " + inQuotes(confDir);
  try {
    std::error_code ec;
    fs::directory_iterator it(confDir, ec);
    if (ec == std::errc::no_such_file_or_directory) {
      return errorStatus(Code::kNotFound, noConfig + ": the folder does not exist");
    }
    if (ec == std::errc::not_a_directory) {
      return errorStatus(Code::kNotFound, noConfig + ": not a folder");
    }
    if (ec) {
      return errorStatus(codeForErrno(ec.value()), "list CNI configuration folder " +
                                                       inQuotes(confDir) + ": " + ec.message());
    }
    std::vector<std::string> names;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code typeEc;
      // compat: libcni leaves out directories but not symlinks to them (which then fail to
      // read and are skipped).
      if (it->symlink_status(typeEc).type() == fs::file_type::directory) continue;
      std::string name = it->path().filename().string();
      if (isConfigExtension(extensionOf(name))) names.push_back(std::move(name));
    }
    if (ec) {
      return errorStatus(codeForErrno(ec.value()), "list CNI configuration folder " +
                                                       inQuotes(confDir) + ": " + ec.message());
    }
    if (names.empty()) {
      return errorStatus(Code::kNotFound, noConfig + ": no .conf, .conflist or .json file");
    }
    std::sort(names.begin(), names.end());

    std::string reasons;
    for (const std::string& name : names) {
      const std::string path = (fs::path(confDir) / name).string();
      Result<NetworkConfig> net = loadFile(path);
      if (net) return net;
      if (skipped != nullptr) skipped->push_back({path, net.status().message()});
      reasons += (reasons.empty() ? ": skipped " : "; skipped ") + inQuotes(name) + " (" +
                 net.status().message() + ")";
    }
    return errorStatus(Code::kNotFound, noConfig + reasons);
  } catch (const std::exception& e) {
    return errorStatus(Code::kInternal,
                       "load CNI configuration from " + inQuotes(confDir) + ": " + e.what());
  }
}

bool pluginHasCapability(const NetworkConfig& net, std::size_t index, std::string_view capability) {
  return index < net.plugins.size() && declares(net.plugins[index].raw, capability);
}

bool networkHasCapability(const NetworkConfig& net, std::string_view capability) {
  return std::any_of(net.plugins.begin(), net.plugins.end(),
                     [&](const PluginConfig& p) { return declares(p.raw, capability); });
}

nlohmann::json pluginInvocationConfig(const NetworkConfig& net, std::size_t pluginIndex,
                                      const RuntimeArgs& args, const nlohmann::json* prevResult) {
  if (pluginIndex >= net.plugins.size()) return nullptr;
  Json config = net.plugins[pluginIndex].raw;
  if (!config.is_object()) return nullptr;
  // spec: "the runtime MUST replace the name and cniVersion fields in each individual network
  // configuration in the list with the name and cniVersion field of the list itself".
  config["name"] = net.name;
  config["cniVersion"] = net.cniVersion;
  if (prevResult != nullptr) config["prevResult"] = *prevResult;

  const Json offered = offeredCapabilities(args);
  Json runtimeConfig = Json::object();
  for (const auto& [capability, value] : offered.items()) {
    if (declares(config, capability)) runtimeConfig[capability] = value;
  }
  if (!runtimeConfig.empty()) config["runtimeConfig"] = std::move(runtimeConfig);
  if (versionAtLeast(net.cniVersion, "1.0.0")) config.erase("capabilities");
  return config;
}

bool checkSupported(const NetworkConfig& net) {
  return !net.disableCheck && versionAtLeast(net.cniVersion, "0.4.0");
}

bool prevResultOnDelete(const NetworkConfig& net) {
  return versionAtLeast(net.cniVersion, "0.4.0");
}

Result<std::optional<Bandwidth>> bandwidthFromAnnotations(
    const std::map<std::string, std::string>& annotations) {
  std::optional<Bandwidth> bw;
  if (auto it = annotations.find(kIngressBandwidthAnnotation); it != annotations.end()) {
    Result<uint64_t> rate = bandwidthRate(it->first, it->second);
    if (!rate) return rate.status();
    bw.emplace();
    bw->ingressRate = *rate;
    bw->ingressBurst = kBandwidthBurstBits;
  }
  if (auto it = annotations.find(kEgressBandwidthAnnotation); it != annotations.end()) {
    Result<uint64_t> rate = bandwidthRate(it->first, it->second);
    if (!rate) return rate.status();
    if (!bw) bw.emplace();
    bw->egressRate = *rate;
    bw->egressBurst = kBandwidthBurstBits;
  }
  return bw;
}

}  // namespace dockershim::network
