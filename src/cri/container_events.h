#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dockershim/docker_client.h"
#include "translate/cri_api.h"

// GetContainerEvents: one subscription to Docker's /events feeds every CRI subscriber.
//
// Consistency rule. Each CRI container and sandbox moves CREATED → STARTED → STOPPED → DELETED;
// an event is sent when it moves a container forward, or when it is newer than the last one sent
// for it (a container Docker restarted). When the Docker stream is lost it is opened again with
// `since` the moment before a full list of CRI containers is compared with what was sent: what
// changed meanwhile is sent as one event of the state found, and events Docker replays that say
// nothing new are dropped. So every subscriber sees each change once, in order per container,
// even across a lost stream. The first list (when the first subscriber arrives) only learns the
// state: no event for what was there before, except what Docker replays of the second before.
namespace dockershim::cri {

namespace v1 = ::runtime::v1;

struct RawEvent {
  std::string id;
  std::string sandboxId;  // the pod's (the sandbox's own id for a sandbox)
  bool isSandbox = false;
  v1::ContainerEventType type = v1::CONTAINER_CREATED_EVENT;
  int64_t timeNanos = 0;
  // Sent to subscribers (the tracker accepted it); false: only the state cache hears of it.
  bool emit = true;
  // Not an event but a full list of CRI containers for the state cache, taken at generation
  // `listMark`; queued with the events so the deliver thread applies it in stream order.
  std::shared_ptr<const nlohmann::json> fullList;
  uint64_t listMark = 0;
};

// A Docker /events message of a CRI container or sandbox: create → CREATED, start → STARTED,
// die → STOPPED, destroy → DELETED; nullopt for anything else.
std::optional<RawEvent> rawEventFromDocker(const nlohmann::json& message);
// A Docker /events message that changes what an inspect of a CRI container shows without
// changing its CRI state (update, rename, pause, unpause): for the state cache only.
std::optional<RawEvent> changeEventFromDocker(const nlohmann::json& message);
// A GET /containers/json entry of a CRI container or sandbox as the event of its state now
// (created → CREATED; running, paused, restarting → STARTED; exited, dead → STOPPED).
std::optional<RawEvent> rawEventFromSummary(const nlohmann::json& summary, int64_t nowNanos);

// The state of each container as last sent, and the rule above. Not thread-safe (the event
// thread owns it).
class EventTracker {
 public:
  // Whether `event` is to be sent; records it when so.
  bool accept(const RawEvent& event);
  // `current`: every CRI container and sandbox Docker has now. Returns the events to send (none
  // when `initial`: then it only learns): the state of each one that changed or is new, and
  // DELETED (at `nowNanos`) for each one sent before that is gone.
  std::vector<RawEvent> resync(const std::vector<RawEvent>& current, int64_t nowNanos,
                               bool initial);
  size_t size() const { return known_.size(); }

 private:
  struct Known {
    v1::ContainerEventType type;
    int64_t timeNanos;
    std::string sandboxId;
    bool isSandbox;
  };
  static constexpr int64_t kTombstoneNanos = 60'000'000'000;
  std::map<std::string, Known> known_;
  std::deque<std::pair<int64_t, std::string>> tombstones_;  // (time, id), oldest first
};

// One GetContainerEvents call's queue. Bounded: a subscriber that falls this far behind is
// ended (RESOURCE_EXHAUSTED) so its client relists instead of missing events.
struct EventSubscriber {
  static constexpr size_t kMaxQueued = 4096;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<v1::ContainerEventResponse> queue;
  bool overflowed = false;
};

class EventHub {
 public:
  // Fills the statuses of an event about to be sent (runs on the event thread).
  using Describe = std::function<v1::ContainerEventResponse(const RawEvent&)>;
  // Told of every sandbox DELETED event, described or not (what was kept for it can go).
  using Forget = std::function<void(const RawEvent&)>;
  EventHub(std::shared_ptr<docker::DockerClient> docker, Describe describe, Forget forget);

  // The state cache's feed (optional; set before start()). `changed`: something happened to a
  // container (runs on the delivering thread, before the event is described). `listed`: a full
  // list of CRI containers, after each (re)connect and periodically (on the delivering thread,
  // in order with the events). `lost`: the stream ended.
  struct CacheHooks {
    std::function<void(const std::string& id)> changed;
    // Called just before the list is asked for; its answer is handed to `listed`.
    std::function<uint64_t()> mark;
    std::function<void(const nlohmann::json& list, uint64_t mark)> listed;
    std::function<void()> lost;
    // A list succeeded and the stream opens next (its `since` covers the moment before).
    std::function<void()> connected;
    // An image was pulled, tagged, untagged, removed, loaded or imported (on the reading
    // thread, as it arrives).
    std::function<void()> images;
  };
  void setCacheHooks(CacheHooks hooks) { hooks_ = std::move(hooks); }
  // Follows Docker's events now rather than at the first subscriber (the state cache needs it).
  void start();
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // A new subscriber; the Docker subscription starts with the first.
  std::shared_ptr<EventSubscriber> subscribe();
  void unsubscribe(const std::shared_ptr<EventSubscriber>& subscriber);
  // How many times the Docker stream was opened again after it was lost.
  uint64_t reconnects() const { return reconnects_; }

 private:
  // Events Docker sent that wait to be described; past this the stream is reopened with a
  // resync instead.
  static constexpr size_t kMaxPending = 65536;
  // How often the state cache gets a full list besides the one at each (re)connect.
  static constexpr auto kFullListPeriod = std::chrono::seconds(60);
  void run();
  void follow();   // the thread reading Docker's stream
  void deliver();  // the thread describing events and handing them to subscribers
  Status resync(bool initial);
  bool publish(const RawEvent& event);  // false: too many pending
  bool sleepUnlessStopped(std::chrono::milliseconds d);

  std::shared_ptr<docker::DockerClient> docker_;
  Describe describe_;
  Forget forget_;
  CacheHooks hooks_;
  std::deque<RawEvent> pending_;
  EventTracker tracker_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::shared_ptr<EventSubscriber>> subscribers_;
  bool stopping_ = false;
  std::shared_ptr<docker::StreamCancel> cancel_;
  std::atomic<uint64_t> reconnects_{0};
  std::thread thread_;
  std::thread publisher_;
};

}  // namespace dockershim::cri
