// google.protobuf.Any the way containerd packs it.
//
// containerd's typeurl package names a protobuf message by its full proto name with no
// "type.googleapis.com/" prefix (e.g. "containerd.events.TaskExit"), and looks events and
// CreateTaskRequest options up by exactly that string. protobuf's own Any::PackFrom adds the
// prefix, which containerd would not resolve, so every Any we send goes through PackAny.
#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/message_lite.h>

#include <string>

#include "base/status.h"

namespace see::proto {

// The type URL containerd uses for `message`'s type.
std::string TypeUrl(const google::protobuf::MessageLite& message);

// Serializes `message` into an Any with TypeUrl(message). Fails only if serialization fails
// (a message over 2 GiB).
Result<google::protobuf::Any> PackAny(const google::protobuf::MessageLite& message);

// Parses `any` into `out`. Accepts both containerd's bare type name and the
// "type.googleapis.com/"-prefixed form; InvalidArgument on a type mismatch or bad bytes.
Status UnpackAny(const google::protobuf::Any& any, google::protobuf::MessageLite* out);

}  // namespace see::proto
