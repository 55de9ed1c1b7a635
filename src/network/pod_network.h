#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dockershim/status.h"
#include "network/cni_config.h"
#include "network/cni_runner.h"

// Pod networking through CNI, as the kubelet's CNI network plugin did for dockershim and as
// containerd's CRI plugin does: the node's default network (first valid file of the conf dir),
// ADD when a sandbox starts, DEL when it stops, the result kept so that status answers from
// memory and DEL can run with what ADD was given even after a restart.
namespace dockershim::network {

struct CniOptions {
  std::vector<std::string> binDirs;  // searched in order (CNI_PATH)
  std::string confDir = "/etc/cni/net.d";
  // dockershim keeps one record per set-up sandbox in <cacheDir>/dockershim/<sandbox id>.
  std::string cacheDir = "/var/lib/cni/cache";
  // Told of every setUp ("set_up_pod"), tearDown ("tear_down_pod") and check ("check_pod"):
  // outcome and seconds taken (the metrics endpoint's network plugin latency). Optional.
  std::function<void(const std::string& operation, const Status& status, double seconds)> observe;
};

// What RunPodSandbox hands over for ADD.
struct PodSetup {
  std::string sandboxId;
  std::string netnsPath;  // /proc/<pause pid>/ns/net
  PodRef pod;
  std::vector<PortMapping> portMappings;  // host ports only, protocol lowercase
  std::optional<Bandwidth> bandwidth;
  std::optional<DnsConfig> dns;
};

// The record of one ADD, written before the plugins run (so a crash in between still leads to
// DEL) and completed with the result after. Consistency rule: a live record exists from just
// before ADD until DEL succeeded, then a "deleted" one until the sandbox is removed (discard);
// DEL is run for a sandbox exactly when a live record exists, so it runs once per ADD however
// often StopPodSandbox is called, across restarts.
struct NetworkRecord {
  std::string sandboxId;
  NetworkConfig network;  // the list as ADD used it (the conf dir may have changed since)
  PodRef pod;
  RuntimeArgs args;
  std::string ifName = "eth0";
  std::optional<nlohmann::json> result;  // absent while ADD runs or when it failed
  std::vector<std::string> ips;          // podIps() of the result
  // DEL done: the record stays (without result) until the sandbox is removed, so that neither
  // a retried StopPodSandbox nor adopt() can take the sandbox for one still to be torn down.
  bool deleted = false;
};

// A record is a file named by the sandbox id: nothing that could name another path.
bool validSandboxId(const std::string& id);

nlohmann::json encodeRecord(const NetworkRecord& record);
// DATA_LOSS when the text is not such a record.
Result<NetworkRecord> decodeRecord(const std::string& text);

class CniManager {
 public:
  explicit CniManager(CniOptions options, CniRunner::Exec exec = {});

  // NetworkReady: OK once the conf dir holds a usable network; FAILED_PRECONDITION
  // "no CNI configuration in ..." (with why each file was skipped) otherwise. Rereads the conf
  // dir when any of its entries changed (name, size, mtime), so no restart is needed.
  Status ready();
  // The node's pod CIDR(s) from UpdateRuntimeConfig ("10.0.0.0/24" or "v4cidr,v6cidr"):
  // offered as "ipRanges" (one range set per family) to plugins that ask for it.
  void setPodCidr(const std::string& cidrs);

  // Writes the pod's record before its pause container starts (`pod.netnsPath` unused): a
  // dockershim killed before ADD completed finds, when it starts again, which running sandboxes
  // never got their network (withoutNetwork()). setUp() then uses the record written here.
  Status reserve(const PodSetup& pod);
  // Whether the sandbox is known to have no network: its set-up was cut short by a dockershim
  // crash (a record found at start without a result, not completed since), or its network was
  // torn down (StopPodSandbox; a crash may have come before the pause container stopped). Such a
  // sandbox is not ready.
  bool withoutNetwork(const std::string& sandboxId);

  // ADD on the current default network after bringing up the pod's loopback. On failure DEL is
  // run, the record removed, and the plugin's error returned. Returns the pod's IPs.
  Result<std::vector<std::string>> setUp(const PodSetup& pod,
                                         std::chrono::steady_clock::time_point deadline);
  // DEL with what ADD used, when a live record exists (OK and nothing run otherwise); the record
  // turns "deleted" only when DEL succeeded. netnsPath may be empty (pause container gone).
  Status tearDown(const std::string& sandboxId, const std::string& netnsPath,
                  std::chrono::steady_clock::time_point deadline);
  // A sandbox whose network another runtime set up before dockershim took over the node
  // (cri-dockerd and the kubelet's dockershim keep no record dockershim can read): its
  // addresses are read from its namespace (the interfaces other than lo; IPv6 link-local left
  // out) and kept in a record on the current default network, so that the pod keeps its IP in
  // PodSandboxStatus and StopPodSandbox runs DEL for it once. Returns the IPs; nothing is
  // recorded when the namespace has no address or a record already exists (then its IPs are
  // returned). Call with the PodLock held.
  Result<std::vector<std::string>> adopt(const std::string& sandboxId, const std::string& netnsPath,
                                         const PodRef& pod);
  // CNI CHECK with what ADD stored: OK when the plugins find the pod's network intact.
  // NOT_FOUND when the sandbox was never set up; UNIMPLEMENTED when its network's spec version
  // has no CHECK (before 0.4.0) or the list sets disableCheck.
  Status check(const std::string& sandboxId, const std::string& netnsPath,
               std::chrono::steady_clock::time_point deadline);
  // The IPs stored at ADD (IPv4 first); empty when the sandbox has none. No process, no namespace.
  std::vector<std::string> podIps(const std::string& sandboxId);
  // Sandbox ids that have a record (live or deleted).
  std::vector<std::string> recordIds();
  // The sandbox is gone: its record (live or deleted) and what is kept in memory go too.
  void discard(const std::string& sandboxId);

  // Serialises operations on one sandbox; different sandboxes proceed in parallel. Waits until
  // `deadline` at most: owns() says whether the lock was taken.
  class PodLock {
   public:
    PodLock(CniManager& owner, std::string sandboxId,
            std::chrono::steady_clock::time_point deadline =
                std::chrono::steady_clock::time_point::max());
    ~PodLock();
    bool owns() const { return owns_; }
    PodLock(const PodLock&) = delete;
    PodLock& operator=(const PodLock&) = delete;

   private:
    CniManager& owner_;
    std::string id_;
    bool owns_ = false;
  };

 private:
  Result<std::vector<std::string>> setUpNetwork(const PodSetup& pod,
                                                std::chrono::steady_clock::time_point deadline);
  Status tearDownNetwork(const std::string& sandboxId, const std::string& netnsPath,
                         std::chrono::steady_clock::time_point deadline);
  Status checkNetwork(const std::string& sandboxId, const std::string& netnsPath,
                      std::chrono::steady_clock::time_point deadline);
  Result<NetworkConfig> currentNetwork();
  std::string recordPath(const std::string& sandboxId) const;
  Status writeRecord(const NetworkRecord& record);
  Result<NetworkRecord> readRecord(const std::string& sandboxId);
  Status removeRecord(const std::string& sandboxId);
  std::vector<std::vector<IpRange>> ipRanges();
  void loadWithoutNetwork();
  NetworkRecord newRecord(const PodSetup& pod, const NetworkConfig& network);

  CniOptions options_;
  CniRunner runner_;

  std::mutex confMu_;
  std::string confSignature_;
  bool confLoaded_ = false;
  Result<NetworkConfig> network_{Status(Code::kFailedPrecondition, "not loaded")};

  std::mutex cidrMu_;
  std::vector<std::string> podCidrs_;

  std::mutex ipsMu_;
  std::map<std::string, std::vector<std::string>> ips_;  // cache of records' ips
  std::set<std::string> nothingToAdopt_;                 // adopt() found no address there
  std::set<std::string> withoutNetwork_;                 // see withoutNetwork()
  std::map<std::string, NetworkRecord> reserved_;        // reserve()d, setUp() not begun

  std::mutex lockMu_;
  std::condition_variable lockCv_;
  std::set<std::string> busy_;
};

}  // namespace dockershim::network
