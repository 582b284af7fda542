// Text and item generation on top of InferenceState and Sampler; see generate.h.
#include "charnn/sample/generate.h"

#include <algorithm>
#include <deque>
#include <unordered_set>

#include "charnn/error.h"
#include "charnn/nn/inference.h"

namespace charnn {

void generate_text(const Model& model, const Vocabulary& vocabulary, Sampler& sampler, std::u32string_view prime,
                   int64_t length, const EmitFn& emit) {
  std::vector<int32_t> feed = vocabulary.encode(prime, "prime text");
  if (feed.empty()) {
    const int newline = vocabulary.index_of(U'\n');
    feed.push_back(newline >= 0 ? newline : static_cast<int32_t>(sampler.rng().below(vocabulary.size())));
  }
  InferenceState state(model, 1, sampler.options().precision);
  sampler.restart();
  const float* logits = nullptr;
  for (int32_t token : feed) logits = state.step(&token);
  for (int64_t i = 0; i < length; ++i) {
    int32_t next = sampler.sample(logits);
    emit(vocabulary.symbol(next));
    if (i + 1 < length) logits = state.step(&next);
  }
}

namespace {

// Where one stream is in its current item (its sampler is samplers[s]).
struct ItemStream {
  size_t fed = 0;       // tokens of the feed ('\n', then the prime) given to the model so far
  std::u32string text;  // the item so far, the prime included
};

// Acceptance of finished items in a fixed order: the first item of every
// stream (0, 1, ...), then the second of every stream, and so on. Taking them
// as they finish instead would favour short items, which finish first.
class ItemCollector {
 public:
  ItemCollector(const ItemRequest& request, size_t prime_length, int64_t budget, int streams)
      : request_(request), prime_length_(prime_length), budget_(budget), waiting_(static_cast<size_t>(streams)) {
    batch_.items.reserve(static_cast<size_t>(request.count));
  }

  bool done() const {
    return static_cast<int>(batch_.items.size()) >= request_.count || batch_.attempts >= budget_;
  }

  // Stream s finished an item: judge it and every item now next in line.
  void finish(int s, const std::u32string& item, bool cut) {
    waiting_[static_cast<size_t>(s)].push_back({item, cut});
    while (!done() && !waiting_[next_].empty()) {
      judge(waiting_[next_].front());
      waiting_[next_].pop_front();
      next_ = (next_ + 1) % waiting_.size();
    }
  }

  ItemBatch& batch() { return batch_; }

 private:
  void judge(const GeneratedItem& item) {
    ++batch_.attempts;
    // A newline straight after the prime is an empty line, not an item.
    if (item.text.size() == prime_length_) {
      ++batch_.rejected_empty;
    } else if (request_.novel != nullptr && request_.novel->contains(item.text)) {
      ++batch_.rejected_copies;
    } else if (request_.unique && !accepted_.insert(item.text).second) {
      ++batch_.rejected_duplicates;
    } else {
      batch_.items.push_back(item);
    }
  }

  const ItemRequest& request_;
  size_t prime_length_;
  int64_t budget_;
  std::vector<std::deque<GeneratedItem>> waiting_;  // per stream, finished and not yet judged
  size_t next_ = 0;                                 // the stream whose item is judged next
  ItemBatch batch_;
  std::unordered_set<std::u32string> accepted_;
};

}  // namespace

ItemBatch generate_items(const Model& model, const Vocabulary& vocabulary, const SamplingOptions& sampling,
                         std::u32string_view prime, const ItemRequest& request) {
  const int newline = vocabulary.index_of(U'\n');
  if (newline < 0) throw Error("--items needs a line-structured corpus, but the model's vocabulary has no newline");
  std::vector<int32_t> feed{newline};
  for (int32_t token : vocabulary.encode(prime, "prime text")) feed.push_back(token);
  const int64_t budget = request.max_attempts > 0 ? request.max_attempts : 100 * static_cast<int64_t>(request.count);
  ItemCollector collector(request, prime.size(), budget, kItemStreams);
  const size_t max_length = static_cast<size_t>(std::max(request.max_length, 0));

  const int S = kItemStreams;
  InferenceState state(model, S, sampling.precision);
  std::vector<ItemStream> streams;
  std::vector<Sampler> samplers;
  streams.reserve(S);
  samplers.reserve(S);
  for (int s = 0; s < S; ++s) {
    streams.push_back({1, std::u32string(prime)});
    streams.back().text.reserve(std::min<size_t>(std::max(max_length, prime.size()), 1024));  // grows past it if need be
    samplers.emplace_back(sampling, vocabulary.size(), static_cast<uint64_t>(s));
  }
  std::vector<int32_t> input(S, newline);  // every stream starts at a line start, from the zero state
  std::vector<uint8_t> wanted(S, 0);       // streams whose logits are drawn from this step
  std::vector<int32_t> drawn(S, 0);

  while (!collector.done()) {
    const float* logits = state.step(input.data());
    for (int s = 0; s < S; ++s) {
      const ItemStream& stream = streams[static_cast<size_t>(s)];
      wanted[static_cast<size_t>(s)] = stream.fed >= feed.size() && stream.text.size() < max_length ? 1 : 0;
    }
    sample_streams(samplers, logits, vocabulary.size(), wanted.data(), drawn.data());
    for (int s = 0; s < S && !collector.done(); ++s) {
      ItemStream& stream = streams[static_cast<size_t>(s)];
      if (stream.fed < feed.size()) {
        input[static_cast<size_t>(s)] = feed[stream.fed++];
        continue;
      }
      // The feed is in: these logits predict the item's next character.
      bool finished = true, cut = true;
      if (wanted[static_cast<size_t>(s)] != 0) {
        const int32_t token = drawn[static_cast<size_t>(s)];
        if (token == newline) {
          cut = false;
        } else {
          stream.text.push_back(vocabulary.symbol(token));
          finished = stream.text.size() >= max_length;
          input[static_cast<size_t>(s)] = token;
        }
      }
      if (!finished) continue;
      collector.finish(s, stream.text, cut);
      // Start the stream's next item from a fresh state and history.
      state.reset_stream(s);
      samplers[static_cast<size_t>(s)].restart();
      stream.text.assign(prime);
      stream.fed = 1;
      input[static_cast<size_t>(s)] = newline;
    }
  }
  ItemBatch& batch = collector.batch();
  for (const Sampler& sampler : samplers) batch.loop_guard_interventions += sampler.loop_guard_interventions();
  return std::move(batch);
}

}  // namespace charnn
