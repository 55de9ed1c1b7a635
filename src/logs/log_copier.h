#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dockershim/status.h"
#include "logs/container_log.h"

namespace dockershim::logs {

struct LogCopierOptions {
  // Every watched container is looked at this often even without an inotify event, so nothing
  // is missed when inotify is unavailable, out of watches, or overflows.
  std::chrono::milliseconds pollInterval{1000};
  // A container whose folder inotify watches is looked at without an event only this often:
  // events tell of its writes (and an overflow marks every container), so this poll is only a
  // backstop, and 100 idle containers cost no reads every second.
  std::chrono::milliseconds watchedPollInterval{10000};
  // Off: rely on the poll alone (tests use it to drive the worker only through drain()).
  bool useInotify = true;
  // What one container may copy before the worker moves on to the next; it comes back at once.
  std::size_t passBudgetBytes = 1024 * 1024;
  CopyLimits limits;
};

// Copies containers' stdout/stderr from Docker's json-file logs into the CRI log files kubelet
// reads (`kubectl logs`), on ONE worker thread for all containers: inotify on each container's
// Docker folder (IN_MODIFY | IN_CREATE | IN_MOVED_TO) wakes it, a periodic poll backs it up.
// The worker holds a container's lock only while copying one bounded slice of that container's
// log (passBudgetBytes) and never holds the registry lock during file I/O, so a container
// writing fast neither starves the others nor makes an RPC wait longer than one slice.
//
// Thread-safe: every public method may be called from any thread.
class LogCopier {
 public:
  // Starts the worker. Without inotify (out of instances) it warns and polls. INVALID_ARGUMENT
  // for a zero interval, budget or size.
  static Result<std::unique_ptr<LogCopier>> create(LogCopierOptions options = {});

  // Flushes and joins, as stop() does.
  ~LogCopier();
  LogCopier(const LogCopier&) = delete;
  LogCopier& operator=(const LogCopier&) = delete;

  // Starts copying `dockerLogPath` (inspect's LogPath; it need not exist yet) into
  // `criLogPath` (CreateContainer's log_directory/log_path), both absolute. When the CRI log
  // already has records, copying resumes after the last of them, so a dockershim restart
  // neither duplicates nor loses lines; `resumeAfterNanos` (Unix nanoseconds), when later,
  // skips everything up to and including it. Opens or creates the CRI log at once, so its
  // errors come back here: INVALID_ARGUMENT for a bad argument, FAILED_PRECONDITION when the
  // CRI log is a symlink or not a regular file or the copier is stopped, ALREADY_EXISTS when the
  // container is watched with other paths (the same paths again are OK).
  Status watch(const std::string& containerId, const std::string& dockerLogPath,
               const std::string& criLogPath, int64_t resumeAfterNanos = 0);

  // Copies what is left of the Docker log, on the calling thread, then stops watching. A
  // container not watched is fine.
  void unwatch(const std::string& containerId);

  // CRI ReopenContainerLog: closes the CRI log and opens (creates) its path anew, after kubelet
  // renamed the old file for rotation. Until then copying goes on into the renamed file.
  // NOT_FOUND for a container not watched; on an open error the old file stays in use. Whether
  // the container is running (FAILED_PRECONDITION otherwise) is the caller's check.
  Status reopen(const std::string& containerId);

  // Waits until everything in the container's Docker log at the time of the call has been
  // copied, or `deadline` passes (DEADLINE_EXCEEDED). NOT_FOUND for a container not watched. A
  // line Docker has not finished writing is read but only copied once it ends.
  Status drain(const std::string& containerId, std::chrono::steady_clock::time_point deadline);

  bool watching(const std::string& containerId) const;
  // Diagnostics: whether inotify wakes the worker, or the poll alone.
  bool usesInotify() const { return inotifyFd_ >= 0; }

  // Stops the worker, copies what is left of every log on the calling thread and closes all
  // files. Idempotent; later watch() calls fail.
  void stop();

 private:
  struct Slot;

  explicit LogCopier(LogCopierOptions options);
  Status startWorker();
  void run();
  void wake();
  void readInotify();
  void addDirWatchLocked(const std::shared_ptr<Slot>& slot);
  void removeDirWatchLocked(const std::shared_ptr<Slot>& slot);
  std::shared_ptr<Slot> find(const std::string& containerId) const;

  const LogCopierOptions options_;
  int wakeFd_ = -1;     // eventfd: watch/drain/stop wake the worker
  int inotifyFd_ = -1;  // -1: poll only

  mutable std::mutex mu_;  // guards the maps and stopped_; never held during file I/O
  std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;
  std::unordered_map<int, std::vector<std::shared_ptr<Slot>>> byWatch_;  // inotify wd → slots
  bool stopped_ = false;
  bool warnedWatchLimit_ = false;

  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

}  // namespace dockershim::logs
