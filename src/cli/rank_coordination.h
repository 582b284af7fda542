// How the ranks of an mpirun job start, fail and finish `charnn train`
// together: a set-up that every rank agrees on before training, errors
// reported once (by rank 0, or by the one rank that alone met them), the other
// ranks leaving quietly with the same exit code, and a failure that one rank
// alone sees ending the whole job. With one process these change nothing.
#pragma once

#include <array>
#include <exception>
#include <functional>

#include "charnn/train/collective.h"

namespace charnn::cli {

// Thrown on a rank that leaves with this exit code, saying nothing: another
// rank reports why. run_as_mpi_rank catches it.
struct QuietExit {
  int exit_code = 1;
};

// 128 + signal for StoppedBySignal, 2 for UsageError, else 1.
int exit_code_of(const std::exception_ptr& failure);

// Runs a run's set-up (reading the text or checkpoint, building the trainer)
// on every rank, then agrees on the outcome: when any rank failed, all stop.
// Rank 0 reports its failure; a rank that failed alone reports its own; the
// others throw QuietExit. `set_up` may make collective calls only where every
// rank reaches them. With one process this is set_up() itself.
template <class F>
void set_up_on_every_rank(Collective& world, F&& set_up) {
  std::exception_ptr failure;
  try {
    set_up();
  } catch (...) {
    failure = std::current_exception();
  }
  if (world.size() == 1) {
    if (failure) std::rethrow_exception(failure);
    return;
  }
  std::array<double, 2> failed{world.rank() == 0 && failure ? 1.0 : 0.0, failure ? 1.0 : 0.0};  // rank 0, all
  world.allreduce_sum(failed.data(), failed.size());
  if (failed[1] == 0.0) return;
  if (failure && (world.rank() == 0 || failed[0] == 0.0)) std::rethrow_exception(failure);
  throw QuietExit{failure ? exit_code_of(failure) : 1};
}

// Runs `work`, whose Errors are the same on every rank (the trainer's are, see
// TrainerOptions::collective): rank 0 rethrows them for main to report, the
// other ranks throw QuietExit with the same exit code.
void report_on_rank_zero(Collective& world, const std::function<void()>& work);

// Joins the MPI job this process was launched into, runs `train` as one of its
// ranks and leaves the job. QuietExit ends the process with its code; an Error
// goes on to main; any other exception (out of memory, say) is seen by this
// rank alone while the others may wait for it in a sum, so it ends the job.
void run_as_mpi_rank(const std::function<void(Collective&)>& train);

}  // namespace charnn::cli
