// The CRI config fields a kubelet sends, each checked where it is the truth: from inside the
// container, in the host's /proc, or on the host's side of a mount.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/capabilities.h"
#include "docker/api_version.h"
#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;
namespace fs = std::filesystem;

namespace {

// The namespace a host process is in, as /proc shows it ("pid:[4026531836]").
std::string namespaceOf(int pid, const std::string& kind) {
  std::error_code ec;
  auto target = fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + kind, ec);
  INFO("pid " << pid << " ns " << kind << ": " << ec.message());
  REQUIRE_FALSE(ec);
  return target.string();
}

int hostPid(const std::string& dockerId) {
  int pid = dockerInspect(dockerId)["State"]["Pid"].get<int>();
  REQUIRE(pid > 0);
  return pid;
}

v1::ContainerConfig withNamespaces(v1::ContainerConfig c, const v1::NamespaceOption& ns) {
  *c.mutable_linux()->mutable_security_context()->mutable_namespace_options() = ns;
  return c;
}

// Collapses runs of whitespace, as /proc/sys prints tabs where sysctl values have spaces.
std::string words(const std::string& s) {
  std::istringstream in(s);
  std::string w, out;
  while (in >> w) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string seccompMode(Shim& shim, const std::string& id) {
  return words(execSync(shim, id, {"grep", "^Seccomp:", "/proc/self/status"}).stdout());
}

// A host directory that is its own shared mount, as a node that uses Bidirectional
// propagation has (Docker refuses rshared binds of a private source). Unmounted on scope exit.
struct SharedDir {
  std::string path;
  explicit SharedDir(std::string p) : path(std::move(p)) {
    fs::create_directories(path);
    REQUIRE(::mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) == 0);
    REQUIRE(::mount(nullptr, path.c_str(), nullptr, MS_SHARED, nullptr) == 0);
  }
  ~SharedDir() {
    // Submounts first (a container's propagated tmpfs), then the bind itself.
    std::string cmd =
        "grep -o ' " + path + "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l";
    if (std::system(cmd.c_str()) != 0) WARN("unmounting " << path << " failed");
  }
};

}  // namespace

TEST_CASE("PID, IPC and network namespace modes, checked against the host's /proc",
          "[container][namespaces]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("ns");
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(v1::POD);
  std::string podId = runPod(shim, pod);
  const int pausePid = hostPid(podId);
  const int self = ::getpid();

  v1::NamespaceOption podNs;
  podNs.set_pid(v1::POD);
  std::string shared =
      startContainer(shim, podId, pod, withNamespaces(containerConfig("shared"), podNs));
  v1::NamespaceOption ownNs;
  ownNs.set_pid(v1::CONTAINER);
  std::string own = startContainer(shim, podId, pod, withNamespaces(containerConfig("own"), ownNs));
  v1::NamespaceOption nodeNs;
  nodeNs.set_pid(v1::NODE);
  nodeNs.set_ipc(v1::NODE);
  std::string node =
      startContainer(shim, podId, pod, withNamespaces(containerConfig("node"), nodeNs));
  v1::NamespaceOption targetNs;
  targetNs.set_pid(v1::TARGET);
  targetNs.set_target_id(own);
  std::string target =
      startContainer(shim, podId, pod, withNamespaces(containerConfig("target"), targetNs));

  // POD: the pod's PID namespace, whose init is the pause process.
  CHECK(namespaceOf(hostPid(shared), "pid") == namespaceOf(pausePid, "pid"));
  CHECK(execSync(shim, shared, {"cat", "/proc/1/cmdline"}).stdout().find("pause") !=
        std::string::npos);
  // CONTAINER: a namespace of its own, where its own command is PID 1.
  CHECK(namespaceOf(hostPid(own), "pid") != namespaceOf(pausePid, "pid"));
  CHECK(namespaceOf(hostPid(own), "pid") != namespaceOf(self, "pid"));
  CHECK(execSync(shim, own, {"cat", "/proc/1/cmdline"}).stdout().find("sleep") !=
        std::string::npos);
  // NODE: the host's PID and IPC namespaces.
  CHECK(namespaceOf(hostPid(node), "pid") == namespaceOf(self, "pid"));
  CHECK(namespaceOf(hostPid(node), "ipc") == namespaceOf(self, "ipc"));
  // TARGET: the namespace of the target container (what kubectl debug uses).
  CHECK(namespaceOf(hostPid(target), "pid") == namespaceOf(hostPid(own), "pid"));
  // IPC and network are the pod's for all the others; UTS too (the pod's hostname).
  for (const auto& id : {shared, own, target}) {
    CHECK(namespaceOf(hostPid(id), "ipc") == namespaceOf(pausePid, "ipc"));
  }
  for (const auto& id : {shared, own, node, target}) {
    CHECK(namespaceOf(hostPid(id), "net") == namespaceOf(pausePid, "net"));
    CHECK(namespaceOf(hostPid(id), "net") != namespaceOf(self, "net"));
  }
  CHECK(execSync(shim, own, {"hostname"}).stdout() == pod.hostname() + "\n");
  cleanupPod(shim, podId);
}

TEST_CASE("a pod's sysctls are set in its namespaces", "[sandbox][sysctls]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("sysctl");
  (*pod.mutable_linux()->mutable_sysctls())["kernel.shm_rmid_forced"] = "1";
  (*pod.mutable_linux()->mutable_sysctls())["net.ipv4.ping_group_range"] = "0 2147483647";
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  CHECK(execSync(shim, id, {"cat", "/proc/sys/kernel/shm_rmid_forced"}).stdout() == "1\n");
  CHECK(words(execSync(shim, id, {"cat", "/proc/sys/net/ipv4/ping_group_range"}).stdout()) ==
        "0 2147483647");
  // The node's own values are untouched.
  CHECK(words(readFile("/proc/sys/net/ipv4/ping_group_range")) != "0 2147483647");
  cleanupPod(shim, podId);
}

TEST_CASE("seccomp profiles: RuntimeDefault, Unconfined and a Localhost file",
          "[container][security][seccomp]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  auto pod = podConfig("seccomp");
  std::string podId = runPod(shim, pod);

  auto withProfile = [](const std::string& name, v1::SecurityProfile::ProfileType type,
                        const std::string& ref = "") {
    auto c = containerConfig(name);
    auto* p = c.mutable_linux()->mutable_security_context()->mutable_seccomp();
    p->set_profile_type(type);
    p->set_localhost_ref(ref);
    return c;
  };
  std::string def =
      startContainer(shim, podId, pod, withProfile("def", v1::SecurityProfile::RuntimeDefault));
  CHECK(seccompMode(shim, def) == "Seccomp: 2");
  std::string unconfined =
      startContainer(shim, podId, pod, withProfile("unconf", v1::SecurityProfile::Unconfined));
  CHECK(seccompMode(shim, unconfined) == "Seccomp: 0");

  // A profile that forbids mkdir: the file's contents go to Docker, the rule holds inside.
  std::string profile = bed.dir() + "/no-mkdir.json";
  {
    std::ofstream(profile) << R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]})";
  }
  std::string local = startContainer(shim, podId, pod,
                                     withProfile("local", v1::SecurityProfile::Localhost, profile));
  CHECK(seccompMode(shim, local) == "Seccomp: 2");
  CHECK(execSync(shim, local, {"mkdir", "/tmp/forbidden"}).exit_code() != 0);
  CHECK(execSync(shim, local, {"touch", "/tmp/allowed"}).exit_code() == 0);
  CHECK(execSync(shim, def, {"mkdir", "/tmp/fine"}).exit_code() == 0);

  // A profile that is missing or not JSON fails CreateContainer and leaves no container.
  int before = countDockerContainers();
  auto missing = withProfile("missing", v1::SecurityProfile::Localhost, bed.dir() + "/nope.json");
  CHECK_FALSE(createContainer(shim, podId, pod, missing, nullptr).ok());
  std::string garbage = bed.dir() + "/garbage.json";
  { std::ofstream(garbage) << "defaultAction: allow"; }
  auto bad = withProfile("garbage", v1::SecurityProfile::Localhost, garbage);
  CHECK(createContainer(shim, podId, pod, bad, nullptr).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(countDockerContainers() == before);
  cleanupPod(shim, podId);
}

TEST_CASE("masked and readonly paths apply unless privileged; privileged gets every capability",
          "[container][security][privileged]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("masked");
  std::string podId = runPod(shim, pod);

  auto withPaths = [](v1::ContainerConfig c) {
    auto* sc = c.mutable_linux()->mutable_security_context();
    sc->add_masked_paths("/proc/meminfo");
    sc->add_readonly_paths("/home");
    return c;
  };
  std::string plain = startContainer(shim, podId, pod, withPaths(containerConfig("plain")));
  // A masked file reads empty; a readonly path refuses writes while the rootfs takes them.
  CHECK(execSync(shim, plain, {"cat", "/proc/meminfo"}).stdout().empty());
  CHECK(execSync(shim, plain, {"touch", "/home/x"}).exit_code() != 0);
  CHECK(execSync(shim, plain, {"touch", "/x"}).exit_code() == 0);
  CHECK(capEff(shim, plain) != 0);

  auto privileged = withPaths(containerConfig("priv"));
  privileged.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string priv = startContainer(shim, podId, pod, privileged);
  CHECK(execSync(shim, priv, {"cat", "/proc/meminfo"}).stdout().find("MemTotal") !=
        std::string::npos);
  CHECK(execSync(shim, priv, {"touch", "/home/x"}).exit_code() == 0);
  // Every capability this host can grant (and at least CAP_SYS_ADMIN), no seccomp, the host's
  // devices.
  uint64_t caps = capEff(shim, priv);
  const uint64_t grantable = common::boundingCapabilities() & ((1ull << 38) - 1);  // 0..37
  CHECK(((caps >> 21) & 1) == 1);
  CHECK((caps & ~common::boundingCapabilities()) == 0);
  CHECK((caps & grantable) == grantable);
  CHECK(seccompMode(shim, priv) == "Seccomp: 0");
  CHECK(execSync(shim, priv, {"test", "-c", "/dev/kmsg"}).exit_code() == 0);
  CHECK(execSync(shim, plain, {"test", "-e", "/dev/kmsg"}).exit_code() != 0);
  CHECK(dockerInspect(priv)["HostConfig"]["Privileged"] == true);
  cleanupPod(shim, podId);
}

TEST_CASE("devices are passed with their cgroup permissions", "[container][devices]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("devices");
  std::string podId = runPod(shim, pod);
  // /dev/kmsg (c 1:11) is outside Docker's default device rules, so only the CRI device grants
  // access; writing to it (write-only opens need no capability) logs a line on the host.
  auto withKmsg = [](const std::string& name, const std::string& perms) {
    auto c = containerConfig(name);
    auto* d = c.add_devices();
    d->set_host_path("/dev/kmsg");
    d->set_container_path("/dev/xkmsg");
    d->set_permissions(perms);
    auto* n = c.add_devices();
    n->set_host_path("/dev/null");
    n->set_container_path("/dev/xnull");
    return c;
  };
  std::string rw = startContainer(shim, podId, pod, withKmsg("rw", "rw"));
  std::string ro = startContainer(shim, podId, pod, withKmsg("ro", "r"));
  CHECK(execSync(shim, rw, {"test", "-c", "/dev/xkmsg"}).exit_code() == 0);
  CHECK(execSync(shim, rw, {"test", "-c", "/dev/xnull"}).exit_code() == 0);
  CHECK(execSync(shim, rw, {"sh", "-c", "echo dockershim e2e device test > /dev/xkmsg"})
            .exit_code() == 0);
  // "r" only: the device cgroup refuses opening it for writing.
  CHECK(execSync(shim, ro, {"test", "-c", "/dev/xkmsg"}).exit_code() == 0);
  CHECK(execSync(shim, ro, {"sh", "-c", "echo dockershim e2e device test > /dev/xkmsg"})
            .exit_code() != 0);

  auto bad = containerConfig("baddev");
  auto* d = bad.add_devices();
  d->set_host_path("/dev/null");
  d->set_permissions("rwx");
  CHECK(createContainer(shim, podId, pod, bad, nullptr).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  cleanupPod(shim, podId);
}

TEST_CASE(
    "mount propagation: Bidirectional reaches the host, HostToContainer reaches the "
    "container, private stays apart",
    "[container][mounts]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  auto pod = podConfig("propagation");
  std::string podId = runPod(shim, pod);
  SharedDir dir(bed.dir() + "/propagation-" + pod.metadata().uid());

  auto withMount = [&](const std::string& name, v1::MountPropagation propagation) {
    auto c = containerConfig(name);
    auto* m = c.add_mounts();
    m->set_host_path(dir.path);
    m->set_container_path("/vol");
    m->set_propagation(propagation);
    return c;
  };
  auto writer = withMount("writer", v1::PROPAGATION_BIDIRECTIONAL);
  writer.mutable_linux()->mutable_security_context()->mutable_capabilities()->add_add_capabilities(
      "SYS_ADMIN");
  std::string rshared = startContainer(shim, podId, pod, writer);
  std::string rslave =
      startContainer(shim, podId, pod, withMount("reader", v1::PROPAGATION_HOST_TO_CONTAINER));
  std::string priv =
      startContainer(shim, podId, pod, withMount("private", v1::PROPAGATION_PRIVATE));

  // A mount made inside the Bidirectional container shows on the host.
  auto made = execSync(shim, rshared,
                       {"sh", "-c",
                        "mkdir -p /vol/from-ctr && mount -t tmpfs tmpfs /vol/from-ctr && "
                        "echo inside > /vol/from-ctr/file"});
  INFO(made.stderr());
  REQUIRE(made.exit_code() == 0);
  CHECK(readFile(dir.path + "/from-ctr/file") == "inside\n");

  // A mount made on the host shows in HostToContainer (and Bidirectional), not in private.
  fs::create_directories(dir.path + "/from-host");
  REQUIRE(::mount("tmpfs", (dir.path + "/from-host").c_str(), "tmpfs", 0, nullptr) == 0);
  { std::ofstream(dir.path + "/from-host/file") << "host\n"; }
  CHECK(execSync(shim, rslave, {"cat", "/vol/from-host/file"}).stdout() == "host\n");
  CHECK(execSync(shim, rshared, {"cat", "/vol/from-host/file"}).stdout() == "host\n");
  CHECK(execSync(shim, priv, {"cat", "/vol/from-host/file"}).exit_code() != 0);
  CHECK(execSync(shim, priv, {"cat", "/vol/from-ctr/file"}).exit_code() != 0);
  cleanupPod(shim, podId);
}

TEST_CASE(
    "mount host paths: created when missing, symlinks followed, termination message "
    "written through a file mount",
    "[container][mounts]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  auto pod = podConfig("hostpaths");
  std::string podId = runPod(shim, pod);
  std::string base = bed.dir() + "/hostpaths-" + pod.metadata().uid();
  fs::create_directories(base + "/real");
  fs::create_symlink(base + "/real", base + "/link");
  // kubelet creates the termination-log file and mounts it, as it does for every container.
  { std::ofstream(base + "/termination-log"); }

  auto config = containerConfig("paths", {"sh", "-c",
                                          "echo bye > /dev/termination-log; echo x > /link/f; "
                                          "echo y > /made/g; sleep 100000"});
  auto add = [&](const std::string& host, const std::string& ctr) {
    auto* m = config.add_mounts();
    m->set_host_path(host);
    m->set_container_path(ctr);
  };
  add(base + "/link", "/link");
  add(base + "/made/by/dockershim", "/made");
  add(base + "/termination-log", "/dev/termination-log");
  std::string id = startContainer(shim, podId, pod, config);
  for (int i = 0; i < 100 && readFile(base + "/made/by/dockershim/g").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(readFile(base + "/termination-log") == "bye\n");
  CHECK(readFile(base + "/real/f") == "x\n");
  CHECK(fs::is_directory(base + "/made/by/dockershim"));
  CHECK(readFile(base + "/made/by/dockershim/g") == "y\n");
  CHECK(fs::is_symlink(base + "/link"));  // the link itself is left as it was

  auto status = containerStatus(shim, id);
  REQUIRE(status.mounts_size() == 3);
  // Docker resolves the link when it mounts; the status shows where the data really lives, as
  // cri-dockerd's did.
  bool linkReported = false;
  for (const auto& m : status.mounts()) {
    if (m.container_path() == "/link") linkReported = m.host_path() == base + "/real";
  }
  INFO(status.DebugString());
  CHECK(linkReported);
  cleanupPod(shim, podId);
}

TEST_CASE("ExecSync truncates output over 16 MiB and says so", "[container][exec]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("bigexec");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  auto r = execSync(shim, id,
                    {"sh", "-c", "head -c 18000000 /dev/zero | tr '\\0' a; echo done >&2"}, 60);
  CHECK(r.exit_code() == 0);
  const size_t cap = 16u << 20;
  // As much as the kubelet's 16 MiB message can carry, then the note.
  REQUIRE(r.stdout().size() > cap - 4096);
  CHECK(r.stdout().size() + r.stderr().size() <= cap);
  auto firstNote = r.stdout().find_first_not_of('a');
  REQUIRE(firstNote != std::string::npos);
  CHECK(firstNote > cap - 4096);
  CHECK(r.stdout().find("truncated", firstNote) != std::string::npos);
  CHECK(r.stderr() == "done\n");
  cleanupPod(shim, podId);
}

TEST_CASE("a created container that never ran is listed, reported and removed",
          "[container][lifecycle]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("neverran");
  std::string podId = runPod(shim, pod);
  std::string id;
  auto s = createContainer(shim, podId, pod, containerConfig("idle"), &id);
  REQUIRE(s.ok());
  auto status = containerStatus(shim, id);
  CHECK(status.state() == v1::CONTAINER_CREATED);
  CHECK(status.started_at() == 0);
  CHECK(status.finished_at() == 0);
  {
    v1::StopContainerRequest req;
    req.set_container_id(id);
    v1::StopContainerResponse resp;
    Ctx ctx;
    CHECK(shim.runtime->StopContainer(&ctx, req, &resp).ok());
  }
  v1::RemoveContainerRequest req;
  req.set_container_id(id);
  v1::RemoveContainerResponse resp;
  {
    Ctx ctx;
    CHECK(shim.runtime->RemoveContainer(&ctx, req, &resp).ok());
  }
  v1::ContainerStatusRequest sreq;
  sreq.set_container_id(id);
  v1::ContainerStatusResponse sresp;
  {
    Ctx ctx;
    CHECK(shim.runtime->ContainerStatus(&ctx, sreq, &sresp).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  // Removing again, or an id in another runtime's form (a UUID), is OK: it is gone either way.
  for (std::string gone : {id, std::string("8d3b5e0a-6f7c-4b1e-9a2d-0c4e5f6a7b8c")}) {
    req.set_container_id(gone);
    Ctx ctx;
    INFO(gone);
    CHECK(shim.runtime->RemoveContainer(&ctx, req, &resp).ok());
  }
  cleanupPod(shim, podId);
}

TEST_CASE(
    "a privileged container on a host that cannot grant every capability is refused "
    "with the reason",
    "[container][security][privileged]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("plainpriv");
  // The test bed's "plain-runc" runtime is runc without the wrapper: what a user's node does.
  std::string podId = runPod(shim, pod, "plain-runc");
  CHECK(dockerInspect(podId)["HostConfig"]["Runtime"] == "plain-runc");
  auto config = containerConfig("priv");
  config.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string id;
  REQUIRE(createContainer(shim, podId, pod, config, &id).ok());
  CHECK(dockerInspect(id)["HostConfig"]["Runtime"] == "plain-runc");
  v1::StartContainerRequest req;
  req.set_container_id(id);
  v1::StartContainerResponse resp;
  Ctx ctx;
  auto s = shim.runtime->StartContainer(&ctx, req, &resp);
  const uint64_t known = (1ull << common::kCapabilityNames.size()) - 1;
  std::ifstream lastCapFile("/proc/sys/kernel/cap_last_cap");
  int lastCap = 40;
  lastCapFile >> lastCap;
  const uint64_t kernel = known & ((1ull << (lastCap + 1)) - 1);
  // Docker 23 (API 1.42) gives privileged containers the capabilities dockerd itself has;
  // before, every capability the kernel knows, which runc cannot grant here.
  auto negotiated = TestBed::get().docker().negotiate(docker::deadlineIn(10s));
  REQUIRE(negotiated);
  if ((common::boundingCapabilities() & kernel) == kernel ||
      docker::apiAtLeast(negotiated->negotiated, "1.42")) {
    INFO(describe(s));
    CHECK(s.ok());  // a real node, or a Docker that asks only for what it has
  } else {
    CHECK_FALSE(s.ok());
    CHECK(s.error_message().find("lacks capabilities") != std::string::npos);
    if (!((common::boundingCapabilities() >> common::kCapSysResource) & 1)) {
      CHECK(s.error_message().find("SYS_RESOURCE") != std::string::npos);
    }
  }
  cleanupPod(shim, podId);
}

TEST_CASE("read-only mounts: submounts stay writable unless the mount asks for recursive read-only",
          "[container][mounts]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  auto pod = podConfig("ro-mounts");
  std::string podId = runPod(shim, pod);
  // A host folder with a tmpfs mounted inside it, as a node's hostPath volume may have.
  SharedDir dir(bed.dir() + "/ro-" + pod.metadata().uid());
  fs::create_directories(dir.path + "/sub");
  REQUIRE(::mount("tmpfs", (dir.path + "/sub").c_str(), "tmpfs", 0, nullptr) == 0);

  auto withMount = [&](const std::string& name, bool recursive) {
    auto c = containerConfig(name);
    auto* m = c.add_mounts();
    m->set_host_path(dir.path);
    m->set_container_path("/vol");
    m->set_readonly(true);
    m->set_recursive_read_only(recursive);
    return c;
  };
  // CRI's read-only is not recursive: on every Docker API version (1.44 made Docker's own
  // read-only binds recursive) the mount is read-only and what is mounted below it is not.
  std::string plain = startContainer(shim, podId, pod, withMount("plain", false));
  CHECK(execSync(shim, plain, {"touch", "/vol/x"}).exit_code() != 0);
  auto sub = execSync(shim, plain, {"touch", "/vol/sub/x"});
  INFO(sub.stderr());
  CHECK(sub.exit_code() == 0);

  // Recursive read-only where the runtime handler says it can (Docker API 1.44, Linux 5.12),
  // refused where it cannot.
  v1::StatusResponse status;
  Ctx ctx;
  REQUIRE(shim.runtime->Status(&ctx, v1::StatusRequest(), &status).ok());
  REQUIRE(status.runtime_handlers_size() > 0);
  const bool rro = status.runtime_handlers(0).features().recursive_read_only_mounts();
  std::string id;
  auto s = createContainer(shim, podId, pod, withMount("recursive", true), &id);
  if (rro) {
    INFO(describe(s));
    REQUIRE(s.ok());
    v1::StartContainerRequest start;
    start.set_container_id(id);
    v1::StartContainerResponse started;
    Ctx startCtx;
    REQUIRE(shim.runtime->StartContainer(&startCtx, start, &started).ok());
    CHECK(execSync(shim, id, {"touch", "/vol/sub/y"}).exit_code() != 0);
  } else {
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(s.error_message(), Catch::Contains("API 1.44"));
  }
  cleanupPod(shim, podId);
}
