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

extern "C" __global__ void __launch_bounds__(256) rope_h32_d128_s128_bf16(
    const hy_bf16* __restrict__ x,
    hy_bf16* __restrict__ y,
    const float* __restrict__ inv_freq,
    long long rows,
    long long length,
    long long y_length,
    long long first_position)
{
    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    const long long e = (long long)blockIdx.x * 256 + (int)threadIdx.x;
    if (e >= rows * 64) return;
    const int i = (int)(e % 64);
    const long long row = e / 64;
    const long long t = row % length;
    const long long src = row * 4096;
    const long long dst = (row / length * y_length + t) * 4096;
    const double theta = (double)(first_position + t) / 128.0 * (double)inv_freq[i];
    const double cs = cos(theta);
    const double sn = sin(theta);
    for (int head = 0; head < 32; head++) {
        const int at = head * 128 + i;
        const double x0 = (double)hy_bf16_to_float(x[src + at]);
        const double x1 = (double)hy_bf16_to_float(x[src + at + 64]);
        y[dst + at] = hy_float_to_bf16((float)(x0 * cs - x1 * sn));
        y[dst + at + 64] = hy_float_to_bf16((float)(x0 * sn + x1 * cs));
    }
}
