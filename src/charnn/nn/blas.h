// The only door to the BLAS: row-major single-precision products under the
// names the kernels use. Keeping cblas.h behind this file means one place to
// change if the backend changes, and no BLAS macros leak into the library.
//
// Threads: OpenBLAS always runs single-threaded; large products are cut into
// a fixed number of row or column blocks that run on charnn's own pool
// (thread_pool.h). The cut depends only on the shape, never on the thread
// count, so every product gives the same bits with 1 thread or with 2.
#pragma once

#include <string>

namespace charnn {

// C(M,N) = A(M,K) * B(N,K)^T + beta * C
void gemm_nt(float* C, const float* A, const float* B, int M, int N, int K, float beta);
// C(M,N) = A(M,K) * B(K,N) + beta * C
void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K, float beta);
// C(M,N) = A(K,M)^T * B(K,N) + beta * C
void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, float beta);
// y(M) = A(M,K) * x(K) + beta * y
void gemv_n(float* y, const float* A, const float* x, int M, int K, float beta);

// The kernels OpenBLAS runs in this process ("SkylakeX", "Haswell", "Zen",
// "Prescott", ...), as it names them; and whether it chose them when it loaded
// (a DYNAMIC_ARCH build, which OPENBLAS_CORETYPE steers; blas_kernels.h).
std::string blas_kernels_in_use();
bool blas_kernels_chosen_at_load();

// Threads charnn's kernels use (its pool; the BLAS itself stays at one).
void blas_set_threads(int threads);
int blas_threads();

}  // namespace charnn
