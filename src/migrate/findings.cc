#include "migrate/findings.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <iterator>
#include <set>
#include <sstream>
#include <tuple>

#include "translate/image_ref.h"

namespace dockershim::migrate {

namespace {

struct KindInfo {
  Kind kind;
  const char* name;
  bool blocks;
  const char* advice;
};

// One table: name, whether it blocks, and what to do.
const KindInfo kKinds[] = {
    {Kind::kDockerSocket, "docker-socket", true,
     "containerd has no Docker API: move what this container does with Docker to the Kubernetes "
     "API, a build service (kaniko, buildkit) or containerd's own socket"},
    {Kind::kDockerSocketDir, "docker-socket-dir", false,
     "this host folder holds Docker's socket: check whether the container uses docker.sock "
     "(it will be gone) and mount only what it needs"},
    {Kind::kDockerData, "docker-data", true,
     "Docker's data root will no longer hold the node's containers or their JSON logs: read "
     "container logs from /var/log/pods (CRI format) and state from the CRI"},
    {Kind::kDockerConfig, "docker-config", false,
     "Docker's configuration will not apply: registry mirrors and credentials move to "
     "containerd's certs.d and the kubelet (dockershim migrate config)"},
    {Kind::kDockerImage, "docker-image", true,
     "the Docker CLI and Docker-in-Docker need a Docker daemon: use a build service or run "
     "a dedicated Docker daemon inside the pod"},
    {Kind::kPrivilegedDocker, "privileged-docker", true,
     "this privileged container runs docker: it relies on the node's Docker daemon, which the "
     "move removes"},
    {Kind::kLocalOnlyImage, "local-only-image", true,
     "no registry has this image (built or loaded on the node): push it to a registry the node "
     "can pull from, or carry it with `dockershim migrate images` (it cannot be pulled again "
     "once containerd's garbage collection removes it)"},
    {Kind::kExecTimeout, "exec-timeout", false,
     "this exec outlived its timeout: the kubelet's dockershim and cri-dockerd let such commands "
     "finish, containerd ends them and fails the probe; raise timeoutSeconds or make it faster"},
    {Kind::kDockerLogReader, "docker-log-reader", false,
     "containerd writes CRI-format log lines (\"<time> <stream> <F|P> <text>\") and "
     "\"containerd://\" ids: switch the reader's parser from Docker's JSON format and its id "
     "handling from \"docker://\""},
};

static_assert(std::size(kKinds) == static_cast<size_t>(Kind::kDockerLogReader) + 1,
              "one row per Kind, in declaration order");

const KindInfo& info(Kind kind) { return kKinds[static_cast<size_t>(kind)]; }

// Lexically normal, no trailing slash, /var/run folded onto /run (a symlink on every
// systemd host).
std::string normalPath(const std::string& p) {
  if (p.empty()) return p;
  std::string s = std::filesystem::path(p).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  if (s == "/var/run" || s.rfind("/var/run/", 0) == 0) s = "/run" + s.substr(8);
  return s;
}

bool within(const std::string& path, const std::string& base) {
  if (base == "/") return true;
  return path == base ||
         (path.size() > base.size() && path.rfind(base, 0) == 0 && path[base.size()] == '/');
}

std::string baseName(const std::string& s) {
  auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

bool dockerBinary(const std::string& word) {
  std::string b = baseName(word);
  return b == "docker" || b == "dockerd";
}

// Whether a shell line runs docker: the words in command position (the first, and the first
// after ; & | ( ) ` or a newline), past variable assignments and wrappers (exec, sudo, env, …).
bool scriptRunsDocker(const std::string& script) {
  static const std::set<std::string> kWrappers = {"exec", "sudo",    "env",  "nohup",
                                                  "time", "command", "nice", "setsid",
                                                  "then", "do",      "else", "!"};
  bool commandPosition = true;
  std::string word;
  auto take = [&] {
    if (word.empty()) return false;
    bool hit = false;
    if (commandPosition && word.find('=') == std::string::npos && kWrappers.count(word) == 0) {
      hit = dockerBinary(word);
      commandPosition = false;
    }
    word.clear();
    return hit;
  };
  for (char c : script) {
    if (std::string_view(" \t\n;&|()`'\"").find(c) != std::string_view::npos) {
      if (take()) return true;
      if (std::string_view("\n;&|()`").find(c) != std::string_view::npos) commandPosition = true;
    } else {
      word += c;
    }
  }
  return take();
}

// argv runs docker: as the program itself, or in a shell's -c line.
bool runsDocker(const std::vector<std::string>& argv) {
  if (argv.empty()) return false;
  if (dockerBinary(argv[0])) return true;
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "-c" && scriptRunsDocker(argv[i + 1])) return true;
  }
  return false;
}

// At most `limit` bytes, never cutting a UTF-8 character in two.
std::string cut(std::string s, size_t limit) {
  if (s.size() <= limit) return s;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "…";
}

std::string joined(const std::vector<std::string>& argv, size_t limit = 120) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
    if (s.size() > limit) break;
  }
  return cut(std::move(s), limit);
}

Finding make(Kind kind, const ContainerFacts& c, std::string evidence) {
  Finding f{kind,
            c.podNamespace,
            c.pod,
            c.podUid,
            c.container,
            cut(std::move(evidence), 300),
            info(kind).advice};
  f.blocking = info(kind).blocks;
  return f;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

// Images of log agents whose stock configurations read Docker's JSON logs.
bool logAgentImage(const translate::ImageRef& ref) {
  static const std::set<std::string> kAgents = {
      "fluentd",  "fluent-bit", "fluentbit", "filebeat",     "logstash",
      "promtail", "logspout",   "vector",    "logdna-agent", "fluentd-kubernetes-daemonset"};
  std::string name = baseName(ref.path);
  if (kAgents.count(name) != 0) return true;
  // Datadog's node agent (Docker Hub, gcr.io/datadoghq, public.ecr.aws/datadog); not its
  // cluster agent or dogstatsd.
  return ref.path == "datadog/agent" || ref.path == "datadoghq/agent";
}

}  // namespace

const char* kindName(Kind kind) { return info(kind).name; }
bool blocks(Kind kind) { return info(kind).blocks; }

const std::vector<Kind>& allKinds() {
  static const std::vector<Kind> kinds = [] {
    std::vector<Kind> v;
    for (const auto& k : kKinds) v.push_back(k.kind);
    return v;
  }();
  return kinds;
}

std::vector<Finding> inspectContainer(const ContainerFacts& c, const NodePaths& paths) {
  std::vector<Finding> out;
  const std::string socket = normalPath(paths.dockerSocket);
  const std::string root = normalPath(paths.dockerRoot);
  for (const auto& m : c.mounts) {
    std::string host = normalPath(m.hostPath);
    if (host.empty()) continue;
    std::string shown = m.hostPath + " at " + m.containerPath;
    if (host == socket || baseName(host) == "docker.sock") {
      out.push_back(make(Kind::kDockerSocket, c, "mounts " + shown));
    } else if (within(socket, host)) {
      out.push_back(make(Kind::kDockerSocketDir, c,
                         "mounts " + shown + " (holds " + paths.dockerSocket + ")"));
    } else if (within(host, root)) {
      out.push_back(make(Kind::kDockerData, c, "mounts " + shown));
    } else if (within(root, host)) {
      // /var/lib, /var: the data root is reachable, maybe not used.
      Finding f = make(Kind::kDockerData, c, "mounts " + shown + " (holds " + root + ")");
      f.blocking = false;
      out.push_back(std::move(f));
    } else if (within(host, "/etc/docker")) {
      out.push_back(make(Kind::kDockerConfig, c, "mounts " + shown));
    } else if (within("/etc/docker", host)) {
      out.push_back(make(Kind::kDockerConfig, c, "mounts " + shown + " (holds /etc/docker)"));
    }
  }

  auto ref = translate::parseImageRef(c.image);
  if (ref) {
    std::string name = baseName(ref->path);
    if (name == "docker" || name == "dockerd" || name == "docker-cli" ||
        name.find("dind") != std::string::npos || ref->tag.find("dind") != std::string::npos) {
      out.push_back(make(Kind::kDockerImage, c, "image " + c.image));
    }
  }
  if (c.privileged && runsDocker(c.command)) {
    out.push_back(make(Kind::kPrivilegedDocker, c, "privileged, runs: " + joined(c.command)));
  }
  if (c.imageKnown && c.imageRepoDigests.empty() && !translate::isImageId(c.image)) {
    out.push_back(make(Kind::kLocalOnlyImage, c,
                       "image " + c.image + " has no registry digest in Docker's store"));
  }

  // Log readers: annotations or labels that name Docker's log format, ids with Docker's
  // scheme, and stock log-agent images.
  std::vector<std::string> logEvidence;
  auto look = [&](const std::map<std::string, std::string>& kv, const char* what) {
    for (const auto& [k, v] : kv) {
      std::string key = lower(k), value = lower(v);
      bool formatKey = key.size() >= 6 && (key.find("parser") != std::string::npos ||
                                           key.find("format") != std::string::npos);
      if ((formatKey && (value == "docker" || value == "json-file")) ||
          value.find("docker://") != std::string::npos ||
          value.find("docker-pullable://") != std::string::npos) {
        logEvidence.push_back(std::string(what) + " " + k + "=" + v);
      }
    }
  };
  look(c.annotations, "annotation");
  look(c.labels, "label");
  if (ref && logAgentImage(*ref)) logEvidence.push_back("log agent image " + c.image);
  for (auto& e : logEvidence) out.push_back(make(Kind::kDockerLogReader, c, std::move(e)));

  std::stable_sort(out.begin(), out.end(),
                   [](const Finding& a, const Finding& b) { return a.kind < b.kind; });
  return out;
}

Finding execOverran(const ContainerFacts& who, const std::vector<std::string>& cmd,
                    int64_t timeoutSeconds) {
  return make(Kind::kExecTimeout, who,
              "exec `" + joined(cmd, 80) + "` ran past its " + std::to_string(timeoutSeconds) +
                  "s timeout");
}

nlohmann::json toJson(const Finding& f) {
  return {{"kind", kindName(f.kind)},    {"blocks", f.blocking},
          {"namespace", f.podNamespace}, {"pod", f.pod},
          {"podUid", f.podUid},          {"container", f.container},
          {"evidence", f.evidence},      {"advice", f.advice}};
}

Finding fromJson(const nlohmann::json& j) {
  Finding f{};
  std::string kind = j.at("kind").get<std::string>();
  bool known = false;
  for (const auto& k : kKinds) {
    if (kind == k.name) {
      f.kind = k.kind;
      known = true;
    }
  }
  if (!known) throw nlohmann::json::other_error::create(501, "unknown finding kind " + kind, &j);
  f.podNamespace = j.at("namespace").get<std::string>();
  f.pod = j.at("pod").get<std::string>();
  f.podUid = j.value("podUid", "");
  f.container = j.at("container").get<std::string>();
  f.evidence = j.at("evidence").get<std::string>();
  f.advice = j.contains("advice") ? j.at("advice").get<std::string>() : info(f.kind).advice;
  f.blocking = j.contains("blocks") ? j.at("blocks").get<bool>() : info(f.kind).blocks;
  return f;
}

std::vector<Finding> normalize(std::vector<Finding> findings) {
  auto key = [](const Finding& f) {
    return std::tie(f.podNamespace, f.pod, f.container, f.kind, f.evidence);
  };
  std::sort(findings.begin(), findings.end(),
            [&](const Finding& a, const Finding& b) { return key(a) < key(b); });
  findings.erase(std::unique(findings.begin(), findings.end(),
                             [&](const Finding& a, const Finding& b) { return key(a) == key(b); }),
                 findings.end());
  return findings;
}

std::string renderTable(const std::vector<Finding>& findings) {
  std::vector<std::array<std::string, 5>> rows;
  rows.push_back({"POD", "CONTAINER", "FINDING", "LEVEL", "EVIDENCE"});
  std::set<Kind> kinds;
  size_t blocking = 0;
  for (const auto& f : findings) {
    rows.push_back({f.podNamespace + "/" + f.pod, f.container, kindName(f.kind),
                    f.blocking ? "blocks" : "review", f.evidence});
    kinds.insert(f.kind);
    if (f.blocking) ++blocking;
  }
  std::array<size_t, 5> width{};
  for (const auto& r : rows) {
    for (size_t i = 0; i < 4; ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::ostringstream out;
  if (!findings.empty()) {
    for (const auto& r : rows) {
      for (size_t i = 0; i < 4; ++i) out << r[i] << std::string(width[i] - r[i].size() + 2, ' ');
      out << r[4] << '\n';
    }
    out << "\nWhat to do:\n";
    for (Kind k : kinds) out << "  " << kindName(k) << ": " << info(k).advice << '\n';
    out << '\n';
  }
  if (blocking > 0) {
    out << findings.size() << " finding(s), " << blocking << " block the move to containerd\n";
  } else if (!findings.empty()) {
    out << findings.size() << " finding(s) to review; nothing blocks the move to containerd\n";
  } else {
    out << "no findings; nothing blocks the move to containerd\n";
  }
  return out.str();
}

void FindingStore::add(const std::string& sandboxId, const std::vector<Finding>& findings) {
  // A pod without an id cannot be forgotten; nothing new creates no entry (a CreateContainer
  // racing its pod's RemovePodSandbox may still leave one, until the id is removed again).
  if (sandboxId.empty() || findings.empty()) return;
  std::vector<std::pair<Finding, bool>> fresh;
  {
    std::lock_guard lock(mu_);
    auto& kept = byPod_[sandboxId];
    for (const auto& f : findings) {
      if (std::find(kept.begin(), kept.end(), f) != kept.end()) continue;
      bool firstOfKind = std::none_of(kept.begin(), kept.end(),
                                      [&](const Finding& k) { return k.kind == f.kind; });
      kept.push_back(f);
      fresh.emplace_back(f, firstOfKind);
    }
  }
  if (onNew_) {
    for (const auto& [f, first] : fresh) onNew_(f, first);
  }
}

void FindingStore::forget(const std::string& sandboxId) {
  std::lock_guard lock(mu_);
  byPod_.erase(sandboxId);
}

std::vector<Finding> FindingStore::all() const {
  std::vector<Finding> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, findings] : byPod_) out.insert(out.end(), findings.begin(), findings.end());
  return normalize(std::move(out));
}

std::string FindingStore::json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : all()) list.push_back(toJson(f));
  return nlohmann::json{{"findings", list}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
}

}  // namespace dockershim::migrate
