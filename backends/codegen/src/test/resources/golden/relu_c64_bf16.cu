#include <cuda_bf16.h>

extern "C" __global__ void __launch_bounds__(256) relu_c64_bf16(
    const __nv_bfloat16* __restrict__ a,
    __nv_bfloat16* __restrict__ y,
    long long rows)
{
    const long long i = (long long)blockIdx.x * 256 + (int)threadIdx.x;
    if (i >= rows * 64) return;
    const float va = __bfloat162float(a[i]);
    y[i] = __float2bfloat16_rn(va > 0.0f ? va : 0.0f);
}
