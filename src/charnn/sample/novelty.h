// How new generated text is, measured against the training text.
//
// Items (one per line, as --items prints them): the share that are a whole
// line of the training text, verbatim, and the share that repeat an earlier
// item. Prose: the longest substring shared with the training text, the share
// of the generated n-grams (20 characters by default) found in it, and for each
// generated sentence the longest run of consecutive words it shares with it.
// Words are compared ignoring case (ASCII and Latin-1 letters) and the
// punctuation between them, so "the king said," matches "The king said".
//
// This file computes the reports; novelty_report.h prints them. It does not
// find or verify the training text: the caller hands it over.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "charnn/sample/suffix_automaton.h"

namespace charnn {

// The distinct lines of a text: split at '\n', nothing else removed (a CRLF
// text keeps its '\r'); the empty piece after a final '\n' is not a line.
class TrainingLines {
 public:
  explicit TrainingLines(std::u32string_view text);
  bool contains(std::u32string_view line) const { return lines_.count(std::u32string(line)) > 0; }
  size_t size() const { return lines_.size(); }

 private:
  std::unordered_set<std::u32string> lines_;
};

struct ItemsReport {
  int64_t items = 0;
  int64_t in_training = 0;             // items that are a line of the training text (each occurrence counts)
  int64_t duplicates = 0;              // items equal to an earlier item
  int64_t cut_at_max_length = -1;      // items that hit --max-len; -1 when unknown (a file of items)
  std::vector<std::u32string> copied;  // the distinct items found in the training text, first seen first
};

ItemsReport items_report(const std::vector<std::u32string>& items, const TrainingLines& lines);

struct SentenceOverlap {
  std::u32string sentence;  // whitespace runs shown as one space
  int words = 0;
  int longest_run = 0;  // most consecutive words also consecutive in the training text
  std::u32string run;   // those words, folded, one space apart
};

struct ProseReport {
  int64_t characters = 0;
  std::u32string longest_shared;  // the first longest substring also in the training text
  int ngram = 20;
  int64_t ngrams = 0;  // n-grams of the generated text: characters - n + 1, at least 0
  int64_t ngrams_in_training = 0;
  std::vector<SentenceOverlap> sentences;  // those with at least one word
};

// The training text indexed once for any number of prose reports.
class ProseIndex {
 public:
  explicit ProseIndex(std::u32string_view training_text);
  ProseReport report(std::u32string_view generated, int ngram = 20) const;

 private:
  int longest_word_run(const std::vector<std::u32string>& words, size_t& start) const;

  SuffixAutomaton characters_;  // the training text as it is
  SuffixAutomaton words_;       // " w1 w2 ... wn ": its words, folded, each between spaces
};

// The words of a text, folded (see above), in order.
std::vector<std::u32string> split_words(std::u32string_view text);
// Sentences end after '.', '!', '?' or U+2026 (with any closing quotes or
// brackets) before whitespace or the end, and at a blank line; a newline alone
// is a space. The text after the last end is a sentence too. Each view is trimmed.
std::vector<std::u32string_view> split_sentences(std::u32string_view text);

}  // namespace charnn
