// GetContainerEvents: the kubelet's Evented PLEG. Each event carries the pod's sandbox status and
// the statuses of the pod's containers, as the kubelet builds the pod's status from them alone.
#include "cri/cri_service.h"
#include "translate/container_list.h"

namespace dockershim::cri {

namespace {
// Building one event's statuses is bounded like any CRI call.
constexpr auto kDescribeTimeout = std::chrono::seconds(10);
}  // namespace

v1::ContainerEventResponse CriService::describeEvent(const RawEvent& event) {
  v1::ContainerEventResponse out;
  out.set_container_id(event.id);
  out.set_container_event_type(event.type);
  out.set_created_at(event.timeNanos);
  CallContext ctx;
  ctx.deadline = docker::deadlineIn(kDescribeTimeout);

  v1::PodSandboxStatusRequest sandboxReq;
  sandboxReq.set_pod_sandbox_id(event.sandboxId);
  v1::PodSandboxStatusResponse sandboxResp;
  bool sandboxDeleted = event.isSandbox && event.type == v1::CONTAINER_DELETED_EVENT;
  if (!sandboxDeleted && podSandboxStatus(sandboxReq, &sandboxResp, ctx)) {
    std::lock_guard<std::mutex> lock(eventsMu_);
    lastSandboxStatus_[event.sandboxId] = sandboxResp.status();
    *out.mutable_pod_sandbox_status() = sandboxResp.status();
  } else {
    // Gone: the last status known, not ready. (A pod never described before has none: the
    // kubelet ignores an event without one.)
    std::lock_guard<std::mutex> lock(eventsMu_);
    auto it = lastSandboxStatus_.find(event.sandboxId);
    if (it != lastSandboxStatus_.end()) {
      *out.mutable_pod_sandbox_status() = it->second;
      out.mutable_pod_sandbox_status()->set_state(v1::SANDBOX_NOTREADY);
      if (sandboxDeleted) lastSandboxStatus_.erase(it);
    }
  }
  if (sandboxDeleted) return out;

  v1::ListContainersRequest listReq;
  listReq.mutable_filter()->set_pod_sandbox_id(event.sandboxId);
  v1::ListContainersResponse listResp;
  if (!listContainers(listReq, &listResp, ctx)) return out;
  for (const auto& c : listResp.containers()) {
    v1::ContainerStatusRequest statusReq;
    statusReq.set_container_id(c.id());
    v1::ContainerStatusResponse statusResp;
    if (containerStatus(statusReq, &statusResp, ctx)) {
      *out.add_containers_statuses() = statusResp.status();
    }
  }
  return out;
}

Status CriService::getContainerEvents(
    const v1::GetEventsRequest&,
    const std::function<bool(const v1::ContainerEventResponse&)>& write, const CallContext& ctx) {
  auto subscriber = events_->subscribe();
  struct Unsubscribe {
    EventHub& hub;
    std::shared_ptr<EventSubscriber> s;
    ~Unsubscribe() { hub.unsubscribe(s); }
  } unsubscribe{*events_, subscriber};
  for (;;) {
    std::deque<v1::ContainerEventResponse> batch;
    {
      std::unique_lock<std::mutex> lock(subscriber->mu);
      subscriber->cv.wait_for(lock, std::chrono::milliseconds(200),
                              [&] { return !subscriber->queue.empty() || subscriber->overflowed; });
      if (subscriber->overflowed) {
        return {Code::kResourceExhausted, "container events: this subscriber fell more than " +
                                              std::to_string(EventSubscriber::kMaxQueued) +
                                              " events behind; relist and subscribe again"};
      }
      batch.swap(subscriber->queue);
    }
    for (const auto& e : batch) {
      if (!write(e)) return Status::ok();  // the client went away
    }
    if (ctx.cancelled()) return Status::ok();
  }
}

}  // namespace dockershim::cri
