#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>

// What the lab prints for people: the numbers of a run's results.json as tables.
namespace dockershim::lab {

void printRun(const nlohmann::json& results, std::FILE* out);

}  // namespace dockershim::lab
