#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace dockershim::common {

// obj[key] when obj is an object and the field is a string, else `fallback`. Unlike
// nlohmann's value(), never throws on a field of another type: what Docker sends must not be
// able to crash the daemon.
inline std::string jsonString(const nlohmann::json& obj, std::string_view key,
                              std::string fallback = "") {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

}  // namespace dockershim::common
