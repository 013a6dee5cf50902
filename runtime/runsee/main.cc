// runsee: a runc-compatible OCI runtime CLI over see_runtime.
#include <cstdio>
#include <cstring>

#include "base/logging.h"
#include "runtime/linux/init.h"
#include "runtime/runsee/commands.h"

namespace see::runsee {

int Fail(const Status& st) {
  std::string msg = st.ToString();
  spdlog::error("{}", msg);
  spdlog::default_logger()->flush();
  return 1;
}

namespace {

int Main(int argc, char** argv) {
  CLI::App app{"runsee: an OCI runtime (runc-compatible command line)", "runsee"};
  app.set_version_flag("-v,--version", "runsee version 0.1.0\nspec: 1.0.2");
  app.require_subcommand(1);
  GlobalFlags g;
  app.add_option("--root", g.root, "root directory for container state");
  app.add_option("--log", g.log, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "text or json");
  app.add_flag("--debug", g.debug, "debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use the systemd cgroup driver");
  app.add_option("--rootless", g.rootless, "ignored (runc compatibility)");
  app.add_option("--criu", g.criu, "ignored (runc compatibility)");
  app.add_option("--sandbox", g.sandbox,
                 "sentry: run under sentry-lite (default); none: the plain runc-like path")
      ->check(CLI::IsMember({"sentry", "none"}))
      ->envname("RUNSEE_SANDBOX");
  app.add_option("--sentry", g.sentry_path, "see-sentry binary (default: beside runsee, then PATH)");

  int exit_code = 0;
  AddCreate(app, g, &exit_code);
  AddStart(app, g, &exit_code);
  AddState(app, g, &exit_code);
  AddKill(app, g, &exit_code);
  AddDelete(app, g, &exit_code);
  AddRun(app, g, &exit_code);
  AddExec(app, g, &exit_code);
  AddPs(app, g, &exit_code);
  AddPause(app, g, &exit_code);
  AddResume(app, g, &exit_code);
  AddUpdate(app, g, &exit_code);
  AddEvents(app, g, &exit_code);
  AddFeatures(app, g, &exit_code);
  AddSpec(app, g, &exit_code);
  AddList(app, g, &exit_code);

  // Logging must be set up before any subcommand callback runs.
  app.parse_complete_callback([&] {
    LogOptions lo;
    lo.path = g.log;
    lo.name = "runsee";
    lo.level = g.debug ? spdlog::level::debug : spdlog::level::info;
    auto fmt = ParseLogFormat(g.log_format);
    if (fmt.ok()) lo.format = *fmt;
    Status st = InitLogging(lo);
    if (!st.ok()) fprintf(stderr, "runsee: %s\n", st.ToString().c_str());
    if (!fmt.ok()) throw CLI::ValidationError("--log-format", fmt.status().message());
    if (g.systemd_cgroup) {
      throw CLI::ValidationError("--systemd-cgroup",
                                 "the systemd cgroup driver is not supported; use cgroupfs");
    }
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    // Also into the log, so that callers reading --log see why.
    spdlog::error("{}", e.what());
    if (!g.log.empty()) fprintf(stderr, "runsee: %s\n", e.what());
    return e.get_exit_code() == 0 ? 0 : 1;
  }
  return exit_code;
}

}  // namespace
}  // namespace see::runsee

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], see::runtime::kInitArg) == 0) {
    see::runtime::RunInitMain(argc, argv);
  }
  return see::runsee::Main(argc, argv);
}
