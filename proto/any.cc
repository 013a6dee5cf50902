#include "proto/any.h"

#include <string_view>

namespace see::proto {

std::string TypeUrl(const google::protobuf::MessageLite& message) {
  return message.GetTypeName();  // the full proto name
}

Result<google::protobuf::Any> PackAny(const google::protobuf::MessageLite& message) {
  google::protobuf::Any any;
  any.set_type_url(TypeUrl(message));
  if (!message.SerializeToString(any.mutable_value())) {
    return Internal("serializing " + TypeUrl(message));
  }
  return any;
}

Status UnpackAny(const google::protobuf::Any& any, google::protobuf::MessageLite* out) {
  std::string_view url = any.type_url();
  // Only the part after the last '/' names the type (the Any spec's rule).
  if (size_t slash = url.rfind('/'); slash != std::string_view::npos) url.remove_prefix(slash + 1);
  const std::string want = out->GetTypeName();
  if (url != want) {
    return InvalidArgument("any holds " + std::string(any.type_url()) + ", not " + want);
  }
  if (!out->ParseFromString(any.value())) return InvalidArgument("malformed " + want);
  return Status::Ok();
}

}  // namespace see::proto
