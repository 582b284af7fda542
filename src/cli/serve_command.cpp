// `charnn serve`: an HTTP server (cpp-httplib) around GenerationService:
// GET / the page, GET /v1/info, POST /v1/generate. This file maps requests and
// errors to HTTP and owns the listening socket and the signals; the work is in
// charnn/serve/. SIGINT or SIGTERM stops it cleanly (exit 0).
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "charnn/io/checkpoint.h"
#include "charnn/nn/blas.h"
#include "charnn/serve/generation_service.h"
#include "charnn/serve/web_page.h"
#include "cli/commands.h"
#include "cli/stop_signals.h"

namespace charnn::cli {

namespace {

// SIGINT/SIGTERM: the handler records the signal and writes a byte to a pipe;
// a watcher thread, blocked reading it, stops the server. Handlers, not
// sigwait, because the BLAS starts threads before main that would otherwise
// take the default action and kill the process.
std::atomic<int> g_stop_signal{0};
int g_wake_fd = -1;

void on_stop_signal(int signal_number) {
  g_stop_signal.store(signal_number);
  const char byte = 1;
  [[maybe_unused]] const ssize_t ignored = ::write(g_wake_fd, &byte, 1);
}

struct ServeOptions {
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 0;  // 0: one per core, at least 4
  int64_t max_length = 10000;
  bool quiet = false;
};

void reply_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void add_routes(httplib::Server& server, const GenerationService& service) {
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(web_page_html()), "text/html; charset=utf-8");
  });
  server.Get("/v1/info", [&service](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, service.info().dump());
  });
  server.Post("/v1/generate", [&service](const httplib::Request& req, httplib::Response& res) {
    try {
      const GenerateRequest request = service.parse_request(req.body);
      reply_json(res, 200, service.generate(request).dump());
    } catch (const RequestError& e) {
      reply_json(res, 400, error_json(e.what()));
    }
  });
  server.Get("/v1/generate", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Allow", "POST");
    reply_json(res, 405, error_json("use POST with a JSON body"));
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr thrown) {
    std::string message = "internal error";
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    reply_json(res, 500, error_json(message));
  });
  // Errors httplib answers itself (no route, body too large) get a JSON body too.
  const size_t max_body = service.limits().max_body_bytes;
  httplib::Server::HandlerWithResponse on_error = [max_body](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message = fmt::format("HTTP error {}", res.status);
    if (res.status == 404) message = fmt::format("no such endpoint: {} {}", req.method, req.path);
    if (res.status == 413) message = fmt::format("request body is larger than {} bytes", max_body);
    reply_json(res, res.status, error_json(message));
    return httplib::Server::HandlerResponse::Handled;
  };
  server.set_error_handler(on_error);
}

std::string url_of(const std::string& host, int port) {
  return host.find(':') == std::string::npos ? fmt::format("http://{}:{}/", host, port)
                                             : fmt::format("http://[{}]:{}/", host, port);
}

// Installs the SIGINT/SIGTERM handlers; returns the pipe's read end, which
// becomes readable when a signal arrives.
int install_stop_handlers() {
  int wake[2];
  if (::pipe(wake) != 0) throw Error("cannot create a pipe for signal handling");
  g_wake_fd = wake[1];
  handle_sigint_and_sigterm(on_stop_signal);
  return wake[0];
}

// Binds the listening socket; returns the port (the one the system chose for 0).
int bind_server(httplib::Server& server, const std::string& host, int port) {
  // httplib's default also sets SO_REUSEPORT, which would let a second server
  // share the port unnoticed; SO_REUSEADDR alone still allows a quick restart.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    throw Error(fmt::format("cannot listen on {}:{}: the address is not available or the port is in use; choose "
                            "another --host or --port",
                            host, port));
  }
  return bound;
}

// Serves until a signal stops the server; returns the signal number.
int listen_until_stopped(httplib::Server& server, int wake_fd) {
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    char byte = 0;
    while (::read(wake_fd, &byte, 1) < 0 && errno == EINTR) {
    }
    if (finished) return;
    // A signal right at start-up may come before the server runs; stop() then would do nothing.
    while (!server.is_running() && !finished) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server.stop();
  });
  const bool clean = server.listen_after_bind();
  finished = true;
  const char byte = 0;
  [[maybe_unused]] const ssize_t ignored = ::write(g_wake_fd, &byte, 1);  // wakes the watcher if no signal did
  watcher.join();
  const int stopped_by = g_stop_signal.load();
  if (stopped_by == 0 && !clean) throw Error("the server stopped unexpectedly");
  return stopped_by;
}

void run_serve(const ServeOptions& o) {
  if (o.port < 0 || o.port > 65535) throw UsageError("--port must be in [0, 65535] (0 = any free port)");
  if (o.threads < 0 || o.threads > 1024) throw UsageError("--threads must be in [0, 1024]");
  if (o.max_length < 1 || o.max_length > 1000000) throw UsageError("--max-length must be in [1, 1000000]");
  const std::string path = resolve_checkpoint_path(o.model);
  ServeLimits limits;
  limits.max_length = o.max_length;
  const GenerationService service(load_checkpoint(path), path, limits);
  // Requests run side by side, one per worker thread; products inside one stay single-threaded.
  blas_set_threads(1);
  const size_t threads =
      o.threads > 0 ? static_cast<size_t>(o.threads) : std::max<size_t>(4, std::thread::hardware_concurrency());

  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(limits.max_body_bytes);
  add_routes(server, service);
  std::mutex log_mutex;
  if (!o.quiet) {
    server.set_logger([&log_mutex](const httplib::Request& req, const httplib::Response& res) {
      const std::lock_guard<std::mutex> lock(log_mutex);
      fmt::print("{} {} {}\n", req.method, req.path, res.status);
      std::fflush(stdout);
    });
  }
  const int wake_fd = install_stop_handlers();
  const int port = bind_server(server, o.host, o.port);
  fmt::print("charnn serve: {} ({} threads, model {}); Ctrl-C stops\n", url_of(o.host, port), threads, path);
  std::fflush(stdout);
  const int stopped_by = listen_until_stopped(server, wake_fd);
  fmt::print("charnn serve: stopped{}\n", stopped_by == SIGINT ? " by SIGINT" : stopped_by == SIGTERM ? " by SIGTERM" : "");
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve a model over HTTP: a web page at /, POST /v1/generate, GET /v1/info (see docs/usage.md).\n"
               "There is no authentication: keep --host at 127.0.0.1 unless the network is yours.\n\n"
               "Examples:\n"
               "  charnn serve --model runs/municipios\n"
               "  charnn serve --model runs/grimm/best.safetensors --port 9000\n"
               "  curl -s localhost:8080/v1/generate -d '{\"prime\": \"San \", \"length\": 100, \"seed\": 7}'");
  cmd->add_option("--model", o->model, "checkpoint file or run directory")->required();
  cmd->add_option("--host", o->host, "address to listen on (default 127.0.0.1, this machine only)");
  cmd->add_option("--port", o->port, "TCP port (default 8080; 0 = any free port, printed at start)");
  cmd->add_option("--threads", o->threads, "requests served at once (default: one per core, at least 4)");
  cmd->add_option("--max-length", o->max_length, "most characters one request may ask for (default 10000)");
  cmd->add_flag("--quiet", o->quiet, "do not print a line per request");
  cmd->callback([o] { run_serve(*o); });
}

}  // namespace charnn::cli
