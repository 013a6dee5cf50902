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

// Per area, each fills its rows.
void RegisterFileHandlers(HandlerTable& table);
void RegisterSocketHandlers(HandlerTable& table);
void RegisterFsAttrHandlers(HandlerTable& table);
void RegisterViewHandlers(HandlerTable& table);

}  // namespace see::sentry
