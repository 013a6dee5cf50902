#include "shim/flags.h"

#include <map>
#include <optional>

namespace see::shim {

Result<ShimFlags> ParseFlags(const std::vector<std::string>& args,
                             const std::vector<std::string>& env) {
  ShimFlags f;
  std::map<std::string, std::string*> strings = {
      {"namespace", &f.ns},   {"address", &f.address}, {"publish-binary", &f.publish_binary},
      {"id", &f.id},          {"bundle", &f.bundle},   {"socket", &f.socket},
  };
  std::map<std::string, bool*> bools = {{"debug", &f.debug}, {"v", &f.version}};
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') break;
    if (a == "--") {
      ++i;
      break;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (auto b = bools.find(name); b != bools.end()) {
      if (!value || *value == "true" || *value == "1" || *value == "t" || *value == "TRUE") {
        *b->second = true;
      } else if (*value == "false" || *value == "0" || *value == "f" || *value == "FALSE") {
        *b->second = false;
      } else {
        return InvalidArgument("invalid boolean value \"" + *value + "\" for -" + name);
      }
      continue;
    }
    auto s = strings.find(name);
    if (s == strings.end()) return InvalidArgument("flag provided but not defined: -" + name);
    if (!value) {
      if (i + 1 >= args.size()) return InvalidArgument("flag needs an argument: -" + name);
      value = args[++i];
    }
    *s->second = *value;
  }
  if (i < args.size()) f.action = args[i];
  if (!f.action.empty() && f.action != "start" && f.action != "delete") {
    return InvalidArgument("unknown action " + f.action);
  }
  for (const auto& kv : env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "TTRPC_ADDRESS") f.ttrpc_address = v;
    if (k == "NAMESPACE" && f.ns.empty()) f.ns = v;
  }
  return f;
}

}  // namespace see::shim
