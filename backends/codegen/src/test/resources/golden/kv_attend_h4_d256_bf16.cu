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
#ifndef HY_VECTOR_LOAD_PRELUDE
#define HY_VECTOR_LOAD_PRELUDE
struct __align__(16) hy_b128 { unsigned int x, y, z, w; };
struct __align__(8) hy_b64 { unsigned int x, y; };
#ifdef __CUDA_ARCH__
#define HY_LOAD_BITS(T, p, n) return *static_cast<const T*>(p)
#else
#define HY_LOAD_BITS(T, p, n) \
    if (reinterpret_cast<unsigned long long>(p) % (n) != 0) __builtin_trap(); \
    T v; \
    __builtin_memcpy(&v, p, n); \
    return v
#endif
__device__ __forceinline__ hy_b128 hy_load_b128(const void* p) { HY_LOAD_BITS(hy_b128, p, 16); }
__device__ __forceinline__ hy_b64 hy_load_b64(const void* p) { HY_LOAD_BITS(hy_b64, p, 8); }
__device__ __forceinline__ unsigned int hy_load_b32(const void* p) { HY_LOAD_BITS(unsigned int, p, 4); }
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 700
__device__ __forceinline__ hy_b128 hy_stream_b128(const void* p) {
    hy_b128 v;
    asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    return v;
}
__device__ __forceinline__ hy_b64 hy_stream_b64(const void* p) {
    hy_b64 v;
    asm volatile("ld.global.nc.L1::no_allocate.v2.u32 {%0, %1}, [%2];" : "=r"(v.x), "=r"(v.y) : "l"(p));
    return v;
}
__device__ __forceinline__ unsigned int hy_stream_b32(const void* p) {
    unsigned int v;
    asm volatile("ld.global.nc.L1::no_allocate.u32 %0, [%1];" : "=r"(v) : "l"(p));
    return v;
}
#else
__device__ __forceinline__ hy_b128 hy_stream_b128(const void* p) { return hy_load_b128(p); }
__device__ __forceinline__ hy_b64 hy_stream_b64(const void* p) { return hy_load_b64(p); }
__device__ __forceinline__ unsigned int hy_stream_b32(const void* p) { return hy_load_b32(p); }
#endif
#endif

extern "C" __global__ void __launch_bounds__(256) kv_attend_h4_d256_bf16(
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
    __shared__ float sums[2048];
    __shared__ float red[256];

    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    // This token's position, which is also how many tokens the cache holds before it.
    const long long position = clock[0];
    const long long count = position + 1;
    const int tid = (int)threadIdx.x;
    const int c0 = (int)blockIdx.x * 256;
    const long long b = (long long)blockIdx.y;
    const long long src = b * 1024 + c0;
    const long long cache_row = b * capacity;
    const long long dst = (cache_row + position) * 1024 + c0;
    for (int d = tid; d < 256; d += 256) {
        qs[d] = hy_bf16_to_float(q[src + d]);
        keys[dst + d] = k[src + d];
    }
    for (int d = tid; d < 256; d += 256) {
        values[dst + d] = v[src + d];
    }
    // The appended row and qs are read by other threads of this block below.
    __syncthreads();

    const int lane = tid % 32;
    const int warp = tid / 32;
    // Lane l holds dimensions l*8 ... of q, and sums the same dimensions of p*v over its warp's keys.
    float qv[8];
    #pragma unroll
    for (int i = 0; i < 8; i++) {
        const int d = lane * 8 + i;
        qv[i] = d < 256 ? qs[d < 256 ? d : 0] : 0.0f;
    }
    float m = __int_as_float(0xff800000);
    float l = 0.0f;
    float acc[8];
    #pragma unroll
    for (int i = 0; i < 8; i++) {
        acc[i] = 0.0f;
    }
    float kv[128];
    for (long long j0 = 0LL; j0 < count; j0 += 128) {
        // Scores: warp w takes keys j0 + 16w ..., each row read by the whole warp at once, all 16 rows in flight before the sums.
        const long long first = j0 + warp * 16;
        #pragma unroll
        for (int u = 0; u < 16; u++) {
            const long long j = first + u;
            const long long at = (cache_row + j) * 1024 + c0 + lane * 8;
            if (j < count) {
                {
                    const hy_b128 hy_v = hy_load_b128(keys + at);
                    kv[u * 8] = __uint_as_float(hy_v.x << 16);
                    kv[u * 8 + 1] = __uint_as_float(hy_v.x & 0xffff0000u);
                    kv[u * 8 + 2] = __uint_as_float(hy_v.y << 16);
                    kv[u * 8 + 3] = __uint_as_float(hy_v.y & 0xffff0000u);
                    kv[u * 8 + 4] = __uint_as_float(hy_v.z << 16);
                    kv[u * 8 + 5] = __uint_as_float(hy_v.z & 0xffff0000u);
                    kv[u * 8 + 6] = __uint_as_float(hy_v.w << 16);
                    kv[u * 8 + 7] = __uint_as_float(hy_v.w & 0xffff0000u);
                }
            } else {
                kv[u * 8] = 0.0f;
                kv[u * 8 + 1] = 0.0f;
                kv[u * 8 + 2] = 0.0f;
                kv[u * 8 + 3] = 0.0f;
                kv[u * 8 + 4] = 0.0f;
                kv[u * 8 + 5] = 0.0f;
                kv[u * 8 + 6] = 0.0f;
                kv[u * 8 + 7] = 0.0f;
            }
        }
        #pragma unroll
        for (int u = 0; u < 16; u++) {
            float dot = 0.0f;
            #pragma unroll
            for (int i = 0; i < 8; i++) {
                dot += qv[i] * kv[u * 8 + i];
            }
            dot += __shfl_xor_sync(0xffffffffu, dot, 16);
            dot += __shfl_xor_sync(0xffffffffu, dot, 8);
            dot += __shfl_xor_sync(0xffffffffu, dot, 4);
            dot += __shfl_xor_sync(0xffffffffu, dot, 2);
            dot += __shfl_xor_sync(0xffffffffu, dot, 1);
            if (lane == 0) {
                p[warp * 16 + u] = first + u < count ? dot * 0.0625f : __int_as_float(0xff800000);
            }
        }
        // The chunk's scores are all in p.
        __syncthreads();
        const bool in_chunk = tid < 128;
        const float score = in_chunk ? p[in_chunk ? tid : 0] : __int_as_float(0xff800000);
        // Tree reduction over the block; red[0] ends up holding the chunk's largest score.
        red[tid] = score;
        __syncthreads();
        for (int stride = 128; stride > 0; stride /= 2) {
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
        if (in_chunk) {
            p[tid] = w;
        }
        // Tree reduction over the block; red[0] ends up holding the sum of the chunk's weights.
        red[tid] = w;
        __syncthreads();
        for (int stride = 128; stride > 0; stride /= 2) {
            if (tid < stride) {
                red[tid] = red[tid] + red[tid + stride];
            }
            __syncthreads();
        }
        const float w_sum = red[0];
        __syncthreads();
        l = l * alpha + w_sum;
        m = m_new;
        // p * v over the warp's keys, the value rows in flight together; every warp's sums scale by the same alpha.
        #pragma unroll
        for (int u = 0; u < 16; u++) {
            const long long j = first + u;
            const long long at = (cache_row + j) * 1024 + c0 + lane * 8;
            if (j < count) {
                {
                    const hy_b128 hy_v = hy_load_b128(values + at);
                    kv[u * 8] = __uint_as_float(hy_v.x << 16);
                    kv[u * 8 + 1] = __uint_as_float(hy_v.x & 0xffff0000u);
                    kv[u * 8 + 2] = __uint_as_float(hy_v.y << 16);
                    kv[u * 8 + 3] = __uint_as_float(hy_v.y & 0xffff0000u);
                    kv[u * 8 + 4] = __uint_as_float(hy_v.z << 16);
                    kv[u * 8 + 5] = __uint_as_float(hy_v.z & 0xffff0000u);
                    kv[u * 8 + 6] = __uint_as_float(hy_v.w << 16);
                    kv[u * 8 + 7] = __uint_as_float(hy_v.w & 0xffff0000u);
                }
            } else {
                kv[u * 8] = 0.0f;
                kv[u * 8 + 1] = 0.0f;
                kv[u * 8 + 2] = 0.0f;
                kv[u * 8 + 3] = 0.0f;
                kv[u * 8 + 4] = 0.0f;
                kv[u * 8 + 5] = 0.0f;
                kv[u * 8 + 6] = 0.0f;
                kv[u * 8 + 7] = 0.0f;
            }
        }
        #pragma unroll
        for (int i = 0; i < 8; i++) {
            acc[i] = acc[i] * alpha;
        }
        #pragma unroll
        for (int u = 0; u < 16; u++) {
            const float weight = p[warp * 16 + u];
            #pragma unroll
            for (int i = 0; i < 8; i++) {
                acc[i] += weight * kv[u * 8 + i];
            }
        }
        // p is rewritten by the next chunk.
        __syncthreads();
    }
    // The warps' sums, added in warp order.
    #pragma unroll
    for (int i = 0; i < 8; i++) {
        const int d = lane * 8 + i;
        if (d < 256) {
            sums[warp * 256 + d] = acc[i];
        }
    }
    __syncthreads();
    for (int d = tid; d < 256; d += 256) {
        float total = 0.0f;
        #pragma unroll
        for (int from = 0; from < 8; from++) {
            total += sums[from * 256 + d];
        }
        out[src + d] = hy_float_to_bf16(total / l);
    }
}
