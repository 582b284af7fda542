// join_mpi_job for a charnn built without MPI (CHARNN_MPI=OFF): it explains
// how to get one that has it. See collective.h.
#include "charnn/error.h"
#include "charnn/train/collective.h"

namespace charnn {

std::unique_ptr<Collective> join_mpi_job() {
  throw Error(
      "this charnn was built without MPI, so it cannot train under mpirun; install libopenmpi-dev and rebuild "
      "(CMake option CHARNN_MPI), or run it without mpirun");
}

}  // namespace charnn
