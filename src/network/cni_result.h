#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"

namespace dockershim::network {

// What a CNI plugin prints on stdout after a successful ADD, read into one shape whatever the
// spec version. CNI SPEC "Result" (0.3.0–0.4.0) / "Section 5: Result Types" (1.0.0):
//   {"cniVersion":…, "interfaces":[{"name","mac","sandbox"}],
//    "ips":[{"version":"4"|"6" (0.3.x/0.4.0 only),"address":"<CIDR>","gateway","interface":N}],
//    "routes":[{"dst":"<CIDR>","gw"}], "dns":{"nameservers","domain","search","options"}}
// Results of spec 0.1.0/0.2.0 ({"ip4":{"ip","gateway","routes"},"ip6":{…},"dns"}) are read
// into the same shape the way libcni converts them: one ips entry per family, with no
// interface index, and their routes appended to `routes`.
struct CniInterface {
  std::string name;
  std::string mac;      // may be empty (spec: only where L2 addresses are meaningful)
  std::string sandbox;  // netns path for interfaces inside the container; empty on the host
  bool operator==(const CniInterface&) const = default;
};

struct CniIpConfig {
  std::string address;  // as the plugin wrote it, CIDR: "10.244.0.5/24", "fd00::5/64"
  std::string gateway;  // empty when absent
  // Index into CniResult::interfaces; absent in IPAM (abbreviated) and 0.2.0 results.
  std::optional<std::size_t> interfaceIndex;
  bool operator==(const CniIpConfig&) const = default;
};

struct CniRoute {
  std::string dst;  // CIDR
  std::string gw;   // empty when absent (the plugin's default gateway)
  bool operator==(const CniRoute&) const = default;
};

struct CniDns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool operator==(const CniDns&) const = default;
};

struct CniResult {
  std::string cniVersion;  // empty only for a 0.1.0-style result that printed none
  std::vector<CniInterface> interfaces;
  std::vector<CniIpConfig> ips;
  std::vector<CniRoute> routes;
  CniDns dns;
  bool operator==(const CniResult&) const = default;
};

// Reads a success result of spec 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0 or 1.1.0 (1.1.0 only
// adds fields, which are ignored like any unknown key). INVALID_ARGUMENT naming the problem when
// the text is not JSON, a field has the wrong type, a required field is missing (address,
// interface name, route dst), an address is not a valid IP / CIDR, an interface index is not an
// index into "interfaces", or the cniVersion is not one of the above. JSON null counts as
// absent, as in libcni's Go decoding. The "version" of 0.3.x/0.4.0 ips entries must be a string
// if present, but the address decides the family (libcni recomputes it the same way). Never
// throws.
Result<CniResult> parseCniResult(std::string_view stdoutText);

// The pod's addresses (without prefix length): every IPv4 address first, then every IPv6
// address, each group in result order, duplicates dropped, in canonical text (inet_ntop).
//
// Which ips count: those whose interface is inside the sandbox (the interface they index has a
// non-empty "sandbox") and those with no interface index at all. Host-side interfaces (the
// bridge, the veth's host end) are left out.
// Why this rule: containerd (go-cni createResult + sandbox_run selectPodIPs) files an ip
// without an index under CNI_IFNAME ("eth0") and otherwise under its interface's name, then
// uses only the ips of "eth0"; cri-o takes every ip of the result. With the bridge, ptp,
// macvlan and friends the container's interface is the one sandbox interface, so this rule
// matches containerd there, while not depending on the interface's name; unlike cri-o's it
// keeps an ip that a chained plugin reports on a host interface out of the pod's IPs.
// The kubelet keeps the first address of each family (sortPodIPs), so order matters: the first
// IPv4 becomes PodSandboxStatus.network.ip, as with containerd's default ip_pref "ipv4".
std::vector<std::string> podIps(const CniResult& result);

// The Status for a plugin that exited non-zero (CNI: "Errors must be indicated by a non-zero
// return code and the following JSON being printed to stdout":
// {"cniVersion","code","msg","details"}).
//   - stdout holds an error object → `plugin <type> failed (code N): <msg>: <details>` (empty
//     parts left out; when both are empty, stderr's text stands in);
//   - otherwise → `plugin <type> failed (exit status N): <stderr>`, or stdout's text when stderr
//     is empty, or "no error message"; a negative exitCode means killed by signal -exitCode.
// Texts are trimmed and cut at 4 KiB. The code follows cniErrorCode() for an error object and is
// UNKNOWN otherwise. Never OK, never throws.
Status parseCniError(std::string_view pluginType, std::string_view stdoutText, int exitCode,
                     std::string_view stderrText);

// The one mapping of CNI's well-known error codes (spec "Well-known Error Codes") to ours:
//   1 incompatible version, 2 unsupported field, 7 invalid network config → FAILED_PRECONDITION
//     (the node's CNI configuration does not fit the plugin);
//   3 container unknown → NOT_FOUND (spec: no cleanup needed);
//   4 invalid environment variables, 5 I/O failure, 6 decode failure → INTERNAL (what we sent
//     or how we ran the plugin is wrong);
//   11 try again later → UNAVAILABLE;
//   anything else (plugin-specific 100+, unassigned) → UNKNOWN.
Code cniErrorCode(uint64_t cniCode);

}  // namespace dockershim::network
