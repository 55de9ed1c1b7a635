#include "app/state_directory.h"

#include <filesystem>
#include <system_error>

namespace dockershim::app {

std::size_t countCheckpoints(const std::string& root) {
  std::size_t n = 0;
  std::error_code ec;
  std::filesystem::directory_iterator it(std::filesystem::path(root) / "sandbox", ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code typeEc;
    if (!name.empty() && name.front() != '.' && it->is_regular_file(typeEc)) ++n;
  }
  return n;
}

StateDirectory chooseStateDirectory(const std::string& own, const std::string& criDockerd) {
  if (countCheckpoints(own) > 0) return {own, false, 0};
  const std::size_t theirs = countCheckpoints(criDockerd);
  if (theirs == 0) return {own, false, 0};
  return {criDockerd, true, theirs};
}

}  // namespace dockershim::app
