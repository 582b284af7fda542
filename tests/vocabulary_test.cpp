// The vocabulary is the sorted set of code points, rejects unsorted input, and
// reproduces the reference counts on the municipios corpus.
#include <filesystem>

#include <gtest/gtest.h>

#include "charnn/data/windows.h"
#include "charnn/error.h"
#include "charnn/text/utf8.h"
#include "charnn/text/vocabulary.h"

namespace charnn {
namespace {

TEST(Vocabulary, IsSortedByCodePointWhateverTheTextOrder) {
  const Vocabulary v = Vocabulary::from_text(U"zñaa\n Á");
  EXPECT_EQ(v.symbols(), std::vector<char32_t>({U'\n', U' ', U'a', U'z', U'\u00C1', U'\u00F1'}));
  EXPECT_EQ(v.index_of(U'\n'), 0);
  EXPECT_EQ(v.index_of(U'\u00F1'), 5);
  EXPECT_EQ(v.index_of(U'q'), -1);
  EXPECT_EQ(v.index_of(U'\u00E9'), -1);
}

TEST(Vocabulary, SameCharacterSetGivesSameMapping) {
  EXPECT_EQ(Vocabulary::from_text(U"cab").symbols(), Vocabulary::from_text(U"bca").symbols());
}

TEST(Vocabulary, RejectsUnsortedOrDuplicateSymbols) {
  EXPECT_THROW(Vocabulary({U'b', U'a'}), Error);
  EXPECT_THROW(Vocabulary({U'a', U'a'}), Error);
  EXPECT_THROW(Vocabulary({0xD800}), Error);
}

TEST(Vocabulary, EncodeNamesTheUnknownCharacterAndPosition) {
  const Vocabulary v = Vocabulary::from_text(U"abc");
  EXPECT_EQ(v.encode(U"cab", "x"), std::vector<int32_t>({2, 0, 1}));
  try {
    v.encode(U"abé", "prime text");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "prime text: character U+00E9 'é' at position 2 is not in the model's vocabulary");
  }
}

TEST(Vocabulary, MunicipiosHas68SymbolsAnd1421WindowsOf25) {
  const std::string path = CHARNN_SOURCE_DIR "/../shared/data/municipios.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "corpus not found at " << path;
  const std::u32string text = read_text_file(path);
  EXPECT_EQ(text.size(), 35547u);
  EXPECT_EQ(Vocabulary::from_text(text).size(), 68);
  EXPECT_EQ(count_windows(static_cast<int64_t>(text.size()), 25), 1421);
}

}  // namespace
}  // namespace charnn
