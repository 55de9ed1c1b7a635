#include "network/cni_config.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "unit/temp_dir.h"

namespace dockershim::network {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using test::TempDir;
using test::writeFile;

// The spec 1.0.0 example list, its comments left out.
constexpr char kSpecList[] = R"({
  "cniVersion": "1.0.0",
  "name": "dbnet",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "keyA": ["some more", "plugin specific"],
     "ipam": {"type": "host-local", "subnet": "10.1.0.0/16", "gateway": "10.1.0.1",
              "routes": [{"dst": "0.0.0.0/0"}]},
     "dns": {"nameservers": ["10.1.0.1"]}},
    {"type": "tuning", "capabilities": {"mac": true}, "sysctl": {"net.core.somaxconn": "500"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
})";

constexpr char kBridgeConf[] = R"({
  "cniVersion": "0.3.1", "name": "mynet", "type": "bridge", "bridge": "cni0",
  "isGateway": true, "ipam": {"type": "host-local", "subnet": "10.22.0.0/16"}
})";

std::string listWith(const std::string& version, const std::string& plugins) {
  return R"({"cniVersion":")" + version + R"(","name":"net","plugins":)" + plugins + "}";
}

// ---- parsing ----

TEST_CASE("parseConfList reads the spec's example list", "[cni_config]") {
  auto net = parseConfList(kSpecList, "/etc/cni/net.d/10-db.conflist");
  REQUIRE(net.isOk());
  CHECK(net->name == "dbnet");
  CHECK(net->cniVersion == "1.0.0");
  CHECK_FALSE(net->disableCheck);
  CHECK(net->sourcePath == "/etc/cni/net.d/10-db.conflist");
  REQUIRE(net->plugins.size() == 3);
  CHECK(net->plugins[0].type == "bridge");
  CHECK(net->plugins[1].type == "tuning");
  CHECK(net->plugins[2].type == "portmap");
  CHECK(net->plugins[0].raw == Json::parse(kSpecList)["plugins"][0]);
}

TEST_CASE("parseConfList accepts each released cniVersion", "[cni_config]") {
  for (const char* version : {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    CAPTURE(version);
    auto net = parseConfList(listWith(version, R"([{"type":"loopback"}])"));
    REQUIRE(net.isOk());
    CHECK(net->cniVersion == version);
  }
}

TEST_CASE("parseConfList honours disableCheck as libcni reads it", "[cni_config]") {
  auto withCheck = [](const std::string& value) {
    return parseConfList(R"({"cniVersion":"0.4.0","name":"n","disableCheck":)" + value +
                         R"(,"plugins":[{"type":"bridge"}]})");
  };
  for (const char* yes : {"true", "\"true\"", "\"TRUE\"", "\"True\""}) {
    CAPTURE(yes);
    REQUIRE(withCheck(yes).isOk());
    CHECK(withCheck(yes)->disableCheck);
  }
  for (const char* no : {"false", "\"false\"", "\"FALSE\""}) {
    CAPTURE(no);
    REQUIRE(withCheck(no).isOk());
    CHECK_FALSE(withCheck(no)->disableCheck);
  }
  for (const char* bad : {"\"yes\"", "1", "null", "{}"}) {
    CAPTURE(bad);
    auto net = withCheck(bad);
    REQUIRE_FALSE(net.isOk());
    CHECK(net.status().code() == Code::kInvalidArgument);
    CHECK_THAT(net.status().message(), Catch::Contains("disableCheck"));
  }
}

TEST_CASE("parseConfList takes an unversioned list as libcni does", "[cni_config]") {
  for (const char* fields : {R"("name":"n")", R"("name":"n","cniVersion":"")"}) {
    CAPTURE(fields);
    auto net = parseConfList(std::string("{") + fields + R"(,"plugins":[{"type":"bridge"}]})");
    REQUIRE(net.isOk());
    CHECK(net->cniVersion.empty());
  }
}

TEST_CASE("parseConfList picks the highest known version of cniVersions", "[cni_config]") {
  auto pick = [](const std::string& fields) {
    auto net = parseConfList(R"({"name":"n",)" + fields + R"(,"plugins":[{"type":"bridge"}]})");
    REQUIRE(net.isOk());
    return net->cniVersion;
  };
  CHECK(pick(R"("cniVersions":["1.0.0","1.1.0"])") == "1.1.0");
  CHECK(pick(R"("cniVersions":["1.0.0","0.4.0","9.9.9"])") == "1.0.0");
  CHECK(pick(R"("cniVersion":"1.1.0","cniVersions":["0.3.1","0.4.0"])") == "1.1.0");
  CHECK(pick(R"("cniVersion":"0.3.1","cniVersions":["0.2.0","0.4.0"])") == "0.4.0");
  // None known, or none at all: cniVersion decides.
  CHECK(pick(R"("cniVersion":"0.4.0","cniVersions":["2.0.0"])") == "0.4.0");
  CHECK(pick(R"("cniVersion":"0.4.0","cniVersions":[])") == "0.4.0");
  CHECK(pick(R"("cniVersions":["2.0.0"])").empty());

  for (const char* bad : {R"("cniVersions":"1.0.0")", R"("cniVersions":[1])",
                          R"("cniVersions":null)", R"("cniVersion":"7.0.0","cniVersions":[])"}) {
    CAPTURE(bad);
    auto net =
        parseConfList(R"({"name":"n",)" + std::string(bad) + R"(,"plugins":[{"type":"bridge"}]})");
    REQUIRE_FALSE(net.isOk());
    CHECK(net.status().code() == Code::kInvalidArgument);
    CHECK_THAT(net.status().message(), Catch::Contains("cniVersion"));
  }
}

TEST_CASE("parseConfList refuses lists it cannot run, saying why", "[cni_config]") {
  struct Case {
    std::string text;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"", "not JSON"},
      {"{", "not JSON"},
      {R"({"name":"n"} trailing)", "not JSON"},
      {"// comment\n{}", "not JSON"},
      {"[]", "not a JSON object"},
      {"\"net\"", "not a JSON object"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]})", "no \"name\""},
      {R"({"cniVersion":"1.0.0","name":7,"plugins":[{"type":"bridge"}]})",
       "\"name\" is not a string"},
      {R"({"cniVersion":"1.0.0","name":null,"plugins":[{"type":"bridge"}]})",
       "\"name\" is not a string"},
      {R"({"cniVersion":"1.0.0","name":"","plugins":[{"type":"bridge"}]})", "no \"name\""},
      {R"({"cniVersion":"1.0.0","name":"-net","plugins":[{"type":"bridge"}]})",
       "not a CNI network name"},
      {R"({"cniVersion":"1.0.0","name":"my net","plugins":[{"type":"bridge"}]})",
       "not a CNI network name"},
      {R"({"cniVersion":"1.0.0","name":"a/b","plugins":[{"type":"bridge"}]})",
       "not a CNI network name"},
      {R"({"cniVersion":null,"name":"n","plugins":[{"type":"bridge"}]})",
       "\"cniVersion\" is not a string"},
      {R"({"cniVersion":1,"name":"n","plugins":[{"type":"bridge"}]})",
       "\"cniVersion\" is not a string"},
      {listWith("0.3", R"([{"type":"bridge"}])"), "cniVersion \"0.3\" is not a CNI spec version"},
      {listWith("v1.0.0", R"([{"type":"bridge"}])"), "\"v1.0.0\" is not a CNI spec version"},
      {listWith("1.2.0", R"([{"type":"bridge"}])"), "\"1.2.0\" is not a CNI spec version"},
      {R"({"cniVersion":"1.0.0","name":"n"})", "no \"plugins\""},
      {R"({"cniVersion":"1.0.0","name":"n","type":"bridge"})",
       "no \"plugins\" (perhaps this is a single-plugin .conf?)"},
      {listWith("1.0.0", "null"), "\"plugins\" is not a list"},
      {listWith("1.0.0", R"({"type":"bridge"})"), "\"plugins\" is not a list"},
      {listWith("1.0.0", "[]"), "\"plugins\" is empty"},
      {listWith("1.0.0", R"([{"type":"bridge"},"portmap"])"), "plugin 1: not a JSON object"},
      {listWith("1.0.0", R"([{"bridge":"cni0"}])"), "plugin 0: no \"type\""},
      {listWith("1.0.0", R"([{"type":""}])"), "plugin 0: no \"type\""},
      {listWith("1.0.0", R"([{"type":null}])"), "plugin 0: no \"type\""},
      {listWith("1.0.0", R"([{"type":["bridge"]}])"), "plugin 0: \"type\" is not a string"},
      {listWith("1.0.0", R"([{"type":"../../bin/sh"}])"), "is not a plugin file name"},
      {listWith("1.0.0", R"([{"type":".."}])"), "is not a plugin file name"},
      {listWith("1.0.0", R"([{"type":"bridge","name":1}])"), "\"name\" is not a string"},
      {listWith("1.0.0", R"([{"type":"bridge","cniVersion":1.0}])"),
       "\"cniVersion\" is not a string"},
      {listWith("1.0.0", R"([{"type":"portmap","capabilities":["portMappings"]}])"),
       "\"capabilities\" is not an object of booleans"},
      {listWith("1.0.0", R"([{"type":"portmap","capabilities":{"portMappings":"true"}}])"),
       "\"capabilities\" is not an object of booleans"},
      {listWith("1.0.0", R"([{"type":"bridge","ipam":"host-local"}])"),
       "\"ipam\" is not an object"},
      {listWith("1.0.0", R"([{"type":"bridge","ipam":{"type":5}}])"),
       "ipam: \"type\" is not a string"},
      {listWith("1.0.0", R"([{"type":"bridge","dns":[]}])"), "\"dns\" is not an object"},
      {listWith("1.0.0", R"([{"type":"bridge","dns":{"nameservers":"10.0.0.1"}}])"),
       "dns: \"nameservers\" is not a list of strings"},
      {listWith("1.0.0", R"([{"type":"bridge","dns":{"search":[1]}}])"),
       "dns: \"search\" is not a list of strings"},
      {listWith("1.0.0", R"([{"type":"bridge","dns":{"domain":false}}])"),
       "dns: \"domain\" is not a string"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto net = parseConfList(c.text, "/cni/x.conflist");
    REQUIRE_FALSE(net.isOk());
    CHECK(net.status().code() == Code::kInvalidArgument);
    CHECK_THAT(net.status().message(), Catch::StartsWith("CNI config \"/cni/x.conflist\": "));
    CHECK_THAT(net.status().message(), Catch::Contains(c.reason));
  }
}

TEST_CASE("parseConfList names the known versions when refusing one", "[cni_config]") {
  auto net = parseConfList(listWith("0.5.0", R"([{"type":"bridge"}])"), "f.conflist");
  REQUIRE_FALSE(net.isOk());
  CHECK(net.status().message() ==
        "CNI config \"f.conflist\": cniVersion \"0.5.0\" is not a CNI spec version "
        "(known: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)");
}

TEST_CASE("parseConfList takes nulls and unknown fields in plugins as Go does", "[cni_config]") {
  auto net = parseConfList(
      listWith("0.4.0", R"([{"type":"bridge","name":null,"cniVersion":null,"capabilities":null,)"
                        R"("ipam":null,"dns":{"nameservers":null,"search":[null],"domain":null},)"
                        R"("args":{"cni":{"labels":[]}},"cni.dev/x":1,"capabilities2":7}])"));
  REQUIRE(net.isOk());
  CHECK(net->plugins[0].raw["capabilities2"] == 7);
  CHECK(net->plugins[0].raw.contains("cni.dev/x"));
}

TEST_CASE("parseSingleConf wraps a .conf into a list of one, as libcni", "[cni_config]") {
  auto net = parseSingleConf(kBridgeConf, "/etc/cni/net.d/10-mynet.conf");
  REQUIRE(net.isOk());
  CHECK(net->name == "mynet");
  CHECK(net->cniVersion == "0.3.1");
  CHECK_FALSE(net->disableCheck);
  CHECK(net->sourcePath == "/etc/cni/net.d/10-mynet.conf");
  REQUIRE(net->plugins.size() == 1);
  CHECK(net->plugins[0].type == "bridge");
  CHECK(net->plugins[0].raw == Json::parse(kBridgeConf));
}

TEST_CASE("parseSingleConf leaves list-only fields alone", "[cni_config]") {
  // libcni's ConfListFromConf copies only name, cniVersion and the plugin itself.
  auto net =
      parseSingleConf(R"({"cniVersion":"0.4.0","name":"n","type":"bridge","disableCheck":true,)"
                      R"("cniVersions":["1.0.0"]})");
  REQUIRE(net.isOk());
  CHECK_FALSE(net->disableCheck);
  CHECK(net->cniVersion == "0.4.0");

  // Unversioned (null counts as absent in Go's decoding), cniVersions not read.
  for (const char* text : {R"({"name":"n","type":"bridge","cniVersions":["1.0.0"]})",
                           R"({"cniVersion":null,"name":"n","type":"bridge"})"}) {
    CAPTURE(text);
    auto old = parseSingleConf(text);
    REQUIRE(old.isOk());
    CHECK(old->cniVersion.empty());
  }
}

TEST_CASE("parseSingleConf refuses configurations it cannot run", "[cni_config]") {
  struct Case {
    std::string text;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"nope", "not JSON"},
      {"[]", "not a JSON object"},
      {R"({"cniVersion":"0.3.1","name":"n"})", "no \"type\""},
      {kSpecList, "no \"type\" (perhaps this is a .conflist?)"},
      {R"({"cniVersion":"0.3.1","name":"n","type":"a/b"})", "is not a plugin file name"},
      {R"({"cniVersion":"0.3.1","type":"bridge"})", "no \"name\""},
      {R"({"cniVersion":"0.3.1","name":null,"type":"bridge"})", "no \"name\""},
      {R"({"cniVersion":"0.3.1","name":3,"type":"bridge"})", "\"name\" is not a string"},
      {R"({"cniVersion":"0.3.1","name":"_n","type":"bridge"})", "not a CNI network name"},
      {R"({"cniVersion":5,"name":"n","type":"bridge"})", "\"cniVersion\" is not a string"},
      {R"({"cniVersion":"0.2","name":"n","type":"bridge"})", "\"0.2\" is not a CNI spec version"},
      {R"({"cniVersion":"0.3.1","name":"n","type":"bridge","capabilities":{"a":1}})",
       "\"capabilities\" is not an object of booleans"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto net = parseSingleConf(c.text, "x.conf");
    REQUIRE_FALSE(net.isOk());
    CHECK(net.status().code() == Code::kInvalidArgument);
    CHECK_THAT(net.status().message(), Catch::StartsWith("CNI config \"x.conf\": "));
    CHECK_THAT(net.status().message(), Catch::Contains(c.reason));
  }
}

// ---- files ----

TEST_CASE("loadNetworkConfigFile parses by extension", "[cni_config]") {
  TempDir tmp;
  const std::string list = tmp.file("a.conflist");
  const std::string conf = tmp.file("b.conf");
  const std::string json = tmp.file("c.json");
  REQUIRE(writeFile(list, kSpecList));
  REQUIRE(writeFile(conf, kBridgeConf));
  REQUIRE(writeFile(json, kBridgeConf));

  auto fromList = loadNetworkConfigFile(list);
  REQUIRE(fromList.isOk());
  CHECK(fromList->plugins.size() == 3);
  CHECK(fromList->sourcePath == list);
  for (const std::string& single : {conf, json}) {
    auto net = loadNetworkConfigFile(single);
    REQUIRE(net.isOk());
    CHECK(net->name == "mynet");
    CHECK(net->sourcePath == single);
  }

  SECTION("a list in a .conf and a single plugin in a .conflist are refused") {
    const std::string swappedConf = tmp.file("d.conf");
    const std::string swappedList = tmp.file("e.conflist");
    REQUIRE(writeFile(swappedConf, kSpecList));
    REQUIRE(writeFile(swappedList, kBridgeConf));
    CHECK_THAT(loadNetworkConfigFile(swappedConf).status().message(),
               Catch::Contains("perhaps this is a .conflist?"));
    CHECK_THAT(loadNetworkConfigFile(swappedList).status().message(),
               Catch::Contains("perhaps this is a single-plugin .conf?"));
  }
  SECTION("missing file, folder, other extension") {
    auto missing = loadNetworkConfigFile(tmp.file("none.conflist"));
    REQUIRE_FALSE(missing.isOk());
    CHECK(missing.status().code() == Code::kNotFound);
    CHECK_THAT(missing.status().message(), Catch::Contains(tmp.file("none.conflist")));

    fs::create_directory(tmp.file("dir.conf"));
    auto dir = loadNetworkConfigFile(tmp.file("dir.conf"));
    REQUIRE_FALSE(dir.isOk());
    CHECK(dir.status().code() == Code::kInvalidArgument);
    CHECK_THAT(dir.status().message(), Catch::Contains("is a directory"));

    REQUIRE(writeFile(tmp.file("x.yaml"), kBridgeConf));
    auto other = loadNetworkConfigFile(tmp.file("x.yaml"));
    REQUIRE_FALSE(other.isOk());
    CHECK(other.status().code() == Code::kInvalidArgument);
  }
}

std::string listNamed(const std::string& name) {
  return R"({"cniVersion":"0.4.0","name":")" + name + R"(","plugins":[{"type":"bridge"}]})";
}

std::string confNamed(const std::string& name) {
  return R"({"cniVersion":"0.3.1","name":")" + name + R"(","type":"bridge"})";
}

TEST_CASE("loadDefaultNetwork takes the first file by name", "[cni_config]") {
  TempDir tmp;
  REQUIRE(writeFile(tmp.file("20-b.conflist"), listNamed("b")));
  REQUIRE(writeFile(tmp.file("10-a.conf"), confNamed("a")));
  REQUIRE(writeFile(tmp.file("30-c.json"), confNamed("c")));
  std::vector<SkippedConfig> skipped;
  auto net = loadDefaultNetwork(tmp.path(), &skipped);
  REQUIRE(net.isOk());
  CHECK(net->name == "a");
  CHECK(net->sourcePath == tmp.file("10-a.conf"));
  CHECK(skipped.empty());

  SECTION("byte order, not numeric order") {
    REQUIRE(writeFile(tmp.file("9-z.conflist"), listNamed("nine")));
    CHECK(loadDefaultNetwork(tmp.path())->name == "a");
    REQUIRE(writeFile(tmp.file("1-z.conflist"), listNamed("one")));
    CHECK(loadDefaultNetwork(tmp.path())->name == "one");  // '-' sorts before '0'
    REQUIRE(writeFile(tmp.file("1-Z.conflist"), listNamed("upper")));
    CHECK(loadDefaultNetwork(tmp.path())->name == "upper");
  }
  SECTION("a name that is only an extension counts, as in Go") {
    REQUIRE(writeFile(tmp.file(".conf"), confNamed("dot")));
    CHECK(loadDefaultNetwork(tmp.path())->name == "dot");
  }
  SECTION("other extensions and folders are not considered") {
    REQUIRE(writeFile(tmp.file("00-a.conf.bak"), confNamed("bak")));
    REQUIRE(writeFile(tmp.file("00-b.yaml"), confNamed("yaml")));
    REQUIRE(writeFile(tmp.file("00-c"), confNamed("plain")));
    fs::create_directory(tmp.file("00-d.conf"));
    skipped.clear();
    CHECK(loadDefaultNetwork(tmp.path(), &skipped)->name == "a");
    CHECK(skipped.empty());
  }
}

TEST_CASE("loadDefaultNetwork skips files that do not load, saying why", "[cni_config]") {
  TempDir tmp;
  REQUIRE(writeFile(tmp.file("00-broken.conflist"), "{\"name\":"));
  REQUIRE(writeFile(tmp.file("01-list.conf"), kSpecList));
  REQUIRE(writeFile(tmp.file("02-odd.conflist"), listWith("0.5.0", R"([{"type":"bridge"}])")));
  fs::create_directory_symlink(tmp.path(), tmp.file("03-link.conf"));
  REQUIRE(writeFile(tmp.file("04-good.conflist"), listNamed("good")));
  REQUIRE(writeFile(tmp.file("05-later.conflist"), listNamed("later")));

  std::vector<SkippedConfig> skipped;
  auto net = loadDefaultNetwork(tmp.path(), &skipped);
  REQUIRE(net.isOk());
  CHECK(net->name == "good");
  REQUIRE(skipped.size() == 4);
  CHECK(skipped[0].path == tmp.file("00-broken.conflist"));
  CHECK_THAT(skipped[0].reason, Catch::StartsWith("not JSON"));
  CHECK(skipped[1].path == tmp.file("01-list.conf"));
  CHECK(skipped[1].reason == "no \"type\" (perhaps this is a .conflist?)");
  CHECK(skipped[2].path == tmp.file("02-odd.conflist"));
  CHECK_THAT(skipped[2].reason, Catch::Contains("\"0.5.0\" is not a CNI spec version"));
  CHECK(skipped[3].path == tmp.file("03-link.conf"));
  CHECK(skipped[3].reason == "is a directory");
}

TEST_CASE("loadDefaultNetwork follows a symlink to a file", "[cni_config]") {
  TempDir tmp;
  REQUIRE(writeFile(tmp.file("real.txt"), listNamed("linked")));
  fs::create_symlink(tmp.file("real.txt"), tmp.file("10-link.conflist"));
  CHECK(loadDefaultNetwork(tmp.path())->name == "linked");
}

TEST_CASE("loadDefaultNetwork is NOT_FOUND without a usable file", "[cni_config]") {
  TempDir tmp;
  SECTION("no folder") {
    auto net = loadDefaultNetwork(tmp.file("missing"));
    REQUIRE_FALSE(net.isOk());
    CHECK(net.status().code() == Code::kNotFound);
    CHECK(net.status().message() ==
          "no CNI configuration in \"" + tmp.file("missing") + "\": the folder does not exist");
  }
  SECTION("a file where the folder should be") {
    REQUIRE(writeFile(tmp.file("file"), ""));
    auto net = loadDefaultNetwork(tmp.file("file"));
    REQUIRE_FALSE(net.isOk());
    CHECK(net.status().code() == Code::kNotFound);
  }
  SECTION("empty folder, or only other files") {
    REQUIRE(writeFile(tmp.file("README"), "x"));
    auto net = loadDefaultNetwork(tmp.path());
    REQUIRE_FALSE(net.isOk());
    CHECK(net.status().code() == Code::kNotFound);
    CHECK(net.status().message() ==
          "no CNI configuration in \"" + tmp.path() + "\": no .conf, .conflist or .json file");
  }
  SECTION("every file invalid: each named with its reason") {
    REQUIRE(writeFile(tmp.file("10-a.conf"), R"({"cniVersion":"0.3.1","type":"bridge"})"));
    REQUIRE(writeFile(tmp.file("20-b.conflist"), R"({"cniVersion":"0.3.1","name":"b"})"));
    std::vector<SkippedConfig> skipped;
    auto net = loadDefaultNetwork(tmp.path(), &skipped);
    REQUIRE_FALSE(net.isOk());
    CHECK(net.status().code() == Code::kNotFound);
    CHECK(net.status().message() == "no CNI configuration in \"" + tmp.path() +
                                        "\": skipped \"10-a.conf\" (no \"name\"); "
                                        "skipped \"20-b.conflist\" (no \"plugins\")");
    CHECK(skipped.size() == 2);
  }
}

// ---- per-plugin stdin configuration ----

NetworkConfig chain(const std::string& version, const std::string& plugins) {
  auto net = parseConfList(listWith(version, plugins));
  REQUIRE(net.isOk());
  return *net;
}

TEST_CASE("pluginInvocationConfig adds the list's name and version", "[cni_config]") {
  const NetworkConfig net =
      chain("0.4.0", R"([{"type":"bridge","name":"other","cniVersion":"0.3.0","bridge":"cni0"}])");
  const Json config = pluginInvocationConfig(net, 0, RuntimeArgs{}, nullptr);
  CHECK(config ==
        Json::parse(R"({"type":"bridge","name":"net","cniVersion":"0.4.0","bridge":"cni0"})"));
  // The stored configuration is left as it was.
  CHECK(net.plugins[0].raw["name"] == "other");
}

TEST_CASE("pluginInvocationConfig passes prevResult when given", "[cni_config]") {
  // The spec's ADD example: tuning after bridge gets bridge's result.
  const NetworkConfig net =
      chain("0.4.0", R"([{"type":"bridge"},{"type":"tuning","sysctl":{"a":"1"}}])");
  const Json prev = Json::parse(R"({"cniVersion":"0.4.0",
      "interfaces":[{"name":"eth0","mac":"99:88:77:66:55:44","sandbox":"/var/run/netns/blue"}],
      "ips":[{"version":"4","address":"10.0.0.5/32","interface":0}],
      "dns":{"nameservers":["10.1.0.1"]}})");
  const Json config = pluginInvocationConfig(net, 1, RuntimeArgs{}, &prev);
  CHECK(config["prevResult"] == prev);
  CHECK(config["type"] == "tuning");
  CHECK(config["sysctl"]["a"] == "1");
  CHECK_FALSE(pluginInvocationConfig(net, 0, RuntimeArgs{}, nullptr).contains("prevResult"));
}

TEST_CASE("pluginInvocationConfig gives each plugin the capabilities it declares", "[cni_config]") {
  const NetworkConfig net = chain("0.3.1", R"([
      {"type":"bridge"},
      {"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false}},
      {"type":"bandwidth","capabilities":{"bandwidth":true}},
      {"type":"host-local-user","capabilities":{"ipRanges":true,"dns":true,"mac":true}}])");
  RuntimeArgs args;
  args.portMappings = {{8080, 80, "tcp", ""}, {53, 5353, "udp", "127.0.0.1"}};
  args.bandwidth = Bandwidth{1000000, kBandwidthBurstBits, 0, 0};
  args.dns = DnsConfig{{"10.96.0.10"}, {"default.svc.cluster.local", "svc.cluster.local"}, {}};
  args.ipRanges = {{{"10.244.1.0/24"}}, {{"fd00:10:244:1::/64"}}};

  CHECK_FALSE(pluginInvocationConfig(net, 0, args, nullptr).contains("runtimeConfig"));
  CHECK(pluginInvocationConfig(net, 1, args, nullptr)["runtimeConfig"] == Json::parse(R"({
      "portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},
                      {"hostPort":53,"containerPort":5353,"protocol":"udp",
                       "hostIP":"127.0.0.1"}]})"));
  CHECK(pluginInvocationConfig(net, 2, args, nullptr)["runtimeConfig"] ==
        Json::parse(R"({"bandwidth":{"ingressRate":1000000,"ingressBurst":2147483647}})"));
  CHECK(pluginInvocationConfig(net, 3, args, nullptr)["runtimeConfig"] == Json::parse(R"({
      "ipRanges":[[{"subnet":"10.244.1.0/24"}],[{"subnet":"fd00:10:244:1::/64"}]],
      "dns":{"servers":["10.96.0.10"],
             "searches":["default.svc.cluster.local","svc.cluster.local"]}})"));
  // 0.x keeps "capabilities", as libcni does.
  CHECK(pluginInvocationConfig(net, 1, args, nullptr).contains("capabilities"));
}

TEST_CASE("pluginInvocationConfig offers only what the runtime has", "[cni_config]") {
  const NetworkConfig net =
      chain("0.4.0", R"([{"type":"p","capabilities":{"portMappings":true,"bandwidth":true,)"
                     R"("dns":true,"ipRanges":true}}])");
  SECTION("no arguments: an empty port list, nothing else") {
    CHECK(pluginInvocationConfig(net, 0, RuntimeArgs{}, nullptr)["runtimeConfig"] ==
          Json::parse(R"({"portMappings":[]})"));
  }
  SECTION("empty optional values keep their key, empty lists inside are left out") {
    RuntimeArgs args;
    args.bandwidth = Bandwidth{};
    args.dns = DnsConfig{};
    CHECK(pluginInvocationConfig(net, 0, args, nullptr)["runtimeConfig"] ==
          Json::parse(R"({"portMappings":[],"bandwidth":{},"dns":{}})"));
  }
}

TEST_CASE("pluginInvocationConfig and a runtimeConfig written in the file", "[cni_config]") {
  const NetworkConfig net = chain(
      "0.4.0", R"([{"type":"a","runtimeConfig":{"x":1}},)"
               R"({"type":"b","runtimeConfig":{"x":1},"capabilities":{"portMappings":true}}])");
  // As libcni: kept when the plugin gets no capability argument, replaced when it does.
  CHECK(pluginInvocationConfig(net, 0, RuntimeArgs{}, nullptr)["runtimeConfig"] ==
        Json::parse(R"({"x":1})"));
  CHECK(pluginInvocationConfig(net, 1, RuntimeArgs{}, nullptr)["runtimeConfig"] ==
        Json::parse(R"({"portMappings":[]})"));
}

TEST_CASE("pluginInvocationConfig removes capabilities for spec 1.0.0", "[cni_config]") {
  const NetworkConfig net =
      chain("1.0.0", R"([{"type":"portmap","capabilities":{"portMappings":true}}])");
  const Json config = pluginInvocationConfig(net, 0, RuntimeArgs{}, nullptr);
  CHECK(config == Json::parse(R"({"type":"portmap","name":"net","cniVersion":"1.0.0",)"
                              R"("runtimeConfig":{"portMappings":[]}})"));
  CHECK_FALSE(pluginInvocationConfig(chain("1.1.0", R"([{"type":"p","capabilities":{}}])"), 0,
                                     RuntimeArgs{}, nullptr)
                  .contains("capabilities"));
}

TEST_CASE("pluginInvocationConfig passes an unversioned list on as libcni", "[cni_config]") {
  auto net = parseConfList(R"({"name":"n","plugins":[{"type":"p","capabilities":{}}]})");
  REQUIRE(net.isOk());
  const Json config = pluginInvocationConfig(*net, 0, RuntimeArgs{}, nullptr);
  CHECK(config == Json::parse(R"({"type":"p","name":"n","cniVersion":"","capabilities":{}})"));
}

TEST_CASE("pluginInvocationConfig gives null for a plugin index out of range", "[cni_config]") {
  const NetworkConfig net = chain("0.4.0", R"([{"type":"bridge"}])");
  CHECK(pluginInvocationConfig(net, 1, RuntimeArgs{}, nullptr).is_null());
}

TEST_CASE("capability and version helpers", "[cni_config]") {
  const NetworkConfig net = chain("0.4.0", R"([{"type":"a","capabilities":{"ipRanges":false}},)"
                                           R"({"type":"b","capabilities":{"portMappings":true}}])");
  CHECK(pluginHasCapability(net, 1, "portMappings"));
  CHECK_FALSE(pluginHasCapability(net, 0, "portMappings"));
  CHECK_FALSE(pluginHasCapability(net, 0, "ipRanges"));
  CHECK_FALSE(pluginHasCapability(net, 2, "portMappings"));
  CHECK(networkHasCapability(net, "portMappings"));
  CHECK_FALSE(networkHasCapability(net, "ipRanges"));

  NetworkConfig v = net;
  for (const char* version : {"", "0.1.0", "0.2.0", "0.3.0", "0.3.1"}) {
    v.cniVersion = version;
    CHECK_FALSE(checkSupported(v));
    CHECK_FALSE(prevResultOnDelete(v));
  }
  for (const char* version : {"0.4.0", "1.0.0", "1.1.0"}) {
    v.cniVersion = version;
    v.disableCheck = false;
    CHECK(checkSupported(v));
    CHECK(prevResultOnDelete(v));
    v.disableCheck = true;
    CHECK_FALSE(checkSupported(v));
    CHECK(prevResultOnDelete(v));
  }
}

// ---- quantities and bandwidth annotations ----

TEST_CASE("bandwidthFromAnnotations reads the kubelet's annotations", "[cni_config]") {
  SECTION("none") {
    auto bw = bandwidthFromAnnotations({{"other", "1M"}});
    REQUIRE(bw.isOk());
    CHECK_FALSE(bw->has_value());
  }
  SECTION("ingress only") {
    auto bw = bandwidthFromAnnotations({{kIngressBandwidthAnnotation, "10M"}});
    REQUIRE(bw.isOk());
    REQUIRE(bw->has_value());
    CHECK(**bw == Bandwidth{10000000, 2147483647, 0, 0});
  }
  SECTION("both, at the limits") {
    auto bw = bandwidthFromAnnotations(
        {{kIngressBandwidthAnnotation, "1k"}, {kEgressBandwidthAnnotation, "1P"}});
    REQUIRE(bw.isOk());
    REQUIRE(bw->has_value());
    CHECK(**bw == Bandwidth{1000, 2147483647, 1000000000000000, 2147483647});
  }
  SECTION("egress only, binary suffix") {
    auto bw = bandwidthFromAnnotations({{kEgressBandwidthAnnotation, "1Gi"}});
    REQUIRE(bw.isOk());
    CHECK(**bw == Bandwidth{0, 0, 1073741824, 2147483647});
  }
}

TEST_CASE("bandwidthFromAnnotations refuses bad or unreasonable values", "[cni_config]") {
  struct Case {
    const char* annotation;
    const char* value;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {kIngressBandwidthAnnotation, "", "not a Kubernetes quantity"},
      {kIngressBandwidthAnnotation, "10 M", "not a Kubernetes quantity"},
      {kEgressBandwidthAnnotation, "1K", "not a Kubernetes quantity"},
      {kIngressBandwidthAnnotation, "999", "unreasonably small (< 1kbit)"},
      {kIngressBandwidthAnnotation, "0.9k", "unreasonably small (< 1kbit)"},
      {kEgressBandwidthAnnotation, "-1M", "unreasonably small (< 1kbit)"},
      {kEgressBandwidthAnnotation, "0", "unreasonably small (< 1kbit)"},
      {kIngressBandwidthAnnotation, "1Pi", "unreasonably large (> 1Pbit)"},
      {kIngressBandwidthAnnotation, "1000000000000001", "unreasonably large (> 1Pbit)"},
      {kEgressBandwidthAnnotation, "1E", "unreasonably large (> 1Pbit)"},
      {kEgressBandwidthAnnotation, "1e400", "unreasonably large (> 1Pbit)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.annotation, c.value);
    auto bw = bandwidthFromAnnotations({{c.annotation, c.value}});
    REQUIRE_FALSE(bw.isOk());
    CHECK(bw.status().code() == Code::kInvalidArgument);
    CHECK_THAT(bw.status().message(),
               Catch::StartsWith(std::string("pod annotation \"") + c.annotation + "\""));
    CHECK_THAT(bw.status().message(), Catch::Contains(c.reason));
  }
  // One bad direction fails the pair.
  auto bw = bandwidthFromAnnotations(
      {{kIngressBandwidthAnnotation, "10M"}, {kEgressBandwidthAnnotation, "10MB"}});
  REQUIRE_FALSE(bw.isOk());
  CHECK_THAT(bw.status().message(), Catch::Contains(kEgressBandwidthAnnotation));
}

}  // namespace
}  // namespace dockershim::network
