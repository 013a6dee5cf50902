#include "runtime/linux/terminal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "runtime/linux/sync.h"

namespace see::runtime {

Status SetupConsole(int console_socket, const std::optional<oci::ConsoleSize>& size) {
  UniqueFd master(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return ErrnoStatus("open /dev/ptmx");
  if (unlockpt(master.get()) < 0) return ErrnoStatus("unlockpt");
  char name[64];
  if (ptsname_r(master.get(), name, sizeof(name)) != 0) return ErrnoStatus("ptsname");
  if (size) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (ioctl(master.get(), TIOCSWINSZ, &ws) < 0) return ErrnoStatus("TIOCSWINSZ");
  }
  UniqueFd slave(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return ErrnoStatus(std::string("open ") + name);
  SEE_RETURN_IF_ERROR(SendFd(console_socket, master.get(), name).Wrap("sending console master"));
  master.Reset();
  if (ioctl(slave.get(), TIOCSCTTY, 0) < 0) return ErrnoStatus("TIOCSCTTY");
  for (int fd = 0; fd <= 2; ++fd) {
    if (dup3(slave.get(), fd, 0) < 0) return ErrnoStatus("dup3 console");
  }
  return Status::Ok();
}

}  // namespace see::runtime
