#pragma once

#include <cstdint>
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

// obj[key] when obj is an object holding key, else a null value; chains safely:
// jsonMember(jsonMember(inspect, "State"), "Pid").
inline const nlohmann::json& jsonMember(const nlohmann::json& obj, std::string_view key) {
  static const nlohmann::json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

inline int64_t jsonInt(const nlohmann::json& obj, std::string_view key, int64_t fallback = 0) {
  const auto& v = jsonMember(obj, key);
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    return u > static_cast<uint64_t>(INT64_MAX) ? fallback : static_cast<int64_t>(u);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    // Out of range (or NaN) would be undefined behaviour in the cast.
    if (!(d >= -9.2e18 && d <= 9.2e18)) return fallback;
    return static_cast<int64_t>(d);
  }
  return fallback;
}

inline bool jsonBool(const nlohmann::json& obj, std::string_view key, bool fallback = false) {
  const auto& v = jsonMember(obj, key);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

}  // namespace dockershim::common
