// Test shim: just enough of CUDA to run generated kernels on the CPU with a host C++20 compiler.
// Blocks run one after another; the threads of a block run as OS threads meeting at a std::barrier,
// so __syncthreads(), warp shuffles and __shared__ (function statics, one block at a time) behave as on a GPU.
// Included first in every emulated translation unit; the kernels bring their own bf16 prelude.
#pragma once
#include <barrier>
#include <cstdint>
#include <cstring>
#include <math.h>

#include <memory>
#include <vector>

#define __global__
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static
#define __align__(n) alignas(n)

struct uint3_ { unsigned x, y, z; };
inline thread_local uint3_ threadIdx;
inline uint3_ blockIdx, blockDim, gridDim;
inline std::barrier<>* block_barrier;

inline void __syncthreads() { block_barrier->arrive_and_wait(); }

// Warp shuffles: each lane posts its value, the warp meets, each reads its partner's, the warp meets again (so the
// next shuffle cannot overwrite a value not yet read). Every lane of the warp must take part, as CUDA requires.
inline std::vector<std::unique_ptr<std::barrier<>>>* warp_barriers;
inline std::vector<uint32_t>* shuffle_slots;

template <class T>
T __shfl_xor_sync(unsigned, T value, int laneMask) {
    static_assert(sizeof(T) == 4, "a shuffle moves 32 bits");
    const unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    std::barrier<>& warp = *(*warp_barriers)[t / 32];
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    (*shuffle_slots)[t] = bits;
    warp.arrive_and_wait();
    bits = (*shuffle_slots)[t / 32 * 32 + ((t % 32) ^ unsigned(laneMask))];
    warp.arrive_and_wait();
    T got;
    std::memcpy(&got, &bits, 4);
    return got;
}

// x86-64 without -mfma has no fused multiply-add: a product is always rounded on its own
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __dmul_rn(double a, double b) { return a * b; }

inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }

#define __device__
#define __forceinline__ inline

inline float __uint_as_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t __float_as_uint(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
