// End-to-end behaviour of the library: a small model learns a tiny corpus far
// below its unigram entropy, runs are deterministic in the seed, and eval
// scores text exactly as the reference model does window by window.
#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include "charnn/nn/model_ref.h"
#include "charnn/train/corpus_defaults.h"
#include "charnn/train/evaluate.h"
#include "charnn/train/trainer.h"
#include "test_support.h"

namespace charnn {
namespace {

const std::u32string kCorpus = [] {
  std::u32string text;
  const char32_t* lines[] = {U"the cat sat on the mat\n", U"a dog ran to the log\n", U"el niño comió piña\n"};
  for (int i = 0; i < 40; ++i) text += lines[i % 3];
  return text;
}();

double unigram_entropy(const std::u32string& text) {
  std::map<char32_t, double> counts;
  for (char32_t c : text) counts[c] += 1.0;
  double h = 0.0;
  for (const auto& [c, n] : counts) h -= n / static_cast<double>(text.size()) * std::log(n / static_cast<double>(text.size()));
  return h;
}

struct TinyRun {
  std::vector<EpochRecord> history;
  std::vector<float> params;
};

TinyRun train_tiny(const std::string& out, uint64_t seed, int epochs, Precision precision = Precision::f32) {
  const Vocabulary vocabulary = Vocabulary::from_text(kCorpus);
  TrainConfig train;
  train.seq_length = 16;
  train.batch_size = 8;
  train.epochs = epochs;
  train.seed = seed;
  train.optimizer.kind = OptimizerKind::adam;
  train.optimizer.learning_rate = 0.01f;
  train.validation_fraction = 0.1;
  train.precision = precision;
  ModelConfig model = testing::tiny_config(vocabulary.size(), 1, 48, 0.1f);
  Trainer trainer(train, model, vocabulary, vocabulary.encode(kCorpus, "corpus"), out);
  trainer.run();
  return {trainer.progress().history, trainer.model().params};
}

TEST(Training, LearnsATinyCorpusFarBelowItsUnigramEntropy) {
  testing::TempDir dir;
  const TinyRun run = train_tiny(dir.path(), 1, 30);
  const double entropy = unigram_entropy(kCorpus);  // about 2.8 nats
  ASSERT_EQ(run.history.size(), 30u);
  EXPECT_LT(run.history.back().train_loss, 0.4 * entropy)
      << "final train loss " << run.history.back().train_loss << " vs unigram entropy " << entropy;
  EXPECT_LT(run.history.back().validation_loss, 0.5 * entropy);
  EXPECT_NO_THROW(load_checkpoint(dir.file("best.safetensors")));
  EXPECT_NO_THROW(load_checkpoint(dir.file("last.safetensors")));
}

TEST(Training, SameSeedGivesBitIdenticalLossesAndWeights) {
  testing::TempDir a, b, c;
  const TinyRun first = train_tiny(a.path(), 4, 3);
  const TinyRun second = train_tiny(b.path(), 4, 3);
  const TinyRun other = train_tiny(c.path(), 5, 3);
  for (size_t e = 0; e < first.history.size(); ++e) {
    EXPECT_EQ(first.history[e].train_loss, second.history[e].train_loss) << "epoch " << e + 1;
    EXPECT_EQ(first.history[e].validation_loss, second.history[e].validation_loss) << "epoch " << e + 1;
  }
  EXPECT_EQ(first.params, second.params);
  EXPECT_NE(first.params, other.params);
}

// The condition for a bf16 mode: its loss curves stay within a stated
// tolerance of f32's, epoch by epoch. Measured over these 30 epochs: training
// loss within 0.63% and validation loss within 1.14% (on municipios' 100
// epochs, 0.69% and 3.0%, docs/benchmarks.md). The bounds are 2% and 3%; a
// bf16 product that lost a term would not learn the corpus at all.
TEST(Training, Bf16LossCurvesStayWithinTwoPercentOfF32) {
  testing::TempDir a, b;
  const TinyRun f32 = train_tiny(a.path(), 1, 30);
  const TinyRun bf16 = train_tiny(b.path(), 1, 30, Precision::bf16);
  ASSERT_EQ(f32.history.size(), bf16.history.size());
  for (size_t e = 0; e < f32.history.size(); ++e) {
    const EpochRecord& x = f32.history[e];
    const EpochRecord& y = bf16.history[e];
    EXPECT_NEAR(y.train_loss, x.train_loss, 0.02 * x.train_loss) << "training loss of epoch " << e + 1;
    EXPECT_NEAR(y.validation_loss, x.validation_loss, 0.03 * x.validation_loss) << "validation loss of epoch " << e + 1;
  }
}

TEST(Evaluate, ScoresConsecutiveWindowsLikeTheReference) {
  const ModelConfig config = testing::tiny_config(6, 2, 5, 0.3f);  // dropout must be off in eval
  const Model model = testing::random_model(config, 2);
  const auto tokens = testing::random_tokens(23, 6, 3);  // T = 5: 4 whole windows + 2 scored in the last
  const LossTotals totals = evaluate_text(model, tokens, 5, 3);
  EXPECT_EQ(totals.predictions, 22);
  const std::vector<double> params(model.params.begin(), model.params.end());
  const std::vector<std::vector<double>> no_masks(2);
  double expected = 0.0;
  for (size_t start = 0; start + 1 < tokens.size(); start += 5) {
    const int T = static_cast<int>(std::min<size_t>(5, tokens.size() - 1 - start));
    expected += reference_forward_backward<double>(config, model.layout, params.data(), nullptr, &tokens[start],
                                                   &tokens[start + 1], T, 1, no_masks)
                    .loss;
  }
  EXPECT_NEAR(totals.nats, expected, 1e-4 * expected);
}

}  // namespace
}  // namespace charnn

namespace charnn {
namespace {

TEST(CorpusDefaults, GiveOneToFourParametersPerCharacter) {
  // Budget sqrt(300,000 N) within N .. 4N, then H rounded to 16: the measured
  // parameters per character stay near the budget's.
  struct Case {
    int64_t chars;
    double low, high;  // parameters per character
  };
  for (const Case& c : {Case{20000, 2.8, 5.2}, Case{35547, 2.0, 4.0}, Case{100000, 1.2, 2.4},
                        Case{517611, 0.7, 1.4}, Case{20000000, 0.7, 1.4}}) {
    const CorpusDefaults d = defaults_for_corpus(c.chars, 70);
    ModelConfig config = testing::tiny_config(70, d.layers, d.hidden, 0.0f);
    const double per_char = static_cast<double>(ParameterLayout(config).parameter_count()) / static_cast<double>(c.chars);
    EXPECT_GT(per_char, c.low) << c.chars << " chars: " << d.reason;
    EXPECT_LT(per_char, c.high) << c.chars << " chars: " << d.reason;
    EXPECT_EQ(d.hidden % 16, 0);
  }
  EXPECT_EQ(defaults_for_corpus(35547, 68).layers, 1);
  EXPECT_EQ(defaults_for_corpus(35547, 68).hidden, 128);  // measured: docs/experiments.md
  EXPECT_EQ(defaults_for_corpus(517611, 72).layers, 2);
  EXPECT_EQ(defaults_for_corpus(517611, 72).hidden, 192);
  EXPECT_EQ(defaults_for_corpus(100, 10).hidden, 32);  // never below the floor
}

TEST(Training, PatienceStopsWhenValidationStopsImproving) {
  testing::TempDir dir;
  const Vocabulary vocabulary = Vocabulary::from_text(kCorpus);
  TrainConfig train;
  train.seq_length = 16;
  train.batch_size = 8;
  train.epochs = 200;
  train.patience = 2;
  train.optimizer.kind = OptimizerKind::adam;
  train.optimizer.learning_rate = 0.05f;  // high enough to overfit the tiny corpus fast
  train.validation_fraction = 0.2;
  Trainer trainer(train, testing::tiny_config(vocabulary.size(), 1, 64, 0.0f), vocabulary,
                  vocabulary.encode(kCorpus, "corpus"), dir.path());
  EXPECT_EQ(trainer.run(), RunOutcome::early_stopped);
  const TrainProgress& p = trainer.progress();
  EXPECT_LT(p.epochs_done, 200);
  EXPECT_EQ(p.epochs_done - p.best_epoch, 2) << "stopped exactly when patience ran out";
}

TEST(Training, LearningRateDecaysAfterTheGivenEpoch) {
  testing::TempDir dir;
  const Vocabulary vocabulary = Vocabulary::from_text(kCorpus);
  TrainConfig train;
  train.seq_length = 16;
  train.batch_size = 8;
  train.epochs = 4;
  train.lr_decay = 0.5f;
  train.lr_decay_after = 2;
  Trainer trainer(train, testing::tiny_config(vocabulary.size(), 1, 8, 0.0f), vocabulary,
                  vocabulary.encode(kCorpus, "corpus"), dir.path());
  trainer.run();
  std::vector<double> rates;
  for (const EpochRecord& r : trainer.progress().history) rates.push_back(r.learning_rate);
  const double lr = train.optimizer.learning_rate;
  EXPECT_EQ(rates, (std::vector<double>{lr, lr, lr * 0.5f, lr * 0.25f}));
}

}  // namespace
}  // namespace charnn
