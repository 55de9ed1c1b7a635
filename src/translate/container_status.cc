#include "translate/container_status.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "common/json_util.h"
#include "translate/image_ref.h"
#include "translate/labels.h"
#include "translate/naming.h"

namespace dockershim::translate {

using nlohmann::json;

// ---- shared with container_list.cc (declared in the header) ----

int64_t intField(const json& obj, std::string_view key) {
  const json& v = common::jsonMember(obj, key);
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    // 2^63 is exactly representable; anything at or beyond it would overflow the cast.
    if (!std::isfinite(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0) return 0;
    return static_cast<int64_t>(d);
  }
  return 0;
}

bool isRunningState(std::string_view s) {
  return s == kStateRunning || s == kStatePaused || s == kStateRestarting;
}

Result<KubeName> kubeNameOf(const json& name) {
  if (!name.is_string()) {
    return Status(Code::kInvalidArgument, "container name is missing or not a string");
  }
  return parseKubeName(name.get_ref<const std::string&>());
}

void setSandboxMetadata(const KubeName& name, runtime::v1::PodSandboxMetadata* md) {
  md->set_name(name.pod);
  md->set_namespace_(name.podNamespace);
  md->set_uid(name.podUid);
  md->set_attempt(name.attempt);
}

void setContainerMetadata(const KubeName& name, runtime::v1::ContainerMetadata* md) {
  md->set_name(name.container);
  md->set_attempt(name.attempt);
}

namespace {

constexpr std::string_view kPullablePrefix = "docker-pullable://";
constexpr std::string_view kImageIdPrefix = "docker://";
constexpr std::string_view kNamespaceModeHost = "host";

// ---- checked JSON access (what Docker sends must never throw), beyond common/json_util.h ----

// Absent (or mistyped) is told apart from false: State.Running falls back on State.Status.
std::optional<bool> boolField(const json& obj, std::string_view key) {
  const json& v = common::jsonMember(obj, key);
  if (!v.is_boolean()) return std::nullopt;
  return v.get<bool>();
}

int32_t clampToInt32(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

// ---- RFC 3339 ----

// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil), so the
// conversion depends on neither the C library's time zone nor its time_t range.
int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool isLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeapYear(y) ? 29 : kDays[m - 1];
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool number(size_t width, int& out) {
    if (s_.size() - pos_ < width) return false;
    int v = 0;
    for (size_t i = 0; i < width; ++i) {
      char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += width;
    out = v;
    return true;
  }
  bool literal(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  std::optional<char> peek() const {
    return pos_ < s_.size() ? std::optional<char>(s_[pos_]) : std::nullopt;
  }
  void skip() { ++pos_; }
  bool atEnd() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::optional<int64_t> parseRfc3339(std::string_view text) {
  Cursor c(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!c.number(4, year) || !c.literal('-') || !c.number(2, month) || !c.literal('-') ||
      !c.number(2, day)) {
    return std::nullopt;
  }
  if (!c.literal('T') && !c.literal('t')) return std::nullopt;
  if (!c.number(2, hour) || !c.literal(':') || !c.number(2, minute) || !c.literal(':') ||
      !c.number(2, second)) {
    return std::nullopt;
  }
  // Go rejects leap seconds (60) too; Docker never writes them.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  int64_t fraction = 0;
  if (c.literal('.')) {
    int digits = 0;
    while (c.peek() && *c.peek() >= '0' && *c.peek() <= '9') {
      if (digits < 9) fraction = fraction * 10 + (*c.peek() - '0');
      ++digits;
      c.skip();
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) fraction *= 10;
  }
  int64_t offset = 0;
  if (c.literal('Z') || c.literal('z')) {
  } else if (auto sign = c.peek(); sign && (*sign == '+' || *sign == '-')) {
    c.skip();
    int oh = 0, om = 0;
    if (!c.number(2, oh) || !c.literal(':') || !c.number(2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (*sign == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (!c.atEnd()) return std::nullopt;

  int64_t seconds =
      daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  int64_t nanos = 0;
  if (__builtin_mul_overflow(seconds, int64_t{1000000000}, &nanos) ||
      __builtin_add_overflow(nanos, fraction, &nanos)) {
    return std::nullopt;  // Docker's zero time (year 1) lands here
  }
  return nanos;
}

// ---- states ----

// Docker API: State.Running is true for running, paused and restarting containers. Older or
// odd bodies without the flag fall back on State.Status.
bool inspectRunning(const json& state) {
  if (auto running = boolField(state, "Running")) return *running;
  return isRunningState(common::jsonString(state, "Status"));
}

// ---- inspect pieces ----

runtime::v1::MountPropagation propagationOf(std::string_view p) {
  if (p == "rslave" || p == "slave") return runtime::v1::PROPAGATION_HOST_TO_CONTAINER;
  if (p == "rshared" || p == "shared") return runtime::v1::PROPAGATION_BIDIRECTIONAL;
  // rprivate, private, and "" (volumes and tmpfs carry none): Linux's default, private.
  return runtime::v1::PROPAGATION_PRIVATE;
}

// Docker API: Mode is the bind's option string ("ro,Z", "z"); z/Z asked Docker to relabel.
bool hasSelinuxRelabel(std::string_view mode) {
  while (!mode.empty()) {
    size_t comma = mode.find(',');
    std::string_view opt = mode.substr(0, comma);
    if (opt == "z" || opt == "Z") return true;
    if (comma == std::string_view::npos) break;
    mode.remove_prefix(comma + 1);
  }
  return false;
}

void addMounts(const json& mounts, google::protobuf::RepeatedPtrField<runtime::v1::Mount>* out) {
  if (!mounts.is_array()) return;
  for (const auto& m : mounts) {
    if (!m.is_object()) continue;
    auto* mount = out->Add();
    mount->set_container_path(common::jsonString(m, "Destination"));
    mount->set_host_path(common::jsonString(m, "Source"));
    mount->set_readonly(!boolField(m, "RW").value_or(true));
    mount->set_selinux_relabel(hasSelinuxRelabel(common::jsonString(m, "Mode")));
    mount->set_propagation(propagationOf(common::jsonString(m, "Propagation")));
  }
}

std::vector<std::string> repoDigestsOf(const json& image) {
  std::vector<std::string> out;
  const json& digests = common::jsonMember(image, "RepoDigests");
  if (!digests.is_array()) return out;
  for (const auto& d : digests) {
    // Docker marks dangling images with "<none>@<none>".
    if (d.is_string() && d.get_ref<const std::string&>().rfind("<none>", 0) != 0) {
      out.push_back(d.get<std::string>());
    }
  }
  return out;
}

std::string firstRepoTag(const json& image) {
  const json& tags = common::jsonMember(image, "RepoTags");
  if (!tags.is_array()) return "";
  for (const auto& t : tags) {
    if (t.is_string() && t.get_ref<const std::string&>().rfind("<none>", 0) != 0) {
      return t.get<std::string>();
    }
  }
  return "";
}

// The container state, reason and message; the times may be rewritten (ContainerCannotRun).
void setStateFromInspect(const json& state, runtime::v1::ContainerStatus* out) {
  if (inspectRunning(state)) {
    out->set_state(runtime::v1::CONTAINER_RUNNING);
    return;
  }
  // compat: dockershim's rules, which kubelet's restart and back-off logic grew up with.
  // A finished container exited; one that never finished but has an exit code failed to start
  // (Docker sets 126/127/128 and State.Error; its status word stays "created"); any other is
  // merely created. "removing" follows the same rules.
  const bool oomKilled = boolField(state, "OOMKilled").value_or(false);
  const std::string status = common::jsonString(state, "Status");
  out->set_message(common::jsonString(state, "Error"));
  if (out->finished_at() != 0) {
    out->set_state(runtime::v1::CONTAINER_EXITED);
    // OOMKilled first: an application may handle the OOM kill and still exit 0.
    out->set_reason(oomKilled ? "OOMKilled" : out->exit_code() == 0 ? "Completed" : "Error");
  } else if (out->exit_code() != 0) {
    out->set_state(runtime::v1::CONTAINER_EXITED);
    out->set_reason("ContainerCannotRun");
    // compat: it never ran; started/finished = created rather than Docker's zero time.
    out->set_started_at(out->created_at());
    out->set_finished_at(out->created_at());
  } else if (status == kStateDead || status == kStateExited) {
    // No finish time yet stopped for good (a dead container whose removal failed): EXITED, so
    // kubelet replaces it instead of trying to start it.
    out->set_state(runtime::v1::CONTAINER_EXITED);
    out->set_reason(oomKilled ? "OOMKilled" : status == kStateExited ? "Completed" : "Error");
  } else {
    out->set_state(runtime::v1::CONTAINER_CREATED);
  }
}

runtime::v1::NamespaceMode namespaceMode(const json& hostConfig, std::string_view key,
                                         runtime::v1::NamespaceMode otherwise) {
  return common::jsonString(hostConfig, key) == kNamespaceModeHost ? runtime::v1::NODE : otherwise;
}

}  // namespace

int64_t dockerTimeToNanos(std::string_view time) { return parseRfc3339(time).value_or(0); }

std::string containerImageRef(const json& image, std::string_view configuredImage,
                              std::string_view imageId) {
  std::vector<std::string> digests = repoDigestsOf(image);
  if (digests.empty()) {
    std::string id = imageId.empty() ? common::jsonString(image, "Id") : std::string(imageId);
    return id.empty() ? std::string() : std::string(kImageIdPrefix) + id;
  }
  std::string chosen = digests.front();
  // An image pulled from several repositories has one digest per repository: prefer the one
  // the container names, and the very digest when it was created by digest.
  if (auto configured = parseImageRef(configuredImage); configured) {
    bool sameRepoSeen = false;
    for (const auto& d : digests) {
      auto ref = parseImageRef(d);
      if (!ref || ref->repository() != configured->repository()) continue;
      if (!configured->digest.empty() && ref->digest == configured->digest) {
        chosen = d;
        break;
      }
      if (!sameRepoSeen) chosen = d;
      sameRepoSeen = true;
    }
  }
  return std::string(kPullablePrefix) + chosen;
}

Status containerStatusFromInspect(const json& inspect, const json& image,
                                  runtime::v1::ContainerStatus* out) {
  if (!inspect.is_object()) {
    return Status(Code::kInvalidArgument, "container inspect is not a JSON object");
  }
  std::string id = common::jsonString(inspect, "Id");
  if (id.empty()) return Status(Code::kInvalidArgument, "container inspect has no Id");
  auto name = kubeNameOf(common::jsonMember(inspect, "Name"));
  if (!name) return name.status().withContext("container \"" + id + "\"");

  const json& state = common::jsonMember(inspect, "State");
  const json& config = common::jsonMember(inspect, "Config");
  const json& labels = common::jsonMember(config, "Labels");

  out->Clear();
  out->set_id(id);
  setContainerMetadata(*name, out->mutable_metadata());
  out->set_created_at(dockerTimeToNanos(common::jsonString(inspect, "Created")));
  out->set_started_at(dockerTimeToNanos(common::jsonString(state, "StartedAt")));
  out->set_finished_at(dockerTimeToNanos(common::jsonString(state, "FinishedAt")));
  out->set_exit_code(clampToInt32(intField(state, "ExitCode")));
  setStateFromInspect(state, out);

  std::string imageId = common::jsonString(inspect, "Image");
  std::string configured = common::jsonString(config, "Image");
  std::string spec = configured;
  // kubelet creates containers from the image ID it resolved; a tag reads better in
  // `kubectl describe`, as cri-dockerd and containerd report.
  if (spec.empty() || spec == imageId || isImageId(spec)) {
    if (std::string tag = firstRepoTag(image); !tag.empty()) spec = tag;
  }
  out->mutable_image()->set_image(spec);
  out->set_image_ref(containerImageRef(image, configured, imageId));
  out->set_image_id(imageId);

  splitDockerLabels(labels, out->mutable_labels(), out->mutable_annotations());
  addMounts(common::jsonMember(inspect, "Mounts"), out->mutable_mounts());
  out->set_log_path(common::jsonString(labels, kContainerLogPathLabel));
  return Status::ok();
}

Status sandboxStatusFromInspect(const json& inspect, runtime::v1::PodSandboxStatus* out) {
  if (!inspect.is_object()) {
    return Status(Code::kInvalidArgument, "sandbox inspect is not a JSON object");
  }
  std::string id = common::jsonString(inspect, "Id");
  if (id.empty()) return Status(Code::kInvalidArgument, "sandbox inspect has no Id");
  auto name = kubeNameOf(common::jsonMember(inspect, "Name"));
  if (!name) return name.status().withContext("sandbox \"" + id + "\"");

  const json& hostConfig = common::jsonMember(inspect, "HostConfig");
  out->Clear();
  out->set_id(id);
  setSandboxMetadata(*name, out->mutable_metadata());
  out->set_state(inspectRunning(common::jsonMember(inspect, "State"))
                     ? runtime::v1::SANDBOX_READY
                     : runtime::v1::SANDBOX_NOTREADY);
  out->set_created_at(dockerTimeToNanos(common::jsonString(inspect, "Created")));
  splitDockerLabels(common::jsonMember(common::jsonMember(inspect, "Config"), "Labels"),
                    out->mutable_labels(), out->mutable_annotations());

  // compat: the modes dockershim reported. Pid is CONTAINER unless host: whether the pod shares
  // one pid namespace is recorded on its app containers (PidMode container:<sandbox>), not here.
  auto* ns = out->mutable_linux()->mutable_namespaces()->mutable_options();
  ns->set_network(namespaceMode(hostConfig, "NetworkMode", runtime::v1::POD));
  ns->set_pid(namespaceMode(hostConfig, "PidMode", runtime::v1::CONTAINER));
  ns->set_ipc(namespaceMode(hostConfig, "IpcMode", runtime::v1::POD));

  // The handler RunPodSandbox was asked for, as recorded; the label is only on sandboxes of a
  // handler other than the default, so without it the handler is "" (as cri-dockerd 0.3 and
  // containerd answer for the default handler).
  const json& labels = common::jsonMember(common::jsonMember(inspect, "Config"), "Labels");
  out->set_runtime_handler(common::jsonString(labels, kRuntimeHandlerLabel));
  return Status::ok();
}

void containerResourcesFromInspect(const json& inspect, runtime::v1::ContainerStatus* out) {
  const json& host = common::jsonMember(inspect, "HostConfig");
  auto* linux = out->mutable_resources()->mutable_linux();
  linux->set_cpu_shares(common::jsonInt(host, "CpuShares"));
  linux->set_cpu_quota(common::jsonInt(host, "CpuQuota"));
  linux->set_cpu_period(common::jsonInt(host, "CpuPeriod"));
  linux->set_memory_limit_in_bytes(common::jsonInt(host, "Memory"));
  linux->set_oom_score_adj(common::jsonInt(host, "OomScoreAdj"));
  linux->set_cpuset_cpus(common::jsonString(host, "CpusetCpus"));
  linux->set_cpuset_mems(common::jsonString(host, "CpusetMems"));
  int64_t swap = common::jsonInt(host, "MemorySwap");
  if (swap > 0) linux->set_memory_swap_limit_in_bytes(swap);

  std::string user = common::jsonString(common::jsonMember(inspect, "Config"), "User");
  auto colon = user.find(':');
  if (colon == std::string::npos) return;
  auto number = [](std::string_view s) -> std::optional<int64_t> {
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    return std::stoll(std::string(s));
  };
  auto uid = number(std::string_view(user).substr(0, colon));
  auto gid = number(std::string_view(user).substr(colon + 1));
  if (!uid || !gid) return;  // names need the image's /etc/passwd: not reported
  auto* u = out->mutable_user()->mutable_linux();
  u->set_uid(*uid);
  u->set_gid(*gid);
  u->add_supplemental_groups(*gid);
  const json& groups = common::jsonMember(host, "GroupAdd");
  if (groups.is_array()) {
    for (const auto& g : groups) {
      if (!g.is_string()) continue;
      if (auto n = number(g.get<std::string>()); n && *n != *gid) u->add_supplemental_groups(*n);
    }
  }
}

std::vector<std::string> dockerNetworkIps(const nlohmann::json& inspect) {
  std::vector<std::string> ips;
  const auto& settings = common::jsonMember(inspect, "NetworkSettings");
  auto collect = [&ips](const nlohmann::json& from) {
    for (const char* key : {"IPAddress", "GlobalIPv6Address"}) {
      std::string ip = common::jsonString(from, key);
      if (!ip.empty()) ips.push_back(ip);
    }
  };
  collect(settings);
  if (!ips.empty()) return ips;
  const auto& networks = common::jsonMember(settings, "Networks");
  if (!networks.is_object()) return ips;
  // The network the container was created on first; a pause container is on one only.
  std::string mode = common::jsonString(common::jsonMember(inspect, "HostConfig"), "NetworkMode");
  if (mode == "default") mode = "bridge";
  if (networks.contains(mode)) {
    collect(networks[mode]);
    return ips;
  }
  for (const auto& [name, endpoint] : networks.items()) {
    collect(endpoint);
    if (!ips.empty()) break;
  }
  return ips;
}

}  // namespace dockershim::translate
