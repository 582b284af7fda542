// SIGINT and SIGTERM for a training run: the first one asks the trainer to
// finish its step, checkpoint and stop; a second SIGINT exits at once (the
// checkpoint files are replaced atomically, so nothing is left half-written).
#pragma once

#include <atomic>

namespace charnn::cli {

// Installs the handlers; returns the flag they set (the signal number, or 0).
const std::atomic<int>& install_stop_signals();

// Routes SIGINT and SIGTERM to `handler` (restarting interrupted system
// calls): the one way every command here takes over the two signals.
void handle_sigint_and_sigterm(void (*handler)(int));

}  // namespace charnn::cli
