// Data parallelism without MPI: shards cover a batch, dropout masks do not
// depend on how a batch is split, and two ranks played by threads (a Collective
// over shared memory) train like one process. Runs in every build;
// mpi_test.cpp drives the real mpirun.
#include <barrier>
#include <cmath>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "charnn/nn/blas.h"
#include "charnn/train/collective.h"
#include "charnn/train/trainer.h"
#include "test_support.h"

namespace charnn {
namespace {

// Ranks as threads of this process: each sum is taken by rank 0 in rank order
// and copied to all, as MPI hands every rank the same sums.
class ThreadRanks {
 public:
  explicit ThreadRanks(int size) : size_(size), barrier_(size), slots_(static_cast<size_t>(size)) {}

  class Rank final : public Collective {
   public:
    Rank(ThreadRanks& ranks, int rank) : ranks_(ranks), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return ranks_.size_; }
    void allreduce_sum(float* data, size_t count) override { ranks_.sum(rank_, data, count, ranks_.float_sum_); }
    void allreduce_sum(double* data, size_t count) override { ranks_.sum(rank_, data, count, ranks_.double_sum_); }
    void broadcast(std::string& bytes) override {
      if (rank_ == 0) ranks_.bytes_ = bytes;
      ranks_.barrier_.arrive_and_wait();
      if (rank_ != 0) bytes = ranks_.bytes_;
      ranks_.barrier_.arrive_and_wait();
    }
    [[noreturn]] void abort(int) override { std::abort(); }

   private:
    ThreadRanks& ranks_;
    int rank_;
  };

 private:
  template <class Real>
  void sum(int rank, Real* data, size_t count, std::vector<Real>& total) {
    slots_[static_cast<size_t>(rank)] = data;
    barrier_.arrive_and_wait();
    if (rank == 0) {
      total.assign(data, data + count);
      for (size_t r = 1; r < slots_.size(); ++r) {
        const Real* other = static_cast<const Real*>(slots_[r]);
        for (size_t i = 0; i < count; ++i) total[i] += other[i];
      }
    }
    barrier_.arrive_and_wait();
    std::copy(total.begin(), total.end(), data);
    barrier_.arrive_and_wait();
  }

  int size_;
  std::barrier<> barrier_;
  std::vector<void*> slots_;
  std::vector<float> float_sum_;
  std::vector<double> double_sum_;
  std::string bytes_;
};

TEST(DataParallel, ShardsSplitABatchIntoContiguousNearlyEqualShares) {
  for (size_t n = 0; n <= 20; ++n) {
    for (int size = 1; size <= 5; ++size) {
      size_t next = 0, smallest = n, largest = 0;
      for (int rank = 0; rank < size; ++rank) {
        const Shard shard = shard_of(n, rank, size);
        EXPECT_EQ(shard.first, next) << "n " << n << ", rank " << rank << " of " << size;
        next = shard.first + shard.count;
        smallest = std::min(smallest, shard.count);
        largest = std::max(largest, shard.count);
      }
      EXPECT_EQ(next, n) << "shares of " << n << " over " << size << " ranks should cover it";
      EXPECT_LE(largest - smallest, 1u) << "n " << n << " over " << size << " ranks";
    }
  }
}

TEST(DataParallel, AWindowsDropoutMaskDoesNotDependOnTheRestOfItsBatch) {
  const int T = 5, H = 7, B = 6, first = 3, part = 2;
  ModelConfig config = testing::tiny_config(11, 2, H, 0.3f);
  config.dropout[1] = 0.2f;
  TrainingWorkspace whole(config, T, B), share(config, T, part);
  fill_dropout_masks(whole, config, 42, 100, T, B);
  fill_dropout_masks(share, config, 42, 100 + first, T, part);  // windows 3 and 4 of the batch
  for (int k = 0; k < 2; ++k) {
    for (int t = 0; t < T; ++t) {
      for (int b = 0; b < part; ++b) {
        for (int h = 0; h < H; ++h) {
          const float expected = whole.dropout_mask(k)[(static_cast<size_t>(t) * B + first + b) * H + h];
          const float actual = share.dropout_mask(k)[(static_cast<size_t>(t) * part + b) * H + h];
          ASSERT_EQ(actual, expected) << "layer " << k << ", t " << t << ", window " << first + b << ", unit " << h;
        }
      }
    }
  }
}

const std::u32string kCorpus = [] {
  std::u32string text;
  const char32_t* lines[] = {U"the cat sat on the mat\n", U"a dog ran to the log\n", U"el niño comió piña\n"};
  for (int i = 0; i < 40; ++i) text += lines[i % 3];
  return text;
}();

struct RankRun {
  std::vector<double> losses;  // train and validation, epoch by epoch
  std::vector<float> params;
};

RankRun train_as(const std::string& out, Collective* collective) {
  const Vocabulary vocabulary = Vocabulary::from_text(kCorpus);
  TrainConfig train;
  train.seq_length = 16;
  train.batch_size = 7;  // shares of 3 and 4
  train.epochs = 4;
  train.validation_fraction = 0.1;
  const ModelConfig model = testing::tiny_config(vocabulary.size(), 2, 24, 0.2f);
  TrainerOptions options;
  options.collective = collective;
  Trainer trainer(train, model, vocabulary, vocabulary.encode(kCorpus, "corpus"), out, options);
  trainer.run();
  RankRun run{{}, trainer.model().params};
  for (const EpochRecord& e : trainer.progress().history) {
    run.losses.push_back(e.train_loss);
    run.losses.push_back(e.validation_loss);
  }
  return run;
}

TEST(DataParallel, TwoRanksAsThreadsTrainLikeOneProcessAndOnlyRankZeroWrites) {
  const int previous = blas_threads();
  blas_set_threads(1);
  testing::TempDir dir;
  const RankRun alone = train_as(dir.file("alone"), nullptr);
  ThreadRanks ranks(2);
  ThreadRanks::Rank rank0(ranks, 0), rank1(ranks, 1);
  RankRun run0, run1;
  std::thread second([&] { run1 = train_as(dir.file("rank1"), &rank1); });
  run0 = train_as(dir.file("rank0"), &rank0);
  second.join();
  blas_set_threads(previous);

  EXPECT_TRUE(std::filesystem::exists(dir.file("rank0/last.safetensors")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("rank1"))) << "a rank other than 0 wrote files";
  EXPECT_EQ(run0.params, run1.params) << "the ranks' weights drifted apart";
  ASSERT_EQ(run0.losses.size(), alone.losses.size());
  for (size_t i = 0; i < alone.losses.size(); ++i) {
    // Sums over shares round differently from one sum over the batch; see the
    // tolerance's reasoning in mpi_test.cpp (measured there: about 1e-8).
    EXPECT_NEAR(run0.losses[i], alone.losses[i], 1e-6 * alone.losses[i]) << "epoch " << i / 2 + 1;
  }
}

}  // namespace
}  // namespace charnn
