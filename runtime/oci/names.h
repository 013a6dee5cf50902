// Internal to see_oci: the spec's enumeration words and their C++ values, one table each, shared
// by the parser (name -> value) and the serialiser (value -> name).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "runtime/oci/spec.h"

namespace see::oci::internal {

template <typename E>
struct NamedValue {
  std::string_view name;
  E value;
};

template <typename E>
std::optional<E> ValueOf(std::span<const NamedValue<E>> table, std::string_view name) {
  for (const auto& row : table) {
    if (row.name == name) return row.value;
  }
  return std::nullopt;
}

// REQUIRES: `value` is in the table (every enumerator has a row).
template <typename E>
std::string_view NameOf(std::span<const NamedValue<E>> table, E value) {
  for (const auto& row : table) {
    if (row.value == value) return row.name;
  }
  return {};
}

// process.rlimits[].type -> RLIMIT_* constant.
std::span<const NamedValue<int>> RlimitNames();
std::span<const NamedValue<NamespaceType>> NamespaceNames();
std::span<const NamedValue<SeccompAction>> SeccompActionNames();
std::span<const NamedValue<SeccompOp>> SeccompOpNames();
std::span<const NamedValue<Propagation>> PropagationNames();  // without kUnset
// Words only: validated, kept as strings in the Spec.
std::span<const std::string_view> SeccompArchNames();
std::span<const std::string_view> SeccompFlagNames();
std::span<const std::string_view> IoPriorityClassNames();
std::span<const std::string_view> SchedulerPolicyNames();
std::span<const std::string_view> SchedulerFlagNames();
std::span<const std::string_view> TimeNamespaceClockNames();

bool Contains(std::span<const std::string_view> words, std::string_view w);

}  // namespace see::oci::internal
