#include "network/pod_network.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "common/fault_point.h"
#include "common/netns.h"
#include "network/cni_result.h"

namespace dockershim::network {

namespace {

// A failed ADD is undone, and a DEL that follows a call killed at its deadline still runs: both
// get this long of their own.
constexpr std::chrono::seconds kCleanupBudget{30};

bool isConfigName(const std::string& name) {
  auto endsWith = [&](const char* ext) {
    std::string e(ext);
    return name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  return endsWith(".conf") || endsWith(".conflist") || endsWith(".json");
}

// What identifies the conf dir's state: every candidate file's name, inode, size and mtime.
std::string confDirSignature(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return "unreadable:" + std::to_string(errno);
  std::vector<std::string> parts;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (!isConfigName(name)) continue;
    struct stat st {};
    if (::stat((dir + "/" + name).c_str(), &st) != 0) continue;
    std::ostringstream part;
    part << name << ':' << st.st_ino << ':' << st.st_size << ':' << st.st_mtim.tv_sec << '.'
         << st.st_mtim.tv_nsec;
    parts.push_back(part.str());
  }
  ::closedir(d);
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += p + "\n";
  return out;
}

Status bringUpLoopback(const std::string& netnsPath) {
  return common::runInNetworkNamespace(netnsPath, []() -> Status {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status(Code::kInternal, std::string("socket: ") + std::strerror(errno));
    ifreq req{};
    std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
    Status st = Status::ok();
    if (::ioctl(fd, SIOCGIFFLAGS, &req) != 0) {
      st = Status(Code::kInternal, std::string("read flags of lo: ") + std::strerror(errno));
    } else if (!(req.ifr_flags & IFF_UP)) {
      req.ifr_flags |= IFF_UP;
      if (::ioctl(fd, SIOCSIFFLAGS, &req) != 0) {
        st = Status(Code::kInternal, std::string("bring up lo: ") + std::strerror(errno));
      }
    }
    ::close(fd);
    return st;
  });
}

struct NamespaceAddress {
  std::string ifName;
  std::string cidr;
  bool v6 = false;
};

int prefixLength(const sockaddr* mask) {
  if (!mask) return 0;
  const unsigned char* bytes;
  size_t len;
  if (mask->sa_family == AF_INET) {
    bytes = reinterpret_cast<const unsigned char*>(
        &reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    len = 4;
  } else {
    bytes = reinterpret_cast<const unsigned char*>(
        &reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr);
    len = 16;
  }
  int bits = 0;
  for (size_t i = 0; i < len; ++i) bits += __builtin_popcount(bytes[i]);
  return bits;
}

// The addresses of a namespace's interfaces other than lo (netlink, from a thread inside it).
Result<std::vector<NamespaceAddress>> namespaceAddresses(const std::string& netnsPath) {
  std::vector<NamespaceAddress> out;
  Status st = common::runInNetworkNamespace(netnsPath, [&]() -> Status {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
      return Status(Code::kInternal, std::string("getifaddrs: ") + std::strerror(errno));
    }
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr || std::string(a->ifa_name) == "lo") continue;
      int family = a->ifa_addr->sa_family;
      if (family != AF_INET && family != AF_INET6) continue;
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw = family == AF_INET
                            ? static_cast<const void*>(
                                  &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr)
                            : static_cast<const void*>(
                                  &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr);
      if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(static_cast<const in6_addr*>(raw))) continue;
      ::inet_ntop(family, raw, text, sizeof text);
      out.push_back({a->ifa_name,
                     std::string(text) + "/" + std::to_string(prefixLength(a->ifa_netmask)),
                     family == AF_INET6});
    }
    ::freeifaddrs(list);
    return Status::ok();
  });
  if (!st) return st;
  return out;
}

}  // namespace

CniManager::CniManager(CniOptions options, CniRunner::Exec exec)
    : options_(std::move(options)), runner_(options_.binDirs, std::move(exec)) {
  loadWithoutNetwork();
}

Result<NetworkConfig> CniManager::currentNetwork() {
  std::lock_guard lock(confMu_);
  std::string signature = confDirSignature(options_.confDir);
  if (confLoaded_ && signature == confSignature_) return network_;
  std::vector<SkippedConfig> skipped;
  auto loaded = loadDefaultNetwork(options_.confDir, &skipped);
  for (const auto& s : skipped) {
    spdlog::debug("CNI config \"{}\" skipped: {}", s.path, s.reason);
  }
  bool wasReady = confLoaded_ && network_.isOk();
  if (loaded) {
    if (!wasReady || network_->sourcePath != loaded->sourcePath || network_->name != loaded->name) {
      spdlog::info("CNI default network \"{}\" from {}", loaded->name, loaded->sourcePath);
    }
    network_ = std::move(loaded);
  } else {
    if (wasReady || !confLoaded_) spdlog::warn("CNI: {}", loaded.status().message());
    network_ = Status(Code::kFailedPrecondition, loaded.status().message());
  }
  confSignature_ = std::move(signature);
  confLoaded_ = true;
  return network_;
}

Status CniManager::ready() {
  auto net = currentNetwork();
  return net ? Status::ok() : net.status();
}

void CniManager::setPodCidr(const std::string& cidrs) {
  std::vector<std::string> list;
  std::stringstream in(cidrs);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) list.push_back(item);
  }
  std::lock_guard lock(cidrMu_);
  if (list != podCidrs_) spdlog::info("pod CIDR for CNI ipRanges: \"{}\"", cidrs);
  podCidrs_ = std::move(list);
}

std::vector<std::vector<IpRange>> CniManager::ipRanges() {
  std::lock_guard lock(cidrMu_);
  std::vector<std::vector<IpRange>> out;
  for (const auto& c : podCidrs_) out.push_back({IpRange{c}});
  return out;
}

NetworkRecord CniManager::newRecord(const PodSetup& pod, const NetworkConfig& network) {
  NetworkRecord record;
  record.sandboxId = pod.sandboxId;
  record.network = network;
  record.pod = pod.pod;
  record.args.portMappings = pod.portMappings;
  record.args.bandwidth = pod.bandwidth;
  record.args.dns = pod.dns;
  record.args.ipRanges = ipRanges();
  return record;
}

Status CniManager::reserve(const PodSetup& pod) {
  auto network = currentNetwork();
  if (!network) {
    return Status(Code::kFailedPrecondition,
                  "network plugin is not ready: " + network.status().message());
  }
  NetworkRecord record = newRecord(pod, *network);
  if (Status st = writeRecord(record); !st) return st.withContext("CNI record");
  std::lock_guard lock(ipsMu_);
  reserved_[pod.sandboxId] = std::move(record);
  return Status::ok();
}

bool CniManager::withoutNetwork(const std::string& sandboxId) {
  std::lock_guard lock(ipsMu_);
  return !withoutNetwork_.empty() && withoutNetwork_.count(sandboxId);
}

Result<std::vector<std::string>> CniManager::setUpNetwork(
    const PodSetup& pod, std::chrono::steady_clock::time_point deadline) {
  auto network = currentNetwork();
  if (!network) {
    return Status(Code::kFailedPrecondition,
                  "network plugin is not ready: " + network.status().message());
  }
  if (Status st = bringUpLoopback(pod.netnsPath); !st) return st.withContext("loopback");

  NetworkRecord record;
  bool reserved = false;
  {
    std::lock_guard lock(ipsMu_);
    if (auto it = reserved_.find(pod.sandboxId); it != reserved_.end()) {
      record = std::move(it->second);
      reserved_.erase(it);
      reserved = true;
    }
  }
  if (!reserved) {
    record = newRecord(pod, *network);
    if (Status st = writeRecord(record); !st) return st;
  }

  PodNetwork target{pod.sandboxId, pod.netnsPath, pod.pod, record.args, record.ifName};
  DS_FAULT_POINT("run_pod_sandbox.before_cni_add");
  auto added = runner_.add(record.network, target, deadline);
  if (added) DS_FAULT_POINT("run_pod_sandbox.after_cni_add");
  Result<CniResult> parsed =
      added ? parseCniResult(added->dump()) : Result<CniResult>(added.status());
  if (!parsed) {
    Status failure = added ? parsed.status().withContext("CNI result") : added.status();
    auto cleanup = std::chrono::steady_clock::now() + kCleanupBudget;
    Status undone = runner_.del(record.network, target, added ? &*added : nullptr, cleanup);
    if (undone) {
      (void)removeRecord(pod.sandboxId);
    } else {
      spdlog::warn("CNI DEL after a failed ADD of {} failed (kept for a later DEL): {}",
                   pod.sandboxId, undone.message());
    }
    return failure.withContext("network \"" + record.network.name + "\"");
  }
  record.result = *added;
  record.ips = network::podIps(*parsed);
  if (Status st = writeRecord(record); !st) {
    auto cleanup = std::chrono::steady_clock::now() + kCleanupBudget;
    if (runner_.del(record.network, target, &*added, cleanup)) (void)removeRecord(pod.sandboxId);
    return st;
  }
  {
    std::lock_guard lock(ipsMu_);
    ips_[pod.sandboxId] = record.ips;
  }
  return record.ips;
}

Status CniManager::tearDownNetwork(const std::string& sandboxId, const std::string& netnsPath,
                                   std::chrono::steady_clock::time_point deadline) {
  auto record = readRecord(sandboxId);
  if (!record) {
    if (record.status().code() == Code::kNotFound) return Status::ok();
    // A record we cannot read cannot be used for DEL: it would only block the pod forever.
    spdlog::warn("CNI record of {} unreadable, removed without DEL: {}", sandboxId,
                 record.status().message());
    return removeRecord(sandboxId);
  }
  if (record->deleted) return Status::ok();
  PodNetwork target{sandboxId, netnsPath, record->pod, record->args, record->ifName};
  const nlohmann::json* prev = record->result ? &*record->result : nullptr;
  if (Status st = runner_.del(record->network, target, prev, deadline); !st) {
    return st.withContext("network \"" + record->network.name + "\"");
  }
  record->deleted = true;
  record->result.reset();
  record->ips.clear();
  {
    std::lock_guard lock(ipsMu_);
    ips_.erase(sandboxId);
  }
  if (Status st = writeRecord(*record); !st) {
    spdlog::warn("CNI record of {} not marked deleted, removed instead: {}", sandboxId,
                 st.message());
    return removeRecord(sandboxId);
  }
  return Status::ok();
}

Result<std::vector<std::string>> CniManager::adopt(const std::string& sandboxId,
                                                   const std::string& netnsPath,
                                                   const PodRef& pod) {
  // Interface names come from the pod (a pod with NET_ADMIN picks them): nothing in them may
  // throw out of here.
  try {
    {
      // A sandbox's namespace is looked at once: status calls for pods that have no address
      // (loopback-only networks) must not enter it again and again.
      std::lock_guard lock(ipsMu_);
      if (nothingToAdopt_.count(sandboxId)) return std::vector<std::string>{};
    }
    auto existing = readRecord(sandboxId);
    if (existing) return existing->result ? existing->ips : std::vector<std::string>{};
    auto addresses = namespaceAddresses(netnsPath);
    if (!addresses) return addresses.status();
    if (addresses->empty()) {
      std::lock_guard lock(ipsMu_);
      nothingToAdopt_.insert(sandboxId);
      return std::vector<std::string>{};
    }
    auto network = currentNetwork();
    if (!network) return network.status();

    // The result the plugins would have printed, in the network's spec version.
    // (Before 0.3.0 results had another shape, and DEL got no prevResult before 0.4.0: the
    // record then keeps it in 0.3.1's.)
    const std::string& v = network->cniVersion;
    const std::string resultVersion = v.empty() || v == "0.1.0" || v == "0.2.0" ? "0.3.1" : v;
    const bool versionField = resultVersion.rfind("0.", 0) == 0;
    nlohmann::json interfaces = nlohmann::json::array();
    nlohmann::json ips = nlohmann::json::array();
    std::map<std::string, size_t> index;
    for (const auto& a : *addresses) {
      if (!index.count(a.ifName)) {
        index[a.ifName] = interfaces.size();
        interfaces.push_back({{"name", a.ifName}, {"sandbox", netnsPath}});
      }
      nlohmann::json ip = {{"address", a.cidr}, {"interface", index[a.ifName]}};
      if (versionField) ip["version"] = a.v6 ? "6" : "4";
      ips.push_back(ip);
    }
    nlohmann::json result = {
        {"cniVersion", resultVersion}, {"interfaces", interfaces}, {"ips", ips}};
    auto parsed = parseCniResult(result.dump());
    if (!parsed) return parsed.status().withContext("adopted network");

    NetworkRecord record;
    record.sandboxId = sandboxId;
    record.network = *network;
    record.pod = pod;
    record.args.ipRanges = ipRanges();
    record.result = result;
    record.ips = network::podIps(*parsed);
    if (Status st = writeRecord(record); !st) return st;
    spdlog::info("adopted the network of sandbox {} (set up before dockershim): {}", sandboxId,
                 record.ips.empty() ? "no IP" : record.ips[0]);
    std::lock_guard lock(ipsMu_);
    ips_[sandboxId] = record.ips;
    return record.ips;
  } catch (const std::exception& e) {
    return Status(Code::kInternal,
                  std::string("adopt the network of ") + sandboxId + ": " + e.what());
  }
}

Status CniManager::checkNetwork(const std::string& sandboxId, const std::string& netnsPath,
                                std::chrono::steady_clock::time_point deadline) {
  auto record = readRecord(sandboxId);
  if (!record || record->deleted) {
    return Status(Code::kNotFound, "no CNI network is set up for " + sandboxId);
  }
  if (!record->result) return Status(Code::kUnavailable, "CNI ADD still in progress");
  if (!checkSupported(record->network)) {
    return Status(Code::kUnimplemented, "network \"" + record->network.name + "\" (spec " +
                                            record->network.cniVersion +
                                            ") does not support CHECK or disables it");
  }
  PodNetwork target{sandboxId, netnsPath, record->pod, record->args, record->ifName};
  return runner_.check(record->network, target, *record->result, deadline)
      .withContext("network \"" + record->network.name + "\"");
}

std::vector<std::string> CniManager::podIps(const std::string& sandboxId) {
  std::lock_guard lock(ipsMu_);
  auto it = ips_.find(sandboxId);
  if (it != ips_.end()) return it->second;
  // A miss (after a restart, or a sandbox without CNI) reads the record; only complete records
  // are kept in memory, so the map holds no more than the set-up sandboxes.
  auto record = readRecord(sandboxId);
  if (!record || !record->result) return {};
  ips_[sandboxId] = record->ips;
  return record->ips;
}

void CniManager::discard(const std::string& sandboxId) {
  if (Status st = removeRecord(sandboxId); !st) spdlog::warn("{}", st.message());
  std::lock_guard lock(ipsMu_);
  nothingToAdopt_.erase(sandboxId);
}

CniManager::PodLock::PodLock(CniManager& owner, std::string sandboxId,
                             std::chrono::steady_clock::time_point deadline)
    : owner_(owner), id_(std::move(sandboxId)) {
  std::unique_lock lock(owner_.lockMu_);
  auto free = [&] { return !owner_.busy_.count(id_); };
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    owner_.lockCv_.wait(lock, free);
  } else if (!owner_.lockCv_.wait_until(lock, deadline, free)) {
    return;
  }
  owner_.busy_.insert(id_);
  owns_ = true;
}

CniManager::PodLock::~PodLock() {
  if (!owns_) return;
  {
    std::lock_guard lock(owner_.lockMu_);
    owner_.busy_.erase(id_);
  }
  owner_.lockCv_.notify_all();
}

}  // namespace dockershim::network

namespace dockershim::network {

namespace {
// Times one pod operation for the metrics observer (when there is one).
template <class F>
auto observed(const CniOptions& options, const char* operation, F&& run) {
  auto start = std::chrono::steady_clock::now();
  auto result = run();
  if (options.observe) {
    Status status;
    if constexpr (std::is_same_v<decltype(result), Status>) {
      status = result;
    } else {
      status = result.status();
    }
    options.observe(
        operation, status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return result;
}
}  // namespace

Result<std::vector<std::string>> CniManager::setUp(const PodSetup& pod,
                                                   std::chrono::steady_clock::time_point deadline) {
  return observed(options_, "set_up_pod", [&] { return setUpNetwork(pod, deadline); });
}

Status CniManager::tearDown(const std::string& sandboxId, const std::string& netnsPath,
                            std::chrono::steady_clock::time_point deadline) {
  return observed(options_, "tear_down_pod",
                  [&] { return tearDownNetwork(sandboxId, netnsPath, deadline); });
}

Status CniManager::check(const std::string& sandboxId, const std::string& netnsPath,
                         std::chrono::steady_clock::time_point deadline) {
  return observed(options_, "check_pod",
                  [&] { return checkNetwork(sandboxId, netnsPath, deadline); });
}

}  // namespace dockershim::network
