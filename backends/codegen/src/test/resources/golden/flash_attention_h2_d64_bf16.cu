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

#ifndef HY_CP_ASYNC_16
#define HY_CP_ASYNC_16
__device__ __forceinline__ void hy_cp_async_16(int i0, const void* i1) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" : : "r"(i0), "l"(i1) : "memory");
}
#endif

#ifndef HY_CP_ASYNC_16_ZFILL
#define HY_CP_ASYNC_16_ZFILL
__device__ __forceinline__ void hy_cp_async_16_zfill(int i0, const void* i1, int i2) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
            :
            : "r"(i0), "l"(i1), "r"(i2) : "memory");
}
#endif

#ifndef HY_CP_ASYNC_COMMIT
#define HY_CP_ASYNC_COMMIT
__device__ __forceinline__ void hy_cp_async_commit() {
    asm volatile("cp.async.commit_group;" ::: "memory");
}
#endif

#ifndef HY_CP_ASYNC_WAIT_0
#define HY_CP_ASYNC_WAIT_0
__device__ __forceinline__ void hy_cp_async_wait_0() {
    asm volatile("cp.async.wait_group 0;" ::: "memory");
}
#endif

#ifndef HY_LDMATRIX_X4
#define HY_LDMATRIX_X4
__device__ __forceinline__ void hy_ldmatrix_x4(unsigned int& o0, unsigned int& o1, unsigned int& o2,
        unsigned int& o3, int i0) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
            : "=r"(o0), "=r"(o1), "=r"(o2), "=r"(o3)
            : "r"(i0));
}
#endif

#ifndef HY_MMA_BF16_M16N8K16
#define HY_MMA_BF16_M16N8K16
__device__ __forceinline__ void hy_mma_bf16_m16n8k16(float& o0, float& o1, float& o2, float& o3,
        unsigned int i0, unsigned int i1, unsigned int i2, unsigned int i3, unsigned int i4,
        unsigned int i5) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
            : "+f"(o0), "+f"(o1), "+f"(o2), "+f"(o3)
            : "r"(i0), "r"(i1), "r"(i2), "r"(i3), "r"(i4), "r"(i5));
}
#endif

#ifndef HY_EX2_APPROX
#define HY_EX2_APPROX
__device__ __forceinline__ void hy_ex2_approx(float& o0, float i0) {
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(o0) : "f"(i0));
}
#endif

#ifndef HY_PACK_BF16X2
#define HY_PACK_BF16X2
__device__ __forceinline__ void hy_pack_bf16x2(unsigned int& o0, float i0, float i1) {
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(o0) : "f"(i0), "f"(i1));
}
#endif

#ifndef HY_LDMATRIX_X4_TRANS
#define HY_LDMATRIX_X4_TRANS
__device__ __forceinline__ void hy_ldmatrix_x4_trans(unsigned int& o0, unsigned int& o1,
        unsigned int& o2, unsigned int& o3, int i0) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
            : "=r"(o0), "=r"(o1), "=r"(o2), "=r"(o3)
            : "r"(i0));
}
#endif

extern "C" __global__ void __launch_bounds__(128) flash_attention_h2_d64_bf16(
    const hy_bf16* __restrict__ q,
    const hy_bf16* __restrict__ k,
    const hy_bf16* __restrict__ v,
    hy_bf16* __restrict__ out,
    long long length)
{
    __shared__ __align__(128) hy_bf16 kv[8192];

    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    const int tid = (int)threadIdx.x;
    const int warp = tid / 32;
    const int lane = tid % 32;
    const int head = (int)blockIdx.x % 2;
    const long long seq = (long long)((int)blockIdx.x / 2) * length;
    // The last query tiles have the most keys: the first blocks take them.
    const int tile = (int)gridDim.y - 1 - (int)blockIdx.y;
    const int q0 = tile * 64;

    // Tile rows are 64 bf16 = 8 chunks of 16 bytes; chunk c of row r is stored at c ^ (r % 8),
    // so 8 rows of one chunk column (an ldmatrix) fall in 8 distinct banks.
    const int ld_row = tid / 8;
    const int ld_chunk = tid % 8;
    const int ld_column = head * 64 + ld_chunk * 8;
    const int ld_slot = ld_row * 64 + (ld_chunk ^ (ld_row % 8)) * 8;
    const long long ld_source = seq * 128 + ld_column;
    const int store = (int)__cvta_generic_to_shared(&kv[ld_slot]);
    // The row this lane addresses in an ldmatrix of 16 rows x 2 chunks: lanes 0-7 give rows 0-7 of chunk 0, lanes 8-15
    // rows 8-15 of chunk 0, lanes 16-31 the same of chunk 1. q, k and v are all read so, k and v from one address.
    const int read_row = lane % 8 + lane / 8 % 2 * 8;
    const int read = (int)__cvta_generic_to_shared(&kv[0]) + read_row * 128 + ((lane / 16) ^ (lane % 8)) * 16;

    // This block's queries through shared memory into registers (rows past the end read as zeros).
    const long long q_first = ld_source + ((long long)q0 + ld_row) * 128;
    if (q0 + 64 <= length) {
        #pragma unroll
        for (int pass = 0; pass < 4; pass++) {
            hy_cp_async_16(store + pass * 2048, q + (q_first + (long long)(pass * 16) * 128));
        }
    } else {
        const long long q_last = length - 1 - q0 - ld_row;
        #pragma unroll
        for (int pass = 0; pass < 4; pass++) {
            hy_cp_async_16_zfill(store + pass * 2048,
                    q + (q_first + ((long long)(pass * 16) < q_last ? (long long)(pass * 16) : q_last) * 128),
                    pass * 16 <= q_last ? 16 : 0);
        }
    }
    hy_cp_async_commit();
    hy_cp_async_wait_0();
    __syncthreads();
    unsigned int qf[16];
    // The warp's 16 queries x 16 dims as an a fragment: rows 0-7 and 8-15 of dims 0-7, then of dims 8-15.
    #pragma unroll
    for (int ds = 0; ds < 4; ds++) {
        hy_ldmatrix_x4(qf[ds * 4], qf[ds * 4 + 1], qf[ds * 4 + 2], qf[ds * 4 + 3],
                (read ^ (ds % 4 * 32)) + ds / 4 * 128 + warp * 2048);
    }
    // Every warp has its queries before the first keys overwrite them.
    __syncthreads();
    const long long k_first = ld_source + ((long long)0 + ld_row) * 128;
    if (64 <= length) {
        #pragma unroll
        for (int pass = 0; pass < 4; pass++) {
            hy_cp_async_16(store + pass * 2048, k + (k_first + (long long)(pass * 16) * 128));
        }
    } else {
        const long long k_last = length - 1 - ld_row;
        #pragma unroll
        for (int pass = 0; pass < 4; pass++) {
            hy_cp_async_16_zfill(store + pass * 2048,
                    k + (k_first + ((long long)(pass * 16) < k_last ? (long long)(pass * 16) : k_last) * 128),
                    pass * 16 <= k_last ? 16 : 0);
        }
    }
    hy_cp_async_commit();
    float o[32];
    #pragma unroll
    for (int i = 0; i < 32; i++) {
        o[i] = 0.0f;
    }
    // Rows lane / 4 and lane / 4 + 8 of the warp's 16: running maxima (of unscaled scores) and this lane's part of the sums.
    float m0 = __int_as_float(0xff800000);
    float m1 = __int_as_float(0xff800000);
    float l0 = 0.0f;
    float l1 = 0.0f;
    float sc[32];
    unsigned int kf[4];
    unsigned int vf[4];
    unsigned int pf[4];

    for (int kt = 0; kt < tile + 1; kt++) {
        const int k0 = kt * 64;
        // K of this tile has landed, and every warp is done with the previous V.
        hy_cp_async_wait_0();
        __syncthreads();
        const long long v_first = ld_source + ((long long)k0 + ld_row) * 128;
        if (k0 + 64 <= length) {
            #pragma unroll
            for (int pass = 0; pass < 4; pass++) {
                hy_cp_async_16(store + 8192 + pass * 2048, v + (v_first + (long long)(pass * 16) * 128));
            }
        } else {
            const long long v_last = length - 1 - k0 - ld_row;
            #pragma unroll
            for (int pass = 0; pass < 4; pass++) {
                hy_cp_async_16_zfill(store + 8192 + pass * 2048,
                        v + (v_first + ((long long)(pass * 16) < v_last ? (long long)(pass * 16) : v_last) * 128),
                        pass * 16 <= v_last ? 16 : 0);
            }
        }
        hy_cp_async_commit();
        // Scores s = q k^T of 16 queries x 64 keys. One ldmatrix of 16 keys x 16 dims gives the b fragments of
        // two 8-key tiles: registers 0 and 2 for keys 0-7, 1 and 3 for keys 8-15.
        #pragma unroll
        for (int i = 0; i < 32; i++) {
            sc[i] = 0.0f;
        }
        #pragma unroll
        for (int ds = 0; ds < 4; ds++) {
            #pragma unroll
            for (int kp = 0; kp < 4; kp++) {
                hy_ldmatrix_x4(kf[0], kf[1], kf[2], kf[3], (read ^ (ds % 4 * 32)) + ds / 4 * 128 + kp * 2048);
                hy_mma_bf16_m16n8k16(sc[kp * 8], sc[kp * 8 + 1], sc[kp * 8 + 2], sc[kp * 8 + 3], qf[ds * 4],
                        qf[ds * 4 + 1], qf[ds * 4 + 2], qf[ds * 4 + 3], kf[0], kf[2]);
                hy_mma_bf16_m16n8k16(sc[kp * 8 + 4], sc[kp * 8 + 4 + 1], sc[kp * 8 + 4 + 2], sc[kp * 8 + 4 + 3],
                        qf[ds * 4], qf[ds * 4 + 1], qf[ds * 4 + 2], qf[ds * 4 + 3], kf[1], kf[3]);
            }
        }
        // On the diagonal tile, key j is in the future of query i when j > i.
        if (kt == tile) {
            #pragma unroll
            for (int n = 0; n < 8; n++) {
                #pragma unroll
                for (int e = 0; e < 4; e++) {
                    sc[n * 4 + e] = n * 8 + lane % 4 * 2 + e % 2 > warp * 16 + lane / 4 + e / 2 * 8 ? __int_as_float(0xff800000) : sc[n * 4 + e];
                }
            }
        }
        // Online softmax: new row maxima (over the 4 lanes sharing a row), rescale what came before, p = 2^(s*c - m*c).
        float t0 = m0;
        float t1 = m1;
        #pragma unroll
        for (int n = 0; n < 8; n++) {
            t0 = fmaxf(t0, fmaxf(sc[n * 4], sc[n * 4 + 1]));
            t1 = fmaxf(t1, fmaxf(sc[n * 4 + 2], sc[n * 4 + 3]));
        }
        t0 = fmaxf(t0, __shfl_xor_sync(0xffffffffu, t0, 1));
        t1 = fmaxf(t1, __shfl_xor_sync(0xffffffffu, t1, 1));
        t0 = fmaxf(t0, __shfl_xor_sync(0xffffffffu, t0, 2));
        t1 = fmaxf(t1, __shfl_xor_sync(0xffffffffu, t1, 2));
        // A row that has seen only masked keys keeps m = -inf; shift it by 0 instead, so no inf - inf.
        const float shift0 = t0 == __int_as_float(0xff800000) ? 0.0f : t0 * 0.18033688f;
        const float shift1 = t1 == __int_as_float(0xff800000) ? 0.0f : t1 * 0.18033688f;
        float alpha0 = 0.0f;
        float alpha1 = 0.0f;
        hy_ex2_approx(alpha0, m0 * 0.18033688f - shift0);
        hy_ex2_approx(alpha1, m1 * 0.18033688f - shift1);
        m0 = t0;
        m1 = t1;
        l0 = l0 * alpha0;
        l1 = l1 * alpha1;
        #pragma unroll
        for (int n = 0; n < 8; n++) {
            hy_ex2_approx(sc[n * 4], sc[n * 4] * 0.18033688f - shift0);
            l0 += sc[n * 4];
            hy_ex2_approx(sc[n * 4 + 1], sc[n * 4 + 1] * 0.18033688f - shift0);
            l0 += sc[n * 4 + 1];
            hy_ex2_approx(sc[n * 4 + 2], sc[n * 4 + 2] * 0.18033688f - shift1);
            l1 += sc[n * 4 + 2];
            hy_ex2_approx(sc[n * 4 + 3], sc[n * 4 + 3] * 0.18033688f - shift1);
            l1 += sc[n * 4 + 3];
        }
        #pragma unroll
        for (int n = 0; n < 8; n++) {
            o[n * 4] *= alpha0;
            o[n * 4 + 1] *= alpha0;
            o[n * 4 + 2] *= alpha1;
            o[n * 4 + 3] *= alpha1;
        }
        // V of this tile has landed, and every warp is done with K: fetch the next K during p v.
        hy_cp_async_wait_0();
        __syncthreads();
        if (kt < tile) {
            const long long next_first = ld_source + ((long long)(k0 + 64) + ld_row) * 128;
            if (k0 + 64 + 64 <= length) {
                #pragma unroll
                for (int pass = 0; pass < 4; pass++) {
                    hy_cp_async_16(store + pass * 2048, k + (next_first + (long long)(pass * 16) * 128));
                }
            } else {
                const long long next_last = length - 1 - (k0 + 64) - ld_row;
                #pragma unroll
                for (int pass = 0; pass < 4; pass++) {
                    hy_cp_async_16_zfill(store + pass * 2048,
                            k + (next_first + ((long long)(pass * 16) < next_last ? (long long)(pass * 16) : next_last) * 128),
                            pass * 16 <= next_last ? 16 : 0);
                }
            }
            hy_cp_async_commit();
        }
        // o += p v: the score accumulators of two 8-key tiles are, as bf16 pairs, the a fragment of 16 keys.
        #pragma unroll
        for (int kstep = 0; kstep < 4; kstep++) {
            hy_pack_bf16x2(pf[0], sc[kstep * 8 + 1], sc[kstep * 8]);
            hy_pack_bf16x2(pf[1], sc[kstep * 8 + 3], sc[kstep * 8 + 2]);
            hy_pack_bf16x2(pf[2], sc[kstep * 8 + 5], sc[kstep * 8 + 4]);
            hy_pack_bf16x2(pf[3], sc[kstep * 8 + 7], sc[kstep * 8 + 6]);
            #pragma unroll
            for (int dp = 0; dp < 4; dp++) {
                hy_ldmatrix_x4_trans(vf[0], vf[1], vf[2], vf[3],
                        (read ^ (dp % 4 * 32)) + dp / 4 * 128 + 8192 + kstep * 2048);
                hy_mma_bf16_m16n8k16(o[dp * 8], o[dp * 8 + 1], o[dp * 8 + 2], o[dp * 8 + 3], pf[0], pf[1], pf[2],
                        pf[3], vf[0], vf[1]);
                hy_mma_bf16_m16n8k16(o[dp * 8 + 4], o[dp * 8 + 4 + 1], o[dp * 8 + 4 + 2], o[dp * 8 + 4 + 3], pf[0],
                        pf[1], pf[2], pf[3], vf[2], vf[3]);
            }
        }
    }

    // Whole row sums (each lane holds a quarter of a row's columns), then out = o / l for the rows that exist.
    l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
    l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
    const float inv0 = 1.0f / l0;
    const float inv1 = 1.0f / l1;
    const int r0 = q0 + warp * 16 + lane / 4;
    const int column = head * 64 + lane % 4 * 2;
    if (r0 < length) {
        const long long at0 = (seq + r0) * 128 + column;
        #pragma unroll
        for (int n = 0; n < 8; n++) {
            out[at0 + n * 8] = hy_float_to_bf16(o[n * 4] * inv0);
            out[at0 + n * 8 + 1] = hy_float_to_bf16(o[n * 4 + 1] * inv0);
        }
    }
    if (r0 + 8 < length) {
        const long long at1 = (seq + (r0 + 8)) * 128 + column;
        #pragma unroll
        for (int n = 0; n < 8; n++) {
            out[at1 + n * 8] = hy_float_to_bf16(o[n * 4 + 2] * inv1);
            out[at1 + n * 8 + 1] = hy_float_to_bf16(o[n * 4 + 3] * inv1);
        }
    }
}
