#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace dockershim::common {

// SHA-1 (FIPS 180-4, section 6.1) of `data`. Only for protocols that require it, such as the
// WebSocket opening handshake (RFC 6455 section 4.2.2); SHA-1 is not collision resistant, so
// never use it to protect anything.
std::array<std::uint8_t, 20> sha1(std::string_view data);

}  // namespace dockershim::common
