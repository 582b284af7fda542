// The request handling behind `charnn serve`, without HTTP: every malformed or
// out-of-range request is refused with a message naming the field, and a
// request's text depends on nothing but the request, however many threads
// generate at once.
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "charnn/serve/generation_service.h"
#include "test_support.h"

namespace charnn {
namespace {

Checkpoint test_checkpoint() {
  const Model model = testing::random_model(testing::tiny_config(5, 2, 7), 21);
  Checkpoint c;
  c.meta.model = model.config;
  c.meta.vocabulary = Vocabulary({U'\n', U' ', U'a', U'b', U'é'});
  c.params = model.params;
  return c;
}

class GenerationServiceTest : public ::testing::Test {
 protected:
  GenerationServiceTest() : service_(test_checkpoint(), "test.safetensors", ServeLimits{50, 256}) {}

  std::string refusal(const std::string& body) const {
    try {
      service_.parse_request(body);
    } catch (const RequestError& e) {
      return e.what();
    }
    return "accepted";
  }
  std::string text_of(const std::string& body) const {
    return service_.generate(service_.parse_request(body)).at("text").get<std::string>();
  }

  GenerationService service_;
};

TEST_F(GenerationServiceTest, EmptyObjectTakesTheDefaults) {
  const GenerateRequest r = service_.parse_request("{}");
  EXPECT_EQ(r.prime, "");
  EXPECT_EQ(r.length, 200);
  EXPECT_EQ(r.sampling.seed, 1u);
  EXPECT_EQ(r.sampling.temperature, 1.0f);
  EXPECT_EQ(r.sampling.top_k, 0);
  EXPECT_EQ(r.sampling.top_p, 1.0f);
}

TEST_F(GenerationServiceTest, RefusesBadRequestsNamingTheField) {
  EXPECT_EQ(refusal("{\"prime\": "), "request body is not valid JSON (at byte 11)");
  EXPECT_EQ(refusal("[1]"), "request body must be a JSON object with any of: prime, temperature, top_k, top_p, length, seed");
  EXPECT_EQ(refusal(R"({"lenght": 5})"), "unknown field 'lenght'; the fields are: prime, temperature, top_k, top_p, length, seed");
  EXPECT_EQ(refusal(R"({"prime": 5})"), "'prime' must be a string");
  EXPECT_EQ(refusal(R"({"temperature": "hot"})"), "'temperature' must be a number (got \"hot\")");
  EXPECT_EQ(refusal(R"({"temperature": -1})"), "'temperature' must be in [0, 100] (got -1; 0 = always the likeliest)");
  EXPECT_EQ(refusal(R"({"top_p": 0})"), "'top_p' must be in (0, 1] (got 0)");
  EXPECT_EQ(refusal(R"({"top_k": 2.5})"), "'top_k' must be a whole number >= 0 (got 2.5)");
  EXPECT_EQ(refusal(R"({"seed": -3})"), "'seed' must be a whole number >= 0 (got -3)");
  EXPECT_EQ(refusal(R"({"length": 51})"), "'length' must be at most 50 (got 51)");
  EXPECT_EQ(refusal(R"({"prime": "abc"})"), "'prime': character 'c' at position 2 is not in the model's vocabulary");
  EXPECT_EQ(refusal("{\"prime\": \"" + std::string(300, 'a') + "\"}"), "request body is larger than 256 bytes");
  EXPECT_EQ(refusal(R"({"prime": "ab é", "length": 50, "seed": 18446744073709551615})"), "accepted");
}

TEST_F(GenerationServiceTest, AnswersWithTheTextAndTheSettingsUsed) {
  const nlohmann::json j = service_.generate(service_.parse_request(R"({"prime":"ab","length":20,"seed":4,"temperature":0.8})"));
  EXPECT_EQ(j.at("prime"), "ab");
  EXPECT_EQ(j.at("length"), 20);
  EXPECT_EQ(j.at("seed"), 4);
  EXPECT_EQ(j.at("temperature"), 0.8) << "echoed as given, not widened from float";
  const std::string text = j.at("text").get<std::string>();
  EXPECT_GE(text.size(), 20u);  // 20 characters, 'é' takes two bytes
  EXPECT_EQ(text_of(R"({"length":0})"), "");
}

TEST_F(GenerationServiceTest, SameRequestSameTextEvenWhenThreadsGenerateAtOnce) {
  std::vector<std::string> bodies, expected;
  for (int seed = 1; seed <= 8; ++seed) {
    bodies.push_back(R"({"prime":"a","length":50,"seed":)" + std::to_string(seed) + "}");
    expected.push_back(text_of(bodies.back()));
  }
  EXPECT_NE(expected[0], expected[1]) << "different seeds should give different text";
  std::vector<std::vector<std::string>> got(bodies.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < bodies.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) got[t].push_back(text_of(bodies[t]));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t t = 0; t < bodies.size(); ++t) {
    for (const std::string& text : got[t]) EXPECT_EQ(text, expected[t]) << "seed " << t + 1;
  }
}

TEST_F(GenerationServiceTest, InfoDescribesModelLimitsAndDefaults) {
  const nlohmann::json info = service_.info();
  EXPECT_EQ(info.at("checkpoint"), "test.safetensors");
  EXPECT_EQ(info.at("model").at("layers"), 2);
  EXPECT_EQ(info.at("model").at("hidden"), 7);
  EXPECT_EQ(info.at("model").at("vocab_size"), 5);
  EXPECT_EQ(info.at("vocabulary"), (nlohmann::json{"\n", " ", "a", "b", "é"}));
  EXPECT_EQ(info.at("limits").at("max_length"), 50);
  EXPECT_EQ(info.at("limits").at("max_body_bytes"), 256);
  EXPECT_TRUE(info.at("progress").at("best_validation_loss").is_null());
  EXPECT_EQ(info.at("defaults").at("length"), 200);
}

}  // namespace
}  // namespace charnn
