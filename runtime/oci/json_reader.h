// Internal to see_oci: typed, path-aware reading of an already parsed nlohmann::json document.
//
// Every accessor returns InvalidArgument("<json path>: <what is wrong>") instead of throwing, so
// the parsers above it can stay a flat list of field reads. A JSON null is treated as absent.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/status.h"

namespace see::oci::internal {

using Json = nlohmann::json;

// `s` as a JSON string literal, so control bytes in user input cannot garble a message.
std::string Quote(std::string_view s);

// Parses `text`; a syntax error becomes InvalidArgument naming the byte offset. Never throws.
Result<Json> ParseJsonText(std::string_view text);

// A JSON value and its path from the document root ("linux.namespaces[1].type"; "" is the root).
// Borrows the value: the document must outlive the Node.
class Node {
 public:
  Node(const Json& value, std::string path) : value_(&value), path_(std::move(path)) {}

  const Json& value() const { return *value_; }
  const std::string& path() const { return path_; }

  // InvalidArgument("<path>: <what>").
  Status Error(std::string_view what) const;
  // "expected <kind>, got <actual type>".
  Status TypeError(std::string_view expected) const;

  Status ExpectObject() const;
  Status ExpectArray() const;

  // The member `key` of an object, or nullopt when absent or null. REQUIRES: value is an object.
  std::optional<Node> Get(std::string_view key) const;
  // The path a member would have, for "required" errors about absent members.
  std::string ChildPath(std::string_view key) const;
  // Element i of an array. REQUIRES: value is an array, i < size.
  Node At(size_t i) const;

  Result<bool> AsBool() const;
  Result<std::string> AsString() const;
  // Any integral type; floats, non-numbers and values outside T's range are errors.
  template <typename T>
  Result<T> AsInt() const;
  Result<std::vector<std::string>> AsStringArray() const;
  Result<std::map<std::string, std::string>> AsStringMap() const;

 private:
  Result<int64_t> AsSigned(int64_t min, int64_t max) const;
  Result<uint64_t> AsUnsigned(uint64_t max) const;

  const Json* value_;
  std::string path_;
};

template <typename T>
Result<T> Node::AsInt() const {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if constexpr (std::is_signed_v<T>) {
    SEE_ASSIGN_OR_RETURN(int64_t v, AsSigned(std::numeric_limits<T>::min(),
                                             std::numeric_limits<T>::max()));
    return static_cast<T>(v);
  } else {
    SEE_ASSIGN_OR_RETURN(uint64_t v, AsUnsigned(std::numeric_limits<T>::max()));
    return static_cast<T>(v);
  }
}

// Converts a node to T, choosing the accessor from T.
template <typename T>
Result<T> Convert(const Node& n) {
  if constexpr (std::is_same_v<T, bool>) {
    return n.AsBool();
  } else if constexpr (std::is_integral_v<T>) {
    return n.AsInt<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return n.AsString();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return n.AsStringArray();
  } else {
    static_assert(std::is_same_v<T, std::map<std::string, std::string>>);
    return n.AsStringMap();
  }
}

// Reads member `key` of `obj` into *out; an absent member leaves *out unchanged.
template <typename T>
Status Read(const Node& obj, std::string_view key, T* out) {
  std::optional<Node> n = obj.Get(key);
  if (!n) return Status::Ok();
  SEE_ASSIGN_OR_RETURN(*out, Convert<T>(*n));
  return Status::Ok();
}

// Reads member `key` into an optional; absent stays nullopt.
template <typename T>
Status Read(const Node& obj, std::string_view key, std::optional<T>* out) {
  std::optional<Node> n = obj.Get(key);
  if (!n) return Status::Ok();
  SEE_ASSIGN_OR_RETURN(*out, Convert<T>(*n));
  return Status::Ok();
}

// Like Read, but an absent member is "<path>: required".
template <typename T>
Status ReadRequired(const Node& obj, std::string_view key, T* out) {
  std::optional<Node> n = obj.Get(key);
  if (!n) return InvalidArgument(obj.ChildPath(key) + ": required");
  SEE_ASSIGN_OR_RETURN(*out, Convert<T>(*n));
  return Status::Ok();
}

// Reads an array member of objects (or anything): `parse(const Node&, Elem*)` per element.
template <typename Elem, typename Parse>
Status ReadArray(const Node& obj, std::string_view key, std::vector<Elem>* out, Parse parse) {
  std::optional<Node> n = obj.Get(key);
  if (!n) return Status::Ok();
  SEE_RETURN_IF_ERROR(n->ExpectArray());
  out->clear();
  out->reserve(n->value().size());
  for (size_t i = 0; i < n->value().size(); ++i) {
    Elem e{};
    SEE_RETURN_IF_ERROR(parse(n->At(i), &e));
    out->push_back(std::move(e));
  }
  return Status::Ok();
}

// Reads an object member with `parse(const Node&, T*)` into an optional; absent stays nullopt.
template <typename T, typename Parse>
Status ReadObject(const Node& obj, std::string_view key, std::optional<T>* out, Parse parse) {
  std::optional<Node> n = obj.Get(key);
  if (!n) return Status::Ok();
  T v{};
  SEE_RETURN_IF_ERROR(parse(*n, &v));
  *out = std::move(v);
  return Status::Ok();
}

}  // namespace see::oci::internal
