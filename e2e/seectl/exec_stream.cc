#include "e2e/seectl/commands.h"

namespace see::seectl {

int ExecStream(const std::string& url, bool stdin, bool tty, std::string* err) {
  (void)url;
  (void)stdin;
  (void)tty;
  *err = "interactive exec (-i/-t) is not implemented yet; use exec without -it (ExecSync)";
  return -1;
}

}  // namespace see::seectl
