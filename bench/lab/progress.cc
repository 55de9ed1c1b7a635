#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace dockershim::lab {

Progress::Progress(bool enabled)
    : enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) == 1),
      phaseStart_(std::chrono::steady_clock::now()),
      runStart_(phaseStart_) {
  if (enabled_) thread_ = std::thread([this] { run(); });
}

Progress::~Progress() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (enabled_) finish();
}

void Progress::phase(const std::string& name, int total) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_ && !phase_.empty()) std::fputc('\n', stderr);
  phase_ = name;
  total_ = total;
  done_ = 0;
  phaseStart_ = std::chrono::steady_clock::now();
  print(false);
}

void Progress::finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (phase_.empty()) return;
  print(true);
  phase_.clear();
}

void Progress::print(bool final) {
  if (phase_.empty()) return;
  auto now = std::chrono::steady_clock::now();
  double inPhase = std::chrono::duration<double>(now - phaseStart_).count();
  double total = std::chrono::duration<double>(now - runStart_).count();
  char line[256];
  if (total_ > 0) {
    std::snprintf(line, sizeof line, "[%s] %d/%d, %.1f s (run %.0f s)", phase_.c_str(),
                  done_.load(), total_, inPhase, total);
  } else {
    std::snprintf(line, sizeof line, "[%s] %.1f s (run %.0f s)", phase_.c_str(), inPhase, total);
  }
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

void Progress::run() {
  std::unique_lock<std::mutex> lock(mu_);
  auto every = tty_ ? std::chrono::seconds(1) : std::chrono::seconds(10);
  while (!cv_.wait_for(lock, every, [this] { return stop_; })) print(false);
}

}  // namespace dockershim::lab
