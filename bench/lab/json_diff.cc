#include "json_diff.h"

#include <set>

namespace dockershim::lab {

std::vector<Difference> jsonDiff(const nlohmann::json& a, const nlohmann::json& b,
                                 const std::string& path) {
  std::vector<Difference> out;
  auto add = [&](std::vector<Difference> more) {
    out.insert(out.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
  };
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, _] : a.items()) keys.insert(k);
    for (const auto& [k, _] : b.items()) keys.insert(k);
    for (const auto& k : keys) {
      auto ia = a.find(k);
      auto ib = b.find(k);
      add(jsonDiff(ia == a.end() ? nlohmann::json() : *ia, ib == b.end() ? nlohmann::json() : *ib,
                   path + "/" + k));
    }
    return out;
  }
  if (a.is_array() && b.is_array()) {
    size_t n = std::max(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      add(jsonDiff(i < a.size() ? a[i] : nlohmann::json(), i < b.size() ? b[i] : nlohmann::json(),
                   path + "/" + std::to_string(i)));
    }
    return out;
  }
  // Numbers compare by value whatever their JSON type (1 and 1.0).
  if (a.is_number() && b.is_number() && a.get<double>() == b.get<double>()) return out;
  if (a != b) out.push_back({path.empty() ? "/" : path, a, b});
  return out;
}

}  // namespace dockershim::lab
