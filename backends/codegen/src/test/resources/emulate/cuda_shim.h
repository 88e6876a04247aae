// Test shim: just enough of CUDA to run generated kernels on the CPU with a host C++20 compiler.
// Blocks run one after another; the threads of a block run as OS threads meeting at a std::barrier,
// so __syncthreads() and __shared__ (function statics, one block at a time) behave as on a GPU.
// Included first in every emulated translation unit; the kernels bring their own bf16 prelude.
#pragma once
#include <barrier>
#include <cstdint>
#include <cstring>
#include <math.h>
#include <tuple>
#include <utility>

#define __global__
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct uint3_ { unsigned x, y, z; };
inline thread_local uint3_ threadIdx;
inline uint3_ blockIdx, blockDim, gridDim;
inline std::barrier<>* block_barrier;

inline void __syncthreads() { block_barrier->arrive_and_wait(); }

// x86-64 without -mfma has no fused multiply-add: a product is always rounded on its own
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __dmul_rn(double a, double b) { return a * b; }

inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }

#define __device__
#define __forceinline__ inline

inline float __uint_as_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t __float_as_uint(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

// ---- warps: what a warp's lanes do together (shuffles, tensor-core fragments) ----
// Lanes are the threads of a block in order of their linear index, 32 to a warp. A warp-wide operation has every
// lane publish what it holds in the warp's exchange area, meet at the warp's barrier, read what it needs, and meet
// again before the area is reused. A lane that has returned leaves the warp's barrier (launch.h drops it); CUDA
// requires every lane at these operations, so correct kernels never meet a dropped lane there.
#include <memory>
#include <vector>

struct hy_warp {
    explicit hy_warp(unsigned lanes) : meet(lanes) {}
    std::barrier<> meet;
    alignas(16) unsigned char slot[32][32];
};
inline thread_local unsigned hy_lane_id, hy_warp_id;
inline hy_warp* const* hy_warps;

inline void hy_warp_meet() { hy_warps[hy_warp_id]->meet.arrive_and_wait(); }
inline unsigned char* hy_slot(unsigned lane) { return hy_warps[hy_warp_id]->slot[lane]; }

template <class T>
inline T __shfl_xor_sync(unsigned, T value, int lane_mask) {
    std::memcpy(hy_slot(hy_lane_id), &value, sizeof(T));
    hy_warp_meet();
    T other;
    std::memcpy(&other, hy_slot(hy_lane_id ^ unsigned(lane_mask)), sizeof(T));
    hy_warp_meet();
    return other;
}

// ---- shared-memory addresses: PTX takes 32-bit addresses in the shared window ----
// Shared arrays here are function statics in the program's data; an address in the window is the offset from one
// anchor in the same data, which fits in 32 bits in a small test program. The anchor is page aligned, so an array's
// alignment is its address's, as on a GPU (kernels swizzle by xor on addresses).
alignas(4096) inline char hy_shared_anchor;
// The last address this thread took: the window's addresses are not below 2^18 here, so a wgmma descriptor's 14-bit
// start is completed from it (a kernel's shared arrays span far less than 2^17 bytes).
inline thread_local long long hy_shared_last;
inline long long __cvta_generic_to_shared(const void* p) {
    return hy_shared_last = (long long) (reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(&hy_shared_anchor));
}
inline unsigned char* hy_shared(int address) {
    return reinterpret_cast<unsigned char*>(reinterpret_cast<uintptr_t>(&hy_shared_anchor) + uintptr_t(intptr_t(address)));
}

// Dynamic shared memory: the one buffer every kernel's dynamic arrays are carved from (the CUDA dialect's own
// declaration is guarded off), as large as an H100 gives a block and aligned as that declaration asks. Like the static
// arrays it serves one block at a time.
#define HY_DYNAMIC_SHARED
alignas(1024) inline unsigned char hy_dynamic_shared[232448];

// A GPU faults on a misaligned vector access; here it stops the program, naming the instruction.
#include <cstdio>
#include <cstdlib>
inline void hy_require_aligned(const void* p, uintptr_t bytes, const char* what) {
    if (reinterpret_cast<uintptr_t>(p) % bytes != 0) {
        std::fprintf(stderr, "%s: address %p is not %u-byte aligned\n", what, p, unsigned(bytes));
        std::abort();
    }
}

// ---- the generated kernels' assembly functions (codegen's Ptx), each defined here under its own guard ----
inline float hy_bits_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t hy_float_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float hy_lo_bf16(uint32_t r) { return hy_bits_float(r << 16); }
inline float hy_hi_bf16(uint32_t r) { return hy_bits_float(r & 0xffff0000u); }

// Round to nearest even, as cvt.rn does (NaN stays NaN).
inline uint32_t hy_round_bf16(float f) {
    uint32_t u = hy_float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

// Copies are synchronous: a copy lands when issued, the earliest a GPU may land it; commits and waits have nothing to do.
#define HY_CP_ASYNC_16
inline void hy_cp_async_16(int shared, const void* global) {
    hy_require_aligned(hy_shared(shared), 16, "cp.async (shared)");
    hy_require_aligned(global, 16, "cp.async (global)");
    std::memcpy(hy_shared(shared), global, 16);
}
#define HY_CP_ASYNC_16_ZFILL
inline void hy_cp_async_16_zfill(int shared, const void* global, int bytes) {
    hy_require_aligned(hy_shared(shared), 16, "cp.async (shared)");
    hy_require_aligned(global, 16, "cp.async (global)");
    std::memset(hy_shared(shared), 0, 16);
    std::memcpy(hy_shared(shared), global, size_t(bytes));
}
#define HY_CP_ASYNC_COMMIT
inline void hy_cp_async_commit() {}
#define HY_CP_ASYNC_WAIT_0
inline void hy_cp_async_wait_0() {}
#define HY_CP_ASYNC_WAIT_1
inline void hy_cp_async_wait_1() {}
#define HY_CP_ASYNC_WAIT_2
inline void hy_cp_async_wait_2() {}
#define HY_CP_ASYNC_WAIT_3
inline void hy_cp_async_wait_3() {}
#define HY_CP_ASYNC_WAIT_4
inline void hy_cp_async_wait_4() {}
#define HY_CP_ASYNC_WAIT_5
inline void hy_cp_async_wait_5() {}
#define HY_CP_ASYNC_WAIT_6
inline void hy_cp_async_wait_6() {}
#define HY_CP_ASYNC_WAIT_7
inline void hy_cp_async_wait_7() {}

#define HY_LD_SHARED_V4
inline void hy_ld_shared_v4(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, int shared) {
    unsigned r[4];
    hy_require_aligned(hy_shared(shared), 16, "ld.shared.v4");
    std::memcpy(r, hy_shared(shared), 16);
    r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
}
#define HY_LD_SHARED_V4_F32
inline void hy_ld_shared_v4_f32(float& r0, float& r1, float& r2, float& r3, int shared) {
    float r[4];
    hy_require_aligned(hy_shared(shared), 16, "ld.shared.v4.f32");
    std::memcpy(r, hy_shared(shared), 16);
    r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
}
#define HY_ST_SHARED_V2_F32
inline void hy_st_shared_v2_f32(int shared, float first, float second) {
    float r[2] = {first, second};
    hy_require_aligned(hy_shared(shared), 8, "st.shared.v2.f32");
    std::memcpy(hy_shared(shared), r, 8);
}
#define HY_ST_SHARED_V4
inline void hy_st_shared_v4(int shared, unsigned r0, unsigned r1, unsigned r2, unsigned r3) {
    unsigned r[4] = {r0, r1, r2, r3};
    hy_require_aligned(hy_shared(shared), 16, "st.shared.v4");
    std::memcpy(hy_shared(shared), r, 16);
}
#define HY_ST_GLOBAL_V4
inline void hy_st_global_v4(const void* global, unsigned r0, unsigned r1, unsigned r2, unsigned r3) {
    unsigned r[4] = {r0, r1, r2, r3};
    hy_require_aligned(global, 16, "st.global.v4");
    std::memcpy(const_cast<void*>(global), r, 16);
}

#define HY_LD_GLOBAL_V4
inline void hy_ld_global_v4(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const void* global) {
    unsigned r[4];
    hy_require_aligned(global, 16, "ld.global.v4");
    std::memcpy(r, global, 16);
    r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
}
#define HY_LD_GLOBAL_V4_STREAM
inline void hy_ld_global_v4_stream(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const void* global) {
    hy_ld_global_v4(r0, r1, r2, r3, global);
}

// a prefetch only moves data into a cache: nothing to do here
#define HY_PREFETCH_L2
inline void hy_prefetch_l2(const void*) {}

#define HY_PACK_BF16X2
inline void hy_pack_bf16x2(unsigned& packed, float hi, float lo) { packed = (hy_round_bf16(hi) << 16) | hy_round_bf16(lo); }
#define HY_UNPACK_BF16X2
inline void hy_unpack_bf16x2(float& lo, float& hi, unsigned packed) { lo = hy_lo_bf16(packed), hi = hy_hi_bf16(packed); }
#define HY_EX2_APPROX
inline void hy_ex2_approx(float& y, float x) { y = exp2f(x); }

// ldmatrix.x4: lanes 8i…8i+7 give the shared addresses of rows 0…7 of 8x8 matrix i (8 b16 each); register i of lane
// t receives row t/4, elements 2(t%4) and 2(t%4)+1 of matrix i, or with .trans rows 2(t%4) and 2(t%4)+1 of column t/4.
inline void hy_ldmatrix(unsigned* r, int shared, bool trans) {
    hy_require_aligned(hy_shared(shared), 16, "ldmatrix");
    std::memcpy(hy_slot(hy_lane_id), &shared, 4);
    hy_warp_meet();
    const unsigned t = hy_lane_id;
    for (unsigned i = 0; i < 4; i++) {
        uint16_t half[2];
        for (unsigned e = 0; e < 2; e++) {
            unsigned row = trans ? 2 * (t % 4) + e : t / 4, column = trans ? t / 4 : 2 * (t % 4) + e;
            int address;
            std::memcpy(&address, hy_slot(8 * i + row), 4);
            std::memcpy(&half[e], hy_shared(address) + 2 * column, 2);
        }
        r[i] = unsigned(half[0]) | unsigned(half[1]) << 16;
    }
    hy_warp_meet();
}
#define HY_LDMATRIX_X4
inline void hy_ldmatrix_x4(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, int shared) {
    unsigned r[4];
    hy_ldmatrix(r, shared, false);
    r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
}
#define HY_LDMATRIX_X4_TRANS
inline void hy_ldmatrix_x4_trans(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, int shared) {
    unsigned r[4];
    hy_ldmatrix(r, shared, true);
    r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
}

// mma.sync.m16n8k16.row.col bf16 → fp32, d += a·b, with the PTX ISA's fragments (g = lane / 4, t = lane % 4):
// a: register 0 holds A[g][2t, 2t+1], 1 A[g+8][2t, 2t+1], 2 A[g][2t+8, 2t+9], 3 A[g+8][2t+8, 2t+9] (low half first);
// b: register 0 holds B[2t, 2t+1][g], 1 B[2t+8, 2t+9][g]; d: d0, d1 = D[g][2t, 2t+1], d2, d3 = D[g+8][2t, 2t+1].
// Products of bf16 are exact in fp32; the sums are taken in double and rounded once.
#define HY_MMA_BF16_M16N8K16
inline void hy_mma_bf16_m16n8k16(float& d0, float& d1, float& d2, float& d3, unsigned a0, unsigned a1, unsigned a2, unsigned a3,
                                 unsigned b0, unsigned b1) {
    const unsigned mine[6] = {a0, a1, a2, a3, b0, b1};
    std::memcpy(hy_slot(hy_lane_id), mine, sizeof mine);
    hy_warp_meet();
    float a[16][16], b[16][8];
    for (unsigned lane = 0; lane < 32; lane++) {
        unsigned r[6];
        std::memcpy(r, hy_slot(lane), sizeof r);
        const unsigned g = lane / 4, t = lane % 4;
        for (unsigned k = 0; k < 4; k++) {
            const unsigned row = g + (k % 2) * 8, column = 2 * t + (k / 2) * 8;
            a[row][column] = hy_lo_bf16(r[k]);
            a[row][column + 1] = hy_hi_bf16(r[k]);
        }
        b[2 * t][g] = hy_lo_bf16(r[4]);
        b[2 * t + 1][g] = hy_hi_bf16(r[4]);
        b[2 * t + 8][g] = hy_lo_bf16(r[5]);
        b[2 * t + 9][g] = hy_hi_bf16(r[5]);
    }
    hy_warp_meet();
    const unsigned g = hy_lane_id / 4, t = hy_lane_id % 4;
    float* d[4] = {&d0, &d1, &d2, &d3};
    for (unsigned e = 0; e < 4; e++) {
        const unsigned row = g + (e / 2) * 8, column = 2 * t + e % 2;
        double sum = *d[e];
        for (unsigned k = 0; k < 16; k++) sum += double(a[row][k]) * double(b[k][column]);
        *d[e] = float(sum);
    }
}

// wgmma (sm_90a), run at issue: the fence, commit and wait have nothing to order here. The warpgroup's four warps
// each multiply their own 16 rows of a (from their registers) by the b in shared memory its descriptor names.
#define HY_WGMMA_DESC128
inline void hy_wgmma_desc128(long long& desc, int address, long long fixed) {
    desc = (long long) ((unsigned long long) (address >> 4) & 0x3fff) | fixed;
}
#define HY_WGMMA_FENCE
inline void hy_wgmma_fence() {}
#define HY_WGMMA_COMMIT
inline void hy_wgmma_commit() {}
#define HY_FENCE_PROXY_ASYNC
inline void hy_fence_proxy_async() {}
#define HY_WGMMA_WAIT_0_F32
template <class... F> inline void hy_wgmma_wait_0_f32(F&...) {}
#define HY_WGMMA_WAIT_0_F64
template <class... F> inline void hy_wgmma_wait_0_f64(F&...) {}
#define HY_WGMMA_WAIT_1_F32
template <class... F> inline void hy_wgmma_wait_1_f32(F&...) {}
#define HY_WGMMA_WAIT_1_F64
template <class... F> inline void hy_wgmma_wait_1_f64(F&...) {}

// Element (n, k) of a b operand under a 128-byte-swizzle descriptor: bits 0-13 the start address / 16, 16-29 the
// leading byte offset / 16 (from one 64-element atom column to the next along an N-major row), 32-45 the stride
// byte offset / 16 (from one 8-row atom to the next), 62-63 the swizzle (1: 128 bytes). The swizzle acts on the
// address: its 16-byte chunk bits (4-6) are xor-ed with its 128-byte row bits (7-9).
inline int hy_wgmma_b_address(unsigned long long desc, bool mn_major, unsigned n, unsigned k) {
    if ((desc >> 62) != 1 || ((desc >> 49) & 7) != 0) {
        std::fprintf(stderr, "wgmma: only the 128-byte swizzle at base offset 0 is emulated (descriptor %llx)\n", desc);
        std::abort();
    }
    long long low = (long long) (desc & 0x3fff) << 4, near = ((low - hy_shared_last) & 0x3ffff);
    const int start = int(hy_shared_last + (near >= 0x20000 ? near - 0x40000 : near));
    const int leading = int((desc >> 16) & 0x3fff) << 4, stride = int((desc >> 32) & 0x3fff) << 4;
    int a;
    if (mn_major) {
        a = start + int(n / 64) * leading + int(k / 8) * stride + int(k % 8) * 128 + int(n % 64) * 2;
    } else {
        if ((start & 127) + 2 * 16 > 128) {
            std::fprintf(stderr, "wgmma: a K-major step crosses its 128-byte row (start %d)\n", start);
            std::abort();
        }
        a = start + int(n / 8) * stride + int(n % 8) * 128 + int(k) * 2;
    }
    return a ^ (((a >> 7) & 7) << 4);
}

template <unsigned N, bool MnMajor> inline void hy_wgmma_rs(float* const* d, const unsigned* a_mine, unsigned long long desc, int accumulate) {
    std::memcpy(hy_slot(hy_lane_id), a_mine, 16);
    hy_warp_meet();
    float a[16][16];
    for (unsigned lane = 0; lane < 32; lane++) {
        unsigned r[4];
        std::memcpy(r, hy_slot(lane), sizeof r);
        const unsigned g = lane / 4, t = lane % 4;
        for (unsigned k = 0; k < 4; k++) {
            const unsigned row = g + (k % 2) * 8, column = 2 * t + (k / 2) * 8;
            a[row][column] = hy_lo_bf16(r[k]);
            a[row][column + 1] = hy_hi_bf16(r[k]);
        }
    }
    hy_warp_meet();
    const unsigned g = hy_lane_id / 4, t = hy_lane_id % 4;
    for (unsigned i = 0; i < N / 8; i++) {
        for (unsigned e = 0; e < 4; e++) {
            const unsigned row = g + (e / 2) * 8, n = 8 * i + 2 * t + e % 2;
            double sum = accumulate ? *d[4 * i + e] : 0.0;
            for (unsigned k = 0; k < 16; k++) {
                uint16_t bits;
                std::memcpy(&bits, hy_shared(hy_wgmma_b_address(desc, MnMajor, n, k)), 2);
                sum += double(a[row][k]) * double(hy_bits_float(uint32_t(bits) << 16));
            }
            *d[4 * i + e] = float(sum);
        }
    }
}

// The generated call passes N/2 accumulators, 4 a registers, the descriptor and the accumulate flag.
template <unsigned N, bool MnMajor, class... Args> inline void hy_wgmma_call(Args&&... args) {
    static_assert(sizeof...(Args) == N / 2 + 6, "wgmma operands");
    auto all = std::forward_as_tuple(args...);
    float* d[N / 2];
    [&]<std::size_t... I>(std::index_sequence<I...>) { ((d[I] = &std::get<I>(all)), ...); }(std::make_index_sequence<N / 2>{});
    const unsigned a[4] = {unsigned(std::get<N / 2>(all)), unsigned(std::get<N / 2 + 1>(all)), unsigned(std::get<N / 2 + 2>(all)),
                           unsigned(std::get<N / 2 + 3>(all))};
    hy_wgmma_rs<N, MnMajor>(d, a, (unsigned long long) std::get<N / 2 + 4>(all), int(std::get<N / 2 + 5>(all)));
}
#define HY_WGMMA_M64N64K16_BF16_RS_K
template <class... Args> inline void hy_wgmma_m64n64k16_bf16_rs_k(Args&&... args) { hy_wgmma_call<64, false>(args...); }
#define HY_WGMMA_M64N64K16_BF16_RS_MN
template <class... Args> inline void hy_wgmma_m64n64k16_bf16_rs_mn(Args&&... args) { hy_wgmma_call<64, true>(args...); }
#define HY_WGMMA_M64N128K16_BF16_RS_K
template <class... Args> inline void hy_wgmma_m64n128k16_bf16_rs_k(Args&&... args) { hy_wgmma_call<128, false>(args...); }
