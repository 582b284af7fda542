// Item generation with --unique and --novel: the properties they promise
// (no item twice, no training line), the bounded number of attempts, the
// max-length flag, and the same items for the same seed.
#include <algorithm>
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
  return generate_items(model, kVocabulary, {.seed = seed}, U"", request);
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
  const SamplingOptions greedy{.temperature = 0.0f, .loop_guard = false};
  const ItemBatch batch = generate_items(model, kVocabulary, greedy, U"",
                                         {.count = 3, .max_length = 5, .unique = true, .max_attempts = 25});
  EXPECT_EQ(batch.items.size(), 1u);
  EXPECT_EQ(batch.attempts, 25);
  EXPECT_EQ(batch.rejected_duplicates, 24);
  EXPECT_EQ(batch.rejected_empty, 0);
  // The default budget is 100 attempts per requested item.
  const ItemRequest three{.count = 3, .max_length = 5, .unique = true};
  EXPECT_EQ(generate_items(model, kVocabulary, greedy, U"", three).attempts, 300);
}

TEST(GenerateItems, EmptyLinesAreDrawnAgainNotReturned) {
  const Model model = test::seeded_model(kVocabulary, 8, 21, 1.5f);
  const ItemBatch batch = generate_items(model, kVocabulary, {.seed = 3}, U"", {.count = 200});
  for (const GeneratedItem& item : batch.items) EXPECT_FALSE(item.text.empty());
  EXPECT_EQ(batch.items.size(), 200u);
  EXPECT_GT(batch.rejected_empty, 0) << "this model draws a newline first now and then";
  EXPECT_EQ(batch.attempts, 200 + batch.rejected_empty);
}

TEST(GenerateItems, ItemsCutAtMaxLengthAreMarked) {
  const Vocabulary vocabulary = test::alternating_vocabulary();
  const SamplingOptions greedy{.temperature = 0.0f, .loop_guard = false};
  const ItemBatch batch =
      generate_items(test::alternating_model(), vocabulary, greedy, U"b", {.count = 2, .max_length = 5});
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

TEST(GenerateItems, AskingForMoreItemsOnlyAddsToTheList) {
  // Streams draw side by side and finished items are taken in a fixed order,
  // so the first items do not depend on how many are asked for, with or
  // without rejections.
  const TrainingLines lines(kTrainingText);
  const std::vector<std::u32string> few = texts(draw({.count = 7, .unique = true, .novel = &lines}));
  const std::vector<std::u32string> many = texts(draw({.count = 30, .unique = true, .novel = &lines}));
  ASSERT_EQ(few.size(), 7u);
  ASSERT_EQ(many.size(), 30u);
  EXPECT_EQ(few, std::vector<std::u32string>(many.begin(), many.begin() + 7));
}

TEST(GenerateItems, ShortItemsAreNotFavoured) {
  // Streams finish short items first, and a stream that drew a short item
  // starts its next one at once: taking items as they finish would fill the
  // first places with short items. Taken round by round, the first
  // kItemStreams items are one fresh draw per stream, as long on average as
  // any later ones.
  // Newline lowered a little: items of about 5 characters.
  const Model model = test::seeded_model(kVocabulary, 8, 21, -0.5f);
  const std::vector<std::u32string> items =
      texts(generate_items(model, kVocabulary, {.seed = 7}, U"", {.count = 10 * kItemStreams, .max_length = 1000}));
  ASSERT_EQ(items.size(), static_cast<size_t>(10 * kItemStreams));
  const auto mean_length = [&](size_t first, size_t last) {
    double sum = 0.0;
    for (size_t i = first; i < last; ++i) sum += static_cast<double>(items[i].size());
    return sum / static_cast<double>(last - first);
  };
  const double first_round = mean_length(0, kItemStreams), later = mean_length(kItemStreams, items.size());
  // Measured: 5.48 against 4.99 taken round by round; 2.75 against 5.01 taken
  // as they finish.
  EXPECT_GT(first_round, 0.8 * later) << first_round << " against " << later;
}

TEST(GenerateItems, EveryItemStartsFromAFreshState) {
  // Greedy sampling from a fresh state draws the same item every time; a
  // stream that carried its state or history into its next item would not.
  // 3 x kItemStreams items make every stream start over at least twice.
  const Model model = test::seeded_model(kVocabulary, 8, 21, -5.0f);
  const ItemBatch batch = generate_items(model, kVocabulary, {.temperature = 0.0f}, U"",
                                         {.count = 3 * kItemStreams, .max_length = 9});
  ASSERT_EQ(batch.items.size(), static_cast<size_t>(3 * kItemStreams));
  for (const GeneratedItem& item : batch.items) ASSERT_EQ(item.text, batch.items[0].text);
}

}  // namespace
}  // namespace charnn
