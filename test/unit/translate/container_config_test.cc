#include "translate/container_config.h"

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

// The deprecated seccomp_profile_path / apparmor_profile strings are under test too.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace dockershim::translate {
namespace {

using nlohmann::json;
namespace v1 = runtime::v1;

const std::string kSandboxId = "5a1dbox0c0ffee";
const std::string kImage =
    "sha256:9d5226e6ce3fb6aee2822206a5ef85f38c303d2b37bfc894b419fca2c0501269";
const std::string kLogPath = "/var/log/pods/ns_pod_uid/app/0.log";
const std::string kProfilePath = "/var/lib/kubelet/seccomp/block-chmod.json";
const std::string kProfileText = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [ { "names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO" } ]
})";
const std::string kProfileCompact =
    R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ERRNO",)"
    R"("names":["chmod","fchmodat"]}]})";

constexpr uint64_t kAllCaps = (uint64_t{1} << 41) - 1;  // CHOWN (0) .. CHECKPOINT_RESTORE (40)
constexpr uint64_t kNoSysResource = kAllCaps & ~(uint64_t{1} << 24);

// Files ctx.readFile can see, and how often it was asked.
struct FakeFiles {
  std::map<std::string, std::string> files = {{kProfilePath, kProfileText},
                                              {"/profiles/not-json.json", "{ nope"},
                                              {"/profiles/array.json", "[1, 2]"}};
  int reads = 0;
};

ContainerCreateContext makeCtx(std::shared_ptr<FakeFiles> fs = std::make_shared<FakeFiles>()) {
  ContainerCreateContext ctx;
  ctx.sandboxId = kSandboxId;
  ctx.image = kImage;
  ctx.logPath = kLogPath;
  ctx.cgroupParent = "kubepods-burstable-pod1.slice";
  ctx.apiVersion = "1.41";
  ctx.hostCapabilities = kAllCaps;
  ctx.apparmorEnabled = true;
  ctx.readFile = [fs](const std::string& path) -> Result<std::string> {
    ++fs->reads;
    auto it = fs->files.find(path);
    if (it == fs->files.end()) return Status(Code::kNotFound, "no such file " + path);
    return it->second;
  };
  return ctx;
}

v1::ContainerConfig makeConfig() {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name("app");
  c.mutable_image()->set_image("busybox:1.36");
  return c;
}

v1::LinuxContainerSecurityContext* sec(v1::ContainerConfig& c) {
  return c.mutable_linux()->mutable_security_context();
}

json build(const v1::ContainerConfig& config, const ContainerCreateContext& ctx,
           const v1::PodSandboxConfig& sandbox = {}) {
  auto body = makeContainerCreateBody(config, sandbox, ctx);
  INFO(body.status().toString());
  REQUIRE(body.isOk());
  return *body;
}

Status failure(const v1::ContainerConfig& config, const ContainerCreateContext& ctx,
               const v1::PodSandboxConfig& sandbox = {}) {
  auto body = makeContainerCreateBody(config, sandbox, ctx);
  REQUIRE_FALSE(body.isOk());
  return body.status();
}

// The value at a JSON pointer, or null when the path is absent.
json at(const json& body, const std::string& pointer) {
  json::json_pointer p(pointer);
  return body.contains(p) ? body.at(p) : json();
}

std::vector<std::string> strings(const json& arr) {
  return arr.is_array() ? arr.get<std::vector<std::string>>() : std::vector<std::string>{};
}

google::protobuf::RepeatedPtrField<std::string> names(std::vector<std::string> list) {
  google::protobuf::RepeatedPtrField<std::string> out;
  for (auto& n : list) *out.Add() = n;
  return out;
}

TEST_CASE("container config: process, image, labels and stdio", "[container_config]") {
  auto c = makeConfig();
  c.add_command("/bin/sh");
  c.add_command("-c");
  c.add_args("echo hi");
  c.set_working_dir("/work");
  auto* e = c.add_envs();
  e->set_key("A");
  e->set_value("1=2");
  e = c.add_envs();
  e->set_key("EMPTY");
  (*c.mutable_labels())["io.kubernetes.pod.name"] = "pod";
  (*c.mutable_labels())["io.kubernetes.sandbox.id"] = "spoofed";  // internal keys win
  (*c.mutable_annotations())["note"] = "x";
  c.set_stdin(true);
  c.set_stdin_once(true);
  c.set_tty(true);

  json b = build(c, makeCtx());
  CHECK(b["Image"] == kImage);
  CHECK(strings(b["Entrypoint"]) == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK(strings(b["Cmd"]) == std::vector<std::string>{"echo hi"});
  CHECK(b["WorkingDir"] == "/work");
  CHECK(strings(b["Env"]) == std::vector<std::string>{"A=1=2", "EMPTY="});
  CHECK(b["Labels"]["io.kubernetes.pod.name"] == "pod");
  CHECK(b["Labels"]["annotation.note"] == "x");
  CHECK(b["Labels"]["io.kubernetes.docker.type"] == "container");
  CHECK(b["Labels"]["io.kubernetes.sandbox.id"] == kSandboxId);
  CHECK(b["Labels"]["io.kubernetes.container.logpath"] == kLogPath);
  CHECK(b["Tty"] == true);
  CHECK(b["OpenStdin"] == true);
  CHECK(b["StdinOnce"] == true);
  CHECK(b["AttachStdin"] == false);
  CHECK(b["AttachStdout"] == false);
  CHECK(b["AttachStderr"] == false);
  CHECK(strings(b["Healthcheck"]["Test"]) == std::vector<std::string>{"NONE"});
  CHECK_FALSE(b.contains("Hostname"));
  CHECK_FALSE(b.contains("User"));
  CHECK_FALSE(b.contains("StopSignal"));
  CHECK_FALSE(b["HostConfig"].contains("LogConfig"));
  CHECK(b["HostConfig"]["RestartPolicy"]["Name"] == "no");
  CHECK(b["HostConfig"]["CgroupParent"] == "kubepods-burstable-pod1.slice");
}

TEST_CASE("container config: empty fields leave the image's defaults", "[container_config]") {
  auto ctx = makeCtx();
  ctx.cgroupParent = "";
  ctx.logPath = "";
  json b = build(makeConfig(), ctx);
  for (const char* key : {"Entrypoint", "Cmd", "WorkingDir", "Env", "User"}) {
    CAPTURE(key);
    CHECK_FALSE(b.contains(key));
  }
  CHECK(b["Tty"] == false);
  CHECK(b["OpenStdin"] == false);
  CHECK(b["Labels"]["io.kubernetes.container.logpath"] == "");
  for (const char* key : {"CgroupParent", "Binds", "Devices", "CapAdd", "CapDrop", "Privileged",
                          "ReadonlyRootfs", "GroupAdd", "MaskedPaths", "ReadonlyPaths",
                          "OomScoreAdj", "Memory", "CpuShares", "UTSMode"}) {
    CAPTURE(key);
    CHECK_FALSE(b["HostConfig"].contains(key));
  }
  // No namespace options anywhere: proto3's default mode is POD, the sandbox's PID namespace
  // (containerd and cri-dockerd read it the same way).
  CHECK(b["HostConfig"]["PidMode"] == "container:" + kSandboxId);
  // No security context at all: unconfined seccomp, as dockershim and CRI define it.
  CHECK(strings(b["HostConfig"]["SecurityOpt"]) == std::vector<std::string>{"seccomp=unconfined"});
}

TEST_CASE("container config: namespaces join the sandbox", "[container_config]") {
  const std::string sb = "container:" + kSandboxId;
  struct Case {
    v1::NamespaceMode network, pid, ipc;
    std::string target;
    std::string networkMode, pidMode, ipcMode, utsMode;  // "" = absent
  };
  const std::vector<Case> cases = {
      {v1::POD, v1::CONTAINER, v1::POD, "", sb, "", sb, ""},
      {v1::POD, v1::POD, v1::POD, "", sb, sb, sb, ""},
      {v1::POD, v1::NODE, v1::POD, "", sb, "host", sb, ""},
      {v1::POD, v1::TARGET, v1::POD, "t4rget", sb, "container:t4rget", sb, ""},
      {v1::POD, v1::CONTAINER, v1::NODE, "", sb, "", "host", ""},
      // Host network: still the sandbox's network namespace (it is the host's), host UTS.
      {v1::NODE, v1::CONTAINER, v1::POD, "", sb, "", sb, "host"},
      {v1::NODE, v1::NODE, v1::NODE, "", sb, "host", "host", "host"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.network, k.pid, k.ipc);
    auto c = makeConfig();
    auto* ns = sec(c)->mutable_namespace_options();
    ns->set_network(k.network);
    ns->set_pid(k.pid);
    ns->set_ipc(k.ipc);
    ns->set_target_id(k.target);
    json h = build(c, makeCtx())["HostConfig"];
    CHECK(at(h, "/NetworkMode") == k.networkMode);
    CHECK(at(h, "/IpcMode") == k.ipcMode);
    CHECK(at(h, "/PidMode") == (k.pidMode.empty() ? json() : json(k.pidMode)));
    CHECK(at(h, "/UTSMode") == (k.utsMode.empty() ? json() : json(k.utsMode)));
  }
}

TEST_CASE("container config: the sandbox's runtime runs its containers", "[container_config]") {
  auto ctx = makeCtx();
  CHECK(at(build(makeConfig(), ctx)["HostConfig"], "/Runtime") == json());
  ctx.runtime = "runsc";
  CHECK(at(build(makeConfig(), ctx)["HostConfig"], "/Runtime") == "runsc");
}

TEST_CASE("container config: namespace options fall back to the pod's", "[container_config]") {
  v1::PodSandboxConfig sandbox;
  auto* podNs = sandbox.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  podNs->set_network(v1::NODE);
  podNs->set_pid(v1::NODE);
  podNs->set_ipc(v1::NODE);

  auto c = makeConfig();
  json h = build(c, makeCtx(), sandbox)["HostConfig"];
  CHECK(h["PidMode"] == "host");
  CHECK(h["IpcMode"] == "host");
  CHECK(h["UTSMode"] == "host");

  // The container's own options, when present, are used as given.
  sec(c)->mutable_namespace_options()->set_pid(v1::CONTAINER);
  h = build(c, makeCtx(), sandbox)["HostConfig"];
  CHECK_FALSE(h.contains("PidMode"));
  CHECK(h["IpcMode"] == "container:" + kSandboxId);
}

TEST_CASE("container config: namespace errors", "[container_config]") {
  std::vector<std::function<void(v1::NamespaceOption*)>> cases = {
      [](auto* ns) { ns->set_pid(v1::TARGET); },  // no target_id
      [](auto* ns) { ns->set_network(v1::TARGET); },
      [](auto* ns) { ns->set_ipc(v1::TARGET); },
      [](auto* ns) { ns->set_pid(static_cast<v1::NamespaceMode>(42)); },
      [](auto* ns) { ns->mutable_userns_options()->set_mode(v1::POD); },
      [](auto* ns) { ns->mutable_userns_options()->set_mode(v1::CONTAINER); },
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    auto c = makeConfig();
    cases[i](sec(c)->mutable_namespace_options());
    CHECK(failure(c, makeCtx()).code() == Code::kInvalidArgument);
  }
  auto c = makeConfig();
  sec(c)->mutable_namespace_options()->mutable_userns_options()->set_mode(v1::NODE);
  build(c, makeCtx());  // the host's user namespace is what Docker does anyway
}

TEST_CASE("container config: mounts become binds", "[container_config]") {
  struct Case {
    bool readonly, relabel;
    v1::MountPropagation propagation;
    std::string bind;
  };
  const std::vector<Case> cases = {
      {false, false, v1::PROPAGATION_PRIVATE, "/h:/c"},
      {true, false, v1::PROPAGATION_PRIVATE, "/h:/c:ro"},
      {false, true, v1::PROPAGATION_PRIVATE, "/h:/c:Z"},
      {true, true, v1::PROPAGATION_PRIVATE, "/h:/c:ro,Z"},
      {false, false, v1::PROPAGATION_HOST_TO_CONTAINER, "/h:/c:rslave"},
      {false, false, v1::PROPAGATION_BIDIRECTIONAL, "/h:/c:rshared"},
      {true, true, v1::PROPAGATION_BIDIRECTIONAL, "/h:/c:ro,Z,rshared"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.bind);
    auto c = makeConfig();
    auto* m = c.add_mounts();
    m->set_host_path("/h");
    m->set_container_path("/c");
    m->set_readonly(k.readonly);
    m->set_selinux_relabel(k.relabel);
    m->set_propagation(k.propagation);
    CHECK(strings(build(c, makeCtx())["HostConfig"]["Binds"]) == std::vector<std::string>{k.bind});
  }

  auto c = makeConfig();
  for (const char* p : {"/a", "/b"}) {
    auto* m = c.add_mounts();
    m->set_host_path(std::string("/host") + p);
    m->set_container_path(p);
  }
  CHECK(strings(build(c, makeCtx())["HostConfig"]["Binds"]) ==
        std::vector<std::string>{"/host/a:/a", "/host/b:/b"});
}

TEST_CASE("container config: read-only mounts from API 1.44 say whether they are recursive",
          "[container_config]") {
  // Docker API 1.44 makes read-only Binds recursively read-only; CRI's read-only is not, unless
  // the mount asks for it.
  auto mountOf = [](bool readonly, bool recursive, bool relabel, v1::MountPropagation p) {
    auto c = makeConfig();
    auto* m = c.add_mounts();
    m->set_host_path("/h");
    m->set_container_path("/c");
    m->set_readonly(readonly);
    m->set_recursive_read_only(recursive);
    m->set_selinux_relabel(relabel);
    m->set_propagation(p);
    return c;
  };
  auto ctx = makeCtx();
  ctx.apiVersion = "1.44";
  json host = build(mountOf(true, false, false, v1::PROPAGATION_PRIVATE), ctx)["HostConfig"];
  CHECK_FALSE(host.contains("Binds"));
  CHECK(host["Mounts"] == json::parse(R"([{"Type":"bind","Source":"/h","Target":"/c",
      "ReadOnly":true,"BindOptions":{"CreateMountpoint":true,"Propagation":"rprivate",
      "ReadOnlyNonRecursive":true}}])"));
  host = build(mountOf(true, true, false, v1::PROPAGATION_PRIVATE), ctx)["HostConfig"];
  CHECK(host["Mounts"][0]["BindOptions"] == json::parse(R"({"CreateMountpoint":true,
      "Propagation":"rprivate","ReadOnlyForceRecursive":true})"));
  host = build(mountOf(true, false, false, v1::PROPAGATION_HOST_TO_CONTAINER), ctx)["HostConfig"];
  CHECK(host["Mounts"][0]["BindOptions"]["Propagation"] == "rslave");
  // Writable mounts and relabelled ones stay binds; Mounts cannot relabel.
  host = build(mountOf(false, false, false, v1::PROPAGATION_PRIVATE), ctx)["HostConfig"];
  CHECK(strings(host["Binds"]) == std::vector<std::string>{"/h:/c"});
  CHECK_FALSE(host.contains("Mounts"));
  host = build(mountOf(true, false, true, v1::PROPAGATION_PRIVATE), ctx)["HostConfig"];
  CHECK(strings(host["Binds"]) == std::vector<std::string>{"/h:/c:ro,Z"});
  // Recursive read-only needs a read-only, private, unlabelled mount.
  CHECK(failure(mountOf(false, true, false, v1::PROPAGATION_PRIVATE), ctx).code() ==
        Code::kInvalidArgument);
  CHECK(failure(mountOf(true, true, false, v1::PROPAGATION_BIDIRECTIONAL), ctx).code() ==
        Code::kInvalidArgument);
  CHECK(failure(mountOf(true, true, true, v1::PROPAGATION_PRIVATE), ctx).code() ==
        Code::kInvalidArgument);
  // Before 1.44 a read-only mount is a bind (not recursive there) and recursive is refused.
  ctx.apiVersion = "1.43";
  host = build(mountOf(true, false, false, v1::PROPAGATION_PRIVATE), ctx)["HostConfig"];
  CHECK(strings(host["Binds"]) == std::vector<std::string>{"/h:/c:ro"});
  CHECK_FALSE(host.contains("Mounts"));
  CHECK_THAT(failure(mountOf(true, true, false, v1::PROPAGATION_PRIVATE), ctx).message(),
             Catch::Contains("API 1.44"));
}

TEST_CASE("container config: mounts Docker cannot bind", "[container_config]") {
  std::vector<std::pair<std::string, std::function<void(v1::Mount*)>>> cases = {
      {"relative host path (a Docker volume name)", [](auto* m) { m->set_host_path("data"); }},
      {"empty host path", [](auto* m) { m->set_host_path(""); }},
      {"relative container path", [](auto* m) { m->set_container_path("c"); }},
      {"colon in host path", [](auto* m) { m->set_host_path("/h:x"); }},
      {"colon in container path", [](auto* m) { m->set_container_path("/c:ro"); }},
      {"unknown propagation",
       [](auto* m) { m->set_propagation(static_cast<v1::MountPropagation>(9)); }},
      {"recursive read-only", [](auto* m) { m->set_recursive_read_only(true); }},
      {"uid mapping", [](auto* m) { m->add_uidmappings()->set_length(1); }},
      {"gid mapping", [](auto* m) { m->add_gidmappings()->set_length(1); }},
      {"image volume", [](auto* m) { m->mutable_image()->set_image("busybox"); }},
  };
  for (const auto& [name, mutate] : cases) {
    CAPTURE(name);
    auto c = makeConfig();
    auto* m = c.add_mounts();
    m->set_host_path("/h");
    m->set_container_path("/c");
    mutate(m);
    CHECK(failure(c, makeCtx()).code() == Code::kInvalidArgument);
  }
}

TEST_CASE("container config: devices", "[container_config]") {
  struct Case {
    std::string host, container, perms;
    json expected;  // null = INVALID_ARGUMENT
  };
  const std::vector<Case> cases = {
      {"/dev/fuse",
       "/dev/fuse",
       "rwm",
       {{"PathOnHost", "/dev/fuse"},
        {"PathInContainer", "/dev/fuse"},
        {"CgroupPermissions", "rwm"}}},
      {"/dev/nvidia0",
       "/dev/gpu0",
       "rw",
       {{"PathOnHost", "/dev/nvidia0"},
        {"PathInContainer", "/dev/gpu0"},
        {"CgroupPermissions", "rw"}}},
      {"/dev/null",
       "",
       "",
       {{"PathOnHost", "/dev/null"},
        {"PathInContainer", "/dev/null"},
        {"CgroupPermissions", "rwm"}}},
      {"/dev/null", "/dev/null", "rwx", nullptr},
      {"", "/dev/null", "r", nullptr},
  };
  for (const auto& k : cases) {
    CAPTURE(k.host, k.container, k.perms);
    auto c = makeConfig();
    auto* d = c.add_devices();
    d->set_host_path(k.host);
    d->set_container_path(k.container);
    d->set_permissions(k.perms);
    if (k.expected.is_null()) {
      CHECK(failure(c, makeCtx()).code() == Code::kInvalidArgument);
    } else {
      CHECK(build(c, makeCtx())["HostConfig"]["Devices"] == json::array({k.expected}));
    }
  }
  auto c = makeConfig();
  c.add_cdi_devices()->set_name("nvidia.com/gpu=0");
  CHECK(failure(c, makeCtx()).code() == Code::kInvalidArgument);
}

TEST_CASE("dockerResources maps CRI resources, zero means unset", "[container_config]") {
  struct Case {
    std::string name;
    std::function<void(v1::LinuxContainerResources*)> set;
    json expected;
  };
  const std::vector<Case> cases = {
      {"nothing", [](auto*) {}, json::object()},
      {"cpu",
       [](auto* r) {
         r->set_cpu_shares(512);
         r->set_cpu_quota(50000);
         r->set_cpu_period(100000);
       },
       {{"CpuShares", 512}, {"CpuQuota", 50000}, {"CpuPeriod", 100000}}},
      {"cpuset",
       [](auto* r) {
         r->set_cpuset_cpus("0-3");
         r->set_cpuset_mems("0");
       },
       {{"CpusetCpus", "0-3"}, {"CpusetMems", "0"}}},
      {"memory without swap limit: no swap",
       [](auto* r) { r->set_memory_limit_in_bytes(128 << 20); },
       {{"Memory", 128 << 20}, {"MemorySwap", 128 << 20}}},
      {"memory with swap limit",
       [](auto* r) {
         r->set_memory_limit_in_bytes(128 << 20);
         r->set_memory_swap_limit_in_bytes(256 << 20);
       },
       {{"Memory", 128 << 20}, {"MemorySwap", 256 << 20}}},
      {"swap without memory is not sendable",
       [](auto* r) { r->set_memory_swap_limit_in_bytes(256 << 20); }, json::object()},
      {"hugepages, unified and oom_score_adj are not resources here",
       [](auto* r) {
         auto* h = r->add_hugepage_limits();
         h->set_page_size("2MB");
         h->set_limit(1 << 21);
         (*r->mutable_unified())["memory.high"] = "1000000";
         r->set_oom_score_adj(-997);
       },
       json::object()},
  };
  for (const auto& k : cases) {
    CAPTURE(k.name);
    v1::LinuxContainerResources r;
    k.set(&r);
    CHECK(dockerResources(r) == k.expected);
  }
}

TEST_CASE("container config: resources and oom_score_adj in HostConfig", "[container_config]") {
  auto c = makeConfig();
  auto* r = c.mutable_linux()->mutable_resources();
  r->set_cpu_shares(2);
  r->set_memory_limit_in_bytes(1 << 30);

  struct Case {
    int64_t oom;
    uint64_t hostCaps;
    json expected;
  };
  const std::vector<Case> cases = {
      {0, kAllCaps, nullptr},
      {1000, kAllCaps, 1000},
      {-997, kAllCaps, -997},
      {1000, kNoSysResource, 1000},
      // Without CAP_SYS_RESOURCE runc cannot lower the score: the container runs at 0.
      {-997, kNoSysResource, 0},
  };
  for (const auto& k : cases) {
    CAPTURE(k.oom, k.hostCaps);
    r->set_oom_score_adj(k.oom);
    auto ctx = makeCtx();
    ctx.hostCapabilities = k.hostCaps;
    json h = build(c, ctx)["HostConfig"];
    CHECK(h["CpuShares"] == 2);
    CHECK(h["Memory"] == 1 << 30);
    CHECK(h["MemorySwap"] == 1 << 30);
    CHECK(at(h, "/OomScoreAdj") == k.expected);
  }
}

TEST_CASE("container config: user and groups", "[container_config]") {
  struct Case {
    std::optional<int64_t> uid;
    std::string username;
    std::optional<int64_t> gid;
    std::string user;  // "!" = INVALID_ARGUMENT
  };
  const std::vector<Case> cases = {
      {std::nullopt, "", std::nullopt, ""},
      {0, "", std::nullopt, "0"},
      {1001, "", std::nullopt, "1001"},
      {1001, "", 1002, "1001:1002"},
      {std::nullopt, "nobody", std::nullopt, "nobody"},
      {std::nullopt, "nobody", 65534, "nobody:65534"},
      {1001, "www", std::nullopt, "www"},  // the name wins, as in cri-dockerd
      {std::nullopt, "", 1002, "!"},       // CRI: a group needs a user
      {-1, "", std::nullopt, "!"},
      {1001, "", -5, "!"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.uid.value_or(-100), k.username, k.gid.value_or(-100));
    auto c = makeConfig();
    if (k.uid) sec(c)->mutable_run_as_user()->set_value(*k.uid);
    sec(c)->set_run_as_username(k.username);
    if (k.gid) sec(c)->mutable_run_as_group()->set_value(*k.gid);
    if (k.user == "!") {
      CHECK(failure(c, makeCtx()).code() == Code::kInvalidArgument);
    } else {
      CHECK(at(build(c, makeCtx()), "/User") == (k.user.empty() ? json() : json(k.user)));
    }
  }

  auto c = makeConfig();
  sec(c)->add_supplemental_groups(1234);
  sec(c)->add_supplemental_groups(5678);
  CHECK(strings(build(c, makeCtx())["HostConfig"]["GroupAdd"]) ==
        std::vector<std::string>{"1234", "5678"});
  sec(c)->set_supplemental_groups_policy(v1::Strict);
  CHECK(failure(c, makeCtx()).code() == Code::kInvalidArgument);
}

TEST_CASE("container config: privileged and read-only rootfs", "[container_config]") {
  auto c = makeConfig();
  sec(c)->set_privileged(true);
  sec(c)->set_readonly_rootfs(true);
  json h = build(c, makeCtx())["HostConfig"];
  CHECK(h["Privileged"] == true);
  CHECK(h["ReadonlyRootfs"] == true);
}

TEST_CASE("dockerCapabilities normalises names", "[container_config]") {
  struct Case {
    std::vector<std::string> in;
    std::vector<std::string> out;
  };
  const std::vector<Case> cases = {
      {{}, {}},
      {{"NET_ADMIN"}, {"CAP_NET_ADMIN"}},
      {{"CAP_NET_ADMIN"}, {"CAP_NET_ADMIN"}},
      {{"net_raw", "cap_sys_admin"}, {"CAP_NET_RAW", "CAP_SYS_ADMIN"}},
      {{"KILL", "CAP_KILL", "kill"}, {"CAP_KILL"}},
      {{"CHECKPOINT_RESTORE", "BPF", "PERFMON"},
       {"CAP_CHECKPOINT_RESTORE", "CAP_BPF", "CAP_PERFMON"}},
  };
  for (const auto& k : cases) {
    CAPTURE(k.in);
    auto got = dockerCapabilities(names(k.in), kAllCaps);
    REQUIRE(got.isOk());
    CHECK(*got == k.out);
  }
  for (std::string bad : {"NET_ADMINS", "CAP_", "", "CAP_ALL", "41"}) {
    CAPTURE(bad);
    auto got = dockerCapabilities(names({bad}), kAllCaps);
    REQUIRE_FALSE(got.isOk());
    CHECK(got.status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("dockerCapabilities expands ALL to the bounding set", "[container_config]") {
  auto got = dockerCapabilities(names({"ALL"}), kNoSysResource);
  REQUIRE(got.isOk());
  CHECK(got->size() == 40);
  CHECK(got->front() == "CAP_CHOWN");
  CHECK(got->back() == "CAP_CHECKPOINT_RESTORE");
  CHECK(std::find(got->begin(), got->end(), "CAP_SYS_RESOURCE") == got->end());
  CHECK(std::find(got->begin(), got->end(), "CAP_SYS_ADMIN") != got->end());
  CHECK(std::find(got->begin(), got->end(), "CAP_SYS_TIME") != got->end());  // bit 25

  // Lowercase, mixed with explicit names, no duplicates; unknown high bits are ignored.
  got = dockerCapabilities(names({"KILL", "all"}),
                           (uint64_t{1} << 5) | (uint64_t{1} << 0) | (uint64_t{1} << 63));
  REQUIRE(got.isOk());
  CHECK(*got == std::vector<std::string>{"CAP_KILL", "CAP_CHOWN"});

  got = dockerCapabilities(names({"ALL"}), 0);
  REQUIRE(got.isOk());
  CHECK(got->empty());
}

TEST_CASE("container config: capabilities in HostConfig", "[container_config]") {
  auto withCaps = [](std::vector<std::string> add, std::vector<std::string> drop) {
    auto c = makeConfig();
    auto* caps = sec(c)->mutable_capabilities();
    for (auto& a : add) caps->add_add_capabilities(a);
    for (auto& d : drop) caps->add_drop_capabilities(d);
    return c;
  };
  auto ctx = makeCtx();
  ctx.hostCapabilities = kNoSysResource;

  json h = build(withCaps({"NET_ADMIN"}, {"NET_RAW"}), ctx)["HostConfig"];
  CHECK(strings(h["CapAdd"]) == std::vector<std::string>{"CAP_NET_ADMIN"});
  CHECK(strings(h["CapDrop"]) == std::vector<std::string>{"CAP_NET_RAW"});

  h = build(withCaps({"ALL"}, {}), ctx)["HostConfig"];
  CHECK(h["CapAdd"].size() == 37);  // 0..AUDIT_READ at API 1.41, minus SYS_RESOURCE
  CHECK_FALSE(h.contains("CapDrop"));
  for (const auto& cap : h["CapAdd"]) CHECK(cap != "CAP_SYS_RESOURCE");

  h = build(withCaps({"CHOWN"}, {"ALL"}), ctx)["HostConfig"];
  CHECK(strings(h["CapAdd"]) == std::vector<std::string>{"CAP_CHOWN"});
  CHECK(h["CapDrop"].size() == 37);  // 0..AUDIT_READ at API 1.41, minus SYS_RESOURCE

  // Privileged: still expanded and sent (Docker ignores them for privileged containers).
  auto priv = withCaps({"ALL"}, {});
  sec(priv)->set_privileged(true);
  h = build(priv, ctx)["HostConfig"];
  CHECK(h["Privileged"] == true);
  CHECK(h["CapAdd"].size() == 37);  // 0..AUDIT_READ at API 1.41, minus SYS_RESOURCE

  CHECK(failure(withCaps({"NOPE"}, {}), ctx).code() == Code::kInvalidArgument);
  CHECK(failure(withCaps({}, {"NOPE"}), ctx).code() == Code::kInvalidArgument);
  auto ambient = makeConfig();
  sec(ambient)->mutable_capabilities()->add_add_ambient_capabilities("NET_BIND_SERVICE");
  CHECK(failure(ambient, ctx).code() == Code::kInvalidArgument);
}

TEST_CASE("container config: seccomp", "[container_config]") {
  using P = v1::SecurityProfile;
  struct Case {
    std::string name;
    std::function<void(v1::LinuxContainerSecurityContext*)> set;
    std::optional<std::string> opt;  // the seccomp SecurityOpt; nullopt = none
    Code error = Code::kOk;
  };
  const std::vector<Case> cases = {
      {"nil profile is unconfined", [](auto*) {}, "seccomp=unconfined"},
      {"RuntimeDefault is Docker's default",
       [](auto* sc) { sc->mutable_seccomp()->set_profile_type(P::RuntimeDefault); }, std::nullopt},
      {"Unconfined", [](auto* sc) { sc->mutable_seccomp()->set_profile_type(P::Unconfined); },
       "seccomp=unconfined"},
      {"Localhost inline and compact",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::Localhost);
         sc->mutable_seccomp()->set_localhost_ref(kProfilePath);
       },
       "seccomp=" + kProfileCompact},
      {"the profile wins over the deprecated path",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::RuntimeDefault);
         sc->set_seccomp_profile_path("unconfined");
       },
       std::nullopt},
      {"path unconfined", [](auto* sc) { sc->set_seccomp_profile_path("unconfined"); },
       "seccomp=unconfined"},
      {"path runtime/default", [](auto* sc) { sc->set_seccomp_profile_path("runtime/default"); },
       std::nullopt},
      {"path docker/default", [](auto* sc) { sc->set_seccomp_profile_path("docker/default"); },
       std::nullopt},
      {"path localhost/",
       [](auto* sc) { sc->set_seccomp_profile_path("localhost/" + kProfilePath); },
       "seccomp=" + kProfileCompact},
      {"path unknown", [](auto* sc) { sc->set_seccomp_profile_path("default"); }, std::nullopt,
       Code::kInvalidArgument},
      {"path localhost relative",
       [](auto* sc) { sc->set_seccomp_profile_path("localhost/profile.json"); }, std::nullopt,
       Code::kInvalidArgument},
      {"Localhost relative",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::Localhost);
         sc->mutable_seccomp()->set_localhost_ref("profile.json");
       },
       std::nullopt, Code::kInvalidArgument},
      {"Localhost empty", [](auto* sc) { sc->mutable_seccomp()->set_profile_type(P::Localhost); },
       std::nullopt, Code::kInvalidArgument},
      {"Localhost missing file keeps the reader's code",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::Localhost);
         sc->mutable_seccomp()->set_localhost_ref("/profiles/missing.json");
       },
       std::nullopt, Code::kNotFound},
      {"Localhost not JSON",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::Localhost);
         sc->mutable_seccomp()->set_localhost_ref("/profiles/not-json.json");
       },
       std::nullopt, Code::kInvalidArgument},
      {"Localhost JSON but not an object",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::Localhost);
         sc->mutable_seccomp()->set_localhost_ref("/profiles/array.json");
       },
       std::nullopt, Code::kInvalidArgument},
      {"unknown profile type",
       [](auto* sc) { sc->mutable_seccomp()->set_profile_type(static_cast<P::ProfileType>(7)); },
       std::nullopt, Code::kInvalidArgument},
  };
  for (const auto& k : cases) {
    CAPTURE(k.name);
    auto c = makeConfig();
    k.set(sec(c));
    if (k.error != Code::kOk) {
      CHECK(failure(c, makeCtx()).code() == k.error);
      continue;
    }
    std::vector<std::string> expected;
    if (k.opt) expected.push_back(*k.opt);
    CHECK(strings(at(build(c, makeCtx()), "/HostConfig/SecurityOpt")) == expected);
  }
}

TEST_CASE("container config: privileged skips seccomp and its file", "[container_config]") {
  auto fs = std::make_shared<FakeFiles>();
  auto c = makeConfig();
  sec(c)->set_privileged(true);
  sec(c)->mutable_seccomp()->set_profile_type(v1::SecurityProfile::Localhost);
  sec(c)->mutable_seccomp()->set_localhost_ref("/profiles/missing.json");
  json h = build(c, makeCtx(fs))["HostConfig"];
  CHECK_FALSE(h.contains("SecurityOpt"));
  CHECK(fs->reads == 0);

  sec(c)->set_privileged(false);
  CHECK(failure(c, makeCtx(fs)).code() == Code::kNotFound);
  CHECK(fs->reads == 1);
}

TEST_CASE("container config: AppArmor", "[container_config]") {
  using P = v1::SecurityProfile;
  struct Case {
    std::string name;
    std::function<void(v1::LinuxContainerSecurityContext*)> set;
    std::optional<std::string> enabled;  // AppArmor option with AppArmor on; nullopt = none
    Code disabledError = Code::kOk;      // outcome with AppArmor off (no option either way)
    Code error = Code::kOk;              // outcome regardless of AppArmor
  };
  const std::vector<Case> cases = {
      {"none", [](auto*) {}, std::nullopt},
      {"RuntimeDefault",
       [](auto* sc) { sc->mutable_apparmor()->set_profile_type(P::RuntimeDefault); }, std::nullopt},
      {"Unconfined", [](auto* sc) { sc->mutable_apparmor()->set_profile_type(P::Unconfined); },
       "apparmor=unconfined"},
      {"Localhost",
       [](auto* sc) {
         sc->mutable_apparmor()->set_profile_type(P::Localhost);
         sc->mutable_apparmor()->set_localhost_ref("k8s-deny-write");
       },
       "apparmor=k8s-deny-write", Code::kFailedPrecondition},
      {"Localhost with prefix",
       [](auto* sc) {
         sc->mutable_apparmor()->set_profile_type(P::Localhost);
         sc->mutable_apparmor()->set_localhost_ref("localhost/k8s-deny-write");
       },
       "apparmor=k8s-deny-write", Code::kFailedPrecondition},
      {"profile wins over the deprecated string",
       [](auto* sc) {
         sc->mutable_apparmor()->set_profile_type(P::RuntimeDefault);
         sc->set_apparmor_profile("unconfined");
       },
       std::nullopt},
      {"string runtime/default", [](auto* sc) { sc->set_apparmor_profile("runtime/default"); },
       std::nullopt},
      {"string unconfined", [](auto* sc) { sc->set_apparmor_profile("unconfined"); },
       "apparmor=unconfined"},
      {"string localhost/", [](auto* sc) { sc->set_apparmor_profile("localhost/my-prof"); },
       "apparmor=my-prof", Code::kFailedPrecondition},
      {"string unknown", [](auto* sc) { sc->set_apparmor_profile("docker-default"); }, std::nullopt,
       Code::kOk, Code::kInvalidArgument},
      {"Localhost without a name",
       [](auto* sc) { sc->mutable_apparmor()->set_profile_type(P::Localhost); }, std::nullopt,
       Code::kOk, Code::kInvalidArgument},
  };
  for (const auto& k : cases) {
    for (bool enabled : {true, false}) {
      CAPTURE(k.name, enabled);
      auto c = makeConfig();
      sec(c)->mutable_seccomp()->set_profile_type(P::RuntimeDefault);  // no seccomp option
      k.set(sec(c));
      auto ctx = makeCtx();
      ctx.apparmorEnabled = enabled;
      Code want = k.error != Code::kOk ? k.error : (enabled ? Code::kOk : k.disabledError);
      if (want != Code::kOk) {
        CHECK(failure(c, ctx).code() == want);
        continue;
      }
      std::vector<std::string> expected;
      if (enabled && k.enabled) expected.push_back(*k.enabled);
      CHECK(strings(at(build(c, ctx), "/HostConfig/SecurityOpt")) == expected);
    }
  }
}

TEST_CASE("container config: SELinux, no_new_privs and option order", "[container_config]") {
  auto c = makeConfig();
  auto* se = sec(c)->mutable_selinux_options();
  se->set_user("system_u");
  se->set_role("system_r");
  se->set_type("container_t");
  se->set_level("s0:c1,c2");
  sec(c)->set_no_new_privs(true);
  sec(c)->set_apparmor_profile("unconfined");
  CHECK(strings(build(c, makeCtx())["HostConfig"]["SecurityOpt"]) ==
        std::vector<std::string>{"label=user:system_u", "label=role:system_r",
                                 "label=type:container_t", "label=level:s0:c1,c2",
                                 "apparmor=unconfined", "no-new-privileges", "seccomp=unconfined"});

  auto partial = makeConfig();
  sec(partial)->mutable_selinux_options()->set_level("s0:c5");
  sec(partial)->mutable_seccomp()->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  CHECK(strings(build(partial, makeCtx())["HostConfig"]["SecurityOpt"]) ==
        std::vector<std::string>{"label=level:s0:c5"});
}

TEST_CASE("container config: masked and read-only paths", "[container_config]") {
  struct Case {
    std::string api;
    bool privileged;
    bool sent;
  };
  const std::vector<Case> cases = {
      {"1.41", false, true},  {"1.38", false, true}, {"1.37", false, false},
      {"1.24", false, false}, {"1.41", true, false}, {"", false, true},
  };
  for (const auto& k : cases) {
    CAPTURE(k.api, k.privileged);
    auto c = makeConfig();
    sec(c)->add_masked_paths("/proc/kcore");
    sec(c)->add_masked_paths("/bin/ls");
    sec(c)->add_readonly_paths("/proc/sys");
    sec(c)->set_privileged(k.privileged);
    auto ctx = makeCtx();
    ctx.apiVersion = k.api;
    json h = build(c, ctx)["HostConfig"];
    if (k.sent) {
      CHECK(strings(h["MaskedPaths"]) == std::vector<std::string>{"/proc/kcore", "/bin/ls"});
      CHECK(strings(h["ReadonlyPaths"]) == std::vector<std::string>{"/proc/sys"});
    } else {
      CHECK_FALSE(h.contains("MaskedPaths"));
      CHECK_FALSE(h.contains("ReadonlyPaths"));
    }
  }
  // An empty list would replace Docker's defaults with nothing: not sent.
  json h = build(makeConfig(), makeCtx())["HostConfig"];
  CHECK_FALSE(h.contains("MaskedPaths"));
  CHECK_FALSE(h.contains("ReadonlyPaths"));
}

TEST_CASE("container config: capability names per API version", "[container_config]") {
  struct Case {
    std::string api;
    std::string netAdmin;  // how CAP_NET_ADMIN is written
    size_t allCount;       // ALL with every host capability
  };
  const std::vector<Case> cases = {
      {"1.41", "CAP_NET_ADMIN", 38},  // Docker 20.10 knows no PERFMON/BPF/CHECKPOINT_RESTORE
      {"1.40", "CAP_NET_ADMIN", 38},
      {"1.39", "NET_ADMIN", 38},  // and before 19.03 it adds CAP_ itself
      {"1.24", "NET_ADMIN", 38},
  };
  for (const auto& k : cases) {
    CAPTURE(k.api);
    auto ctx = makeCtx();
    ctx.apiVersion = k.api;
    auto c = makeConfig();
    sec(c)->mutable_capabilities()->add_add_capabilities("NET_ADMIN");
    sec(c)->mutable_capabilities()->add_drop_capabilities("ALL");
    json h = build(c, ctx)["HostConfig"];
    CHECK(strings(h["CapAdd"]) == std::vector<std::string>{k.netAdmin});
    CHECK(h["CapDrop"].size() == k.allCount);
    CHECK(h["CapDrop"].front() == (k.netAdmin == "NET_ADMIN" ? "CHOWN" : "CAP_CHOWN"));
  }
}

TEST_CASE("container config: API version checks", "[container_config]") {
  for (std::string bad : {"1", "v1.41", "1.41.0", "one.two", "1.", ".41"}) {
    CAPTURE(bad);
    auto ctx = makeCtx();
    ctx.apiVersion = bad;
    CHECK(failure(makeConfig(), ctx).code() == Code::kInternal);
  }
  // The oldest daemon the client accepts gets a body without newer fields.
  auto ctx = makeCtx();
  ctx.apiVersion = "1.24";
  auto c = makeConfig();
  c.add_command("sleep");
  c.mutable_linux()->mutable_resources()->set_cpu_quota(20000);
  sec(c)->add_masked_paths("/proc/kcore");
  json b = build(c, ctx);
  CHECK(b["HostConfig"]["CpuQuota"] == 20000);
  CHECK_FALSE(b["HostConfig"].contains("MaskedPaths"));
}

TEST_CASE("container config: stop signal", "[container_config]") {
  struct Case {
    int signal;
    std::string name;  // "" = absent
  };
  const std::vector<Case> cases = {
      {0, ""},         {23, "SIGTERM"},    {13, "SIGKILL"},     {10, "SIGINT"},
      {29, "SIGUSR1"}, {36, "SIGRTMIN+1"}, {51, "SIGRTMAX-14"}, {65, "SIGRTMAX"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.signal);
    auto c = makeConfig();
    c.set_stop_signal(static_cast<v1::Signal>(k.signal));
    CHECK(at(build(c, makeCtx()), "/StopSignal") == (k.name.empty() ? json() : json(k.name)));
  }
  auto c = makeConfig();
  c.set_stop_signal(static_cast<v1::Signal>(99));
  CHECK(failure(c, makeCtx()).code() == Code::kInvalidArgument);
}

TEST_CASE("container config: context errors and exceptions", "[container_config]") {
  auto ctx = makeCtx();
  ctx.sandboxId = "";
  CHECK(failure(makeConfig(), ctx).code() == Code::kInvalidArgument);
  ctx = makeCtx();
  ctx.image = "";
  CHECK(failure(makeConfig(), ctx).code() == Code::kInvalidArgument);

  auto c = makeConfig();
  sec(c)->set_seccomp_profile_path("localhost/" + kProfilePath);
  ctx = makeCtx();
  ctx.readFile = nullptr;
  CHECK(failure(c, ctx).code() == Code::kInternal);
  ctx.readFile = [](const std::string&) -> Result<std::string> {
    throw std::runtime_error("reader blew up");
  };
  Status st = failure(c, ctx);
  CHECK(st.code() == Code::kInternal);
  CHECK(st.message().find("reader blew up") != std::string::npos);
}

}  // namespace
}  // namespace dockershim::translate
