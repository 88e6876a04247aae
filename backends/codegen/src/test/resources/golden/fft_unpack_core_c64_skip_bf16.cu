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

extern "C" __global__ void __launch_bounds__(256) fft_unpack_core_c64_skip_bf16(
    const float* __restrict__ yp,
    const hy_bf16* __restrict__ z,
    const float* __restrict__ skip,
    hy_bf16* __restrict__ y,
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
    const float scale = 1.0f / (float)n;
    // Read 32 channels x 32 steps along time (coalesced).
    for (int r = ty; r < 32; r += 8) {
        const int c = c0 + r;
        const long long t = t0 + tx;
        tile[r * 33 + tx] = t < length && c < 64 ? yp[(b * 64 + c) * n + t] : 0.0f;
    }
    __syncthreads();
    // Write along the channels (coalesced), scaled by 1/N, with the skip term.
    for (int r = ty; r < 32; r += 8) {
        const long long t = t0 + r;
        const int c = c0 + tx;
        if (t < length && c < 64) {
            const long long at = (b * length + t) * 64 + c;
            const float v = tile[tx * 33 + r] * scale + skip[c] * (hy_bf16_to_float(z[at * 3 + 1]) * hy_bf16_to_float(z[at * 3 + 2]));
            const float q = hy_bf16_to_float(z[at * 3]);
            y[at] = hy_float_to_bf16(q * v);
        }
    }
}
