// Runtime options: CreateTaskRequest.options is either containerd.runc.v1.Options (ctr's
// --runc-* flags; only Root is meaningful to see and ignored: see keeps its state per namespace)
// or runtimeoptions.v1.Options (the CRI plugin's `ConfigPath` for non-runc runtimes), whose file
// is see's own YAML configuration:
//
//   log_level: debug|info|warn|error   # the shim's log level (default info; -debug forces debug)
//
// Unknown keys are refused so that typos do not pass silently.
#pragma once

#include <google/protobuf/any.pb.h>

#include <optional>
#include <string>

#include "base/status.h"

namespace see::shim {

struct ShimConfig {
  std::optional<std::string> log_level;
};

// Parses the YAML text of a config file. InvalidArgument naming the key on errors.
Result<ShimConfig> ParseConfigYaml(const std::string& text);

// The configuration `options` selects: empty Any → defaults; runtimeoptions with ConfigPath → that
// file; runc Options → defaults. InvalidArgument for an unknown type.
Result<ShimConfig> ConfigFromOptions(const google::protobuf::Any& options);

}  // namespace see::shim
