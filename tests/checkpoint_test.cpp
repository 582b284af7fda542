// Checkpoints round-trip exactly and every kind of damage is refused with a
// message naming the file.
#include <cmath>
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>

#include "charnn/error.h"
#include "charnn/io/checkpoint.h"
#include "charnn/io/safetensors.h"
#include "charnn/nn/inference.h"
#include "test_support.h"

namespace charnn {
namespace {

struct Fixture {
  Fixture() : model(testing::random_model(testing::tiny_config(4, 2, 5, 0.3f), 3)) {
    meta.model = model.config;
    meta.vocabulary = Vocabulary({U'\n', U'a', U'b', U'\u00F1'});
    meta.train.text_path = "names.txt";
    meta.progress.epochs_done = 2;
    meta.progress.step = 17;
    meta.progress.history.push_back({1, 1.5, 1.6, 1000.0, 0.1});
    meta.optimizer_steps = 17;
    second.assign(model.layout.total(), 0.25f);
  }
  std::string bytes() const { return serialize_checkpoint(meta, model.params, {}, second); }
  Model model;
  CheckpointMeta meta;
  std::vector<float> second;
};

std::string load_error(std::string bytes) {
  try {
    parse_checkpoint(std::move(bytes), "ck.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, RoundTripGivesIdenticalWeightsStateAndLogits) {
  Fixture f;
  testing::TempDir dir;
  const std::string path = dir.file("last.safetensors");
  save_checkpoint(path, f.meta, f.model.params, {}, f.second);
  const Checkpoint loaded = load_checkpoint(path);
  EXPECT_EQ(loaded.params, f.model.params);
  EXPECT_EQ(loaded.optimizer_second, f.second);
  EXPECT_TRUE(loaded.optimizer_first.empty());
  EXPECT_EQ(loaded.meta.vocabulary.symbols(), f.meta.vocabulary.symbols());
  EXPECT_EQ(loaded.meta.progress.step, 17);
  EXPECT_EQ(loaded.meta.progress.history.size(), 1u);
  EXPECT_EQ(loaded.meta.model.dropout, f.model.config.dropout);
  const Model reloaded = model_from_checkpoint(loaded);
  InferenceState a(f.model, 1), b(reloaded, 1);
  for (int32_t token : {1, 3, 0, 2}) {
    const float* la = a.step(&token);
    std::vector<float> first(la, la + 4);
    const float* lb = b.step(&token);
    EXPECT_EQ(first, std::vector<float>(lb, lb + 4));
  }
}

TEST(Checkpoint, TensorNamesAndShapesMatchPyTorch) {
  Fixture f;
  const SafetensorsFile file(f.bytes(), "x");
  EXPECT_EQ(file.tensors().at("lstm.weight_ih_l0").shape, (std::vector<int64_t>{20, 4}));
  EXPECT_EQ(file.tensors().at("lstm.weight_hh_l1").shape, (std::vector<int64_t>{20, 5}));
  EXPECT_EQ(file.tensors().at("lstm.bias_ih_l1").shape, (std::vector<int64_t>{20}));
  EXPECT_EQ(file.tensors().at("fc.weight").shape, (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(file.metadata().at("format"), "charnn-checkpoint");
  EXPECT_EQ(file.metadata().at("vocabulary"), "[10,97,98,241]");
}

TEST(Checkpoint, DetectsEverySingleFlippedByte) {
  Fixture f;
  const std::string good = f.bytes();
  // Sample positions across header and data; every flip must be caught.
  for (size_t at = 0; at < good.size(); at += 7) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    EXPECT_NE(load_error(bad), "") << "flip at byte " << at << " went unnoticed";
  }
}

TEST(Checkpoint, RefusesTruncationRandomBytesAndForeignFiles) {
  Fixture f;
  const std::string good = f.bytes();
  EXPECT_NE(load_error(good.substr(0, good.size() - 1)).find("ck.safetensors"), std::string::npos);
  EXPECT_NE(load_error(good.substr(0, 5)).find("not a valid safetensors"), std::string::npos);
  EXPECT_NE(load_error(std::string(1000, '\x7f')).find("not a valid safetensors"), std::string::npos);
  const float w[2] = {1.0f, 2.0f};
  const std::string foreign = safetensors_serialize({{"weight", {2}, w}}, {});
  EXPECT_NE(load_error(foreign).find("not a charnn checkpoint"), std::string::npos);
}

TEST(Checkpoint, RefusesNonIntegerShapesAndOffsetsWithoutUndefinedBehaviour) {
  // Found by fuzz_state_dict: a float offset such as 2E24 once reached an
  // out-of-range float-to-integer conversion (UBSan). It must be a clean error.
  for (const std::string header : {R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,2E24]}})",
                                   R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})",
                                   R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})"}) {
    std::string bytes(8, '\0');
    const uint64_t length = header.size();
    std::memcpy(bytes.data(), &length, 8);
    bytes += header + std::string(4, '\0');
    EXPECT_NE(load_error(bytes).find("lacks dtype, shape or data_offsets"), std::string::npos) << header;
  }
}

TEST(Checkpoint, RefusesANewerFormatVersion) {
  Fixture f;
  std::string bytes = f.bytes();
  const size_t at = bytes.find("\"format_version\":\"1\"");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 18] = '9';
  EXPECT_NE(load_error(bytes).find("newer"), std::string::npos);
}

TEST(Checkpoint, RefusesShapesThatDisagreeWithTheMetadata) {
  Fixture f;
  std::string bytes = f.bytes();
  const std::string digest = SafetensorsFile(bytes, "x").metadata().at("checksum").substr(7);
  const size_t at = bytes.find("\\\"hidden\\\":5");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 11] = '6';
  seal_checkpoint_checksum(bytes, digest);
  EXPECT_NE(load_error(bytes).find("has shape [20, 4] but the model configuration needs [24, 4]"), std::string::npos)
      << load_error(bytes);
}

TEST(Checkpoint, RefusesNonFiniteWeights) {
  Fixture f;
  f.model.params[f.model.layout.fc_bias()] = NAN;
  EXPECT_NE(load_error(f.bytes()).find("non-finite"), std::string::npos);
}

TEST(Checkpoint, FailedWriteKeepsThePreviousFile) {
  Fixture f;
  testing::TempDir dir;
  const std::string path = dir.file("last.safetensors");
  save_checkpoint(path, f.meta, f.model.params, {}, f.second);
  // A path inside a missing directory cannot be written; the good file stays.
  EXPECT_THROW(save_checkpoint(dir.file("missing/last.safetensors"), f.meta, f.model.params, {}, f.second), Error);
  EXPECT_NO_THROW(load_checkpoint(path));
}

}  // namespace
}  // namespace charnn
