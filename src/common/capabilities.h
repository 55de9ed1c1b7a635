#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dockershim::common {

inline constexpr int kCapSysResource = 24;

// Linux capability names without "CAP_" (include/uapi/linux/capability.h): index = bit in the
// capability sets, four to a row (row n holds bits 4n .. 4n+3).
// clang-format off
inline constexpr std::array<std::string_view, 41> kCapabilityNames = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",
    "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE",
    "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
};
// clang-format on

// The capability bounding set of this process (CapBnd in /proc/self/status): what containers
// started through this host can at most be granted. All bits when it cannot be read.
uint64_t boundingCapabilities();
// Parses the hex value of a "CapBnd:" line out of /proc/<pid>/status text.
uint64_t parseCapBnd(const std::string& statusText);
// The named capabilities whose bits are clear in `set` ("SYS_RESOURCE, PERFMON"); "" if none.
std::string missingCapabilities(uint64_t set);

}  // namespace dockershim::common
