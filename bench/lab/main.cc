// dockershim-lab: measures what each hop of a CRI runtime chain costs (see bench/README.md).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/duration.h"
#include "compare.h"
#include "cri_client.h"
#include "json_diff.h"
#include "metrics_scrape.h"
#include "report.h"
#include "scenario.h"
#include "soak.h"
#include "workload.h"

using namespace dockershim;
using namespace dockershim::lab;

namespace {

std::atomic<bool> gStop{false};

void onSignal(int) {
  if (gStop.exchange(true)) ::_exit(130);  // a second Ctrl-C: leave at once
  constexpr char kMsg[] = "\ninterrupted: cleaning up (Ctrl-C again to leave at once)\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  (void)ignored;
}

std::chrono::milliseconds durationOption(const std::string& text, const char* flag) {
  auto d = common::parseDuration(text);
  if (!d) throw CLI::ValidationError(flag, d.status().message());
  return *d;
}

bool writeJson(const std::string& dir, const std::string& name, const nlohmann::json& j) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream f(dir + "/" + name);
  f << j.dump(2) << "\n";
  return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dockershim-lab: the cost of each hop of a CRI runtime chain"};
  app.require_subcommand(1);

  auto* run = app.add_subcommand("run",
                                 "start N pods, poll them as the kubelet does while "
                                 "sampling the daemons, time every CRI call, tear down");
  std::string endpoint = "unix:///var/run/dockershim.sock";
  RunOptions options;
  std::string interval = "0", steady = "60s", metrics = "auto", out, command = "sleep 1000000";
  std::vector<std::string> groups;
  bool noProgress = false;
  run->add_option("--endpoint", endpoint, "CRI endpoint")->capture_default_str();
  run->add_option("--pods", options.pods, "pods in the batch")->capture_default_str();
  run->add_option("--parallel", options.parallel, "pods started at once")->capture_default_str();
  run->add_option("--interval", interval,
                  "pod i starts no sooner than i × this (0: as fast as "
                  "--parallel allows)")
      ->capture_default_str();
  run->add_option("--image", options.image, "the container image (present on the node)")
      ->capture_default_str();
  run->add_option("--command", command, "the container's command (split at spaces)")
      ->capture_default_str();
  run->add_option("--steady", steady, "how long the kubelet's polling load runs")
      ->capture_default_str();
  run->add_option("--reps", options.reps, "repetitions of each RPC for per-call latency")
      ->capture_default_str();
  run->add_option("--metrics", metrics,
                  "dockershim's metrics host:port for the hop breakdown; auto: 127.0.0.1:10260 "
                  "when dockershim serves there; none: no breakdown")
      ->capture_default_str();
  run->add_option("--group", groups,
                  "daemon process group to sample, by pid or name (glob), optionally label=...; "
                  "repeatable (default: dockershim dockerd containerd containerd-shim*)");
  run->add_option("--runtime-handler", options.runtimeHandler, "RunPodSandbox runtime_handler");
  run->add_option("--log-root", options.logRoot, "where pod log directories are made")
      ->capture_default_str();
  run->add_option("--out", out, "folder for results.json");
  run->add_flag("--no-progress", noProgress, "no progress lines on stderr");

  auto* diff = app.add_subcommand(
      "diff",
      "run one scripted pod scenario against two endpoints and report every difference "
      "a kubelet would notice (exit 0: none, 1: some, 2: could not run)");
  std::string endpointA, endpointB, diffOut;
  ScenarioOptions scenario;
  diff->add_option("a", endpointA, "first CRI endpoint")->required();
  diff->add_option("b", endpointB, "second CRI endpoint")->required();
  diff->add_option("--image", scenario.image, "the containers' image (present on both)")
      ->capture_default_str();
  diff->add_option("--work-dir", scenario.workDir, "where pod logs and the mounted folder go")
      ->capture_default_str();
  diff->add_option("--out", diffOut, "folder for a.json, b.json and diff.json");

  auto* compare = app.add_subcommand(
      "compare",
      "start a private Docker with dockershim and a private containerd with its CRI "
      "plugin, run the same workload on each (A B A B) and write a report folder");
  CompareOptions cmp;
  std::string cmpSteady = "60s";
  compare->add_option("--out", cmp.out, "report folder")->required();
  compare->add_option("--pods", cmp.pods, "the pod count of the headline charts")
      ->capture_default_str();
  compare->add_option("--pod-counts", cmp.podCounts, "pod counts of the cost-vs-pods charts")
      ->delimiter(',')
      ->capture_default_str();
  compare->add_option("--rounds", cmp.rounds, "runs per runtime and pod count")
      ->capture_default_str();
  compare->add_option("--parallel", cmp.parallel, "pods started at once")->capture_default_str();
  compare->add_option("--steady", cmpSteady, "steady phase of each run")->capture_default_str();
  compare->add_option("--reps", cmp.reps, "repetitions of each RPC")->capture_default_str();
  compare->add_option("--work-dir", cmp.workDir, "state of the private runtimes (short path)");
  compare->add_option("--dockershim", cmp.dockershimBinary, "the dockershim binary");
  compare->add_option("--also", cmp.also, "another CRI endpoint to run as a third column");
  compare->add_option("--also-group", cmp.alsoGroups,
                      "process groups to sample for --also endpoints (as --group of run)");
  compare->add_flag("--no-progress", noProgress, "no progress lines on stderr");
  std::string reportFrom;
  auto* report = app.add_subcommand("report",
                                    "write the CSVs, charts and report.md again from "
                                    "a compare folder's results.json");
  report->add_option("folder", reportFrom, "the compare folder")->required();

  auto* soak = app.add_subcommand(
      "soak",
      "cycle pods one after another through their whole life (run, create, start, exec, log, "
      "stop, remove) while sampling the daemon's memory, descriptors and threads; report the "
      "slopes and what is left over (exit 0: nothing left over and descriptors and threads back "
      "to their baseline, 1: not, 2: could not run)");
  SoakOptions soakOptions;
  std::string soakOut;
  std::vector<std::string> watch;
  soak->add_option("--endpoint", soakOptions.endpoint, "CRI endpoint")->required();
  soak->add_option("--pid", soakOptions.pid, "the daemon's pid (sampled)")->required();
  soak->add_option("--lifecycles", soakOptions.lifecycles, "pod lifecycles")->capture_default_str();
  soak->add_option("--warmup", soakOptions.warmup, "lifecycles before the baseline sample")
      ->capture_default_str();
  soak->add_option("--sample-every", soakOptions.sampleEvery, "lifecycles between samples")
      ->capture_default_str();
  soak->add_option("--image", soakOptions.image, "the container image (present on the node)")
      ->capture_default_str();
  soak->add_option("--log-root", soakOptions.logRoot, "where pod log folders are made")
      ->capture_default_str();
  soak->add_option("--docker-socket", soakOptions.dockerSocket,
                   "Docker's socket, to count containers left over");
  soak->add_option("--watch", watch,
                   "label=folder whose files must not grow (checkpoints, CNI records, IPAM "
                   "allocations, …); repeatable");
  soak->add_option("--out", soakOut, "folder for soak.json");
  soak->add_flag("--no-progress", noProgress, "no progress lines on stderr");

  CLI11_PARSE(app, argc, argv);

  struct sigaction sa {};
  sa.sa_handler = onSignal;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  if (soak->parsed()) {
    for (const auto& w : watch) {
      auto eq = w.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "--watch %s: want label=folder\n", w.c_str());
        return 2;
      }
      soakOptions.watchDirs[w.substr(0, eq)] = w.substr(eq + 1);
    }
    soakOptions.watchDirs.emplace("log files", soakOptions.logRoot);
    if (soakOptions.lifecycles <= 0 || soakOptions.sampleEvery <= 0 || soakOptions.warmup <= 0 ||
        soakOptions.warmup > soakOptions.lifecycles) {
      std::fprintf(stderr, "soak: want 0 < --warmup <= --lifecycles and --sample-every > 0\n");
      return 2;
    }
    soakOptions.progress = !noProgress;
    auto result = runSoak(soakOptions, gStop);
    std::fputs(soakSummary(result).c_str(), stdout);
    if (!soakOut.empty() && !writeJson(soakOut, "soak.json", result)) return 2;
    return result["ok"].get<bool>() ? 0 : 1;
  }
  if (compare->parsed()) {
    try {
      cmp.steady = durationOption(cmpSteady, "--steady");
    } catch (const CLI::Error& e) {
      return app.exit(e);
    }
    if (cmp.dockershimBinary.empty()) {
      // Beside the build folder's bench/: build/dockershim.
      std::error_code ec;
      auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
      cmp.dockershimBinary = (self.parent_path().parent_path() / "dockershim").string();
    }
    if (cmp.busyboxScript.empty()) {
      cmp.busyboxScript = std::string(DOCKERSHIM_SOURCE_DIR) + "/packaging/make-busybox-rootfs.sh";
    }
    cmp.progress = !noProgress;
    return runCompare(cmp, gStop);
  }
  if (report->parsed()) {
    std::ifstream in(reportFrom + "/results.json");
    nlohmann::json results = nlohmann::json::parse(in, nullptr, false);
    if (results.is_discarded() || !results.contains("runs")) {
      std::fprintf(stderr, "%s/results.json is not a compare result\n", reportFrom.c_str());
      return 2;
    }
    writeReport(results, reportFrom);
    return 0;
  }
  if (diff->parsed()) {
    nlohmann::json records[2];
    const std::string* endpoints[2] = {&endpointA, &endpointB};
    for (int i = 0; i < 2; ++i) {
      CriClient cri(*endpoints[i]);
      v1::VersionRequest vreq;
      v1::VersionResponse version;
      if (auto st = cri.call(&v1::RuntimeService::Stub::Version, vreq, &version); !st.ok()) {
        std::fprintf(stderr, "%s: %s\n", endpoints[i]->c_str(), st.error_message().c_str());
        return 2;
      }
      std::fprintf(stderr, "scenario against %s (%s %s)\n", endpoints[i]->c_str(),
                   version.runtime_name().c_str(), version.runtime_version().c_str());
      records[i] = runScenario(cri, scenario);
      records[i]["runtime"] = version.runtime_name() + " " + version.runtime_version();
    }
    nlohmann::json report = nlohmann::json::array();
    const auto& stepsA = records[0]["steps"];
    const auto& stepsB = records[1]["steps"];
    size_t n = std::max(stepsA.size(), stepsB.size());
    for (size_t i = 0; i < n; ++i) {
      nlohmann::json sa = i < stepsA.size() ? stepsA[i] : nlohmann::json();
      nlohmann::json sb = i < stepsB.size() ? stepsB[i] : nlohmann::json();
      std::string step = sa.is_object() ? sa.value("step", "") : sb.value("step", "");
      for (const auto& d : jsonDiff(sa, sb)) {
        std::printf("%s: %s: %s | %s\n", step.c_str(), d.path.c_str(), d.a.dump().c_str(),
                    d.b.dump().c_str());
        report.push_back({{"step", step}, {"path", d.path}, {"a", d.a}, {"b", d.b}});
      }
    }
    std::printf("%zu steps, %zu differences (a: %s, b: %s)\n", n, report.size(),
                records[0]["runtime"].get<std::string>().c_str(),
                records[1]["runtime"].get<std::string>().c_str());
    if (!diffOut.empty()) {
      if (!writeJson(diffOut, "a.json", records[0]) || !writeJson(diffOut, "b.json", records[1]) ||
          !writeJson(diffOut, "diff.json", report)) {
        std::fprintf(stderr, "cannot write to %s\n", diffOut.c_str());
        return 2;
      }
    }
    return report.empty() ? 0 : 1;
  }
  if (run->parsed()) {
    try {
      options.interval = durationOption(interval, "--interval");
      options.steady = durationOption(steady, "--steady");
    } catch (const CLI::Error& e) {
      return app.exit(e);
    }
    if (options.pods < 1 || options.parallel < 1 || options.reps < 1) {
      std::fprintf(stderr, "--pods, --parallel and --reps must be at least 1\n");
      return 2;
    }
    options.command.clear();
    for (size_t pos = 0; pos < command.size();) {
      size_t end = command.find(' ', pos);
      if (end == std::string::npos) end = command.size();
      if (end > pos) options.command.push_back(command.substr(pos, end - pos));
      pos = end + 1;
    }
    if (groups.empty()) groups = {"dockershim", "dockerd", "containerd", "containerd-shim*"};
    for (const auto& g : groups) {
      auto spec = parseGroupSpec(g);
      if (!spec) {
        std::fprintf(stderr, "--group: %s\n", spec.status().message().c_str());
        return 2;
      }
      options.groups.push_back(*spec);
    }
    if (metrics == "auto") {
      options.metrics = isDockershimMetrics("127.0.0.1:10260") ? "127.0.0.1:10260" : "";
    } else if (metrics != "none") {
      options.metrics = metrics;
    }
    options.progress = !noProgress;
    CriClient cri(endpoint);
    Workload workload(cri, options, gStop);
    auto results = workload.run();
    printRun(results, stdout);
    if (!out.empty() && !writeJson(out, "results.json", results)) {
      std::fprintf(stderr, "cannot write %s/results.json\n", out.c_str());
      return 1;
    }
    if (results.contains("error")) return 1;
    bool clean = results["leftovers"].value("clean", false);
    return gStop ? 130 : (clean ? 0 : 1);
  }
  return 0;
}
