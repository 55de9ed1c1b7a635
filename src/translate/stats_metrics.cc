#include "translate/stats_metrics.h"

#include <initializer_list>
#include <optional>

namespace dockershim::translate {

namespace v1 = ::runtime::v1;

namespace {

struct Descriptor {
  const char* name;
  const char* help;
  std::vector<std::string> extraLabels;
};

const std::vector<Descriptor>& descriptors() {
  static const std::vector<Descriptor> all = {
      {"container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", {}},
      {"container_memory_usage_bytes",
       "Current memory usage in bytes, including all memory regardless of when it was accessed",
       {}},
      {"container_memory_working_set_bytes", "Current working set in bytes.", {}},
      {"container_memory_rss", "Size of RSS in bytes.", {}},
      {"container_memory_failures_total",
       "Cumulative count of memory allocation failures.",
       {"failure_type", "scope"}},
      {"container_spec_memory_limit_bytes", "Memory limit for the container.", {}},
      {"container_processes", "Number of processes running inside the container.", {}},
      {"container_fs_usage_bytes",
       "Number of bytes that are consumed by the container on this filesystem.",
       {"device"}},
      {"container_fs_inodes_total", "Number of Inodes used by the container.", {"device"}},
      {"container_network_receive_bytes_total",
       "Cumulative count of bytes received",
       {"interface"}},
      {"container_network_receive_errors_total",
       "Cumulative count of errors encountered while receiving",
       {"interface"}},
      {"container_network_transmit_bytes_total",
       "Cumulative count of bytes transmitted",
       {"interface"}},
      {"container_network_transmit_errors_total",
       "Cumulative count of errors encountered while transmitting",
       {"interface"}},
  };
  return all;
}

class MetricWriter {
 public:
  MetricWriter(std::vector<std::string> base, google::protobuf::RepeatedPtrField<v1::Metric>* out)
      : base_(std::move(base)), out_(out) {}

  void add(const char* name, v1::MetricType type, int64_t timestamp, uint64_t value,
           std::initializer_list<std::string> extra = {}) {
    auto* m = out_->Add();
    m->set_name(name);
    m->set_timestamp(timestamp);
    m->set_metric_type(type);
    for (const auto& v : base_) m->add_label_values(v);
    for (const auto& v : extra) m->add_label_values(v);
    m->mutable_value()->set_value(value);
  }

  void cpuAndMemory(const v1::CpuUsage* cpu, const v1::MemoryUsage* memory,
                    std::optional<uint64_t> limit) {
    if (cpu && cpu->has_usage_core_nano_seconds()) {
      add("container_cpu_usage_seconds_total", v1::COUNTER, cpu->timestamp(),
          cpu->usage_core_nano_seconds().value() / 1'000'000'000);
    }
    if (memory) {
      int64_t at = memory->timestamp();
      add("container_memory_usage_bytes", v1::GAUGE, at, memory->usage_bytes().value());
      add("container_memory_working_set_bytes", v1::GAUGE, at, memory->working_set_bytes().value());
      add("container_memory_rss", v1::GAUGE, at, memory->rss_bytes().value());
      add("container_memory_failures_total", v1::COUNTER, at, memory->page_faults().value(),
          {"pgfault", "container"});
      add("container_memory_failures_total", v1::COUNTER, at, memory->major_page_faults().value(),
          {"pgmajfault", "container"});
      if (limit) add("container_spec_memory_limit_bytes", v1::GAUGE, at, *limit);
    }
  }

 private:
  std::vector<std::string> base_;
  google::protobuf::RepeatedPtrField<v1::Metric>* out_;
};

// The limit a stats answer implies: available + working set (only when available is given).
std::optional<uint64_t> limitOf(const v1::MemoryUsage& m) {
  if (!m.has_available_bytes()) return std::nullopt;
  return m.available_bytes().value() + m.working_set_bytes().value();
}

}  // namespace

std::vector<v1::MetricDescriptor> metricDescriptors() {
  std::vector<v1::MetricDescriptor> out;
  for (const auto& d : descriptors()) {
    v1::MetricDescriptor md;
    md.set_name(d.name);
    md.set_help(d.help);
    for (const char* key : {"id", "name", "image"}) md.add_label_keys(key);
    for (const auto& key : d.extraLabels) md.add_label_keys(key);
    out.push_back(std::move(md));
  }
  return out;
}

v1::PodSandboxMetrics podSandboxMetrics(const v1::PodSandboxStats& stats,
                                        const std::map<std::string, std::string>& imageOf) {
  v1::PodSandboxMetrics out;
  const std::string& sandboxId = stats.attributes().id();
  out.set_pod_sandbox_id(sandboxId);
  const auto& linux = stats.linux();
  MetricWriter pod({sandboxId, "POD", ""}, out.mutable_metrics());
  pod.cpuAndMemory(linux.has_cpu() ? &linux.cpu() : nullptr,
                   linux.has_memory() ? &linux.memory() : nullptr, std::nullopt);
  if (linux.has_process()) {
    pod.add("container_processes", v1::GAUGE, linux.process().timestamp(),
            linux.process().process_count().value());
  }
  if (linux.has_network()) {
    int64_t at = linux.network().timestamp();
    for (const auto& i : linux.network().interfaces()) {
      pod.add("container_network_receive_bytes_total", v1::COUNTER, at, i.rx_bytes().value(),
              {i.name()});
      pod.add("container_network_receive_errors_total", v1::COUNTER, at, i.rx_errors().value(),
              {i.name()});
      pod.add("container_network_transmit_bytes_total", v1::COUNTER, at, i.tx_bytes().value(),
              {i.name()});
      pod.add("container_network_transmit_errors_total", v1::COUNTER, at, i.tx_errors().value(),
              {i.name()});
    }
  }
  for (const auto& c : linux.containers()) {
    auto* cm = out.add_container_metrics();
    const std::string& id = c.attributes().id();
    cm->set_container_id(id);
    auto image = imageOf.find(id);
    MetricWriter w({id, c.attributes().metadata().name(),
                    image == imageOf.end() ? std::string() : image->second},
                   cm->mutable_metrics());
    w.cpuAndMemory(c.has_cpu() ? &c.cpu() : nullptr, c.has_memory() ? &c.memory() : nullptr,
                   c.has_memory() ? limitOf(c.memory()) : std::nullopt);
    if (c.has_writable_layer()) {
      const auto& layer = c.writable_layer();
      w.add("container_fs_usage_bytes", v1::GAUGE, layer.timestamp(), layer.used_bytes().value(),
            {layer.fs_id().mountpoint()});
      w.add("container_fs_inodes_total", v1::GAUGE, layer.timestamp(), layer.inodes_used().value(),
            {layer.fs_id().mountpoint()});
    }
  }
  return out;
}

}  // namespace dockershim::translate
