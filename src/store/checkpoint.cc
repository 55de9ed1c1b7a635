#include "store/checkpoint.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>

namespace dockershim::store {
namespace {

using Json = nlohmann::json;
// Encoding needs the keys in cri-dockerd's struct order, which nlohmann::json would sort.
using OrderedJson = nlohmann::ordered_json;

constexpr std::string_view kSchemaVersion = "v1";
constexpr char kSandboxFolder[] = "sandbox";
// compat: kubelet's file store (which cri-dockerd keeps) names temp files with a leading '.'
// and skips such names when listing; sandbox ids never start with one.
constexpr char kTempTemplate[] = ".checkpoint-XXXXXX";
constexpr std::size_t kMaxFileName = 255;

// ---- encoding ----

OrderedJson dataJson(const SandboxCheckpoint& cp) {
  OrderedJson data = OrderedJson::object();
  if (!cp.portMappings.empty()) {
    OrderedJson mappings = OrderedJson::array();
    for (const PortMapping& pm : cp.portMappings) {
      OrderedJson m = OrderedJson::object();
      m["protocol"] = pm.protocol;
      m["container_port"] = pm.containerPort;
      m["host_port"] = pm.hostPort;
      if (!pm.hostIp.empty()) m["host_ip"] = pm.hostIp;
      mappings.push_back(std::move(m));
    }
    data["port_mappings"] = std::move(mappings);
  }
  if (cp.hostNetwork) data["host_network"] = true;
  return data;
}

// Compact, and never throwing on bytes that are not UTF-8 (names come from the CRI request).
std::string compact(const OrderedJson& j) {
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

// compat: cri-dockerd's checksum is FNV-1a 32 over go-spew's "%#v" text of its CheckpointData
// (settings: SortKeys, DisableMethods, SpewKeys). That text names the Go types: fields in
// declaration order as Name:(type)value, pointer slice elements as <*>, strings raw, a nil slice
// as <nil> and an empty one as [].
std::string spewText(const SandboxCheckpoint& cp, bool emptyMappingsPresent) {
  std::string text = "(core.CheckpointData){PortMappings:([]*config.PortMapping)";
  if (cp.portMappings.empty()) {
    text += emptyMappingsPresent ? "[]" : "<nil>";
  } else {
    text += '[';
    bool first = true;
    for (const PortMapping& pm : cp.portMappings) {
      if (!first) text += ' ';
      first = false;
      text += "<*>{Protocol:(*config.Protocol)" + pm.protocol + " ContainerPort:(*int32)" +
              std::to_string(pm.containerPort) + " HostPort:(*int32)" +
              std::to_string(pm.hostPort) + " HostIP:(string)" + pm.hostIp + '}';
    }
    text += ']';
  }
  text += cp.hostNetwork ? " HostNetwork:(bool)true}" : " HostNetwork:(bool)false}";
  return text;
}

uint32_t fnv1a32(std::string_view bytes) {
  uint32_t hash = 2166136261u;
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 16777619u;
  }
  return hash;
}

// ---- decoding: Go's encoding/json rules for the struct cri-dockerd declares ----

Status corrupt(std::string_view why) {
  return errorStatus(Code::kDataLoss, "checkpoint: " + std::string(why));
}

// The field, or null when absent or JSON null (Go leaves the zero value for both).
const Json* field(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status readString(const Json& obj, const char* key, std::string* out) {
  const Json* v = field(obj, key);
  if (v == nullptr) return Status::ok();
  if (!v->is_string()) return corrupt(std::string("\"") + key + "\" is not a string");
  *out = v->get<std::string>();
  return Status::ok();
}

Status readInt32(const Json& obj, const char* key, int32_t* out) {
  const Json* v = field(obj, key);
  if (v == nullptr) return Status::ok();
  const Status bad = corrupt(std::string("\"") + key + "\" is not an int32");
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) return bad;
    *out = static_cast<int32_t>(u);
    return Status::ok();
  }
  if (v->is_number_integer()) {
    const auto i = v->get<int64_t>();
    if (i < std::numeric_limits<int32_t>::min() || i > std::numeric_limits<int32_t>::max()) {
      return bad;
    }
    *out = static_cast<int32_t>(i);
    return Status::ok();
  }
  return bad;  // floats included, as Go refuses 80.5 or 8e1 for an int32
}

Status readPortMapping(const Json& v, PortMapping* pm) {
  if (!v.is_object()) return corrupt("a port mapping is not an object");
  if (Status s = readString(v, "protocol", &pm->protocol); !s) return s;
  if (Status s = readInt32(v, "container_port", &pm->containerPort); !s) return s;
  if (Status s = readInt32(v, "host_port", &pm->hostPort); !s) return s;
  return readString(v, "host_ip", &pm->hostIp);
}

Status readData(const Json& root, SandboxCheckpoint* cp) {
  const Json* data = field(root, "data");
  if (data == nullptr) return Status::ok();
  if (!data->is_object()) return corrupt("\"data\" is not an object");
  if (const Json* list = field(*data, "port_mappings"); list != nullptr) {
    if (!list->is_array()) return corrupt("\"port_mappings\" is not an array");
    for (const Json& item : *list) {
      if (item.is_null()) continue;  // a nil *PortMapping in Go; nothing to keep
      PortMapping pm;
      if (Status s = readPortMapping(item, &pm); !s) return s;
      cp->portMappings.push_back(std::move(pm));
    }
  }
  if (const Json* hostNetwork = field(*data, "host_network"); hostNetwork != nullptr) {
    if (!hostNetwork->is_boolean()) return corrupt("\"host_network\" is not a boolean");
    cp->hostNetwork = hostNetwork->get<bool>();
  }
  return Status::ok();
}

// ---- files ----

Code codeForErrno(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return Code::kPermissionDenied;
    case ENOSPC:
    case EDQUOT:
      return Code::kResourceExhausted;
    default:
      return Code::kInternal;
  }
}

Status errnoStatus(std::string_view what, const std::string& path, int err) {
  return errorStatus(codeForErrno(err),
                     std::string(what) + " \"" + path + "\": " + std::strerror(err));
}

Status validateId(const std::string& id) {
  // The id becomes a file name under our folder: nothing that could leave it or hide as a temp.
  const bool safe = !id.empty() && id.size() <= kMaxFileName && id.front() != '.' &&
                    id.find('/') == std::string::npos && id.find('\0') == std::string::npos;
  if (safe) return Status::ok();
  return errorStatus(Code::kInvalidArgument,
                     "sandbox id \"" + id + "\" is not usable as a checkpoint file name");
}

Status writeAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoStatus("write", path, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

Status fsyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errnoStatus("open folder", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return errnoStatus("fsync folder", dir, err);
  return Status::ok();
}

// NOT_FOUND when the file does not exist.
Result<std::string> readFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return errorStatus(Code::kNotFound, "no checkpoint \"" + path + "\"");
    return errnoStatus("open", path, errno);
  }
  std::string text;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return errnoStatus("read", path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

// mkdir -p where each folder created is 0700: checkpoints name pods and their host ports.
Status makeDirectories(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return Status::ok();
  if (errno == ENOENT && dir.has_parent_path() && dir.parent_path() != dir) {
    if (Status s = makeDirectories(dir.parent_path()); !s) return s;
    if (::mkdir(dir.c_str(), 0700) == 0) return Status::ok();
  }
  if (errno != EEXIST) return errnoStatus("create folder", dir.string(), errno);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return errnoStatus("stat", dir.string(), errno);
  if (!S_ISDIR(st.st_mode)) return errnoStatus("create folder", dir.string(), ENOTDIR);
  return Status::ok();
}

Status internalError(std::string_view what, const std::exception& e) {
  return errorStatus(Code::kInternal, std::string(what) + ": " + e.what());
}

}  // namespace

uint32_t checkpointChecksum(const SandboxCheckpoint& cp) {
  return fnv1a32(spewText(cp, /*emptyMappingsPresent=*/false));
}

uint32_t legacyChecksum(const SandboxCheckpoint& cp) { return fnv1a32(compact(dataJson(cp))); }

std::string encodeCheckpoint(const SandboxCheckpoint& cp) {
  OrderedJson root = OrderedJson::object();
  root["version"] = kSchemaVersion;
  root["name"] = cp.name;
  root["namespace"] = cp.podNamespace;
  root["data"] = dataJson(cp);
  root["checksum"] = static_cast<uint64_t>(checkpointChecksum(cp));
  return compact(root);
}

Result<DecodedCheckpoint> decodeCheckpoint(std::string_view text) {
  const Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return corrupt("not JSON");
  if (!root.is_object()) return corrupt("not a JSON object");

  const Json* version = field(root, "version");
  if (version == nullptr || !version->is_string() ||
      version->get_ref<const std::string&>() != kSchemaVersion) {
    return corrupt("version is not \"v1\"");
  }

  DecodedCheckpoint out;
  SandboxCheckpoint& cp = out.checkpoint;
  if (Status s = readString(root, "name", &cp.name); !s) return s;
  if (Status s = readString(root, "namespace", &cp.podNamespace); !s) return s;
  if (Status s = readData(root, &cp); !s) return s;

  // compat: Go's Checksum is a uint64, so a negative or fractional number fails to decode there.
  uint64_t stored = 0;
  if (const Json* checksum = field(root, "checksum"); checksum != nullptr) {
    if (!checksum->is_number_unsigned()) return corrupt("\"checksum\" is not a uint64");
    stored = checksum->get<uint64_t>();
  }
  // cri-dockerd's checksum (which dockershim writes), or the one earlier dockershim builds wrote
  // (FNV-1a 32 of the compact `data` JSON).
  const Json* data = field(root, "data");
  const Json* list = data != nullptr ? field(*data, "port_mappings") : nullptr;
  const bool emptyMappingsPresent = list != nullptr && list->empty();
  out.checksumMatched =
      stored == fnv1a32(spewText(cp, emptyMappingsPresent)) || stored == legacyChecksum(cp);
  return out;
}

CheckpointStore::CheckpointStore(std::string rootDirectory)
    : dir_((std::filesystem::path(std::move(rootDirectory)) / kSandboxFolder).string()) {
  // Temp files of writes a crash cut short: the checkpoint each was replacing is intact.
  std::error_code ec;
  const std::string prefix(kTempTemplate, sizeof(kTempTemplate) - 1 - 6);
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    if (e.path().filename().string().rfind(prefix, 0) != 0) continue;
    std::error_code removeEc;
    if (std::filesystem::remove(e.path(), removeEc)) {
      spdlog::info("removed \"{}\", left by a checkpoint write that did not finish",
                   e.path().string());
    }
  }
}

Status CheckpointStore::ensureDirectory() { return makeDirectories(std::filesystem::path(dir_)); }

Status CheckpointStore::write(const std::string& sandboxId, const SandboxCheckpoint& cp) {
  try {
    if (Status s = validateId(sandboxId); !s) return s;
    std::lock_guard lock(mu_);
    if (Status s = ensureDirectory(); !s) return s;
    const std::string text = encodeCheckpoint(cp);
    const std::string path = dir_ + "/" + sandboxId;

    // A reader sees the old file or the new one, never a part: write aside, then rename.
    std::string tmp = dir_ + "/" + kTempTemplate;
    const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) {
      return errnoStatus("create temp file in", dir_, errno)
          .withContext("write checkpoint \"" + sandboxId + "\"");
    }
    Status s = writeAll(fd, text, tmp);
    if (s && ::fsync(fd) != 0) s = errnoStatus("fsync", tmp, errno);
    if (::close(fd) != 0 && s) s = errnoStatus("close", tmp, errno);
    if (s && ::rename(tmp.c_str(), path.c_str()) != 0) s = errnoStatus("rename", tmp, errno);
    if (!s) {
      ::unlink(tmp.c_str());
      return s.withContext("write checkpoint \"" + sandboxId + "\"");
    }
    // The rename itself is durable only once the folder is synced.
    return fsyncDirectory(dir_).withContext("write checkpoint \"" + sandboxId + "\"");
  } catch (const std::exception& e) {
    return internalError("write checkpoint \"" + sandboxId + "\"", e);
  }
}

Result<SandboxCheckpoint> CheckpointStore::read(const std::string& sandboxId) {
  try {
    if (Status s = validateId(sandboxId); !s) return s;
    std::lock_guard lock(mu_);
    const std::string path = dir_ + "/" + sandboxId;
    Result<std::string> text = readFile(path);
    if (!text) return text.status();

    Result<DecodedCheckpoint> decoded = decodeCheckpoint(*text);
    if (!decoded) {
      // An unreadable checkpoint can never become readable; keeping it only repeats this.
      spdlog::warn("checkpoint \"{}\": removing unreadable file \"{}\": {}", sandboxId, path,
                   decoded.status().message());
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        spdlog::warn("checkpoint \"{}\": remove \"{}\": {}", sandboxId, path, std::strerror(errno));
      }
      return errorStatus(Code::kNotFound,
                         "checkpoint \"" + sandboxId + "\" was unreadable and is removed");
    }
    if (!decoded->checksumMatched) {
      spdlog::warn("checkpoint \"{}\": checksum does not match its data; accepted as written",
                   sandboxId);
    }
    return std::move(decoded->checkpoint);
  } catch (const std::exception& e) {
    return internalError("read checkpoint \"" + sandboxId + "\"", e);
  }
}

Status CheckpointStore::remove(const std::string& sandboxId) {
  try {
    if (Status s = validateId(sandboxId); !s) return s;
    std::lock_guard lock(mu_);
    const std::string path = dir_ + "/" + sandboxId;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return errnoStatus("remove checkpoint", path, errno);
    }
    return Status::ok();
  } catch (const std::exception& e) {
    return internalError("remove checkpoint \"" + sandboxId + "\"", e);
  }
}

std::vector<std::string> CheckpointStore::list() {
  std::vector<std::string> ids;
  try {
    std::lock_guard lock(mu_);
    // File times come from the kernel's coarse clock, a tick (up to 10 ms) at a time: a change
    // in the tick of a reading would leave the time as it was. A listing is trusted only when
    // the time it reflects was already this far in the past when the folder was read.
    constexpr int64_t kSettledNs = 100'000'000;
    struct stat st {};
    const bool statted = ::stat(dir_.c_str(), &st) == 0;
    if (statted && listedMtime_ && listedMtime_->tv_sec == st.st_mtim.tv_sec &&
        listedMtime_->tv_nsec == st.st_mtim.tv_nsec) {
      return listed_;
    }
    listedMtime_.reset();
    timespec readAt{};
    ::clock_gettime(CLOCK_REALTIME, &readAt);
    std::error_code ec;
    std::filesystem::directory_iterator it(dir_, ec);
    if (ec) {
      if (ec != std::errc::no_such_file_or_directory) {
        spdlog::warn("list checkpoints in \"{}\": {}", dir_, ec.message());
      }
      return ids;
    }
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      std::string name = it->path().filename().string();
      if (name.empty() || name.front() == '.') continue;  // temp files
      std::error_code typeEc;
      if (!it->is_regular_file(typeEc)) continue;
      ids.push_back(std::move(name));
    }
    if (ec) {
      spdlog::warn("list checkpoints in \"{}\": {}", dir_, ec.message());
      return ids;
    }
    std::sort(ids.begin(), ids.end());
    const int64_t age = (int64_t{readAt.tv_sec} - st.st_mtim.tv_sec) * 1'000'000'000 +
                        (readAt.tv_nsec - st.st_mtim.tv_nsec);
    if (statted && age > kSettledNs) {
      listed_ = ids;
      listedMtime_ = st.st_mtim;
    }
  } catch (const std::exception& e) {
    spdlog::warn("list checkpoints in \"{}\": {}", dir_, e.what());
  }
  return ids;
}

}  // namespace dockershim::store
