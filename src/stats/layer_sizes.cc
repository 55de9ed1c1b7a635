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

std::optional<LayerSizes::Usage> LayerSizes::get(const std::string& id, const Measure& measure) {
  auto now = std::chrono::system_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sizes_.find(id);
    if (it != sizes_.end()) {
      Usage usage = it->second;
      if (now - usage.measuredAt >= refresh_ && queued_.insert(id).second) {
        queue_.emplace_back(id, measure);
        cv_.notify_one();
      }
      return usage;
    }
  }
  auto measured = measure();
  std::lock_guard<std::mutex> lock(mu_);
  ++measurements_;
  if (!measured) return std::nullopt;
  Usage usage{*measured, std::chrono::system_clock::now()};
  sizes_[id] = usage;
  return usage;
}

void LayerSizes::forgetAllBut(const std::set<std::string>& live) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = sizes_.begin(); it != sizes_.end();) {
    it = live.count(it->first) ? std::next(it) : sizes_.erase(it);
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
    auto measured = measure();
    lock.lock();
    ++measurements_;
    queued_.erase(id);
    // A container forgotten meanwhile (removed) is not brought back.
    auto it = sizes_.find(id);
    if (measured && it != sizes_.end()) {
      it->second = {*measured, std::chrono::system_clock::now()};
    }
  }
}

}  // namespace dockershim::stats
