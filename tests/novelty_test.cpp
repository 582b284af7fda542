// Novelty reports on constructed texts with answers known by construction,
// and the suffix automaton under them against brute force.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "charnn/sample/novelty.h"
#include "charnn/sample/suffix_automaton.h"
#include "charnn/text/utf8.h"

namespace charnn {
namespace {

std::u32string random_text(std::mt19937& rng, size_t length, const std::u32string& alphabet) {
  std::u32string s;
  for (size_t i = 0; i < length; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
  return s;
}

// Longest substring of b that occurs in a, by trying every one.
size_t brute_longest_common(const std::u32string& a, const std::u32string& b) {
  size_t best = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    for (size_t len = best + 1; i + len <= b.size() && a.find(b.substr(i, len)) != std::u32string::npos; ++len)
      best = len;
  }
  return best;
}

TEST(SuffixAutomaton, AcceptsExactlyTheSubstrings) {
  std::mt19937 rng(1234);  // fixed: the test must not depend on luck
  for (const std::u32string& text :
       {std::u32string(U"abcbcabcabbcaab"), std::u32string(U"aaaaaaaa"),
        std::u32string(U"Tlaquepaque Zúñiga 🙂 Zúñiga"), random_text(rng, 60, U"ab")}) {
    const SuffixAutomaton automaton(text);
    EXPECT_LE(automaton.state_count(), 2 * text.size() + 1);
    for (size_t i = 0; i < text.size(); ++i) {
      for (size_t len = 1; i + len <= text.size(); ++len) {
        ASSERT_TRUE(automaton.contains(text.substr(i, len))) << utf8_encode(text.substr(i, len));
      }
    }
    for (int trial = 0; trial < 300; ++trial) {
      const std::u32string probe = random_text(rng, 1 + rng() % 6, U"abcZú🙂");
      EXPECT_EQ(automaton.contains(probe), text.find(probe) != std::u32string::npos) << utf8_encode(probe);
    }
  }
}

TEST(SuffixAutomaton, StreamingMatchFindsTheLongestCommonSubstring) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 50; ++trial) {
    const std::u32string a = random_text(rng, 80, U"abc"), b = random_text(rng, 40, U"abcd");
    const SuffixAutomaton automaton(a);
    SuffixAutomaton::Match match;
    int64_t longest = 0;
    for (char32_t c : b) {
      automaton.extend(match, c);
      longest = std::max(longest, match.length);
    }
    EXPECT_EQ(static_cast<size_t>(longest), brute_longest_common(a, b)) << utf8_encode(a) << " / " << utf8_encode(b);
  }
}

TEST(Novelty, ItemsReportCountsVerbatimLinesAndDuplicates) {
  const TrainingLines lines(U"Ocampo\nHidalgo\nSan Juan\nOcampo\nCosío\r\nMorelos");
  EXPECT_EQ(lines.size(), 5u);
  EXPECT_TRUE(lines.contains(U"Morelos")) << "the last line needs no newline";
  EXPECT_TRUE(lines.contains(U"Cosío\r")) << "a CRLF line keeps its '\\r'";
  EXPECT_FALSE(lines.contains(U"Cosío"));
  EXPECT_FALSE(lines.contains(U"San")) << "a part of a line is not a line";
  EXPECT_FALSE(lines.contains(U"")) << "there are no empty lines";

  const ItemsReport r =
      items_report({U"Ocampo", U"Nuevo Ocampo", U"Ocampo", U"San Juan", U"Nuevo Ocampo", U"Tepec"}, lines);
  EXPECT_EQ(r.items, 6);
  EXPECT_EQ(r.in_training, 3) << "Ocampo twice, San Juan once";
  EXPECT_EQ(r.duplicates, 2) << "the second Ocampo and the second Nuevo Ocampo";
  EXPECT_EQ(r.copied, (std::vector<std::u32string>{U"Ocampo", U"San Juan"}));
}

TEST(Novelty, WordsFoldCaseAndKeepInnerApostrophes) {
  EXPECT_EQ(split_words(U"'Don't stop,' the KING's men—now… Ñandú 3.5"),
            (std::vector<std::u32string>{U"don't", U"stop", U"the", U"king's", U"men", U"now", U"ñandú", U"3", U"5"}));
}

TEST(Novelty, SentencesEndAtStopsBeforeSpaceAndAtBlankLines) {
  const std::vector<std::u32string_view> s =
      split_sentences(U"He said, 'Stop!' Then he\nleft at 3.5 o'clock.\n\nA TITLE\n \nAnd no end");
  EXPECT_EQ(s, (std::vector<std::u32string_view>{U"He said, 'Stop!'", U"Then he\nleft at 3.5 o'clock.", U"A TITLE",
                                                 U"And no end"}));
}

// Training and generated texts built so each answer can be read off:
// " upon a time there lived " (25 characters, spaces included) is the only
// stretch the two share of 20 characters or more; 'X', 'x', 'Y', 'Z' and '!'
// never occur in the training text.
const std::u32string kTraining =
    U"Once upon a time there lived a king who had three sons.\nThe youngest son was called Simpleton.\n";
const std::u32string kGenerated =
    U"Xx upon a time there lived Yy. THE YOUNGEST Zz called Simpleton! Three sons, the youngest son.";

TEST(Novelty, ProseReportOnAConstructedText) {
  const ProseIndex index(kTraining);
  const ProseReport r = index.report(kGenerated);
  EXPECT_EQ(r.characters, static_cast<int64_t>(kGenerated.size()));
  EXPECT_EQ(r.longest_shared, U" upon a time there lived ");
  // Every 20-gram inside those 25 characters (6 of them) and no other.
  EXPECT_EQ(r.ngrams, static_cast<int64_t>(kGenerated.size()) - 19);
  EXPECT_EQ(r.ngrams_in_training, 6);

  ASSERT_EQ(r.sentences.size(), 3u);
  EXPECT_EQ(r.sentences[0].words, 7);
  EXPECT_EQ(r.sentences[0].longest_run, 5);
  EXPECT_EQ(r.sentences[0].run, U"upon a time there lived");
  // Case is ignored; of two runs of two, the first is shown.
  EXPECT_EQ(r.sentences[1].longest_run, 2);
  EXPECT_EQ(r.sentences[1].run, U"the youngest");
  // Punctuation is ignored, even the full stop between two training sentences.
  EXPECT_EQ(r.sentences[2].longest_run, 5);
  EXPECT_EQ(r.sentences[2].run, U"three sons the youngest son");
}

TEST(Novelty, ProseReportOfTextWithNothingShared) {
  const ProseReport r = ProseIndex(kTraining).report(U"XYZ!\tQq!");  // not one character of it is in kTraining
  EXPECT_EQ(r.longest_shared, U"");
  EXPECT_EQ(r.ngrams, 0) << "shorter than one 20-gram";
  ASSERT_EQ(r.sentences.size(), 2u);
  EXPECT_EQ(r.sentences[0].longest_run, 0);
  EXPECT_EQ(r.sentences[0].run, U"");
}

TEST(Novelty, ACopyOfTheTrainingTextIsAllShared) {
  const ProseReport r = ProseIndex(kTraining).report(kTraining);
  EXPECT_EQ(r.longest_shared, kTraining);
  EXPECT_EQ(r.ngrams_in_training, r.ngrams);
  for (const SentenceOverlap& s : r.sentences) EXPECT_EQ(s.longest_run, s.words) << utf8_encode(s.sentence);
}

}  // namespace
}  // namespace charnn
