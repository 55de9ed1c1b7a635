#include "compare.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "chart.h"
#include "common/small_file.h"
#include "private_chain.h"
#include "report_html.h"
#include "workload.h"

namespace dockershim::lab {

namespace {

namespace fs = std::filesystem;

struct Runtime {
  std::string name;
  std::string endpoint;
  std::vector<GroupSpec> groups;
  std::string metrics;
};

bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  return static_cast<bool>(f);
}

std::string firstLine(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[256];
    if (std::fgets(buf, sizeof buf, p)) out = buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

nlohmann::json describeMachine() {
  utsname u{};
  ::uname(&u);
  long memKb = 0;
  if (auto meminfo = common::readSmallFile("/proc/meminfo")) {
    std::sscanf(meminfo->c_str(), "MemTotal: %ld kB", &memKb);
  }
  std::string cpu;
  if (auto info = common::readSmallFile("/proc/cpuinfo", 4u << 20)) {
    auto at = info->find("model name");
    if (at != std::string::npos) {
      auto colon = info->find(':', at);
      auto end = info->find('\n', at);
      if (colon != std::string::npos && end != std::string::npos && colon < end) {
        cpu = info->substr(colon + 2, end - colon - 2);
      }
    }
  }
  return {{"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
          {"cpu_model", cpu},
          {"memory_gib", static_cast<double>(memKb) / 1048576.0},
          {"kernel", std::string(u.release)},
          {"cgroup", fs::exists("/sys/fs/cgroup/cgroup.controllers") ? "v2" : "v1"},
          {"runc", firstLine("runc --version 2>/dev/null")},
          {"containerd", firstLine("containerd --version 2>/dev/null")}};
}

double num(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return 0;
    auto it = at->find(key);
    if (it == at->end()) return 0;
    at = &*it;
  }
  return at->is_number() ? at->get<double>() : 0;
}

// j[key], or an empty object when j is no object or has no such key (results.json of an
// interrupted run lacks the phases it did not reach).
const nlohmann::json& field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json none = nlohmann::json::object();
  if (!j.is_object()) return none;
  auto it = j.find(key);
  return it == j.end() ? none : *it;
}

// A run's steady-state daemon cost: (daemons, shims) of cpu cores or RSS bytes (means).
std::pair<double, double> steadyCost(const nlohmann::json& run, const char* what) {
  double daemons = 0, shims = 0;
  const auto& groups = field(field(field(run, "result"), "steady"), "groups");
  if (!groups.is_object()) return {0, 0};
  for (const auto& [label, g] : groups.items()) {
    double v = num(g, {what, "mean"});
    (label == "shims" ? shims : daemons) += v;
  }
  return {daemons, shims};
}

double mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

struct Aggregate {
  double cpuDaemons = 0, cpuShims = 0, rssDaemons = 0, rssShims = 0;
  double p50 = 0, p90 = 0, p99 = 0, throughput = 0, teardown = 0;
  int runs = 0;
};

std::map<std::pair<std::string, int>, Aggregate> aggregate(const nlohmann::json& runs) {
  std::map<std::pair<std::string, int>, std::vector<const nlohmann::json*>> by, partial;
  for (const auto& r : runs) {
    // A run that failed or was interrupted counts only where no complete one exists: its
    // missing phases would read as zeros.
    const auto& res = field(r, "result");
    bool complete = !res.contains("error") && !res.value("interrupted", false);
    (complete ? by : partial)[{r["runtime"].get<std::string>(), r["pods"].get<int>()}].push_back(
        &r);
  }
  for (auto& [key, list] : partial) by.try_emplace(key, std::move(list));
  std::map<std::pair<std::string, int>, Aggregate> out;
  for (const auto& [key, list] : by) {
    std::vector<double> cd, cs, rd, rs, p50, p90, p99, tp, td;
    for (const auto* r : list) {
      auto [a, b] = steadyCost(*r, "cpu_cores");
      cd.push_back(a);
      cs.push_back(b);
      auto [c, d] = steadyCost(*r, "rss_bytes");
      rd.push_back(c / 1048576.0);
      rs.push_back(d / 1048576.0);
      const auto& s = field(field(*r, "result"), "startup");
      p50.push_back(num(s, {"latency_ms", "p50"}));
      p90.push_back(num(s, {"latency_ms", "p90"}));
      p99.push_back(num(s, {"latency_ms", "p99"}));
      tp.push_back(num(s, {"throughput_pods_per_min"}));
      td.push_back(num(*r, {"result", "teardown", "wall_s"}));
    }
    out[key] = {mean(cd),  mean(cs),  mean(rd), mean(rs), mean(p50),
                mean(p90), mean(p99), mean(tp), mean(td), static_cast<int>(list.size())};
  }
  return out;
}

void saveChart(const Chart& chart, const std::string& out, const std::string& name) {
  writeFile(out + "/" + name + ".svg", renderSvg(chart));
  writeFile(out + "/" + name + ".png", renderPng(chart));
  writeFile(out + "/" + name + ".pdf", renderPdf(chart));
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// report.md's per-call tables at `pods`: each RPC's p50 on each runtime (mean over rounds) with
// the ratio of the first two, then the hop split of the runtimes that report one (dockershim).
std::string perCallSection(const nlohmann::json& runs, const std::vector<std::string>& runtimes,
                           int pods) {
  struct Call {
    std::vector<double> p50, p99, mean, transport, own, docker, requests;
    double reps = 0, errors = 0;
  };
  std::map<std::string, std::map<std::string, Call>> by;  // runtime -> rpc
  std::set<std::string> rpcs;
  for (const auto& r : runs) {
    const auto& perCall = field(field(r, "result"), "per_call");
    if (r["pods"].get<int>() != pods || !perCall.is_object()) continue;
    for (const auto& [rpc, e] : perCall.items()) {
      auto& c = by[r["runtime"].get<std::string>()][rpc];
      rpcs.insert(rpc);
      c.p50.push_back(num(e, {"latency_ms", "p50"}));
      c.p99.push_back(num(e, {"latency_ms", "p99"}));
      c.mean.push_back(num(e, {"latency_ms", "mean"}));
      c.reps += num(e, {"reps"});
      c.errors += num(e, {"errors"});
      if (e.contains("hops_ms")) {
        c.transport.push_back(num(e, {"hops_ms", "transport"}));
        c.own.push_back(num(e, {"hops_ms", "dockershim"}));
        c.docker.push_back(num(e, {"hops_ms", "docker"}));
        c.requests.push_back(num(e, {"hops_ms", "docker_requests_per_call"}));
      }
    }
  }
  if (rpcs.empty()) return "";
  std::string md = "## Per call at " + std::to_string(pods) + " pods\n\n";
  md +=
      "Client-seen latency in ms, p50 and p99, mean over rounds. A call that failed is marked "
      "with how often: its time is that of the error, and it has no ratio.\n\n| call |";
  std::string rule = "| --- |";
  for (const auto& name : runtimes) {
    md += " " + name + " p50 | p99 |";
    rule += " --- | --- |";
  }
  if (runtimes.size() >= 2) {
    md += " p50 ratio |";
    rule += " --- |";
  }
  md += "\n" + rule + "\n";
  for (const auto& rpc : rpcs) {
    md += "| " + rpc + " |";
    for (const auto& name : runtimes) {
      const auto& c = by[name][rpc];
      std::string failed =
          c.errors > 0 ? " (failed " + fmt("%.0f", c.errors) + " of " + fmt("%.0f", c.reps) + ")"
                       : "";
      md += c.p50.empty()
                ? std::string(" – | – |")
                : " " + fmt("%.2f", mean(c.p50)) + failed + " | " + fmt("%.2f", mean(c.p99)) + " |";
    }
    if (runtimes.size() >= 2) {
      const auto& a = by[runtimes[0]][rpc];
      const auto& b = by[runtimes[1]][rpc];
      md += !a.p50.empty() && !b.p50.empty() && mean(b.p50) > 0 && a.errors == 0 && b.errors == 0
                ? " " + fmt("%.2f×", mean(a.p50) / mean(b.p50)) + " |"
                : std::string(" – |");
    }
    md += "\n";
  }
  for (const auto& name : runtimes) {
    bool any = false;
    for (const auto& [rpc, c] : by[name]) any = any || !c.transport.empty();
    if (!any) continue;
    md += "\n" + name +
          ": where each call's time goes (means in ms, from dockershim's metrics): gRPC "
          "transport, dockershim's own time, time inside Docker's API, and Docker requests per "
          "call.\n\n";
    md += "| call | client mean | transport | dockershim | Docker | Docker requests |\n";
    md += "| --- | --- | --- | --- | --- | --- |\n";
    for (const auto& [rpc, c] : by[name]) {
      if (c.transport.empty()) continue;
      md += "| " + rpc + " | " + fmt("%.2f", mean(c.mean)) + " | " +
            fmt("%.2f", mean(c.transport)) + " | " + fmt("%.2f", mean(c.own)) + " | " +
            fmt("%.2f", mean(c.docker)) + " | " + fmt("%.1f", mean(c.requests)) + " |\n";
    }
  }
  return md + "\n";
}

// report.md's split of pod startup at `pods`: for the runtimes whose metrics tell it
// (dockershim), each start call's mean time as Docker's, the CNI plugins' and its own.
std::string startupShareSection(const nlohmann::json& runs,
                                const std::vector<std::string>& runtimes, int pods) {
  const std::vector<std::string> methods = {"RunPodSandbox", "CreateContainer", "StartContainer",
                                            "per_pod"};
  std::string md;
  for (const auto& name : runtimes) {
    // method -> (mean, docker, network, dockershim), each over rounds
    std::map<std::string, std::array<std::vector<double>, 4>> by;
    for (const auto& r : runs) {
      if (r["runtime"] != name || r["pods"].get<int>() != pods) continue;
      const auto& share = field(field(field(r, "result"), "startup"), "share_ms");
      if (!share.is_object()) continue;
      for (const auto& m : methods) {
        if (!share.contains(m)) continue;
        auto& v = by[m];
        const auto& e = share[m];
        v[0].push_back(m == "per_pod"
                           ? num(e, {"dockershim"}) + num(e, {"docker"}) + num(e, {"network"})
                           : num(e, {"mean"}));
        v[1].push_back(num(e, {"docker"}));
        v[2].push_back(num(e, {"network"}));
        v[3].push_back(num(e, {"dockershim"}));
      }
    }
    if (by.empty()) continue;
    md += "\n" + name +
          ": where pod startup's time goes (means in ms over the batch, from "
          "dockershim's metrics): each start call's time inside Docker's API, in the CNI "
          "plugins, and dockershim's own.\n\n";
    md += "| call | mean | Docker | CNI | dockershim |\n| --- | --- | --- | --- | --- |\n";
    for (const auto& m : methods) {
      auto it = by.find(m);
      if (it == by.end()) continue;
      const auto& v = it->second;
      md += "| " + (m == "per_pod" ? std::string("per pod (the three)") : m) + " | " +
            fmt("%.2f", mean(v[0])) + " | " + fmt("%.2f", mean(v[1])) + " | " +
            fmt("%.2f", mean(v[2])) + " | " + fmt("%.2f", mean(v[3])) + " |\n";
    }
  }
  return md.empty() ? md : "## Pod startup at " + std::to_string(pods) + " pods\n" + md + "\n";
}

}  // namespace

void writeReport(const nlohmann::json& results, const std::string& out) {
  const auto& runs = field(results, "runs");
  int headline = field(results, "options").value("pods", 105);
  std::vector<std::string> runtimes;
  std::set<int> countSet;
  for (const auto& r : runs) {
    std::string name = r["runtime"];
    if (std::find(runtimes.begin(), runtimes.end(), name) == runtimes.end())
      runtimes.push_back(name);
    countSet.insert(r["pods"].get<int>());
  }
  std::vector<int> counts(countSet.begin(), countSet.end());
  auto agg = aggregate(runs);

  // CSVs.
  std::string runsCsv =
      "runtime,pods,round,startup_p50_ms,startup_p90_ms,startup_p99_ms,pods_per_min,"
      "cpu_daemons_cores,cpu_shims_cores,rss_daemons_mib,rss_shims_mib,teardown_s,clean\n";
  std::string groupsCsv = "runtime,pods,round,group,cpu_mean,cpu_p95,rss_mean_mib,rss_last_mib\n";
  std::string callsCsv =
      "runtime,pods,round,rpc,p50_ms,p99_ms,mean_ms,transport_ms,dockershim_ms,docker_ms,"
      "docker_requests\n";
  for (const auto& r : runs) {
    const auto& res = field(r, "result");
    std::string head = r["runtime"].get<std::string>() + "," +
                       std::to_string(r["pods"].get<int>()) + "," +
                       std::to_string(r["round"].get<int>());
    auto [cd, cs] = steadyCost(r, "cpu_cores");
    auto [rd, rs] = steadyCost(r, "rss_bytes");
    runsCsv += head + "," + fmt("%.1f", num(res, {"startup", "latency_ms", "p50"})) + "," +
               fmt("%.1f", num(res, {"startup", "latency_ms", "p90"})) + "," +
               fmt("%.1f", num(res, {"startup", "latency_ms", "p99"})) + "," +
               fmt("%.1f", num(res, {"startup", "throughput_pods_per_min"})) + "," +
               fmt("%.4f", cd) + "," + fmt("%.4f", cs) + "," + fmt("%.1f", rd / 1048576) + "," +
               fmt("%.1f", rs / 1048576) + "," + fmt("%.2f", num(res, {"teardown", "wall_s"})) +
               "," + (field(res, "leftovers").value("clean", false) ? "yes" : "no") + "\n";
    if (const auto& groups = field(field(res, "steady"), "groups"); groups.is_object()) {
      for (const auto& [label, g] : groups.items()) {
        groupsCsv += head + "," + label + "," + fmt("%.4f", num(g, {"cpu_cores", "mean"})) + "," +
                     fmt("%.4f", num(g, {"cpu_cores", "p95"})) + "," +
                     fmt("%.1f", num(g, {"rss_bytes", "mean"}) / 1048576) + "," +
                     fmt("%.1f", num(g, {"rss_bytes", "last"}) / 1048576) + "\n";
      }
    }
    if (const auto& perCall = field(res, "per_call"); perCall.is_object()) {
      for (const auto& [rpc, e] : perCall.items()) {
        callsCsv += head + "," + rpc + "," + fmt("%.3f", num(e, {"latency_ms", "p50"})) + "," +
                    fmt("%.3f", num(e, {"latency_ms", "p99"})) + "," +
                    fmt("%.3f", num(e, {"latency_ms", "mean"}));
        if (e.contains("hops_ms")) {
          callsCsv += "," + fmt("%.3f", num(e, {"hops_ms", "transport"})) + "," +
                      fmt("%.3f", num(e, {"hops_ms", "dockershim"})) + "," +
                      fmt("%.3f", num(e, {"hops_ms", "docker"})) + "," +
                      fmt("%.2f", num(e, {"hops_ms", "docker_requests_per_call"}));
        } else {
          callsCsv += ",,,,";
        }
        callsCsv += "\n";
      }
    }
  }
  writeFile(out + "/runs.csv", runsCsv);
  writeFile(out + "/groups.csv", groupsCsv);
  writeFile(out + "/per_call.csv", callsCsv);

  // The 2018 post's three charts, at the headline count.
  std::string at = " (" + std::to_string(headline) + " pods)";
  Chart memory{.kind = Chart::Kind::kBars,
               .title = "Runtime memory" + at,
               .yLabel = "RSS, MiB",
               .series = {"daemons", "shims", "total"},
               .categories = runtimes};
  Chart cpu{.kind = Chart::Kind::kBars,
            .title = "Runtime CPU" + at,
            .yLabel = "cores",
            .series = {"daemons", "shims", "total"},
            .categories = runtimes};
  Chart latency{.kind = Chart::Kind::kBars,
                .title = "Pod startup latency" + at,
                .yLabel = "ms",
                .series = {"p50", "p90", "p99"},
                .categories = runtimes};
  for (const auto& name : runtimes) {
    auto a = agg[{name, headline}];
    memory.values.push_back({a.rssDaemons, a.rssShims, a.rssDaemons + a.rssShims});
    cpu.values.push_back({a.cpuDaemons, a.cpuShims, a.cpuDaemons + a.cpuShims});
    latency.values.push_back({a.p50, a.p90, a.p99});
  }
  saveChart(memory, out, "memory");
  saveChart(cpu, out, "cpu");
  saveChart(latency, out, "latency");
  // Where the time of one call, and of a pod's start, goes hop by hop: for the first runtime
  // whose metrics tell (dockershim).
  std::string hopCharts;
  for (const auto& name : runtimes) {
    std::map<std::string, std::array<std::vector<double>, 4>> calls, starts;
    for (const auto& r : runs) {
      if (r["runtime"] != name || r["pods"].get<int>() != headline) continue;
      const auto& res = field(r, "result");
      if (const auto& perCall = field(res, "per_call"); perCall.is_object()) {
        for (const auto& [rpc, e] : perCall.items()) {
          // ExecSync starts a process: 40 ms would flatten every other bar.
          if (!e.contains("hops_ms") || rpc == "ExecSync") continue;
          const auto& h = e["hops_ms"];
          auto& v = calls[rpc];
          v[0].push_back(num(h, {"transport"}));
          v[1].push_back(num(h, {"dockershim"}));
          v[2].push_back(num(h, {"docker"}));
          v[3].push_back(num(h, {"network"}));
        }
      }
      if (const auto& share = field(field(res, "startup"), "share_ms"); share.is_object()) {
        for (const char* rpc : {"RunPodSandbox", "CreateContainer", "StartContainer"}) {
          if (!share.contains(rpc)) continue;
          auto& v = starts[rpc];
          v[1].push_back(num(share[rpc], {"dockershim"}));
          v[2].push_back(num(share[rpc], {"docker"}));
          v[3].push_back(num(share[rpc], {"network"}));
        }
      }
    }
    auto stacked = [&](const std::map<std::string, std::array<std::vector<double>, 4>>& by,
                       bool transport) {
      Chart c{.kind = Chart::Kind::kStacked, .xLabel = "ms, mean per call"};
      c.series = {"dockershim", "Docker API", "CNI plugins"};
      if (transport) c.series.insert(c.series.begin(), "gRPC transport");
      for (const auto& [rpc, v] : by) {
        c.categories.push_back(rpc);
        std::vector<double> row;
        for (size_t i = transport ? 0 : 1; i < 4; ++i) row.push_back(mean(v[i]));
        c.values.push_back(row);
      }
      return c;
    };
    if (!calls.empty()) {
      Chart c = stacked(calls, true);
      c.title = "Where each call's time goes: " + name + at;
      c.subtitle = "Client-seen mean, split by dockershim's metrics";
      saveChart(c, out, "hops");
      hopCharts += "![where each call's time goes](hops.png)\n\n";
    }
    if (!starts.empty()) {
      Chart c = stacked(starts, false);
      c.title = "Pod startup, call by call: " + name + at;
      c.subtitle = "Mean time of each start call during the batch, split by dockershim's metrics";
      saveChart(c, out, "startup_hops");
      hopCharts += "![where pod startup's time goes](startup_hops.png)\n\n";
    }
    if (!hopCharts.empty()) break;
  }
  // Cost against pod count.
  auto line = [&](const std::string& title, const std::string& y, auto value) {
    Chart c{.kind = Chart::Kind::kLines,
            .title = title,
            .yLabel = y,
            .xLabel = "pods",
            .series = runtimes};
    for (int n : counts) c.xs.push_back(n);
    for (const auto& name : runtimes) {
      std::vector<double> ys;
      for (int n : counts) {
        auto it = agg.find({name, n});
        ys.push_back(it == agg.end() ? std::nan("") : value(it->second));
      }
      c.values.push_back(ys);
    }
    return c;
  };
  saveChart(line("Runtime CPU vs pods", "cores",
                 [](const Aggregate& a) { return a.cpuDaemons + a.cpuShims; }),
            out, "cpu_vs_pods");
  saveChart(line("Runtime memory vs pods", "RSS, MiB",
                 [](const Aggregate& a) { return a.rssDaemons + a.rssShims; }),
            out, "memory_vs_pods");
  saveChart(line("Pod startup p50 vs pods", "ms", [](const Aggregate& a) { return a.p50; }), out,
            "latency_vs_pods");

  // report.md
  const auto& m = field(results, "machine");
  std::string md = "# dockershim-lab compare\n\n";
  md += "Machine: " + std::to_string(m.value("cpus", 0)) + " CPUs (" +
        m.value("cpu_model", std::string()) + "), " + fmt("%.0f", m.value("memory_gib", 0.0)) +
        " GiB, kernel " + m.value("kernel", std::string()) + ", cgroup " +
        m.value("cgroup", std::string()) + "; " + m.value("containerd", std::string()) + "; " +
        m.value("runc", std::string()) + "; Docker " + m.value("docker", std::string()) + ".\n\n";
  const auto& o = field(results, "options");
  md += "Workload: `dockershim-lab run` with " + std::to_string(o.value("parallel", 0)) +
        " pods started at once, " + fmt("%.0f", o.value("steady_s", 0.0)) +
        " s of the kubelet's polling load, " + std::to_string(o.value("rounds", 0)) +
        " rounds per runtime and pod count, runtimes alternated.\n\n";
  md += "## At " + std::to_string(headline) + " pods\n\n";
  md +=
      "| runtime | CPU daemons | CPU shims | CPU total | RSS daemons MiB | RSS shims MiB | RSS "
      "total MiB | startup p50 ms | p90 | p99 | pods/min |\n";
  md += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& name : runtimes) {
    auto a = agg[{name, headline}];
    md += "| " + name + " | " + fmt("%.3f", a.cpuDaemons) + " | " + fmt("%.3f", a.cpuShims) +
          " | " + fmt("%.3f", a.cpuDaemons + a.cpuShims) + " | " + fmt("%.0f", a.rssDaemons) +
          " | " + fmt("%.0f", a.rssShims) + " | " + fmt("%.0f", a.rssDaemons + a.rssShims) + " | " +
          fmt("%.0f", a.p50) + " | " + fmt("%.0f", a.p90) + " | " + fmt("%.0f", a.p99) + " | " +
          fmt("%.1f", a.throughput) + " |\n";
  }
  if (runtimes.size() >= 2) {
    auto a = agg[{runtimes[0], headline}];
    auto b = agg[{runtimes[1], headline}];
    auto ratio = [](double x, double y) { return y > 0 ? fmt("%.2f×", x / y) : std::string("–"); };
    md += "\n" + runtimes[0] + " against " + runtimes[1] + ": CPU " +
          ratio(a.cpuDaemons + a.cpuShims, b.cpuDaemons + b.cpuShims) + ", memory " +
          ratio(a.rssDaemons + a.rssShims, b.rssDaemons + b.rssShims) + ", startup p50 " +
          ratio(a.p50, b.p50) + ", p99 " + ratio(a.p99, b.p99) + ".\n";
  }
  md += "\n![memory](memory.png) ![cpu](cpu.png) ![latency](latency.png)\n\n";
  md += perCallSection(runs, runtimes, headline);
  md += startupShareSection(runs, runtimes, headline);
  md += hopCharts;
  md +=
      "## Cost against pod count\n\n![cpu vs pods](cpu_vs_pods.png) "
      "![memory vs pods](memory_vs_pods.png) ![latency vs pods](latency_vs_pods.png)\n\n";
  md += "| runtime | pods | CPU total | RSS total MiB | startup p50 ms | p99 | teardown s |\n";
  md += "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& name : runtimes) {
    for (int n : counts) {
      auto it = agg.find({name, n});
      if (it == agg.end()) continue;
      const auto& a = it->second;
      md += "| " + name + " | " + std::to_string(n) + " | " +
            fmt("%.3f", a.cpuDaemons + a.cpuShims) + " | " +
            fmt("%.0f", a.rssDaemons + a.rssShims) + " | " + fmt("%.0f", a.p50) + " | " +
            fmt("%.0f", a.p99) + " | " + fmt("%.1f", a.teardown) + " |\n";
    }
  }
  md +=
      "\n## How to read this\n\n"
      "- *daemons* are the long-running processes of the chain (dockershim, dockerd and "
      "Docker's containerd; or containerd alone), *shims* the per-container "
      "containerd-shim processes; CPU is cores used on average during the steady phase, "
      "memory the resident set summed over the group's processes.\n"
      "- Pod startup is the time from RunPodSandbox to the container seen running, for pods "
      "started in a batch; p99 shows the queueing of the batch.\n"
      "- per_call.csv splits each call of dockershim into transport (gRPC), dockershim's "
      "own time and time inside Docker (from dockershim's metrics); runs.csv and "
      "groups.csv have every run, results.json every sample.\n";
  writeFile(out + "/report.md", md);
  // The same, as one page with the charts inline (their SVG), for a browser.
  writeFile(
      out + "/report.html", reportHtml(md, [&out](const std::string& file, const std::string& alt) {
        std::string stem = file.substr(0, file.rfind('.'));
        std::ifstream svg(out + "/" + stem + ".svg", std::ios::binary);
        if (!svg) return "<em>(" + alt + ": no chart)</em>";
        std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
        // The SVG's own XML declaration has no place inside HTML.
        if (text.rfind("<?xml", 0) == 0) text.erase(0, text.find('>') + 1);
        // Every chart names its glyphs and clips alike ("glyph0-1"): one page needs
        // them apart.
        for (const char* ref : {"id=\"", "href=\"#", "url(#"}) {
          std::string from = ref, to = from + stem + "-";
          for (size_t at = text.find(from); at != std::string::npos;
               at = text.find(from, at + to.size())) {
            text.replace(at, from.size(), to);
          }
        }
        return "<div role=\"img\" aria-label=\"" + alt + "\">" + text + "</div>";
      }));
}

int runCompare(const CompareOptions& options, const std::atomic<bool>& stop) {
  std::string work =
      options.workDir.empty() ? "/tmp/dslab-" + std::to_string(::getpid()) : options.workDir;
  std::error_code ec;
  fs::create_directories(work, ec);
  // Absolute and canonical: processes and mounts of the private runtimes are told apart by it.
  if (auto canonical = fs::weakly_canonical(fs::absolute(work, ec), ec); !ec) {
    work = canonical.string();
  }
  fs::create_directories(options.out, ec);
  ChainOptions chain{.workDir = work,
                     .dockershimBinary = options.dockershimBinary,
                     .busyboxScript = options.busyboxScript};
  std::fprintf(stderr, "[compare] starting a private Docker with dockershim in %s\n", work.c_str());
  DockerChain docker(chain);
  if (Status st = docker.start(); !st) {
    std::fprintf(stderr, "compare: %s\n", st.message().c_str());
    return 2;
  }
  auto tar = docker.saveImages(work + "/images.tar");
  if (!tar) {
    std::fprintf(stderr, "compare: %s\n", tar.status().message().c_str());
    return 2;
  }
  std::fprintf(stderr, "[compare] starting a private containerd (CRI plugin)\n");
  ContainerdChain containerd(chain);
  if (Status st = containerd.start(*tar); !st) {
    std::fprintf(stderr, "compare: %s\n", st.message().c_str());
    return 2;
  }
  std::vector<Runtime> runtimes = {
      {"docker+dockershim", docker.endpoint(), docker.groups(), docker.metrics()},
      {"containerd", containerd.endpoint(), containerd.groups(), ""},
  };
  std::vector<GroupSpec> alsoGroups;
  for (const auto& g : options.alsoGroups) {
    if (auto spec = parseGroupSpec(g)) alsoGroups.push_back(*spec);
  }
  for (const auto& e : options.also) runtimes.push_back({e, e, alsoGroups, ""});

  std::set<int> countSet(options.podCounts.begin(), options.podCounts.end());
  countSet.insert(options.pods);
  nlohmann::json results;
  results["machine"] = describeMachine();
  results["machine"]["docker"] = docker.version;
  results["options"] = {{"pods", options.pods},
                        {"pod_counts", std::vector<int>(countSet.begin(), countSet.end())},
                        {"rounds", options.rounds},
                        {"parallel", options.parallel},
                        {"steady_s", std::chrono::duration<double>(options.steady).count()},
                        {"reps", options.reps}};
  results["runs"] = nlohmann::json::array();
  int total =
      static_cast<int>(countSet.size()) * options.rounds * static_cast<int>(runtimes.size());
  int done = 0;
  bool clean = true;
  bool dirty = false;  // a runtime kept pods it was told to remove: later runs would not compare
  for (int count : countSet) {
    for (int round = 1; round <= options.rounds; ++round) {
      for (const auto& rt : runtimes) {
        if (stop || dirty) break;
        ++done;
        std::fprintf(stderr, "[compare] run %d of %d: %s, %d pods, round %d\n", done, total,
                     rt.name.c_str(), count, round);
        RunOptions run;
        run.pods = count;
        run.parallel = options.parallel;
        run.steady = options.steady;
        run.reps = options.reps;
        run.metrics = rt.metrics;
        run.groups = rt.groups;
        run.logRoot = work + "/logs";
        run.progress = options.progress;
        CriClient cri(rt.endpoint);
        Workload workload(cri, run, stop);
        auto result = workload.run();
        if (!field(result, "leftovers").value("clean", false)) clean = false;
        const auto& left = field(result, "leftovers");
        int pods = left.value("sandboxes", 0), containers = left.value("containers", 0);
        if (result.contains("error") || pods != 0 || containers != 0) {  // -1: could not list
          dirty = true;
          std::fprintf(stderr,
                       "[compare] %s %s (%d pods and %d containers of the run left); stopping: "
                       "later runs would measure a runtime in that state\n",
                       rt.name.c_str(),
                       result.contains("error") ? "did not answer" : "did not remove every pod",
                       pods, containers);
          int shown = 0;
          for (const auto& e : field(field(result, "teardown"), "errors")) {
            if (shown++ == 5) break;
            std::fprintf(stderr, "[compare]   %s\n", e.dump().c_str());
          }
        }
        results["runs"].push_back(
            {{"runtime", rt.name}, {"pods", count}, {"round", round}, {"result", result}});
        // Kept as it goes: an interrupted comparison still has what was measured.
        writeFile(options.out + "/results.json", results.dump(1) + "\n");
      }
    }
  }
  writeReport(results, options.out);
  std::fprintf(stderr, "[compare] report in %s/report.md\n", options.out.c_str());
  containerd.stop();
  docker.stop();
  fs::remove_all(work, ec);
  return clean ? 0 : 1;
}

}  // namespace dockershim::lab
