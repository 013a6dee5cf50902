#include "shim/publisher.h"

#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <map>
#include <typeindex>

#include "base/logging.h"
#include "base/ttrpc/client.h"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"

namespace see::shim {

namespace evv1 = containerd::services::events::ttrpc::v1;

namespace {

struct EventType {
  const char* name;   // the full proto name: containerd's type URL for the Any
  const char* topic;
};

// Keyed by C++ type: the events containerd knows, with their topics. The unit test checks the
// names against the messages' own type names (see_proto is lite: no descriptors).
const EventType* Lookup(const google::protobuf::MessageLite& event) {
  namespace ev = ::containerd::events;
  static const std::map<std::type_index, EventType> kTypes = {
      {typeid(ev::TaskCreate), {"containerd.events.TaskCreate", "/tasks/create"}},
      {typeid(ev::TaskStart), {"containerd.events.TaskStart", "/tasks/start"}},
      {typeid(ev::TaskOOM), {"containerd.events.TaskOOM", "/tasks/oom"}},
      {typeid(ev::TaskExit), {"containerd.events.TaskExit", "/tasks/exit"}},
      {typeid(ev::TaskDelete), {"containerd.events.TaskDelete", "/tasks/delete"}},
      {typeid(ev::TaskExecAdded), {"containerd.events.TaskExecAdded", "/tasks/exec-added"}},
      {typeid(ev::TaskExecStarted), {"containerd.events.TaskExecStarted", "/tasks/exec-started"}},
      {typeid(ev::TaskPaused), {"containerd.events.TaskPaused", "/tasks/paused"}},
      {typeid(ev::TaskResumed), {"containerd.events.TaskResumed", "/tasks/resumed"}},
      {typeid(ev::TaskCheckpointed), {"containerd.events.TaskCheckpointed", "/tasks/checkpointed"}},
  };
  auto it = kTypes.find(typeid(event));
  return it == kTypes.end() ? nullptr : &it->second;
}

}  // namespace

std::string TopicFor(const google::protobuf::MessageLite& event) {
  const EventType* t = Lookup(event);
  return t ? t->topic : "";
}

std::string EventTypeName(const google::protobuf::MessageLite& event) {
  const EventType* t = Lookup(event);
  return t ? t->name : "";
}

TtrpcPublisher::TtrpcPublisher(std::string ttrpc_address, std::string ns)
    : address_(std::move(ttrpc_address)), namespace_(std::move(ns)) {
  thread_ = std::thread([this] { Run(); });
}

TtrpcPublisher::~TtrpcPublisher() {
  (void)Flush(std::chrono::seconds(2));
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void TtrpcPublisher::Publish(const google::protobuf::MessageLite& event) {
  evv1::ForwardRequest req;
  auto* env = req.mutable_envelope();
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  env->mutable_timestamp()->set_seconds(ns / 1000000000);
  env->mutable_timestamp()->set_nanos(static_cast<int32_t>(ns % 1000000000));
  env->set_namespace_(namespace_);
  env->set_topic(TopicFor(event));
  std::string type = EventTypeName(event);
  if (type.empty() || !event.SerializeToString(env->mutable_event()->mutable_value())) {
    spdlog::error("cannot publish a {} event", typeid(event).name());
    return;
  }
  env->mutable_event()->set_type_url(type);
  Item item{req.SerializeAsString(), env->topic()};
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(item));
  }
  cv_.notify_all();
}

bool TtrpcPublisher::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return queue_.empty() && !busy_; });
}

void TtrpcPublisher::Run() {
  std::unique_ptr<ttrpc::Client> client;
  for (;;) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      item = queue_.front();
      busy_ = true;
    }
    bool sent = false;
    for (int attempt = 1; attempt <= kMaxAttempts && !sent; ++attempt) {
      if (!client) {
        auto c = ttrpc::Client::Dial(address_);
        if (c.ok()) client = std::move(*c);
      }
      if (client) {
        ttrpc::CallOptions opts;
        opts.timeout = std::chrono::seconds(5);
        auto res = client->CallRaw("containerd.services.events.ttrpc.v1.Events", "Forward",
                                   item.envelope, opts);
        if (res.ok() && res->status.ok()) {
          sent = true;
          break;
        }
        if (!res.ok()) {
          client.reset();  // transport broken: redial next time
          spdlog::warn("forward {}: {}", item.topic, res.status().ToString());
        } else {
          spdlog::warn("forward {}: {}", item.topic, res->status.message);
        }
      }
      std::unique_lock<std::mutex> lock(mu_);
      // Stop retrying early only when shutting down; otherwise pause attempt*200ms.
      if (cv_.wait_for(lock, std::chrono::milliseconds(200 * attempt), [&] { return stopping_; })) {
        break;
      }
    }
    if (!sent) spdlog::error("dropping event {} after retries", item.topic);
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.pop_front();
      busy_ = false;
    }
    cv_.notify_all();
  }
}

}  // namespace see::shim
