#include <signal.h>

#include "runtime/linux/signals.h"
#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddKill(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("kill", "send a signal to the container's init (default SIGTERM)");
  struct Args {
    std::string id, signal = "SIGTERM";
    bool all = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_flag("-a,--all", a->all, "signal every process in the container");
  cmd->add_option("id", a->id, "container id")->required();
  cmd->add_option("signal", a->signal, "signal name or number");
  cmd->callback([&g, a, exit_code] {
    auto sig = runtime::ParseSignal(a->signal);
    if (!sig.ok()) {
      *exit_code = Fail(sig.status());
      return;
    }
    Status st = runtime::Kill(g.Runtime(), a->id, *sig, a->all);
    if (!st.ok()) *exit_code = Fail(st);
  });
}

}  // namespace see::runsee
