#include "app/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <iostream>

#include "common/duration.h"

namespace dockershim::app {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// cri-dockerd's --streaming-bind-addr may be an address without a port ("127.0.0.1", "::1"):
// it then binds a free port there, as an empty port does here.
std::string withPort(const std::string& address) {
  if (address.empty()) return address;
  if (address.front() == '[') return address;  // "[v6]:port"
  const bool portOnly = address.front() == ':' && address.size() > 1 &&
                        std::all_of(address.begin() + 1, address.end(),
                                    [](unsigned char c) { return std::isdigit(c); });
  if (portOnly) return address;  // ":port"
  const auto colons = std::count(address.begin(), address.end(), ':');
  if (colons == 0) return address + ":0";        // IPv4 or a name without a port
  if (colons > 1) return "[" + address + "]:0";  // a bare IPv6 address
  return address;
}

// Text safe in a roff paragraph: backslashes and hyphens escaped, no line starting a request.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
  return out;
}

// dockershim(8), from the same option table as --help.
std::string manPage(const CLI::App& app, const char* version) {
  std::string out;
  out += ".TH DOCKERSHIM 8 \"\" \"dockershim " + std::string(version) +
         "\" \"System Administration\"\n";
  out += ".SH NAME\ndockershim \\- Kubernetes CRI runtime endpoint backed by Docker Engine\n";
  out +=
      ".SH SYNOPSIS\n.B dockershim\n[\\fIOPTION\\fR]...\n.br\n.B dockershim migrate\n"
      "\\fBcheck\\fR|\\fBconfig\\fR|\\fBimages\\fR [\\fIOPTION\\fR]...\n";
  out +=
      ".SH DESCRIPTION\n"
      "dockershim serves the Kubernetes Container Runtime Interface (CRI) on a unix socket and "
      "carries every call out against Docker Engine. Its flags are cri\\-dockerd's, so a "
      "cri\\-dockerd unit works by changing only the binary path. Flags take Go's forms: "
      "\\fB\\-\\-flag value\\fR, \\fB\\-\\-flag=value\\fR, \\fB\\-flag\\fR; "
      "durations as 1m30s.\n";
  out += ".SH OPTIONS\n";
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    const bool flag = opt->get_expected_min() == 0;
    std::string names;
    for (const std::string& name : opt->get_lnames()) {
      if (!names.empty()) names += ", ";
      names += "\\fB" + roff("--" + name) + "\\fR";
    }
    if (!flag) names += " \\fI" + roff(lower(opt->get_type_name())) + "\\fR";
    out += ".TP\n" + names + "\n" + roff(opt->get_description());
    const std::string def = opt->get_default_str();
    if (!flag && !def.empty()) out += " (default: " + roff(def) + ")";
    out += "\n";
  }
  out +=
      ".SH MOVING TO CONTAINERD\n"
      ".TP\n.B dockershim migrate check\n"
      "Lists what in the node's pods would break or change on containerd, from the running "
      "dockershim (\\fB\\-\\-daemon\\fR, its metrics address) and from Docker's records; "
      "exit code 0 when nothing blocks the move, 1 when something does, 2 on error.\n"
      ".TP\n.B dockershim migrate config \\-\\-output\\-dir \\fIDIR\\fR\n"
      "Writes containerd's config.toml, certs.d hosts.toml files and kubelet settings translated "
      "from /etc/docker/daemon.json and Docker's info, and lists the settings with no "
      "equivalent.\n"
      ".TP\n.B dockershim migrate images\n"
      "Copies the images the node's pods use, and the sandbox image, into containerd's k8s.io "
      "namespace.\n"
      ".PP\nEach takes \\fB\\-\\-help\\fR.\n";
  out +=
      ".SH ENVIRONMENT\n.TP\n.B DOCKER_HOST\n"
      "Docker Engine endpoint when \\fB\\-\\-docker\\-endpoint\\fR is not given.\n";
  out +=
      ".SH FILES\n"
      ".TP\n.I /etc/default/dockershim\n"
      "DOCKERSHIM_OPTS: flags added by dockershim.service.\n"
      ".TP\n.I /var/lib/dockershim/sandbox/\n"
      "Sandbox checkpoints (port mappings, pod names), in cri\\-dockerd's format.\n"
      ".TP\n.I /var/lib/cri\\-dockerd/sandbox/\n"
      "cri\\-dockerd's checkpoints: used instead when \\fB\\-\\-root\\-directory\\fR is "
      "not given, dockershim's folder holds none and this one does.\n"
      ".TP\n.I /run/dockershim.sock, /run/cri\\-dockerd.sock\n"
      "The CRI sockets of dockershim.socket.\n";
  out += ".SH SEE ALSO\n.BR dockerd (8),\n.BR crictl (1),\n.BR kubelet (1)\n";
  return out;
}

}  // namespace

std::vector<std::string> normalizeGoFlags(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool positional = false;
  for (const auto& a : args) {
    if (positional || a == "--") {
      positional = true;
      out.push_back(a);
      continue;
    }
    // Go's flag packages read "--f=" as the empty value; CLI11 would take the next argument.
    if (a.size() > 3 && a.starts_with("--") && a.back() == '=' && a.find('=') == a.size() - 1) {
      out.push_back(a.substr(0, a.size() - 1));
      out.emplace_back();
      continue;
    }
    // Go's standard flag package (kubelet-era units) takes one dash as well as two.
    if (a.size() > 2 && a[0] == '-' && a[1] != '-' &&
        std::isalpha(static_cast<unsigned char>(a[1])) &&
        std::isalpha(static_cast<unsigned char>(a[2]))) {
      out.push_back("-" + a);
      continue;
    }
    out.push_back(a);
  }
  return out;
}

ParseOutcome parseOptions(int argc, char** argv, DaemonOptions& out, const char* version) {
  // compat: DOCKER_HOST is honoured as by the docker CLI and cri-dockerd.
  if (const char* host = std::getenv("DOCKER_HOST"); host && *host) out.dockerEndpoint = host;

  CLI::App app{"dockershim: a Kubernetes CRI runtime endpoint backed by Docker Engine",
               "dockershim"};
  app.footer(
      "Moving a node to containerd: dockershim migrate check|config|images (each with "
      "its own help).");
  std::string requestTimeout = "2m0s";
  std::string pullDeadline = "1m0s";
  std::string streamingIdle = "4h0m0s";
  bool showVersion = false;
  bool showBuildInfo = false;
  std::string hairpinMode = "none";
  bool ipv6DualStack = false;
  int32_t networkPluginMtu = 0;
  std::string runtimeCgroups;
  // Flag names follow cri-dockerd so its unit files work by changing only the binary.
  app.add_option("--container-runtime-endpoint", out.criEndpoint,
                 "CRI endpoint to serve (unix:///path)")
      ->capture_default_str();
  app.add_option("--docker-endpoint", out.dockerEndpoint,
                 "Docker Engine endpoint (unix:///path); DOCKER_HOST is honoured")
      ->capture_default_str();
  auto* rootOption =
      app.add_option("--root-directory,--cri-dockerd-root-directory", out.rootDirectory,
                     "state directory (sandbox checkpoints); when not given and it holds no "
                     "state while /var/lib/cri-dockerd does, cri-dockerd's is used")
          ->capture_default_str();
  app.add_option(
         "--pod-infra-container-image", out.podInfraImage,
         "sandbox (pause) image; the default is built locally from the embedded pause program")
      ->capture_default_str();
  app.add_option("--runtime-request-timeout", requestTimeout,
                 "bound of every CRI call except pulls (Go duration)")
      ->capture_default_str();
  app.add_option("--image-pull-progress-deadline", pullDeadline,
                 "a pull with no progress for this long is cancelled (Go duration)")
      ->capture_default_str();
  app.add_option("--streaming-bind-addr", out.streamingBindAddress,
                 "address of the exec/attach/port-forward server (ip:port, :port; port 0 picks "
                 "a free one)")
      ->capture_default_str();
  app.add_option("--streaming-idle-timeout,--streaming-connection-idle-timeout", streamingIdle,
                 "a stream with no traffic for this long is closed (Go duration; 0 = never)")
      ->capture_default_str();
  std::string cniBinDirs = "/opt/cni/bin";
  app.add_option("--network-plugin", out.networkPlugin,
                 "cni, or none for Docker's own default bridge")
      ->check(CLI::IsMember({"cni", "none", "", "no-op"}))
      ->capture_default_str();
  app.add_option("--cni-bin-dir", cniBinDirs,
                 "comma-separated folders of CNI plugins; /usr/lib/cni is searched last")
      ->capture_default_str();
  app.add_option("--cni-conf-dir", out.cniConfDir,
                 "CNI configuration folder: the first valid .conflist/.conf/.json by name is the "
                 "pod network, reread when the folder changes")
      ->capture_default_str();
  app.add_option("--cni-cache-dir", out.cniCacheDir,
                 "where what each pod's CNI ADD returned is kept for its DEL")
      ->capture_default_str();
  app.add_option("--metrics-bind-address", out.metricsBindAddress,
                 "where Prometheus metrics (/metrics) and /healthz are served; 0 disables")
      ->capture_default_str();
  app.add_option("--state-cache", out.stateCache,
                 "serve ListContainers, ListPodSandbox and the status calls from memory kept "
                 "equal to Docker by its events")
      ->capture_default_str();
  app.add_flag("--cni-check-on-status", out.cniCheckOnStatus,
               "run CNI CHECK for each verbose PodSandboxStatus (crictl inspectp) and show its "
               "outcome; off, the verbose status shows the pod's addresses without running a "
               "plugin");
  app.add_option("--cgroup-root", out.cgroupRoot,
                 "where the cgroup hierarchy is mounted; stats are read from its files")
      ->capture_default_str();
  app.add_option("--log-level", out.logLevel,
                 "trace, debug, info, warn, error; fatal and panic log errors that stop the "
                 "daemon only (cri-dockerd's levels, any case)")
      ->transform([](std::string level) { return lower(std::move(level)); })
      ->check(CLI::IsMember(
          {"trace", "debug", "info", "warn", "warning", "error", "fatal", "panic", ""}))
      ->capture_default_str();
  app.add_option("--pod-cidr", out.podCidr,
                 "pod CIDR offered to CNI plugins (ipRanges) until the kubelet sends one");
  // cri-dockerd flags whose job CNI or the node does here: accepted, validated as cri-dockerd
  // does, reported at start.
  app.add_option("--hairpin-mode", hairpinMode,
                 "cri-dockerd's hairpin mode; with CNI the bridge plugin's hairpinMode decides")
      ->check(CLI::IsMember({"promiscuous-bridge", "hairpin-veth", "none"}))
      ->capture_default_str();
  app.add_flag("--ipv6-dual-stack", ipv6DualStack,
               "cri-dockerd's dual-stack switch; pods get every address family CNI gives");
  app.add_option("--network-plugin-mtu", networkPluginMtu,
                 "cri-dockerd's MTU for kubenet; with CNI the configuration sets it")
      ->capture_default_str();
  app.add_option("--runtime-cgroups", runtimeCgroups,
                 "cri-dockerd moves dockerd into this cgroup; dockershim leaves that to systemd");
  app.add_flag("--version", showVersion, "print the version and exit");
  app.add_flag("--buildinfo", showBuildInfo, "print the build information and exit");
  bool showManPage = false;
  app.add_flag("--man-page", showManPage, "print dockershim(8) in roff and exit")->group("");
  // As with Go's flag package (cri-dockerd, kubelet), a flag given twice takes the last value.
  for (auto* opt : app.get_options()) opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // cri-dockerd unit files may carry flags of features that land later; they are accepted,
  // reported once at start, and not acted on.
  app.allow_extras();

  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  args = normalizeGoFlags(args);
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return {true, app.exit(e)};
  }
  if (showVersion) {
    std::cout << "dockershim " << version << "\n";
    return {true, 0};
  }
  if (showManPage) {
    std::cout << manPage(app, version);
    return {true, 0};
  }
  if (showBuildInfo) {
    std::cout << "Program: dockershim\nVersion: " << version << "\nCompiler: " << __VERSION__
              << "\n";
    return {true, 0};
  }
  // compat: cri-dockerd reads 0 (its shown default) as its built-in timeout.
  if (requestTimeout == "0" || requestTimeout == "0s") requestTimeout = "2m0s";
  if (pullDeadline == "0" || pullDeadline == "0s") pullDeadline = "1m0s";
  auto timeout = common::parseDuration(requestTimeout);
  auto deadline = common::parseDuration(pullDeadline);
  auto idle = common::parseDuration(streamingIdle);
  for (auto* r : {&timeout, &deadline, &idle}) {
    if (!*r) {
      std::cerr << "dockershim: " << r->status().message() << "\n";
      return {true, 2};
    }
  }
  if (timeout->count() <= 0 || deadline->count() <= 0) {
    std::cerr << "dockershim: --runtime-request-timeout and --image-pull-progress-deadline must be "
                 "positive\n";
    return {true, 2};
  }
  out.runtimeRequestTimeout = *timeout;
  out.imagePullProgressDeadline = *deadline;
  if (idle->count() < 0) {
    std::cerr << "dockershim: --streaming-idle-timeout must not be negative\n";
    return {true, 2};
  }
  out.streamingIdleTimeout = *idle;
  if (out.logLevel == "warning") out.logLevel = "warn";
  // cri-dockerd (logrus): fatal and panic log only what ends the process; "" keeps info.
  if (out.logLevel == "fatal" || out.logLevel == "panic") out.logLevel = "critical";
  if (out.logLevel.empty()) out.logLevel = "info";
  // compat: cri-dockerd's "no-op" and an empty value are the no-op plugin: Docker's bridge.
  if (out.networkPlugin.empty() || out.networkPlugin == "no-op") out.networkPlugin = "none";
  // cri-dockerd: an empty --docker-endpoint means DOCKER_HOST, else Docker's default.
  if (out.dockerEndpoint.empty()) {
    const char* host = std::getenv("DOCKER_HOST");
    out.dockerEndpoint = host && *host ? host : "unix:///var/run/docker.sock";
  }
  // An empty streaming address keeps the default (loopback, free port); an address without a
  // port gets a free port, as in cri-dockerd.
  if (out.streamingBindAddress.empty()) out.streamingBindAddress = "127.0.0.1:0";
  out.streamingBindAddress = withPort(out.streamingBindAddress);
  if (hairpinMode != "none") {
    out.notActedOn.push_back("--hairpin-mode=" + hairpinMode +
                             ": with CNI the bridge plugin's hairpinMode decides");
  }
  if (ipv6DualStack) {
    out.notActedOn.push_back(
        "--ipv6-dual-stack: pods get every address family their CNI network gives, always");
  }
  if (networkPluginMtu != 0) {
    out.notActedOn.push_back("--network-plugin-mtu=" + std::to_string(networkPluginMtu) +
                             ": with CNI the network configuration sets the MTU");
  }
  if (!runtimeCgroups.empty()) {
    out.notActedOn.push_back("--runtime-cgroups=" + runtimeCgroups +
                             ": dockershim does not move dockerd; its systemd unit's Slice= does");
  }
  out.cniBinDirs.clear();
  for (size_t start = 0; start <= cniBinDirs.size();) {
    size_t comma = cniBinDirs.find(',', start);
    if (comma == std::string::npos) comma = cniBinDirs.size();
    std::string dir = cniBinDirs.substr(start, comma - start);
    if (!dir.empty()) out.cniBinDirs.push_back(dir);
    start = comma + 1;
  }
  if (std::find(out.cniBinDirs.begin(), out.cniBinDirs.end(), "/usr/lib/cni") ==
      out.cniBinDirs.end()) {
    out.cniBinDirs.push_back("/usr/lib/cni");
  }
  out.rootDirectoryGiven = rootOption->count() > 0;
  for (const auto& extra : app.remaining()) out.ignoredFlags.push_back(extra);
  return {};
}

}  // namespace dockershim::app
