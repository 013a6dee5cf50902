#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddPs(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("ps", "list the processes of a container");
  auto format = std::make_shared<std::string>("table");
  auto rest = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-f,--format", *format, "table or json");
  cmd->prefix_command();  // <id> [ps options...], the options go to ps(1)
  cmd->callback([&g, format, rest, cmd, exit_code] {
    *rest = cmd->remaining();
    if (rest->empty()) {
      *exit_code = Fail(InvalidArgument("ps: container id required"));
      return;
    }
    auto pids = runtime::Pids(g.Runtime(), (*rest)[0]);
    if (!pids.ok()) {
      *exit_code = Fail(pids.status());
      return;
    }
    if (*format == "json") {
      printf("%s\n", nlohmann::json(*pids).dump().c_str());
      return;
    }
    if (*format != "table") {
      *exit_code = Fail(InvalidArgument("invalid format option"));
      return;
    }
    // Like runc: run ps(1) with the given options (default -ef) and keep the header and the lines
    // whose PID column is one of the container's.
    std::string command = "ps";
    if (rest->size() > 1) {
      for (size_t i = 1; i < rest->size(); ++i) command += " '" + (*rest)[i] + "'";
    } else {
      command += " -ef";
    }
    FILE* f = popen(command.c_str(), "re");
    if (f == nullptr) {
      *exit_code = Fail(ErrnoStatus("running ps"));
      return;
    }
    char buf[4096];
    int pid_col = -1;
    bool header = true;
    while (fgets(buf, sizeof(buf), f) != nullptr) {
      std::istringstream in(buf);
      std::vector<std::string> cols;
      std::string c;
      while (in >> c) cols.push_back(c);
      if (header) {
        for (size_t i = 0; i < cols.size(); ++i) {
          if (cols[i] == "PID") pid_col = static_cast<int>(i);
        }
        fputs(buf, stdout);
        header = false;
        continue;
      }
      if (pid_col < 0 || static_cast<size_t>(pid_col) >= cols.size()) continue;
      pid_t p = static_cast<pid_t>(std::atoi(cols[pid_col].c_str()));
      for (pid_t q : *pids) {
        if (p == q) fputs(buf, stdout);
      }
    }
    pclose(f);
    if (pid_col < 0) *exit_code = Fail(Internal("couldn't find PID field in ps output"));
  });
}

}  // namespace see::runsee
