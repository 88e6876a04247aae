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

extern "C" __global__ void __launch_bounds__(128) kv_attend_h4_d256_bf16(
    const hy_bf16* __restrict__ q,
    const hy_bf16* __restrict__ k,
    const hy_bf16* __restrict__ v,
    hy_bf16* __restrict__ keys,
    hy_bf16* __restrict__ values,
    hy_bf16* __restrict__ out,
    const long long* __restrict__ clock,
    long long capacity)
{
    __shared__ float qs[256];
    __shared__ float p[128];
    __shared__ float red[128];

    // This token's position, which is also how many tokens the cache holds before it.
    const long long position = clock[0];
    const int tid = (int)threadIdx.x;
    const int c0 = (int)blockIdx.x * 256;
    const long long b = (long long)blockIdx.y;
    const long long src = b * 1024 + c0;
    const long long cache_row = b * capacity;
    const long long dst = (cache_row + position) * 1024 + c0;
    for (int d = tid; d < 256; d += 128) {
        qs[d] = hy_bf16_to_float(q[src + d]);
        keys[dst + d] = k[src + d];
    }
    for (int d = tid; d < 256; d += 128) {
        values[dst + d] = v[src + d];
    }
    // The appended row and qs are read by other threads of this block below.
    __syncthreads();

    const long long count = position + 1;
    float m = __int_as_float(0xff800000);
    float l = 0.0f;
    float acc[2];
    #pragma unroll
    for (int r = 0; r < 2; r++) {
        acc[r] = 0.0f;
    }
    for (long long j0 = 0LL; j0 < count; j0 += 128) {
        const long long j = j0 + tid;
        float score = __int_as_float(0xff800000);
        if (j < count) {
            const long long krow = (cache_row + j) * 1024 + c0;
            float dot = 0.0f;
            for (int d = 0; d < 256; d++) {
                dot += qs[d] * hy_bf16_to_float(keys[krow + d]);
            }
            score = dot * 0.0625f;
        }
        // Tree reduction over the block; red[0] ends up holding the chunk's largest score.
        red[tid] = score;
        __syncthreads();
        for (int stride = 64; stride > 0; stride /= 2) {
            if (tid < stride) {
                red[tid] = fmaxf(red[tid], red[tid + stride]);
            }
            __syncthreads();
        }
        const float m_chunk = red[0];
        __syncthreads();
        const float m_new = fmaxf(m, m_chunk);
        const float alpha = m_new == __int_as_float(0xff800000) ? 1.0f : expf(m - m_new);
        const float w = score == __int_as_float(0xff800000) ? 0.0f : expf(score - m_new);
        p[tid] = w;
        // Tree reduction over the block; red[0] ends up holding the sum of the chunk's weights.
        red[tid] = w;
        __syncthreads();
        for (int stride = 64; stride > 0; stride /= 2) {
            if (tid < stride) {
                red[tid] = red[tid] + red[tid + stride];
            }
            __syncthreads();
        }
        const float w_sum = red[0];
        __syncthreads();
        l = l * alpha + w_sum;
        m = m_new;
        const int n = (int)(count - j0 < 128LL ? count - j0 : 128LL);
        #pragma unroll
        for (int r = 0; r < 2; r++) {
            const int d = tid + r * 128;
            if (d < 256) {
                float sum = acc[r] * alpha;
                for (int jj = 0; jj < n; jj++) {
                    sum += p[jj] * hy_bf16_to_float(values[(cache_row + j0 + jj) * 1024 + c0 + d]);
                }
                acc[r] = sum;
            }
        }
        // p is rewritten by the next chunk.
        __syncthreads();
    }
    #pragma unroll
    for (int r = 0; r < 2; r++) {
        const int d = tid + r * 128;
        if (d < 256) {
            out[src + d] = hy_float_to_bf16(acc[r] / l);
        }
    }
}
