#include "cri/container_events.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "common/json_util.h"
#include "docker/url.h"
#include "translate/labels.h"

namespace dockershim::cri {

namespace {

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The pod a CRI container or sandbox belongs to, from its labels; nullopt when not ours.
std::optional<RawEvent> identify(const std::string& id, const nlohmann::json& labels) {
  if (id.empty()) return std::nullopt;
  std::string kind = common::jsonString(labels, translate::kContainerTypeLabel);
  RawEvent e;
  e.id = id;
  if (kind == translate::kContainerTypeSandbox) {
    e.isSandbox = true;
    e.sandboxId = id;
  } else if (kind == translate::kContainerTypeContainer) {
    e.sandboxId = common::jsonString(labels, translate::kSandboxIdLabel);
    if (e.sandboxId.empty()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return e;
}

}  // namespace

std::optional<RawEvent> rawEventFromDocker(const nlohmann::json& message) {
  if (common::jsonString(message, "Type") != "container") return std::nullopt;
  const auto& actor = common::jsonMember(message, "Actor");
  auto e = identify(common::jsonString(actor, "ID"), common::jsonMember(actor, "Attributes"));
  if (!e) return std::nullopt;
  std::string action = common::jsonString(message, "Action");
  if (action == "create") {
    e->type = v1::CONTAINER_CREATED_EVENT;
  } else if (action == "start") {
    e->type = v1::CONTAINER_STARTED_EVENT;
  } else if (action == "die") {
    e->type = v1::CONTAINER_STOPPED_EVENT;
  } else if (action == "destroy") {
    e->type = v1::CONTAINER_DELETED_EVENT;
  } else {
    return std::nullopt;
  }
  e->timeNanos = common::jsonInt(message, "timeNano");
  if (e->timeNanos == 0) {
    int64_t seconds = common::jsonInt(message, "time");
    if (seconds > 0 && seconds < INT64_MAX / 1'000'000'000) e->timeNanos = seconds * 1'000'000'000;
  }
  return e;
}

std::optional<RawEvent> changeEventFromDocker(const nlohmann::json& message) {
  if (common::jsonString(message, "Type") != "container") return std::nullopt;
  std::string action = common::jsonString(message, "Action");
  if (action != "update" && action != "rename" && action != "pause" && action != "unpause") {
    return std::nullopt;
  }
  const auto& actor = common::jsonMember(message, "Actor");
  auto e = identify(common::jsonString(actor, "ID"), common::jsonMember(actor, "Attributes"));
  if (e) e->emit = false;
  return e;
}

std::optional<RawEvent> rawEventFromSummary(const nlohmann::json& summary, int64_t now) {
  auto e = identify(common::jsonString(summary, "Id"), common::jsonMember(summary, "Labels"));
  if (!e) return std::nullopt;
  std::string state = common::jsonString(summary, "State");
  if (state == "created") {
    e->type = v1::CONTAINER_CREATED_EVENT;
  } else if (state == "running" || state == "paused" || state == "restarting") {
    e->type = v1::CONTAINER_STARTED_EVENT;
  } else if (state == "exited" || state == "dead") {
    e->type = v1::CONTAINER_STOPPED_EVENT;
  } else {
    return std::nullopt;  // "removing": its destroy event follows
  }
  e->timeNanos = now;
  return e;
}

bool EventTracker::accept(const RawEvent& event) {
  auto it = known_.find(event.id);
  if (it != known_.end()) {
    Known& k = it->second;
    bool forward = event.type > k.type;
    bool newer = event.timeNanos > k.timeNanos && event.type != k.type;
    if (!forward && !newer) return false;
  }
  if (event.type == v1::CONTAINER_DELETED_EVENT) {
    // Gone for good; a replay of its older events must not bring it back: keep a tombstone for
    // as long as Docker could replay (a minute), then forget it.
    known_[event.id] = {event.type, event.timeNanos, event.sandboxId, event.isSandbox};
    tombstones_.emplace_back(event.timeNanos, event.id);
    while (!tombstones_.empty() && event.timeNanos - tombstones_.front().first > kTombstoneNanos) {
      auto it = known_.find(tombstones_.front().second);
      if (it != known_.end() && it->second.type == v1::CONTAINER_DELETED_EVENT &&
          event.timeNanos - it->second.timeNanos > kTombstoneNanos) {
        known_.erase(it);
      }
      tombstones_.pop_front();
    }
    return true;
  }
  int64_t time =
      it == known_.end() ? event.timeNanos : std::max(it->second.timeNanos, event.timeNanos);
  known_[event.id] = {event.type, time, event.sandboxId, event.isSandbox};
  return true;
}

std::vector<RawEvent> EventTracker::resync(const std::vector<RawEvent>& current, int64_t now,
                                           bool initial) {
  std::vector<RawEvent> out;
  std::set<std::string> present;
  for (const auto& e : current) {
    present.insert(e.id);
    if (initial) {
      // Known at time 0: what Docker replays of the moments before the subscription (its own
      // times) is sent, in order, so nothing a subscriber did just before it is lost.
      known_[e.id] = {e.type, 0, e.sandboxId, e.isSandbox};
      continue;
    }
    auto it = known_.find(e.id);
    if (it == known_.end() || it->second.type != e.type) {
      if (it != known_.end() && it->second.type == v1::CONTAINER_DELETED_EVENT) continue;
      known_[e.id] = {e.type, e.timeNanos, e.sandboxId, e.isSandbox};
      out.push_back(e);
    }
  }
  // Gone while the stream was down: DELETED now; containers before their sandbox.
  std::vector<RawEvent> sandboxesGone;
  for (auto it = known_.begin(); it != known_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.type == v1::CONTAINER_DELETED_EVENT) {
      // A tombstone older than a minute can go: Docker replays no further back than `since`.
      it = now - it->second.timeNanos > kTombstoneNanos ? known_.erase(it) : std::next(it);
      continue;
    }
    RawEvent gone{it->first, it->second.sandboxId, it->second.isSandbox,
                  v1::CONTAINER_DELETED_EVENT, now};
    it->second = {v1::CONTAINER_DELETED_EVENT, now, it->second.sandboxId, it->second.isSandbox};
    if (!initial) (gone.isSandbox ? sandboxesGone : out).push_back(std::move(gone));
    ++it;
  }
  out.insert(out.end(), sandboxesGone.begin(), sandboxesGone.end());
  return out;
}

EventHub::EventHub(std::shared_ptr<docker::DockerClient> docker, Describe describe, Forget forget)
    : docker_(std::move(docker)), describe_(std::move(describe)), forget_(std::move(forget)) {}

EventHub::~EventHub() {
  std::shared_ptr<docker::StreamCancel> cancel;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cancel = cancel_;
  }
  cv_.notify_all();
  if (cancel) cancel->cancel();
  if (thread_.joinable()) thread_.join();
  if (publisher_.joinable()) publisher_.join();
}

void EventHub::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
    publisher_ = std::thread([this] { deliver(); });
  }
}

std::shared_ptr<EventSubscriber> EventHub::subscribe() {
  auto subscriber = std::make_shared<EventSubscriber>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    subscribers_.insert(subscriber);
  }
  start();
  return subscriber;
}

void EventHub::unsubscribe(const std::shared_ptr<EventSubscriber>& subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.erase(subscriber);
}

bool EventHub::sleepUnlessStopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

bool EventHub::publish(const RawEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pending_.size() >= kMaxPending) return false;
  pending_.push_back(event);
  cv_.notify_all();
  return true;
}

void EventHub::deliver() {
  auto nextFullList = std::chrono::steady_clock::now() + kFullListPeriod;
  for (;;) {
    RawEvent event;
    {
      std::unique_lock<std::mutex> lock(mu_);
      bool ready =
          cv_.wait_until(lock, nextFullList, [this] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      if (!ready) {
        // The state cache's periodic full list: whatever a missed event left behind is mended.
        lock.unlock();
        nextFullList = std::chrono::steady_clock::now() + kFullListPeriod;
        if (hooks_.listed) {
          try {
            uint64_t mark = hooks_.mark ? hooks_.mark() : 0;
            auto list = docker_->listContainers(
                nlohmann::json{{"label", nlohmann::json::array({translate::kContainerTypeLabel})}},
                docker::deadlineIn(std::chrono::seconds(30)));
            if (list) hooks_.listed(*list, mark);
          } catch (const std::exception& e) {
            spdlog::error("state cache: full list: {}", e.what());
          }
        }
        continue;
      }
      event = std::move(pending_.front());
      pending_.pop_front();
    }
    if (event.fullList) {
      try {
        hooks_.listed(*event.fullList, event.listMark);
      } catch (const std::exception& e) {
        spdlog::error("state cache: applying a full list: {}", e.what());
      }
      continue;
    }
    if (hooks_.changed) {
      try {
        hooks_.changed(event.id);
      } catch (const std::exception& e) {
        spdlog::error("state cache: refreshing {}: {}", event.id, e.what());
      }
    }
    if (!event.emit) continue;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (subscribers_.empty()) {
        lock.unlock();
        if (event.isSandbox && event.type == v1::CONTAINER_DELETED_EVENT) forget_(event);
        continue;
      }
    }
    // Described here, off the thread that reads Docker's stream: Docker drops events for a
    // reader that lags, and describing costs Docker calls.
    try {
      v1::ContainerEventResponse response = describe_(event);
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& s : subscribers_) {
        std::lock_guard<std::mutex> sl(s->mu);
        if (s->overflowed) continue;
        if (s->queue.size() >= EventSubscriber::kMaxQueued) {
          s->overflowed = true;
          s->queue.clear();
        } else {
          s->queue.push_back(response);
        }
        s->cv.notify_all();
      }
    } catch (const std::exception& e) {
      spdlog::error("container events: describing an event of {}: {}", event.id, e.what());
    }
  }
}

Status EventHub::resync(bool initial) {
  // Stamped before the list: a change after Docker's snapshot replays with a later time.
  int64_t now = nowNanos();
  uint64_t mark = hooks_.mark ? hooks_.mark() : 0;
  auto list = docker_->listContainers(
      nlohmann::json{{"label", nlohmann::json::array({translate::kContainerTypeLabel})}},
      docker::deadlineIn(std::chrono::seconds(30)));
  if (!list) return list.status();
  std::vector<RawEvent> current;
  if (list->is_array()) {
    for (const auto& summary : *list) {
      if (auto e = rawEventFromSummary(summary, now)) current.push_back(std::move(*e));
    }
  }
  if (hooks_.listed) {
    if (hooks_.connected) hooks_.connected();
    RawEvent listed;
    listed.emit = false;
    listed.fullList = std::make_shared<const nlohmann::json>(std::move(*list));
    listed.listMark = mark;
    if (!publish(listed)) return Status(Code::kResourceExhausted, "too many events pending");
  }
  for (const auto& e : tracker_.resync(current, now, initial)) {
    if (!publish(e)) return Status(Code::kResourceExhausted, "too many events pending");
  }
  return Status::ok();
}

void EventHub::run() {
  try {
    follow();
  } catch (const std::exception& e) {
    // Never the daemon's end: subscribers stop getting events and are told so in the log; the
    // state cache stops answering from memory.
    spdlog::error("container events: stopped: {}", e.what());
    if (hooks_.lost) hooks_.lost();
  }
}

void EventHub::follow() {
  bool initial = true;
  std::string lastListError;
  bool lost = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      cancel_ = std::make_shared<docker::StreamCancel>();
    }
    // A lost stream usually means dockerd restarted, perhaps as another version (Docker 1.13
    // to 17.09 do not refuse a client newer than themselves): the API version is negotiated
    // again before anything else is asked.
    if (lost) (void)docker_->negotiate(docker::deadlineIn(std::chrono::seconds(10)));
    // The moment before the list: Docker replays from there what the list may have missed.
    int64_t since = nowNanos() - 1'000'000'000;
    if (Status st = resync(initial); !st) {
      // Once per reason: a Docker that speaks no API version in common fails this every second.
      if (st.message() != lastListError) {
        spdlog::warn("container events: listing containers: {} (retrying)", st.message());
        lastListError = st.message();
      }
      if (!sleepUnlessStopped(std::chrono::seconds(1))) return;
      continue;
    }
    lastListError.clear();
    if (lost) {
      ++reconnects_;
      spdlog::info("container events: docker event stream re-established, state resynced");
    }
    initial = false;
    char sinceText[64];
    std::snprintf(sinceText, sizeof sinceText, "%lld.%09lld",
                  static_cast<long long>(since / 1'000'000'000),
                  static_cast<long long>(since % 1'000'000'000));
    // Docker ANDs filter keys: a label filter would drop image events (the state cache's
    // image part needs them), so containers that are not CRI's are told apart here.
    nlohmann::json filters = {
        {"type", {"container", "image"}},
        {"event",
         {"create", "start", "die", "destroy", "update", "rename", "pause", "unpause", "pull",
          "push", "tag", "untag", "delete", "import", "load"}},
    };
    spdlog::info("container events: following docker's event stream (since {})", sinceText);
    docker::Request request;
    request.path =
        "/events?since=" + std::string(sinceText) + "&filters=" + docker::urlEncode(filters.dump());
    request.operation = "events";
    {
      std::lock_guard<std::mutex> lock(mu_);
      request.cancel = cancel_;
    }
    Status st =
        docker_->stream(request, docker::Clock::time_point::max(), std::chrono::hours(24 * 365),
                        [this](const nlohmann::json& message) {
                          if (common::jsonString(message, "Type") == "image") {
                            if (hooks_.images) hooks_.images();
                            return Status::ok();
                          }
                          if (auto change = changeEventFromDocker(message)) {
                            if (!hooks_.changed) return Status::ok();
                            if (!publish(*change)) {
                              return Status(Code::kResourceExhausted, "too many events pending");
                            }
                            return Status::ok();
                          }
                          auto e = rawEventFromDocker(message);
                          if (e) e->emit = tracker_.accept(*e);
                          // Every event reaches the state cache; accepted ones subscribers.
                          if (e && (e->emit || hooks_.changed) && !publish(*e)) {
                            // Too far behind: start over with a resync rather than drop.
                            return Status(Code::kResourceExhausted, "too many events pending");
                          }
                          return Status::ok();
                        });
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (hooks_.lost) hooks_.lost();
    spdlog::warn("container events: docker event stream ended ({}); reopening",
                 st ? std::string("closed by docker") : st.message());
    lost = true;
    if (!sleepUnlessStopped(std::chrono::milliseconds(500))) return;
  }
}

}  // namespace dockershim::cri
