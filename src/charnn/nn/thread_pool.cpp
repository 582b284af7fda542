// The compute thread pool; see thread_pool.h. Workers wait for a new
// generation number, spinning briefly first (the recurrent loops hand out work
// every fraction of a millisecond) and then sleeping on the atomic (futex), so
// an idle pool costs nothing between training steps.
#include "charnn/nn/thread_pool.h"

#include "charnn/nn/cpu_quota.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CHARNN_SPIN_PAUSE() _mm_pause()
#else
#define CHARNN_SPIN_PAUSE() ((void)0)
#endif

namespace charnn {

namespace {

// About 0.1 ms of pause instructions before a waiter sleeps.
constexpr int kSpinsBeforeSleep = 2000;

// Whether this thread is running a task of the pool: a parallel_run made from
// a task then runs its tasks inline, without touching the pool's locks (the
// caller already holds them).
thread_local bool running_a_task = false;

// Marks this thread as running tasks of the pool while it lives.
class RunningTasks {
 public:
  RunningTasks() : before_(running_a_task) { running_a_task = true; }
  ~RunningTasks() { running_a_task = before_; }
  RunningTasks(const RunningTasks&) = delete;
  RunningTasks& operator=(const RunningTasks&) = delete;

 private:
  bool before_;
};

// Runs tasks [0, tasks) one after another on this thread; as on the pool, a
// throwing task does not stop the others, and the first exception is
// rethrown at the end.
void run_inline(const TaskRef& task, int tasks) {
  RunningTasks flag;
  std::exception_ptr error;
  for (int k = 0; k < tasks; ++k) {
    try {
      task(k);
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

template <class T, class Done>
void wait_until(const std::atomic<T>& value, Done done) {
  for (int i = 0; i < kSpinsBeforeSleep; ++i) {
    if (done(value.load(std::memory_order_acquire))) return;
    CHARNN_SPIN_PAUSE();
  }
  for (T seen = value.load(std::memory_order_acquire); !done(seen); seen = value.load(std::memory_order_acquire)) {
    value.wait(seen, std::memory_order_acquire);
  }
}

// Tasks are claimed from a mask of those not yet taken. Thread i (the caller
// is 0) first takes all of its own, k = i, i + threads, ..., so a thread
// keeps the same blocks, and their data in its cache, from call to call;
// then it takes any left, so a thread the OS has not woken (another process
// on the same cores) holds up nobody: the others do its share. The caller
// returns when every task is done, without waiting for a late thread to
// wake. Tasks are independent, so who runs which changes no result. A task
// that throws still counts as done; the caller rethrows the first exception
// once the round is over, so no thread is left running a task of a call that
// has returned.
class ThreadPool {
 public:
  static constexpr int kClaimable = 64;  // tasks in one claim mask; more run in rounds

  explicit ThreadPool(int threads) : threads_(threads) {
    for (int i = 0; i < threads; ++i) {
      uint64_t own = 0;
      for (int k = i; k < kClaimable; k += threads) own |= uint64_t{1} << k;
      own_.push_back(own);
    }
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
  }
  ~ThreadPool() {
    stop_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (std::thread& w : workers_) w.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }

  void run(int tasks, TaskRef task) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock() || threads_ == 1 || tasks <= 1) {
      run_inline(task, tasks);
      return;
    }
    for (int base = 0; base < tasks; base += kClaimable) {
      auto offset = [&](int k) { task(base + k); };
      run_round(std::min(kClaimable, tasks - base), TaskRef(offset));
    }
  }

 private:
  void run_round(int tasks, const TaskRef& task) {
    task_.store(&task, std::memory_order_relaxed);
    remaining_.store(tasks, std::memory_order_relaxed);
    // Publishes task_ and remaining_ to whoever claims a task.
    unclaimed_.store(tasks == kClaimable ? ~uint64_t{0} : (uint64_t{1} << tasks) - 1, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    work_through(0);
    wait_until(remaining_, [](int r) { return r == 0; });
    std::exception_ptr error;
    {
      std::lock_guard<std::mutex> lock(error_mutex_);
      std::swap(error, error_);
    }
    if (error) std::rethrow_exception(error);
  }

  // Claims this thread's own tasks, all at once (a thread that is running
  // keeps its blocks), runs them, then claims and runs any left one at a
  // time: the tasks of a thread that has not woken yet.
  void work_through(int id) {
    RunningTasks flag;
    const uint64_t own = own_[static_cast<size_t>(id)];
    run_claimed(unclaimed_.fetch_and(~own, std::memory_order_acq_rel) & own);
    for (uint64_t left = unclaimed_.load(std::memory_order_acquire); left != 0;
         left = unclaimed_.load(std::memory_order_acquire)) {
      const uint64_t lowest = left & (~left + 1);
      run_claimed(unclaimed_.fetch_and(~lowest, std::memory_order_acq_rel) & lowest);
    }
  }

  // Runs the tasks of `claimed`, bits this thread took from unclaimed_: the
  // claim synchronises with run_round's publication of task_, and the round
  // cannot end (nor task_ change) before these are done.
  void run_claimed(uint64_t claimed) {
    for (; claimed != 0; claimed &= claimed - 1) {
      try {
        (*task_.load(std::memory_order_relaxed))(std::countr_zero(claimed));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) remaining_.notify_one();
    }
  }

  void work(int id) {
    uint32_t seen = 0;
    for (;;) {
      wait_until(generation_, [seen](uint32_t g) { return g != seen; });
      seen = generation_.load(std::memory_order_acquire);
      if (stop_.load(std::memory_order_relaxed)) return;
      work_through(id);
    }
  }

  const int threads_;
  std::vector<uint64_t> own_;  // per thread, the tasks it takes first
  std::vector<std::thread> workers_;
  std::mutex busy_;
  std::atomic<uint32_t> generation_{0};
  std::atomic<uint64_t> unclaimed_{0};
  std::atomic<int> remaining_{0};
  std::atomic<bool> stop_{false};
  std::atomic<const TaskRef*> task_{nullptr};
  std::mutex error_mutex_;
  std::exception_ptr error_;  // the first a task of this round threw
};

// The CPUs this process may run on: a taskset, a container's cpuset or an MPI
// binding narrows them, where hardware_concurrency() counts the whole machine.
int hardware_threads() {
#if defined(__linux__)
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) return std::max(1, CPU_COUNT(&allowed));
#endif
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int usable_threads(int threads) { return std::clamp(threads, 1, work_blocks()); }

std::mutex config_mutex;
std::unique_ptr<ThreadPool> pool;

ThreadPool& the_pool() {
  std::lock_guard<std::mutex> lock(config_mutex);
  if (!pool) pool = std::make_unique<ThreadPool>(usable_threads(cpus_available()));
  return *pool;
}

}  // namespace

int cpus_available() {
  static const int cpus = [] {
    const std::optional<int> quota = cgroup_cpu_quota();
    return quota ? std::clamp(*quota, 1, hardware_threads()) : hardware_threads();
  }();
  return cpus;
}

std::optional<int> work_blocks_setting(const char* value) {
  if (value == nullptr) return std::nullopt;
  char* end = nullptr;
  const long blocks = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || blocks < 1 || blocks > 64) return std::nullopt;
  return static_cast<int>(blocks);
}

int work_blocks() {
  static const int blocks = [] {
    // A malformed value is ignored rather than fatal (it only tunes the cut); the CLI warns.
    if (const std::optional<int> forced = work_blocks_setting(std::getenv("CHARNN_WORK_BLOCKS"))) return *forced;
    return std::clamp(hardware_threads(), 4, 16);
  }();
  return blocks;
}

void parallel_run(int tasks, TaskRef task) {
  if (running_a_task) {
    run_inline(task, tasks);
    return;
  }
  the_pool().run(tasks, task);
}

void parallel_set_threads(int threads) {
  threads = usable_threads(threads);
  std::lock_guard<std::mutex> lock(config_mutex);
  if (pool && pool->threads() == threads) return;
  pool.reset();
  pool = std::make_unique<ThreadPool>(threads);
}

int parallel_threads() { return the_pool().threads(); }

}  // namespace charnn
