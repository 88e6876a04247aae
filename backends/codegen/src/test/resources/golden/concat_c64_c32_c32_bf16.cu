#include <cuda_bf16.h>

extern "C" __global__ void __launch_bounds__(256) concat_c64_c32_c32_bf16(
    const __nv_bfloat16* __restrict__ x0,
    const __nv_bfloat16* __restrict__ x1,
    const __nv_bfloat16* __restrict__ x2,
    __nv_bfloat16* __restrict__ y,
    long long rows)
{
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
