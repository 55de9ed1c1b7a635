#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dockershim/status.h"

namespace dockershim::common {

// Builds a POSIX ustar archive in memory, e.g. for Docker's PUT /containers/{id}/archive or an
// image layer. Every entry is owned by uid/gid 0 with mtime 0 so the same input always yields the
// same bytes. Paths are stored as given (no normalisation); they may be up to 255 bytes when a
// '/' lets them split into ustar's 155-byte prefix and 100-byte name. Link targets get no prefix
// field and so are limited to 100 bytes.
//
// An add* call that fails leaves the archive unchanged. Not thread-safe.
class TarWriter {
 public:
  // A directory entry; a trailing '/' is added to the stored name when missing.
  Status addDirectory(std::string_view path, std::uint32_t mode);
  Status addFile(std::string_view path, std::uint32_t mode, std::string_view content);
  // A hard link at `path` to the earlier entry `target` (an archive path, not a filesystem one).
  Status addHardLink(std::string_view path, std::string_view target);
  Status addSymlink(std::string_view path, std::string_view target);

  // Appends the end-of-archive marker (two zero blocks), returns the archive and leaves the writer
  // empty for reuse.
  std::string finish();

 private:
  Status addEntry(char type, std::string_view path, std::uint32_t mode, std::string_view link,
                  std::string_view content);

  std::string archive_;
};

}  // namespace dockershim::common
