#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace dockershim::e2e {

// A unix-socket forwarder between a client (dockershim) and a real server (dockerd), for the
// one fault the real Docker cannot produce on demand: connections lost mid-stream. Bytes pass
// unchanged.
class UnixProxy {
 public:
  UnixProxy(std::string listenPath, std::string targetPath);
  ~UnixProxy();
  const std::string& path() const { return listenPath_; }
  // Closes every open connection, and refuses new ones (accepts and closes them) for `refuse`.
  void cut(std::chrono::milliseconds refuse);
  // While held, what Docker sends on its event stream (GET .../events) waits in the proxy: events
  // that come late, as they may on a loaded node. Released, it flows on.
  void holdEvents(bool hold) { holdEvents_ = hold; }
  // Connections accepted so far.
  int accepted() const { return accepted_; }

 private:
  void acceptLoop();
  void pump(int from, int to, std::atomic<bool>* events, bool fromClient);

  std::string listenPath_, targetPath_;
  int listenFd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> holdEvents_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::set<int> open_;
  std::chrono::steady_clock::time_point refuseUntil_{};
  std::vector<std::thread> threads_;
  std::thread acceptThread_;
};

}  // namespace dockershim::e2e
