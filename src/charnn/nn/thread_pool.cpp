// The compute thread pool; see thread_pool.h. Workers wait for a new
// generation number, spinning briefly first (the recurrent loops hand out work
// every fraction of a millisecond) and then sleeping on the atomic (futex), so
// an idle pool costs nothing between training steps.
#include "charnn/nn/thread_pool.h"

#include "charnn/nn/cpu_quota.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
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

// Runs tasks [0, tasks) in steps of `step` from `first` on this thread,
// flagged as a task.
void run_tasks(const TaskRef& task, int first, int tasks, int step) {
  struct Flag {
    bool before = running_a_task;
    Flag() { running_a_task = true; }
    ~Flag() { running_a_task = before; }
  } flag;
  for (int k = first; k < tasks; k += step) task(k);
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

class ThreadPool {
 public:
  explicit ThreadPool(int threads) : threads_(threads) {
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
      run_tasks(task, 0, tasks, 1);
      return;
    }
    task_ = &task;
    tasks_ = tasks;
    pending_.store(threads_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    run_tasks(task, 0, tasks, threads_);
    wait_until(pending_, [](int p) { return p == 0; });
  }

 private:
  void work(int id) {
    uint32_t seen = 0;
    for (;;) {
      wait_until(generation_, [seen](uint32_t g) { return g != seen; });
      seen = generation_.load(std::memory_order_acquire);
      if (stop_.load(std::memory_order_relaxed)) return;
      run_tasks(*task_, id, tasks_, threads_);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
  }

  const int threads_;
  std::vector<std::thread> workers_;
  std::mutex busy_;
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  const TaskRef* task_ = nullptr;
  int tasks_ = 0;
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
    run_tasks(task, 0, tasks, 1);
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
