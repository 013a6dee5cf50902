#include "shim/config.h"

#include <yaml-cpp/yaml.h>

#include <string_view>

#include "base/file_util.h"
#include "github.com/containerd/containerd/pkg/runtimeoptions/v1/api.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"

namespace see::shim {

Result<ShimConfig> ParseConfigYaml(const std::string& text) {
  ShimConfig c;
  try {
    YAML::Node root = YAML::Load(text);
    if (!root || root.IsNull()) return c;
    if (!root.IsMap()) return InvalidArgument("config: top level must be a mapping");
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      if (key == "log_level") {
        std::string v = kv.second.as<std::string>();
        if (v != "debug" && v != "info" && v != "warn" && v != "error" && v != "trace") {
          return InvalidArgument("config: log_level: unknown level " + v);
        }
        c.log_level = v;
      } else if (key == "sandbox") {
        std::string v = kv.second.as<std::string>();
        if (v != "sentry" && v != "none") {
          return InvalidArgument("config: sandbox: must be sentry or none, not " + v);
        }
        c.sentry = v == "sentry";
      } else if (key == "egress_refresh") {
        int v = kv.second.as<int>();
        if (v < 5 || v > 86400) {
          return InvalidArgument("config: egress_refresh: seconds between 5 and 86400");
        }
        c.egress_refresh_seconds = v;
      } else if (key == "user_namespace") {
        std::string v = kv.second.as<std::string>();
        if (v != "pod" && v != "host") {
          return InvalidArgument("config: user_namespace: must be pod or host, not " + v);
        }
        c.pod_user_namespace = v == "pod";
      } else if (key == "host_paths") {
        std::string v = kv.second.as<std::string>();
        if (v != "idmap" && v != "unmapped") {
          return InvalidArgument("config: host_paths: must be idmap or unmapped, not " + v);
        }
        c.idmap_host_paths = v == "idmap";
      } else if (key == "userns_base") {
        uint64_t v = kv.second.as<uint64_t>();
        if (v < kUsernsRangeSize || v % kUsernsRangeSize != 0 || v >= kUsernsLimit) {
          return InvalidArgument("config: userns_base: a multiple of 65536 below 0xFFFF0000");
        }
        c.userns_base = static_cast<uint32_t>(v);
      } else if (key == "userns_ranges") {
        uint64_t v = kv.second.as<uint64_t>();
        if (v < 1 || v > 65535) return InvalidArgument("config: userns_ranges: 1 to 65535");
        c.userns_ranges = static_cast<uint32_t>(v);
      } else {
        return InvalidArgument("config: unknown key " + key);
      }
    }
    if (uint64_t{c.userns_base} + uint64_t{c.userns_ranges} * kUsernsRangeSize > kUsernsLimit) {
      return InvalidArgument("config: userns_base + userns_ranges * 65536 must stay below 0xFFFF0000");
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("config: ") + e.what());
  }
  return c;
}

namespace {

// Whether `any` holds the message named `name` ("runtimeoptions.v1.Options"), with or without a
// "type.googleapis.com/" style prefix. Compared as text: asking protobuf for the descriptor of
// the message would build its descriptor pool, a lasting cost in the idle shim's memory.
bool HoldsType(const google::protobuf::Any& any, std::string_view name) {
  std::string_view url = any.type_url();
  size_t slash = url.rfind('/');
  if (slash != std::string_view::npos) url.remove_prefix(slash + 1);
  return url == name;
}

}  // namespace

Result<ShimConfig> ConfigFromOptions(const google::protobuf::Any& options) {
  if (options.type_url().empty() && options.value().empty()) return ShimConfig{};
  if (HoldsType(options, "runtimeoptions.v1.Options")) {
    ::runtimeoptions::v1::Options ro;
    if (!ro.ParseFromString(options.value())) {
      return InvalidArgument("runtime options: bad runtimeoptions.v1.Options");
    }
    if (ro.config_path().empty()) return ShimConfig{};
    auto text = ReadFile(ro.config_path());
    if (!text.ok()) return text.status().Wrap("config " + ro.config_path());
    auto c = ParseConfigYaml(*text);
    if (!c.ok()) return c.status().Wrap(ro.config_path());
    return c;
  }
  if (HoldsType(options, "containerd.runc.v1.Options")) {
    ::containerd::runc::v1::Options runc;
    if (!runc.ParseFromString(options.value())) {
      return InvalidArgument("runtime options: bad containerd.runc.v1.Options");
    }
    return ShimConfig{};
  }
  return InvalidArgument("unsupported runtime options type " + options.type_url());
}

}  // namespace see::shim
