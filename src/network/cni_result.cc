#include "network/cni_result.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <exception>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace dockershim::network {
namespace {

using Json = nlohmann::json;

// A result names a handful of interfaces and addresses; anything near this size is not one, and
// the text ends up in error messages and logs.
constexpr std::size_t kMaxResultBytes = 1 << 20;
constexpr std::size_t kMaxDiagnosticBytes = 4096;
constexpr std::size_t kMaxQuotedValue = 100;

// ---- addresses ----

struct IpAddress {
  int family = AF_UNSPEC;
  std::array<unsigned char, 16> bytes{};
};

std::optional<IpAddress> parseIp(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);  // inet_pton wants a NUL-terminated string
  IpAddress ip;
  if (::inet_pton(AF_INET, copy.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (::inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

// "<ip>/<prefix>" with a prefix that fits the family (Go's net.ParseCIDR, which libcni uses).
std::optional<IpAddress> parseCidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<IpAddress> ip = parseIp(text.substr(0, slash));
  const std::string_view prefix = text.substr(slash + 1);
  if (!ip || prefix.empty() || prefix.size() > 3) return std::nullopt;
  int bits = 0;
  for (char c : prefix) {
    if (c < '0' || c > '9') return std::nullopt;
    bits = bits * 10 + (c - '0');
  }
  if (bits > (ip->family == AF_INET ? 32 : 128)) return std::nullopt;
  return ip;
}

std::string canonical(const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(ip.family, ip.bytes.data(), buf, sizeof buf) == nullptr) return {};
  return buf;
}

// ---- decoding ----

Status invalid(const std::string& why) {
  return errorStatus(Code::kInvalidArgument, "CNI result: " + why);
}

std::string shown(std::string_view value) {
  if (value.size() > kMaxQuotedValue)
    return "\"" + std::string(value.substr(0, kMaxQuotedValue)) + "...\"";
  return "\"" + std::string(value) + "\"";
}

// The field, or null when absent or JSON null (Go leaves the zero value for both).
const Json* field(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string member(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

std::string element(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

Status readString(const Json& obj, const char* key, const std::string& path, std::string* out) {
  const Json* v = field(obj, key);
  if (v == nullptr) return Status::ok();
  if (!v->is_string()) return invalid("\"" + member(path, key) + "\" is not a string");
  *out = v->get<std::string>();
  return Status::ok();
}

Status readRequiredString(const Json& obj, const char* key, const std::string& path,
                          std::string* out) {
  if (Status s = readString(obj, key, path, out); !s) return s;
  if (out->empty()) return invalid("\"" + member(path, key) + "\" is missing");
  return Status::ok();
}

Status readStringList(const Json& obj, const char* key, const std::string& path,
                      std::vector<std::string>* out) {
  const Json* v = field(obj, key);
  if (v == nullptr) return Status::ok();
  const std::string where = member(path, key);
  if (!v->is_array()) return invalid("\"" + where + "\" is not an array");
  for (std::size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    if (!item.is_string()) return invalid("\"" + element(where, i) + "\" is not a string");
    out->push_back(item.get<std::string>());
  }
  return Status::ok();
}

// The array at `key` (absent or null: none), each element required to be an object.
Result<const Json*> readObjectArray(const Json& obj, const char* key, const std::string& path) {
  static const Json kEmpty = Json::array();
  const Json* v = field(obj, key);
  if (v == nullptr) return &kEmpty;
  const std::string where = member(path, key);
  if (!v->is_array()) return invalid("\"" + where + "\" is not an array");
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_object()) return invalid("\"" + element(where, i) + "\" is not an object");
  }
  return v;
}

Status readCidr(const Json& obj, const char* key, const std::string& path, std::string* out) {
  if (Status s = readRequiredString(obj, key, path, out); !s) return s;
  if (!parseCidr(*out)) {
    return invalid("\"" + member(path, key) +
                   "\" is not an IP address in CIDR form: " + shown(*out));
  }
  return Status::ok();
}

Status readOptionalIp(const Json& obj, const char* key, const std::string& path, std::string* out) {
  if (Status s = readString(obj, key, path, out); !s) return s;
  if (!out->empty() && !parseIp(*out)) {
    return invalid("\"" + member(path, key) + "\" is not an IP address: " + shown(*out));
  }
  return Status::ok();
}

Status readRoutes(const Json& obj, const char* key, const std::string& path,
                  std::vector<CniRoute>* out) {
  Result<const Json*> list = readObjectArray(obj, key, path);
  if (!list) return list.status();
  const std::string where = member(path, key);
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    const Json& item = (**list)[i];
    const std::string at = element(where, i);
    CniRoute route;
    if (Status s = readCidr(item, "dst", at, &route.dst); !s) return s;
    if (Status s = readOptionalIp(item, "gw", at, &route.gw); !s) return s;
    out->push_back(std::move(route));
  }
  return Status::ok();
}

Status readDns(const Json& root, CniDns* dns) {
  const Json* v = field(root, "dns");
  if (v == nullptr) return Status::ok();
  if (!v->is_object()) return invalid("\"dns\" is not an object");
  if (Status s = readStringList(*v, "nameservers", "dns", &dns->nameservers); !s) return s;
  if (Status s = readString(*v, "domain", "dns", &dns->domain); !s) return s;
  if (Status s = readStringList(*v, "search", "dns", &dns->search); !s) return s;
  return readStringList(*v, "options", "dns", &dns->options);
}

// 0.3.0 and later: interfaces, ips with interface indexes, routes.
Status readRich(const Json& root, CniResult* out) {
  Result<const Json*> interfaces = readObjectArray(root, "interfaces", "");
  if (!interfaces) return interfaces.status();
  for (std::size_t i = 0; i < (*interfaces)->size(); ++i) {
    const Json& item = (**interfaces)[i];
    const std::string at = element("interfaces", i);
    CniInterface intf;
    if (Status s = readRequiredString(item, "name", at, &intf.name); !s) return s;
    if (Status s = readString(item, "mac", at, &intf.mac); !s) return s;
    if (Status s = readString(item, "sandbox", at, &intf.sandbox); !s) return s;
    out->interfaces.push_back(std::move(intf));
  }

  Result<const Json*> ips = readObjectArray(root, "ips", "");
  if (!ips) return ips.status();
  for (std::size_t i = 0; i < (*ips)->size(); ++i) {
    const Json& item = (**ips)[i];
    const std::string at = element("ips", i);
    CniIpConfig ip;
    // 0.3.x/0.4.0 "version": type-checked only; the address is the truth (1.0.0 dropped it).
    std::string version;
    if (Status s = readString(item, "version", at, &version); !s) return s;
    if (Status s = readCidr(item, "address", at, &ip.address); !s) return s;
    if (Status s = readOptionalIp(item, "gateway", at, &ip.gateway); !s) return s;
    if (const Json* index = field(item, "interface"); index != nullptr) {
      // Spec: "interface" (uint). Floats, negatives and numbers past uint64 (which the parser
      // turns into floats) are refused, as Go's decoder refuses them for an int.
      if (!index->is_number_unsigned()) {
        return invalid("\"" + at + ".interface\" is not a non-negative integer");
      }
      const auto value = index->get<uint64_t>();
      if (value >= out->interfaces.size()) {
        return invalid("\"" + at + ".interface\" is " + std::to_string(value) + " but there are " +
                       std::to_string(out->interfaces.size()) + " interfaces");
      }
      ip.interfaceIndex = static_cast<std::size_t>(value);
    }
    out->ips.push_back(std::move(ip));
  }

  if (Status s = readRoutes(root, "routes", "", &out->routes); !s) return s;
  return readDns(root, &out->dns);
}

// 0.1.0/0.2.0: {"ip4":{"ip","gateway","routes"},"ip6":{…},"dns"}, converted as libcni does.
Status readLegacy(const Json& root, CniResult* out) {
  for (const char* key : {"ip4", "ip6"}) {
    const Json* v = field(root, key);
    if (v == nullptr) continue;
    if (!v->is_object()) return invalid(std::string("\"") + key + "\" is not an object");
    CniIpConfig ip;
    if (Status s = readCidr(*v, "ip", key, &ip.address); !s) return s;
    if (Status s = readOptionalIp(*v, "gateway", key, &ip.gateway); !s) return s;
    if (Status s = readRoutes(*v, "routes", key, &out->routes); !s) return s;
    out->ips.push_back(std::move(ip));
  }
  return readDns(root, &out->dns);
}

enum class Layout { kLegacy, kRich };

std::optional<Layout> layoutOf(std::string_view version) {
  if (version == "0.1.0" || version == "0.2.0") return Layout::kLegacy;
  // 1.1.0 changed no field of the success result that we read; it only added some.
  if (version == "0.3.0" || version == "0.3.1" || version == "0.4.0" || version == "1.0.0" ||
      version == "1.1.0") {
    return Layout::kRich;
  }
  return std::nullopt;
}

// ---- errors ----

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const auto begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

// Trimmed and cut at kMaxDiagnosticBytes, never inside a UTF-8 sequence.
std::string diagnostic(std::string_view text) {
  text = trim(text);
  if (text.size() <= kMaxDiagnosticBytes) return std::string(text);
  std::size_t cut = kMaxDiagnosticBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

struct CniError {
  uint64_t code = 0;
  std::string msg;
  std::string details;
};

// The error object of the spec, or nothing when stdout is something else. Like libcni (Go's
// uint "code", string "msg"/"details"), a field of another type means it is not one.
std::optional<CniError> readErrorObject(std::string_view stdoutText) {
  if (stdoutText.size() > kMaxResultBytes) return std::nullopt;
  const Json root = Json::parse(stdoutText, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return std::nullopt;  // discarded (not JSON) included
  const Json* code = field(root, "code");
  if (code == nullptr || !code->is_number_unsigned()) return std::nullopt;
  CniError err;
  err.code = code->get<uint64_t>();
  for (auto [key, out] : {std::pair{"msg", &err.msg}, std::pair{"details", &err.details}}) {
    const Json* v = field(root, key);
    if (v == nullptr) continue;
    if (!v->is_string()) return std::nullopt;
    *out = v->get<std::string>();
  }
  return err;
}

}  // namespace

// Whether arrays/objects nest deeper than `limit` (strings skipped): a result is stored and
// written out again, and JSON output recurses once per level.
static bool nestsDeeperThan(std::string_view text, int limit) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

Result<CniResult> parseCniResult(std::string_view stdoutText) {
  try {
    if (stdoutText.size() > kMaxResultBytes) {
      return invalid("larger than " + std::to_string(kMaxResultBytes) + " bytes");
    }
    if (nestsDeeperThan(stdoutText, 64)) return invalid("nested deeper than 64 levels");
    const Json root = Json::parse(stdoutText, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return invalid("not JSON");
    if (!root.is_object()) return invalid("not a JSON object");

    CniResult out;
    if (Status s = readString(root, "cniVersion", "", &out.cniVersion); !s) return s;
    std::optional<Layout> layout;
    if (!out.cniVersion.empty()) {
      layout = layoutOf(out.cniVersion);
      if (!layout) {
        return invalid("unsupported cniVersion " + shown(out.cniVersion) +
                       " (supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)");
      }
    } else if (field(root, "ip4") != nullptr || field(root, "ip6") != nullptr) {
      // compat: plugins of spec 0.1.0 could print their result without a version.
      layout = Layout::kLegacy;
    } else {
      return invalid("\"cniVersion\" is missing");
    }

    const Status s = *layout == Layout::kLegacy ? readLegacy(root, &out) : readRich(root, &out);
    if (!s) return s;
    return out;
  } catch (const std::exception& e) {
    return errorStatus(Code::kInternal, std::string("CNI result: ") + e.what());
  }
}

std::vector<std::string> podIps(const CniResult& result) {
  std::vector<std::string> v4;
  std::vector<std::string> v6;
  std::set<std::string> seen;
  for (const CniIpConfig& ip : result.ips) {
    if (ip.interfaceIndex) {
      const std::size_t index = *ip.interfaceIndex;
      if (index >= result.interfaces.size() || result.interfaces[index].sandbox.empty()) continue;
    }
    const std::optional<IpAddress> parsed = parseCidr(ip.address);
    if (!parsed) continue;  // a hand-built result; parseCniResult lets none through
    std::string text = canonical(*parsed);
    if (text.empty() || !seen.insert(text).second) continue;
    (parsed->family == AF_INET ? v4 : v6).push_back(std::move(text));
  }
  v4.insert(v4.end(), std::make_move_iterator(v6.begin()), std::make_move_iterator(v6.end()));
  return v4;
}

Code cniErrorCode(uint64_t cniCode) {
  switch (cniCode) {
    case 1:  // incompatible CNI version
    case 2:  // unsupported field in network configuration
    case 7:  // invalid network config
      return Code::kFailedPrecondition;
    case 3:  // container unknown or does not exist
      return Code::kNotFound;
    case 4:  // invalid necessary environment variables
    case 5:  // I/O failure
    case 6:  // failed to decode content
      return Code::kInternal;
    case 11:  // try again later
      return Code::kUnavailable;
    default:
      return Code::kUnknown;
  }
}

Status parseCniError(std::string_view pluginType, std::string_view stdoutText, int exitCode,
                     std::string_view stderrText) {
  try {
    const std::string failed = "plugin " + std::string(pluginType) + " failed";
    if (std::optional<CniError> err = readErrorObject(stdoutText)) {
      std::string text = diagnostic(err->msg);
      const std::string details = diagnostic(err->details);
      if (!details.empty()) text += text.empty() ? details : ": " + details;
      if (text.empty()) text = diagnostic(stderrText);
      std::string message = failed + " (code " + std::to_string(err->code) + ")";
      if (!text.empty()) message += ": " + text;
      return errorStatus(cniErrorCode(err->code), std::move(message));
    }

    const std::string how = exitCode < 0 ? "killed by signal " + std::to_string(-exitCode)
                                         : "exit status " + std::to_string(exitCode);
    std::string text = diagnostic(stderrText);
    if (text.empty()) text = diagnostic(stdoutText);
    if (text.empty()) text = "no error message";
    return errorStatus(Code::kUnknown, failed + " (" + how + "): " + text);
  } catch (const std::exception& e) {
    return errorStatus(Code::kUnknown,
                       "plugin " + std::string(pluginType) + " failed: " + e.what());
  }
}

}  // namespace dockershim::network
