#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

// Migration readiness: what in a node's pods would break or change once the node runs
// containerd instead of Docker. The detectors are pure (a container's facts in, findings out);
// FindingStore keeps what the live daemon noticed, per pod.
namespace dockershim::migrate {

enum class Kind {
  kDockerSocket,      // a mount of Docker's socket
  kDockerSocketDir,   // a mount of a folder that holds it (/run, /var/run, /)
  kDockerData,        // a mount of Docker's data root (/var/lib/docker): JSON logs, layers
  kDockerConfig,      // a mount of /etc/docker
  kDockerImage,       // the Docker CLI or Docker-in-Docker image
  kPrivilegedDocker,  // a privileged container whose command runs docker or dockerd
  kLocalOnlyImage,    // an image no registry has (built or loaded on the node)
  kExecTimeout,       // an exec probe or ExecSync that ran past its timeout
  kDockerLogReader,   // a log reader that expects Docker's JSON logs or docker:// ids
};

// "docker-socket", "docker-socket-dir", … (stable: metrics labels and JSON use them).
const char* kindName(Kind kind);
// Whether a finding of this kind stops the move (it will break), or asks for a look (it may).
bool blocks(Kind kind);
// All kinds, in declaration order.
const std::vector<Kind>& allKinds();

struct Finding {
  Kind kind;
  std::string podNamespace;
  std::string pod;
  std::string podUid;
  std::string container;
  std::string evidence;  // what was seen: the mount, the image, the command
  std::string advice;    // what to do before the move
  // Whether it stops the move: its kind's rule (blocks(kind)), lowered to a review for what only
  // may matter (a mount of a folder that holds Docker's data root).
  bool blocking = false;

  bool operator==(const Finding&) const = default;
};

struct MountFact {
  std::string hostPath;
  std::string containerPath;
};

// What the detectors look at, from a CRI CreateContainer request or from Docker's inspect.
struct ContainerFacts {
  std::string podNamespace, pod, podUid, container;
  std::string image;  // as the pod asked for it
  // The image's RepoDigests in Docker: empty when no registry ever served or received it.
  std::vector<std::string> imageRepoDigests;
  bool imageKnown = false;  // imageRepoDigests was looked up
  std::vector<MountFact> mounts;
  bool privileged = false;
  std::vector<std::string> command;  // entrypoint/command and args
  std::map<std::string, std::string> labels, annotations;
};

struct NodePaths {
  std::string dockerSocket = "/run/docker.sock";
  std::string dockerRoot = "/var/lib/docker";
};

// Every finding one container trips, in Kind order.
std::vector<Finding> inspectContainer(const ContainerFacts& facts, const NodePaths& paths = {});

// The finding for an exec (probe or ExecSync) that did not finish within its timeout.
Finding execOverran(const ContainerFacts& who, const std::vector<std::string>& cmd,
                    int64_t timeoutSeconds);

nlohmann::json toJson(const Finding& f);
Finding fromJson(const nlohmann::json& j);  // throws nlohmann::json::exception on a bad shape
// For people (and JSON): evidence cut to a whole UTF-8 character, invalid bytes replaced.
// One row per finding (namespace/pod, container, kind, evidence), then what to do
// for each kind found, then a verdict line.
std::string renderTable(const std::vector<Finding>& findings);
// Sorted by namespace, pod, container, kind; duplicates dropped.
std::vector<Finding> normalize(std::vector<Finding> findings);

// What the live daemon noticed, per pod sandbox. Thread-safe. A finding is new once per
// (pod, container, kind, evidence); `onNew` hears each new one (it logs on the first finding of
// each kind in a pod and counts every one).
class FindingStore {
 public:
  using Listener = std::function<void(const Finding&, bool firstOfKindInPod)>;
  explicit FindingStore(Listener onNew = {}) : onNew_(std::move(onNew)) {}

  void add(const std::string& sandboxId, const std::vector<Finding>& findings);
  // The pod is gone (RemovePodSandbox): its findings go.
  void forget(const std::string& sandboxId);
  std::vector<Finding> all() const;
  // {"findings": [...]} as /migrate/findings serves it.
  std::string json() const;

 private:
  Listener onNew_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Finding>> byPod_;
};

}  // namespace dockershim::migrate
