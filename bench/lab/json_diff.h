#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

// What differs between two JSON documents, as "path: a → b" lines (the lab's `diff`).
namespace dockershim::lab {

struct Difference {
  std::string path;  // "/step/3/response/state"
  nlohmann::json a;  // null when absent on that side
  nlohmann::json b;
};

std::vector<Difference> jsonDiff(const nlohmann::json& a, const nlohmann::json& b,
                                 const std::string& path = "");

}  // namespace dockershim::lab
