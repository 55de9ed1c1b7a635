#include "common/tar_writer.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace dockershim::common {
namespace {

constexpr std::size_t kBlockSize = 512;

// POSIX.1-1988 ustar header field offsets and widths (pax spec, "ustar Interchange Format").
constexpr std::size_t kNameOffset = 0, kNameSize = 100;
constexpr std::size_t kModeOffset = 100, kModeSize = 8;
constexpr std::size_t kUidOffset = 108, kUidSize = 8;
constexpr std::size_t kGidOffset = 116, kGidSize = 8;
constexpr std::size_t kSizeOffset = 124, kSizeSize = 12;
constexpr std::size_t kMtimeOffset = 136, kMtimeSize = 12;
constexpr std::size_t kChecksumOffset = 148, kChecksumSize = 8;
constexpr std::size_t kTypeOffset = 156;
constexpr std::size_t kLinkOffset = 157, kLinkSize = 100;
constexpr std::size_t kMagicOffset = 257;
constexpr std::size_t kVersionOffset = 263;
constexpr std::size_t kDevMajorOffset = 329, kDevMajorSize = 8;
constexpr std::size_t kDevMinorOffset = 337, kDevMinorSize = 8;
constexpr std::size_t kPrefixOffset = 345, kPrefixSize = 155;

constexpr char kTypeFile = '0';
constexpr char kTypeHardLink = '1';
constexpr char kTypeSymlink = '2';
constexpr char kTypeDirectory = '5';

// A 12-byte size field holds 11 octal digits.
constexpr std::uint64_t kMaxSize = (std::uint64_t{1} << 33) - 1;

using Header = std::array<char, kBlockSize>;

// Numeric fields are zero-padded octal filling all but the last byte, which is NUL.
void putOctal(Header& h, std::size_t offset, std::size_t width, std::uint64_t value) {
  for (std::size_t i = width - 1; i-- > 0;) {
    h[offset + i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  h[offset + width - 1] = '\0';
}

void putString(Header& h, std::size_t offset, std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) h[offset + i] = s[i];
}

Status invalid(std::string_view path, std::string_view why) {
  return errorStatus(Code::kInvalidArgument,
                     "tar entry \"" + std::string(path) + "\": " + std::string(why));
}

// Splits `path` into ustar's prefix and name fields; a reader joins them with '/'. The split
// must fall on a '/', so a path whose last 100 bytes hold no usable '/' cannot be stored.
bool splitPath(std::string_view path, std::string_view& prefix, std::string_view& name) {
  if (path.size() <= kNameSize) {
    prefix = {};
    name = path;
    return true;
  }
  // Take the last '/' that leaves a prefix within 155 bytes; an earlier one only lengthens the
  // name. A directory's trailing '/' cannot be the split: the name would be empty.
  std::size_t pos = path.rfind('/', std::min(kPrefixSize, path.size() - 2));
  if (pos == std::string_view::npos || pos == 0 || path.size() - pos - 1 > kNameSize) return false;
  prefix = path.substr(0, pos);
  name = path.substr(pos + 1);
  return true;
}

}  // namespace

Status TarWriter::addDirectory(std::string_view path, std::uint32_t mode) {
  std::string stored(path);
  if (!stored.empty() && stored.back() != '/') stored += '/';
  return addEntry(kTypeDirectory, stored, mode, {}, {});
}

Status TarWriter::addFile(std::string_view path, std::uint32_t mode, std::string_view content) {
  return addEntry(kTypeFile, path, mode, {}, content);
}

Status TarWriter::addHardLink(std::string_view path, std::string_view target) {
  if (target.empty()) return invalid(path, "empty hard link target");
  return addEntry(kTypeHardLink, path, 0644, target, {});
}

Status TarWriter::addSymlink(std::string_view path, std::string_view target) {
  if (target.empty()) return invalid(path, "empty symlink target");
  return addEntry(kTypeSymlink, path, 0777, target, {});
}

std::string TarWriter::finish() {
  archive_.append(2 * kBlockSize, '\0');
  return std::exchange(archive_, std::string());
}

Status TarWriter::addEntry(char type, std::string_view path, std::uint32_t mode,
                           std::string_view link, std::string_view content) {
  if (path.empty()) return invalid(path, "empty path");
  // A NUL would silently truncate the stored field.
  if (path.find('\0') != std::string_view::npos) return invalid(path, "path contains NUL");
  if (link.find('\0') != std::string_view::npos) return invalid(path, "link target contains NUL");
  if (link.size() > kLinkSize) {
    return invalid(path, "link target longer than " + std::to_string(kLinkSize) + " bytes");
  }
  if (content.size() > kMaxSize) return invalid(path, "content larger than 8 GiB");
  std::string_view prefix;
  std::string_view name;
  if (!splitPath(path, prefix, name)) {
    return invalid(path, "path does not fit ustar's 155-byte prefix and 100-byte name");
  }

  Header h{};
  putString(h, kNameOffset, name);
  putOctal(h, kModeOffset, kModeSize, mode & 07777);
  putOctal(h, kUidOffset, kUidSize, 0);
  putOctal(h, kGidOffset, kGidSize, 0);
  putOctal(h, kSizeOffset, kSizeSize, content.size());
  putOctal(h, kMtimeOffset, kMtimeSize, 0);
  h[kTypeOffset] = type;
  putString(h, kLinkOffset, link);
  putString(h, kMagicOffset, std::string_view("ustar\0", 6));
  putString(h, kVersionOffset, "00");
  putOctal(h, kDevMajorOffset, kDevMajorSize, 0);
  putOctal(h, kDevMinorOffset, kDevMinorSize, 0);
  putString(h, kPrefixOffset, prefix);

  // ustar: the checksum is the unsigned byte sum of the header with the checksum field taken as
  // eight spaces, stored as six octal digits, NUL, space.
  putString(h, kChecksumOffset, std::string(kChecksumSize, ' '));
  std::uint32_t sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  putOctal(h, kChecksumOffset, 7, sum);
  h[kChecksumOffset + 7] = ' ';

  std::size_t padding = (kBlockSize - content.size() % kBlockSize) % kBlockSize;
  archive_.reserve(archive_.size() + kBlockSize + content.size() + padding);
  archive_.append(h.data(), h.size());
  archive_.append(content);
  archive_.append(padding, '\0');
  return Status::ok();
}

}  // namespace dockershim::common
