#include "runtime/oci/json_reader.h"

#include <exception>
#include <string>

namespace see::oci::internal {

std::string Quote(std::string_view s) {
  // error_handler_t::replace: a Spec built in code may hold bytes that are not UTF-8.
  return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<Json> ParseJsonText(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return InvalidArgument("invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("invalid JSON: ") + e.what());
  }
}

Status Node::Error(std::string_view what) const {
  return InvalidArgument((path_.empty() ? std::string("(root)") : path_) + ": " + std::string(what));
}

Status Node::TypeError(std::string_view expected) const {
  return Error("expected " + std::string(expected) + ", got " + value_->type_name());
}

Status Node::ExpectObject() const {
  return value_->is_object() ? Status::Ok() : TypeError("object");
}

Status Node::ExpectArray() const {
  return value_->is_array() ? Status::Ok() : TypeError("array");
}

std::string Node::ChildPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::optional<Node> Node::Get(std::string_view key) const {
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return std::nullopt;
  return Node(*it, ChildPath(key));
}

Node Node::At(size_t i) const {
  return Node((*value_)[i], path_ + "[" + std::to_string(i) + "]");
}

Result<bool> Node::AsBool() const {
  if (!value_->is_boolean()) return TypeError("boolean");
  return value_->get<bool>();
}

Result<std::string> Node::AsString() const {
  if (!value_->is_string()) return TypeError("string");
  return value_->get<std::string>();
}

Result<int64_t> Node::AsSigned(int64_t min, int64_t max) const {
  if (value_->is_number_unsigned()) {
    uint64_t u = value_->get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) {
      return Error(std::to_string(u) + " is out of range (" + std::to_string(min) + ".." +
                   std::to_string(max) + ")");
    }
    return static_cast<int64_t>(u);
  }
  if (value_->is_number_integer()) {
    int64_t v = value_->get<int64_t>();
    if (v < min || v > max) {
      return Error(std::to_string(v) + " is out of range (" + std::to_string(min) + ".." +
                   std::to_string(max) + ")");
    }
    return v;
  }
  if (value_->is_number_float()) return Error("expected integer, got " + value_->dump());
  return TypeError("integer");
}

Result<uint64_t> Node::AsUnsigned(uint64_t max) const {
  if (value_->is_number_unsigned()) {
    uint64_t u = value_->get<uint64_t>();
    if (u > max) {
      return Error(std::to_string(u) + " is out of range (0.." + std::to_string(max) + ")");
    }
    return u;
  }
  if (value_->is_number_integer()) {
    // nlohmann stores non-negative integers as unsigned, so this one is negative.
    return Error(std::to_string(value_->get<int64_t>()) + " is out of range (0.." +
                 std::to_string(max) + ")");
  }
  if (value_->is_number_float()) return Error("expected integer, got " + value_->dump());
  return TypeError("integer");
}

Result<std::vector<std::string>> Node::AsStringArray() const {
  SEE_RETURN_IF_ERROR(ExpectArray());
  std::vector<std::string> out;
  out.reserve(value_->size());
  for (size_t i = 0; i < value_->size(); ++i) {
    SEE_ASSIGN_OR_RETURN(std::string s, At(i).AsString());
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::map<std::string, std::string>> Node::AsStringMap() const {
  SEE_RETURN_IF_ERROR(ExpectObject());
  std::map<std::string, std::string> out;
  for (auto it = value_->begin(); it != value_->end(); ++it) {
    Node v(it.value(), path_ + "[" + Quote(it.key()) + "]");
    SEE_ASSIGN_OR_RETURN(std::string s, v.AsString());
    out.emplace(it.key(), std::move(s));
  }
  return out;
}

}  // namespace see::oci::internal
