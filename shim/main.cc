// containerd-shim-see-v2: containerd's shim v2 for runtime_type io.containerd.see.v2.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/linux/init.h"
#include "shim/commands.h"
#include "shim/flags.h"

extern char** environ;

int main(int argc, char** argv) {
  // The runtime re-executes this binary to set up containers (see runtime/linux/init.h).
  if (argc > 1 && strcmp(argv[1], see::runtime::kInitArg) == 0) {
    see::runtime::RunInitMain(argc, argv);
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  auto flags = see::shim::ParseFlags(args, env);
  if (!flags.ok()) {
    fprintf(stderr, "containerd-shim-see-v2: %s\n", flags.status().ToString().c_str());
    return 2;
  }
  if (flags->version) {
    printf("containerd-shim-see-v2:\n  Version:  0.1.0\n  Runtime:  see (io.containerd.see.v2)\n");
    return 0;
  }
  if (flags->action == "start") return see::shim::RunStart(*flags);
  if (flags->action == "delete") return see::shim::RunDelete(*flags);
  return see::shim::RunDaemon(*flags);
}
