// Events to containerd: containerd.services.events.ttrpc.v1.Events/Forward at $TTRPC_ADDRESS,
// each an Envelope{timestamp, namespace, topic, Any event} (runtime/v2/shim/publisher.go).
//
// Publish() never blocks the caller on the network: TtrpcPublisher queues and one sender thread
// forwards in order. A failed forward is retried (redialling; containerd may be restarting) with a
// growing pause, up to kMaxAttempts per event, then the event is dropped and logged — the same
// policy as containerd's RemoteEventsPublisher, except that order is kept: a later event never
// overtakes an earlier one (TaskExit must reach containerd before TaskDelete).
#pragma once

#include <google/protobuf/message_lite.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"

namespace see::shim {

// "/tasks/create", ... for a containerd.events.* message (runtime/v2/runc GetTopic); "" if the
// message is not a task event.
std::string TopicFor(const google::protobuf::MessageLite& event);
// containerd's type URL for a task event ("containerd.events.TaskExit"); "" otherwise.
std::string EventTypeName(const google::protobuf::MessageLite& event);

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Thread-safe; ownership of the event copy stays with the publisher.
  virtual void Publish(const google::protobuf::MessageLite& event) = 0;
};

class TtrpcPublisher : public Publisher {
 public:
  static constexpr int kMaxAttempts = 10;

  TtrpcPublisher(std::string ttrpc_address, std::string ns);
  // Flushes what it can within a short bound, then stops the sender thread.
  ~TtrpcPublisher() override;

  void Publish(const google::protobuf::MessageLite& event) override;

  // Waits (bounded by `timeout`) until the queue is empty; false if it is not.
  bool Flush(std::chrono::milliseconds timeout);

 private:
  struct Item {
    std::string envelope;  // serialized ForwardRequest
    std::string topic;
  };
  void Run();

  const std::string address_;
  const std::string namespace_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  bool busy_ = false;  // an item is being sent
  std::thread thread_;
};

}  // namespace see::shim
