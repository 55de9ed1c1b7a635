#pragma once

// Where one CRI call's time went: waiting on Docker's API, on CNI plugins, and (the rest)
// dockershim's own work. The server sets a CallCost for the thread that runs a handler; the
// Docker client's and the CNI manager's observers add to it. Work a call hands to another
// thread is not counted (no RPC does so on its way to the answer).
namespace dockershim::common {

struct CallCost {
  double dockerSeconds = 0;
  double networkSeconds = 0;
};

// The calling thread's current call, null outside one.
CallCost* currentCallCost();

// Makes `cost` the thread's current call for the scope's life.
class CallCostScope {
 public:
  explicit CallCostScope(CallCost& cost);
  ~CallCostScope();
  CallCostScope(const CallCostScope&) = delete;
  CallCostScope& operator=(const CallCostScope&) = delete;

 private:
  CallCost* previous_;
};

}  // namespace dockershim::common
