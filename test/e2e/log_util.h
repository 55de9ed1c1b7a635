#pragma once

// Reading CRI log files in e2e tests, as kubelet and `crictl logs` read them.
#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "e2e/pod_util.h"

namespace dockershim::e2e {

inline std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// Waits until `path` holds at least `n` lines (the copier is asynchronous).
inline std::vector<std::string> waitLines(const std::string& path, size_t n,
                                          std::chrono::seconds timeout = 20s) {
  auto end = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> lines;
  while (std::chrono::steady_clock::now() < end) {
    lines = readLines(path);
    if (lines.size() >= n) break;
    std::this_thread::sleep_for(100ms);
  }
  return lines;
}

// The numbers of "line <n>" records, in file order.
inline std::vector<int> numbers(const std::vector<std::string>& lines) {
  static const std::regex re(R"(^\S+ stdout F line (\d+)$)");
  std::vector<int> out;
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_match(l, m, re)) out.push_back(std::stoi(m[1]));
  }
  return out;
}

inline bool consecutive(const std::vector<int>& n) {
  for (size_t i = 0; i < n.size(); ++i) {
    if (n[i] != static_cast<int>(i)) return false;
  }
  return !n.empty();
}

inline const std::vector<std::string> kCounter = {
    "sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"};

inline grpc::Status reopen(Shim& shim, const std::string& id) {
  v1::ReopenContainerLogRequest req;
  req.set_container_id(id);
  v1::ReopenContainerLogResponse resp;
  Ctx ctx;
  return shim.runtime->ReopenContainerLog(&ctx, req, &resp);
}

}  // namespace dockershim::e2e
