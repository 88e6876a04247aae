#include <cuda_bf16.h>

extern "C" __global__ void __launch_bounds__(256) rope_h32_d128_s128_bf16(
    const __nv_bfloat16* __restrict__ x,
    __nv_bfloat16* __restrict__ y,
    const float* __restrict__ inv_freq,
    long long rows,
    long long length,
    long long y_length,
    long long first_position)
{
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
        const double x0 = (double)__bfloat162float(x[src + at]);
        const double x1 = (double)__bfloat162float(x[src + at + 64]);
        y[dst + at] = __float2bfloat16_rn((float)(x0 * cs - x1 * sn));
        y[dst + at + 64] = __float2bfloat16_rn((float)(x0 * sn + x1 * cs));
    }
}
