// The bf16 products' AMX kernel, portable loop and dispatch; see bf16_gemm.h
// for the layouts (conversion and packing: bf16_pack.cpp; the AVX512-BF16,
// AVX-512F and AVX2 kernels: bf16_gemm_avx512_bf16.cpp, bf16_gemm_avx512.cpp,
// bf16_gemm_avx2.cpp).
// The AMX kernel keeps a block of up to 32 x 32 of C in four tiles for the
// whole of K; A and P stream through two tiles each. Tile numbers must be
// literals (the intrinsics paste them into the instruction), hence the fixed
// roles: tmm0-3 C, tmm4-5 A, tmm6-7 P. Built without -march: the AMX code is
// chosen at run time.
#include "charnn/nn/bf16_gemm.h"

#include "charnn/nn/bf16_gemm_kernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

#if defined(__x86_64__)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace charnn {

namespace {

constexpr int kTile = kBf16Panel;  // rows of a tile, columns of a panel
constexpr int kDepth = kBf16Depth;

size_t at(size_t row, size_t stride, size_t col) { return row * stride + col; }

#if defined(__x86_64__)

// Linux hands out the (8 KB) tile state only on request, once per process.
bool request_tile_state() {
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureTileData = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureTileData) == 0;
}

bool cpu_has_amx_bf16() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(0));
  const bool amx_bf16 = (edx >> 22) & 1u, amx_tile = (edx >> 24) & 1u;
  return amx_bf16 && amx_tile;
}

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

// C and A tiles of `rows` rows (16, or all of a product with fewer rows: the
// tiles then move and multiply only those), P tiles of 16 pair rows.
__attribute__((target("amx-tile"))) void configure_tiles(int rows) {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.bytes_per_row[t] = 64;
    config.rows[t] = static_cast<uint8_t>(t < 6 ? rows : kTile);
  }
  _tile_loadconfig(&config);
}

// C tile t (0..3) from/to C at (row, col); tiles cut by the edge of C go
// through a zero-padded scratch so nothing outside C is read or written.
struct CEdge {
  float* C;
  size_t ldc;
  int rows, cols;  // of C from this tile's corner
  int tile_rows;   // as configured
  bool whole() const { return rows >= tile_rows && cols >= kTile; }
};

__attribute__((target("amx-tile"))) void load_c(int t, CEdge e, bool accumulate, float* scratch) {
  const void* from = e.C;
  size_t stride = e.ldc * sizeof(float);
  if (!accumulate) {
    switch (t) {
      case 0: _tile_zero(0); break;
      case 1: _tile_zero(1); break;
      case 2: _tile_zero(2); break;
      default: _tile_zero(3); break;
    }
    return;
  }
  if (!e.whole()) {
    std::memset(scratch, 0, sizeof(float) * kTile * kTile);
    for (int r = 0; r < std::min(e.rows, e.tile_rows); ++r) {
      std::memcpy(scratch + r * kTile, e.C + at(r, e.ldc, 0), sizeof(float) * std::min(e.cols, kTile));
    }
    from = scratch;
    stride = kTile * sizeof(float);
  }
  switch (t) {
    case 0: _tile_loadd(0, from, stride); break;
    case 1: _tile_loadd(1, from, stride); break;
    case 2: _tile_loadd(2, from, stride); break;
    default: _tile_loadd(3, from, stride); break;
  }
}

__attribute__((target("amx-tile"))) void store_c(int t, CEdge e, float* scratch) {
  void* to = e.whole() ? static_cast<void*>(e.C) : static_cast<void*>(scratch);
  const size_t stride = e.whole() ? e.ldc * sizeof(float) : kTile * sizeof(float);
  switch (t) {
    case 0: _tile_stored(0, to, stride); break;
    case 1: _tile_stored(1, to, stride); break;
    case 2: _tile_stored(2, to, stride); break;
    default: _tile_stored(3, to, stride); break;
  }
  if (e.whole()) return;
  for (int r = 0; r < std::min(e.rows, e.tile_rows); ++r) {
    std::memcpy(e.C + at(r, e.ldc, 0), scratch + r * kTile, sizeof(float) * std::min(e.cols, kTile));
  }
}

// One block of C: TWO_ROWS picks 32 rows (else 16), TWO_COLS 32 columns.
// a points at the block's first row, p0 at its first panel.
template <bool TWO_ROWS, bool TWO_COLS>
__attribute__((target("amx-tile,amx-bf16"))) void block_amx(float* C, size_t ldc, const BFloat16* a, size_t lda,
                                                           const BFloat16* p0, size_t panel, int rows, int cols,
                                                           int tile_rows, int depth, bool accumulate) {
  alignas(64) float scratch[kTile * kTile];
  const CEdge edges[4] = {{C, ldc, rows, cols, tile_rows},
                          {C + kTile, ldc, rows, cols - kTile, tile_rows},
                          {C + at(kTile, ldc, 0), ldc, rows - kTile, cols, tile_rows},
                          {C + at(kTile, ldc, kTile), ldc, rows - kTile, cols - kTile, tile_rows}};
  const bool used[4] = {true, TWO_COLS, TWO_ROWS, TWO_ROWS && TWO_COLS};
  for (int t = 0; t < 4; ++t) {
    if (used[t]) load_c(t, edges[t], accumulate, scratch);
  }
  const size_t a_stride = lda * sizeof(BFloat16);
  const BFloat16* p1 = p0 + panel;
  for (int k = 0; k < depth; k += kDepth) {
    // Depth k starts at pair row k / 2 of a panel, 32 values a row.
    const size_t p_at = static_cast<size_t>(k) * kTile;
    _tile_loadd(4, a + k, a_stride);
    _tile_loadd(6, p0 + p_at, 64);
    if constexpr (TWO_COLS) _tile_loadd(7, p1 + p_at, 64);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (TWO_COLS) _tile_dpbf16ps(1, 4, 7);
    if constexpr (TWO_ROWS) {
      _tile_loadd(5, a + at(kTile, lda, k), a_stride);
      _tile_dpbf16ps(2, 5, 6);
      if constexpr (TWO_COLS) _tile_dpbf16ps(3, 5, 7);
    }
  }
  for (int t = 0; t < 4; ++t) {
    if (used[t]) store_c(t, edges[t], scratch);
  }
}

// Rows outer, column blocks inner: a 32-row slice of A stays in L1 while the
// panels stream from L2. A product of fewer than 16 rows (one sampling
// stream, say) configures tiles of just those rows.
__attribute__((target("amx-tile,amx-bf16"))) void gemm_amx(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed,
                                                          int M, int N, int K, bool accumulate) {
  const int tile_rows = std::min(M, kTile);
  configure_tiles(tile_rows);
  const int depth = bf16_row_stride(K);
  const size_t lda = static_cast<size_t>(depth), panel = static_cast<size_t>(depth) * kTile;
  for (int m0 = 0; m0 < M; m0 += 2 * kTile) {
    const int rows = M - m0;
    const BFloat16* a = A + at(m0, lda, 0);
    for (int n0 = 0; n0 < N; n0 += 2 * kTile) {
      const int cols = N - n0;
      float* c = C + at(m0, ldc, n0);
      const BFloat16* p = packed + static_cast<size_t>(n0 / kTile) * panel;
      if (rows > kTile && cols > kTile) {
        block_amx<true, true>(c, ldc, a, lda, p, panel, rows, cols, tile_rows, depth, accumulate);
      } else if (rows > kTile) {
        block_amx<true, false>(c, ldc, a, lda, p, panel, rows, cols, tile_rows, depth, accumulate);
      } else if (cols > kTile) {
        block_amx<false, true>(c, ldc, a, lda, p, panel, rows, cols, tile_rows, depth, accumulate);
      } else {
        block_amx<false, false>(c, ldc, a, lda, p, panel, rows, cols, tile_rows, depth, accumulate);
      }
    }
  }
  _tile_release();
}

#endif

}  // namespace

void bf16_gemm_portable(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K,
                        bool accumulate) {
  const int depth = bf16_row_stride(K);
  const size_t panel = static_cast<size_t>(depth) * kTile;
  float acc[kTile];
  for (int m = 0; m < M; ++m) {
    const BFloat16* a = A + at(m, depth, 0);
    for (int n0 = 0; n0 < N; n0 += kTile) {
      const int width = std::min(kTile, N - n0);
      const BFloat16* p = packed + static_cast<size_t>(n0 / kTile) * panel;
      float* c = C + at(m, ldc, n0);
      for (int n = 0; n < kTile; ++n) acc[n] = accumulate && n < width ? c[n] : 0.0f;
      for (int k = 0; k < K; ++k) {
        const float ak = bf16_to_float(a[k]);
        const BFloat16* row = p + at(k / 2, 2 * kTile, k % 2);
        for (int n = 0; n < kTile; ++n) acc[n] += ak * bf16_to_float(row[2 * n]);
      }
      for (int n = 0; n < width; ++n) c[n] = acc[n];
    }
  }
}

namespace {

// The fallback ladder, bottom to top: a kernel pinned by name that this CPU
// lacks falls to the next one down (amx: to the fastest of the rest).
enum class Bf16Kernel { portable, avx2, avx512, avx512_bf16, amx };

constexpr const char* kKernelNames[] = {"portable", "avx2", "avx512", "avx512_bf16", "amx"};

std::optional<Bf16Kernel> kernel_named(const char* name) {
  for (int k = 0; k < 5; ++k) {
    if (std::strcmp(name, kKernelNames[k]) == 0) return static_cast<Bf16Kernel>(k);
  }
  return std::nullopt;
}

// The kernel the switches pin, if any: CHARNN_BF16_KERNEL=NAME (a name it
// does not know pins nothing).
std::optional<Bf16Kernel> pinned_kernel() {
  const char* name = std::getenv("CHARNN_BF16_KERNEL");
  return name == nullptr ? std::nullopt : kernel_named(name);
}

// CHARNN_NO_AMX=1, the older switch: anything but AMX.
bool amx_refused() {
  const char* no_amx = std::getenv("CHARNN_NO_AMX");
  return no_amx != nullptr && no_amx[0] != '\0' && std::strcmp(no_amx, "0") != 0;
}

#if defined(__x86_64__)
bool runs_here(Bf16Kernel kernel) {
  switch (kernel) {
    case Bf16Kernel::amx: return cpu_has_amx_bf16();
    case Bf16Kernel::avx512_bf16: return bf16_kernels::avx512_bf16_supported();
    case Bf16Kernel::avx512: return bf16_kernels::avx512f_supported();
    case Bf16Kernel::avx2: return bf16_kernels::avx2_fma_supported();
    default: return true;
  }
}
#endif

// A pinned kernel, or the next one down the ladder that this CPU runs. With
// nothing pinned (or amx, missing), the fastest: AMX, then on Intel the
// AVX-512F widening kernel, as vdpbf16ps runs at half the FMAs' rate there
// (86 against 145-148 GFLOP/s a core in BM_bf16_gemm on an Emerald Rapids
// Xeon); elsewhere (AMD Zen 4 and 5) vdpbf16ps first, as those cores are
// documented to run it at the FMAs' rate or better (not measured here). With
// CHARNN_NO_AMX as well, the stricter.
Bf16Kernel chosen_kernel() {
  static const Bf16Kernel chosen = [] {
    const std::optional<Bf16Kernel> pinned = pinned_kernel();
    Bf16Kernel top = pinned.value_or(Bf16Kernel::amx);
    if (amx_refused()) top = std::min(top, Bf16Kernel::avx512_bf16);
#if defined(__x86_64__)
    // The tile state is requested only when AMX is allowed and present.
    if (top == Bf16Kernel::amx && runs_here(Bf16Kernel::amx) && request_tile_state()) return Bf16Kernel::amx;
    const bool widening_first = pinned != Bf16Kernel::avx512_bf16 && __builtin_cpu_is("intel");
    if (widening_first && top >= Bf16Kernel::avx512 && runs_here(Bf16Kernel::avx512)) return Bf16Kernel::avx512;
    for (Bf16Kernel k : {Bf16Kernel::avx512_bf16, Bf16Kernel::avx512, Bf16Kernel::avx2}) {
      if (top >= k && runs_here(k)) return k;
    }
#endif
    return Bf16Kernel::portable;
  }();
  return chosen;
}

}  // namespace

bool bf16_uses_amx() { return chosen_kernel() == Bf16Kernel::amx; }

const char* bf16_products_engine() { return kKernelNames[static_cast<int>(chosen_kernel())]; }

bool bf16_kernel_name_known(const char* name) {
  return kernel_named(name).has_value();
}

void bf16_gemm(float* C, size_t ldc, const BFloat16* A, const BFloat16* packed, int M, int N, int K, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  switch (chosen_kernel()) {
#if defined(__x86_64__)
    case Bf16Kernel::amx: gemm_amx(C, ldc, A, packed, M, N, K, accumulate); return;
    case Bf16Kernel::avx512_bf16: bf16_kernels::gemm_avx512_bf16(C, ldc, A, packed, M, N, K, accumulate); return;
    case Bf16Kernel::avx512: bf16_kernels::gemm_avx512(C, ldc, A, packed, M, N, K, accumulate); return;
    case Bf16Kernel::avx2: bf16_kernels::gemm_avx2(C, ldc, A, packed, M, N, K, accumulate); return;
#endif
    default: bf16_gemm_portable(C, ldc, A, packed, M, N, K, accumulate); return;
  }
}

}  // namespace charnn
