#include "translate/image_ref.h"

#include <algorithm>
#include <cstddef>

namespace dockershim::translate {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
// compat: Docker rewrites the legacy Hub host so both spellings name the same image.
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr std::string_view kLocalhost = "localhost";
constexpr std::string_view kDefaultTag = "latest";
constexpr std::size_t kNameTotalLengthMax = 255;
constexpr std::size_t kTagLengthMax = 128;
constexpr std::size_t kImageIdHexLength = 64;

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLower(char c) { return c >= 'a' && c <= 'z'; }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isAlpha(char c) { return isLower(c) || isUpper(c); }
bool isAlnum(char c) { return isAlpha(c) || isDigit(c); }
bool isLowerAlnum(char c) { return isLower(c) || isDigit(c); }
bool isWord(char c) { return isAlnum(c) || c == '_'; }
bool isLowerHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f'); }
bool isHex(char c) { return isLowerHex(c) || (c >= 'A' && c <= 'F'); }

bool hasUpper(std::string_view s) { return std::any_of(s.begin(), s.end(), isUpper); }

bool isLowerHexString(std::string_view s, std::size_t length) {
  return s.size() == length && std::all_of(s.begin(), s.end(), isLowerHex);
}

Status invalid(std::string_view ref, std::string_view why) {
  return errorStatus(Code::kInvalidArgument,
                     "invalid image reference \"" + std::string(ref) + "\": " + std::string(why));
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := [._] | "__" | [-]+
bool isValidPathComponent(std::string_view c) {
  if (c.empty() || !isLowerAlnum(c.front()) || !isLowerAlnum(c.back())) return false;
  std::size_t i = 0;
  while (i < c.size()) {
    if (isLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < c.size() && !isLowerAlnum(c[end])) ++end;
    std::string_view sep = c.substr(i, end - i);
    bool allDashes = std::all_of(sep.begin(), sep.end(), [](char ch) { return ch == '-'; });
    if (sep != "." && sep != "_" && sep != "__" && !allDashes) return false;
    i = end;
  }
  return true;
}

bool isValidPath(std::string_view path) {
  while (true) {
    std::size_t slash = path.find('/');
    if (!isValidPathComponent(path.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

bool isValidPort(std::string_view port) {
  return !port.empty() && std::all_of(port.begin(), port.end(), isDigit);
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool isValidDomainComponent(std::string_view c) {
  if (c.empty() || !isAlnum(c.front()) || !isAlnum(c.back())) return false;
  return std::all_of(c.begin(), c.end(), [](char ch) { return isAlnum(ch) || ch == '-'; });
}

// domain := host [":" port]   host := domain-name | "[" ipv6 "]"
bool isValidDomain(std::string_view domain) {
  std::string_view host = domain;
  std::string_view port;
  bool hasPort = false;
  if (!domain.empty() && domain.front() == '[') {
    std::size_t close = domain.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view ipv6 = domain.substr(1, close - 1);
    if (!std::all_of(ipv6.begin(), ipv6.end(), [](char ch) { return isHex(ch) || ch == ':'; })) {
      return false;
    }
    std::string_view rest = domain.substr(close + 1);
    if (rest.empty()) return true;
    return rest.front() == ':' && isValidPort(rest.substr(1));
  }
  if (std::size_t colon = domain.find(':'); colon != std::string_view::npos) {
    host = domain.substr(0, colon);
    port = domain.substr(colon + 1);
    hasPort = true;
  }
  if (hasPort && !isValidPort(port)) return false;
  while (true) {
    std::size_t dot = host.find('.');
    if (!isValidDomainComponent(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

// tag := [\w][\w.-]{0,127}
bool isValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kTagLengthMax || !isWord(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(),
                     [](char ch) { return isWord(ch) || ch == '.' || ch == '-'; });
}

// digest := algorithm ":" hex, where the grammar admits any algorithm but only registered ones
// (sha256/384/512, as in opencontainers/go-digest) with exact-length lowercase hex are usable.
Status checkDigest(std::string_view ref, std::string_view digest) {
  std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == digest.size()) {
    return invalid(ref, "digest must be <algorithm>:<hex>");
  }
  std::string_view algorithm = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  std::size_t want = 0;
  if (algorithm == "sha256") {
    want = 64;
  } else if (algorithm == "sha384") {
    want = 96;
  } else if (algorithm == "sha512") {
    want = 128;
  } else {
    return invalid(ref, "unsupported digest algorithm \"" + std::string(algorithm) + "\"");
  }
  if (!isLowerHexString(hex, want)) {
    return invalid(ref, std::string(algorithm) + " digest must be " + std::to_string(want) +
                            " lowercase hex digits");
  }
  return Status::ok();
}

// compat: Docker's splitDockerDomain. The first component names a registry only when it looks
// like a host (has '.' or ':', is "localhost", or has uppercase, which a path never may);
// otherwise the image lives on Docker Hub, where one-component names are official images.
void splitDomain(std::string_view name, std::string& domain, std::string& path) {
  std::size_t slash = name.find('/');
  std::string_view head = name.substr(0, slash);
  bool isHost =
      slash != std::string_view::npos &&
      (head.find_first_of(".:") != std::string_view::npos || head == kLocalhost || hasUpper(head));
  if (isHost) {
    domain = head;
    path = name.substr(slash + 1);
  } else {
    domain = kDefaultDomain;
    path = name;
  }
  if (domain == kLegacyDefaultDomain) domain = kDefaultDomain;
  if (domain == kDefaultDomain && path.find('/') == std::string::npos) {
    path.insert(0, kOfficialRepoPrefix);
  }
}

}  // namespace

std::string ImageRef::repository() const { return domain + "/" + path; }

std::string ImageRef::familiarName() const {
  if (domain != kDefaultDomain) return repository();
  std::string_view p = path;
  // Only strip "library/" from a two-component path: "library/a/b" is not an official image.
  if (p.substr(0, kOfficialRepoPrefix.size()) == kOfficialRepoPrefix &&
      p.find('/', kOfficialRepoPrefix.size()) == std::string_view::npos) {
    p.remove_prefix(kOfficialRepoPrefix.size());
  }
  return std::string(p);
}

std::string ImageRef::string() const {
  std::string out = repository();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

bool isImageId(std::string_view s) {
  constexpr std::string_view kPrefix = "sha256:";
  if (s.substr(0, kPrefix.size()) == kPrefix) s.remove_prefix(kPrefix.size());
  return isLowerHexString(s, kImageIdHexLength);
}

bool looksLikeImageId(std::string_view s) {
  constexpr std::size_t kShortIdLength = 12;
  return isImageId(s) ||
         (s.size() >= kShortIdLength && std::all_of(s.begin(), s.end(), isLowerHex));
}

Result<ImageRef> parseImageRef(std::string_view ref) {
  if (ref.empty()) return invalid(ref, "reference is empty");
  // Docker rejects a bare ID as a name; "sha256:<hex>" would otherwise parse as image "sha256"
  // with a 64-character tag, silently pulling the wrong thing.
  if (isImageId(ref)) return invalid(ref, "an image ID is not a reference");

  // '@' and ':' cannot occur in a path, so the digest is what follows the first '@' and the tag
  // what follows the last ':' after the last '/'; an earlier ':' is a registry port.
  std::string_view nameAndTag = ref;
  std::string_view digest;
  if (std::size_t at = ref.find('@'); at != std::string_view::npos) {
    nameAndTag = ref.substr(0, at);
    digest = ref.substr(at + 1);
    if (digest.empty()) return invalid(ref, "empty digest after '@'");
  }
  std::string_view name = nameAndTag;
  std::string_view tag;
  std::size_t colon = nameAndTag.rfind(':');
  std::size_t slash = nameAndTag.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    name = nameAndTag.substr(0, colon);
    tag = nameAndTag.substr(colon + 1);
    if (tag.empty()) return invalid(ref, "empty tag after ':'");
  }
  if (name.empty()) return invalid(ref, "repository name is empty");

  ImageRef out;
  splitDomain(name, out.domain, out.path);
  if (!isValidDomain(out.domain)) {
    return invalid(ref, "invalid registry host \"" + out.domain + "\"");
  }
  if (hasUpper(out.path)) return invalid(ref, "repository name must be lowercase");
  if (!isValidPath(out.path)) {
    return invalid(ref, "invalid repository name \"" + out.path +
                            "\": components must be lowercase letters and digits joined by "
                            "'.', '_', '__' or dashes, separated by single '/'");
  }
  if (out.repository().size() > kNameTotalLengthMax) {
    return invalid(
        ref, "repository name longer than " + std::to_string(kNameTotalLengthMax) + " characters");
  }
  if (!tag.empty() && !isValidTag(tag)) {
    if (tag.size() > kTagLengthMax) {
      return invalid(ref, "tag longer than " + std::to_string(kTagLengthMax) + " characters");
    }
    return invalid(ref, "invalid tag \"" + std::string(tag) +
                            "\": must be word characters, '.' or '-', not starting with '.' "
                            "or '-'");
  }
  if (!digest.empty()) {
    if (Status s = checkDigest(ref, digest); !s.isOk()) return s;
  }
  out.tag = tag;
  out.digest = digest;
  // Docker: a reference without tag or digest means ":latest"; a digest alone pins the image.
  if (out.tag.empty() && out.digest.empty()) out.tag = kDefaultTag;
  return out;
}

}  // namespace dockershim::translate
