// The process's compute threads: a small persistent pool that runs a fixed
// list of tasks and returns when all are done (fork-join). Kernels cut their
// work into a number of tasks that does not depend on the thread count, so a
// result is computed by the same code in the same order whatever the count:
// one thread runs the same tasks one after another. (A cut into wholly
// independent computations, such as batched sampling's blocks of streams, may
// follow the count: no sum spans two blocks.) This file knows nothing of
// LSTMs or the BLAS; blas.h sets the thread count.
#pragma once

#include <optional>

namespace charnn {

// A non-owning reference to a callable taking a task index, so handing a
// lambda to the pool allocates nothing.
class TaskRef {
 public:
  template <class F>
  TaskRef(F& f) : object_(&f), call_([](void* o, int k) { (*static_cast<F*>(o))(k); }) {}  // NOLINT: implicit
  void operator()(int k) const { call_(object_, k); }

 private:
  void* object_;
  void (*call_)(void*, int);
};

// Every parallel kernel cuts its work into at most this many blocks: the
// CPUs the process may run on (its affinity), at least 4 and at most 16, or
// CHARNN_WORK_BLOCKS (1 to 64) when set, fixed for the life of the process.
// It never follows the thread count, so results do not either; and every cut
// that depends on it splits independent sums (columns, rows, streams), so
// results do not depend on it either (tests run it at 4 and at 12). The
// pool holds at most this many threads: more would only spin at every
// hand-off.
int work_blocks();
// CHARNN_WORK_BLOCKS's value as work_blocks() reads it: a whole number from 1
// to 64, else nothing (and work_blocks() ignores it; the CLI says so).
std::optional<int> work_blocks_setting(const char* value);

// The CPUs this process may use: its affinity (a taskset, a container's
// cpuset, an MPI binding) capped by its cgroup's CPU quota (cpu_quota.h), at
// least 1. The pool runs this many threads unless told otherwise (at most
// work_blocks()): more threads than CPUs wait on each other at every hand-off.
int cpus_available();

// Runs task(k) for every k in [0, tasks), in rounds of 64; thread i takes
// k = i, i + threads, ... of a round (the calling thread is thread 0), and
// the tasks of a thread that has not woken yet go to whoever is free. Tasks
// must not depend on one another. If a task throws, the others of its round
// still run, and the first exception is rethrown to the caller.
// A call made while the pool is busy (from a task, or from a second thread)
// runs its tasks inline, one after another.
void parallel_run(int tasks, TaskRef task);

template <class F>
void parallel_for(int tasks, F&& task) {
  parallel_run(tasks, TaskRef(task));
}

// Threads the pool uses, the caller included: clamped to [1, work_blocks()].
// The default is cpus_available(), at most work_blocks(). Not to be called
// while a parallel_run is in flight.
void parallel_set_threads(int threads);
int parallel_threads();

}  // namespace charnn
