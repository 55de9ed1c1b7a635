#include "translate/sandbox_config.h"

#include <optional>
#include <vector>

#include "docker/api_version.h"
#include "translate/labels.h"
#include "translate/naming.h"

namespace dockershim::translate {

using nlohmann::json;
namespace v1 = runtime::v1;

namespace {

bool atLeast(std::string_view apiVersion, std::string_view min) {
  return apiVersion.empty() || docker::compareApiVersions(apiVersion, min) >= 0;
}

// "net.ipv4.conf.eth0.forwarding" -> "net.ipv4.conf.IFNAME.forwarding", as Docker's endpoint
// sysctls name the interface; nullopt for any other sysctl.
std::optional<std::string> eth0Sysctl(std::string_view key) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (parts.size() < 4) {
    size_t dot = key.find('.', pos);
    if (dot == std::string_view::npos) return std::nullopt;
    parts.push_back(key.substr(pos, dot - pos));
    pos = dot + 1;
  }
  if (parts[0] != "net" || parts[3] != "eth0" || pos >= key.size()) return std::nullopt;
  return "net." + std::string(parts[1]) + "." + std::string(parts[2]) + ".IFNAME." +
         std::string(key.substr(pos));
}

}  // namespace

Result<std::string> dockerCgroupParent(std::string_view cgroupParent, std::string_view driver) {
  if (cgroupParent.empty() || driver != "systemd") return std::string(cgroupParent);
  std::string_view base = cgroupParent.substr(cgroupParent.rfind('/') + 1);
  if (base.size() > 6 && base.substr(base.size() - 6) == ".slice") return std::string(base);
  // cgroupfs-style path under the systemd driver: each component becomes a slice level;
  // systemd reserves '-' as the level separator, so a '-' inside a component is written '_'.
  std::string out;
  size_t pos = 0;
  while (pos <= cgroupParent.size()) {
    size_t next = cgroupParent.find('/', pos);
    std::string_view part =
        cgroupParent.substr(pos, next == std::string_view::npos ? next : next - pos);
    if (!part.empty()) {
      if (part == "." || part == "..") {
        return Status(Code::kInvalidArgument,
                      "cgroup parent \"" + std::string(cgroupParent) + "\" is not a cgroup path");
      }
      if (!out.empty()) out += '-';
      for (char c : part) out += c == '-' ? '_' : c;
    }
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  if (out.empty()) return std::string();
  return out + ".slice";
}

std::string resolvConf(const v1::DNSConfig& dns) {
  if (dns.servers().empty() && dns.searches().empty() && dns.options().empty()) return "";
  std::string out;
  for (const auto& s : dns.servers()) out += "nameserver " + s + "\n";
  if (!dns.searches().empty()) {
    out += "search";
    for (const auto& s : dns.searches()) out += " " + s;
    out += "\n";
  }
  if (!dns.options().empty()) {
    out += "options";
    for (const auto& o : dns.options()) out += " " + o;
    out += "\n";
  }
  return out;
}

Result<json> makeSandboxCreateBody(const v1::PodSandboxConfig& config,
                                   const SandboxCreateContext& ctx) {
  const auto& meta = config.metadata();
  if (meta.name().empty() || meta.namespace_().empty() || meta.uid().empty()) {
    return Status(Code::kInvalidArgument,
                  "sandbox config: metadata name, namespace and uid are required");
  }
  const auto& linux = config.linux();
  const auto& sc = linux.security_context();
  const auto& ns = sc.namespace_options();
  if (ns.network() == v1::TARGET || ns.ipc() == v1::TARGET || ns.pid() == v1::TARGET) {
    return Status(Code::kInvalidArgument,
                  "sandbox config: namespace mode TARGET applies to containers, not sandboxes");
  }
  const bool hostNetwork = ns.network() == v1::NODE;

  json labels = json::object();
  for (const auto& [k, v] : makeDockerLabels(config.labels(), config.annotations())) labels[k] = v;
  labels[kContainerTypeLabel] = kContainerTypeSandbox;
  // compat: dockershim labels the pause container with the container name "POD".
  labels[kKubernetesContainerNameLabel] = std::string(kSandboxContainerName);
  // Only for a handler other than the default, so the labels stay exactly cri-dockerd's (a
  // node can switch back); without it, the default handler is read back as "".
  if (!ctx.runtimeHandler.empty()) labels[kRuntimeHandlerLabel] = ctx.runtimeHandler;

  json host = json::object();
  host["NetworkMode"] = hostNetwork ? "host" : ctx.dockerBridge ? "bridge" : "none";
  json exposed = json::object();
  if (!hostNetwork && ctx.dockerBridge) {
    json bindings = json::object();
    for (const auto& pm : config.port_mappings()) {
      if (pm.container_port() <= 0 || pm.container_port() > 65535 || pm.host_port() < 0 ||
          pm.host_port() > 65535) {
        return Status(Code::kInvalidArgument,
                      "sandbox config: port mapping " + std::to_string(pm.container_port()) +
                          " -> " + std::to_string(pm.host_port()) + " is out of range");
      }
      if (pm.host_port() == 0) continue;  // no host port: nothing to publish
      std::string proto = pm.protocol() == v1::UDP    ? "udp"
                          : pm.protocol() == v1::SCTP ? "sctp"
                                                      : "tcp";
      std::string key = std::to_string(pm.container_port()) + "/" + proto;
      exposed[key] = json::object();
      bindings[key].push_back(
          {{"HostIp", pm.host_ip()}, {"HostPort", std::to_string(pm.host_port())}});
    }
    if (!bindings.empty()) host["PortBindings"] = bindings;
  }
  if (ns.ipc() == v1::NODE) {
    host["IpcMode"] = "host";
  } else if (atLeast(ctx.apiVersion, "1.32")) {
    // Docker API 1.32: "shareable" lets the pod's containers join this IPC namespace.
    host["IpcMode"] = "shareable";
  }
  if (ns.pid() == v1::NODE) host["PidMode"] = "host";
  // Docker API 1.46: sysctls of one interface of the container's own network belong to its
  // endpoint ("net.ipv4.conf.IFNAME.x=v" in DriverOpts); Docker moved eth0's there itself until
  // 1.47 and refuses them in HostConfig.Sysctls from 1.48. Only Docker's bridge gives the pause
  // container an eth0 when it starts (CNI adds it later).
  const bool endpointSysctls = !hostNetwork && ctx.dockerBridge && atLeast(ctx.apiVersion, "1.46");
  std::string endpointOpts;
  if (!linux.sysctls().empty()) {
    json sysctls = json::object();
    for (const auto& [k, v] : linux.sysctls()) {
      if (auto perInterface = eth0Sysctl(k); endpointSysctls && perInterface) {
        endpointOpts += (endpointOpts.empty() ? "" : ",") + *perInterface + "=" + v;
        continue;
      }
      sysctls[k] = v;
    }
    if (!sysctls.empty()) host["Sysctls"] = sysctls;
  }
  auto cgroupParent = dockerCgroupParent(linux.cgroup_parent(), ctx.cgroupDriver);
  if (!cgroupParent) return cgroupParent.status();
  if (!cgroupParent->empty()) host["CgroupParent"] = *cgroupParent;
  if (!ctx.dockerRuntime.empty()) host["Runtime"] = ctx.dockerRuntime;
  host["OomScoreAdj"] = ctx.canLowerOomScore ? kSandboxOomScoreAdj : 0;
  if (sc.privileged()) host["Privileged"] = true;
  if (sc.readonly_rootfs()) host["ReadonlyRootfs"] = true;
  if (!sc.supplemental_groups().empty()) {
    json groups = json::array();
    for (auto g : sc.supplemental_groups()) groups.push_back(std::to_string(g));
    host["GroupAdd"] = groups;
  }
  json securityOpt = json::array();
  // The pause program needs no syscalls beyond the default profile; Unconfined is honoured.
  if (sc.seccomp().profile_type() == v1::SecurityProfile::Unconfined) {
    securityOpt.push_back("seccomp=unconfined");
  }
  const auto& se = sc.selinux_options();
  if (!se.user().empty()) securityOpt.push_back("label=user:" + se.user());
  if (!se.role().empty()) securityOpt.push_back("label=role:" + se.role());
  if (!se.type().empty()) securityOpt.push_back("label=type:" + se.type());
  if (!se.level().empty()) securityOpt.push_back("label=level:" + se.level());
  if (!securityOpt.empty()) host["SecurityOpt"] = securityOpt;

  json body = {{"Image", ctx.image}, {"Labels", labels}, {"HostConfig", host}};
  if (!endpointOpts.empty()) {
    body["NetworkingConfig"] = {
        {"EndpointsConfig",
         {{"bridge", {{"DriverOpts", {{"com.docker.network.endpoint.sysctls", endpointOpts}}}}}}}};
  }
  if (!hostNetwork && !config.hostname().empty()) body["Hostname"] = config.hostname();
  if (!exposed.empty()) body["ExposedPorts"] = exposed;
  if (sc.has_run_as_user()) {
    std::string user = std::to_string(sc.run_as_user().value());
    if (sc.has_run_as_group()) user += ":" + std::to_string(sc.run_as_group().value());
    body["User"] = user;
  } else if (sc.has_run_as_group()) {
    return Status(Code::kInvalidArgument, "sandbox config: run_as_group needs run_as_user");
  }
  return body;
}

}  // namespace dockershim::translate
