// Test shim: just enough of CUDA to run generated kernels on the CPU with a host C++20 compiler.
// Blocks run one after another; the threads of a block run as OS threads meeting at a std::barrier,
// so __syncthreads() and __shared__ (function statics, one block at a time) behave as on a GPU.
// Included first in every emulated translation unit; the kernels bring their own bf16 prelude.
#pragma once
#include <barrier>
#include <cstdint>
#include <cstring>
#include <math.h>

#define __global__
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static

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
