// UTF-8 text, fed in pieces (see for_each_utf8_piece), to a vocabulary and a
// TokenText in two passes, so that no array of code points is ever built:
// pass one validates the bytes and collects the set of code points (the
// vocabulary); pass two writes each character's index straight into the
// compact token buffer. Reading files and hashing them is the caller's job.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "charnn/text/token_text.h"
#include "charnn/text/vocabulary.h"

namespace charnn {

// Pass one.
class CodePointScan {
 public:
  CodePointScan();
  // Validates a piece that starts at byte first_byte of its source and records
  // its code points; throws Error "<source>: invalid UTF-8 at byte N".
  void add(std::string_view piece, uint64_t first_byte, std::string_view source_name);
  int64_t characters() const { return characters_; }
  // The distinct code points seen, sorted: the same as Vocabulary::from_text.
  Vocabulary vocabulary() const;

 private:
  std::vector<uint64_t> seen_;  // one bit per code point U+0000..U+10FFFF (136 KiB)
  int64_t characters_ = 0;
};

// Pass two: appends the vocabulary index of each character of a piece to
// tokens. Throws Error "<source>: invalid UTF-8 at byte N", or, for a
// character outside the vocabulary, "<source>: character X at position N is
// not in the model's vocabulary" (N counts characters from the start of the
// text, as Vocabulary::encode does).
void append_tokens(TokenText& tokens, std::string_view piece, uint64_t first_byte, const Vocabulary& vocabulary,
                   std::string_view source_name);

// The characters of a UTF-8 text, counted without decoding it: its bytes that
// are not continuation bytes. Exact for valid UTF-8; enough to reserve tokens.
int64_t count_utf8_characters(std::string_view bytes);

}  // namespace charnn
