// The compact token text and the two-pass loading that fills it: the width
// follows the vocabulary size (1, 2, 4 bytes), tokens map back to the exact
// text, the vocabulary is the sorted code points as Vocabulary::from_text
// gives, and reading a file in pieces changes neither the tokens nor the
// byte offsets of UTF-8 errors, wherever the pieces are cut.
#include <fstream>

#include <gtest/gtest.h>

#include "charnn/data/batcher.h"
#include "charnn/error.h"
#include "charnn/io/sha256.h"
#include "charnn/text/token_text.h"
#include "charnn/text/tokenize.h"
#include "charnn/text/utf8.h"
#include "charnn/text/vocabulary.h"
#include "charnn/train/corpus.h"
#include "test_support.h"

namespace charnn {
namespace {

using testing::error_of;

std::string write_text(const testing::TempDir& dir, const std::string& bytes) {
  const std::string path = dir.file("text.txt");
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// `distinct` different code points from U+0020 up, surrogates skipped, in a
// scrambled order and some repeated, so that sorting has work to do.
std::u32string text_with_distinct(int distinct) {
  std::u32string symbols;
  for (char32_t cp = 0x20; static_cast<int>(symbols.size()) < distinct; ++cp) {
    if (cp < 0xD800 || cp > 0xDFFF) symbols.push_back(cp);
  }
  std::u32string text;
  for (size_t i = 0; i < symbols.size(); ++i) text.push_back(symbols[(i * 7919) % symbols.size()]);
  text += symbols.substr(0, 100);
  return text;
}

// The text mapped back from its tokens through the vocabulary.
std::string detokenize(const TokenText& tokens, const Vocabulary& vocabulary) {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) utf8_append(out, vocabulary.symbol(tokens[i]));
  return out;
}

TEST(TokenText, WidthIsTheNarrowestThatHoldsTheVocabulary) {
  EXPECT_EQ(TokenText::width_for(1), 1);
  EXPECT_EQ(TokenText::width_for(256), 1);
  EXPECT_EQ(TokenText::width_for(257), 2);
  EXPECT_EQ(TokenText::width_for(65536), 2);
  EXPECT_EQ(TokenText::width_for(65537), 4);
  EXPECT_EQ(TokenText(std::vector<int32_t>{0, 255}).width(), 1);
  EXPECT_EQ(TokenText(std::vector<int32_t>{256}).width(), 2);
  EXPECT_EQ(TokenText(std::vector<int32_t>{65536}).width(), 4);
}

TEST(TokenText, CopiesOutTheIndicesItWasGivenAtEveryWidth) {
  for (const int32_t largest : {200, 60000, 1000000}) {
    const std::vector<int32_t> indices = {largest, 0, 7, largest - 1, 3};
    const TokenText tokens(indices);
    EXPECT_EQ(tokens.memory_bytes(), indices.size() * static_cast<size_t>(tokens.width()));
    std::vector<int32_t> out(3);
    tokens.copy_out(1, 3, out.data());
    EXPECT_EQ(out, std::vector<int32_t>(indices.begin() + 1, indices.begin() + 4)) << "largest " << largest;
    for (size_t i = 0; i < indices.size(); ++i) EXPECT_EQ(tokens[i], indices[i]) << "largest " << largest;
  }
}

TEST(TokenText, BatchesAreTheSameAtEveryWidth) {
  const int T = 4;
  const std::vector<int64_t> windows = {2, 0, 1};
  const size_t B = windows.size();
  for (const int32_t offset : {0, 300, 70000}) {  // widths 1, 2 and 4
    std::vector<int32_t> indices(13);
    for (size_t i = 0; i < indices.size(); ++i) indices[i] = offset + static_cast<int32_t>(i);
    std::vector<int32_t> inputs(T * B), targets(T * B);
    fill_batch(inputs.data(), targets.data(), TokenText(indices), windows, T);
    for (size_t t = 0; t < T; ++t) {
      for (size_t b = 0; b < B; ++b) {
        const size_t at = static_cast<size_t>(windows[b]) * T + t;
        EXPECT_EQ(inputs[t * B + b], indices[at]) << "offset " << offset << ", t " << t << ", b " << b;
        EXPECT_EQ(targets[t * B + b], indices[at + 1]) << "offset " << offset << ", t " << t << ", b " << b;
      }
    }
  }
}

TEST(Tokenize, WidthFollowsTheTextsDistinctCharactersAndTokensRoundTrip) {
  const testing::TempDir dir;
  for (const auto& [distinct, width] : std::vector<std::pair<int, int>>{{60, 1}, {257, 2}, {65537, 4}}) {
    const std::string bytes = utf8_encode(text_with_distinct(distinct));
    const Corpus corpus = load_corpus(write_text(dir, bytes));
    EXPECT_EQ(corpus.vocabulary.size(), distinct);
    EXPECT_EQ(corpus.tokens.width(), width) << distinct << " distinct";
    EXPECT_EQ(detokenize(corpus.tokens, corpus.vocabulary), bytes) << distinct << " distinct";
  }
}

TEST(Tokenize, MatchesDecodingTheWholeTextAtOnce) {
  // Every UTF-8 width, a BOM, and a vocabulary that is not in text order.
  const std::string bytes = "\xEF\xBB\xBFzñaa\n Á€ 😀 the end\r\n";
  const testing::TempDir dir;
  const std::string path = write_text(dir, bytes);
  const Corpus corpus = load_corpus(path);
  const std::u32string text = utf8_decode(bytes, "t");
  const Vocabulary expected = Vocabulary::from_text(text);
  EXPECT_EQ(corpus.vocabulary.symbols(), expected.symbols());
  EXPECT_EQ(corpus.summary.sha256, sha256_hex(bytes));
  EXPECT_EQ(corpus.summary.characters, static_cast<int64_t>(text.size()));
  const std::vector<int32_t> indices = expected.encode(text, "t");
  ASSERT_EQ(corpus.tokens.size(), indices.size());
  for (size_t i = 0; i < indices.size(); ++i) EXPECT_EQ(corpus.tokens[i], indices[i]) << "character " << i;
}

TEST(Tokenize, PiecesCutAnywhereGiveTheSameTokens) {
  const std::string bytes = utf8_encode(text_with_distinct(300)) + "ascii, then 😀😀x😀";
  const testing::TempDir dir;
  const std::string path = write_text(dir, bytes);
  const Corpus whole = load_corpus(path);
  for (const size_t piece_bytes : {4, 5, 6, 7, 1000}) {
    CodePointScan scan;
    TokenText tokens(whole.vocabulary.size());
    const auto scan_piece = [&](std::string_view piece, uint64_t first) { scan.add(piece, first, path); };
    const auto encode_piece = [&](std::string_view piece, uint64_t first) {
      append_tokens(tokens, piece, first, whole.vocabulary, path);
    };
    for_each_utf8_piece(path, scan_piece, piece_bytes);
    for_each_utf8_piece(path, encode_piece, piece_bytes);
    EXPECT_EQ(scan.vocabulary().symbols(), whole.vocabulary.symbols()) << piece_bytes << "-byte pieces";
    EXPECT_EQ(detokenize(tokens, whole.vocabulary), bytes) << piece_bytes << "-byte pieces";
  }
}

TEST(Tokenize, InvalidUtf8IsReportedAtItsFileOffsetWhereverPiecesAreCut) {
  const testing::TempDir dir;
  // Each error sits after multi-byte characters, so piece cuts fall around it.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"añb\xFF rest", "invalid UTF-8 at byte 4 (invalid lead byte)"},
      {"€€\xE2\x82", "invalid UTF-8 at byte 6 (truncated sequence)"},
      {"ñ\xF0\x9F\x98x", "invalid UTF-8 at byte 2 (truncated sequence)"},
      {"ab€\x80", "invalid UTF-8 at byte 5 (unexpected continuation byte)"},
      {"😀\xED\xA0\x80", "invalid UTF-8 at byte 4 (surrogate code point)"},
  };
  for (const auto& [bytes, message] : cases) {
    const std::string path = write_text(dir, bytes);
    EXPECT_EQ(error_of([&] { load_corpus(path); }), path + ": " + message);
    for (const size_t piece_bytes : {4, 5, 6}) {
      CodePointScan scan;
      EXPECT_EQ(error_of([&] {
                  for_each_utf8_piece(path, [&](std::string_view p, uint64_t first) { scan.add(p, first, path); },
                                      piece_bytes);
                }),
                path + ": " + message)
          << piece_bytes << "-byte pieces";
    }
  }
}

TEST(Tokenize, CharacterOutsideTheGivenVocabularyIsNamedWithItsPosition) {
  const testing::TempDir dir;
  const std::string path = write_text(dir, "ab\nñba");
  EXPECT_EQ(error_of([&] { encode_corpus(path, Vocabulary::from_text(U"\nab"), 6); }),
            path + ": character U+00F1 'ñ' at position 3 is not in the model's vocabulary");
}

TEST(Tokenize, AFileThatChangedBetweenThePassesIsRefused) {
  // Pass one's count (and hash) must describe the tokens pass two produced:
  // here the text grew by one character after it was counted.
  const testing::TempDir dir;
  const std::string path = write_text(dir, "ab\nba\n");
  const CorpusSummary counted = summarize_corpus(path);
  write_text(dir, "ab\nba\na");
  EXPECT_EQ(error_of([&] { encode_corpus(path, Vocabulary::from_text(U"\nab"), counted.characters); }),
            path + ": changed while it was being read (6 characters, then 7); run again");
}

TEST(Tokenize, MissingFileAndDirectoryAreNamed) {
  const testing::TempDir dir;
  EXPECT_EQ(error_of([&] { load_corpus(dir.file("absent.txt")); }), dir.file("absent.txt") + ": no such file");
  EXPECT_EQ(error_of([&] { summarize_corpus(dir.path()); }), dir.path() + ": is a directory, expected a file");
}

}  // namespace
}  // namespace charnn
