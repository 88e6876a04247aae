#ifndef HY_BF16_PRELUDE
#define HY_BF16_PRELUDE
typedef unsigned short hy_bf16;
__device__ __forceinline__ float hy_bf16_to_float(hy_bf16 h) {
    return __uint_as_float(((unsigned int) h) << 16);
}
__device__ __forceinline__ hy_bf16 hy_float_to_bf16(float f) {
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (hy_bf16) ((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (hy_bf16) (u >> 16);
}
#endif

extern "C" __global__ void __launch_bounds__(256) concat_c64_c32_c32_bf16(
    const hy_bf16* __restrict__ x0,
    const hy_bf16* __restrict__ x1,
    const hy_bf16* __restrict__ x2,
    hy_bf16* __restrict__ y,
    long long rows)
{
    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    const long long i = (long long)blockIdx.x * 256 + (int)threadIdx.x;
    if (i >= rows * 128) return;
    const long long row = i / 128;
    const int c = (int)(i % 128);
    if (c < 64) {
        y[i] = x0[row * 64 + c];
    } else if (c < 96) {
        y[i] = x1[row * 32 + (c - 64)];
    } else {
        y[i] = x2[row * 32 + (c - 96)];
    }
}
