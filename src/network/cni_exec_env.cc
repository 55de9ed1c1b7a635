#include "network/cni_exec_env.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <string_view>
#include <utility>

namespace dockershim::network {
namespace {

constexpr std::array<std::string_view, 6> kCniKeys = {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
                                                      "CNI_ARGS",    "CNI_IFNAME",      "CNI_PATH"};
// Linux IFNAMSIZ is 16 with the NUL; the spec: "must be less than 16 characters".
constexpr std::size_t kMaxIfName = 15;

Status invalid(const std::string& why) { return errorStatus(Code::kInvalidArgument, why); }

bool hasNul(std::string_view value) { return value.find('\0') != std::string_view::npos; }

// A value for a message: a NUL would end the text early in logs and C strings.
std::string shown(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  return out;
}

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// CNI SPEC, CNI_CONTAINERID: "Must not be empty. Must start with an alphanumeric character,
// optionally followed by any combination of one or more alphanumeric characters, underscore
// (_), dot (.) or hyphen (-)."
Status validateContainerId(const std::string& id) {
  bool ok = !id.empty() && isAlnum(id.front());
  for (char c : id) ok = ok && (isAlnum(c) || c == '_' || c == '.' || c == '-');
  if (ok) return Status::ok();
  return invalid("CNI container id \"" + shown(id) + "\" is not alphanumeric with '_', '.' or '-'");
}

// CNI SPEC, interface name: "must comply with the standard Linux restrictions on interface
// names, must not be empty, must not be \".\" or \"..\", must be less than 16 characters and
// must not contain / or : or any whitespace characters."
Status validateIfName(const std::string& name) {
  bool ok = !name.empty() && name != "." && name != ".." && name.size() <= kMaxIfName;
  for (char c : name) {
    ok = ok && c != '/' && c != ':' && c != '\0' && c != ' ' && (c < '\t' || c > '\r');
  }
  if (ok) return Status::ok();
  return invalid("CNI interface name \"" + shown(name) + "\" is not a valid Linux interface name");
}

Status validateArgValue(std::string_view key, const std::string& value) {
  if (value.find_first_of(";=") == std::string::npos && !hasNul(value)) return Status::ok();
  return invalid("CNI_ARGS: " + std::string(key) + " \"" + shown(value) +
                 "\" holds ';', '=' or NUL, which CNI_ARGS cannot carry");
}

// CNI_PATH, or INVALID_ARGUMENT for a folder the list cannot carry.
Result<std::string> cniPath(const std::vector<std::string>& binDirs) {
  std::string path;
  for (const std::string& dir : binDirs) {
    if (dir.empty()) continue;
    if (dir.find(':') != std::string::npos || hasNul(dir)) {
      return invalid("CNI bin dir \"" + shown(dir) + "\" holds ':' (CNI_PATH's separator) or NUL");
    }
    if (!path.empty()) path += ':';
    path += dir;
  }
  return path;
}

std::string_view keyOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

bool isCniKey(std::string_view key) {
  for (std::string_view k : kCniKeys) {
    if (k == key) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

}  // namespace

Result<std::string> cniArgs(const CniInvocation& invocation) {
  try {
    const std::string& infra =
        invocation.infraContainerId.empty() ? invocation.containerId : invocation.infraContainerId;
    const std::pair<std::string_view, const std::string*> pairs[] = {
        {"K8S_POD_NAMESPACE", &invocation.pod.podNamespace},
        {"K8S_POD_NAME", &invocation.pod.name},
        {"K8S_POD_INFRA_CONTAINER_ID", &infra},
        {"K8S_POD_UID", &invocation.pod.uid},
    };
    std::string args = "IgnoreUnknown=1";
    for (const auto& [key, value] : pairs) {
      if (Status s = validateArgValue(key, *value); !s) return s;
      args += ';';
      args += key;
      args += '=';
      args += *value;
    }
    return args;
  } catch (const std::exception& e) {
    return errorStatus(Code::kInternal, std::string("CNI_ARGS: ") + e.what());
  }
}

Result<std::vector<std::string>> cniEnvironment(const CniInvocation& invocation,
                                                const std::vector<std::string>& inherited) {
  try {
    const std::string& command = invocation.command;
    if (command != "ADD" && command != "DEL" && command != "CHECK" && command != "VERSION") {
      return invalid("CNI command \"" + command + "\" is not ADD, DEL, CHECK or VERSION");
    }
    Result<std::string> path = cniPath(invocation.binDirs);
    if (!path) return path.status();

    std::string args;
    if (command != "VERSION") {
      if (Status s = validateContainerId(invocation.containerId); !s) return s;
      if (Status s = validateIfName(invocation.ifName); !s) return s;
      // Spec 1.0.0 lists CNI_NETNS as required for ADD and CHECK, optional for DEL: a DEL after
      // the sandbox's processes are gone still releases the IPAM allocation.
      if (invocation.netnsPath.empty() && command != "DEL") {
        return invalid("CNI " + command + " needs a network namespace path");
      }
      if (hasNul(invocation.netnsPath)) return invalid("CNI network namespace path holds NUL");
      Result<std::string> built = cniArgs(invocation);
      if (!built) return built.status();
      args = std::move(*built);
    }

    const bool version = command == "VERSION";
    std::vector<std::string> env;
    env.reserve(kCniKeys.size() + inherited.size());
    env.push_back("CNI_COMMAND=" + command);
    env.push_back("CNI_CONTAINERID=" + (version ? std::string() : invocation.containerId));
    env.push_back("CNI_NETNS=" + (version ? std::string() : invocation.netnsPath));
    env.push_back("CNI_ARGS=" + args);
    env.push_back("CNI_IFNAME=" + (version ? std::string() : invocation.ifName));
    env.push_back("CNI_PATH=" + *path);
    for (const std::string& entry : inherited) {
      if (!isCniKey(keyOf(entry))) env.push_back(entry);
    }
    return env;
  } catch (const std::exception& e) {
    return errorStatus(Code::kInternal, std::string("CNI environment: ") + e.what());
  }
}

Result<std::string> findPlugin(const std::string& type, const std::vector<std::string>& binDirs) {
  try {
    if (type.empty() || type == "." || type == ".." || type.find('/') != std::string::npos ||
        hasNul(type)) {
      return invalid("CNI plugin type \"" + shown(type) + "\" is not a file name");
    }
    std::vector<std::string> searched;
    std::vector<std::string> rejected;  // candidates that exist but do not qualify, and why
    for (const std::string& dir : binDirs) {
      if (dir.empty()) continue;
      searched.push_back(dir);
      std::string candidate = dir;
      if (candidate.back() != '/') candidate += '/';
      candidate += type;

      struct stat st {};
      if (::stat(candidate.c_str(), &st) != 0) {
        if (errno != ENOENT) rejected.push_back(candidate + ": " + std::strerror(errno));
        continue;
      }
      if (!S_ISREG(st.st_mode)) {
        rejected.push_back(candidate + ": not a regular file");
        continue;
      }
      // Effective ids, as execve checks them; also refuses a file on a noexec mount.
      if (::faccessat(AT_FDCWD, candidate.c_str(), X_OK, AT_EACCESS) != 0) {
        rejected.push_back(candidate + ": not executable");
        continue;
      }
      return candidate;
    }
    std::string message = "CNI plugin \"" + type + "\" not found in " +
                          (searched.empty() ? std::string("(no folders)") : joined(searched, ", "));
    if (!rejected.empty()) message += " (" + joined(rejected, "; ") + ")";
    return errorStatus(Code::kNotFound, std::move(message));
  } catch (const std::exception& e) {
    return errorStatus(Code::kInternal, "find CNI plugin \"" + type + "\": " + e.what());
  }
}

std::vector<std::string> defaultCniBinDirs() { return {"/opt/cni/bin", "/usr/lib/cni"}; }

}  // namespace dockershim::network
