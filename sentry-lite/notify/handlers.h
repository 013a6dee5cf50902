// The handler table: which function serves each sentry-class syscall. One signature for all;
// handlers live in per-area files (sys_file.cc, ...).
#pragma once

#include <array>

#include "sentry-lite/notify/syscall_call.h"
#include "sentry-lite/syscalls/syscall_table.h"

namespace see::sentry {

using SyscallHandler = Reply (*)(SyscallCall& call);

// Indexed by syscall number; nullptr: not served yet (the loop answers ENOSYS).
using HandlerTable = std::array<SyscallHandler, kMaxSyscall + 1>;

// All handlers of sentry-lite.
const HandlerTable& DefaultHandlers();

// Whether the kernel refuses every device node to this process (the sentry entered its devices
// jail, sentry/devices_jail.h). Then a served open is made directly and a device node is told by
// the kernel's refusal; otherwise it is walked first (sys_file.cc). Set once, before serving.
void SetDevicesRefusedToSentry(bool refused);
bool DevicesRefusedToSentry();

// Per area, each fills its rows.
void RegisterFileHandlers(HandlerTable& table);
void RegisterSocketHandlers(HandlerTable& table);
void RegisterFsAttrHandlers(HandlerTable& table);
void RegisterViewHandlers(HandlerTable& table);

}  // namespace see::sentry
