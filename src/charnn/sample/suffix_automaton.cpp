// Suffix automaton construction (the classic online algorithm) and matching; see suffix_automaton.h.
#include "charnn/sample/suffix_automaton.h"

#include <limits>

#include "charnn/error.h"

namespace charnn {

SuffixAutomaton::SuffixAutomaton(std::u32string_view text) {
  // 2n states and 3n edges bound the automaton; the int32 indices bound n.
  if (text.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max() / 3)) {
    throw Error("the training text is too long to index for the novelty report (over 700 million characters)");
  }
  states_.reserve(2 * text.size() + 1);
  edges_.reserve(3 * text.size());
  states_.push_back({0, kNone, kNone});
  for (char32_t c : text) append(c);
}

int32_t SuffixAutomaton::next(int32_t state, char32_t c) const {
  for (int32_t e = states_[static_cast<size_t>(state)].first_edge; e != kNone;
       e = edges_[static_cast<size_t>(e)].next_edge) {
    if (edges_[static_cast<size_t>(e)].symbol == c) return edges_[static_cast<size_t>(e)].target;
  }
  return kNone;
}

SuffixAutomaton::Edge* SuffixAutomaton::find_edge(int32_t from, char32_t c) {
  for (int32_t e = states_[static_cast<size_t>(from)].first_edge; e != kNone;
       e = edges_[static_cast<size_t>(e)].next_edge) {
    if (edges_[static_cast<size_t>(e)].symbol == c) return &edges_[static_cast<size_t>(e)];
  }
  return nullptr;
}

void SuffixAutomaton::add_edge(int32_t from, char32_t c, int32_t to) {
  State& s = states_[static_cast<size_t>(from)];
  edges_.push_back({c, to, s.first_edge});
  s.first_edge = static_cast<int32_t>(edges_.size() - 1);
}

bool SuffixAutomaton::contains(std::u32string_view s) const {
  int32_t state = kRoot;
  for (char32_t c : s) {
    state = next(state, c);
    if (state == kNone) return false;
  }
  return true;
}

void SuffixAutomaton::append(char32_t c) {
  const int32_t current = static_cast<int32_t>(states_.size());
  states_.push_back({states_[static_cast<size_t>(last_)].length + 1, kNone, kNone});
  int32_t p = last_;
  while (p != kNone && find_edge(p, c) == nullptr) {
    add_edge(p, c, current);
    p = states_[static_cast<size_t>(p)].link;
  }
  if (p == kNone) {
    states_[static_cast<size_t>(current)].link = kRoot;
  } else {
    const int32_t q = find_edge(p, c)->target;
    if (states_[static_cast<size_t>(p)].length + 1 == states_[static_cast<size_t>(q)].length) {
      states_[static_cast<size_t>(current)].link = q;
    } else {
      // q stands for strings longer than p's plus c: split off a clone that stands for the shorter ones.
      const int32_t clone = static_cast<int32_t>(states_.size());
      states_.push_back({states_[static_cast<size_t>(p)].length + 1, states_[static_cast<size_t>(q)].link, kNone});
      for (int32_t e = states_[static_cast<size_t>(q)].first_edge; e != kNone;
           e = edges_[static_cast<size_t>(e)].next_edge) {
        const Edge edge = edges_[static_cast<size_t>(e)];  // a copy: add_edge may grow edges_
        add_edge(clone, edge.symbol, edge.target);
      }
      for (Edge* edge = find_edge(p, c); edge != nullptr && edge->target == q; edge = find_edge(p, c)) {
        edge->target = clone;
        p = states_[static_cast<size_t>(p)].link;
        if (p == kNone) break;
      }
      states_[static_cast<size_t>(q)].link = clone;
      states_[static_cast<size_t>(current)].link = clone;
    }
  }
  last_ = current;
}

void SuffixAutomaton::extend(Match& match, char32_t c) const {
  while (true) {
    const int32_t to = next(match.state, c);
    if (to != kNone) {
      match.state = to;
      ++match.length;
      return;
    }
    if (match.state == kRoot) {
      match.length = 0;  // c does not occur in the text at all
      return;
    }
    match.state = states_[static_cast<size_t>(match.state)].link;
    match.length = states_[static_cast<size_t>(match.state)].length;
  }
}

}  // namespace charnn
