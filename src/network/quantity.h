#pragma once

#include <cstdint>
#include <string_view>

#include "dockershim/status.h"

namespace dockershim::network {

// A Kubernetes resource quantity ("10M", "1Gi", "500k", "1.5e3"; k8s.io/apimachinery's
// resource.Quantity) as Quantity.Value() gives it: rounded up, away from zero, to an integer.
// Saturated at the int64 range, where Go's Value() wraps. INVALID_ARGUMENT when the text does
// not parse as ParseQuantity requires: <sign><digits>.<digits><suffix>, the suffix one of
// n u m "" k M G T P E, Ki Mi Gi Ti Pi Ei, or e/E<integer> (case matters: "1K" is refused).
// compat: as Go's scanner, a number without digits ("+", ".", "k") is zero.
Result<int64_t> quantityValue(std::string_view text);

}  // namespace dockershim::network
