// Item and prose novelty against the training text; see novelty.h.
#include "charnn/sample/novelty.h"

#include <algorithm>

namespace charnn {

namespace {

bool is_space(char32_t c) {
  return c == U' ' || c == U'\n' || c == U'\r' || c == U'\t' || c == U'\f' || c == U'\v' || c == 0xA0 || c == 0x3000 ||
         (c >= 0x2000 && c <= 0x200B);
}

// Letters and digits: ASCII alphanumerics and every code point above Latin-1's
// symbols except the punctuation blocks a prose text is likely to hold.
bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
  if (c < 0xC0) return false;                    // Latin-1 symbols: ¡ « » ¿ § and the like
  if (c == 0xD7 || c == 0xF7) return false;      // × ÷
  if (c >= 0x2000 && c <= 0x206F) return false;  // dashes, quotes, ellipsis, spaces
  if (c >= 0x3000 && c <= 0x303F) return false;  // CJK punctuation
  return c != 0xFEFF;
}

bool is_apostrophe(char32_t c) { return c == U'\'' || c == 0x2019; }

char32_t fold(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;  // À..Þ to à..þ
  if (is_apostrophe(c)) return U'\'';
  return c;
}

// Calls emit(begin, end) for each word: a run of word characters, with an
// apostrophe between two of them ("don't", "king's") kept inside the word.
template <class Emit>
void for_each_word(std::u32string_view text, Emit&& emit) {
  size_t i = 0;
  while (i < text.size()) {
    if (!is_word_char(text[i])) {
      ++i;
      continue;
    }
    const size_t begin = i;
    while (i < text.size() &&
           (is_word_char(text[i]) || (is_apostrophe(text[i]) && i + 1 < text.size() && is_word_char(text[i + 1])))) {
      ++i;
    }
    emit(begin, i);
  }
}

bool is_sentence_end(char32_t c) { return c == U'.' || c == U'!' || c == U'?' || c == 0x2026; }
bool is_closer(char32_t c) {
  return c == U'\'' || c == U'"' || c == U')' || c == U']' || c == 0x2019 || c == 0x201D || c == 0xBB;
}

std::u32string_view trim(std::u32string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::u32string collapse_spaces(std::u32string_view s) {
  std::u32string out;
  for (char32_t c : s) {
    if (!is_space(c)) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != U' ') {
      out.push_back(U' ');
    }
  }
  return out;
}

// " w1 w2 ... wn ": the folded words, each with a space on both sides, so a
// run of whole words is a substring that starts and ends with a space.
std::u32string word_text(std::u32string_view text) {
  std::u32string out(1, U' ');
  for_each_word(text, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) out.push_back(fold(text[i]));
    out.push_back(U' ');
  });
  return out;
}

}  // namespace

TrainingLines::TrainingLines(std::u32string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = std::min(text.find(U'\n', begin), text.size());
    lines_.emplace(text.substr(begin, end - begin));
    begin = end + 1;
  }
}

ItemsReport items_report(const std::vector<std::u32string>& items, const TrainingLines& lines) {
  ItemsReport r;
  r.items = static_cast<int64_t>(items.size());
  std::unordered_set<std::u32string> seen, copied;
  for (const std::u32string& item : items) {
    if (!seen.insert(item).second) ++r.duplicates;
    if (lines.contains(item)) {
      ++r.in_training;
      if (copied.insert(item).second) r.copied.push_back(item);
    }
  }
  return r;
}

std::vector<std::u32string> split_words(std::u32string_view text) {
  std::vector<std::u32string> words;
  for_each_word(text, [&](size_t begin, size_t end) {
    std::u32string word;
    for (size_t i = begin; i < end; ++i) word.push_back(fold(text[i]));
    words.push_back(std::move(word));
  });
  return words;
}

std::vector<std::u32string_view> split_sentences(std::u32string_view text) {
  std::vector<std::u32string_view> sentences;
  size_t begin = 0, i = 0;
  auto close = [&](size_t end) {
    const std::u32string_view s = trim(text.substr(begin, end - begin));
    if (!s.empty()) sentences.push_back(s);
    begin = end;
  };
  while (i < text.size()) {
    if (is_sentence_end(text[i])) {
      size_t j = i + 1;
      while (j < text.size() && (is_sentence_end(text[j]) || is_closer(text[j]))) ++j;
      if (j == text.size() || is_space(text[j])) close(j);
      i = j;
    } else if (text[i] == U'\n') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != U'\n' && is_space(text[j])) ++j;
      if (j < text.size() && text[j] == U'\n') close(i);  // a blank line ends a paragraph
      i = j;
    } else {
      ++i;
    }
  }
  close(text.size());
  return sentences;
}

ProseIndex::ProseIndex(std::u32string_view training_text)
    : characters_(training_text), words_(word_text(training_text)) {}

int ProseIndex::longest_word_run(const std::vector<std::u32string>& words, size_t& start) const {
  int best = 0;
  const int32_t after_space = words_.next(SuffixAutomaton::kRoot, U' ');
  for (size_t j = 0; j < words.size() && after_space != SuffixAutomaton::kNone; ++j) {
    if (static_cast<int>(words.size() - j) <= best) break;  // no longer run can start here
    int32_t state = after_space;
    int run = 0;
    for (size_t w = j; w < words.size(); ++w) {
      for (char32_t c : words[w]) {
        state = words_.next(state, c);
        if (state == SuffixAutomaton::kNone) break;
      }
      if (state != SuffixAutomaton::kNone) state = words_.next(state, U' ');  // the word ends there too
      if (state == SuffixAutomaton::kNone) break;
      ++run;
    }
    if (run > best) {
      best = run;
      start = j;
    }
  }
  return best;
}

ProseReport ProseIndex::report(std::u32string_view generated, int ngram) const {
  ProseReport r;
  r.characters = static_cast<int64_t>(generated.size());
  r.ngram = ngram;
  r.ngrams = std::max<int64_t>(0, r.characters - ngram + 1);
  SuffixAutomaton::Match match;
  int64_t longest = 0, longest_end = 0;
  for (size_t i = 0; i < generated.size(); ++i) {
    characters_.extend(match, generated[i]);
    if (match.length > longest) {
      longest = match.length;
      longest_end = static_cast<int64_t>(i) + 1;
    }
    // The n-gram ending here is in the training text iff the match reaches back n characters.
    if (static_cast<int64_t>(i) + 1 >= ngram && match.length >= ngram) ++r.ngrams_in_training;
  }
  r.longest_shared =
      std::u32string(generated.substr(static_cast<size_t>(longest_end - longest), static_cast<size_t>(longest)));

  for (std::u32string_view sentence : split_sentences(generated)) {
    const std::vector<std::u32string> words = split_words(sentence);
    if (words.empty()) continue;
    SentenceOverlap s;
    s.sentence = collapse_spaces(sentence);
    s.words = static_cast<int>(words.size());
    size_t start = 0;
    s.longest_run = longest_word_run(words, start);
    for (int w = 0; w < s.longest_run; ++w) {
      if (w > 0) s.run.push_back(U' ');
      s.run += words[start + static_cast<size_t>(w)];
    }
    r.sentences.push_back(std::move(s));
  }
  return r;
}

}  // namespace charnn
