#include "private_chain.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "common/small_file.h"
#include "cri_client.h"
#include "docker/docker_client_impl.h"

namespace dockershim::lab {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool writeText(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  return static_cast<bool>(f);
}

int shell(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Every process below `roots` (a shim's containers), from the parent links in /proc.
std::set<int> descendants(const std::set<int>& roots) {
  std::multimap<int, int> children;  // parent -> child
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto stat = common::readSmallFile("/proc/" + name + "/stat");
    if (!stat) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    auto close = stat->rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat->c_str() + close + 1, " %c %d", &state, &ppid) == 2) {
      children.emplace(ppid, std::stoi(name));
    }
  }
  std::set<int> out;
  std::vector<int> todo(roots.begin(), roots.end());
  while (!todo.empty()) {
    int pid = todo.back();
    todo.pop_back();
    auto [from, to] = children.equal_range(pid);
    for (auto it = from; it != to; ++it) {
      if (out.insert(it->second).second) todo.push_back(it->second);
    }
  }
  return out;
}

// A mount point as /proc/self/mounts writes it: space, tab, newline and backslash as octal.
std::string unescapeMountPath(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    auto octal = [&](size_t at) { return field[at] >= '0' && field[at] <= '7'; };
    if (field[i] == '\\' && i + 3 < field.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                               (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

// What a runtime that did not shut down cleanly (a hung dockerd, shims of containers that were
// never removed) leaves under `dir`: its processes and their containers' processes are killed,
// its mounts detached, so the work folder can go.
void reapLeftovers(const std::vector<GroupSpec>& groups, const std::string& dir) {
  std::set<int> members;
  for (const auto& reading : GroupSampler(groups).read()) {
    for (const auto& [pid, cpu] : reading.cpuByPid) {
      std::fprintf(stderr, "[compare] killing %s process %d, left running\n", reading.label.c_str(),
                   pid);
      members.insert(pid);
    }
  }
  // The containers first: once their shim is gone, nothing links them to it.
  for (int pid : descendants(members)) ::kill(pid, SIGKILL);
  for (int pid : members) ::kill(pid, SIGKILL);
  std::vector<std::string> mounts;
  if (auto table = common::readSmallFile("/proc/self/mounts", 16u << 20)) {
    std::istringstream lines(*table);
    std::string device, point, rest;
    while (lines >> device >> point && std::getline(lines, rest)) {
      point = unescapeMountPath(point);
      if (point.rfind(dir + "/", 0) == 0) mounts.push_back(point);
    }
  }
  std::sort(mounts.rbegin(), mounts.rend());  // the deepest first
  for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
}

// Waits until the CRI endpoint answers Version.
Status waitForCri(const std::string& endpoint, Child& process, std::chrono::seconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  CriClient cri(endpoint, 2s);
  for (;;) {
    v1::VersionRequest req;
    v1::VersionResponse resp;
    if (cri.call(&v1::RuntimeService::Stub::Version, req, &resp).ok()) return Status::ok();
    if (!process.running()) return Status(Code::kUnavailable, endpoint + ": the daemon exited");
    if (std::chrono::steady_clock::now() > until) {
      return Status(Code::kDeadlineExceeded, endpoint + " did not answer");
    }
    std::this_thread::sleep_for(200ms);
  }
}

}  // namespace

std::string bridgeConflist(const std::string& name, const std::string& bridge,
                           const std::string& subnet, const std::string& ipamDir) {
  nlohmann::json conf = {
      {"cniVersion", "0.4.0"},
      {"name", name},
      {"plugins",
       {{{"type", "bridge"},
         {"bridge", bridge},
         {"isGateway", true},
         {"ipMasq", false},
         {"ipam",
          {{"type", "host-local"}, {"ranges", {{{{"subnet", subnet}}}}}, {"dataDir", ipamDir}}}}}},
  };
  return conf.dump(2) + "\n";
}

Status DockerChain::start() {
  std::error_code ec;
  fs::create_directories(dir() + "/cni", ec);
  if (!writeText(dir() + "/cni/10-dslab.conflist",
                 bridgeConflist("dslab-docker", "dslabd0", "10.231.0.0/16", dir() + "/ipam"))) {
    return Status(Code::kInternal, "cannot write the CNI configuration under " + dir());
  }
  writeText(dir() + "/daemon.json", "{}\n");
  auto dockerd = Child::spawn(
      {"dockerd", "--config-file=" + dir() + "/daemon.json", "--data-root=" + dir() + "/data",
       "--exec-root=" + dir() + "/exec", "--pidfile=" + dir() + "/docker.pid",
       "--host=unix://" + dockerSocket(), "--bridge=none", "--iptables=false", "--ip-masq=false",
       "--userland-proxy=false"},
      dir() + "/dockerd.log", Child::Term::kGroup);
  if (!dockerd) return dockerd.status();
  dockerd_ = std::move(*dockerd);
  docker::DockerClientImpl client(dockerSocket());
  auto until = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    auto v = client.negotiate(docker::deadlineIn(5s));
    if (v) {
      version = v->version;
      break;
    }
    if (!dockerd_.running() || std::chrono::steady_clock::now() > until) {
      return Status(Code::kUnavailable,
                    "the private dockerd did not start (see " + dir() + "/dockerd.log)");
    }
    std::this_thread::sleep_for(200ms);
  }
  // The test image: Debian's busybox as a rootfs.
  std::string root = dir() + "/busybox-root";
  if (shell(options_.busyboxScript + " " + root + " >/dev/null 2>&1") != 0 ||
      shell("tar --numeric-owner -C " + root + " -cf " + dir() + "/busybox.tar .") != 0) {
    return Status(Code::kInternal, "cannot build the busybox image with " + options_.busyboxScript);
  }
  auto tar = common::readSmallFile(dir() + "/busybox.tar", 512u << 20);
  if (!tar) return Status(Code::kInternal, "cannot read busybox.tar");
  if (Status st = client.importImage(*tar, "busybox", "latest", {R"(CMD ["sh"])"},
                                     docker::deadlineIn(120s));
      !st) {
    return st.withContext("import busybox");
  }
  fs::remove_all(root, ec);

  auto shim = Child::spawn(
      {options_.dockershimBinary, "--docker-endpoint=unix://" + dockerSocket(),
       "--container-runtime-endpoint=" + endpoint(), "--root-directory=" + dir() + "/dockershim",
       "--network-plugin=cni", "--cni-conf-dir=" + dir() + "/cni",
       "--cni-bin-dir=" + options_.cniBinDir, "--cni-cache-dir=" + dir() + "/cni-cache",
       "--metrics-bind-address=127.0.0.1:0", "--streaming-bind-addr=127.0.0.1:0"},
      dir() + "/dockershim.log", Child::Term::kGroup);
  if (!shim) return shim.status();
  dockershim_ = std::move(*shim);
  if (Status st = waitForCri(endpoint(), dockershim_, 120s); !st) {
    return st.withContext("dockershim (see " + dir() + "/dockershim.log)");
  }
  std::regex url(R"(metrics on http://(127\.0\.0\.1:\d+)/metrics)");
  std::smatch m;
  auto log = common::readSmallFile(dir() + "/dockershim.log", 64u << 20).value_or("");
  if (std::regex_search(log, m, url)) metrics_ = m[1];
  // The sandbox image exists once dockershim's startup work is done.
  for (int i = 0; i < 600 && log.find("startup work done") == std::string::npos; ++i) {
    std::this_thread::sleep_for(100ms);
    log = common::readSmallFile(dir() + "/dockershim.log", 64u << 20).value_or("");
  }
  return Status::ok();
}

void DockerChain::stop() {
  dockershim_.stop(30s);
  dockerd_.stop(30s);
  // dockerd stops its containerd and the shims when it shuts down cleanly; a hung one does not.
  auto groups = this->groups();
  groups.erase(groups.begin(), groups.begin() + 2);  // dockershim and dockerd are gone
  reapLeftovers(groups, dir());
}

std::vector<GroupSpec> DockerChain::groups() const {
  return {
      {"dockershim", dockershim_.pid(), "", ""},
      {"dockerd", dockerd_.pid(), "", ""},
      // dockerd starts its containerd with a config under its exec root.
      {"containerd", 0, "containerd", dir() + "/exec/"},
      {"shims", 0, "containerd-shim*", dir() + "/exec/"},
  };
}

Result<std::string> DockerChain::saveImages(const std::string& tarPath) const {
  docker::DockerClientImpl client(dockerSocket());
  if (auto v = client.negotiate(docker::deadlineIn(10s)); !v) return v.status();
  docker::Request req;
  req.path = "/images/get?names=busybox:latest&names=dockershim.invalid%2Fpause:1.0";
  req.operation = "save_images";
  auto resp = client.call(req, docker::deadlineIn(120s));
  if (!resp) return resp.status().withContext("docker save");
  if (!writeText(tarPath, resp->body)) return Status(Code::kInternal, "cannot write " + tarPath);
  return tarPath;
}

Status ContainerdChain::start(const std::string& imagesTar) {
  std::error_code ec;
  fs::create_directories(dir() + "/cni", ec);
  writeText(dir() + "/cni/10-dslab.conflist",
            bridgeConflist("dslab-containerd", "dslabc0", "10.232.0.0/16", dir() + "/ipam"));
  std::string config =
      "version = 2\n"
      "root = \"" +
      dir() +
      "/root\"\n"
      "state = \"" +
      dir() +
      "/state\"\n"
      "[grpc]\n  address = \"" +
      dir() +
      "/lab-containerd.sock\"\n"
      "[ttrpc]\n  address = \"" +
      dir() +
      "/lab-containerd.sock.ttrpc\"\n"
      "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
      "  sandbox_image = \"dockershim.invalid/pause:1.0\"\n"
      // This host may not let runc lower oom_score_adj; dockershim clamps too.
      "  restrict_oom_score_adj = true\n"
      "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
      "    bin_dir = \"" +
      options_.cniBinDir +
      "\"\n"
      "    conf_dir = \"" +
      dir() +
      "/cni\"\n"
      "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
      "    snapshotter = \"overlayfs\"\n"
      "    default_runtime_name = \"runc\"\n"
      "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
      "      runtime_type = \"io.containerd.runc.v2\"\n";
  if (!writeText(dir() + "/config.toml", config)) {
    return Status(Code::kInternal, "cannot write " + dir() + "/config.toml");
  }
  auto c = Child::spawn({"containerd", "--config", dir() + "/config.toml"},
                        dir() + "/containerd.log", Child::Term::kGroup);
  if (!c) return c.status();
  containerd_ = std::move(*c);
  if (Status st = waitForCri(endpoint(), containerd_, 60s); !st) {
    return st.withContext("containerd (see " + dir() + "/containerd.log)");
  }
  if (shell("ctr --address " + dir() + "/lab-containerd.sock -n k8s.io images import " + imagesTar +
            " >/dev/null") != 0) {
    return Status(Code::kInternal, "ctr images import failed");
  }
  return Status::ok();
}

void ContainerdChain::stop() {
  containerd_.stop(30s);
  // Shims outlive containerd by design: those of pods never removed are left.
  reapLeftovers({groups().back()}, dir());
}

std::vector<GroupSpec> ContainerdChain::groups() const {
  return {
      {"containerd", containerd_.pid(), "", ""},
      {"shims", 0, "containerd-shim*", dir() + "/lab-containerd.sock"},
  };
}

}  // namespace dockershim::lab
