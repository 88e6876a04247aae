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

extern "C" __global__ void __launch_bounds__(256) gemv_reduce_n512_s3_bf16(
    const float* __restrict__ partials,
    hy_bf16* __restrict__ y,
    long long rows)
{
    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    const long long i = (long long)blockIdx.x * 256 + (int)threadIdx.x;
    if (i >= rows * 512) return;
    const long long m = i / 512;
    const long long feature = i % 512;
    float sum0 = 0.0f;
    for (int split = 0; split < 3; split++) {
        sum0 += partials[((long long)split * rows + m) * 512 + feature];
    }
    const float p0 = sum0;
    y[m * 512 + feature] = hy_float_to_bf16(p0);
}
