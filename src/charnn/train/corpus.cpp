// Two-pass corpus loading; see corpus.h.
#include "charnn/train/corpus.h"

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/io/sha256.h"
#include "charnn/text/tokenize.h"
#include "charnn/text/utf8.h"

namespace charnn {

CorpusSummary summarize_corpus(const std::string& path) {
  Sha256 hash;
  CorpusSummary summary;
  for_each_utf8_piece(path, [&](std::string_view piece, uint64_t) {
    hash.update(piece);
    summary.characters += count_utf8_characters(piece);
  });
  summary.sha256 = hash.hex_digest();
  return summary;
}

TokenText encode_corpus(const std::string& path, const Vocabulary& vocabulary, int64_t characters) {
  TokenText tokens(vocabulary.size());
  tokens.reserve(static_cast<size_t>(characters));
  for_each_utf8_piece(path, [&](std::string_view piece, uint64_t first_byte) {
    append_tokens(tokens, piece, first_byte, vocabulary, path);
  });
  // The first pass counted the characters (and hashed them); a file rewritten
  // between the passes must not train under the first pass's hash.
  if (static_cast<int64_t>(tokens.size()) != characters) {
    throw Error(fmt::format("{}: changed while it was being read ({} characters, then {}); run again", path,
                            characters, tokens.size()));
  }
  return tokens;
}

Corpus load_corpus(const std::string& path) {
  Sha256 hash;
  CodePointScan scan;
  for_each_utf8_piece(path, [&](std::string_view piece, uint64_t first_byte) {
    hash.update(piece);
    scan.add(piece, first_byte, path);
  });
  Corpus corpus{{hash.hex_digest(), scan.characters()}, scan.vocabulary(), {}};
  corpus.tokens = encode_corpus(path, corpus.vocabulary, corpus.summary.characters);
  return corpus;
}

}  // namespace charnn
