#include "translate/stats_metrics.h"

#include <catch2/catch.hpp>
#include <map>

namespace dockershim::translate {
namespace {

namespace v1 = ::runtime::v1;

v1::PodSandboxStats sampleStats() {
  v1::PodSandboxStats s;
  s.mutable_attributes()->set_id("pod1");
  auto* linux = s.mutable_linux();
  linux->mutable_cpu()->set_timestamp(100);
  linux->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(7'500'000'000);
  linux->mutable_memory()->set_timestamp(100);
  linux->mutable_memory()->mutable_working_set_bytes()->set_value(4096);
  linux->mutable_process()->set_timestamp(100);
  linux->mutable_process()->mutable_process_count()->set_value(3);
  auto* net = linux->mutable_network();
  net->set_timestamp(101);
  auto* eth0 = net->add_interfaces();
  eth0->set_name("eth0");
  eth0->mutable_rx_bytes()->set_value(1000);
  eth0->mutable_tx_bytes()->set_value(2000);
  auto* c = linux->add_containers();
  c->mutable_attributes()->set_id("c1");
  c->mutable_attributes()->mutable_metadata()->set_name("app");
  c->mutable_cpu()->set_timestamp(99);
  c->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(2'000'000'001);
  c->mutable_memory()->set_timestamp(99);
  c->mutable_memory()->mutable_working_set_bytes()->set_value(1024);
  c->mutable_memory()->mutable_available_bytes()->set_value(3072);
  c->mutable_memory()->mutable_page_faults()->set_value(9);
  c->mutable_writable_layer()->set_timestamp(50);
  c->mutable_writable_layer()->mutable_fs_id()->set_mountpoint("/var/lib/docker");
  c->mutable_writable_layer()->mutable_used_bytes()->set_value(8192);
  return s;
}

// name + label values -> the metric.
std::map<std::string, v1::Metric> index(const google::protobuf::RepeatedPtrField<v1::Metric>& ms) {
  std::map<std::string, v1::Metric> out;
  for (const auto& m : ms) {
    std::string key = m.name();
    for (const auto& v : m.label_values()) key += "|" + v;
    out[key] = m;
  }
  return out;
}

TEST_CASE("pod metrics: cAdvisor names, label values matching the descriptors' keys",
          "[translate]") {
  std::map<std::string, size_t> keysOf;
  for (const auto& d : metricDescriptors()) {
    CHECK_FALSE(d.help().empty());
    REQUIRE(d.label_keys_size() >= 3);
    CHECK(d.label_keys(0) == "id");
    keysOf[d.name()] = static_cast<size_t>(d.label_keys_size());
  }
  auto m = podSandboxMetrics(sampleStats(), {{"c1", "busybox:1.36"}});
  CHECK(m.pod_sandbox_id() == "pod1");
  REQUIRE(m.container_metrics_size() == 1);
  auto check = [&](const google::protobuf::RepeatedPtrField<v1::Metric>& ms) {
    for (const auto& metric : ms) {
      INFO(metric.name());
      REQUIRE(keysOf.count(metric.name()));
      CHECK(static_cast<size_t>(metric.label_values_size()) == keysOf[metric.name()]);
    }
  };
  check(m.metrics());
  check(m.container_metrics(0).metrics());

  auto pod = index(m.metrics());
  REQUIRE(pod.count("container_cpu_usage_seconds_total|pod1|POD|"));
  CHECK(pod["container_cpu_usage_seconds_total|pod1|POD|"].value().value() == 7);
  CHECK(pod["container_cpu_usage_seconds_total|pod1|POD|"].metric_type() == v1::COUNTER);
  CHECK(pod["container_cpu_usage_seconds_total|pod1|POD|"].timestamp() == 100);
  CHECK(pod["container_processes|pod1|POD|"].value().value() == 3);
  CHECK(pod["container_network_receive_bytes_total|pod1|POD||eth0"].value().value() == 1000);
  CHECK(pod["container_network_transmit_bytes_total|pod1|POD||eth0"].timestamp() == 101);
  CHECK(pod.count("container_spec_memory_limit_bytes|pod1|POD|") == 0);

  auto c = index(m.container_metrics(0).metrics());
  CHECK(m.container_metrics(0).container_id() == "c1");
  CHECK(c["container_cpu_usage_seconds_total|c1|app|busybox:1.36"].value().value() == 2);
  CHECK(c["container_memory_working_set_bytes|c1|app|busybox:1.36"].metric_type() == v1::GAUGE);
  CHECK(c["container_memory_working_set_bytes|c1|app|busybox:1.36"].value().value() == 1024);
  CHECK(c["container_spec_memory_limit_bytes|c1|app|busybox:1.36"].value().value() == 4096);
  CHECK(
      c["container_memory_failures_total|c1|app|busybox:1.36|pgfault|container"].value().value() ==
      9);
  CHECK(c["container_fs_usage_bytes|c1|app|busybox:1.36|/var/lib/docker"].value().value() == 8192);
}

TEST_CASE("pod metrics: parts a stats answer lacks are left out", "[translate]") {
  v1::PodSandboxStats s;
  s.mutable_attributes()->set_id("p");
  s.mutable_linux();
  auto m = podSandboxMetrics(s, {});
  CHECK(m.metrics_size() == 0);
  CHECK(m.container_metrics_size() == 0);
}

}  // namespace
}  // namespace dockershim::translate
