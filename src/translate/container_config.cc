#include "translate/container_config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

#include "common/capabilities.h"
#include "translate/labels.h"

// CRI ContainerConfig -> Docker POST /containers/create, the way dockershim and cri-dockerd
// built it (Entrypoint/Cmd, Binds, namespaces joined from the pause container), checked against
// the Docker Engine API reference. Every field below exists in API 1.24 (Docker 1.12, the oldest
// daemon the client accepts) unless a kApi* constant gates it.

namespace dockershim::translate {

using nlohmann::json;
namespace v1 = runtime::v1;

namespace {

struct ApiVersion {
  int major = 0;
  int minor = 0;
  bool atLeast(ApiVersion other) const {
    return major != other.major ? major > other.major : minor >= other.minor;
  }
};

// Docker API: HostConfig.MaskedPaths and ReadonlyPaths appear in v1.38 (Docker 18.06).
constexpr ApiVersion kApiMaskedPaths{1, 38};
// Docker API: CapAdd/CapDrop take "CAP_"-prefixed names from v1.40 (Docker 19.03); older daemons
// prefix every name themselves and reject "CAP_CAP_X".
constexpr ApiVersion kApiCapPrefix{1, 40};
// Docker 20.10 (API 1.41) answers "unknown capability" for PERFMON, BPF and CHECKPOINT_RESTORE
// (seen with Debian 12's docker.io 20.10.24); Docker 23 (API 1.42) knows them.
constexpr ApiVersion kApiNewCapabilities{1, 42};
// Docker API 1.44: read-only Binds become recursively read-only where the kernel can (5.12+),
// and HostConfig.Mounts' BindOptions gain ReadOnlyNonRecursive and ReadOnlyForceRecursive.
constexpr ApiVersion kApiRecursiveReadOnly{1, 44};
constexpr ApiVersion kNewestApi{1, 55};

std::optional<ApiVersion> parseApiVersion(std::string_view text) {
  if (text.empty()) return kNewestApi;
  ApiVersion v;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v.major);
  if (ec != std::errc() || p == end || *p != '.') return std::nullopt;
  auto [q, ec2] = std::from_chars(p + 1, end, v.minor);
  if (ec2 != std::errc() || q != end) return std::nullopt;
  return v;
}

constexpr auto& kCapabilities = common::kCapabilityNames;
constexpr int kCapAuditRead = 37;
using common::kCapSysResource;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Status invalid(std::string message) { return {Code::kInvalidArgument, std::move(message)}; }

json stringArray(const google::protobuf::RepeatedPtrField<std::string>& items) {
  json out = json::array();
  for (const auto& s : items) out.push_back(s);
  return out;
}

// The deprecated string forms of seccomp and AppArmor profiles: older kubelets send only these.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
const std::string& deprecatedSeccompPath(const v1::LinuxContainerSecurityContext& sc) {
  return sc.seccomp_profile_path();
}
const std::string& deprecatedApparmorProfile(const v1::LinuxContainerSecurityContext& sc) {
  return sc.apparmor_profile();
}
#pragma GCC diagnostic pop

// CRI features dockershim does not express through Docker's API. kubelet only sends most of them
// to runtimes that advertise the feature, which this one does not; dropping them would run the
// container with less isolation or fewer devices than asked, so they are refused.
Status checkExpressible(const v1::ContainerConfig& config, const v1::NamespaceOption& ns) {
  if (config.cdi_devices_size() > 0) {
    return invalid("CDI devices are not supported through Docker by dockershim");
  }
  const auto& sc = config.linux().security_context();
  if (sc.capabilities().add_ambient_capabilities_size() > 0) {
    return invalid("ambient capabilities cannot be set through Docker");
  }
  if (sc.supplemental_groups_policy() == v1::Strict) {
    return invalid(
        "supplemental_groups_policy Strict cannot be expressed: Docker always adds "
        "the image's groups");
  }
  if (ns.has_userns_options() && ns.userns_options().mode() != v1::NODE) {
    return invalid("user namespaces per pod are not supported (Docker remaps users daemon-wide)");
  }
  return Status::ok();
}

// Containers join the pause container's namespaces, as dockershim did: network always (a
// host-network pod's pause container is itself in the host namespace), IPC unless the pod uses
// the host's, PID per CRI mode.
Status applyNamespaces(const v1::NamespaceOption& ns, const std::string& sandboxId, json& host) {
  const std::string sandboxNs = "container:" + sandboxId;
  if (ns.network() == v1::TARGET || ns.ipc() == v1::TARGET) {
    return invalid("namespace mode TARGET applies to the PID namespace only");
  }
  host["NetworkMode"] = sandboxNs;
  // compat: dockershim gave host-network containers the host's UTS namespace (its hostname).
  if (ns.network() == v1::NODE) host["UTSMode"] = "host";
  host["IpcMode"] = ns.ipc() == v1::NODE ? "host" : sandboxNs;
  switch (ns.pid()) {
    case v1::CONTAINER:
      break;  // Docker's default: a PID namespace of its own
    case v1::POD:
      host["PidMode"] = sandboxNs;
      break;
    case v1::NODE:
      host["PidMode"] = "host";
      break;
    case v1::TARGET:
      if (ns.target_id().empty()) return invalid("PID namespace mode TARGET without target_id");
      host["PidMode"] = "container:" + ns.target_id();
      break;
    default:
      return invalid("unknown PID namespace mode " + std::to_string(ns.pid()));
  }
  return Status::ok();
}

// The bind mounts of a container: HostConfig.Binds strings, and from API 1.44 HostConfig.Mounts
// for read-only ones.
struct BindMounts {
  json binds = json::array();
  json mounts = json::array();
};

// compat: CRI mounts become Binds "<host>:<container>[:opts]" as in dockershim. Binds create a
// missing host directory and read the same on every API version but one way: from API 1.44 a
// read-only bind is made recursively read-only where the kernel can. CRI's read-only is not
// recursive unless the mount asks (recursive_read_only), so from 1.44 read-only mounts are
// HostConfig.Mounts entries that say which they want (CreateMountpoint, API 1.42, keeps the
// missing-directory behaviour). Mounts cannot relabel for SELinux, so a read-only mount that
// asks for a relabel stays a bind, recursively read-only as Docker makes it.
Result<BindMounts> makeBinds(const v1::ContainerConfig& config, ApiVersion api) {
  BindMounts out;
  const bool rroApi = api.atLeast(kApiRecursiveReadOnly);
  for (const auto& m : config.mounts()) {
    const std::string& hostPath = m.host_path();
    const std::string& ctrPath = m.container_path();
    const std::string where = "mount \"" + hostPath + "\" -> \"" + ctrPath + "\": ";
    if (m.has_image() && !m.image().image().empty()) {
      return invalid(where + "image volumes are not supported through Docker");
    }
    // A relative source would name a Docker volume, not a host path.
    if (hostPath.empty() || hostPath.front() != '/') {
      return invalid(where + "host path must be absolute");
    }
    if (ctrPath.empty() || ctrPath.front() != '/') {
      return invalid(where + "container path must be absolute");
    }
    if (hostPath.find(':') != std::string::npos || ctrPath.find(':') != std::string::npos) {
      return invalid(where + "a path with ':' cannot be written as a Docker bind");
    }
    if (m.recursive_read_only()) {
      if (!rroApi) return invalid(where + "recursive read-only mounts need Docker API 1.44");
      // CRI: as containerd checks, recursive read-only needs a read-only, private mount.
      if (!m.readonly()) return invalid(where + "recursive read-only needs a read-only mount");
      if (m.propagation() != v1::PROPAGATION_PRIVATE) {
        return invalid(where + "recursive read-only needs private propagation");
      }
      if (m.selinux_relabel()) {
        return invalid(where + "Docker cannot relabel a recursive read-only mount");
      }
    }
    if (m.uidmappings_size() > 0 || m.gidmappings_size() > 0) {
      return invalid(where + "ID-mapped mounts are not supported by Docker");
    }
    std::string propagation;
    switch (m.propagation()) {
      case v1::PROPAGATION_PRIVATE:
        break;  // Docker's default for binds ("rprivate")
      case v1::PROPAGATION_HOST_TO_CONTAINER:
        propagation = "rslave";
        break;
      case v1::PROPAGATION_BIDIRECTIONAL:
        propagation = "rshared";
        break;
      default:
        return invalid(where + "unknown propagation " + std::to_string(m.propagation()));
    }
    if (rroApi && m.readonly() && !m.selinux_relabel()) {
      json bindOptions = {{"CreateMountpoint", true},
                          {"Propagation", propagation.empty() ? "rprivate" : propagation}};
      bindOptions[m.recursive_read_only() ? "ReadOnlyForceRecursive" : "ReadOnlyNonRecursive"] =
          true;
      out.mounts.push_back({{"Type", "bind"},
                            {"Source", hostPath},
                            {"Target", ctrPath},
                            {"ReadOnly", true},
                            {"BindOptions", std::move(bindOptions)}});
      continue;
    }
    std::vector<std::string> opts;
    if (m.readonly()) opts.emplace_back("ro");
    // compat: dockershim asked for a private relabel; kubelet sets the flag only when the pod
    // has an SELinux label, so the volume is not bound to one container's random MCS label.
    if (m.selinux_relabel()) opts.emplace_back("Z");
    if (!propagation.empty()) opts.push_back(propagation);
    std::string bind = hostPath + ":" + ctrPath;
    for (size_t i = 0; i < opts.size(); ++i) bind += (i == 0 ? ":" : ",") + opts[i];
    out.binds.push_back(std::move(bind));
  }
  return out;
}

Result<json> makeDevices(const v1::ContainerConfig& config) {
  json devices = json::array();
  for (const auto& d : config.devices()) {
    if (d.host_path().empty()) return invalid("device without host_path");
    // CRI: permissions are any of r, w, m; Docker's CLI writes "rwm" when none are given.
    std::string perms = d.permissions().empty() ? "rwm" : d.permissions();
    if (perms.find_first_not_of("rwm") != std::string::npos) {
      return invalid("device \"" + d.host_path() + "\": invalid permissions \"" + perms + "\"");
    }
    devices.push_back(
        {{"PathOnHost", d.host_path()},
         {"PathInContainer", d.container_path().empty() ? d.host_path() : d.container_path()},
         {"CgroupPermissions", perms}});
  }
  return devices;
}

// CRI run_as_user / run_as_username / run_as_group -> Config.User ("user[:gid]").
Result<std::string> makeUser(const v1::LinuxContainerSecurityContext& sc) {
  std::string user;
  if (sc.has_run_as_user()) {
    if (sc.run_as_user().value() < 0) return invalid("run_as_user must not be negative");
    user = std::to_string(sc.run_as_user().value());
  }
  // As in cri-dockerd and containerd, a user name wins over a uid (kubelet sends one of them).
  if (!sc.run_as_username().empty()) user = sc.run_as_username();
  if (sc.has_run_as_group()) {
    // CRI: run_as_group is only valid together with a user.
    if (user.empty()) return invalid("run_as_group is set without run_as_user or run_as_username");
    if (sc.run_as_group().value() < 0) return invalid("run_as_group must not be negative");
    user += ":" + std::to_string(sc.run_as_group().value());
  }
  return user;
}

// The capability names for Docker: CAP_-prefixed from API 1.40, bare before.
Result<json> capabilityList(const google::protobuf::RepeatedPtrField<std::string>& names,
                            uint64_t hostCapabilities, ApiVersion api) {
  auto caps = dockerCapabilities(names, hostCapabilities);
  if (!caps) return caps.status();
  json out = json::array();
  for (auto& c : *caps) out.push_back(api.atLeast(kApiCapPrefix) ? c : c.substr(4));
  return out;
}

// Docker's SecurityOpt "seccomp=..." value, or nothing for Docker's default profile.
Result<std::optional<std::string>> seccompValue(const v1::LinuxContainerSecurityContext& sc,
                                                const ContainerCreateContext& ctx) {
  using Opt = std::optional<std::string>;
  // Docker runs privileged containers without seccomp whatever is asked (so does containerd);
  // skipping also avoids failing on a profile file that would not be used.
  if (sc.privileged()) return Opt();
  std::string localhost;
  if (sc.has_seccomp()) {
    switch (sc.seccomp().profile_type()) {
      case v1::SecurityProfile::RuntimeDefault:
        return Opt();  // nothing: Docker applies its default (or the daemon's configured) profile
      case v1::SecurityProfile::Unconfined:
        return Opt("unconfined");
      case v1::SecurityProfile::Localhost:
        localhost = sc.seccomp().localhost_ref();
        break;
      default:
        return invalid("unknown seccomp profile type " +
                       std::to_string(sc.seccomp().profile_type()));
    }
  } else {
    const std::string& path = deprecatedSeccompPath(sc);
    // compat: no profile at all means unconfined in dockershim and in CRI (critest checks it).
    if (path.empty() || path == "unconfined") return Opt("unconfined");
    if (path == "runtime/default" || path == "docker/default") return Opt();
    if (path.rfind("localhost/", 0) != 0) {
      return invalid("unknown seccomp profile \"" + path + "\"");
    }
    localhost = path.substr(10);
  }
  if (localhost.empty() || localhost.front() != '/') {
    return invalid("seccomp profile path must be absolute, got \"" + localhost + "\"");
  }
  if (!ctx.readFile) return Status(Code::kInternal, "no reader for seccomp profiles");
  auto text = ctx.readFile(localhost);
  if (!text) return text.status().withContext("seccomp profile \"" + localhost + "\"");
  // Docker takes the profile inline; sent compact and only once it is known to be JSON.
  json profile = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (profile.is_discarded() || !profile.is_object()) {
    return invalid("seccomp profile \"" + localhost + "\" is not a JSON object");
  }
  return Opt(profile.dump(-1, ' ', false, json::error_handler_t::replace));
}

// Docker's SecurityOpt "apparmor=..." value, or nothing for Docker's default profile.
Result<std::optional<std::string>> apparmorValue(const v1::LinuxContainerSecurityContext& sc,
                                                 bool apparmorEnabled) {
  using Opt = std::optional<std::string>;
  constexpr std::string_view kLocalhostPrefix = "localhost/";
  Opt profile;
  bool localhost = false;
  if (sc.has_apparmor()) {
    switch (sc.apparmor().profile_type()) {
      case v1::SecurityProfile::RuntimeDefault:
        break;
      case v1::SecurityProfile::Unconfined:
        profile = "unconfined";
        break;
      case v1::SecurityProfile::Localhost: {
        std::string_view name = sc.apparmor().localhost_ref();
        if (name.starts_with(kLocalhostPrefix)) name.remove_prefix(kLocalhostPrefix.size());
        if (name.empty()) return invalid("AppArmor Localhost profile without a name");
        profile = std::string(name);
        localhost = true;
        break;
      }
      default:
        return invalid("unknown AppArmor profile type " +
                       std::to_string(sc.apparmor().profile_type()));
    }
  } else {
    std::string_view name = deprecatedApparmorProfile(sc);
    if (name == "unconfined") {
      profile = "unconfined";
    } else if (name.starts_with(kLocalhostPrefix) && name.size() > kLocalhostPrefix.size()) {
      profile = std::string(name.substr(kLocalhostPrefix.size()));
      localhost = true;
    } else if (!name.empty() && name != "runtime/default") {
      return invalid("unknown AppArmor profile \"" + std::string(name) + "\"");
    }
  }
  if (!apparmorEnabled) {
    // Without AppArmor the default and unconfined are the same thing; a named profile is not,
    // and running without it would be a silent loss of confinement.
    if (localhost) {
      return Status(Code::kFailedPrecondition,
                    "AppArmor profile \"" + *profile + "\" requested but AppArmor is not enabled");
    }
    return Opt();
  }
  return profile;
}

Result<json> makeSecurityOpt(const v1::LinuxContainerSecurityContext& sc,
                             const ContainerCreateContext& ctx) {
  // Separator '=' (Docker API >= 1.23); ':' was for older daemons the client refuses anyway.
  json opts = json::array();
  const auto& se = sc.selinux_options();
  if (!se.user().empty()) opts.push_back("label=user:" + se.user());
  if (!se.role().empty()) opts.push_back("label=role:" + se.role());
  if (!se.type().empty()) opts.push_back("label=type:" + se.type());
  if (!se.level().empty()) opts.push_back("label=level:" + se.level());
  auto apparmor = apparmorValue(sc, ctx.apparmorEnabled);
  if (!apparmor) return apparmor.status();
  if (*apparmor) opts.push_back("apparmor=" + **apparmor);
  if (sc.no_new_privs()) opts.push_back("no-new-privileges");
  auto seccomp = seccompValue(sc, ctx);
  if (!seccomp) return seccomp.status();
  if (*seccomp) opts.push_back("seccomp=" + **seccomp);
  return opts;
}

// HostConfig fields of the container's security context.
Status applySecurityContext(const v1::LinuxContainerSecurityContext& sc,
                            const ContainerCreateContext& ctx, ApiVersion api, json& host) {
  uint64_t grantable = ctx.hostCapabilities;
  if (!api.atLeast(kApiNewCapabilities)) grantable &= (uint64_t{1} << (kCapAuditRead + 1)) - 1;
  // Sent for privileged containers too (as cri-dockerd does); Docker then ignores them.
  auto add = capabilityList(sc.capabilities().add_capabilities(), grantable, api);
  if (!add) return add.status();
  auto drop = capabilityList(sc.capabilities().drop_capabilities(), grantable, api);
  if (!drop) return drop.status();
  if (!add->empty()) host["CapAdd"] = std::move(*add);
  if (!drop->empty()) host["CapDrop"] = std::move(*drop);

  if (sc.privileged()) host["Privileged"] = true;
  if (sc.readonly_rootfs()) host["ReadonlyRootfs"] = true;
  if (!sc.supplemental_groups().empty()) {
    json groups = json::array();
    for (int64_t g : sc.supplemental_groups()) groups.push_back(std::to_string(g));
    host["GroupAdd"] = std::move(groups);
  }
  auto opts = makeSecurityOpt(sc, ctx);
  if (!opts) return opts.status();
  if (!opts->empty()) host["SecurityOpt"] = std::move(*opts);

  // Docker: these lists replace Docker's defaults, so an empty CRI list is not sent (kubelet
  // sends its defaults; none at all keeps Docker's). A privileged container masks nothing.
  // Before API 1.38 Docker applies its own defaults, close to kubelet's.
  if (!sc.privileged() && api.atLeast(kApiMaskedPaths)) {
    if (!sc.masked_paths().empty()) host["MaskedPaths"] = stringArray(sc.masked_paths());
    if (!sc.readonly_paths().empty()) host["ReadonlyPaths"] = stringArray(sc.readonly_paths());
  }
  return Status::ok();
}

// CRI Signal enum -> Docker's signal name ("SIGRTMINPLUS1" -> "SIGRTMIN+1").
Result<std::string> stopSignal(v1::Signal signal) {
  if (!v1::Signal_IsValid(signal)) return invalid("unknown stop signal " + std::to_string(signal));
  std::string name = v1::Signal_Name(signal);
  for (auto [from, to] : {std::pair<std::string_view, std::string_view>{"PLUS", "+"},
                          std::pair<std::string_view, std::string_view>{"MINUS", "-"}}) {
    if (auto pos = name.find(from); pos != std::string::npos) name.replace(pos, from.size(), to);
  }
  return name;
}

Result<json> makeBody(const v1::ContainerConfig& config, const v1::PodSandboxConfig& sandbox,
                      const ContainerCreateContext& ctx) {
  auto api = parseApiVersion(ctx.apiVersion);
  if (!api) return Status(Code::kInternal, "invalid Docker API version \"" + ctx.apiVersion + "\"");
  if (ctx.sandboxId.empty()) return invalid("no sandbox ID");
  if (ctx.image.empty()) return invalid("no image");

  const auto& sc = config.linux().security_context();
  // kubelet repeats the pod's namespace options on every container; a caller that leaves them
  // out gets the pod's.
  const auto& ns = sc.has_namespace_options()
                       ? sc.namespace_options()
                       : sandbox.linux().security_context().namespace_options();
  if (Status st = checkExpressible(config, ns); !st) return st;

  json host = json::object();
  if (Status st = applyNamespaces(ns, ctx.sandboxId, host); !st) return st;
  auto binds = makeBinds(config, *api);
  if (!binds) return binds.status();
  if (!binds->binds.empty()) host["Binds"] = std::move(binds->binds);
  if (!binds->mounts.empty()) host["Mounts"] = std::move(binds->mounts);
  auto devices = makeDevices(config);
  if (!devices) return devices.status();
  if (!devices->empty()) host["Devices"] = std::move(*devices);
  if (!ctx.cgroupParent.empty()) host["CgroupParent"] = ctx.cgroupParent;
  if (!ctx.runtime.empty()) host["Runtime"] = ctx.runtime;

  const auto& res = config.linux().resources();
  host.update(dockerResources(res));
  if (int64_t oom = res.oom_score_adj(); oom != 0) {
    // Lowering oom_score_adj needs CAP_SYS_RESOURCE; where the host cannot grant it, runc would
    // fail the start, so the container runs at 0 (as the sandbox does).
    const bool canLower = (ctx.hostCapabilities >> kCapSysResource) & 1;
    host["OomScoreAdj"] = oom < 0 && !canLower ? 0 : oom;
  }
  if (Status st = applySecurityContext(sc, ctx, *api, host); !st) return st;
  // kubelet restarts containers; Docker must not.
  host["RestartPolicy"] = {{"Name", "no"}};

  auto user = makeUser(sc);
  if (!user) return user.status();

  json labels = json::object();
  for (const auto& [k, v] : makeDockerLabels(config.labels(), config.annotations())) labels[k] = v;
  labels[kContainerTypeLabel] = kContainerTypeContainer;
  labels[kSandboxIdLabel] = ctx.sandboxId;
  labels[kContainerLogPathLabel] = ctx.logPath;

  json env = json::array();
  for (const auto& kv : config.envs()) env.push_back(kv.key() + "=" + kv.value());

  json body = json::object();
  body["Image"] = ctx.image;
  // compat: dockershim: CRI command replaces the image's ENTRYPOINT, args its CMD; an empty one
  // is left out so the image's stays (Docker drops the image CMD once Entrypoint is given).
  if (!config.command().empty()) body["Entrypoint"] = stringArray(config.command());
  if (!config.args().empty()) body["Cmd"] = stringArray(config.args());
  if (!config.working_dir().empty()) body["WorkingDir"] = config.working_dir();
  if (!env.empty()) body["Env"] = std::move(env);
  if (!user->empty()) body["User"] = *user;
  body["Labels"] = std::move(labels);
  // compat: dockershim set these three and left the Attach* flags false: streams are attached
  // per request through the attach endpoint, never at create time.
  body["Tty"] = config.tty();
  body["OpenStdin"] = config.stdin();
  body["StdinOnce"] = config.stdin_once();
  body["AttachStdin"] = false;
  body["AttachStdout"] = false;
  body["AttachStderr"] = false;
  // compat: cri-dockerd: the image's HEALTHCHECK would run beside kubelet's probes; off.
  body["Healthcheck"] = {{"Test", json::array({"NONE"})}};
  if (config.stop_signal() != v1::RUNTIME_DEFAULT) {
    auto signal = stopSignal(config.stop_signal());
    if (!signal) return signal.status();
    body["StopSignal"] = *signal;
  }
  // Hostname is not set: the container shares the pause container's UTS settings.
  // LogConfig is not set: Docker's default driver; the shim copies logs to the CRI path itself.
  body["HostConfig"] = std::move(host);
  return body;
}

}  // namespace

Result<std::vector<std::string>> dockerCapabilities(
    const google::protobuf::RepeatedPtrField<std::string>& names, uint64_t hostCapabilities) {
  std::vector<std::string> out;
  auto add = [&out](std::string name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  };
  for (const auto& raw : names) {
    std::string name = upper(raw);
    // Docker would expand ALL to every capability it knows, including ones outside the host's
    // bounding set, which runc cannot grant: expanded here to what the host has.
    if (name == "ALL") {
      for (size_t bit = 0; bit < kCapabilities.size(); ++bit) {
        if ((hostCapabilities >> bit) & 1) add("CAP_" + std::string(kCapabilities[bit]));
      }
      continue;
    }
    std::string_view bare = name;
    if (bare.starts_with("CAP_")) bare.remove_prefix(4);
    if (std::find(kCapabilities.begin(), kCapabilities.end(), bare) == kCapabilities.end()) {
      return invalid("unknown capability \"" + raw + "\"");
    }
    add("CAP_" + std::string(bare));
  }
  return out;
}

json dockerResources(const v1::LinuxContainerResources& r) {
  json out = json::object();
  if (r.cpu_shares() != 0) out["CpuShares"] = r.cpu_shares();
  if (r.cpu_quota() != 0) out["CpuQuota"] = r.cpu_quota();
  if (r.cpu_period() != 0) out["CpuPeriod"] = r.cpu_period();
  if (!r.cpuset_cpus().empty()) out["CpusetCpus"] = r.cpuset_cpus();
  if (!r.cpuset_mems().empty()) out["CpusetMems"] = r.cpuset_mems();
  if (r.memory_limit_in_bytes() != 0) {
    out["Memory"] = r.memory_limit_in_bytes();
    // CRI's swap limit is memory+swap, as Docker's MemorySwap. compat: without one, dockershim
    // set MemorySwap = Memory: no swap. Docker refuses MemorySwap without Memory.
    out["MemorySwap"] = r.memory_swap_limit_in_bytes() != 0 ? r.memory_swap_limit_in_bytes()
                                                            : r.memory_limit_in_bytes();
  }
  // Not expressible in any Docker API version: hugepage_limits (no hugetlb field in HostConfig;
  // kubelet sends every page size, mostly with limit 0) and `unified` (raw cgroup v2 files). Both
  // are left out rather than refused, as dockershim did, so ordinary pods still run.
  return out;
}

Result<json> makeContainerCreateBody(const v1::ContainerConfig& config,
                                     const v1::PodSandboxConfig& sandbox,
                                     const ContainerCreateContext& ctx) {
  // ctx.readFile is the caller's code and JSON building allocates: nothing may escape.
  try {
    return makeBody(config, sandbox, ctx);
  } catch (const std::exception& e) {
    return Status(Code::kInternal, std::string("build container create body: ") + e.what());
  } catch (...) {
    return Status(Code::kInternal, "build container create body: unknown exception");
  }
}

}  // namespace dockershim::translate
