#include "soak.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/small_file.h"
#include "cri_client.h"
#include "docker/docker_client_impl.h"

namespace dockershim::lab {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

SoakSample sampleOf(pid_t pid, int lifecycles) {
  SoakSample s;
  s.lifecycles = lifecycles;
  auto status = common::readSmallFile("/proc/" + std::to_string(pid) + "/status");
  if (status) {
    std::istringstream in(*status);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) s.rssKiB = std::atof(line.c_str() + 6);
      if (line.rfind("Threads:", 0) == 0) s.threads = std::atoi(line.c_str() + 8);
    }
  }
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    ++s.fds;
  }
  return s;
}

int entriesIn(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec)) ++n;
  }
  return n;
}

int dockerContainers(const std::string& socket) {
  if (socket.empty()) return 0;
  docker::DockerClientImpl client(socket);
  auto list =
      client.listContainers({{"label", {"io.kubernetes.docker.type"}}}, docker::deadlineIn(30s));
  return list && list->is_array() ? static_cast<int>(list->size()) : -1;
}

// One pod's whole life, as the kubelet drives it; "" or what failed.
std::string lifecycle(const CriClient& cri, const SoakOptions& o, int i) {
  namespace v1 = runtime::v1;
  const std::string name = "soak-" + std::to_string(::getpid()) + "-" + std::to_string(i);
  const std::string logDir = o.logRoot + "/" + name;
  std::error_code ec;
  fs::create_directories(logDir, ec);

  v1::PodSandboxConfig pod;
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_namespace_("dockershim-lab-soak");
  pod.mutable_metadata()->set_uid(name);
  pod.set_log_directory(logDir);
  (*pod.mutable_labels())["dockershim-lab.soak"] = std::to_string(::getpid());
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = pod;
  v1::RunPodSandboxResponse ran;
  auto st = cri.call(&v1::RuntimeService::Stub::RunPodSandbox, run, &ran);
  if (!st.ok()) return "RunPodSandbox: " + st.error_message();
  const std::string podId = ran.pod_sandbox_id();
  std::string failure;
  auto check = [&](const grpc::Status& s, const char* what) {
    if (!s.ok() && failure.empty()) failure = std::string(what) + ": " + s.error_message();
    return s.ok();
  };

  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(podId);
  *create.mutable_sandbox_config() = pod;
  auto* c = create.mutable_config();
  c->mutable_metadata()->set_name("app");
  c->mutable_image()->set_image(o.image);
  for (const char* a : {"sh", "-c", "echo hello-soak; exec sleep 3600"}) c->add_command(a);
  c->set_log_path("app.log");
  v1::CreateContainerResponse created;
  if (check(cri.call(&v1::RuntimeService::Stub::CreateContainer, create, &created),
            "CreateContainer")) {
    v1::StartContainerRequest start;
    start.set_container_id(created.container_id());
    v1::StartContainerResponse started;
    if (check(cri.call(&v1::RuntimeService::Stub::StartContainer, start, &started),
              "StartContainer")) {
      v1::ExecSyncRequest exec;
      exec.set_container_id(created.container_id());
      for (const char* a : {"echo", "exec-soak"}) exec.add_cmd(a);
      exec.set_timeout(10);
      v1::ExecSyncResponse execd;
      if (check(cri.call(&v1::RuntimeService::Stub::ExecSync, exec, &execd), "ExecSync") &&
          execd.stdout() != "exec-soak\n" && failure.empty()) {
        failure = "ExecSync: unexpected output \"" + execd.stdout() + "\"";
      }
      // The container's line reaches its CRI log (as `kubectl logs` reads it).
      bool logged = false;
      for (int t = 0; t < 100 && !logged; ++t) {
        auto text = common::readSmallFile(logDir + "/app.log");
        logged = text && text->find(" stdout F hello-soak\n") != std::string::npos;
        if (!logged) std::this_thread::sleep_for(50ms);
      }
      if (!logged && failure.empty()) failure = "the container's line never reached its log";
    }
    v1::StopContainerRequest stop;
    stop.set_container_id(created.container_id());
    stop.set_timeout(0);
    v1::StopContainerResponse stopped;
    check(cri.call(&v1::RuntimeService::Stub::StopContainer, stop, &stopped), "StopContainer");
  }
  v1::StopPodSandboxRequest stopPod;
  stopPod.set_pod_sandbox_id(podId);
  v1::StopPodSandboxResponse podStopped;
  check(cri.call(&v1::RuntimeService::Stub::StopPodSandbox, stopPod, &podStopped),
        "StopPodSandbox");
  v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(podId);
  v1::RemovePodSandboxResponse removed;
  check(cri.call(&v1::RuntimeService::Stub::RemovePodSandbox, remove, &removed),
        "RemovePodSandbox");
  // The kubelet removes a deleted pod's log folder itself.
  fs::remove_all(logDir, ec);
  return failure;
}

}  // namespace

double slope(const std::vector<std::pair<double, double>>& points) {
  if (points.size() < 2) return 0;
  double n = static_cast<double>(points.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& [x, y] : points) {
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  double d = n * sxx - sx * sx;
  return d == 0 ? 0 : (n * sxy - sx * sy) / d;
}

nlohmann::json runSoak(const SoakOptions& o, const std::atomic<bool>& stop) {
  CriClient cri(o.endpoint, std::chrono::minutes(2));
  // Counted after the warm-up: the first pods leave bookkeeping that stays (host-local's lock
  // and last-reserved files), not one entry per pod.
  std::map<std::string, int> dirsBefore;
  int containersBefore = 0;

  std::vector<SoakSample> samples;
  std::vector<std::string> failures;
  auto start = std::chrono::steady_clock::now();
  int done = 0;
  for (; done < o.lifecycles && !stop; ++done) {
    std::string failed = lifecycle(cri, o, done);
    if (!failed.empty()) {
      failures.push_back("lifecycle " + std::to_string(done) + ": " + failed);
      if (failures.size() >= 10) break;
    }
    const int n = done + 1;
    if (n == o.warmup) {
      for (const auto& [label, dir] : o.watchDirs) dirsBefore[label] = entriesIn(dir);
      containersBefore = dockerContainers(o.dockerSocket);
    }
    if (n == o.warmup || (n > o.warmup && (n - o.warmup) % o.sampleEvery == 0) ||
        n == o.lifecycles) {
      samples.push_back(sampleOf(o.pid, n));
      if (o.progress) {
        std::fprintf(stderr, "soak: %d/%d lifecycles, RSS %.0f KiB, %d fds, %d threads\n", n,
                     o.lifecycles, samples.back().rssKiB, samples.back().fds,
                     samples.back().threads);
      }
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Idle descriptors and threads settle (keep-alive connections, closed after 3 s idle;
  // finished exec streams).
  std::this_thread::sleep_for(6s);
  SoakSample end = sampleOf(o.pid, done);

  nlohmann::json out;
  out["lifecycles"] = done;
  out["seconds"] = seconds;
  out["warmup"] = o.warmup;
  nlohmann::json series = nlohmann::json::array();
  std::vector<std::pair<double, double>> rss, fds, threads;
  for (const auto& s : samples) {
    series.push_back({{"lifecycles", s.lifecycles},
                      {"rssKiB", s.rssKiB},
                      {"fds", s.fds},
                      {"threads", s.threads}});
    rss.emplace_back(s.lifecycles, s.rssKiB);
    fds.emplace_back(s.lifecycles, s.fds);
    threads.emplace_back(s.lifecycles, s.threads);
  }
  out["samples"] = series;
  out["end"] = {{"rssKiB", end.rssKiB}, {"fds", end.fds}, {"threads", end.threads}};
  // Per 1,000 lifecycles, after the warm-up.
  out["slope"] = {{"rssKiBPer1000", slope(rss) * 1000},
                  {"fdsPer1000", slope(fds) * 1000},
                  {"threadsPer1000", slope(threads) * 1000}};
  nlohmann::json leftovers = nlohmann::json::object();
  bool clean = true;
  for (const auto& [label, dir] : o.watchDirs) {
    int grew = entriesIn(dir) - dirsBefore[label];
    leftovers[label] = grew;
    clean = clean && grew <= 0;
  }
  if (!o.dockerSocket.empty()) {
    int grew = dockerContainers(o.dockerSocket) - containersBefore;
    leftovers["containers"] = grew;
    clean = clean && grew <= 0;
  }
  out["leftovers"] = leftovers;
  out["failures"] = failures;
  bool back =
      !samples.empty() && end.fds <= samples.front().fds && end.threads <= samples.front().threads;
  out["baseline"] = samples.empty() ? nlohmann::json()
                                    : nlohmann::json{{"fds", samples.front().fds},
                                                     {"threads", samples.front().threads},
                                                     {"rssKiB", samples.front().rssKiB}};
  out["backToBaseline"] = back;
  out["ok"] = clean && back && failures.empty() && done == o.lifecycles;
  return out;
}

std::string soakSummary(const nlohmann::json& r) {
  std::ostringstream out;
  out << "lifecycles  RSS KiB  fds  threads\n";
  for (const auto& s : r["samples"]) {
    char line[96];
    std::snprintf(line, sizeof line, "%10d %8.0f %4d %8d\n", s["lifecycles"].get<int>(),
                  s["rssKiB"].get<double>(), s["fds"].get<int>(), s["threads"].get<int>());
    out << line;
  }
  char line[256];
  std::snprintf(line, sizeof line,
                "%d lifecycles in %.0f s (%.2f s each); after %d of warm-up, per 1,000 "
                "lifecycles: RSS %+.1f KiB, fds %+.2f, threads %+.2f\n",
                r["lifecycles"].get<int>(), r["seconds"].get<double>(),
                r["seconds"].get<double>() / std::max(1, r["lifecycles"].get<int>()),
                r["warmup"].get<int>(), r["slope"]["rssKiBPer1000"].get<double>(),
                r["slope"]["fdsPer1000"].get<double>(), r["slope"]["threadsPer1000"].get<double>());
  out << line;
  out << "end: " << r["end"].dump() << ", baseline: " << r["baseline"].dump()
      << (r["backToBaseline"].get<bool>() ? " (back to baseline)" : " (NOT back to baseline)")
      << "\nleftovers: " << r["leftovers"].dump() << "\n";
  for (const auto& f : r["failures"]) out << "failure: " << f.get<std::string>() << "\n";
  out << (r["ok"].get<bool>() ? "ok\n" : "NOT OK\n");
  return out.str();
}

}  // namespace dockershim::lab
