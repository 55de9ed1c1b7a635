#pragma once

// A GetContainerEvents subscriber for e2e tests: reads the stream on a thread of its own and
// keeps every event.

#include <mutex>
#include <thread>
#include <vector>

#include "e2e/pod_util.h"

namespace dockershim::e2e {

class EventCollector {
 public:
  explicit EventCollector(Shim& shim) {
    withDeadline(ctx_, 10min);
    reader_ = shim.runtime->GetContainerEvents(&ctx_, v1::GetEventsRequest());
    thread_ = std::thread([this] {
      v1::ContainerEventResponse e;
      while (reader_->Read(&e)) {
        std::lock_guard<std::mutex> lock(mu_);
        events_.push_back(e);
      }
    });
  }
  ~EventCollector() {
    ctx_.TryCancel();
    thread_.join();
    reader_->Finish();
  }
  std::vector<v1::ContainerEventResponse> of(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<v1::ContainerEventResponse> out;
    for (const auto& e : events_) {
      if (e.container_id() == id) out.push_back(e);
    }
    return out;
  }
  std::vector<v1::ContainerEventResponse> all() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<v1::ContainerEventType> typesOf(const std::string& id) {
    std::vector<v1::ContainerEventType> out;
    for (const auto& e : of(id)) out.push_back(e.container_event_type());
    return out;
  }
  bool waitFor(const std::string& id, v1::ContainerEventType type,
               std::chrono::milliseconds limit = 20s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      for (auto t : typesOf(id)) {
        if (t == type) return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::ContainerEventResponse>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<v1::ContainerEventResponse> events_;
};

}  // namespace dockershim::e2e
