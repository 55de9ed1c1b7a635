#include "common/call_cost.h"

namespace dockershim::common {

namespace {
thread_local CallCost* current = nullptr;
}  // namespace

CallCost* currentCallCost() { return current; }

CallCostScope::CallCostScope(CallCost& cost) : previous_(current) { current = &cost; }

CallCostScope::~CallCostScope() { current = previous_; }

}  // namespace dockershim::common
