#include "logs/log_follower.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <thread>
#include <utility>

#include "logs/cri_log_file.h"
#include "logs/docker_log_stream.h"

namespace dockershim::logs {

struct LogFollowers::Follower {
  Follower(std::string containerId, const std::string& criLogPath, bool tty, FollowSource src)
      : id(std::move(containerId)),
        source(std::move(src)),
        file(id, criLogPath),
        stream(id, !tty, findResumePoint(criLogPath)) {}

  const std::string id;
  const FollowSource source;
  std::mutex fileMu;  // the file: the follower writes, ReopenContainerLog reopens
  CriLogFile file;
  DockerLogStream stream;  // the follower thread's own

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool done = false;
  std::string problem;
  std::thread thread;
};

LogFollowers::~LogFollowers() { stop(); }

Status LogFollowers::watch(const std::string& containerId, const std::string& criLogPath, bool tty,
                           FollowSource source) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return {Code::kFailedPrecondition, "log followers are stopped"};
    if (auto it = followers_.find(containerId); it != followers_.end()) {
      {
        std::lock_guard<std::mutex> fl(it->second->mu);
        if (!it->second->done) return Status::ok();
      }
      // Ended (its container stopped): followed anew below, from where its CRI log ends. Its
      // thread has returned or is returning and never takes mu_: joined here by whoever takes
      // it out of the map, as unwatch() and stop() do.
      if (it->second->thread.joinable()) it->second->thread.join();
      followers_.erase(it);
    }
  }
  // The CRI log's tail is read and the file opened outside the lock: that is file I/O.
  auto f = std::make_shared<Follower>(containerId, criLogPath, tty, std::move(source));
  if (Status st = f->file.open(); !st) return st;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return {Code::kFailedPrecondition, "log followers are stopped"};
  auto& slot = followers_[containerId];
  if (slot) return Status::ok();  // another caller was quicker
  slot = f;
  f->thread = std::thread([this, f] { run(f); });
  return Status::ok();
}

void LogFollowers::run(const std::shared_ptr<Follower>& f) {
  auto stopping = [&f] {
    std::lock_guard<std::mutex> lock(f->mu);
    return f->stopping;
  };
  // Waits `d` unless stopped meanwhile; false when stopped.
  auto pause = [&f](std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(f->mu);
    return !f->cv.wait_for(lock, d, [&f] { return f->stopping; });
  };
  std::chrono::milliseconds backoff(500);
  bool warnedUnavailable = false;
  std::string out;
  while (!stopping()) {
    f->stream.restart();
    auto from = f->stream.position();
    int64_t since = from && from->unixNanos > 0 ? from->unixNanos : 0;
    Status st = f->source.follow(since, [&](std::string_view bytes) -> Status {
      Status decoded = f->stream.feed(bytes, out);
      if (!out.empty()) {
        std::lock_guard<std::mutex> lock(f->fileMu);
        f->file.write(out);
      }
      out.clear();
      if (!decoded) return decoded;
      backoff = std::chrono::milliseconds(500);
      return stopping() ? Status(Code::kCancelled, "log follower stopped") : Status::ok();
    });
    if (stopping()) break;
    if (st) {
      // The stream ended: the container stopped and its log is all here, or Docker went away.
      auto running = f->source.running();
      if (running && !*running) break;
      if (!running && running.status().code() == Code::kNotFound) break;
      if (!pause(std::chrono::seconds(1))) break;
      continue;
    }
    switch (st.code()) {
      case Code::kNotFound:
        break;
      case Code::kFailedPrecondition: {
        // Docker: the container is being removed; or no API version in common for now.
        auto running = f->source.running();
        if (!running || !*running) break;
        if (!pause(backoff)) break;
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(30));
        continue;
      }
      case Code::kUnavailable:
      case Code::kDeadlineExceeded:
      case Code::kCancelled:
      case Code::kDataLoss:
      case Code::kInternal:
        if (!warnedUnavailable) {
          spdlog::warn("logs of container \"{}\": {}; following again", f->id, st.message());
          warnedUnavailable = true;
        }
        if (!pause(backoff)) break;
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(30));
        continue;
      default: {
        std::lock_guard<std::mutex> lock(f->mu);
        f->problem = "docker cannot give this container's log back: " + st.message();
        spdlog::warn("container \"{}\": {}; no CRI log is written for it", f->id, f->problem);
        break;
      }
    }
    break;
  }
  {
    std::lock_guard<std::mutex> lock(f->fileMu);
    f->file.close();
  }
  std::lock_guard<std::mutex> lock(f->mu);
  f->done = true;
  f->cv.notify_all();
}

Status LogFollowers::reopen(const std::string& containerId) {
  std::shared_ptr<Follower> f;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = followers_.find(containerId);
    if (it == followers_.end())
      return {Code::kNotFound, "container \"" + containerId + "\" is not followed"};
    f = it->second;
  }
  {
    std::lock_guard<std::mutex> lock(f->mu);
    if (f->done) {
      return {Code::kFailedPrecondition, "container \"" + containerId +
                                             "\": its log is no longer followed" +
                                             (f->problem.empty() ? "" : ": " + f->problem)};
    }
  }
  std::lock_guard<std::mutex> lock(f->fileMu);
  return f->file.reopen();
}

void LogFollowers::unwatch(const std::string& containerId, std::chrono::milliseconds grace) {
  std::shared_ptr<Follower> f;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = followers_.find(containerId);
    if (it == followers_.end()) return;
    f = it->second;
    followers_.erase(it);
  }
  {
    std::unique_lock<std::mutex> lock(f->mu);
    f->cv.wait_for(lock, grace, [&f] { return f->done; });
    f->stopping = true;
    f->cv.notify_all();
  }
  if (f->source.cancel) f->source.cancel();
  if (f->thread.joinable()) f->thread.join();
}

bool LogFollowers::watching(const std::string& containerId) const {
  std::lock_guard<std::mutex> lock(mu_);
  return followers_.count(containerId) > 0;
}

std::string LogFollowers::problem(const std::string& containerId) const {
  std::shared_ptr<Follower> f;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = followers_.find(containerId);
    if (it == followers_.end()) return "";
    f = it->second;
  }
  std::lock_guard<std::mutex> lock(f->mu);
  return f->problem;
}

void LogFollowers::stop() {
  std::map<std::string, std::shared_ptr<Follower>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    all.swap(followers_);
  }
  for (auto& [id, f] : all) {
    {
      std::lock_guard<std::mutex> lock(f->mu);
      f->stopping = true;
      f->cv.notify_all();
    }
    if (f->source.cancel) f->source.cancel();
  }
  for (auto& [id, f] : all) {
    if (f->thread.joinable()) f->thread.join();
  }
}

}  // namespace dockershim::logs
