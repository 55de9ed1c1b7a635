#pragma once

#include <sys/types.h>

#include <string>

#include "dockershim/status.h"

namespace dockershim::logs {

// The CRI log file of one container, as kubelet reads it: opened for appending, created 0640,
// never through a symlink, only a regular file; kubelet renames it to rotate and asks for it to
// be reopened (CRI ReopenContainerLog).
//
// Not thread-safe: its owner serialises calls.
class CriLogFile {
 public:
  CriLogFile(std::string containerId, std::string path);
  ~CriLogFile();
  CriLogFile(const CriLogFile&) = delete;
  CriLogFile& operator=(const CriLogFile&) = delete;

  // Opens (creating it, and its parent folder when only that is missing; kubelet normally
  // creates it). A torn last record (dockershim killed while writing it) is cut off: copying
  // resumes at it. FAILED_PRECONDITION for a symlink or anything but a regular file.
  Status open();
  // Opens the path anew (kubelet renamed the old file) and closes the old file; on failure the
  // old file stays in use.
  Status reopen();
  // Appends `out` and clears it. A failing write (full disk) drops the records, as containerd
  // does, with one warning until writes work again.
  void write(std::string& out);
  void close();

  const std::string& path() const { return path_; }

 private:
  Status openFd(int& fd);
  // Cuts off a last line without its '\n' (see the .cc).
  void dropTornRecord(int fd, off_t size);

  const std::string id_;
  const std::string path_;
  int fd_ = -1;
  bool writeFailing_ = false;
};

}  // namespace dockershim::logs
