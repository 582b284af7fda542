// Row-major wrappers over OpenBLAS' CBLAS; see blas.h.
#include "charnn/nn/blas.h"

#include <cblas.h>

namespace charnn {

void gemm_nt(float* C, const float* A, const float* B, int M, int N, int K, float beta) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, B, K, beta, C, N);
}

void gemm_nn(float* C, const float* A, const float* B, int M, int N, int K, float beta) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, beta, C, N);
}

void gemm_tn(float* C, const float* A, const float* B, int M, int N, int K, float beta) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, A, M, B, N, beta, C, N);
}

void gemv_n(float* y, const float* A, const float* x, int M, int K, float beta) {
  cblas_sgemv(CblasRowMajor, CblasNoTrans, M, K, 1.0f, A, K, x, 1, beta, y, 1);
}

void blas_set_threads(int threads) { openblas_set_num_threads(threads); }

int blas_threads() { return openblas_get_num_threads(); }

}  // namespace charnn
