#include "logs/log_copier.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>
#include <utility>

#include "logs/cri_format.h"
#include "logs/cri_log_tail.h"

namespace dockershim::logs {

namespace {

constexpr uint32_t kWatchMask = IN_MODIFY | IN_CREATE | IN_MOVED_TO;

std::string describe(const std::optional<ResumePoint>& resume) {
  if (!resume) return "from the start";
  if (resume->recordsAtTime == 0) return "from " + formatRfc3339Nano(resume->unixNanos);
  return "after the " + std::to_string(resume->recordsAtTime) + " records at " +
         formatRfc3339Nano(resume->unixNanos) + " it already has";
}

}  // namespace

// One watched container. `log`, `closed` and `passes` are guarded by `mu`; `wd` by
// LogCopier::mu_.
struct LogCopier::Slot {
  Slot(const std::string& id, const std::string& dockerLogPath, const std::string& criLogPath,
       std::optional<ResumePoint> resume, CopyLimits limits)
      : log(id, dockerLogPath, criLogPath, resume, limits),
        dockerDir(std::filesystem::path(dockerLogPath).parent_path().string()),
        dockerLogName(std::filesystem::path(dockerLogPath).filename().string()) {}

  std::mutex mu;
  std::condition_variable progressed;  // notified after each pass of the worker
  ContainerLog log;
  bool closed = false;
  uint64_t passes = 0;  // completed worker passes, so drain() can wait for one that began later

  std::atomic<bool> dirty{true};  // look at it on the worker's next pass
  int wd = -1;
  const std::string dockerDir;
  const std::string dockerLogName;
};

LogCopier::LogCopier(LogCopierOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<LogCopier>> LogCopier::create(LogCopierOptions options) {
  // A zero budget or chunk would spin the worker without progress.
  if (options.pollInterval.count() <= 0 || options.watchedPollInterval.count() <= 0 ||
      options.passBudgetBytes == 0 || options.limits.readChunkBytes == 0 ||
      options.limits.maxLineBytes == 0) {
    return errorStatus(Code::kInvalidArgument, "log copier: options must all be positive");
  }
  std::unique_ptr<LogCopier> copier(new LogCopier(std::move(options)));
  Status st = copier->startWorker();
  if (!st) return st;
  return Result<std::unique_ptr<LogCopier>>(std::move(copier));
}

Status LogCopier::startWorker() {
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) {
    return errorStatus(Code::kResourceExhausted,
                       std::string("log copier: eventfd: ") + std::strerror(errno));
  }
  if (options_.useInotify) {
    inotifyFd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotifyFd_ < 0) {
      // Often fs.inotify.max_user_instances (128) used up by other daemons on the node.
      spdlog::warn("log copier: inotify unavailable ({}); polling docker logs every {} ms",
                   std::strerror(errno), options_.pollInterval.count());
    }
  }
  try {
    worker_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return errorStatus(Code::kResourceExhausted,
                       std::string("log copier: start thread: ") + e.what());
  }
  return Status::ok();
}

LogCopier::~LogCopier() {
  stop();
  if (inotifyFd_ >= 0) ::close(inotifyFd_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void LogCopier::wake() {
  const uint64_t one = 1;
  // EAGAIN only when the counter is near 2^64: the worker is awake anyway.
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof(one));
}

std::shared_ptr<LogCopier::Slot> LogCopier::find(const std::string& containerId) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = slots_.find(containerId);
  return it == slots_.end() ? nullptr : it->second;
}

bool LogCopier::watching(const std::string& containerId) const {
  return find(containerId) != nullptr;
}

Status LogCopier::watch(const std::string& containerId, const std::string& dockerLogPath,
                        const std::string& criLogPath, int64_t resumeAfterNanos) {
  if (containerId.empty()) return errorStatus(Code::kInvalidArgument, "watch logs: empty id");
  const std::string context = "watch logs of container \"" + containerId + "\"";
  if (dockerLogPath.empty() || dockerLogPath.front() != '/' || criLogPath.empty() ||
      criLogPath.front() != '/') {
    return errorStatus(Code::kInvalidArgument, context + ": log paths must be absolute, got \"" +
                                                   dockerLogPath + "\" and \"" + criLogPath + "\"");
  }
  // Checked twice: here to fail before touching any file, below in case of a race.
  auto conflict = [&]() -> std::optional<Status> {
    if (stopped_) return errorStatus(Code::kFailedPrecondition, context + ": copier stopped");
    auto it = slots_.find(containerId);
    if (it == slots_.end()) return std::nullopt;
    const ContainerLog& log = it->second->log;  // paths are immutable: no slot lock needed
    if (log.dockerLogPath() == dockerLogPath && log.criLogPath() == criLogPath) {
      return Status::ok();
    }
    return errorStatus(Code::kAlreadyExists,
                       context + ": already copied to \"" + log.criLogPath() + "\"");
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto st = conflict()) return *st;
  }

  std::optional<ResumePoint> resume;
  const ResumePoint found = findResumePoint(criLogPath);
  if (found.recordsAtTime > 0) resume = found;
  // "After R" skips everything stamped R too, so it wins over a tail point at R.
  if (resumeAfterNanos > 0 && resumeAfterNanos < std::numeric_limits<int64_t>::max() &&
      (!resume || resumeAfterNanos >= resume->unixNanos)) {
    resume = ResumePoint{resumeAfterNanos + 1, 0};
  }

  auto slot =
      std::make_shared<Slot>(containerId, dockerLogPath, criLogPath, resume, options_.limits);
  {
    std::lock_guard<std::mutex> slotLock(slot->mu);
    Status st = slot->log.openDestination();
    if (!st) return st.withContext(context);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto st = conflict()) return *st;
    slots_.emplace(containerId, slot);
    addDirWatchLocked(slot);
  }
  spdlog::info("copying logs of container \"{}\" from \"{}\" to \"{}\", {}", containerId,
               dockerLogPath, criLogPath, describe(resume));
  wake();
  return Status::ok();
}

void LogCopier::unwatch(const std::string& containerId) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = slots_.find(containerId);
    if (it == slots_.end()) return;
    slot = it->second;
    slots_.erase(it);
    removeDirWatchLocked(slot);
  }
  {
    std::lock_guard<std::mutex> slotLock(slot->mu);
    if (!slot->closed) {
      CopyScratch scratch;
      slot->log.finish(scratch);
      slot->closed = true;
    }
  }
  slot->progressed.notify_all();
  spdlog::info("stopped copying logs of container \"{}\"", containerId);
}

Status LogCopier::reopen(const std::string& containerId) {
  std::shared_ptr<Slot> slot = find(containerId);
  const std::string context = "reopen log of container \"" + containerId + "\"";
  if (slot == nullptr) return errorStatus(Code::kNotFound, context + ": its log is not copied");
  std::lock_guard<std::mutex> slotLock(slot->mu);
  if (slot->closed) return errorStatus(Code::kNotFound, context + ": its log is not copied");
  Status st = slot->log.reopenDestination();
  if (!st) return st.withContext(context);
  spdlog::info("reopened CRI log \"{}\" of container \"{}\"", slot->log.criLogPath(), containerId);
  return Status::ok();
}

Status LogCopier::drain(const std::string& containerId,
                        std::chrono::steady_clock::time_point deadline) {
  std::shared_ptr<Slot> slot = find(containerId);
  if (slot == nullptr) {
    return errorStatus(Code::kNotFound,
                       "drain log of container \"" + containerId + "\": its log is not copied");
  }
  const auto mark = markOf(slot->log.dockerLogPath());
  if (!mark) return Status::ok();  // nothing written yet, or removed with the container
  std::unique_lock<std::mutex> slotLock(slot->mu);
  // Only a pass that starts after the mark was taken has looked at the file as it is now: an
  // earlier offset may be past the end of a file truncated since.
  const uint64_t startPasses = slot->passes;
  slot->dirty = true;
  wake();
  if (!slot->progressed.wait_until(slotLock, deadline, [&] {
        return slot->closed || (slot->passes > startPasses && slot->log.reached(*mark));
      })) {
    return errorStatus(Code::kDeadlineExceeded,
                       "drain log of container \"" + containerId + "\": not copied in time");
  }
  return Status::ok();
}

void LogCopier::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  if (wakeFd_ >= 0) wake();
  if (worker_.joinable()) worker_.join();

  std::unordered_map<std::string, std::shared_ptr<Slot>> slots;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots.swap(slots_);
    for (auto& [id, slot] : slots) removeDirWatchLocked(slot);
  }
  CopyScratch scratch;
  for (auto& [id, slot] : slots) {
    {
      std::lock_guard<std::mutex> slotLock(slot->mu);
      if (!slot->closed) {
        slot->log.finish(scratch);
        slot->closed = true;
      }
    }
    slot->progressed.notify_all();
  }
  if (!slots.empty()) spdlog::info("stopped copying logs of {} containers", slots.size());
}

// ---- inotify bookkeeping (under mu_) ----

void LogCopier::addDirWatchLocked(const std::shared_ptr<Slot>& slot) {
  if (inotifyFd_ < 0 || slot->wd >= 0) return;
  // One watch per folder, not per file: it also sees the new file Docker creates on rotation
  // and a log created after watch().
  int wd = ::inotify_add_watch(inotifyFd_, slot->dockerDir.c_str(), kWatchMask);
  if (wd < 0) {
    if (errno == ENOSPC && !warnedWatchLimit_) {
      warnedWatchLimit_ = true;
      spdlog::warn(
          "log copier: out of inotify watches (fs.inotify.max_user_watches); polling "
          "the rest every {} ms",
          options_.pollInterval.count());
    }
    return;  // retried on each poll; a missing folder may appear later
  }
  slot->wd = wd;
  byWatch_[wd].push_back(slot);
}

void LogCopier::removeDirWatchLocked(const std::shared_ptr<Slot>& slot) {
  if (slot->wd < 0) return;
  auto it = byWatch_.find(slot->wd);
  if (it != byWatch_.end()) {
    auto& slots = it->second;
    slots.erase(std::remove(slots.begin(), slots.end(), slot), slots.end());
    if (slots.empty()) {
      ::inotify_rm_watch(inotifyFd_, slot->wd);
      byWatch_.erase(it);
    }
  }
  slot->wd = -1;
}

// ---- worker ----

void LogCopier::readInotify() {
  alignas(struct inotify_event) char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(inotifyFd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: all read
    std::lock_guard<std::mutex> lock(mu_);
    for (char* p = buf; p < buf + n;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        for (auto& [id, slot] : slots_) slot->dirty = true;
        continue;
      }
      auto it = byWatch_.find(ev->wd);
      if (it == byWatch_.end()) continue;
      if (ev->mask & IN_IGNORED) {
        // The folder is gone (container removed) or was unmounted: re-added on a later poll.
        for (auto& slot : it->second) {
          slot->wd = -1;
          slot->dirty = true;
        }
        byWatch_.erase(it);
        continue;
      }
      const std::string_view name = ev->len > 0 ? std::string_view(ev->name) : "";
      for (auto& slot : it->second) {
        // <id>-json.log and its rotations <id>-json.log.N; not config.v2.json and the like.
        if (name.empty() || name.substr(0, slot->dockerLogName.size()) == slot->dockerLogName) {
          slot->dirty = true;
        }
      }
    }
  }
}

void LogCopier::run() {
  using Clock = std::chrono::steady_clock;
  CopyScratch scratch;
  std::vector<std::shared_ptr<Slot>> batch;
  auto nextPoll = Clock::now() + options_.pollInterval;
  auto nextWatchedPoll = Clock::now() + options_.watchedPollInterval;
  bool busy = false;  // a container stopped at its budget: come back without waiting
  while (!stopping_) {
    int timeoutMs = 0;
    if (!busy) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(nextPoll - Clock::now()).count();
      timeoutMs = static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
    }
    struct pollfd fds[2] = {{wakeFd_, POLLIN, 0}, {inotifyFd_, POLLIN, 0}};
    const nfds_t nfds = inotifyFd_ >= 0 ? 2 : 1;
    if (::poll(fds, nfds, timeoutMs) < 0 && errno != EINTR) {
      spdlog::warn("log copier: poll: {}", std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (stopping_) break;
    if (fds[0].revents & POLLIN) {
      uint64_t count = 0;
      [[maybe_unused]] ssize_t n = ::read(wakeFd_, &count, sizeof(count));
    }
    if (nfds > 1 && (fds[1].revents & POLLIN)) readInotify();

    const auto now = Clock::now();
    const bool pollAll = now >= nextPoll;
    if (pollAll) nextPoll = now + options_.pollInterval;
    const bool pollWatched = pollAll && now >= nextWatchedPoll;
    if (pollWatched) nextWatchedPoll = now + options_.watchedPollInterval;
    batch.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [id, slot] : slots_) {
        if (pollAll && slot->wd < 0) addDirWatchLocked(slot);
        const bool due = pollAll && (slot->wd < 0 || pollWatched);
        if (slot->dirty.exchange(false) || due) batch.push_back(slot);
      }
    }
    busy = false;
    for (auto& slot : batch) {
      if (stopping_) break;
      bool more = false;
      {
        std::lock_guard<std::mutex> slotLock(slot->mu);
        if (slot->closed) continue;
        more = slot->log.pump(scratch, options_.passBudgetBytes);
        ++slot->passes;
      }
      slot->progressed.notify_all();
      if (more) {
        slot->dirty = true;
        busy = true;
      }
    }
    batch.clear();
  }
}

}  // namespace dockershim::logs
