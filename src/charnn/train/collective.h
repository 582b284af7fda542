// How the processes of a data-parallel training run talk to each other: how
// many there are, which one this is, in-place sums over all of them and a
// broadcast from rank 0. The trainer sees only this interface. MPI lives in
// mpi_collective.cpp, the one file that includes mpi.h, built when the CMake
// option CHARNN_MPI is ON; a single process uses SingleProcess, whose
// operations leave the data as it is. Nothing here knows about models.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace charnn {

class Collective {
 public:
  virtual ~Collective() = default;

  virtual int rank() const = 0;  // 0 .. size() - 1; rank 0 writes files and speaks
  virtual int size() const = 0;

  // Elementwise sums over all ranks, in place; every rank ends with the same values.
  virtual void allreduce_sum(float* data, size_t count) = 0;
  virtual void allreduce_sum(double* data, size_t count) = 0;
  // Rank 0's bytes replace every other rank's (of any length).
  virtual void broadcast(std::string& bytes) = 0;
  // Ends every process of the job with exit_code: for a failure that one rank
  // alone sees, while the others may be waiting for it in a sum.
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

class SingleProcess final : public Collective {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(float*, size_t) override {}
  void allreduce_sum(double*, size_t) override {}
  void broadcast(std::string&) override {}
  [[noreturn]] void abort(int exit_code) override;
};

// The contiguous share of n items (windows of a batch) that `rank` of `size`
// takes: [first, first + count), shares differing by at most one item.
struct Shard {
  size_t first = 0;
  size_t count = 0;
};
Shard shard_of(size_t n, int rank, int size);

// The number of ranks a launcher such as mpirun started this process as one
// of ($OMPI_COMM_WORLD_SIZE for Open MPI, $PMI_SIZE for MPICH and Intel MPI);
// 1 when there is no launcher.
int launched_rank_count();

// Joins the MPI job this process was launched into (MPI_Init); destroying the
// result leaves it (MPI_Finalize). Errors end the whole job (MPI's default,
// MPI_ERRORS_ARE_FATAL), so no rank waits forever for one that died. Throws
// Error when this charnn was built without MPI.
std::unique_ptr<Collective> join_mpi_job();

}  // namespace charnn
