#pragma once

#include <string>
#include <string_view>

namespace dockershim::common {

// Standard base64 (RFC 4648 section 4) with padding, as the WebSocket handshake's
// Sec-WebSocket-Accept requires.
std::string base64Encode(std::string_view data);
// Base64url with padding, as Docker expects for X-Registry-Auth.
std::string base64UrlEncode(std::string_view data);
// Standard base64 decode (CRI AuthConfig.auth is "user:pass" in standard base64): false on
// malformed input. Accepts both alphabets and missing padding.
bool base64Decode(std::string_view in, std::string& out);

}  // namespace dockershim::common
