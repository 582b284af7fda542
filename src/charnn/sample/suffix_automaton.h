// A suffix automaton over a sequence of code points: the smallest automaton
// that accepts exactly the substrings of the text. Built in O(n) states (at
// most 2n) and transitions (at most 3n), it answers "does this string occur in
// the text" and, walking a second text once, "how long is the longest suffix of
// what has been read so far that occurs in the text" at every position, which
// gives the longest shared substring and every shared n-gram in one pass.
//
// Transitions are kept per state in a singly linked list in one array: almost
// every state has one or two, so a list is both smaller and faster than a map,
// and the whole automaton of a 0.5M-character text takes about 25 MB.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace charnn {

class SuffixAutomaton {
 public:
  explicit SuffixAutomaton(std::u32string_view text);

  static constexpr int32_t kRoot = 0;
  static constexpr int32_t kNone = -1;

  // The state reached from `state` on c, or kNone.
  int32_t next(int32_t state, char32_t c) const;
  bool contains(std::u32string_view s) const;

  // A position in a streaming match: the longest suffix of the characters fed
  // so far that occurs in the text has `length` characters and ends in `state`.
  struct Match {
    int32_t state = kRoot;
    int64_t length = 0;
  };
  // Feeds one more character, dropping characters from the front of the
  // match (along suffix links) until the extended match occurs in the text.
  void extend(Match& match, char32_t c) const;

  size_t state_count() const { return states_.size(); }

 private:
  struct State {
    int64_t length;      // the longest string this state stands for
    int32_t link;        // suffix link: the state of the longest proper suffix in another class
    int32_t first_edge;  // head of this state's transition list, or kNone
  };
  struct Edge {
    char32_t symbol;
    int32_t target;
    int32_t next_edge;  // kNone ends the list
  };

  void append(char32_t c);
  void add_edge(int32_t from, char32_t c, int32_t to);
  Edge* find_edge(int32_t from, char32_t c);

  std::vector<State> states_;
  std::vector<Edge> edges_;
  int32_t last_ = kRoot;  // the state of the whole text read so far
};

}  // namespace charnn
