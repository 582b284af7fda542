// Text and JSON forms of the novelty reports; see novelty_report.h.
#include "charnn/sample/novelty_report.h"

#include <algorithm>

#include <fmt/format.h>

#include "charnn/text/utf8.h"

namespace charnn {

namespace {

// "9 of 30 (30.0%)", or "0 of 0" when there is nothing to divide by.
std::string share(int64_t part, int64_t whole) {
  if (whole == 0) return "0 of 0";
  return fmt::format("{} of {} ({:.1f}%)", part, whole, 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

nlohmann::json ratio(int64_t part, int64_t whole) {
  if (whole == 0) return nullptr;
  return static_cast<double>(part) / static_cast<double>(whole);
}

// At most `limit` characters, marking a cut with "...".
std::string shorten(const std::u32string& s, size_t limit) {
  if (s.size() <= limit) return utf8_encode(s);
  return utf8_encode(std::u32string_view(s).substr(0, limit - 3)) + "...";
}

// Shows control characters (a newline inside a shared substring) as escapes.
std::string visible(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) {
    if (c == U'\n') {
      out += "\\n";
    } else if (c == U'\r') {
      out += "\\r";
    } else if (c == U'\t') {
      out += "\\t";
    } else {
      utf8_append(out, c);
    }
  }
  return out;
}

struct RunSummary {
  int median = 0;
  int max = 0;
  int64_t at_most_four = 0;  // sentences whose longest run is 4 words or fewer
};

RunSummary summarize_runs(const ProseReport& r) {
  RunSummary s;
  if (r.sentences.empty()) return s;
  std::vector<int> runs;
  for (const SentenceOverlap& o : r.sentences) {
    runs.push_back(o.longest_run);
    if (o.longest_run <= 4) ++s.at_most_four;
  }
  std::sort(runs.begin(), runs.end());
  s.median = runs[(runs.size() - 1) / 2];  // the lower median: an actual sentence's value
  s.max = runs.back();
  return s;
}

}  // namespace

std::string format_items_report(const ItemsReport& r, const std::string& training_name) {
  std::string out = fmt::format("novelty of {} items against {}\n", r.items, training_name);
  out += fmt::format("  in the training text (whole lines): {}\n", share(r.in_training, r.items));
  out += fmt::format("  duplicates of an earlier item:      {}\n", share(r.duplicates, r.items));
  const int64_t distinct = r.items - r.duplicates;
  const int64_t new_distinct = distinct - static_cast<int64_t>(r.copied.size());
  out += fmt::format("  new and distinct:                   {}\n", share(new_distinct, r.items));
  if (r.cut_at_max_length >= 0) {
    out += fmt::format("  cut off at --max-len:               {}\n", share(r.cut_at_max_length, r.items));
  }
  if (!r.copied.empty()) {
    std::string list;
    for (const std::u32string& item : r.copied) list += (list.empty() ? "" : "; ") + utf8_encode(item);
    out += fmt::format("  copied: {}\n", list);
  }
  return out;
}

nlohmann::json items_report_json(const ItemsReport& r, const std::string& training_name) {
  nlohmann::json copied = nlohmann::json::array();
  for (const std::u32string& item : r.copied) copied.push_back(utf8_encode(item));
  return {{"kind", "items"},
          {"training_text", training_name},
          {"items", r.items},
          {"in_training", r.in_training},
          {"in_training_share", ratio(r.in_training, r.items)},
          {"duplicates", r.duplicates},
          {"duplicate_share", ratio(r.duplicates, r.items)},
          {"cut_at_max_length", r.cut_at_max_length >= 0 ? nlohmann::json(r.cut_at_max_length) : nullptr},
          {"copied", copied}};
}

std::string format_prose_report(const ProseReport& r, const std::string& training_name) {
  std::string out = fmt::format("novelty of {} characters ({} sentences) against {}\n", r.characters,
                                r.sentences.size(), training_name);
  out += fmt::format("  longest substring shared with the training text: {} characters\n", r.longest_shared.size());
  if (!r.longest_shared.empty()) out += fmt::format("    \"{}\"\n", visible(r.longest_shared));
  out += fmt::format("  {}-grams found in the training text: {}\n", r.ngram, share(r.ngrams_in_training, r.ngrams));
  if (r.sentences.empty()) return out;
  const RunSummary s = summarize_runs(r);
  out += fmt::format("  longest run of consecutive training-text words per sentence: median {}, max {}\n", s.median,
                     s.max);
  out += fmt::format("  sentences whose longest run is 4 words or fewer: {}\n",
                     share(s.at_most_four, static_cast<int64_t>(r.sentences.size())));
  out += "  run/words  sentence, then its longest shared run\n";
  for (const SentenceOverlap& o : r.sentences) {
    out += fmt::format("  {:>4}/{:<4}  {}\n", o.longest_run, o.words, shorten(o.sentence, 70));
    if (o.longest_run > 0) out += fmt::format("             = \"{}\"\n", shorten(o.run, 66));
  }
  return out;
}

nlohmann::json prose_report_json(const ProseReport& r, const std::string& training_name) {
  nlohmann::json sentences = nlohmann::json::array();
  for (const SentenceOverlap& o : r.sentences) {
    sentences.push_back({{"sentence", utf8_encode(o.sentence)},
                         {"words", o.words},
                         {"longest_run", o.longest_run},
                         {"run", utf8_encode(o.run)}});
  }
  const RunSummary s = summarize_runs(r);
  return {{"kind", "prose"},
          {"training_text", training_name},
          {"characters", r.characters},
          {"longest_shared_length", r.longest_shared.size()},
          {"longest_shared", utf8_encode(r.longest_shared)},
          {"ngram", r.ngram},
          {"ngrams", r.ngrams},
          {"ngrams_in_training", r.ngrams_in_training},
          {"ngram_share", ratio(r.ngrams_in_training, r.ngrams)},
          {"longest_run_median", r.sentences.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.median)},
          {"longest_run_max", r.sentences.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.max)},
          {"sentences_with_run_at_most_4", s.at_most_four},
          {"sentences", sentences}};
}

}  // namespace charnn
