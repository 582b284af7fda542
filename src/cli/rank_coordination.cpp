// Starting, failing and finishing together under mpirun; see rank_coordination.h.
#include "cli/rank_coordination.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"

namespace charnn::cli {

int exit_code_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const StoppedBySignal& e) {
    return e.exit_code();
  } catch (const UsageError&) {
    return 2;
  } catch (...) {
    return 1;
  }
}

void report_on_rank_zero(Collective& world, const std::function<void()>& work) {
  try {
    work();
  } catch (const Error&) {
    if (world.rank() == 0) throw;
    throw QuietExit{exit_code_of(std::current_exception())};
  }
}

void run_as_mpi_rank(const std::function<void(Collective&)>& train) {
  std::unique_ptr<Collective> world = join_mpi_job();
  try {
    if (world->size() != launched_rank_count()) {
      throw Error(fmt::format("launched as one of {} ranks but MPI sees {}: is mpirun from the MPI this charnn was "
                              "built with?",
                              launched_rank_count(), world->size()));
    }
    train(*world);
  } catch (const QuietExit& quiet) {
    world.reset();
    std::fflush(stdout);
    std::exit(quiet.exit_code);
  } catch (const Error&) {
    throw;  // main reports it; `world` leaves the job on the way out
  } catch (const std::exception& e) {
    fmt::print(stderr, "charnn: error: rank {}: {}\n", world->rank(), e.what());
    world->abort(1);
  }
}

}  // namespace charnn::cli
