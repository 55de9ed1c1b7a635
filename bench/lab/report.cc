#include "report.h"

#include <string>

namespace dockershim::lab {

namespace {

double num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const nlohmann::json& at(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

void printGroups(const nlohmann::json& groups, std::FILE* out) {
  if (!groups.is_object() || groups.empty()) return;
  bool sampled = false;
  for (const auto& [_, g] : groups.items()) sampled = sampled || num(g, "samples") > 0;
  if (!sampled) {
    std::fprintf(out, "  (shorter than the 1 s sampling period: no daemon samples)\n");
    return;
  }
  std::fprintf(out, "  %-22s %10s %10s %10s %12s %12s %6s\n", "process group", "cpu mean",
               "cpu p95", "cpu last", "rss mean MiB", "rss last MiB", "procs");
  for (const auto& [label, g] : groups.items()) {
    const auto& cpu = at(g, "cpu_cores");
    const auto& rss = at(g, "rss_bytes");
    std::fprintf(out, "  %-22s %10.3f %10.3f %10.3f %12.1f %12.1f %6d\n", label.c_str(),
                 num(cpu, "mean"), num(cpu, "p95"), num(cpu, "last"), num(rss, "mean") / 1048576,
                 num(rss, "last") / 1048576, static_cast<int>(num(g, "processes_last")));
  }
}

}  // namespace

void printRun(const nlohmann::json& r, std::FILE* out) {
  if (r.contains("error")) {
    std::fprintf(out, "error: %s\n", str(r, "error").c_str());
    return;
  }
  const auto& rt = at(r, "runtime");
  std::fprintf(out, "endpoint %s: %s %s (CRI %s), run %s\n", str(r, "endpoint").c_str(),
               str(rt, "name").c_str(), str(rt, "version").c_str(), str(rt, "api_version").c_str(),
               str(r, "run_id").c_str());
  if (const auto& s = at(r, "startup"); s.is_object()) {
    const auto& lat = at(s, "latency_ms");
    std::fprintf(out,
                 "\nbatch startup: %d of %d pods running in %.1f s (%.1f pods/min)\n"
                 "  pod startup ms: p50 %.0f  p90 %.0f  p99 %.0f  max %.0f\n",
                 static_cast<int>(num(s, "running")), static_cast<int>(num(s, "pods")),
                 num(s, "wall_s"), num(s, "throughput_pods_per_min"), num(lat, "p50"),
                 num(lat, "p90"), num(lat, "p99"), num(lat, "max"));
    for (const char* phase :
         {"run_sandbox", "create_container", "start_container", "observed_running"}) {
      const auto& p = at(at(s, "phases_ms"), phase);
      std::fprintf(out, "  %-18s ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", phase,
                   num(p, "p50"), num(p, "p90"), num(p, "p99"), num(p, "max"));
    }
    for (const auto& e : at(s, "errors")) {
      std::fprintf(out, "  error: %s\n", (e.is_string() ? e.get<std::string>() : e.dump()).c_str());
    }
    printGroups(at(s, "groups"), out);
  }
  if (const auto& s = at(r, "steady"); s.is_object()) {
    std::fprintf(out, "\nsteady state (%.0f s of the kubelet's polling):\n", num(s, "duration_s"));
    printGroups(at(s, "groups"), out);
  }
  if (const auto& pc = at(r, "per_call"); pc.is_object()) {
    std::fprintf(out, "\nper-call latency, ms:\n  %-22s %6s %9s %9s %9s", "rpc", "reps", "p50",
                 "p99", "mean");
    bool hops = false;
    for (const auto& [_, e] : pc.items()) hops = hops || e.contains("hops_ms");
    if (hops) {
      std::fprintf(out, " %10s %10s %10s %8s", "transport", "dockershim", "docker", "req/call");
    }
    std::fprintf(out, "\n");
    for (const auto& [rpc, e] : pc.items()) {
      const auto& lat = at(e, "latency_ms");
      std::fprintf(out, "  %-22s %6d %9.3f %9.3f %9.3f", rpc.c_str(),
                   static_cast<int>(num(e, "reps")), num(lat, "p50"), num(lat, "p99"),
                   num(lat, "mean"));
      if (const auto& h = at(e, "hops_ms"); h.is_object()) {
        std::fprintf(out, " %10.3f %10.3f %10.3f %8.2f", num(h, "transport"), num(h, "dockershim"),
                     num(h, "docker"), num(h, "docker_requests_per_call"));
      }
      if (num(e, "errors") > 0)
        std::fprintf(out, "  (%d errors)", static_cast<int>(num(e, "errors")));
      std::fprintf(out, "\n");
    }
  }
  if (const auto& t = at(r, "teardown"); t.is_object()) {
    std::fprintf(out, "\nteardown: %.1f s (per pod p50 %.0f ms)\n", num(t, "wall_s"),
                 num(at(t, "pod_ms"), "p50"));
    for (const auto& e : at(t, "errors")) {
      std::fprintf(out, "  error: %s\n", (e.is_string() ? e.get<std::string>() : e.dump()).c_str());
    }
  }
  if (const auto& l = at(r, "leftovers"); l.is_object()) {
    std::fprintf(out, "left behind: %d sandboxes, %d containers",
                 static_cast<int>(num(l, "sandboxes")), static_cast<int>(num(l, "containers")));
    for (const auto& [label, p] : at(l, "processes").items()) {
      std::fprintf(out, "; %s %d → %d processes", label.c_str(), static_cast<int>(num(p, "before")),
                   static_cast<int>(num(p, "after")));
    }
    std::fprintf(out, "  [%s]\n",
                 at(l, "clean").is_boolean() && l["clean"].get<bool>() ? "clean" : "NOT CLEAN");
  }
  if (at(r, "interrupted").is_boolean() && r["interrupted"].get<bool>()) {
    std::fprintf(out, "(interrupted: the phases after the interruption did not run)\n");
  }
}

}  // namespace dockershim::lab
