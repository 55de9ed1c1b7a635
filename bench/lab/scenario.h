#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cri_client.h"

// The lab's `diff` scenario: one pod with two containers (env, a read-only mount, a user, labels
// and annotations; one runs, one exits with output on both streams), exec, logs, stop, remove,
// and calls that must fail. Each step records what a kubelet would notice of the answer — its
// gRPC code, states, fields, reasons, exit codes — and never IDs or timestamps, so the records
// of two runtimes compare field by field.
namespace dockershim::lab {

struct ScenarioOptions {
  std::string image = "busybox";
  std::string workDir = "/tmp/dockershim-lab";  // pod logs and the mounted folder go below
};

// {"steps": [{"step": "...", "code": "OK", "response": {...}}, ...]}; the pod is removed at
// the end whatever happened.
nlohmann::json runScenario(CriClient& cri, const ScenarioOptions& options);

}  // namespace dockershim::lab
