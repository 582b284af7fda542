// Signal handlers that turn SIGINT/SIGTERM into a stop request; see stop_signals.h.
#include "cli/stop_signals.h"

#include <csignal>
#include <unistd.h>

namespace charnn::cli {

namespace {

std::atomic<int> g_stop_signal{0};

void on_stop_signal(int signal) {
  if (signal == SIGINT && g_stop_signal.load() != 0) {
    constexpr char message[] = "\ncharnn: second interrupt, exiting now (the last checkpoint is intact)\n";
    [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, message, sizeof(message) - 1);
    ::_exit(130);
  }
  g_stop_signal.store(signal);
}

}  // namespace

void handle_sigint_and_sigterm(void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<int>& install_stop_signals() {
  handle_sigint_and_sigterm(on_stop_signal);
  return g_stop_signal;
}

}  // namespace charnn::cli
