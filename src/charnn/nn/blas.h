// The only door to the BLAS: row-major single-precision products under the
// names the kernels use. Keeping cblas.h behind this file means one place to
// change if the backend changes, and no BLAS macros leak into the library.
#pragma once

namespace charnn {

// C(M,N) = A(M,K) * B(N,K)^T + beta * C
void gemm_nt(float* C, const float* A, const float* B, int M, int N, int K, float beta);
// C(M,N) = A(M,K) * B(K,N) + beta * C
void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K, float beta);
// C(M,N) = A(K,M)^T * B(K,N) + beta * C
void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, float beta);
// y(M) = A(M,K) * x(K) + beta * y
void gemv_n(float* y, const float* A, const float* x, int M, int K, float beta);

// Threads the BLAS may use inside one product.
void blas_set_threads(int threads);
int blas_threads();

}  // namespace charnn
