// The Collective of an MPI job: the only file that includes mpi.h, compiled
// when CHARNN_MPI is ON (mpi_collective_disabled.cpp stands in otherwise).
// It uses MPI_COMM_WORLD with the default error handler, MPI_ERRORS_ARE_FATAL:
// a failed call, such as a sum with a rank that died, ends the whole job.
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>

#include <fmt/format.h>

#include "charnn/error.h"
#include "charnn/train/collective.h"

namespace charnn {

namespace {

// MPI counts are int: longer buffers go in pieces.
constexpr size_t kMaxPiece = static_cast<size_t>(INT_MAX);

template <class F>
void in_pieces(size_t count, F&& call) {
  for (size_t done = 0; done < count;) {
    const size_t piece = std::min(kMaxPiece, count - done);
    call(done, static_cast<int>(piece));
    done += piece;
  }
}

class MpiCollective final : public Collective {
 public:
  MpiCollective() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized == 0 && MPI_Init(nullptr, nullptr) != MPI_SUCCESS) {
      throw Error("MPI_Init failed: cannot join the mpirun job");
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiCollective() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized == 0) MPI_Finalize();
  }
  MpiCollective(const MpiCollective&) = delete;
  MpiCollective& operator=(const MpiCollective&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void allreduce_sum(float* data, size_t count) override {
    in_pieces(count, [&](size_t at, int n) {
      MPI_Allreduce(MPI_IN_PLACE, data + at, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    });
  }
  void allreduce_sum(double* data, size_t count) override {
    in_pieces(count, [&](size_t at, int n) {
      MPI_Allreduce(MPI_IN_PLACE, data + at, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    });
  }
  void broadcast(std::string& bytes) override {
    uint64_t length = bytes.size();
    MPI_Bcast(&length, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    bytes.resize(static_cast<size_t>(length));
    in_pieces(bytes.size(), [&](size_t at, int n) { MPI_Bcast(bytes.data() + at, n, MPI_BYTE, 0, MPI_COMM_WORLD); });
  }
  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

std::unique_ptr<Collective> join_mpi_job() { return std::make_unique<MpiCollective>(); }

}  // namespace charnn
