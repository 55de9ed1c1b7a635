// ContainerStatus and ListContainers.
#include "translate/container_status.h"

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "translate/container_list.h"
#include "translate/labels.h"

namespace dockershim::cri {

Status CriService::containerStatus(const v1::ContainerStatusRequest& req,
                                   v1::ContainerStatusResponse* resp, const CallContext& ctx) {
  const std::string& id = req.container_id();
  if (id.empty()) return {Code::kInvalidArgument, "container status: container id is empty"};
  // Verbose shows Docker's Config and HostConfig as Docker sends them.
  auto inspect = req.verbose() ? inspectWhole(id, ctx) : inspectAny(id, ctx);
  if (!inspect) return inspect.status().withContext("container status \"" + id + "\"");
  const nlohmann::json& container = **inspect;
  const auto& config = common::jsonMember(container, "Config");
  if (common::jsonString(common::jsonMember(config, "Labels"), translate::kContainerTypeLabel) !=
      translate::kContainerTypeContainer) {
    return {Code::kNotFound, "container status: \"" + id + "\" is not a CRI container"};
  }
  // The image's digests make image_ref; an image removed since is not an error.
  static const nlohmann::json kNoImage;
  JsonPtr image;
  if (auto img = inspectImageAny(common::jsonString(container, "Image"), ctx); img) image = *img;
  if (Status st = translate::containerStatusFromInspect(container, image ? *image : kNoImage,
                                                        resp->mutable_status());
      !st) {
    return st.withContext("container status \"" + id + "\"");
  }
  translate::containerResourcesFromInspect(container, resp->mutable_status());
  if (options_.logFollowers) {
    // Said where the kubelet shows it: `kubectl logs` will find no CRI log for this container.
    std::string problem = options_.logFollowers->problem(resp->status().id());
    if (!problem.empty()) {
      auto* status = resp->mutable_status();
      status->set_message(status->message().empty() ? problem : status->message() + "; " + problem);
    }
  }
  if (req.verbose()) {
    nlohmann::json info = {
        {"pid", common::jsonInt(common::jsonMember(container, "State"), "Pid")},
        {"sandboxID",
         common::jsonString(common::jsonMember(config, "Labels"), translate::kSandboxIdLabel)},
        {"hostConfig", common::jsonMember(container, "HostConfig")},
        {"config", config},
    };
    (*resp->mutable_info())["info"] = info.dump();
  }
  return Status::ok();
}

Status CriService::listContainers(const v1::ListContainersRequest& req,
                                  v1::ListContainersResponse* resp, const CallContext& ctx) {
  return listContainersAs(req, resp, ctx, false);
}

Status CriService::listContainersForWire(const v1::ListContainersRequest& req,
                                         v1::ListContainersResponse* resp, const CallContext& ctx) {
  return listContainersAs(req, resp, ctx, true);
}

Status CriService::listContainersAs(const v1::ListContainersRequest& req,
                                    v1::ListContainersResponse* resp, const CallContext& ctx,
                                    bool wire) {
  if (cache_ && cache_->synced()) {
    // From memory: entries translated (and serialised) when they were kept, narrowed by index.
    const auto& filter = req.filter();
    ImageLookup lookup;
    for (const auto& e : cache_->list(false, filter.id(), filter.pod_sandbox_id())) {
      if (!e.container || !translate::matches(filter, *e.container)) continue;
      constexpr int kField = v1::ListContainersResponse::kContainersFieldNumber;
      auto shown = listedImage(e.container->image().image(), e.container->image_ref(), lookup, ctx);
      if (!shown) {
        addListed(resp, kField, resp->mutable_containers(), wire, *e.container, e.wire.get());
        continue;
      }
      v1::Container changed = *e.container;
      changed.mutable_image()->set_image(*shown);
      addListed(resp, kField, resp->mutable_containers(), wire, changed, nullptr);
    }
    return Status::ok();
  }
  auto list = listAny(translate::containerListFilters(req.filter()), false, ctx);
  if (!list) return list.status().withContext("list containers");
  if (!list->is_array()) return {Code::kInternal, "list containers: docker sent no array"};
  for (const auto& summary : *list) {
    v1::Container container;
    if (!translate::containerFromSummary(summary, &container)) continue;
    if (!translate::matches(req.filter(), container)) continue;
    *resp->add_containers() = std::move(container);
  }
  return Status::ok();
}

}  // namespace dockershim::cri
