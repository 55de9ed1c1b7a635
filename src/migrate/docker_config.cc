#include "migrate/docker_config.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>
#include <sstream>

#include "common/json_util.h"

namespace dockershim::migrate {

namespace {

using json = nlohmann::json;

const char kCri[] = "plugins.\"io.containerd.grpc.v1.cri\"";

// Docker settings no containerd or kubelet setting takes over, and what happens instead.
const std::map<std::string, std::string>& knownUnsupported() {
  static const std::map<std::string, std::string> m = {
      {"live-restore", "containerd keeps containers running across its own restarts always"},
      {"default-ulimits",
       "containerd's CRI plugin gives containers its own process limits; set limits in the "
       "image, the pod's command, or containerd's systemd unit (LimitNOFILE)"},
      {"data-root", "containerd keeps images and containers under its own root; size its disk"},
      {"graph", "containerd keeps images and containers under its own root; size its disk"},
      {"storage-driver", "containerd's snapshotter is overlayfs by default (Docker's overlay2)"},
      {"storage-opts", "configure containerd's snapshotter instead"},
      {"userland-proxy", "hostPort is served by the CNI portmap plugin (iptables), no proxy"},
      {"userland-proxy-path", "hostPort is served by the CNI portmap plugin"},
      {"iptables", "pod networking is CNI's; Docker's own rules go away"},
      {"ip6tables", "pod networking is CNI's"},
      {"ip-forward", "set net.ipv4.ip_forward with sysctl; CNI plugins expect it"},
      {"ip-masq", "set ipMasq in the CNI bridge configuration"},
      {"bip", "Docker's bridge is not used by pods; the CNI configuration sets pod addresses"},
      {"bridge", "the CNI configuration names the bridge"},
      {"fixed-cidr", "the CNI configuration's IPAM ranges set pod addresses"},
      {"fixed-cidr-v6", "the CNI configuration's IPAM ranges set pod addresses"},
      {"default-address-pools", "the CNI configuration's IPAM ranges set pod addresses"},
      {"mtu", "set mtu in the CNI configuration"},
      {"ipv6", "enable IPv6 in the CNI configuration"},
      {"icc", "use NetworkPolicy to isolate pods"},
      {"dns", "the kubelet writes pods' resolv.conf (resolvConf, clusterDNS)"},
      {"dns-opts", "the kubelet writes pods' resolv.conf"},
      {"dns-search", "the kubelet writes pods' resolv.conf"},
      {"default-shm-size",
       "the CRI gives every pod a 64 MiB /dev/shm; mount an emptyDir with "
       "medium Memory for more"},
      {"no-new-privileges", "set allowPrivilegeEscalation: false in pods' security contexts"},
      {"seccomp-profile", "set seccompProfile in pods (or the kubelet's seccompDefault)"},
      {"userns-remap", "Kubernetes user namespaces (hostUsers: false) replace it"},
      {"cgroup-parent", "the kubelet decides pods' cgroups"},
      {"shutdown-timeout", "the kubelet stops pods with their terminationGracePeriodSeconds"},
      {"default-cgroupns-mode",
       "containerd gives every container a private cgroup namespace on "
       "cgroup v2"},
      {"default-ipc-mode", "the pod decides (hostIPC)"},
      {"oom-score-adjust", "set OOMScoreAdjust in containerd's systemd unit"},
      {"authorization-plugins", "containerd has no authorization plugins; protect its socket"},
      {"hosts", "containerd listens on its own socket ([grpc] address)"},
      {"tls", "containerd listens on a unix socket only"},
      {"tlsverify", "containerd listens on a unix socket only"},
      {"tlscacert", "containerd listens on a unix socket only"},
      {"tlscert", "containerd listens on a unix socket only"},
      {"tlskey", "containerd listens on a unix socket only"},
      {"group", "containerd's socket is root's; grant access with its [grpc] gid"},
      {"metrics-addr", "containerd serves metrics at [metrics] address"},
      {"experimental", "no equivalent"},
      {"features", "no equivalent"},
      {"init",
       "containerd does not inject an init process; use shareProcessNamespace or an "
       "init in the image"},
      {"init-path", "containerd does not inject an init process"},
      {"max-concurrent-uploads", "the kubelet does not push images"},
      {"max-download-attempts", "the kubelet retries pulls with back-off"},
      {"allow-nondistributable-artifacts", "containerd pulls foreign layers as any other"},
      {"labels", "node labels belong to the Node object"},
      {"pidfile", "containerd's systemd unit tracks its process"},
      {"exec-root", "containerd keeps its state under [state]"},
      {"containerd", "the generated configuration is containerd's own"},
      {"containerd-namespace", "the kubelet's pods live in containerd's k8s.io namespace"},
      {"containerd-plugins-namespace", "the kubelet's pods live in containerd's k8s.io namespace"},
      {"cluster-store", "no equivalent"},
      {"cluster-advertise", "no equivalent"},
      {"swarm-default-advertise-addr", "no equivalent"},
      {"node-generic-resources", "use a device plugin"},
      {"builder", "builds need a build service (buildkitd) on containerd"},
      {"proxies",
       "set HTTP_PROXY/HTTPS_PROXY/NO_PROXY in containerd's systemd unit "
       "environment"},
      {"raw-logs", "no equivalent"},
  };
  return m;
}

// Settings translated below (everything else is reported).
const std::set<std::string> kTranslated = {
    "exec-opts",
    "runtimes",
    "default-runtime",
    "registry-mirrors",
    "insecure-registries",
    "log-driver",
    "log-opts",
    "debug",
    "log-level",
    "max-concurrent-downloads",
    "selinux-enabled",
};

Status wrongType(const std::string& key, const char* want) {
  return {Code::kInvalidArgument, "daemon.json: \"" + key + "\" must be " + want};
}

Result<std::vector<std::string>> stringList(const json& j, const std::string& key) {
  std::vector<std::string> out;
  if (!j.contains(key) || j[key].is_null()) return out;
  if (!j[key].is_array()) return wrongType(key, "a list of strings");
  for (const auto& v : j[key]) {
    if (!v.is_string()) return wrongType(key, "a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::string> stringValue(const json& j, const std::string& key) {
  if (!j.contains(key) || j[key].is_null()) return std::string();
  if (!j[key].is_string()) return wrongType(key, "a string");
  return j[key].get<std::string>();
}

Result<std::optional<bool>> boolValue(const json& j, const std::string& key) {
  if (!j.contains(key) || j[key].is_null()) return std::optional<bool>();
  if (!j[key].is_boolean()) return wrongType(key, "true or false");
  return std::optional<bool>(j[key].get<bool>());
}

bool bareKey(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

std::string tomlKey(const std::string& s) { return bareKey(s) ? s : tomlString(s); }

std::string valueText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// "https://mirror.example/" -> "https://mirror.example"; a bare host gets https://.
std::string mirrorUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.find("://") == std::string::npos) url = "https://" + url;
  return url;
}

std::string hostOf(const std::string& url) {
  auto scheme = url.find("://");
  std::string rest = scheme == std::string::npos ? url : url.substr(scheme + 3);
  return rest.substr(0, rest.find('/'));
}

bool looksLikeCidr(const std::string& s) { return s.find('/') != std::string::npos; }

struct Runtime {
  std::string path;
  std::vector<std::string> args;
  std::string type;  // shim v2 runtime type; "" for a runc-compatible binary
  json options = json::object();
};

Result<std::map<std::string, Runtime>> runtimesOf(const json& obj, const std::string& what) {
  std::map<std::string, Runtime> out;
  if (obj.is_null()) return out;
  if (!obj.is_object()) return wrongType(what, "an object of runtimes");
  for (const auto& [name, r] : obj.items()) {
    if (!r.is_object()) return wrongType(what + "." + name, "an object");
    Runtime rt;
    auto path = stringValue(r, "path");
    if (!path) return wrongType(what + "." + name + ".path", "a string");
    rt.path = *path;
    auto args = stringList(r, "runtimeArgs");
    if (!args) return wrongType(what + "." + name + ".runtimeArgs", "a list of strings");
    rt.args = *args;
    auto type = stringValue(r, "runtimeType");
    if (!type) return wrongType(what + "." + name + ".runtimeType", "a string");
    rt.type = *type;
    if (r.contains("options") && r["options"].is_object()) rt.options = r["options"];
    out[name] = std::move(rt);
  }
  return out;
}

std::string tomlScalar(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer() || v.is_number_float()) return v.dump();
  return tomlString(valueText(v));
}

}  // namespace

std::string tomlString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

Result<std::string> dockerSizeToQuantity(const std::string& size) {
  // go-units RAMInBytes: a number, optional blank, optional unit b k m g t p (with an optional
  // trailing b or ib), case-insensitive, 1024-based.
  size_t i = 0, digits = 0;
  bool point = false;
  for (; i < size.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(size[i]))) {
      ++digits;
    } else if (size[i] == '.' && !point && digits > 0) {
      point = true;
    } else {
      break;
    }
  }
  if (digits == 0 || size[i - 1] == '.') {
    return Status(Code::kInvalidArgument, "\"" + size + "\" is not a size");
  }
  std::string number = size.substr(0, i);
  std::string unit;
  for (char c : size.substr(i)) {
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  static const std::map<std::string, std::string> kUnits = {
      {"", ""},     {"b", ""},     {"k", "Ki"}, {"kb", "Ki"}, {"kib", "Ki"}, {"m", "Mi"},
      {"mb", "Mi"}, {"mib", "Mi"}, {"g", "Gi"}, {"gb", "Gi"}, {"gib", "Gi"}, {"t", "Ti"},
      {"tb", "Ti"}, {"tib", "Ti"}, {"p", "Pi"}, {"pb", "Pi"}, {"pib", "Pi"},
  };
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) return Status(Code::kInvalidArgument, "\"" + size + "\" is not a size");
  return number + it->second;
}

Result<ContainerdPlan> translateDockerConfig(const std::string& daemonJson, const json& info,
                                             const ContainerdTarget& target) {
  json cfg = json::object();
  if (!daemonJson.empty()) {
    try {
      cfg = json::parse(daemonJson);
    } catch (const json::parse_error& e) {
      return Status(Code::kInvalidArgument,
                    "daemon.json is not valid JSON (at byte " + std::to_string(e.byte) + ")");
    }
    if (!cfg.is_object()) {
      return Status(Code::kInvalidArgument, "daemon.json must hold a JSON object");
    }
  }
  const json& in = info.is_object() ? info : json::object();
  ContainerdPlan plan;

  // Cgroup driver: daemon.json's exec-opts, else what the running engine uses.
  auto execOpts = stringList(cfg, "exec-opts");
  if (!execOpts) return execOpts.status();
  std::string fileDriver;
  for (const auto& opt : *execOpts) {
    auto eq = opt.find('=');
    std::string key = opt.substr(0, eq);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (key == "native.cgroupdriver" && eq != std::string::npos) {
      fileDriver = opt.substr(eq + 1);
    } else {
      plan.unsupported.push_back({"exec-opts", opt, "no containerd equivalent"});
    }
  }
  std::string engineDriver = common::jsonString(in, "CgroupDriver");
  if (engineDriver == "none") {
    // Rootless Docker without cgroup delegation: containerd needs a driver all the same.
    plan.notes.push_back("the running engine uses no cgroup driver (rootless?): cgroupfs");
    engineDriver = "cgroupfs";
  }
  plan.cgroupDriver = !fileDriver.empty()     ? fileDriver
                      : !engineDriver.empty() ? engineDriver
                                              : "cgroupfs";
  if (!fileDriver.empty() && !engineDriver.empty() && fileDriver != engineDriver) {
    plan.notes.push_back("daemon.json asks for the " + fileDriver +
                         " cgroup driver but the running engine uses " + engineDriver +
                         " (not restarted since?): using " + fileDriver);
  }
  if (plan.cgroupDriver != "systemd" && plan.cgroupDriver != "cgroupfs") {
    return Status(Code::kInvalidArgument,
                  "daemon.json: unknown cgroup driver \"" + plan.cgroupDriver + "\"");
  }
  bool systemd = plan.cgroupDriver == "systemd";
  plan.notes.push_back("cgroup driver " + plan.cgroupDriver +
                       ": SystemdCgroup = " + (systemd ? "true" : "false") +
                       ", kubelet cgroupDriver: " + plan.cgroupDriver);

  // Runtimes: the engine's (flags included), then daemon.json's.
  // The engine's answer is taken as far as it makes sense; daemon.json's errors are the user's.
  auto engineRuntimes = runtimesOf(
      in.contains("Runtimes") && in["Runtimes"].is_object() ? in["Runtimes"] : json(), "Runtimes");
  if (!engineRuntimes) return engineRuntimes.status();
  auto fileRuntimes = runtimesOf(cfg.contains("runtimes") ? cfg["runtimes"] : json(), "runtimes");
  if (!fileRuntimes) return fileRuntimes.status();
  std::map<std::string, Runtime> runtimes = *engineRuntimes;
  for (auto& [name, rt] : *fileRuntimes) runtimes[name] = rt;
  // Docker's own shim names are not runtimes anyone chose.
  runtimes.erase("io.containerd.runc.v2");
  runtimes.erase("io.containerd.runtime.v1.linux");
  if (runtimes.find("runc") == runtimes.end()) runtimes["runc"] = Runtime{};
  auto defaultRuntime = stringValue(cfg, "default-runtime");
  if (!defaultRuntime) return defaultRuntime.status();
  plan.defaultRuntime =
      !defaultRuntime->empty() ? *defaultRuntime : common::jsonString(in, "DefaultRuntime");
  if (plan.defaultRuntime.empty() || plan.defaultRuntime == "io.containerd.runc.v2") {
    plan.defaultRuntime = "runc";
  }
  if (runtimes.find(plan.defaultRuntime) == runtimes.end()) {
    return Status(Code::kInvalidArgument,
                  "daemon.json: default-runtime \"" + plan.defaultRuntime + "\" is not a runtime");
  }

  // Registries.
  auto mirrors = stringList(cfg, "registry-mirrors");
  if (!mirrors) return mirrors.status();
  std::vector<std::string> mirrorList = *mirrors;
  if (in.contains("RegistryConfig") && in["RegistryConfig"].is_object()) {
    const json& rc = in["RegistryConfig"];
    if (rc.contains("Mirrors") && rc["Mirrors"].is_array()) {
      for (const auto& m : rc["Mirrors"]) {
        if (m.is_string()) mirrorList.push_back(m.get<std::string>());
      }
    }
  }
  auto insecure = stringList(cfg, "insecure-registries");
  if (!insecure) return insecure.status();
  std::vector<std::string> insecureList = *insecure;
  if (in.contains("RegistryConfig") && in["RegistryConfig"].is_object()) {
    const json& rc = in["RegistryConfig"];
    if (rc.contains("IndexConfigs") && rc["IndexConfigs"].is_object()) {
      for (const auto& [name, ic] : rc["IndexConfigs"].items()) {
        if (ic.is_object() && ic.contains("Secure") && ic["Secure"] == false &&
            name != "docker.io") {
          insecureList.push_back(name);
        }
      }
    }
    if (rc.contains("InsecureRegistryCIDRs") && rc["InsecureRegistryCIDRs"].is_array()) {
      for (const auto& c : rc["InsecureRegistryCIDRs"]) {
        // Docker's own default: every loopback registry is insecure.
        if (c.is_string() && c != "127.0.0.0/8" && c != "::1/128") {
          insecureList.push_back(c.get<std::string>());
        }
      }
    }
  }
  std::set<std::string> insecureHosts;
  std::set<std::string> seenInsecure;
  for (const auto& entry : insecureList) {
    if (!seenInsecure.insert(entry).second) continue;  // daemon.json's and info's
    if (looksLikeCidr(entry)) {
      plan.unsupported.push_back(
          {"insecure-registries", entry,
           "containerd names registries by host, not by network: add a certs.d/<host>/"
           "hosts.toml for each registry in it"});
      continue;
    }
    insecureHosts.insert(hostOf(entry));
  }
  std::vector<std::string> uniqueMirrors;
  for (const auto& m : mirrorList) {
    std::string url = mirrorUrl(m);
    if (std::find(uniqueMirrors.begin(), uniqueMirrors.end(), url) == uniqueMirrors.end()) {
      uniqueMirrors.push_back(url);
    }
  }
  if (!uniqueMirrors.empty()) {
    std::ostringstream h;
    h << "# Docker Hub through the mirrors Docker used (registry-mirrors), in order.\n"
      << "server = \"https://registry-1.docker.io\"\n";
    for (const auto& url : uniqueMirrors) {
      h << "\n[host." << tomlString(url) << "]\n  capabilities = [\"pull\", \"resolve\"]\n";
      if (url.rfind("https://", 0) == 0 && insecureHosts.count(hostOf(url)) != 0) {
        // An insecure mirror: unverified HTTPS, then plain HTTP, as Docker tried it.
        h << "  skip_verify = true\n";
        h << "\n[host." << tomlString("http://" + hostOf(url)) << "]\n"
          << "  capabilities = [\"pull\", \"resolve\"]\n";
      }
    }
    plan.hostsToml["docker.io"] = h.str();
    plan.notes.push_back("registry mirrors: certs.d/docker.io/hosts.toml");
  }
  for (const auto& host : insecureHosts) {
    if (host == "docker.io") continue;
    std::ostringstream h;
    // Docker's rule for an insecure registry: HTTPS without verifying its certificate, then
    // plain HTTP. containerd tries the hosts in order and moves on when one fails.
    h << "# " << host << " was an insecure registry for Docker (insecure-registries).\n"
      << "server = " << tomlString("https://" + host) << "\n\n"
      << "[host." << tomlString("https://" + host) << "]\n"
      << "  capabilities = [\"pull\", \"resolve\", \"push\"]\n  skip_verify = true\n\n"
      << "[host." << tomlString("http://" + host) << "]\n"
      << "  capabilities = [\"pull\", \"resolve\", \"push\"]\n";
    plan.hostsToml[host] = h.str();
    plan.notes.push_back("insecure registry " + host + ": certs.d/" + host + "/hosts.toml");
  }

  // Logs: rotation moves to the kubelet.
  auto logDriver = stringValue(cfg, "log-driver");
  if (!logDriver) return logDriver.status();
  std::string driver =
      !logDriver->empty() ? *logDriver : common::jsonString(in, "LoggingDriver", "json-file");
  std::string maxSize, maxFiles;
  if (cfg.contains("log-opts") && !cfg["log-opts"].is_null()) {
    if (!cfg["log-opts"].is_object()) return wrongType("log-opts", "an object of strings");
    for (const auto& [k, v] : cfg["log-opts"].items()) {
      if (!v.is_string()) return wrongType("log-opts." + k, "a string");
      std::string value = v.get<std::string>();
      if (k == "max-size" && (driver == "json-file" || driver == "local")) {
        auto q = dockerSizeToQuantity(value);
        if (!q)
          return Status(Code::kInvalidArgument,
                        "daemon.json: log-opts.max-size: " + q.status().message());
        maxSize = *q;
      } else if (k == "max-file" && (driver == "json-file" || driver == "local")) {
        char* end = nullptr;
        long n = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || n < 1) {
          return Status(Code::kInvalidArgument,
                        "daemon.json: log-opts.max-file \"" + value + "\" is not a count");
        }
        if (n < 2) {
          plan.notes.push_back(
              "log-opts max-file 1 becomes containerLogMaxFiles 2 (the "
              "kubelet's minimum)");
          n = 2;
        }
        maxFiles = std::to_string(n);
      } else if (k == "compress") {
        plan.notes.push_back("log-opts compress: the kubelet compresses rotated logs itself");
      } else {
        plan.unsupported.push_back(
            {"log-opts." + k, value, "the kubelet's log rotation has no such option"});
      }
    }
  }
  if (driver == "local" && maxSize.empty()) maxSize = "20Mi";  // Docker's defaults for local
  if (driver == "local" && maxFiles.empty()) maxFiles = "5";
  if (driver != "json-file" && driver != "local") {
    plan.unsupported.push_back(
        {"log-driver", driver,
         "containerd writes container output only to CRI log files under /var/log/pods: ship "
         "logs from there (a node agent) instead of through a Docker log driver"});
  } else if (maxSize.empty() && driver == "json-file") {
    plan.notes.push_back(
        "Docker kept json-file logs without limit; the kubelet rotates at its "
        "containerLogMaxSize (10Mi unless set)");
  }

  // Smaller settings with a direct equivalent.
  std::string debugLevel;
  auto debug = boolValue(cfg, "debug");
  if (!debug) return debug.status();
  auto level = stringValue(cfg, "log-level");
  if (!level) return level.status();
  if (!level->empty()) debugLevel = *level == "warning" ? "warn" : *level;
  if (debug->value_or(false)) debugLevel = "debug";
  std::optional<int64_t> downloads;
  if (cfg.contains("max-concurrent-downloads")) {
    if (!cfg["max-concurrent-downloads"].is_number_integer()) {
      return wrongType("max-concurrent-downloads", "a whole number");
    }
    downloads = cfg["max-concurrent-downloads"].get<int64_t>();
  }
  auto selinux = boolValue(cfg, "selinux-enabled");
  if (!selinux) return selinux.status();

  for (const auto& [key, value] : cfg.items()) {
    if (kTranslated.count(key) != 0) continue;
    auto it = knownUnsupported().find(key);
    plan.unsupported.push_back({key, valueText(value),
                                it != knownUnsupported().end()
                                    ? it->second
                                    : "not a setting this translator knows: check it by hand"});
  }

  // config.toml (version 2, as containerd 1.5 to 1.7 read it).
  std::ostringstream t;
  t << "# containerd for the kubelet, translated from Docker's settings by dockershim migrate "
       "config.\n"
    << "version = 2\n"
    << "root = " << tomlString(target.root) << "\n"
    << "state = " << tomlString(target.state) << "\n\n"
    << "[grpc]\n  address = " << tomlString(target.address) << "\n\n"
    << "[ttrpc]\n  address = " << tomlString(target.address + ".ttrpc") << "\n";
  if (!debugLevel.empty()) t << "\n[debug]\n  level = " << tomlString(debugLevel) << "\n";
  t << "\n[" << kCri << "]\n";
  if (!target.sandboxImage.empty()) {
    t << "  sandbox_image = " << tomlString(target.sandboxImage) << "\n";
  }
  if (downloads) t << "  max_concurrent_downloads = " << *downloads << "\n";
  if (selinux->value_or(false)) t << "  enable_selinux = true\n";
  if (target.restrictOomScoreAdj) {
    t << "  # This host cannot lower oom_score_adj (no CAP_SYS_RESOURCE); a real node can.\n"
      << "  restrict_oom_score_adj = true\n";
  }
  t << "\n  [" << kCri << ".cni]\n"
    << "    bin_dir = " << tomlString(target.cniBinDir) << "\n"
    << "    conf_dir = " << tomlString(target.cniConfDir) << "\n"
    << "\n  [" << kCri << ".registry]\n"
    << "    config_path = " << tomlString(target.certsDir) << "\n"
    << "\n  [" << kCri << ".containerd]\n"
    << "    snapshotter = \"overlayfs\"\n"
    << "    default_runtime_name = " << tomlString(plan.defaultRuntime) << "\n";
  for (const auto& [name, rt] : runtimes) {
    std::string table = std::string(kCri) + ".containerd.runtimes." + tomlKey(name);
    plan.runtimeHandlers.push_back(name);
    t << "\n    [" << table << "]\n"
      << "      runtime_type = " << tomlString(rt.type.empty() ? "io.containerd.runc.v2" : rt.type)
      << "\n";
    t << "      [" << table << ".options]\n";
    if (rt.type.empty()) {
      if (!rt.path.empty() && rt.path != "runc") {
        t << "        BinaryName = " << tomlString(rt.path) << "\n";
      }
      t << "        SystemdCgroup = " << (systemd ? "true" : "false") << "\n";
      if (!rt.args.empty()) {
        std::string args;
        for (const auto& a : rt.args) args += (args.empty() ? "" : " ") + a;
        plan.unsupported.push_back(
            {"runtimes." + name + ".runtimeArgs", args,
             "containerd's runc shim passes no extra arguments: wrap the binary in a script "
             "that adds them and name it in BinaryName"});
      }
    } else {
      // Docker 23+ may name runc's shim itself: its cgroups must follow the kubelet's driver.
      if (rt.type == "io.containerd.runc.v2" && !rt.options.contains("SystemdCgroup")) {
        t << "        SystemdCgroup = " << (systemd ? "true" : "false") << "\n";
      }
      for (const auto& [k, v] : rt.options.items()) {
        if (v.is_primitive()) {
          t << "        " << tomlKey(k) << " = " << tomlScalar(v) << "\n";
        } else {
          plan.unsupported.push_back({"runtimes." + name + ".options." + k, v.dump(),
                                      "only plain values are carried over"});
        }
      }
    }
  }
  plan.configToml = t.str();
  plan.notes.push_back("runtime handlers (RuntimeClass handler names kept): " + [&] {
    std::string s;
    for (const auto& h : plan.runtimeHandlers) s += (s.empty() ? "" : ", ") + h;
    return s;
  }() + "; default " + plan.defaultRuntime);

  std::ostringstream k;
  k << "# Merge into the kubelet's configuration file (KubeletConfiguration); on kubelets\n"
    << "# before 1.27 pass --container-runtime-endpoint instead of containerRuntimeEndpoint.\n"
    << "apiVersion: kubelet.config.k8s.io/v1beta1\n"
    << "kind: KubeletConfiguration\n"
    << "containerRuntimeEndpoint: unix://" << target.address << "\n"
    << "cgroupDriver: " << plan.cgroupDriver << "\n";
  if (!maxSize.empty()) k << "containerLogMaxSize: " << maxSize << "\n";
  if (!maxFiles.empty()) k << "containerLogMaxFiles: " << maxFiles << "\n";
  plan.kubeletConfig = k.str();
  return plan;
}

}  // namespace dockershim::migrate
