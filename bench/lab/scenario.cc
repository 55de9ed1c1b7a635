#include "scenario.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "dockershim/status.h"

namespace dockershim::lab {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// gRPC's canonical code names; Code has gRPC's numbering.
const char* codeName(grpc::StatusCode code) {
  return dockershim::codeName(static_cast<Code>(code));
}

template <class Map>
nlohmann::json mapJson(const Map& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

// "docker-pullable://busybox@sha256:…" → "docker-pullable"; "sha256:…" → "sha256".
std::string refKind(const std::string& ref) {
  if (auto p = ref.find("://"); p != std::string::npos) return ref.substr(0, p);
  if (auto p = ref.find(':'); p != std::string::npos && ref.find('@') == std::string::npos)
    return ref.substr(0, p);
  return ref.empty() ? "" : "reference";
}

nlohmann::json containerJson(const v1::ContainerStatus& s) {
  nlohmann::json mounts = nlohmann::json::array();
  for (const auto& m : s.mounts()) {
    mounts.push_back({{"container_path", m.container_path()},
                      {"host_path_set", !m.host_path().empty()},
                      {"readonly", m.readonly()}});
  }
  return {{"state", v1::ContainerState_Name(s.state())},
          {"metadata", {{"name", s.metadata().name()}, {"attempt", s.metadata().attempt()}}},
          {"image", s.image().image()},
          {"image_ref_kind", refKind(s.image_ref())},
          {"exit_code", s.exit_code()},
          {"reason", s.reason()},
          {"message", s.message()},
          {"started", s.started_at() > 0},
          {"finished", s.finished_at() > 0},
          {"labels", mapJson(s.labels())},
          {"annotations", mapJson(s.annotations())},
          {"mounts", mounts},
          {"log_path_set", !s.log_path().empty()}};
}

nlohmann::json sandboxJson(const v1::PodSandboxStatus& s) {
  const auto& ns = s.linux().namespaces().options();
  return {{"state", v1::PodSandboxState_Name(s.state())},
          {"metadata",
           {{"name", s.metadata().name()},
            {"namespace", s.metadata().namespace_()},
            {"attempt", s.metadata().attempt()}}},
          {"has_ip", !s.network().ip().empty()},
          {"additional_ips", s.network().additional_ips_size()},
          {"namespaces",
           {{"network", v1::NamespaceMode_Name(ns.network())},
            {"pid", v1::NamespaceMode_Name(ns.pid())},
            {"ipc", v1::NamespaceMode_Name(ns.ipc())}}},
          {"labels", mapJson(s.labels())},
          {"annotations", mapJson(s.annotations())},
          {"runtime_handler", s.runtime_handler()}};
}

// CRI log lines "<time> <stream> <tag> <content>" without the time, sorted: the order of lines
// of different streams written at once is not the runtime's to keep.
nlohmann::json logJson(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string time, stream, tag;
    fields >> time >> stream >> tag;
    std::string content;
    std::getline(fields, content);
    if (!content.empty() && content.front() == ' ') content.erase(0, 1);
    lines.push_back({{"stream", stream}, {"tag", tag}, {"content", content}});
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

class Recorder {
 public:
  explicit Recorder(CriClient& cri) : cri_(cri) {}
  nlohmann::json steps = nlohmann::json::array();

  template <class Stub, class Req, class Resp>
  grpc::Status call(const std::string& step,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp,
                    const std::function<nlohmann::json(const Resp&)>& describe = nullptr) {
    auto st = cri_.call(method, req, resp);
    nlohmann::json entry = {{"step", step}, {"code", codeName(st.error_code())}};
    if (st.ok() && describe) entry["response"] = describe(*resp);
    steps.push_back(std::move(entry));
    return st;
  }
  void note(const std::string& step, nlohmann::json what) {
    steps.push_back({{"step", step}, {"code", "OK"}, {"response", std::move(what)}});
  }

 private:
  CriClient& cri_;
};

}  // namespace

nlohmann::json runScenario(CriClient& cri, const ScenarioOptions& options) {
  Recorder rec(cri);
  std::random_device rd;
  std::string runId = std::to_string(rd() % 1000000);
  fs::path dir = fs::path(options.workDir) / ("diff-" + runId);
  fs::path logs = dir / "logs";
  fs::path data = dir / "data";
  std::error_code ec;
  fs::create_directories(logs, ec);
  fs::create_directories(data, ec);
  std::ofstream(data / "hello.txt") << "hello from the host\n";

  {
    v1::VersionRequest req;
    v1::VersionResponse resp;
    rec.call("Version", &v1::RuntimeService::Stub::Version, req, &resp,
             std::function<nlohmann::json(const v1::VersionResponse&)>([](const auto& r) {
               return nlohmann::json{{"version", r.version()}};
             }));
  }
  {
    v1::StatusRequest req;
    v1::StatusResponse resp;
    rec.call("Status", &v1::RuntimeService::Stub::Status, req, &resp,
             std::function<nlohmann::json(const v1::StatusResponse&)>([](const auto& r) {
               nlohmann::json conditions = nlohmann::json::object();
               for (const auto& c : r.status().conditions()) conditions[c.type()] = c.status();
               return conditions;
             }));
  }
  {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(options.image);
    v1::ImageStatusResponse resp;
    rec.call("ImageStatus", &v1::ImageService::Stub::ImageStatus, req, &resp,
             std::function<nlohmann::json(const v1::ImageStatusResponse&)>([](const auto& r) {
               return nlohmann::json{{"present", r.has_image()},
                                     {"has_id", !r.image().id().empty()},
                                     {"has_size", r.image().size() > 0},
                                     {"tagged", r.image().repo_tags_size() > 0}};
             }));
  }

  v1::PodSandboxConfig pod;
  pod.mutable_metadata()->set_name("diff");
  pod.mutable_metadata()->set_namespace_("dockershim-lab-diff");
  pod.mutable_metadata()->set_uid("diff-" + runId);
  pod.set_hostname("diff");
  pod.set_log_directory(logs.string());
  (*pod.mutable_labels())["dockershim-lab.diff"] = "scenario";  // no id: both sides equal
  (*pod.mutable_annotations())["lab/note"] = "a pod annotation";
  v1::RunPodSandboxRequest runReq;
  *runReq.mutable_config() = pod;
  v1::RunPodSandboxResponse ran;
  auto podStatus = std::function<nlohmann::json(const v1::PodSandboxStatusResponse&)>(
      [](const auto& r) { return sandboxJson(r.status()); });
  auto ctrStatus = std::function<nlohmann::json(const v1::ContainerStatusResponse&)>(
      [](const auto& r) { return containerJson(r.status()); });
  auto execOut = std::function<nlohmann::json(const v1::ExecSyncResponse&)>([](const auto& r) {
    return nlohmann::json{
        {"exit_code", r.exit_code()}, {"stdout", r.stdout()}, {"stderr", r.stderr()}};
  });
  std::string podId;
  if (rec.call("RunPodSandbox", &v1::RuntimeService::Stub::RunPodSandbox, runReq, &ran).ok()) {
    podId = ran.pod_sandbox_id();
  }
  auto statusOfPod = [&](const std::string& step) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(podId);
    v1::PodSandboxStatusResponse resp;
    rec.call(step, &v1::RuntimeService::Stub::PodSandboxStatus, req, &resp, podStatus);
  };
  auto statusOf = [&](const std::string& step, const std::string& id) {
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    v1::ContainerStatusResponse resp;
    rec.call(step, &v1::RuntimeService::Stub::ContainerStatus, req, &resp, ctrStatus);
    return resp.status();
  };

  std::string a, b;
  if (!podId.empty()) {
    statusOfPod("PodSandboxStatus ready");
    auto create = [&](const std::string& name, const std::vector<std::string>& cmd,
                      bool withExtras) {
      v1::CreateContainerRequest req;
      req.set_pod_sandbox_id(podId);
      *req.mutable_sandbox_config() = pod;
      auto* c = req.mutable_config();
      c->mutable_metadata()->set_name(name);
      c->mutable_image()->set_image(options.image);
      for (const auto& arg : cmd) c->add_command(arg);
      c->set_log_path(name + ".log");
      (*c->mutable_labels())["app"] = name;
      if (withExtras) {
        auto* env = c->add_envs();
        env->set_key("FOO");
        env->set_value("bar baz");
        c->set_working_dir("/tmp");
        auto* m = c->add_mounts();
        m->set_container_path("/data");
        m->set_host_path(data.string());
        m->set_readonly(true);
        c->mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(1000);
        (*c->mutable_annotations())["lab/role"] = "runs";
      }
      v1::CreateContainerResponse resp;
      rec.call("CreateContainer " + name, &v1::RuntimeService::Stub::CreateContainer, req, &resp);
      return resp.container_id();
    };
    a = create("runner", {"sh", "-c", "echo started; exec sleep 1000000"}, true);
    b = create("exiter", {"sh", "-c", "echo out; echo err >&2; exit 3"}, false);
    for (const auto& [name, id] : {std::pair{"runner", a}, std::pair{"exiter", b}}) {
      if (id.empty()) continue;
      statusOf(std::string("ContainerStatus created ") + name, id);
      v1::StartContainerRequest req;
      req.set_container_id(id);
      v1::StartContainerResponse resp;
      rec.call(std::string("StartContainer ") + name, &v1::RuntimeService::Stub::StartContainer,
               req, &resp);
    }
    // The exiter ends on its own: its status once it has.
    if (!b.empty()) {
      auto until = Clock::now() + std::chrono::seconds(20);
      for (;;) {
        v1::ContainerStatusRequest req;
        req.set_container_id(b);
        v1::ContainerStatusResponse resp;
        auto st = cri.call(&v1::RuntimeService::Stub::ContainerStatus, req, &resp);
        if (!st.ok() || resp.status().state() == v1::CONTAINER_EXITED || Clock::now() > until)
          break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      statusOf("ContainerStatus exited exiter", b);
      // Log lines reach the file shortly after the process wrote them.
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      rec.note("log of exiter", logJson((logs / "exiter.log").string()));
    }
    if (!a.empty()) {
      statusOf("ContainerStatus running runner", a);
      auto exec = [&](const std::string& step, std::vector<std::string> cmd) {
        v1::ExecSyncRequest req;
        req.set_container_id(a);
        for (auto& arg : cmd) req.add_cmd(arg);
        req.set_timeout(10);
        v1::ExecSyncResponse resp;
        rec.call(step, &v1::RuntimeService::Stub::ExecSync, req, &resp, execOut);
      };
      exec("ExecSync env, user, workdir, mount",
           {"sh", "-c", "echo \"$FOO\"; id -u; pwd; cat /data/hello.txt"});
      exec("ExecSync read-only mount", {"sh", "-c", "echo x > /data/new 2>/dev/null || echo ro"});
      exec("ExecSync exit code", {"sh", "-c", "echo to-err >&2; exit 7"});
      exec("ExecSync missing binary", {"/no/such/binary"});
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      rec.note("log of runner", logJson((logs / "runner.log").string()));
    }
    {
      v1::ListContainersRequest req;
      req.mutable_filter()->set_pod_sandbox_id(podId);
      v1::ListContainersResponse resp;
      rec.call("ListContainers of the pod", &v1::RuntimeService::Stub::ListContainers, req, &resp,
               std::function<nlohmann::json(const v1::ListContainersResponse&)>([](const auto& r) {
                 std::map<std::string, std::string> states;
                 for (const auto& c : r.containers())
                   states[c.metadata().name()] = v1::ContainerState_Name(c.state());
                 return mapJson(states);
               }));
    }
    if (!a.empty()) {
      v1::StopContainerRequest req;
      req.set_container_id(a);
      req.set_timeout(2);
      v1::StopContainerResponse resp;
      rec.call("StopContainer runner", &v1::RuntimeService::Stub::StopContainer, req, &resp);
      statusOf("ContainerStatus stopped runner", a);
      rec.call("StopContainer runner again", &v1::RuntimeService::Stub::StopContainer, req, &resp);
    }
    for (const auto& [name, id] : {std::pair{"runner", a}, std::pair{"exiter", b}}) {
      if (id.empty()) continue;
      v1::RemoveContainerRequest req;
      req.set_container_id(id);
      v1::RemoveContainerResponse resp;
      rec.call(std::string("RemoveContainer ") + name, &v1::RuntimeService::Stub::RemoveContainer,
               req, &resp);
      statusOf(std::string("ContainerStatus removed ") + name, id);
      rec.call(std::string("RemoveContainer again ") + name,
               &v1::RuntimeService::Stub::RemoveContainer, req, &resp);
    }
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(podId);
    v1::StopPodSandboxResponse stopped;
    rec.call("StopPodSandbox", &v1::RuntimeService::Stub::StopPodSandbox, stop, &stopped);
    statusOfPod("PodSandboxStatus stopped");
    v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(podId);
    v1::RemovePodSandboxResponse removed;
    rec.call("RemovePodSandbox", &v1::RuntimeService::Stub::RemovePodSandbox, rm, &removed);
    statusOfPod("PodSandboxStatus removed");
    rec.call("RemovePodSandbox again", &v1::RuntimeService::Stub::RemovePodSandbox, rm, &removed);
  }

  // Calls that must fail (or succeed as no-ops), by their codes.
  const std::string missing(64, 'f');
  statusOf("ContainerStatus of an empty id", "");
  statusOf("ContainerStatus of a missing container", missing);
  {
    v1::StartContainerRequest req;
    req.set_container_id(missing);
    v1::StartContainerResponse resp;
    rec.call("StartContainer of a missing container", &v1::RuntimeService::Stub::StartContainer,
             req, &resp);
  }
  {
    v1::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(missing);
    v1::StopPodSandboxResponse resp;
    rec.call("StopPodSandbox of a missing pod", &v1::RuntimeService::Stub::StopPodSandbox, req,
             &resp);
  }
  {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(missing);
    v1::PodSandboxStatusResponse resp;
    rec.call("PodSandboxStatus of a missing pod", &v1::RuntimeService::Stub::PodSandboxStatus, req,
             &resp);
  }
  {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(missing);
    *req.mutable_sandbox_config() = pod;
    req.mutable_config()->mutable_metadata()->set_name("orphan");
    req.mutable_config()->mutable_image()->set_image(options.image);
    v1::CreateContainerResponse resp;
    rec.call("CreateContainer in a missing pod", &v1::RuntimeService::Stub::CreateContainer, req,
             &resp);
  }
  {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image("dockershim-lab.invalid/none:1");
    v1::ImageStatusResponse resp;
    rec.call("ImageStatus of a missing image", &v1::ImageService::Stub::ImageStatus, req, &resp,
             std::function<nlohmann::json(const v1::ImageStatusResponse&)>([](const auto& r) {
               return nlohmann::json{{"present", r.has_image()}};
             }));
  }
  {
    v1::PullImageRequest req;
    req.mutable_image()->set_image("127.0.0.1:1/dockershim-lab/none:1");
    v1::PullImageResponse resp;
    rec.call("PullImage from a registry that is not there", &v1::ImageService::Stub::PullImage, req,
             &resp);
  }
  fs::remove_all(dir, ec);
  return {{"steps", rec.steps}};
}

}  // namespace dockershim::lab
