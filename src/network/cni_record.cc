// CNI records: what ADD was given and what it returned, one file per sandbox under
// <cni cache dir>/dockershim, so DEL runs once with the same input after any restart.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "network/pod_network.h"

namespace dockershim::network {

namespace {

constexpr char kRecordKind[] = "dockershim-cni-record-v1";

nlohmann::json encodeArgs(const RuntimeArgs& args) {
  nlohmann::json out = nlohmann::json::object();
  nlohmann::json pms = nlohmann::json::array();
  for (const auto& pm : args.portMappings) {
    pms.push_back({{"hostPort", pm.hostPort},
                   {"containerPort", pm.containerPort},
                   {"protocol", pm.protocol},
                   {"hostIP", pm.hostIp}});
  }
  out["portMappings"] = pms;
  if (args.bandwidth) {
    out["bandwidth"] = {{"ingressRate", args.bandwidth->ingressRate},
                        {"ingressBurst", args.bandwidth->ingressBurst},
                        {"egressRate", args.bandwidth->egressRate},
                        {"egressBurst", args.bandwidth->egressBurst}};
  }
  if (args.dns) {
    out["dns"] = {{"servers", args.dns->servers},
                  {"searches", args.dns->searches},
                  {"options", args.dns->options}};
  }
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& set : args.ipRanges) {
    nlohmann::json s = nlohmann::json::array();
    for (const auto& r : set) s.push_back({{"subnet", r.subnet}});
    ranges.push_back(s);
  }
  out["ipRanges"] = ranges;
  return out;
}

RuntimeArgs decodeArgs(const nlohmann::json& in) {
  RuntimeArgs args;
  for (const auto& pm : in.at("portMappings")) {
    args.portMappings.push_back(
        {pm.at("hostPort").get<int32_t>(), pm.at("containerPort").get<int32_t>(),
         pm.at("protocol").get<std::string>(), pm.at("hostIP").get<std::string>()});
  }
  if (in.contains("bandwidth")) {
    const auto& b = in.at("bandwidth");
    args.bandwidth =
        Bandwidth{b.at("ingressRate").get<uint64_t>(), b.at("ingressBurst").get<uint64_t>(),
                  b.at("egressRate").get<uint64_t>(), b.at("egressBurst").get<uint64_t>()};
  }
  if (in.contains("dns")) {
    const auto& d = in.at("dns");
    args.dns = DnsConfig{d.at("servers").get<std::vector<std::string>>(),
                         d.at("searches").get<std::vector<std::string>>(),
                         d.at("options").get<std::vector<std::string>>()};
  }
  for (const auto& set : in.at("ipRanges")) {
    std::vector<IpRange> s;
    for (const auto& r : set) s.push_back({r.at("subnet").get<std::string>()});
    args.ipRanges.push_back(std::move(s));
  }
  return args;
}

}  // namespace

// A record is a file named by the sandbox id: nothing that could name another path.
bool validSandboxId(const std::string& id) {
  return !id.empty() && id.find('/') == std::string::npos && id[0] != '.';
}

nlohmann::json encodeRecord(const NetworkRecord& record) {
  nlohmann::json plugins = nlohmann::json::array();
  for (const auto& p : record.network.plugins) plugins.push_back(p.raw);
  nlohmann::json network = {{"name", record.network.name},
                            {"cniVersion", record.network.cniVersion},
                            {"disableCheck", record.network.disableCheck},
                            {"plugins", plugins}};
  nlohmann::json out = {
      {"kind", kRecordKind},
      {"sandboxId", record.sandboxId},
      {"network", network},
      {"source", record.network.sourcePath},
      {"pod",
       {{"namespace", record.pod.podNamespace},
        {"name", record.pod.name},
        {"uid", record.pod.uid}}},
      {"runtimeArgs", encodeArgs(record.args)},
      {"ifName", record.ifName},
      {"ips", record.ips},
  };
  if (record.result) out["result"] = *record.result;
  if (record.deleted) out["deleted"] = true;
  return out;
}

Result<NetworkRecord> decodeRecord(const std::string& text) {
  try {
    auto in = nlohmann::json::parse(text);
    if (!in.is_object() || in.value("kind", "") != kRecordKind) {
      return Status(Code::kDataLoss, "not a dockershim CNI record");
    }
    NetworkRecord record;
    record.sandboxId = in.at("sandboxId").get<std::string>();
    auto network = parseConfList(in.at("network").dump(), in.value("source", ""));
    if (!network) return Status(Code::kDataLoss, network.status().message());
    record.network = std::move(*network);
    record.network.sourcePath = in.value("source", "");
    const auto& pod = in.at("pod");
    record.pod = {pod.at("namespace").get<std::string>(), pod.at("name").get<std::string>(),
                  pod.at("uid").get<std::string>()};
    record.args = decodeArgs(in.at("runtimeArgs"));
    record.ifName = in.at("ifName").get<std::string>();
    record.ips = in.at("ips").get<std::vector<std::string>>();
    if (in.contains("result")) record.result = in.at("result");
    record.deleted = in.value("deleted", false);
    return record;
  } catch (const std::exception& e) {
    return Status(Code::kDataLoss, std::string("CNI record: ") + e.what());
  }
}

std::string CniManager::recordPath(const std::string& sandboxId) const {
  return options_.cacheDir + "/dockershim/" + sandboxId;
}

Status CniManager::writeRecord(const NetworkRecord& record) {
  if (!validSandboxId(record.sandboxId)) {
    return Status(Code::kInvalidArgument,
                  "sandbox id \"" + record.sandboxId + "\" is not a file name");
  }
  std::string dir = options_.cacheDir + "/dockershim";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(Code::kInternal, "create " + dir + ": " + ec.message());
  std::string path = recordPath(record.sandboxId);
  std::string tmp = path + ".tmp";
  std::string text =
      encodeRecord(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status(Code::kInternal, "open " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status(Code::kInternal, "write " + tmp + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Status(Code::kInternal, "store " + path + ": " + why);
  }
  if (record.deleted) {
    std::lock_guard lock(ipsMu_);
    withoutNetwork_.insert(record.sandboxId);
  } else if (record.result) {
    std::lock_guard lock(ipsMu_);
    withoutNetwork_.erase(record.sandboxId);
  }
  return Status::ok();
}

Result<NetworkRecord> CniManager::readRecord(const std::string& sandboxId) {
  if (!validSandboxId(sandboxId)) return Status(Code::kNotFound, "no CNI record");
  std::ifstream in(recordPath(sandboxId), std::ios::binary);
  if (!in) return Status(Code::kNotFound, "no CNI record for " + sandboxId);
  std::stringstream text;
  text << in.rdbuf();
  return decodeRecord(text.str());
}

Status CniManager::removeRecord(const std::string& sandboxId) {
  std::string path = recordPath(sandboxId);
  // Under ipsMu_, as podIps' reads: a lookup cannot cache what is being removed.
  std::lock_guard lock(ipsMu_);
  ips_.erase(sandboxId);
  withoutNetwork_.erase(sandboxId);
  reserved_.erase(sandboxId);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status(Code::kInternal, "remove " + path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

void CniManager::loadWithoutNetwork() {
  const std::string dir = options_.cacheDir + "/dockershim";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
      // A write cut short by a crash; the record it was replacing (if any) is intact.
      std::filesystem::remove(e.path(), ec);
      continue;
    }
    auto record = readRecord(name);
    if (!record) {
      if (record.status().code() != Code::kNotFound) {
        spdlog::warn("CNI record \"{}\" is damaged ({}); it is removed when its sandbox goes",
                     e.path().string(), record.status().message());
      }
      continue;
    }
    if (record->deleted) {
      withoutNetwork_.insert(name);
    } else if (!record->result) {
      spdlog::warn(
          "sandbox {}: its network set-up was cut short by a restart; it is reported "
          "NOTREADY until it is stopped",
          name);
      withoutNetwork_.insert(name);
    }
  }
}

std::vector<std::string> CniManager::recordIds() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(options_.cacheDir + "/dockershim", ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) continue;
    if (validSandboxId(name)) out.push_back(name);
  }
  return out;
}

}  // namespace dockershim::network
