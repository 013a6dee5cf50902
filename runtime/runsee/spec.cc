#include <cstdio>

#include "base/file_util.h"
#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddSpec(CLI::App& app, const GlobalFlags&, int* exit_code) {
  auto* cmd = app.add_subcommand("spec", "write a default config.json");
  auto bundle = std::make_shared<std::string>();
  auto rootless = std::make_shared<bool>(false);
  cmd->add_option("-b,--bundle", *bundle, "directory to write config.json into");
  cmd->add_flag("--rootless", *rootless, "a spec for a rootless container");
  cmd->callback([bundle, rootless, exit_code] {
    std::string path = (bundle->empty() ? std::string(".") : *bundle) + "/config.json";
    if (PathExists(path)) {
      *exit_code = Fail(AlreadyExists("File " + path + " exists. Remove it first."));
      return;
    }
    Status st = WriteFile(path, oci::SpecToJson(oci::DefaultSpec(*rootless)), 0666);
    if (!st.ok()) *exit_code = Fail(st);
  });
}

}  // namespace see::runsee
