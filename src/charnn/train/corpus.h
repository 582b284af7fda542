// Loading a text file as tokens, for train (new and resumed runs) and eval.
// The file is read twice in pieces and never held whole: pass one hashes it
// (the SHA-256 checkpoints record) and counts its characters, and for a new
// run also validates it and collects its vocabulary; pass two encodes it into
// a TokenText. Memory: one byte per character (V <= 256) plus a 1 MiB buffer.
#pragma once

#include <cstdint>
#include <string>

#include "charnn/text/token_text.h"
#include "charnn/text/vocabulary.h"

namespace charnn {

struct CorpusSummary {
  std::string sha256;      // of the file's bytes
  int64_t characters = 0;  // exact when the text is valid UTF-8
};

// Pass one without decoding: for a text to be encoded with a vocabulary it
// did not give (a checkpoint's), so a changed file can be refused by its hash
// before anything is decoded.
CorpusSummary summarize_corpus(const std::string& path);

// Pass two: the text encoded with `vocabulary`; errors name the file and the
// byte offset of invalid UTF-8 or the position of a character outside it.
TokenText encode_corpus(const std::string& path, const Vocabulary& vocabulary, int64_t characters);

struct Corpus {
  CorpusSummary summary;
  Vocabulary vocabulary;  // the text's own: its code points, sorted
  TokenText tokens;
};

// A new run's text: both passes, the vocabulary from the text itself.
Corpus load_corpus(const std::string& path);

}  // namespace charnn
