#include "stats/layer_sizes.h"

namespace dockershim::stats {

LayerSizes::LayerSizes(std::chrono::milliseconds refresh)
    : refresh_(refresh), worker_([this] { work(); }) {}

LayerSizes::~LayerSizes() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

std::optional<LayerSizes::Usage> LayerSizes::get(const std::string& id, const Measure& measure,
                                                 std::chrono::steady_clock::time_point waitUntil) {
  auto now = std::chrono::system_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  auto it = sizes_.find(id);
  if (it != sizes_.end()) {
    Usage usage = it->second;
    if (now - usage.measuredAt >= refresh_ && queued_.insert(id).second) {
      queue_.emplace_back(id, measure);
      cv_.notify_one();
    }
    return usage;
  }
  if (queued_.insert(id).second) {
    first_.insert(id);
    queue_.emplace_back(id, measure);
    cv_.notify_one();
  }
  if (!measured_.wait_until(lock, waitUntil,
                            [&] { return sizes_.count(id) || !queued_.count(id); })) {
    return std::nullopt;
  }
  it = sizes_.find(id);
  if (it == sizes_.end()) return std::nullopt;  // the measurement failed
  return it->second;
}

void LayerSizes::forgetAllBut(const std::set<std::string>& live) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = sizes_.begin(); it != sizes_.end();) {
    it = live.count(it->first) ? std::next(it) : sizes_.erase(it);
  }
  for (auto it = first_.begin(); it != first_.end();) {
    it = live.count(*it) ? std::next(it) : first_.erase(it);
  }
}

uint64_t LayerSizes::measurements() const {
  std::lock_guard<std::mutex> lock(mu_);
  return measurements_;
}

void LayerSizes::work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    auto [id, measure] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Result<common::DiskUsage> measured = Status(Code::kInternal, "not measured");
    try {
      measured = measure();
    } catch (const std::exception& e) {
      measured = Status(Code::kInternal, e.what());
    }
    lock.lock();
    ++measurements_;
    queued_.erase(id);
    // A container forgotten meanwhile (removed) is not brought back.
    auto it = sizes_.find(id);
    bool first = first_.erase(id) > 0;
    if (measured && (it != sizes_.end() || first)) {
      sizes_[id] = {*measured, std::chrono::system_clock::now()};
    }
    measured_.notify_all();
  }
}

}  // namespace dockershim::stats
