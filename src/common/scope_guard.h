#pragma once

#include <utility>

namespace dockershim::common {

// Runs `fn` at scope exit unless dismissed: the cleanup of a multi-step RPC that undoes earlier
// steps when a later one fails.
template <typename Fn>
class ScopeGuard {
 public:
  explicit ScopeGuard(Fn fn) : fn_(std::move(fn)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ~ScopeGuard() {
    if (active_) fn_();
  }
  void dismiss() { active_ = false; }

 private:
  Fn fn_;
  bool active_ = true;
};

}  // namespace dockershim::common
