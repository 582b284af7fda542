// Item generation with --unique and --novel: the properties they promise
// (no item twice, no training line), the bounded number of attempts, the
// max-length flag, and the same items for the same seed.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "charnn/sample/generate.h"
#include "hand_built_models.h"

namespace charnn {
namespace {

// An untrained model over "\nabc" whose raised newline logit keeps items to a
// few characters, so plain sampling repeats itself and hits short training lines.
const Vocabulary kVocabulary = Vocabulary::from_text(U"\nabc");
const std::u32string kTrainingText = U"a\nb\nc\naa\nab\nac\nba\nbb\nbc\nca\ncb\ncc\n";

std::vector<std::u32string> texts(const ItemBatch& batch) {
  std::vector<std::u32string> out;
  for (const GeneratedItem& item : batch.items) out.push_back(item.text);
  return out;
}

ItemBatch draw(const ItemRequest& request, uint64_t seed = 4) {
  const Model model = test::seeded_model(kVocabulary, 8, 21, 1.5f);
  Sampler sampler({.seed = seed}, kVocabulary.size());
  return generate_items(model, kVocabulary, sampler, U"", request);
}

TEST(GenerateItems, PlainSamplingRepeatsItemsAndTrainingLines) {
  // The premise of the tests below: without --unique and --novel both happen.
  const TrainingLines lines(kTrainingText);
  const std::vector<std::u32string> items = texts(draw({.count = 40}));
  ASSERT_EQ(items.size(), 40u);
  EXPECT_LT(std::set<std::u32string>(items.begin(), items.end()).size(), items.size());
  EXPECT_GT(std::count_if(items.begin(), items.end(), [&](const std::u32string& s) { return lines.contains(s); }), 0);
}

TEST(GenerateItems, UniqueItemsAreAllDifferent) {
  const ItemBatch batch = draw({.count = 40, .unique = true});
  const std::vector<std::u32string> items = texts(batch);
  ASSERT_EQ(items.size(), 40u);
  EXPECT_EQ(std::set<std::u32string>(items.begin(), items.end()).size(), 40u);
  EXPECT_GT(batch.rejected_duplicates, 0);
  EXPECT_EQ(batch.attempts, 40 + batch.rejected_duplicates + batch.rejected_empty);
}

TEST(GenerateItems, NovelItemsAreNeverATrainingLine) {
  const TrainingLines lines(kTrainingText);
  const ItemBatch batch = draw({.count = 40, .unique = true, .novel = &lines});
  ASSERT_EQ(batch.items.size(), 40u);
  for (const GeneratedItem& item : batch.items) EXPECT_FALSE(lines.contains(item.text)) << "copied a training line";
  EXPECT_GT(batch.rejected_copies, 0);
  const std::vector<std::u32string> items = texts(batch);
  EXPECT_EQ(std::set<std::u32string>(items.begin(), items.end()).size(), 40u);
}

TEST(GenerateItems, AttemptsAreBoundedWhenNoNewItemCanBeFound) {
  // Greedy sampling draws the same item every time: one is accepted, then every
  // attempt is a duplicate. No newline bias, and items cut at 5 characters, so
  // the greedy item is never the empty line.
  const Model model = test::seeded_model(kVocabulary, 8, 21, -5.0f);
  Sampler sampler({.temperature = 0.0f, .loop_guard = false}, kVocabulary.size());
  const ItemBatch batch = generate_items(model, kVocabulary, sampler, U"",
                                         {.count = 3, .max_length = 5, .unique = true, .max_attempts = 25});
  EXPECT_EQ(batch.items.size(), 1u);
  EXPECT_EQ(batch.attempts, 25);
  EXPECT_EQ(batch.rejected_duplicates, 24);
  EXPECT_EQ(batch.rejected_empty, 0);
  // The default budget is 100 attempts per requested item.
  Sampler again({.temperature = 0.0f, .loop_guard = false}, kVocabulary.size());
  EXPECT_EQ(generate_items(model, kVocabulary, again, U"", {.count = 3, .max_length = 5, .unique = true}).attempts, 300);
}

TEST(GenerateItems, EmptyLinesAreDrawnAgainNotReturned) {
  const Model model = test::seeded_model(kVocabulary, 8, 21, 1.5f);
  Sampler sampler({.seed = 3}, kVocabulary.size());
  const ItemBatch batch = generate_items(model, kVocabulary, sampler, U"", {.count = 200});
  for (const GeneratedItem& item : batch.items) EXPECT_FALSE(item.text.empty());
  EXPECT_EQ(batch.items.size(), 200u);
  EXPECT_GT(batch.rejected_empty, 0) << "this model draws a newline first now and then";
  EXPECT_EQ(batch.attempts, 200 + batch.rejected_empty);
}

TEST(GenerateItems, ItemsCutAtMaxLengthAreMarked) {
  const Vocabulary vocabulary = test::alternating_vocabulary();
  Sampler sampler({.temperature = 0.0f, .loop_guard = false}, vocabulary.size());
  const ItemBatch batch =
      generate_items(test::alternating_model(), vocabulary, sampler, U"b", {.count = 2, .max_length = 5});
  ASSERT_EQ(batch.items.size(), 2u);
  EXPECT_EQ(batch.items[0].text, U"babab") << "the prime counts toward --max-len";
  EXPECT_TRUE(batch.items[0].cut_at_max_length);
  const ItemBatch ended = draw({.count = 10, .max_length = 1000});
  for (const GeneratedItem& item : ended.items) EXPECT_FALSE(item.cut_at_max_length) << "ended at a newline";
}

TEST(GenerateItems, SameSeedSameItems) {
  const TrainingLines lines(kTrainingText);
  const ItemRequest request{.count = 20, .unique = true, .novel = &lines};
  EXPECT_EQ(texts(draw(request, 9)), texts(draw(request, 9)));
  EXPECT_NE(texts(draw(request, 9)), texts(draw(request, 10)));
}

}  // namespace
}  // namespace charnn
