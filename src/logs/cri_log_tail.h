#pragma once

// Finding where to resume copying into a CRI log that already has records, so a dockershim
// restart neither duplicates nor loses lines.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace dockershim::logs {

// Docker entries stamped before `unixNanos` are already in the CRI log, and so are the first
// `recordsAtTime` records stamped exactly `unixNanos`. The count matters because Docker gives
// every piece of a line split at 16 KiB the same timestamp: a restart between the pieces must
// copy the rest of them, not skip them as "not newer".
struct ResumePoint {
  int64_t unixNanos = std::numeric_limits<int64_t>::min();
  std::size_t recordsAtTime = 0;
};

struct CriLogTail {
  std::optional<ResumePoint> last;  // nullopt: no complete record found
  bool runCoversFile = false;       // every record in the file carries `last`'s timestamp
};

// Reads the end of the CRI log at `path` (never following a symlink): the timestamp of its last
// complete record and how many records at the end carry it. A torn last line (no '\n') and
// lines that are not CRI records are passed over. Reads at most the last 16 MiB.
CriLogTail readCriLogTail(const std::string& path);

// kubelet's newest uncompressed rotation of `criLogPath` (kubelet renames <log> to
// <log>.<YYYYMMDD-hhmmss> and gzips older ones later), or "" when there is none.
std::string newestRotatedCriLog(const std::string& criLogPath);

// The resume point for `criLogPath`: its own tail, and when it has no record yet (kubelet rotated
// it just before the restart) or only records of one timestamp, the newest rotated file's too.
// Default-constructed (copy everything) when neither has a record.
ResumePoint findResumePoint(const std::string& criLogPath);

}  // namespace dockershim::logs
