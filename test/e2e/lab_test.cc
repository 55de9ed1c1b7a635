// The overhead lab (dockershim-lab) end to end against the test bed's shim and dockerd.
#include <cairo.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "e2e/cni_env.h"
#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

std::vector<std::string> labArgs(Shim& shim, const std::string& out, int pods,
                                 const std::string& steady) {
  auto& bed = TestBed::get();
  return {LAB_BINARY,     "run",
          "--endpoint",   "unix://" + shim.socket,
          "--pods",       std::to_string(pods),
          "--parallel",   "2",
          "--steady",     steady,
          "--reps",       "5",
          "--metrics",    "127.0.0.1:" + std::to_string(metricsPort(shim)),
          "--group",      "dockershim=" + std::to_string(shim.process.pid()),
          "--group",      "dockerd=" + std::to_string(bed.dockerdPid()),
          "--group",      "shims=containerd-shim*",
          "--image",      "busybox",
          "--log-root",   bed.dir() + "/lab-logs",
          "--out",        out,
          "--no-progress"};
}

size_t labPodsLeft(Shim& shim, const std::string& runId) {
  v1::PodSandboxFilter filter;
  (*filter.mutable_label_selector())["dockershim-lab.run"] = runId;
  return listPods(shim, filter).size();
}

}  // namespace

TEST_CASE("lab: run measures a small batch and leaves nothing behind", "[lab]") {
  auto& bed = TestBed::get();
  auto shim = bed.startShim({}, "lab");
  std::string out = bed.dir() + "/lab-run";
  auto args = labArgs(*shim, out, 3, "3s");
  std::string cmd;
  for (const auto& a : args) cmd += "'" + a + "' ";
  std::string output;
  int rc = runCommand(cmd + "2>&1", &output);
  INFO(output);
  CHECK(rc == 0);
  auto r = nlohmann::json::parse(readFile(out + "/results.json"));

  CHECK(r["runtime"]["name"] == "docker");
  const auto& startup = r["startup"];
  CHECK(startup["pods"] == 3);
  CHECK(startup["running"] == 3);
  CHECK(startup["errors"].empty());
  CHECK(startup["latency_ms"]["count"] == 3);
  CHECK(startup["latency_ms"]["p50"].get<double>() > 0);
  // The phases add up to no more than the whole.
  for (const char* phase : {"run_sandbox", "create_container", "start_container"}) {
    CHECK(startup["phases_ms"][phase]["max"].get<double>() <=
          startup["latency_ms"]["max"].get<double>());
  }
  CHECK(startup["throughput_pods_per_min"].get<double>() > 0);

  // Steady state: the daemons were sampled every second.
  const auto& groups = r["steady"]["groups"];
  CHECK(groups["dockershim"]["samples"].get<int>() >= 2);
  CHECK(groups["dockershim"]["rss_bytes"]["last"].get<double>() > 1e6);
  CHECK(groups["dockerd"]["rss_bytes"]["last"].get<double>() > 1e6);
  CHECK(groups["dockershim"]["cpu_cores"]["mean"].get<double>() >= 0);
  CHECK(groups["shims"]["processes_last"].get<int>() >= 6);  // a sandbox and a container a pod
  CHECK(r["steady"]["calls"]["ListContainers"]["latency_ms"]["count"].get<int>() >= 2);
  CHECK(r["steady"]["calls"]["ListContainers"]["errors"] == 0);

  // Per call, with the hops from dockershim's metrics.
  const auto& pc = r["per_call"];
  for (const char* rpc : {"Version", "ListContainers", "ContainerStatus", "PodSandboxStatus",
                          "ListContainerStats", "ExecSync", "ImageStatus"}) {
    INFO(rpc);
    REQUIRE(pc.contains(rpc));
    CHECK(pc[rpc]["errors"] == 0);
    CHECK(pc[rpc]["latency_ms"]["p50"].get<double>() > 0);
    REQUIRE(pc[rpc].contains("hops_ms"));
  }
  CHECK(pc["ExecSync"]["hops_ms"]["docker_requests_per_call"].get<double>() >= 3);
  CHECK(pc["ExecSync"]["hops_ms"]["docker"].get<double>() > 0);
  // Served from the state cache: no Docker request.
  CHECK(pc["ListContainers"]["hops_ms"]["docker_requests_per_call"].get<double>() == 0);
  CHECK(pc["ListContainers"]["hops_ms"]["dockershim"].get<double>() > 0);

  CHECK(r["teardown"]["errors"].empty());
  CHECK(r["leftovers"]["clean"] == true);
  CHECK(r["leftovers"]["sandboxes"] == 0);
  CHECK(labPodsLeft(*shim, r["run_id"]) == 0);
  CHECK(r["series"].size() >= 3);
  // The human summary names each phase.
  CHECK(output.find("batch startup: 3 of 3 pods running") != std::string::npos);
  CHECK(output.find("[clean]") != std::string::npos);
}

TEST_CASE("lab: Ctrl-C during a run cleans up", "[lab]") {
  auto& bed = TestBed::get();
  auto shim = bed.startShim({}, "lab-interrupt");
  std::string out = bed.dir() + "/lab-interrupt";
  auto lab = Process::spawn(labArgs(*shim, out, 2, "10m"), bed.dir() + "/lab-interrupt.log");
  // Interrupted in the steady phase, when every pod runs.
  bool running = false;
  for (int i = 0; i < 300 && !running; ++i) {
    int ready = 0;
    for (const auto& p : listPods(*shim)) {
      if (p.labels().count("dockershim-lab.run") && p.state() == v1::SANDBOX_READY) ++ready;
    }
    running = ready == 2;
    if (!running) std::this_thread::sleep_for(100ms);
  }
  REQUIRE(running);
  std::this_thread::sleep_for(1s);
  ::kill(lab.pid(), SIGINT);
  int status = 0;
  REQUIRE(lab.waitExit(60s, status));
  INFO(readFile(bed.dir() + "/lab-interrupt.log"));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  auto r = nlohmann::json::parse(readFile(out + "/results.json"));
  CHECK(r["interrupted"] == true);
  CHECK(r["leftovers"]["clean"] == true);
  CHECK(labPodsLeft(*shim, r["run_id"]) == 0);
}

TEST_CASE("lab: diff finds no difference between equal runtimes and names the ones it finds",
          "[lab]") {
  auto& bed = TestBed::get();
  auto cached = bed.startShim({}, "diff-a");
  auto direct = bed.startShim({"--state-cache=false"}, "diff-b");
  std::string work = bed.dir() + "/lab-diff";
  auto diffCommand = [&](Shim& a, Shim& b, const std::string& out) {
    return std::string(LAB_BINARY) + " diff unix://" + a.socket + " unix://" + b.socket +
           " --image busybox --work-dir " + work + " --out " + out + " 2>&1";
  };
  int before = countDockerContainers();
  std::string output;
  int rc = runCommand(diffCommand(*cached, *direct, bed.dir() + "/diff-same"), &output);
  INFO(output);
  CHECK(rc == 0);
  CHECK(output.find(" 0 differences") != std::string::npos);
  auto a = nlohmann::json::parse(readFile(bed.dir() + "/diff-same/a.json"));
  // The scenario ran whole: the pod and both containers, exec, logs, removal, failures.
  std::map<std::string, nlohmann::json> steps;
  for (const auto& s : a["steps"]) steps[s["step"]] = s;
  CHECK(steps["RunPodSandbox"]["code"] == "OK");
  CHECK(steps["ContainerStatus exited exiter"]["response"]["exit_code"] == 3);
  CHECK(steps["ContainerStatus exited exiter"]["response"]["state"] == "CONTAINER_EXITED");
  CHECK(steps["ExecSync env, user, workdir, mount"]["response"]["stdout"] ==
        "bar baz\n1000\n/tmp\nhello from the host\n");
  CHECK(steps["ExecSync read-only mount"]["response"]["stdout"] == "ro\n");
  CHECK(steps["ExecSync exit code"]["response"]["exit_code"] == 7);
  CHECK(steps["log of exiter"]["response"].size() == 2);
  CHECK(steps["ContainerStatus removed runner"]["code"] == "NOT_FOUND");
  CHECK(steps["ContainerStatus of a missing container"]["code"] == "NOT_FOUND");
  CHECK(steps["PodSandboxStatus removed"]["code"] == "NOT_FOUND");
  CHECK(countDockerContainers() == before);

  // A runtime whose network is not ready: every pod step differs, and the diff says where.
  std::string emptyConf = bed.dir() + "/diff-empty-cni";
  std::filesystem::create_directories(emptyConf);
  auto noNetwork =
      bed.startShim({"--network-plugin=cni", "--cni-conf-dir=" + emptyConf}, "diff-nonet");
  rc = runCommand(diffCommand(*cached, *noNetwork, bed.dir() + "/diff-other"), &output);
  INFO(output);
  CHECK(rc == 1);
  CHECK(output.find("Status: /response/NetworkReady: true | false") != std::string::npos);
  CHECK(output.find("RunPodSandbox: /code: \"OK\" | \"FAILED_PRECONDITION\"") != std::string::npos);
  CHECK(countDockerContainers() == before);
}

TEST_CASE("lab: compare runs both chains on private runtimes and writes the report", "[lab]") {
  auto& bed = TestBed::get();
  std::string out = bed.dir() + "/compare";
  // Sockets live below the work folder: a short path.
  std::string work = "/tmp/dslab-e2e-" + std::to_string(::getpid());
  std::string cmd = std::string(LAB_BINARY) + " compare --out " + out +
                    " --pods 2 --pod-counts 1,2 --rounds 1 --steady 2s --reps 3 --parallel 2" +
                    " --work-dir " + work + " --dockershim " + DOCKERSHIM_BINARY +
                    " --no-progress 2>&1";
  std::string output;
  int rc = runCommand(cmd, &output);
  INFO(output);
  CHECK(rc == 0);
  auto results = nlohmann::json::parse(readFile(out + "/results.json"));
  REQUIRE(results["runs"].size() == 4);  // 2 pod counts × 1 round × 2 runtimes
  std::set<std::string> runtimes;
  for (const auto& run : results["runs"]) {
    std::string runtime = run["runtime"];
    runtimes.insert(runtime);
    INFO(runtime << " at " << run["pods"]);
    const auto& r = run["result"];
    CHECK(r["startup"]["running"] == run["pods"]);
    CHECK(r["leftovers"]["clean"] == true);
    // Docker runs a shim per container; containerd's CRI one per pod.
    CHECK(r["steady"]["groups"]["shims"]["processes_last"].get<int>() >=
          (runtime == "containerd" ? 1 : 2) * run["pods"].get<int>());
    // Only dockershim's calls split into hops.
    CHECK(r["per_call"]["ListContainers"].contains("hops_ms") == (runtime == "docker+dockershim"));
  }
  CHECK(runtimes == std::set<std::string>{"docker+dockershim", "containerd"});
  for (const char* chart : {"memory", "cpu", "latency", "cpu_vs_pods", "memory_vs_pods",
                            "latency_vs_pods", "hops", "startup_hops"}) {
    INFO(chart);
    CHECK(readFile(out + "/" + chart + ".png").rfind("\x89PNG", 0) == 0);
    CHECK(readFile(out + "/" + chart + ".svg").find("<svg") != std::string::npos);
    CHECK(readFile(out + "/" + chart + ".pdf").rfind("%PDF-", 0) == 0);
  }
  std::string report = readFile(out + "/report.md");
  CHECK(report.find("| docker+dockershim |") != std::string::npos);
  CHECK(report.find("| containerd |") != std::string::npos);
  // dockershim's share of each pod's start, from its metrics.
  CHECK(report.find("| per pod (the three) |") != std::string::npos);
  CHECK(readFile(out + "/report.html").find("<table>") != std::string::npos);
  CHECK(readFile(out + "/runs.csv").find("containerd,2,1,") != std::string::npos);
  // The private runtimes are gone with their state.
  CHECK_FALSE(std::filesystem::exists(work));
  std::string procs;
  // "[/]": the shell running pgrep holds the pattern itself, not the text.
  runCommand("pgrep -af '[/]" + work.substr(1) + "' || true", &procs);
  CHECK(procs.empty());
}

TEST_CASE("lab: soak cycles pods and leaves nothing; descriptors and threads come back",
          "[lab][soak]") {
  int lifecycles = 100;
  if (const char* env = std::getenv("DOCKERSHIM_E2E_SOAK_LIFECYCLES")) lifecycles = std::atoi(env);
  REQUIRE(lifecycles >= 20);
  auto& bed = TestBed::get();
  CniEnv env("soak");
  env.writeConf("10-net.conflist", env.conflist());
  auto& shim = env.start();
  const std::string out = env.dir() + "/soak-out";
  const int warmup = std::max(20, lifecycles / 10);
  std::vector<std::string> args = {
      LAB_BINARY,
      "soak",
      "--endpoint=unix://" + shim.socket,
      "--pid=" + std::to_string(shim.process.pid()),
      "--lifecycles=" + std::to_string(lifecycles),
      "--warmup=" + std::to_string(warmup),
      "--sample-every=" + std::to_string(std::max(10, (lifecycles - warmup) / 10)),
      "--docker-socket=" + bed.dockerSocket(),
      "--watch=checkpoints=" + env.dir() + "/root/sandbox",
      "--watch=cni-records=" + env.cacheDir() + "/dockershim",
      "--watch=ipam=" + env.dir() + "/ipam/" + env.network(),
      "--log-root=" + env.dir() + "/soak-logs",
      "--out=" + out,
      "--no-progress"};
  std::string cmd;
  for (const auto& a : args) cmd += "'" + a + "' ";
  std::string output;
  int rc = runCommand(cmd + "2>&1", &output);
  INFO(output);
  WARN("soak of " << lifecycles << " pod lifecycles:\n" << output);
  CHECK(rc == 0);
  auto r = nlohmann::json::parse(readFile(out + "/soak.json"), nullptr, false);
  REQUIRE_FALSE(r.is_discarded());
  CHECK(r["lifecycles"] == lifecycles);
  CHECK(r["failures"].empty());
  for (const auto& [label, grew] : r["leftovers"].items()) {
    INFO(label);
    CHECK(grew == 0);
  }
  CHECK(r["leftovers"].size() == 5);
  CHECK(r["backToBaseline"] == true);
  CHECK(r["ok"] == true);
  // Every ADD had its DEL.
  std::map<std::string, int> adds, dels;
  for (const auto& c : env.calls()) {
    (c["command"] == "ADD" ? adds : dels)[c.value("containerId", "")]++;
  }
  CHECK(adds.size() == static_cast<size_t>(lifecycles));
  CHECK(adds == dels);
}

namespace {

// Pixels of `color` in a PNG (a browser's screenshot), read through Cairo.
size_t pixelsOf(const std::string& pngPath, uint32_t color) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(pngPath.c_str());
  REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
  cairo_surface_flush(s);
  int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
  int stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  size_t n = 0;
  for (int y = 0; y < h; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < w; ++x) n += (row[x] & 0xffffff) == color;
  }
  cairo_surface_destroy(s);
  return n;
}

}  // namespace

TEST_CASE("lab: report.html renders in a real headless browser, charts and all", "[lab][report]") {
  auto& bed = TestBed::get();
  std::string dir = bed.dir() + "/report-html";
  std::filesystem::create_directories(dir);
  // The committed sample's measurements, reported again by this build.
  std::filesystem::copy_file(std::string(E2E_SOURCE_DIR) + "/../../docs/lab-sample/results.json",
                             dir + "/results.json");
  std::string output;
  REQUIRE(runCommand(std::string(LAB_BINARY) + " report " + dir + " 2>&1", &output) == 0);
  std::string html = readFile(dir + "/report.html");
  CHECK(html.find("<svg") != std::string::npos);
  // Self-contained: nothing to fetch.
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("id=\"memory-glyph") != std::string::npos);  // each chart's glyphs its own

  REQUIRE(std::filesystem::exists("/usr/bin/chromium"));  // packaging/install-deps.sh
  // In a network namespace of its own: the browser's background requests (updates, sync)
  // reach nothing beyond its own loopback.
  std::string browser =
      "unshare --net /usr/bin/chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
      "--no-first-run --disable-extensions --disable-background-networking "
      "--disable-component-update --disable-sync --disable-default-apps "
      "--enable-logging=stderr --v=0 --user-data-dir=" +
      dir + "/profile ";
  std::string log;
  int rc = runCommand("cd " + dir + " && timeout 120 " + browser +
                          "--window-size=1200,2600 --screenshot=" + dir + "/shot.png file://" +
                          dir + "/report.html 2>&1",
                      &log);
  INFO(log);
  REQUIRE(rc == 0);
  CHECK(log.find("bytes written to file") != std::string::npos);
  CHECK(log.find("Uncaught") == std::string::npos);  // no script error (there is no script)
  // The page as the browser built it: every chart and table is there.
  std::string dom;
  REQUIRE(
      runCommand("timeout 120 " + browser + "--dump-dom file://" + dir + "/report.html 2>/dev/null",
                 &dom) == 0);
  size_t svgs = 0;
  for (size_t at = dom.find("<svg"); at != std::string::npos; at = dom.find("<svg", at + 1)) ++svgs;
  CHECK(svgs >= 6);
  CHECK(dom.find("<td>docker+dockershim</td>") != std::string::npos);
  // No resource to load, hence none missing: nothing in the page names one.
  CHECK(dom.find(" src=") == std::string::npos);
  CHECK(dom.find(" href=") == std::string::npos);
  // The screenshot shows the charts: their series colours fill whole bars.
  CHECK(pixelsOf(dir + "/shot.png", 0x1f77b4) > 5000);
  CHECK(pixelsOf(dir + "/shot.png", 0xff7f0e) > 5000);
}
