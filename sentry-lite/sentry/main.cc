// see-sentry: the pod's application kernel.
//
//   see-sentry syscalls [--markdown]   print the syscall table (docs/syscalls.md)
//   see-sentry run [--control-fd N] -- <cmd...>
//                                      one command under the sentry, no container (tests): confine
//                                      itself, start <cmd> under the container filter, serve it,
//                                      reap, forward signals, report exits (run_command.h).
//   see-sentry serve --socket PATH [--ready-fd N] [--owner-fd N | --control-fd N] [--exit-when-idle] [--userns-fd N [--netns-fd N]]
//                                      serve container processes that register on PATH
//                                      (serve.h; runsee's sentry per container). With
//                                      --control-fd: as the pod's init, which starts the
//                                      containers' set-up helpers, reaps and reports exits
//                                      (pod_init.h; the shim's sentry per pod).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "base/logging.h"
#include "sentry-lite/sentry/pod_init.h"
#include "sentry-lite/sentry/run_command.h"
#include "sentry-lite/sentry/serve.h"
#include "sentry-lite/syscalls/syscall_table.h"

namespace {

int PrintSyscalls(bool markdown) {
  if (markdown) {
    std::fputs(see::sentry::SyscallTableMarkdown().c_str(), stdout);
    return 0;
  }
  for (const auto& row : see::sentry::SyscallTable()) {
    std::printf("%3d %-24s %-6s %s\n", row.nr, row.name.empty() ? "-" : std::string(row.name).c_str(),
                see::sentry::SyscallClassName(row.cls), std::string(row.note).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"see-sentry: the pod's application kernel"};
  app.require_subcommand(1);
  bool markdown = false;
  auto* syscalls = app.add_subcommand("syscalls", "print the syscall table");
  syscalls->add_flag("--markdown", markdown, "as docs/syscalls.md");
  auto* run = app.add_subcommand("run", "run one command under the sentry (no container)");
  see::sentry::RunCommandOptions options;
  bool no_confine = false;
  run->add_option("--control-fd", options.control_fd, "framed control channel (control_protocol.h)");
  run->add_option("--root", options.root, "the command's root as the sentry sees it");
  run->add_flag("--no-self-confinement", no_confine, "skip the sentry's own seccomp allowlist");
  run->add_option("command", options.argv, "the command")->required();
  auto* serve = app.add_subcommand("serve", "serve container processes registering on a socket");
  see::sentry::ServeOptions serve_options;
  bool serve_no_confine = false;
  std::string log_level = "info";
  serve->add_option("--socket", serve_options.socket_path, "registration socket")->required();
  serve->add_option("--ready-fd", serve_options.ready_fd, "written once accepting");
  serve->add_option("--owner-fd", serve_options.owner_fd, "EOF stops the sentry");
  serve->add_option("--control-fd", serve_options.control_fd,
                    "the shim's control socket: run as the pod's init (pod_init.h)");
  serve->add_option("--userns-fd", serve_options.userns_fd,
                    "serve from inside this (pod) user namespace");
  serve->add_option("--netns-fd", serve_options.netns_fd,
                    "with --userns-fd: join this (pod) network namespace first");
  serve->add_flag("--exit-when-idle", serve_options.exit_when_idle,
                  "exit once every served process is gone");
  serve->add_flag("--no-self-confinement", serve_no_confine, "skip the sentry's own allowlist");
  bool serve_no_jail = false;
  serve->add_flag("--no-devices-jail", serve_no_jail,
                  "stay in the current devices cgroup (served opens then walk every path first)");
  serve->add_option("--log-level", log_level, "trace|debug|info|warn|error");
  CLI11_PARSE(app, argc, argv);
  if (*syscalls) return PrintSyscalls(markdown);
  if (*serve) {
    serve_options.confine_self = !serve_no_confine;
    serve_options.devices_jail = !serve_no_jail;
    (void)see::InitLogging({.level = spdlog::level::from_str(log_level), .name = "see-sentry"});
    see::Status st = serve_options.control_fd >= 0 ? see::sentry::RunPodInit(serve_options)
                                                   : see::sentry::RunServe(serve_options);
    if (!st.ok()) {
      spdlog::error("see-sentry serve: {}", st.ToString());
      return 1;
    }
    return 0;
  }
  options.confine_self = !no_confine;
  (void)see::InitLogging({.name = "see-sentry"});
  auto code = see::sentry::RunCommand(options);
  if (!code.ok()) {
    spdlog::error("see-sentry: {}", code.status().ToString());
    return 125;
  }
  return *code;
}
