// Row-major wrappers over OpenBLAS' CBLAS, split into row or column blocks
// over the compute pool; see blas.h.
#include "charnn/nn/blas.h"

#include <cblas.h>

#include <algorithm>
#include <string_view>

#include "charnn/nn/thread_pool.h"

namespace charnn {

namespace {

// Products below this many multiply-adds run as one call: splitting them
// costs more in hand-offs than it saves.
constexpr double kSplitWork = 4.0e6;
constexpr int kColumnAlign = 16;  // block extents are whole vectors
// Always 4 blocks, whatever the machine's work_blocks() (thread_pool.h): OpenBLAS
// sums a block's elements in an order that depends on the block's extent (its
// bits change when the same product is cut into 12 blocks instead of 4), and
// results must not depend on the machine's core count. So these products use
// at most 4 threads.
constexpr int kBlocks = 4;

// OpenBLAS' own threads would fight the pool for the same cores.
const bool blas_single_threaded = (openblas_set_num_threads(1), true);

// Cuts C (M, N) into blocks of whole rows or whole columns and calls
// product(m0, m1, n0, n1) on each. Each block re-packs the whole of the other
// operand, so the cut goes along whichever side re-packs fewer floats:
// rows cost M*K + blocks*K*N, columns blocks*M*K + K*N.
template <class Product>
void split_product(int M, int N, int K, Product&& product) {
  if (static_cast<double>(M) * N * K < kSplitWork || std::max(M, N) < 2 * kColumnAlign) {
    product(0, M, 0, N);
    return;
  }
  const bool by_rows = M >= N;
  const int extent = by_rows ? M : N;
  const int width = ((extent + kBlocks - 1) / kBlocks + kColumnAlign - 1) / kColumnAlign * kColumnAlign;
  parallel_for((extent + width - 1) / width, [&](int k) {
    const int lo = k * width, hi = std::min(extent, (k + 1) * width);
    if (by_rows) {
      product(lo, hi, 0, N);
    } else {
      product(0, M, lo, hi);
    }
  });
}

}  // namespace

static size_t at(int row, int ld, int col) { return static_cast<size_t>(row) * ld + col; }

void gemm_nt(float* C, const float* A, const float* B, int M, int N, int K, float beta) {
  split_product(M, N, K, [&](int m0, int m1, int n0, int n1) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m1 - m0, n1 - n0, K, 1.0f, A + at(m0, K, 0), K,
                B + at(n0, K, 0), K, beta, C + at(m0, N, n0), N);
  });
}

void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K, float beta) {
  split_product(M, N, K, [&](int m0, int m1, int n0, int n1) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m1 - m0, n1 - n0, K, 1.0f, A + at(m0, K, 0), K, B + n0, N,
                beta, C + at(m0, N, n0), N);
  });
}

void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, float beta) {
  split_product(M, N, K, [&](int m0, int m1, int n0, int n1) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m1 - m0, n1 - n0, K, 1.0f, A + m0, M, B + n0, N, beta,
                C + at(m0, N, n0), N);
  });
}

void gemv_n(float* y, const float* A, const float* x, int M, int K, float beta) {
  cblas_sgemv(CblasRowMajor, CblasNoTrans, M, K, 1.0f, A, K, x, 1, beta, y, 1);
}

std::string blas_kernels_in_use() {
  const char* name = openblas_get_corename();
  return name != nullptr ? name : "";
}

bool blas_kernels_chosen_at_load() {
  const char* config = openblas_get_config();
  return config != nullptr && std::string_view(config).find("DYNAMIC_ARCH") != std::string_view::npos;
}

void blas_set_threads(int threads) {
  (void)blas_single_threaded;
  openblas_set_num_threads(1);
  parallel_set_threads(threads);
}

int blas_threads() { return parallel_threads(); }

}  // namespace charnn
