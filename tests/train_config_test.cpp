// The training configuration's JSON form, as checkpoints store it: every field
// survives a round trip, keys added later default to what older runs did, and
// an unknown precision is refused with a message naming it.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "charnn/error.h"
#include "charnn/train/train_config.h"

namespace charnn {
namespace {

TrainConfig sample_config() {
  TrainConfig c;
  c.text_path = "names.txt";
  c.seq_length = 16;
  c.batch_size = 8;
  c.epochs = 7;
  c.optimizer.kind = OptimizerKind::adam;
  c.seed = 42;
  c.patience = 3;
  c.lr_decay = 0.5f;
  c.lr_decay_after = 2;
  c.precision = Precision::bf16;
  return c;
}

std::string from_json_error(const nlohmann::json& j) {
  try {
    train_config_from_json(j);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TrainConfigJson, RoundTripKeepsThePrecision) {
  for (const Precision precision : {Precision::f32, Precision::bf16}) {
    TrainConfig c = sample_config();
    c.precision = precision;
    const nlohmann::json j = train_config_to_json(c);
    EXPECT_EQ(j.at("precision"), precision_name(precision));
    const TrainConfig back = train_config_from_json(j);
    EXPECT_EQ(back.precision, precision) << j.dump();
    EXPECT_EQ(train_config_to_json(back), j);
  }
}

TEST(TrainConfigJson, MissingPrecisionMeansF32AsInOlderCheckpoints) {
  nlohmann::json j = train_config_to_json(sample_config());
  j.erase("precision");
  EXPECT_EQ(train_config_from_json(j).precision, Precision::f32);
}

TEST(TrainConfigJson, UnknownPrecisionIsAnErrorNamingIt) {
  nlohmann::json j = train_config_to_json(sample_config());
  j["precision"] = "fp8";
  const std::string message = from_json_error(j);
  EXPECT_NE(message.find("unknown training precision 'fp8'"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  j["precision"] = 16;
  EXPECT_NE(from_json_error(j).find("malformed"), std::string::npos) << from_json_error(j);
}

}  // namespace
}  // namespace charnn
