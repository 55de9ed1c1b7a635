#pragma once

#include <cstddef>
#include <string>

namespace dockershim::app {

// Sandbox checkpoints under `root` (files in <root>/sandbox/ not starting with '.'); 0 when the
// folder is absent or unreadable.
std::size_t countCheckpoints(const std::string& root);

struct StateDirectory {
  std::string root;
  bool tookOver = false;  // cri-dockerd's folder, because ours holds no state and it does
  std::size_t checkpoints = 0;
};

// The state folder when --root-directory was not given: `own`, unless it holds no checkpoint
// and `criDockerd` does. A node whose cri-dockerd was swapped for dockershim keeps its pods'
// port mappings and metadata, and cri-dockerd finds dockershim's pods when swapped back.
StateDirectory chooseStateDirectory(const std::string& own, const std::string& criDockerd);

}  // namespace dockershim::app
