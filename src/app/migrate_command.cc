// dockershim migrate: check what would break on containerd, translate Docker's settings, carry
// the images (src/migrate/ does the work; this file is the command line).
#include "app/migrate_command.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/options.h"
#include "common/capabilities.h"
#include "docker/docker_client_impl.h"
#include "migrate/docker_config.h"
#include "migrate/findings.h"
#include "migrate/images.h"
#include "migrate/scan.h"

namespace dockershim::app {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kOk = 0, kBlocked = 1, kError = 2;

int fail(const std::string& message) {
  std::cerr << "dockershim migrate: " << message << "\n";
  return kError;
}

// GET http://host:port<path> with a bound on the whole exchange; the body of a 200 answer.
Result<std::string> httpGet(const std::string& base, const std::string& path,
                            std::chrono::milliseconds budget) {
  std::string rest = base;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return Status(Code::kInvalidArgument, "no port in " + base);
  std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || !found) {
    return Status(Code::kUnavailable, "cannot resolve " + base);
  }
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{static_cast<time_t>(budget.count() / 1000),
             static_cast<suseconds_t>((budget.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (rc != 0) {
    ::close(fd);
    return Status(Code::kUnavailable, "no dockershim answers at " + base);
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + rest + "\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return Status(Code::kUnavailable, "cannot send to " + base);
  }
  std::string answer;
  char buf[8192];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
    answer.append(buf, static_cast<size_t>(n));
    if (answer.size() > (64u << 20)) break;
  }
  ::close(fd);
  auto end = answer.find("\r\n\r\n");
  if (answer.size() < 13 || answer.rfind("HTTP/1.", 0) != 0 || answer.compare(8, 5, " 200 ") != 0 ||
      end == std::string::npos) {
    return Status(Code::kUnavailable,
                  base + path + " answered: " + answer.substr(0, answer.find("\r\n")));
  }
  return answer.substr(end + 4);
}

std::shared_ptr<docker::DockerClientImpl> dockerClient(const std::string& endpoint,
                                                       std::string* error) {
  auto socket = docker::unixSocketPath(endpoint);
  if (!socket) {
    *error = "--docker-endpoint: " + socket.status().message();
    return nullptr;
  }
  return std::make_shared<docker::DockerClientImpl>(*socket);
}

bool writeFile(const fs::path& path, const std::string& text, std::string* error) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) {
    *error = "cannot write " + path.string();
    return false;
  }
  return true;
}

struct CheckArgs {
  std::string dockerEndpoint = "unix:///var/run/docker.sock";
  std::string daemon = "http://127.0.0.1:10260";
  std::string output = "table";
};

int runCheck(const CheckArgs& a) {
  std::vector<migrate::Finding> findings;
  json sources = json::array();
  std::vector<std::string> problems;
  if (!a.daemon.empty()) {
    auto body = httpGet(a.daemon, "/migrate/findings", std::chrono::seconds(5));
    if (body) {
      try {
        json answer = json::parse(*body);    // kept: the loop reads into it
        std::vector<migrate::Finding> live;  // all or nothing
        for (const auto& f : answer.at("findings")) live.push_back(migrate::fromJson(f));
        findings.insert(findings.end(), live.begin(), live.end());
        sources.push_back("dockershim at " + a.daemon + " (live, exec timeouts included)");
      } catch (const json::exception& e) {
        problems.push_back("dockershim at " + a.daemon +
                           " sent findings this tool cannot read: " + e.what());
      }
    } else {
      problems.push_back(body.status().message() + " (exec timeouts are seen only live)");
    }
  }
  if (!a.dockerEndpoint.empty()) {
    std::string error;
    auto client = dockerClient(a.dockerEndpoint, &error);
    if (!client) return fail(error);
    auto deadline = docker::deadlineIn(std::chrono::minutes(2));
    auto negotiated = client->negotiate(deadline);
    auto scanned = negotiated ? migrate::scanDocker(*client, a.dockerEndpoint, deadline)
                              : Result<std::vector<migrate::Finding>>(negotiated.status());
    if (scanned) {
      findings.insert(findings.end(), scanned->begin(), scanned->end());
      sources.push_back("Docker at " + a.dockerEndpoint);
    } else {
      problems.push_back("Docker at " + a.dockerEndpoint + ": " + scanned.status().message());
    }
  }
  if (sources.empty()) {
    for (const auto& p : problems) std::cerr << "dockershim migrate check: " << p << "\n";
    return fail("neither dockershim nor Docker could be asked");
  }
  findings = migrate::normalize(std::move(findings));
  size_t blocking = 0;
  for (const auto& f : findings) blocking += f.blocking ? 1 : 0;
  if (a.output == "json") {
    json list = json::array();
    for (const auto& f : findings) list.push_back(migrate::toJson(f));
    std::cout << json{{"sources", sources},
                      {"unavailable", problems},
                      {"findings", list},
                      {"blocking", blocking},
                      {"ready", blocking == 0}}
                     .dump(2, ' ', false, json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << "Sources: ";
    for (size_t i = 0; i < sources.size(); ++i) {
      std::cout << (i ? "; " : "") << sources[i].get<std::string>();
    }
    std::cout << "\n";
    for (const auto& p : problems) std::cout << "Not asked: " << p << "\n";
    std::cout << "\n" << migrate::renderTable(findings);
  }
  return blocking == 0 ? kOk : kBlocked;
}

struct ConfigArgs {
  std::string daemonJson = "/etc/docker/daemon.json";
  std::string dockerEndpoint = "unix:///var/run/docker.sock";
  std::string outputDir;
  migrate::ContainerdTarget target;
};

int runConfig(ConfigArgs a) {
  std::string text;
  std::vector<std::string> notes;
  if (!a.daemonJson.empty()) {
    std::ifstream in(a.daemonJson);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    } else if (std::error_code ec; fs::exists(a.daemonJson, ec) || ec) {
      return fail("cannot read " + a.daemonJson);
    } else {
      notes.push_back(a.daemonJson + " does not exist: Docker runs with its defaults");
    }
  }
  json info;
  if (!a.dockerEndpoint.empty()) {
    std::string error;
    auto client = dockerClient(a.dockerEndpoint, &error);
    if (!client) return fail(error);
    auto deadline = docker::deadlineIn(std::chrono::seconds(30));
    auto negotiated = client->negotiate(deadline);
    auto got = negotiated ? client->info(deadline) : Result<json>(negotiated.status());
    if (got) {
      info = *got;
    } else {
      notes.push_back("Docker at " + a.dockerEndpoint + " not asked (" + got.status().message() +
                      "): only " + a.daemonJson + " is translated, without dockerd's flags");
    }
  }
  a.target.restrictOomScoreAdj =
      ((common::boundingCapabilities() >> common::kCapSysResource) & 1) == 0;
  auto plan = migrate::translateDockerConfig(text, info, a.target);
  if (!plan) return fail(plan.status().message());
  fs::path out(a.outputDir);
  std::string error;
  std::vector<std::string> written;
  if (!writeFile(out / "config.toml", plan->configToml, &error)) return fail(error);
  written.push_back((out / "config.toml").string() + "  -> /etc/containerd/config.toml");
  for (const auto& [host, toml] : plan->hostsToml) {
    fs::path p = out / "certs.d" / host / "hosts.toml";
    if (!writeFile(p, toml, &error)) return fail(error);
    written.push_back(p.string() + "  -> " + a.target.certsDir + "/" + host + "/hosts.toml");
  }
  if (!writeFile(out / "kubelet-config.yaml", plan->kubeletConfig, &error)) return fail(error);
  written.push_back((out / "kubelet-config.yaml").string() +
                    "  -> merge into the kubelet's configuration file");
  std::ostringstream report;
  report << "Wrote:\n";
  for (const auto& w : written) report << "  " << w << "\n";
  notes.insert(notes.end(), plan->notes.begin(), plan->notes.end());
  if (a.target.restrictOomScoreAdj) {
    notes.push_back(
        "this host lacks CAP_SYS_RESOURCE: config.toml sets restrict_oom_score_adj "
        "(drop it on a node that has the capability)");
  }
  report << "\nCarried over:\n";
  for (const auto& n : notes) report << "  " << n << "\n";
  report << "\nNo containerd or kubelet equivalent (" << plan->unsupported.size() << "):\n";
  for (const auto& u : plan->unsupported) {
    report << "  " << u.setting << " = " << u.value << ": " << u.why << "\n";
  }
  if (plan->unsupported.empty()) report << "  none\n";
  if (!writeFile(out / "UNSUPPORTED.txt", report.str(), &error)) return fail(error);
  std::cout << report.str();
  return kOk;
}

struct ImagesArgs {
  std::string dockerEndpoint = "unix:///var/run/docker.sock";
  std::string sandboxImage = kDefaultPauseImage;
  migrate::ContainerdImport target;
  bool dryRun = false;
};

int runImages(const ImagesArgs& a) {
  std::string error;
  auto client = dockerClient(a.dockerEndpoint, &error);
  if (!client) return fail(error);
  auto deadline = docker::deadlineIn(std::chrono::hours(2));
  if (auto v = client->negotiate(deadline); !v) return fail("docker: " + v.status().message());
  auto plan = migrate::planCarry(*client, a.sandboxImage, deadline);
  if (!plan) return fail(plan.status().message());
  std::cout << "Images the node's pods use (" << plan->images.size() << "):\n";
  for (const auto& image : plan->images) {
    std::string names, users;
    for (const auto& n : image.names) names += (names.empty() ? "" : ", ") + n;
    for (const auto& u : image.usedBy) users += (users.empty() ? "" : ", ") + u;
    std::cout << "  " << names << "  " << image.id.substr(0, 19) << "  used by " << users << "\n";
  }
  for (const auto& s : plan->skipped) std::cout << "  not carried: " << s << "\n";
  if (a.dryRun) {
    std::cout << "dry run: nothing copied\n";
    return kOk;
  }
  std::string output;
  Status st = migrate::carryImages(*client, *plan, a.target, deadline, &output);
  if (!st) return fail(st.message());
  std::cout << "Copied into containerd at " << a.target.address << " (namespace "
            << a.target.namespace_ << "):\n"
            << output;
  return kOk;
}

}  // namespace

int runMigrate(int argc, char** argv) {
  CLI::App app{
      "Moving a node from Docker to containerd: what would break, Docker's settings "
      "for containerd and the kubelet, and the images the pods use.",
      "dockershim migrate"};
  app.require_subcommand(1);

  CheckArgs check;
  auto* c = app.add_subcommand(
      "check",
      "List what in the node's pods would break or change on containerd. Exit code 0 "
      "when nothing blocks the move, 1 when something does, 2 on error.");
  c->add_option("--docker-endpoint", check.dockerEndpoint,
                "Docker to scan (\"\" to ask only the daemon)")
      ->capture_default_str();
  c->add_option("--daemon", check.daemon,
                "dockershim's metrics address, for what it saw live (\"\" for Docker only)")
      ->capture_default_str();
  c->add_option("-o,--output", check.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  ConfigArgs config;
  config.target.sandboxImage = kDefaultPauseImage;
  auto* g = app.add_subcommand(
      "config",
      "Translate Docker's settings into containerd's config.toml, certs.d hosts.toml "
      "files and kubelet settings, and list what has no equivalent.");
  g->add_option("--daemon-json", config.daemonJson, "Docker's configuration file")
      ->capture_default_str();
  g->add_option("--docker-endpoint", config.dockerEndpoint,
                "Docker whose info (command-line flags included) is read (\"\" for the file only)")
      ->capture_default_str();
  g->add_option("--output-dir", config.outputDir, "where the files are written")->required();
  g->add_option("--sandbox-image", config.target.sandboxImage, "the pods' pause image")
      ->capture_default_str();
  g->add_option("--containerd-root", config.target.root)->capture_default_str();
  g->add_option("--containerd-state", config.target.state)->capture_default_str();
  g->add_option("--containerd-address", config.target.address)->capture_default_str();
  g->add_option("--certs-dir", config.target.certsDir,
                "where the hosts.toml files will be installed (registry config_path)")
      ->capture_default_str();
  g->add_option("--cni-bin-dir", config.target.cniBinDir)->capture_default_str();
  g->add_option("--cni-conf-dir", config.target.cniConfDir)->capture_default_str();

  ImagesArgs images;
  auto* i = app.add_subcommand(
      "images",
      "Copy the images the node's pods use, and the sandbox image, from Docker into "
      "containerd's k8s.io namespace.");
  i->add_option("--docker-endpoint", images.dockerEndpoint)->capture_default_str();
  i->add_option("--sandbox-image", images.sandboxImage)->capture_default_str();
  i->add_option("--containerd-address", images.target.address)->capture_default_str();
  i->add_option("--namespace", images.target.namespace_)->capture_default_str();
  i->add_option("--ctr", images.target.ctr, "containerd's client program")->capture_default_str();
  i->add_flag("--dry-run", images.dryRun, "list what would be copied");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kOk : kError;
  }
  try {
    if (c->parsed()) return runCheck(check);
    if (g->parsed()) return runConfig(config);
    return runImages(images);
  } catch (const std::exception& e) {
    return fail(e.what());  // what Docker or the daemon sent was not what it should be
  }
}

}  // namespace dockershim::app
