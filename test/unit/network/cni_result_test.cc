#include "network/cni_result.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dockershim::network {
namespace {

// The outputs below are real: Debian's containernetworking-plugins 1.1.1 `bridge` with
// `host-local` IPAM (ranges 10.244.0.0/24 and fd00:10:244::/64, isGateway, isDefaultGateway),
// run for each cniVersion in private network namespaces, the pod's being /proc/<pid>/ns/net as
// dockershim passes it.
constexpr const char* kBridge031 = R"({
    "cniVersion": "0.3.1",
    "interfaces": [
        {
            "name": "cni0",
            "mac": "42:2a:e2:0d:5f:2e"
        },
        {
            "name": "veth71637de0",
            "mac": "c2:c1:94:6a:5f:3f"
        },
        {
            "name": "eth0",
            "mac": "d6:c1:d9:b1:8d:28",
            "sandbox": "/proc/4090/ns/net"
        }
    ],
    "ips": [
        {
            "version": "4",
            "interface": 2,
            "address": "10.244.0.3/24",
            "gateway": "10.244.0.1"
        },
        {
            "version": "6",
            "interface": 2,
            "address": "fd00:10:244::2/64",
            "gateway": "fd00:10:244::1"
        }
    ],
    "routes": [
        {
            "dst": "0.0.0.0/0",
            "gw": "10.244.0.1"
        },
        {
            "dst": "::/0",
            "gw": "fd00:10:244::1"
        }
    ],
    "dns": {}
})";

constexpr const char* kBridge040 = R"({
    "cniVersion": "0.4.0",
    "interfaces": [
        {
            "name": "cni0",
            "mac": "42:2a:e2:0d:5f:2e"
        },
        {
            "name": "veth1f96e70b",
            "mac": "b6:49:7a:f1:ab:f4"
        },
        {
            "name": "eth0",
            "mac": "72:49:5f:75:48:7b",
            "sandbox": "/proc/4107/ns/net"
        }
    ],
    "ips": [
        {
            "version": "4",
            "interface": 2,
            "address": "10.244.0.4/24",
            "gateway": "10.244.0.1"
        },
        {
            "version": "6",
            "interface": 2,
            "address": "fd00:10:244::3/64",
            "gateway": "fd00:10:244::1"
        }
    ],
    "routes": [
        {
            "dst": "0.0.0.0/0",
            "gw": "10.244.0.1"
        },
        {
            "dst": "::/0",
            "gw": "fd00:10:244::1"
        }
    ],
    "dns": {}
})";

// 1.0.0 dropped "version" from ips.
constexpr const char* kBridge100 = R"({
    "cniVersion": "1.0.0",
    "interfaces": [
        {
            "name": "cni0",
            "mac": "42:2a:e2:0d:5f:2e"
        },
        {
            "name": "veth1ab4ab9a",
            "mac": "f2:05:a8:29:4d:c2"
        },
        {
            "name": "eth0",
            "mac": "36:b7:50:65:10:35",
            "sandbox": "/proc/4124/ns/net"
        }
    ],
    "ips": [
        {
            "interface": 2,
            "address": "10.244.0.5/24",
            "gateway": "10.244.0.1"
        },
        {
            "interface": 2,
            "address": "fd00:10:244::4/64",
            "gateway": "fd00:10:244::1"
        }
    ],
    "routes": [
        {
            "dst": "0.0.0.0/0",
            "gw": "10.244.0.1"
        },
        {
            "dst": "::/0",
            "gw": "fd00:10:244::1"
        }
    ],
    "dns": {}
})";

// The same plugin asked for 0.2.0 (IPv4 range only: 0.2.0 has one address per family).
constexpr const char* kBridge020 = R"({
    "cniVersion": "0.2.0",
    "ip4": {
        "ip": "10.244.0.2/24",
        "gateway": "10.244.0.1",
        "routes": [
            {
                "dst": "0.0.0.0/0",
                "gw": "10.244.0.1"
            }
        ]
    },
    "dns": {}
})";

std::vector<CniInterface> bridgeInterfaces(const std::string& veth, const std::string& vethMac,
                                           const std::string& eth0Mac, const std::string& netns) {
  return {{"cni0", "42:2a:e2:0d:5f:2e", ""}, {veth, vethMac, ""}, {"eth0", eth0Mac, netns}};
}

std::vector<CniRoute> dualStackDefaultRoutes() {
  return {{"0.0.0.0/0", "10.244.0.1"}, {"::/0", "fd00:10:244::1"}};
}

CniResult parseOk(const std::string& text) {
  CAPTURE(text);
  Result<CniResult> parsed = parseCniResult(text);
  INFO(parsed.status().toString());
  REQUIRE(parsed.isOk());
  return *parsed;
}

TEST_CASE("parseCniResult reads the bridge plugin's 0.3.1 result", "[cni]") {
  CniResult expected;
  expected.cniVersion = "0.3.1";
  expected.interfaces = bridgeInterfaces("veth71637de0", "c2:c1:94:6a:5f:3f", "d6:c1:d9:b1:8d:28",
                                         "/proc/4090/ns/net");
  expected.ips = {{"10.244.0.3/24", "10.244.0.1", 2}, {"fd00:10:244::2/64", "fd00:10:244::1", 2}};
  expected.routes = dualStackDefaultRoutes();

  const CniResult result = parseOk(kBridge031);
  CHECK(result == expected);
  CHECK(podIps(result) == std::vector<std::string>{"10.244.0.3", "fd00:10:244::2"});
}

TEST_CASE("parseCniResult reads the bridge plugin's 0.4.0 result", "[cni]") {
  CniResult expected;
  expected.cniVersion = "0.4.0";
  expected.interfaces = bridgeInterfaces("veth1f96e70b", "b6:49:7a:f1:ab:f4", "72:49:5f:75:48:7b",
                                         "/proc/4107/ns/net");
  expected.ips = {{"10.244.0.4/24", "10.244.0.1", 2}, {"fd00:10:244::3/64", "fd00:10:244::1", 2}};
  expected.routes = dualStackDefaultRoutes();

  const CniResult result = parseOk(kBridge040);
  CHECK(result == expected);
  CHECK(podIps(result) == std::vector<std::string>{"10.244.0.4", "fd00:10:244::3"});
}

TEST_CASE("parseCniResult reads the bridge plugin's 1.0.0 result, ips without version", "[cni]") {
  CniResult expected;
  expected.cniVersion = "1.0.0";
  expected.interfaces = bridgeInterfaces("veth1ab4ab9a", "f2:05:a8:29:4d:c2", "36:b7:50:65:10:35",
                                         "/proc/4124/ns/net");
  expected.ips = {{"10.244.0.5/24", "10.244.0.1", 2}, {"fd00:10:244::4/64", "fd00:10:244::1", 2}};
  expected.routes = dualStackDefaultRoutes();

  const CniResult result = parseOk(kBridge100);
  CHECK(result == expected);
  CHECK(podIps(result) == std::vector<std::string>{"10.244.0.5", "fd00:10:244::4"});
}

TEST_CASE("parseCniResult reads 0.2.0 and 0.1.0 results as libcni converts them", "[cni]") {
  SECTION("the bridge plugin's 0.2.0 result") {
    CniResult expected;
    expected.cniVersion = "0.2.0";
    expected.ips = {{"10.244.0.2/24", "10.244.0.1", std::nullopt}};
    expected.routes = {{"0.0.0.0/0", "10.244.0.1"}};
    const CniResult result = parseOk(kBridge020);
    CHECK(result == expected);
    CHECK(podIps(result) == std::vector<std::string>{"10.244.0.2"});
  }
  SECTION("dual stack: one entry per family, routes of both appended, ip6 listed second") {
    const CniResult result = parseOk(R"({"cniVersion":"0.2.0",
        "ip6":{"ip":"fd00::9/64","gateway":"fd00::1","routes":[{"dst":"::/0"}]},
        "ip4":{"ip":"10.1.0.9/16","routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"}]},
        "dns":{"nameservers":["10.1.0.10"],"search":["svc.cluster.local"]}})");
    CHECK(result.ips == std::vector<CniIpConfig>{{"10.1.0.9/16", "", std::nullopt},
                                                 {"fd00::9/64", "fd00::1", std::nullopt}});
    CHECK(result.routes == std::vector<CniRoute>{{"0.0.0.0/0", "10.1.0.1"}, {"::/0", ""}});
    CHECK(result.dns.nameservers == std::vector<std::string>{"10.1.0.10"});
    CHECK(result.dns.search == std::vector<std::string>{"svc.cluster.local"});
    CHECK(podIps(result) == std::vector<std::string>{"10.1.0.9", "fd00::9"});
  }
  SECTION("compat: a 0.1.0 plugin that prints no cniVersion (kubelet's own test plugin)") {
    const CniResult result = parseOk(R"({ "ip4": { "ip": "10.1.0.23/24" } })");
    CHECK(result.cniVersion.empty());
    CHECK(podIps(result) == std::vector<std::string>{"10.1.0.23"});
  }
  SECTION("0.1.0 ignores the rich fields") {
    const CniResult result =
        parseOk(R"({"cniVersion":"0.1.0","ip4":{"ip":"10.0.0.2/8"},"ips":"ignored"})");
    CHECK(result.ips.size() == 1);
  }
}

TEST_CASE("parseCniResult reads every DNS field", "[cni]") {
  const CniResult result = parseOk(R"({"cniVersion":"1.0.0","dns":{
      "nameservers":["10.96.0.10","fd00::a"],"domain":"cluster.local",
      "search":["default.svc.cluster.local","svc.cluster.local"],"options":["ndots:5"]}})");
  CHECK(result.dns == CniDns{{"10.96.0.10", "fd00::a"},
                             "cluster.local",
                             {"default.svc.cluster.local", "svc.cluster.local"},
                             {"ndots:5"}});
}

TEST_CASE("parseCniResult ignores fields it does not know (1.1.0 adds some)", "[cni]") {
  const CniResult result = parseOk(R"({"cniVersion":"1.1.0",
      "interfaces":[{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff","mtu":1450,"sandbox":"/proc/7/ns/net",
                     "socketPath":"/run/x.sock","pciID":"0000:00:1f.6"}],
      "ips":[{"interface":0,"address":"10.0.0.7/24"}],
      "routes":[{"dst":"10.96.0.0/12","mtu":1400,"advmss":1360,"priority":10,"table":100,
                 "scope":253}],
      "extra":{"nested":[1,2,{"deep":null}]}})");
  CHECK(result.interfaces ==
        std::vector<CniInterface>{{"eth0", "aa:bb:cc:dd:ee:ff", "/proc/7/ns/net"}});
  CHECK(result.routes == std::vector<CniRoute>{{"10.96.0.0/12", ""}});
  CHECK(podIps(result) == std::vector<std::string>{"10.0.0.7"});
}

TEST_CASE("parseCniResult treats JSON null as absent, as Go does", "[cni]") {
  const CniResult result = parseOk(R"({"cniVersion":"1.0.0","interfaces":null,
      "ips":[{"address":"10.0.0.5/24","gateway":null,"interface":null,"version":null}],
      "routes":null,"dns":null})");
  CHECK(result.ips == std::vector<CniIpConfig>{{"10.0.0.5/24", "", std::nullopt}});
  CHECK(podIps(result) == std::vector<std::string>{"10.0.0.5"});
}

TEST_CASE("parseCniResult accepts an IPAM plugin's abbreviated result", "[cni]") {
  // Spec: IPAM plugins return no "interfaces" and no "interface" index.
  const CniResult result = parseOk(R"({"cniVersion":"1.0.0",
      "ips":[{"address":"10.1.0.5/16","gateway":"10.1.0.1"}],
      "routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.1.0.1"]}})");
  CHECK(result.interfaces.empty());
  CHECK(podIps(result) == std::vector<std::string>{"10.1.0.5"});
}

TEST_CASE("parseCniResult accepts a result with no addresses at all", "[cni]") {
  const CniResult result = parseOk(R"({"cniVersion":"0.4.0"})");
  CHECK(result == CniResult{"0.4.0", {}, {}, {}, {}});
  CHECK(podIps(result).empty());
}

TEST_CASE("podIps keeps only addresses inside the sandbox, IPv4 first", "[cni]") {
  SECTION("host-side interfaces (bridge, veth) carry addresses a chained plugin reported") {
    const CniResult result = parseOk(R"({"cniVersion":"1.0.0",
        "interfaces":[{"name":"cni0","mac":"42:2a:e2:0d:5f:2e"},
                      {"name":"veth1ab4ab9a","mac":"f2:05:a8:29:4d:c2"},
                      {"name":"eth0","mac":"36:b7:50:65:10:35","sandbox":"/proc/4124/ns/net"}],
        "ips":[{"interface":0,"address":"10.244.0.1/24"},
               {"interface":2,"address":"fd00:10:244::4/64","gateway":"fd00:10:244::1"},
               {"interface":1,"address":"169.254.1.1/32"},
               {"interface":2,"address":"10.244.0.5/24","gateway":"10.244.0.1"}]})");
    CHECK(podIps(result) == std::vector<std::string>{"10.244.0.5", "fd00:10:244::4"});
  }
  SECTION("several sandbox interfaces all count, and so do ips without an index") {
    const CniResult result = parseOk(R"({"cniVersion":"0.3.1",
        "interfaces":[{"name":"eth0","sandbox":"/proc/9/ns/net"},
                      {"name":"net1","sandbox":"/proc/9/ns/net"},
                      {"name":"vethhost"}],
        "ips":[{"version":"6","interface":1,"address":"fd01::2/64"},
               {"version":"4","interface":1,"address":"192.168.5.2/24"},
               {"version":"4","address":"10.0.0.2/24"},
               {"version":"4","interface":2,"address":"172.16.0.1/32"},
               {"version":"4","interface":0,"address":"10.1.0.2/24"}]})");
    CHECK(podIps(result) ==
          std::vector<std::string>{"192.168.5.2", "10.0.0.2", "10.1.0.2", "fd01::2"});
  }
  SECTION("canonical text, duplicates dropped, the version field not trusted") {
    const CniResult result = parseOk(R"({"cniVersion":"0.3.0",
        "interfaces":[{"name":"eth0","sandbox":"/proc/9/ns/net"}],
        "ips":[{"version":"4","interface":0,"address":"FD00:0010:0244:0000::0005/64"},
               {"version":"6","interface":0,"address":"10.244.0.5/24"},
               {"version":"6","interface":0,"address":"fd00:10:244::5/120"}]})");
    CHECK(podIps(result) == std::vector<std::string>{"10.244.0.5", "fd00:10:244::5"});
  }
  SECTION("no sandbox interface: no pod IP") {
    const CniResult result = parseOk(R"({"cniVersion":"1.0.0",
        "interfaces":[{"name":"cni0"}],"ips":[{"interface":0,"address":"10.244.0.1/24"}]})");
    CHECK(podIps(result).empty());
  }
  SECTION("a hand-built result with a bad index or address loses only those entries") {
    CniResult result;
    result.interfaces = {{"eth0", "", "/proc/1/ns/net"}};
    result.ips = {{"10.0.0.9/24", "", 5}, {"garbage", "", 0}, {"10.0.0.8/24", "", 0}};
    CHECK(podIps(result) == std::vector<std::string>{"10.0.0.8"});
  }
}

struct BadCase {
  std::string text;
  std::string why;  // a part of the message
};

TEST_CASE("parseCniResult refuses malformed results with INVALID_ARGUMENT naming the problem",
          "[cni]") {
  auto v1 = [](const std::string& fields) { return R"({"cniVersion":"1.0.0",)" + fields + "}"; };
  const std::string eth0 = R"("interfaces":[{"name":"eth0","sandbox":"/proc/1/ns/net"}],)";
  const std::vector<BadCase> cases = {
      // Not a result at all.
      {"", "not JSON"},
      {"Error: netplugin exploded", "not JSON"},
      {R"({"cniVersion":"1.0.0"} trailing)", "not JSON"},
      {R"({"cniVersion":"1.0.0"}{"cniVersion":"1.0.0"})", "not JSON"},
      {R"({"cniVersion":"1.0.0",)", "not JSON"},
      {"[]", "not a JSON object"},
      {"\"1.0.0\"", "not a JSON object"},
      {"null", "not a JSON object"},
      // Version.
      {"{}", "\"cniVersion\" is missing"},
      {R"({"ips":[{"address":"10.0.0.1/8"}]})", "\"cniVersion\" is missing"},
      {R"({"cniVersion":1.0})", "\"cniVersion\" is not a string"},
      {R"({"cniVersion":"0.5.0"})", "unsupported cniVersion \"0.5.0\""},
      {R"({"cniVersion":"2.0.0"})", "unsupported cniVersion \"2.0.0\""},
      {R"({"cniVersion":"v1.0.0"})", "unsupported cniVersion"},
      // Interfaces.
      {v1(R"("interfaces":{"name":"eth0"})"), "\"interfaces\" is not an array"},
      {v1(R"("interfaces":[null])"), "\"interfaces[0]\" is not an object"},
      {v1(R"("interfaces":[{"name":"a"},"eth0"])"), "\"interfaces[1]\" is not an object"},
      {v1(R"("interfaces":[{"mac":"aa:bb:cc:dd:ee:ff"}])"), "\"interfaces[0].name\" is missing"},
      {v1(R"("interfaces":[{"name":""}])"), "\"interfaces[0].name\" is missing"},
      {v1(R"("interfaces":[{"name":7}])"), "\"interfaces[0].name\" is not a string"},
      {v1(R"("interfaces":[{"name":"eth0","mac":123}])"), "\"interfaces[0].mac\" is not a string"},
      {v1(R"("interfaces":[{"name":"eth0","sandbox":true}])"),
       "\"interfaces[0].sandbox\" is not a string"},
      // Addresses.
      {v1(R"("ips":{"address":"10.0.0.5/24"})"), "\"ips\" is not an array"},
      {v1(R"("ips":[{"gateway":"10.0.0.1"}])"), "\"ips[0].address\" is missing"},
      {v1(R"("ips":[{"address":167772165}])"), "\"ips[0].address\" is not a string"},
      {v1(R"("ips":[{"address":"10.0.0.5"}])"), "\"ips[0].address\" is not an IP address in CIDR"},
      {v1(R"("ips":[{"address":"10.0.0.5/33"}])"),
       "not an IP address in CIDR form: \"10.0.0.5/33\""},
      {v1(R"("ips":[{"address":"fd00::5/129"}])"), "not an IP address in CIDR"},
      {v1(R"("ips":[{"address":"10.0.0.256/24"}])"), "not an IP address in CIDR"},
      {v1(R"("ips":[{"address":"10.0.0.5/"}])"), "not an IP address in CIDR"},
      {v1(R"("ips":[{"address":"10.0.0.5/-1"}])"), "not an IP address in CIDR"},
      {v1(R"("ips":[{"address":"10.0.0.5/24/1"}])"), "not an IP address in CIDR"},
      {v1(R"("ips":[{"address":"eth0/24"}])"), "not an IP address in CIDR"},
      {v1(R"("ips":[{"address":"10.0.0.5/24","gateway":"10.0.0.1/24"}])"),
       "\"ips[0].gateway\" is not an IP address: \"10.0.0.1/24\""},
      {v1(R"("ips":[{"address":"10.0.0.5/24","gateway":["10.0.0.1"]}])"),
       "\"ips[0].gateway\" is not a string"},
      {v1(R"("ips":[{"version":4,"address":"10.0.0.5/24"}])"),
       "\"ips[0].version\" is not a string"},
      // Interface indexes: wrong type, negative, fractional, huge, out of range.
      {v1(eth0 + R"("ips":[{"interface":"0","address":"10.0.0.5/24"}])"),
       "\"ips[0].interface\" is not a non-negative integer"},
      {v1(eth0 + R"("ips":[{"interface":-1,"address":"10.0.0.5/24"}])"),
       "\"ips[0].interface\" is not a non-negative integer"},
      {v1(eth0 + R"("ips":[{"interface":0.5,"address":"10.0.0.5/24"}])"),
       "\"ips[0].interface\" is not a non-negative integer"},
      {v1(eth0 + R"("ips":[{"interface":0.0,"address":"10.0.0.5/24"}])"),
       "\"ips[0].interface\" is not a non-negative integer"},
      {v1(eth0 + R"("ips":[{"interface":18446744073709551616,"address":"10.0.0.5/24"}])"),
       "\"ips[0].interface\" is not a non-negative integer"},
      {v1(eth0 + R"("ips":[{"interface":1e300,"address":"10.0.0.5/24"}])"),
       "\"ips[0].interface\" is not a non-negative integer"},
      {v1(eth0 + R"("ips":[{"interface":18446744073709551615,"address":"10.0.0.5/24"}])"),
       "\"ips[0].interface\" is 18446744073709551615 but there are 1 interfaces"},
      {v1(eth0 + R"("ips":[{"interface":0,"address":"10.0.0.5/24"},)"
                 R"({"interface":1,"address":"10.0.0.6/24"}])"),
       "\"ips[1].interface\" is 1 but there are 1 interfaces"},
      {v1(R"("ips":[{"interface":0,"address":"10.0.0.5/24"}])"),
       "\"ips[0].interface\" is 0 but there are 0 interfaces"},
      // Routes.
      {v1(R"("routes":[{"gw":"10.0.0.1"}])"), "\"routes[0].dst\" is missing"},
      {v1(R"("routes":[{"dst":"default"}])"), "\"routes[0].dst\" is not an IP address in CIDR"},
      {v1(R"("routes":[{"dst":"0.0.0.0/0","gw":"gateway"}])"), "\"routes[0].gw\" is not an IP"},
      {v1(R"("routes":[{"dst":"0.0.0.0/0"},[]])"), "\"routes[1]\" is not an object"},
      // DNS.
      {v1(R"("dns":[])"), "\"dns\" is not an object"},
      {v1(R"("dns":{"nameservers":"10.96.0.10"})"), "\"dns.nameservers\" is not an array"},
      {v1(R"("dns":{"nameservers":["10.96.0.10",53]})"), "\"dns.nameservers[1]\" is not a string"},
      {v1(R"("dns":{"domain":["cluster.local"]})"), "\"dns.domain\" is not a string"},
      {v1(R"("dns":{"search":[null]})"), "\"dns.search[0]\" is not a string"},
      {v1(R"("dns":{"options":{"ndots":5}})"), "\"dns.options\" is not an array"},
      // 0.2.0 layout.
      {R"({"cniVersion":"0.2.0","ip4":"10.0.0.5/24"})", "\"ip4\" is not an object"},
      {R"({"cniVersion":"0.2.0","ip6":{}})", "\"ip6.ip\" is missing"},
      {R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.5"}})", "\"ip4.ip\" is not an IP address in"},
      {R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.5/8","gateway":1}})",
       "\"ip4.gateway\" is not a string"},
      {R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.5/8","routes":[{"dst":1}]}})",
       "\"ip4.routes[0].dst\" is not a string"},
      {R"({"ip4":{"ip":"10.0.0.5/8"},"dns":"x"})", "\"dns\" is not an object"},
  };
  for (const BadCase& c : cases) {
    CAPTURE(c.text);
    Result<CniResult> parsed = parseCniResult(c.text);
    REQUIRE_FALSE(parsed.isOk());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
    CHECK_THAT(parsed.status().message(), Catch::Contains(c.why));
    CHECK_THAT(parsed.status().message(), Catch::StartsWith("CNI result: "));
  }
}

TEST_CASE("parseCniResult survives hostile sizes and nesting", "[cni]") {
  SECTION("more than 1 MiB is refused before parsing") {
    const std::string big = R"({"cniVersion":"1.0.0","pad":")" + std::string(1 << 20, 'x') + "\"}";
    Result<CniResult> parsed = parseCniResult(big);
    REQUIRE_FALSE(parsed.isOk());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
    CHECK_THAT(parsed.status().message(), Catch::Contains("larger than 1048576 bytes"));
  }
  SECTION("deep nesting is refused before parsing (the result is stored and written again)") {
    auto nested = [](int depth) {
      return R"({"cniVersion":"1.0.0","x":)" + std::string(depth, '[') + std::string(depth, ']') +
             "}";
    };
    Result<CniResult> deep = parseCniResult(nested(100000));
    REQUIRE_FALSE(deep.isOk());
    CHECK(deep.status().code() == Code::kInvalidArgument);
    CHECK_THAT(deep.status().message(), Catch::Contains("nested deeper than 64 levels"));
    CHECK(parseCniResult(nested(60)).isOk());
    // Brackets inside strings do not count.
    CHECK(
        parseCniResult(R"({"cniVersion":"1.0.0","x":")" + std::string(1000, '[') + R"("})").isOk());
  }
  SECTION("a long bad value is cut in the message") {
    const std::string address(5000, '1');
    Result<CniResult> parsed =
        parseCniResult(R"({"cniVersion":"1.0.0","ips":[{"address":")" + address + "\"}]}");
    REQUIRE_FALSE(parsed.isOk());
    CHECK(parsed.status().message().size() < 300);
  }
  SECTION("bytes that are not UTF-8 are not JSON") {
    Result<CniResult> parsed = parseCniResult("{\"cniVersion\":\"1.0.0\",\"x\":\"\xff\xfe\"}");
    REQUIRE_FALSE(parsed.isOk());
    CHECK_THAT(parsed.status().message(), Catch::Contains("not JSON"));
  }
}

TEST_CASE("parseCniError turns the bridge plugin's error results into statuses", "[cni]") {
  SECTION("a plugin-specific code (the real output for a /31 range)") {
    const Status s = parseCniError("bridge", R"({
    "code": 999,
    "msg": "invalid range set 0: Network 10.9.0.0/31 too small to allocate from"
})",
                                   1, "");
    CHECK(s.code() == Code::kUnknown);
    CHECK(s.message() ==
          "plugin bridge failed (code 999): invalid range set 0: Network 10.9.0.0/31 too small "
          "to allocate from");
  }
  SECTION("msg and details (the real output for an unsupported cniVersion)") {
    const Status s = parseCniError("bridge", R"({
    "code": 1,
    "msg": "incompatible CNI versions",
    "details": "config is \"9.9.9\", plugin supports [\"0.1.0\" \"0.2.0\" \"0.3.0\" \"0.3.1\" \"0.4.0\" \"1.0.0\"]"
})",
                                   1, "");
    CHECK(s.code() == Code::kFailedPrecondition);
    CHECK(s.message() ==
          "plugin bridge failed (code 1): incompatible CNI versions: config is \"9.9.9\", plugin "
          "supports [\"0.1.0\" \"0.2.0\" \"0.3.0\" \"0.3.1\" \"0.4.0\" \"1.0.0\"]");
  }
  SECTION("missing environment (the real output when CNI_* are absent)") {
    const Status s = parseCniError("bridge", R"({
    "code": 4,
    "msg": "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"
})",
                                   1, "");
    CHECK(s.code() == Code::kInternal);
    CHECK(s.message() ==
          "plugin bridge failed (code 4): required env variables "
          "[CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing");
  }
  SECTION("the spec's example, with cniVersion") {
    const Status s = parseCniError("host-local", R"({"cniVersion":"1.0.0","code":7,
        "msg":"Invalid Configuration","details":"Network 192.168.0.0/31 too small to allocate from."})",
                                   1, "some log line\n");
    CHECK(s.code() == Code::kFailedPrecondition);
    CHECK(s.message() ==
          "plugin host-local failed (code 7): Invalid Configuration: Network 192.168.0.0/31 too "
          "small to allocate from.");
  }
  SECTION("details only") {
    const Status s = parseCniError("ptp", R"({"code":11,"details":"lease pending"})", 1, "");
    CHECK(s.code() == Code::kUnavailable);
    CHECK(s.message() == "plugin ptp failed (code 11): lease pending");
  }
  SECTION("no text in the object: stderr stands in, or nothing") {
    Status s = parseCniError("macvlan", R"({"code":3,"msg":"","details":null})", 1,
                             "  link eth9 not found \n");
    CHECK(s.code() == Code::kNotFound);
    CHECK(s.message() == "plugin macvlan failed (code 3): link eth9 not found");
    s = parseCniError("macvlan", R"({"code":3})", 1, "");
    CHECK(s.message() == "plugin macvlan failed (code 3)");
  }
}

TEST_CASE("parseCniError falls back to stderr and the exit status", "[cni]") {
  struct Case {
    std::string stdoutText;
    int exitCode;
    std::string stderrText;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", 1, "panic: runtime error\n",
       "plugin bridge failed (exit status 1): panic: runtime error"},
      {"", 2, "", "plugin bridge failed (exit status 2): no error message"},
      {" \n", -9, "\t", "plugin bridge failed (killed by signal 9): no error message"},
      {"not json at all\n", 1, "", "plugin bridge failed (exit status 1): not json at all"},
      {"partial output", 1, "real reason", "plugin bridge failed (exit status 1): real reason"},
      // JSON that is not an error object: the types libcni's Go struct needs, or nothing.
      {R"({"cniVersion":"1.0.0","ips":[]})", 1, "",
       R"(plugin bridge failed (exit status 1): {"cniVersion":"1.0.0","ips":[]})"},
      {R"({"code":"7","msg":"x"})", 1, "",
       R"(plugin bridge failed (exit status 1): {"code":"7","msg":"x"})"},
      {R"({"code":-1,"msg":"x"})", 1, "e", "plugin bridge failed (exit status 1): e"},
      {R"({"code":7.5,"msg":"x"})", 1, "e", "plugin bridge failed (exit status 1): e"},
      {R"({"code":99999999999999999999999,"msg":"x"})", 1, "e",
       "plugin bridge failed (exit status 1): e"},
      {R"({"code":7,"msg":42})", 1, "e", "plugin bridge failed (exit status 1): e"},
      {R"({"code":7,"msg":"x","details":{}})", 1, "e", "plugin bridge failed (exit status 1): e"},
      {R"([{"code":7}])", 1, "e", "plugin bridge failed (exit status 1): e"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.stdoutText, c.exitCode, c.stderrText);
    const Status s = parseCniError("bridge", c.stdoutText, c.exitCode, c.stderrText);
    CHECK(s.code() == Code::kUnknown);
    CHECK(s.message() == c.message);
  }
}

TEST_CASE("parseCniError cuts long texts", "[cni]") {
  const std::string longText = std::string(5000, 'a') + "\xc3\xa9" + std::string(100, 'b');
  Status s = parseCniError("bridge", "", 1, longText);
  CHECK(s.message().size() < 4096 + 100);
  CHECK_THAT(s.message(), Catch::EndsWith("aaa..."));

  // A cut that would land inside a two-byte UTF-8 sequence steps back before it.
  const std::string accent = std::string(4095, 'a') + "\xc3\xa9" + "tail";
  s = parseCniError("bridge", "", 1, accent);
  CHECK_THAT(s.message(), Catch::EndsWith(std::string(10, 'a') + "..."));

  s = parseCniError("bridge", R"({"code":5,"msg":")" + std::string(9000, 'm') + "\"}", 1, "");
  CHECK(s.code() == Code::kInternal);
  CHECK(s.message().size() < 4096 + 100);
}

TEST_CASE("cniErrorCode maps CNI's well-known codes", "[cni]") {
  CHECK(cniErrorCode(0) == Code::kUnknown);
  CHECK(cniErrorCode(1) == Code::kFailedPrecondition);
  CHECK(cniErrorCode(2) == Code::kFailedPrecondition);
  CHECK(cniErrorCode(3) == Code::kNotFound);
  CHECK(cniErrorCode(4) == Code::kInternal);
  CHECK(cniErrorCode(5) == Code::kInternal);
  CHECK(cniErrorCode(6) == Code::kInternal);
  CHECK(cniErrorCode(7) == Code::kFailedPrecondition);
  CHECK(cniErrorCode(8) == Code::kUnknown);
  CHECK(cniErrorCode(11) == Code::kUnavailable);
  CHECK(cniErrorCode(100) == Code::kUnknown);
  CHECK(cniErrorCode(999) == Code::kUnknown);
  CHECK(cniErrorCode(UINT64_MAX) == Code::kUnknown);
}

}  // namespace
}  // namespace dockershim::network
