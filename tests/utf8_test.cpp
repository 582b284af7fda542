// Strict UTF-8: every valid width decodes, every malformed form is rejected
// with its byte offset, and encoding round-trips.
#include <gtest/gtest.h>

#include "charnn/error.h"
#include "charnn/text/utf8.h"

namespace charnn {
namespace {

std::string error_of(std::string_view bytes) {
  try {
    utf8_decode(bytes, "input.txt");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Utf8, DecodesOneToFourByteCodePoints) {
  const std::u32string text = utf8_decode("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "t");
  EXPECT_EQ(text, std::u32string({U'a', U'\u00E9', U'\u20AC', U'\U0001F600'}));
}

TEST(Utf8, KeepsByteOrderMarkAsACharacter) {
  EXPECT_EQ(utf8_decode("\xEF\xBB\xBFhi", "t"), std::u32string({0xFEFF, U'h', U'i'}));
}

TEST(Utf8, RejectsOverlongEncodings) {
  EXPECT_NE(error_of("\xC0\x80").find("overlong"), std::string::npos);
  EXPECT_NE(error_of("\xC1\xBF").find("overlong"), std::string::npos);
  EXPECT_NE(error_of("\xE0\x80\x80").find("overlong"), std::string::npos);
  EXPECT_NE(error_of("\xF0\x80\x80\x80").find("overlong"), std::string::npos);
}

TEST(Utf8, RejectsTruncatedSequencesAtTheirOffset) {
  EXPECT_EQ(error_of("abc\xE2\x82"), "input.txt: invalid UTF-8 at byte 3 (truncated sequence)");
  EXPECT_EQ(error_of("ab\xF0\x9F\x98x"), "input.txt: invalid UTF-8 at byte 2 (truncated sequence)");
}

TEST(Utf8, RejectsSurrogatesAndOutOfRangeCodePoints) {
  EXPECT_NE(error_of("\xED\xA0\x80").find("surrogate"), std::string::npos);
  EXPECT_NE(error_of("\xF4\x90\x80\x80").find("above U+10FFFF"), std::string::npos);
}

TEST(Utf8, RejectsStrayContinuationAndInvalidLeadBytes) {
  EXPECT_EQ(error_of("x\x80"), "input.txt: invalid UTF-8 at byte 1 (unexpected continuation byte)");
  EXPECT_EQ(error_of("\xFF"), "input.txt: invalid UTF-8 at byte 0 (invalid lead byte)");
}

TEST(Utf8, EncodeRoundTripsEveryWidth) {
  const std::u32string text = {U'\n', U'\u00F1', U'\u0800', U'\uFFFD', U'\U00010000', U'\U0010FFFF'};
  EXPECT_EQ(utf8_decode(utf8_encode(text), "t"), text);
}

TEST(Utf8, AcceptsEmptyInput) { EXPECT_TRUE(utf8_decode("", "t").empty()); }

}  // namespace
}  // namespace charnn
