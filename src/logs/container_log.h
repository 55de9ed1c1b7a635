#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"
#include "logs/cri_log_file.h"
#include "logs/cri_log_tail.h"
#include "logs/resume_filter.h"

namespace dockershim::logs {

struct CopyLimits {
  // A Docker json line longer than this is skipped with a warning. Docker caps an entry's text
  // at 16 KiB, which JSON escaping (\u00XX for control bytes) can grow six-fold, plus attrs.
  std::size_t maxLineBytes = 256 * 1024;
  // Bytes read from a Docker log per read(); the CRI records they give go out in one write().
  std::size_t readChunkBytes = 64 * 1024;
};

// Buffers one thread reuses for every container it copies, so 250 idle containers do not each
// hold a read buffer.
struct CopyScratch {
  std::vector<char> in;
  std::string out;
};

// A Docker log file and its size at one instant; `ContainerLog::reached` tells whether the copy
// has got past it.
struct FileMark {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
};

// The file at `path` now, nullopt when there is none.
std::optional<FileMark> markOf(const std::string& path);

// Copies one container's Docker json-file log into its CRI log: follows Docker's rotation
// (rename to <log>.1 and a new file) and truncation (max-file=1), waits for a log not created
// yet, and keeps writing to its open CRI file, as containerd does, when kubelet renames it, until
// reopenDestination().
//
// Not thread-safe: LogCopier calls it under the container's own mutex.
class ContainerLog {
 public:
  ContainerLog(std::string containerId, std::string dockerLogPath, std::string criLogPath,
               std::optional<ResumePoint> resume, CopyLimits limits);
  ~ContainerLog();
  ContainerLog(const ContainerLog&) = delete;
  ContainerLog& operator=(const ContainerLog&) = delete;

  // Opens the CRI log for appending, creating it 0640 (and its parent folder 0755 when only that
  // is missing; kubelet normally creates it). Never follows a symlink; refuses anything but a
  // regular file. Ends a torn last line so the next record starts on a line of its own.
  Status openDestination();

  // CRI ReopenContainerLog: opens the CRI log path anew (kubelet has renamed the old file) and
  // closes the old one. On failure the old file stays in use.
  Status reopenDestination();

  // Copies what Docker has written since the last call, stopping after about `budgetBytes` so one
  // busy container cannot starve the others. True when it stopped with more left to copy.
  bool pump(CopyScratch& scratch, std::size_t budgetBytes);

  // Copies everything left and closes both files.
  void finish(CopyScratch& scratch);

  // True once everything in the file `mark` describes, up to its size then, has been read.
  bool reached(const FileMark& mark) const;

  const std::string& containerId() const { return id_; }
  const std::string& dockerLogPath() const { return dockerLogPath_; }
  const std::string& criLogPath() const { return dst_.path(); }
  // The Docker timestamp of the last record written, 0 before the first.
  int64_t lastCopiedNanos() const { return lastCopiedNanos_; }

 private:
  struct Source {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t offset = 0;
    char lastByte = '\n';  // the byte at offset-1, to notice a truncated and rewritten file
  };
  enum class ReadEnd { kEof, kBudget, kTruncated };

  bool openSource(const std::string& path, Source& src);
  void closeSource(Source& src);
  ReadEnd readSource(CopyScratch& scratch, std::size_t& budget);
  void resetAfterTruncation();
  void finishCurrent();
  void queueRotatedSince(const Source& finished);
  void queueRotatedAtStart();
  void consume(std::string_view data, std::string& out);
  void appendPending(std::string_view piece);
  void handleLine(std::string_view line, std::string& out);

  const std::string id_;
  const std::string dockerLogPath_;
  const CopyLimits limits_;

  Source cur_;
  std::deque<Source> queue_;  // finished rotations to read after cur_, oldest first
  std::vector<std::pair<dev_t, ino_t>> done_;  // files read to their end, newest last
  bool started_ = false;

  std::string pending_;    // a Docker line not yet ended by '\n'
  bool skipping_ = false;  // inside a line over maxLineBytes, dropped up to its '\n'

  ResumeFilter resume_;

  CriLogFile dst_;
  int64_t lastCopiedNanos_ = 0;
  std::size_t malformedLines_ = 0;
  std::size_t longLines_ = 0;
};

}  // namespace dockershim::logs
