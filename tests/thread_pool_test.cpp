// The pool runs every task of every call exactly once, whoever takes it:
// many calls of tiny tasks (so the caller often finishes a call before a
// worker wakes, and late workers meet the next call), task counts around the
// 64 of one claim mask, nested calls and throwing tasks, on 1 to 4 threads.
#include <atomic>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "charnn/nn/blas.h"
#include "charnn/nn/thread_pool.h"

namespace charnn {
namespace {

TEST(ThreadPool, EveryTaskOfEveryCallRunsExactlyOnce) {
  const int previous = blas_threads();
  for (const int threads : {1, 2, 3, 4}) {
    blas_set_threads(threads);
    std::vector<std::atomic<int>> runs(200);
    for (int call = 0; call < 3000; ++call) {
      const int tasks = 1 + call % 140;  // 1 to 140: one, two and three claim rounds
      for (int k = 0; k < tasks; ++k) runs[static_cast<size_t>(k)].store(0, std::memory_order_relaxed);
      parallel_for(tasks, [&](int k) { runs[static_cast<size_t>(k)].fetch_add(1, std::memory_order_relaxed); });
      for (int k = 0; k < tasks; ++k) {
        ASSERT_EQ(runs[static_cast<size_t>(k)].load(std::memory_order_relaxed), 1)
            << threads << " threads, call " << call << " of " << tasks << " tasks, task " << k;
      }
    }
  }
  blas_set_threads(previous);
}

// A throwing task: the others still run, the caller gets the exception once
// they are done, and the pool serves the next call as before.
TEST(ThreadPool, AThrowingTaskReachesTheCallerAfterTheOthersRan) {
  const int previous = blas_threads();
  for (const int threads : {1, 2, 4}) {
    blas_set_threads(threads);
    for (const int thrower : {0, 1, 5}) {
      std::vector<std::atomic<int>> runs(8);
      EXPECT_THROW(parallel_for(8,
                                [&](int k) {
                                  runs[static_cast<size_t>(k)].fetch_add(1);
                                  if (k == thrower) throw std::runtime_error("task failed");
                                }),
                   std::runtime_error)
          << threads << " threads";
      for (size_t k = 0; k < runs.size(); ++k) EXPECT_EQ(runs[k].load(), 1) << threads << " threads, task " << k;
      std::atomic<int> after{0};
      parallel_for(8, [&](int) { after.fetch_add(1); });
      EXPECT_EQ(after.load(), 8) << threads << " threads";
    }
  }
  blas_set_threads(previous);
}

TEST(ThreadPool, NestedCallsRunEveryInnerTaskOnce) {
  const int previous = blas_threads();
  blas_set_threads(4);
  for (int call = 0; call < 500; ++call) {
    std::vector<std::atomic<int>> runs(6 * 7);
    parallel_for(6, [&](int outer) {
      parallel_for(7, [&](int inner) { runs[static_cast<size_t>(outer * 7 + inner)].fetch_add(1); });
    });
    for (size_t i = 0; i < runs.size(); ++i) ASSERT_EQ(runs[i].load(), 1) << "call " << call << ", task " << i;
  }
  blas_set_threads(previous);
}

}  // namespace
}  // namespace charnn
