#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

// Progress of a long lab run on the terminal: phase, done/total, elapsed. On a terminal one
// line is rewritten every second; otherwise a line every 10 s.
namespace dockershim::lab {

class Progress {
 public:
  explicit Progress(bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // A new phase: `total` 0 when it counts nothing (a timed phase shows elapsed only).
  void phase(const std::string& name, int total);
  void advance(int n = 1) { done_ += n; }
  // Ends the current line (before other output).
  void finish();

 private:
  void run();
  void print(bool final);

  bool enabled_;
  bool tty_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::string phase_;
  int total_ = 0;
  std::atomic<int> done_{0};
  std::chrono::steady_clock::time_point phaseStart_, runStart_;
  std::thread thread_;
};

}  // namespace dockershim::lab
