// PodSandboxStatus and ListPodSandbox.
#include <algorithm>
#include <set>

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "translate/container_list.h"
#include "translate/container_status.h"

namespace dockershim::cri {

Status CriService::podSandboxStatus(const v1::PodSandboxStatusRequest& req,
                                    v1::PodSandboxStatusResponse* resp, const CallContext& ctx) {
  const std::string& id = req.pod_sandbox_id();
  // Verbose shows Docker's HostConfig as Docker sends it.
  auto inspect = inspectSandbox(id, ctx, req.verbose());
  if (!inspect) return inspect.status().withContext("pod sandbox status \"" + id + "\"");
  const nlohmann::json& pause = **inspect;
  if (Status st = translate::sandboxStatusFromInspect(pause, resp->mutable_status()); !st) {
    return st.withContext("pod sandbox status \"" + id + "\"");
  }
  notReadyWithoutNetwork(*resp->mutable_status());
  // The network section only with an IP: kubelet reads a present section with an empty IP as
  // "sandbox lost its network" and recreates the pod on every sync. CNI's IPs come from what
  // ADD stored (no process, no namespace entered); Docker's bridge from the inspect.
  std::vector<std::string> ips;
  const std::string fullId = resp->status().id();
  if (options_.cni) {
    ips = options_.cni->podIps(fullId);
    if (ips.empty() && resp->status().state() == v1::SANDBOX_READY) {
      // Only when no one else works on the pod (its ADD may be running): status never waits.
      network::CniManager::PodLock podLock(*options_.cni, fullId, std::chrono::steady_clock::now());
      if (podLock.owns()) ips = adoptNetwork(fullId, pause, resp->status().metadata());
    }
  } else {
    ips = translate::dockerNetworkIps(pause);
  }
  if (!ips.empty() && resp->status().state() == v1::SANDBOX_READY) {
    auto* net = resp->mutable_status()->mutable_network();
    net->set_ip(ips[0]);
    for (size_t i = 1; i < ips.size(); ++i) net->add_additional_ips()->set_ip(ips[i]);
  }
  resp->set_timestamp(std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
  if (req.verbose()) {
    nlohmann::json info = {
        {"pid", common::jsonInt(common::jsonMember(pause, "State"), "Pid")},
        {"image", options_.podInfraImage},
        {"hostConfig", common::jsonMember(pause, "HostConfig")},
    };
    // crictl inspectp: the pod's addresses, and with --cni-check-on-status whether its CNI
    // plugins find its network intact (CNI CHECK forks every plugin of the chain: milliseconds
    // that critest's benchmark and monitoring scripts would pay on each call).
    if (options_.cni && !ips.empty() && resp->status().state() == v1::SANDBOX_READY &&
        !options_.cniCheckOnStatus) {
      info["cni"] = {{"ips", ips}, {"check", "not run (dockershim --cni-check-on-status)"}};
    } else if (options_.cni && !ips.empty() && resp->status().state() == v1::SANDBOX_READY) {
      int64_t pid = common::jsonInt(common::jsonMember(pause, "State"), "Pid");
      network::CniManager::PodLock podLock(*options_.cni, fullId, ctx.deadline);
      Status check =
          podLock.owns()
              ? options_.cni->check(fullId, "/proc/" + std::to_string(pid) + "/ns/net",
                                    ctx.deadline)
              : Status(Code::kDeadlineExceeded, "another operation on the pod is still running");
      info["cni"] = {{"ips", ips}, {"check", check ? "ok" : check.message()}};
    }
    (*resp->mutable_info())["info"] = info.dump();
  }
  return Status::ok();
}

Status CriService::listPodSandbox(const v1::ListPodSandboxRequest& req,
                                  v1::ListPodSandboxResponse* resp, const CallContext& ctx) {
  return listPodSandboxAs(req, resp, ctx, false);
}

Status CriService::listPodSandboxForWire(const v1::ListPodSandboxRequest& req,
                                         v1::ListPodSandboxResponse* resp, const CallContext& ctx) {
  return listPodSandboxAs(req, resp, ctx, true);
}

Status CriService::listPodSandboxAs(const v1::ListPodSandboxRequest& req,
                                    v1::ListPodSandboxResponse* resp, const CallContext& ctx,
                                    bool wire) {
  std::set<std::string> seen;
  const bool fromMemory = cache_ && cache_->synced();
  if (fromMemory) {
    // Entries translated (and serialised) when they were kept, narrowed by index.
    for (const auto& e : cache_->list(true, req.filter().id())) {
      if (!e.podSandbox) continue;
      constexpr int kField = v1::ListPodSandboxResponse::kItemsFieldNumber;
      if (!readyWithoutNetwork(*e.podSandbox)) {
        if (!translate::matches(req.filter(), *e.podSandbox)) continue;
        addListed(resp, kField, resp->mutable_items(), wire, *e.podSandbox, e.wire.get());
        continue;
      }
      v1::PodSandbox changed = *e.podSandbox;
      changed.set_state(v1::SANDBOX_NOTREADY);
      if (!translate::matches(req.filter(), changed)) continue;
      addListed(resp, kField, resp->mutable_items(), wire, changed, nullptr);
    }
  } else {
    auto list = docker_->listContainers(translate::sandboxListFilters(req.filter()), ctx.deadline);
    if (!list) return list.status().withContext("list pod sandboxes");
    if (!list->is_array()) return {Code::kInternal, "list pod sandboxes: docker sent no array"};
    for (const auto& summary : *list) {
      v1::PodSandbox sandbox;
      // Containers that merely carry our labels but not our names are not ours to report.
      if (!translate::sandboxFromSummary(summary, &sandbox)) continue;
      seen.insert(sandbox.id());
      notReadyWithoutNetwork(sandbox);
      if (!translate::matches(req.filter(), sandbox)) continue;
      *resp->add_items() = std::move(sandbox);
    }
  }
  auto checkpointed = checkpoints_->list();
  if (checkpointed.empty()) return Status::ok();
  // A filtered answer does not say which pause containers exist: ask for all of them before
  // taking a checkpoint for an orphan (memory knows them all).
  if (fromMemory) {
    for (const auto& id : checkpointed) {
      if (cache_->find(id)) seen.insert(id);
    }
  } else if (req.has_filter()) {
    auto all = listAny(translate::sandboxListFilters(v1::PodSandboxFilter()), true, ctx);
    if (!all) return all.status().withContext("list pod sandboxes");
    if (all->is_array()) {
      for (const auto& summary : *all) seen.insert(common::jsonString(summary, "Id"));
    }
  }
  // compat: a sandbox whose pause container is gone but whose checkpoint remains is listed
  // NOTREADY, so kubelet calls StopPodSandbox and whatever the pod held gets released.
  for (const auto& id : checkpointed) {
    if (seen.count(id)) continue;
    auto cp = checkpoints_->read(id);
    if (!cp) continue;
    if (cache_) {
      // Served from memory, a pause container created a moment ago straight through Docker
      // (its event still on the way) would read as gone: Docker says.
      if (auto inspect = inspectAny(id, ctx); inspect) {
        v1::PodSandbox sandbox;
        if (translate::sandboxFromSummary(translate::summaryFromInspect(**inspect), &sandbox)) {
          notReadyWithoutNetwork(sandbox);
          if (translate::matches(req.filter(), sandbox)) *resp->add_items() = std::move(sandbox);
        }
        continue;
      } else if (inspect.status().code() != Code::kNotFound) {
        return inspect.status().withContext("list pod sandboxes");
      }
    }
    v1::PodSandbox sandbox;
    sandbox.set_id(id);
    sandbox.mutable_metadata()->set_name(cp->name);
    sandbox.mutable_metadata()->set_namespace_(cp->podNamespace);
    sandbox.set_state(v1::SANDBOX_NOTREADY);
    if (!translate::matches(req.filter(), sandbox)) continue;
    *resp->add_items() = std::move(sandbox);
  }
  return Status::ok();
}

}  // namespace dockershim::cri
