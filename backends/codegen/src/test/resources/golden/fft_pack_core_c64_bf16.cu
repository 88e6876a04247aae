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

extern "C" __global__ void __launch_bounds__(256) fft_pack_core_c64_bf16(
    const hy_bf16* __restrict__ z,
    float* __restrict__ xp,
    long long length,
    long long n)
{
    __shared__ float tile[1056];

    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    const int tx = (int)threadIdx.x;
    const int ty = (int)threadIdx.y;
    const long long t0 = (long long)blockIdx.x * 32;
    const int c0 = (int)blockIdx.y * 32;
    const long long b = (long long)blockIdx.z;
    // The grid covers 4L >= N steps: blocks past N have nothing to write.
    if (t0 >= n) return;
    // Read 32 steps x 32 channels along the channels (coalesced); the padding reads nothing.
    for (int r = ty; r < 32; r += 8) {
        const long long t = t0 + r;
        const int c = c0 + tx;
        const long long at = (b * length + t) * 64 + c;
        tile[r * 33 + tx] = t < length && c < 64 ? hy_bf16_to_float(z[at * 3 + 1]) * hy_bf16_to_float(z[at * 3 + 2]) : 0.0f;
    }
    __syncthreads();
    // Write them along time (coalesced); the extra column keeps the transposed reads off one bank.
    for (int r = ty; r < 32; r += 8) {
        const int c = c0 + r;
        const long long t = t0 + tx;
        if (c < 64 && t < n) {
            xp[(b * 64 + c) * n + t] = tile[tx * 33 + r];
        }
    }
}
