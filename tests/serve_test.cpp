// `charnn serve` as a user meets it: the real binary listening on 127.0.0.1
// (any free port), real HTTP requests from cpp-httplib's client, many at once,
// every error answer, and headless Chromium loading the page, generating and
// showing the text. The browser test is skipped where Chromium is absent.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "cli_support.h"

namespace charnn::cli_test {
namespace {

const std::string kCorpus =
    "the quick brown fox jumps over the lazy dog\n"
    "a stitch in time saves nine\n"
    "the early bird catches the worm\n"
    "all that glitters is not gold\n"
    "where there is smoke there is fire\n";

constexpr int kThreads = 8;         // client threads sending at once
constexpr int kRequestsEach = 5;    // requests per client thread

class ServeTest : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    const Result trained = run({"train", "--text", write_file("corpus.txt", kCorpus).string(), "--out",
                                path("run").string(), "--layers", "1", "--hidden", "8", "--seq", "16", "--batch", "4",
                                "--epochs", "2", "--threads", "1", "--quiet"});
    ASSERT_EQ(trained.exit_code, 0) << describe(trained);
    server_ = start({"serve", "--model", path("run").string(), "--port", "0", "--threads", "4"}, {}, "serve", 300);
    port_ = wait_for_port(server_);
    ASSERT_GT(port_, 0) << "the server never printed its address" << describe(finish_server());
  }

  void TearDown() override {
    if (server_.pid > 0) {
      const Result r = finish_server();
      EXPECT_EQ(r.exit_code, 0) << "SIGTERM should stop the server cleanly" << describe(r);
      EXPECT_NE(r.out.find("charnn serve: stopped by SIGTERM"), std::string::npos) << describe(r);
      EXPECT_EQ(r.err, "") << describe(r);
    }
    CliFixture::TearDown();
  }

  // Polls the server's stdout for "charnn serve: http://127.0.0.1:PORT/"; 0 if it exits or takes 30 s.
  static int wait_for_port(const Running& server) {
    static const std::regex address(R"(charnn serve: http://127\.0\.0\.1:([0-9]+)/)");
    for (int i = 0; i < 3000; ++i) {
      std::smatch m;
      const std::string out = read_bytes(server.out_path);
      if (std::regex_search(out, m, address)) return std::stoi(m[1].str());
      if (::waitpid(server.pid, nullptr, WNOHANG) != 0) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }

  Result finish_server() {
    ::kill(server_.pid, SIGTERM);
    Result r = finish(server_);
    server_.pid = -1;
    return r;
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }

  // POSTs a body; returns status and parsed JSON (status 0 when the request failed).
  std::pair<int, nlohmann::json> post(const std::string& body, const std::string& target = "/v1/generate") const {
    httplib::Client c = client();
    const httplib::Result res = c.Post(target, body, "application/json");
    if (!res) return {0, nlohmann::json{{"client_error", httplib::to_string(res.error())}}};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }

  static std::string generate_body(int seed, int length = 80) {
    return nlohmann::json{{"prime", "the "}, {"temperature", 0.9}, {"top_p", 0.95}, {"top_k", 0}, {"length", length},
                          {"seed", seed}}
        .dump();
  }

  // Lines of the server's request log that match, e.g. "POST /v1/generate 200".
  size_t logged(const std::string& line) const {
    const std::string out = read_bytes(server_.out_path);
    size_t count = 0;
    for (size_t at = out.find(line + "\n"); at != std::string::npos; at = out.find(line + "\n", at + 1)) ++count;
    return count;
  }

  // The server logs a request after sending the answer: give the last lines up to 10 s to appear.
  size_t logged_eventually(const std::string& line, size_t expected) const {
    for (int i = 0; i < 1000 && logged(line) < expected; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return logged(line);
  }

  Running server_;
  int port_ = 0;
};

TEST_F(ServeTest, PageAndInfoDescribeTheModel) {
  httplib::Client c = client();
  const httplib::Result page = c.Get("/");
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  for (const char* id : {"id=\"prime\"", "id=\"temperature\"", "id=\"top_p\"", "id=\"length\"", "id=\"seed\"",
                         "id=\"generate\"", "id=\"result\""}) {
    EXPECT_NE(page->body.find(id), std::string::npos) << "the page lacks " << id;
  }
  EXPECT_EQ(page->body.find("http"), std::string::npos) << "the page must not load anything from elsewhere";
  const httplib::Result info = c.Get("/v1/info");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, 200);
  EXPECT_EQ(info->get_header_value("Content-Type"), "application/json");
  const nlohmann::json j = nlohmann::json::parse(info->body);
  EXPECT_EQ(j.at("model").at("hidden"), 8);
  EXPECT_EQ(j.at("model").at("layers"), 1);
  EXPECT_EQ(j.at("model").at("vocab_size"), j.at("vocabulary").size());
  EXPECT_EQ(j.at("limits").at("max_length"), 10000);
  EXPECT_EQ(j.at("limits").at("max_body_bytes"), 65536);
}

TEST_F(ServeTest, GenerateAnswersWithTextFromTheModelsVocabulary) {
  const auto [status, j] = post(generate_body(3, 120));
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j.at("prime"), "the ");
  EXPECT_EQ(j.at("seed"), 3);
  EXPECT_EQ(j.at("length"), 120);
  EXPECT_EQ(j.at("temperature"), 0.9);
  const std::string text = j.at("text").get<std::string>();
  EXPECT_EQ(text.size(), 120u) << "ASCII corpus: one byte per character";
  for (char ch : text) EXPECT_NE(kCorpus.find(ch), std::string::npos) << "'" << ch << "' is not in the corpus";
  EXPECT_EQ(post(generate_body(3, 120)).second.at("text"), text) << "same request, same text";
  // The same settings on the command line draw the same characters.
  const Result sample = run({"sample", "--model", path("run").string(), "-n", "120", "--prime", "the ", "--seed", "3",
                             "--temperature", "0.9", "--top-p", "0.95"});
  expect_success(sample);
  EXPECT_EQ(sample.out.rfind("the " + text, 0), 0u) << "sample printed:\n" << sample.out << "\nserve sent:\n" << text;
}

TEST_F(ServeTest, ConcurrentRequestsGetTheTextTheyWouldGetAlone) {
  std::vector<std::string> alone(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    const auto [status, j] = post(generate_body(100 + t));
    ASSERT_EQ(status, 200) << j.dump();
    alone[static_cast<size_t>(t)] = j.at("text").get<std::string>();
  }
  EXPECT_GT(std::set<std::string>(alone.begin(), alone.end()).size(), 1u) << "seeds should matter";
  std::vector<std::vector<std::string>> together(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client c = client();  // one connection per thread, kept alive across its requests
      for (int i = 0; i < kRequestsEach; ++i) {
        const httplib::Result res = c.Post("/v1/generate", generate_body(100 + t), "application/json");
        if (!res || res->status != 200) {
          ++failures;
          continue;
        }
        together[static_cast<size_t>(t)].push_back(nlohmann::json::parse(res->body).at("text").get<std::string>());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(together[static_cast<size_t>(t)].size(), static_cast<size_t>(kRequestsEach));
    for (const std::string& text : together[static_cast<size_t>(t)]) {
      EXPECT_EQ(text, alone[static_cast<size_t>(t)]) << "seed " << 100 + t << " under concurrency";
    }
  }
  // Every request reached the server and was logged once: the alone ones plus the concurrent ones.
  EXPECT_EQ(logged_eventually("POST /v1/generate 200", kThreads + kThreads * kRequestsEach),
            static_cast<size_t>(kThreads + kThreads * kRequestsEach));
}

TEST_F(ServeTest, BadRequestsGetAJsonErrorAndTheRightStatus) {
  const auto expect_error = [&](const std::string& body, int status, const std::string& needle) {
    const auto [got, j] = post(body);
    EXPECT_EQ(got, status) << body.substr(0, 80) << " -> " << j.dump();
    ASSERT_TRUE(j.is_object() && j.contains("error")) << body.substr(0, 80) << " -> " << j.dump();
    EXPECT_NE(j.at("error").get<std::string>().find(needle), std::string::npos) << j.dump();
  };
  expect_error("{\"prime\": \"the", 400, "not valid JSON");
  expect_error("\"just a string\"", 400, "must be a JSON object");
  expect_error(R"({"lenght": 10})", 400, "unknown field 'lenght'");
  expect_error(R"({"length": 10001})", 400, "'length' must be at most 10000");
  expect_error(R"({"temperature": -0.5})", 400, "'temperature' must be in [0, 100]");
  expect_error(R"({"top_p": 1.5})", 400, "'top_p' must be in (0, 1]");
  expect_error(R"({"seed": "seven"})", 400, "'seed' must be a whole number");
  expect_error(R"({"prime": "THE"})", 400, "character 'T' at position 0 is not in the model's vocabulary");
  expect_error("{\"prime\": \"" + std::string(70 * 1024, 'a') + "\"}", 413, "larger than 65536 bytes");
  httplib::Client c = client();
  const httplib::Result missing = c.Get("/v2/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body).at("error"), "no such endpoint: GET /v2/nothing");
  const httplib::Result wrong_method = c.Get("/v1/generate");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "POST");
  // The server is still fine afterwards.
  EXPECT_EQ(post(generate_body(1, 10)).first, 200);
}

TEST_F(ServeTest, ABusyPortIsARuntimeErrorNamingIt) {
  const Result r = run({"serve", "--model", path("run").string(), "--port", std::to_string(port_)});
  expect_failure(r, 1, {fmt::format("cannot listen on 127.0.0.1:{}", port_), "--port"});
}

// The first of the usual Chromium names that exists, or "" (then the test is skipped).
std::string find_chromium() {
  if (const char* given = std::getenv("CHARNN_CHROMIUM")) return given;
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

// Runs a program with stdout to `out`, stderr discarded, killed after `seconds`; returns its exit code.
int run_program(const std::vector<std::string>& argv, const fs::path& out, unsigned seconds) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = ::open("/dev/null", O_RDWR);
    if (fd < 0 || null < 0 || ::dup2(null, 0) < 0 || ::dup2(fd, 1) < 0 || ::dup2(null, 2) < 0) _exit(126);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::alarm(seconds);
    ::execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(ServeTest, HeadlessChromiumLoadsThePageGeneratesAndShowsTheText) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "no Chromium (apt-get install chromium, or set CHARNN_CHROMIUM)";
  // What the page should show: the same request made directly.
  const auto [status, expected] = post(nlohmann::json{{"prime", "the "}, {"temperature", 0.7}, {"top_p", 1.0},
                                                      {"top_k", 0}, {"length", 150}, {"seed", 42}}
                                           .dump());
  ASSERT_EQ(status, 200);
  // generate=1 makes the page generate on load; the virtual-time budget lets the
  // fetches finish before the DOM is dumped (virtual time waits for the network).
  const std::string url =
      fmt::format("http://127.0.0.1:{}/?prime=the%20&temperature=0.7&length=150&seed=42&generate=1", port_);
  const int code = run_program({chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-proxy-server",
                                "--no-first-run", "--user-data-dir=" + path("chromium-profile").string(),
                                "--virtual-time-budget=30000", "--dump-dom", url},
                               path("dom.html"), 120);
  const std::string dom = read_bytes(path("dom.html"));
  ASSERT_EQ(code, 0) << "chromium failed; DOM so far:\n" << dom;
  EXPECT_NE(dom.find("<body data-state=\"done\">"), std::string::npos) << dom;
  const std::string text = expected.at("text").get<std::string>();
  EXPECT_NE(dom.find("<span id=\"result-text\">" + text + "</span>"), std::string::npos)
      << "expected text:\n" << text << "\nDOM:\n" << dom;
  EXPECT_NE(dom.find("<span id=\"result-prime\">the </span>"), std::string::npos);
  EXPECT_NE(dom.find("1 × LSTM 8"), std::string::npos) << "the model line comes from /v1/info\n" << dom;
  EXPECT_EQ(logged_eventually("GET / 200", 1), 1u);
}

}  // namespace
}  // namespace charnn::cli_test
