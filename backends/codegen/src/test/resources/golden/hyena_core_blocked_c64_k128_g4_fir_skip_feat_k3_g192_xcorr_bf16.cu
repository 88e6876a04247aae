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

#ifndef HY_PACK_BF16X2
#define HY_PACK_BF16X2
__device__ __forceinline__ void hy_pack_bf16x2(unsigned int& o0, float i0, float i1) {
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(o0) : "f"(i0), "f"(i1));
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

#ifndef HY_CP_ASYNC_WAIT_2
#define HY_CP_ASYNC_WAIT_2
__device__ __forceinline__ void hy_cp_async_wait_2() {
    asm volatile("cp.async.wait_group 2;" ::: "memory");
}
#endif

#ifndef HY_LD_SHARED_V4
#define HY_LD_SHARED_V4
__device__ __forceinline__ void hy_ld_shared_v4(unsigned int& o0, unsigned int& o1,
        unsigned int& o2, unsigned int& o3, int i0) {
    asm volatile("ld.shared.v4.b32 {%0, %1, %2, %3}, [%4];"
            : "=r"(o0), "=r"(o1), "=r"(o2), "=r"(o3)
            : "r"(i0) : "memory");
}
#endif

#ifndef HY_ST_SHARED_V4
#define HY_ST_SHARED_V4
__device__ __forceinline__ void hy_st_shared_v4(int i0, unsigned int i1, unsigned int i2,
        unsigned int i3, unsigned int i4) {
    asm volatile("st.shared.v4.b32 [%0], {%1, %2, %3, %4};"
            :
            : "r"(i0), "r"(i1), "r"(i2), "r"(i3), "r"(i4) : "memory");
}
#endif

#ifndef HY_UNPACK_BF16X2
#define HY_UNPACK_BF16X2
__device__ __forceinline__ void hy_unpack_bf16x2(float& o0, float& o1, unsigned int i0) {
    asm("shl.b32 %0, %2, 16; and.b32 %1, %2, 0xffff0000;" : "=f"(o0), "=f"(o1) : "r"(i0));
}
#endif

#ifndef HY_LD_SHARED_V4_F32
#define HY_LD_SHARED_V4_F32
__device__ __forceinline__ void hy_ld_shared_v4_f32(float& o0, float& o1, float& o2, float& o3,
        int i0) {
    asm volatile("ld.shared.v4.f32 {%0, %1, %2, %3}, [%4];"
            : "=f"(o0), "=f"(o1), "=f"(o2), "=f"(o3)
            : "r"(i0) : "memory");
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

#ifndef HY_ST_SHARED_V2_F32
#define HY_ST_SHARED_V2_F32
__device__ __forceinline__ void hy_st_shared_v2_f32(int i0, float i1, float i2) {
    asm volatile("st.shared.v2.f32 [%0], {%1, %2};" : : "r"(i0), "f"(i1), "f"(i2) : "memory");
}
#endif

#ifndef HY_ST_GLOBAL_V4
#define HY_ST_GLOBAL_V4
__device__ __forceinline__ void hy_st_global_v4(const void* i0, unsigned int i1, unsigned int i2,
        unsigned int i3, unsigned int i4) {
    asm volatile("st.global.v4.b32 [%0], {%1, %2, %3, %4};"
            :
            : "l"(i0), "r"(i1), "r"(i2), "r"(i3), "r"(i4) : "memory");
}
#endif

extern "C" __global__ void __launch_bounds__(128, 4) hyena_core_blocked_c64_k128_g4_fir_skip_feat_k3_g192_xcorr_bf16(
    const hy_bf16* __restrict__ u,
    const float* __restrict__ feature_h,
    const float* __restrict__ h,
    const float* __restrict__ skip,
    hy_bf16* __restrict__ y,
    long long length)
{
    __shared__ __align__(128) hy_bf16 raw[12288];
    __shared__ __align__(128) hy_bf16 s_ring[9216];
    __shared__ __align__(16) float feature_taps[576];
    __shared__ __align__(16) hy_bf16 tail[768];

    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    const int tid = (int)threadIdx.x;
    const int warp = tid / 32;
    const int lane = tid % 32;
    const int c0 = (int)blockIdx.x * 64;
    const long long seg0 = (long long)blockIdx.y * 2048LL;
    const long long seq = (long long)blockIdx.z * length;
    const int rows = (int)(2048LL < length - seg0 ? 2048LL : length - seg0);
    const int slabs = (rows + 15) / 16;
    const int my_row = tid / 8;
    const int my_column = tid % 8;
    // The row this lane addresses in an ldmatrix of 16 steps x 16 channels (lanes 0-7 steps 0-7 of the warp's first 8 channels,
    // 8-15 steps 8-15, 16-31 the same of the next 8) in ring slot 0; chunk c of ring row r is stored at c ^ (r % 8).
    const int ld_row = lane % 8 + lane / 8 % 2 * 8;
    const int ld_chunk = warp * 2 + lane / 16;
    const int ld_from = (int)__cvta_generic_to_shared(&s_ring[0]) + ld_row * 128 + (ld_chunk ^ (ld_row % 8)) * 16;
    // Strip n of this block is steps [seg0 + 16n, seg0 + 16n + 16); strips -8 ... -1 are the halo, strip -9 is walked for its last 2 rows of u alone.

    // This thread's 16-byte copies of a strip: row, column of the input (elements), place in a staging slot (bytes), and whether
    // the column holds channels below 64 (the last block's may not).
    const int copy0 = tid;
    const int chunk0 = copy0 % 24;
    const int copy_row0 = copy0 / 24;
    const long long copy_column0 = (long long)(c0 * 3 + chunk0 * 8);
    const int copy_slot0 = (int)__cvta_generic_to_shared(&raw[copy_row0 * 192 + chunk0 * 8]);
    const bool copy_inside0 = copy_column0 < 192LL;
    const int copy1 = tid + 128;
    const int chunk1 = copy1 % 24;
    const int copy_row1 = copy1 / 24;
    const long long copy_column1 = (long long)(c0 * 3 + chunk1 * 8);
    const int copy_slot1 = (int)__cvta_generic_to_shared(&raw[copy_row1 * 192 + chunk1 * 8]);
    const bool copy_inside1 = copy_column1 < 192LL;
    const int copy2 = tid + 256;
    const int chunk2 = copy2 % 24;
    const int copy_row2 = copy2 / 24;
    const long long copy_column2 = (long long)(c0 * 3 + chunk2 * 8);
    const int copy_slot2 = (int)__cvta_generic_to_shared(&raw[copy_row2 * 192 + chunk2 * 8]);
    const bool copy_inside2 = copy_column2 < 192LL;

    // The a fragments of the Toeplitz tiles T_d[i][j] = h[16d + i - j] of this warp's filter, from its taps (rounded to bf16):
    // toeplitz[m + 1] = (h[8m + g - 2t], h[8m + g - 2t - 1]), g = lane / 4, t = lane % 4; T_d's fragment is toeplitz[2d + 1],
    // toeplitz[2d + 2], toeplitz[2d], toeplitz[2d + 1].
    const int first_channel = c0 + warp * 16;
    const bool active = first_channel < 64;
    const int group = active ? first_channel / 16 : 0;
    const int diagonal = lane / 4 - lane % 4 * 2;
    unsigned int toeplitz[19];
    hy_pack_bf16x2(toeplitz[0], 0.0f, 0.0f);
    const int j_lo0 = diagonal;
    const float tap_lo0 = j_lo0 >= 0 && j_lo0 < 128 && active ? h[group * 128 + j_lo0] : 0.0f;
    const int j_hi0 = diagonal + -1;
    const float tap_hi0 = j_hi0 >= 0 && j_hi0 < 128 && active ? h[group * 128 + j_hi0] : 0.0f;
    hy_pack_bf16x2(toeplitz[1], tap_hi0, tap_lo0);
    const int j_lo1 = diagonal + 8;
    const float tap_lo1 = j_lo1 >= 0 && j_lo1 < 128 && active ? h[group * 128 + j_lo1] : 0.0f;
    const int j_hi1 = diagonal + 7;
    const float tap_hi1 = j_hi1 >= 0 && j_hi1 < 128 && active ? h[group * 128 + j_hi1] : 0.0f;
    hy_pack_bf16x2(toeplitz[2], tap_hi1, tap_lo1);
    const int j_lo2 = diagonal + 16;
    const float tap_lo2 = j_lo2 >= 0 && j_lo2 < 128 && active ? h[group * 128 + j_lo2] : 0.0f;
    const int j_hi2 = diagonal + 15;
    const float tap_hi2 = j_hi2 >= 0 && j_hi2 < 128 && active ? h[group * 128 + j_hi2] : 0.0f;
    hy_pack_bf16x2(toeplitz[3], tap_hi2, tap_lo2);
    const int j_lo3 = diagonal + 24;
    const float tap_lo3 = j_lo3 >= 0 && j_lo3 < 128 && active ? h[group * 128 + j_lo3] : 0.0f;
    const int j_hi3 = diagonal + 23;
    const float tap_hi3 = j_hi3 >= 0 && j_hi3 < 128 && active ? h[group * 128 + j_hi3] : 0.0f;
    hy_pack_bf16x2(toeplitz[4], tap_hi3, tap_lo3);
    const int j_lo4 = diagonal + 32;
    const float tap_lo4 = j_lo4 >= 0 && j_lo4 < 128 && active ? h[group * 128 + j_lo4] : 0.0f;
    const int j_hi4 = diagonal + 31;
    const float tap_hi4 = j_hi4 >= 0 && j_hi4 < 128 && active ? h[group * 128 + j_hi4] : 0.0f;
    hy_pack_bf16x2(toeplitz[5], tap_hi4, tap_lo4);
    const int j_lo5 = diagonal + 40;
    const float tap_lo5 = j_lo5 >= 0 && j_lo5 < 128 && active ? h[group * 128 + j_lo5] : 0.0f;
    const int j_hi5 = diagonal + 39;
    const float tap_hi5 = j_hi5 >= 0 && j_hi5 < 128 && active ? h[group * 128 + j_hi5] : 0.0f;
    hy_pack_bf16x2(toeplitz[6], tap_hi5, tap_lo5);
    const int j_lo6 = diagonal + 48;
    const float tap_lo6 = j_lo6 >= 0 && j_lo6 < 128 && active ? h[group * 128 + j_lo6] : 0.0f;
    const int j_hi6 = diagonal + 47;
    const float tap_hi6 = j_hi6 >= 0 && j_hi6 < 128 && active ? h[group * 128 + j_hi6] : 0.0f;
    hy_pack_bf16x2(toeplitz[7], tap_hi6, tap_lo6);
    const int j_lo7 = diagonal + 56;
    const float tap_lo7 = j_lo7 >= 0 && j_lo7 < 128 && active ? h[group * 128 + j_lo7] : 0.0f;
    const int j_hi7 = diagonal + 55;
    const float tap_hi7 = j_hi7 >= 0 && j_hi7 < 128 && active ? h[group * 128 + j_hi7] : 0.0f;
    hy_pack_bf16x2(toeplitz[8], tap_hi7, tap_lo7);
    const int j_lo8 = diagonal + 64;
    const float tap_lo8 = j_lo8 >= 0 && j_lo8 < 128 && active ? h[group * 128 + j_lo8] : 0.0f;
    const int j_hi8 = diagonal + 63;
    const float tap_hi8 = j_hi8 >= 0 && j_hi8 < 128 && active ? h[group * 128 + j_hi8] : 0.0f;
    hy_pack_bf16x2(toeplitz[9], tap_hi8, tap_lo8);
    const int j_lo9 = diagonal + 72;
    const float tap_lo9 = j_lo9 >= 0 && j_lo9 < 128 && active ? h[group * 128 + j_lo9] : 0.0f;
    const int j_hi9 = diagonal + 71;
    const float tap_hi9 = j_hi9 >= 0 && j_hi9 < 128 && active ? h[group * 128 + j_hi9] : 0.0f;
    hy_pack_bf16x2(toeplitz[10], tap_hi9, tap_lo9);
    const int j_lo10 = diagonal + 80;
    const float tap_lo10 = j_lo10 >= 0 && j_lo10 < 128 && active ? h[group * 128 + j_lo10] : 0.0f;
    const int j_hi10 = diagonal + 79;
    const float tap_hi10 = j_hi10 >= 0 && j_hi10 < 128 && active ? h[group * 128 + j_hi10] : 0.0f;
    hy_pack_bf16x2(toeplitz[11], tap_hi10, tap_lo10);
    const int j_lo11 = diagonal + 88;
    const float tap_lo11 = j_lo11 >= 0 && j_lo11 < 128 && active ? h[group * 128 + j_lo11] : 0.0f;
    const int j_hi11 = diagonal + 87;
    const float tap_hi11 = j_hi11 >= 0 && j_hi11 < 128 && active ? h[group * 128 + j_hi11] : 0.0f;
    hy_pack_bf16x2(toeplitz[12], tap_hi11, tap_lo11);
    const int j_lo12 = diagonal + 96;
    const float tap_lo12 = j_lo12 >= 0 && j_lo12 < 128 && active ? h[group * 128 + j_lo12] : 0.0f;
    const int j_hi12 = diagonal + 95;
    const float tap_hi12 = j_hi12 >= 0 && j_hi12 < 128 && active ? h[group * 128 + j_hi12] : 0.0f;
    hy_pack_bf16x2(toeplitz[13], tap_hi12, tap_lo12);
    const int j_lo13 = diagonal + 104;
    const float tap_lo13 = j_lo13 >= 0 && j_lo13 < 128 && active ? h[group * 128 + j_lo13] : 0.0f;
    const int j_hi13 = diagonal + 103;
    const float tap_hi13 = j_hi13 >= 0 && j_hi13 < 128 && active ? h[group * 128 + j_hi13] : 0.0f;
    hy_pack_bf16x2(toeplitz[14], tap_hi13, tap_lo13);
    const int j_lo14 = diagonal + 112;
    const float tap_lo14 = j_lo14 >= 0 && j_lo14 < 128 && active ? h[group * 128 + j_lo14] : 0.0f;
    const int j_hi14 = diagonal + 111;
    const float tap_hi14 = j_hi14 >= 0 && j_hi14 < 128 && active ? h[group * 128 + j_hi14] : 0.0f;
    hy_pack_bf16x2(toeplitz[15], tap_hi14, tap_lo14);
    const int j_lo15 = diagonal + 120;
    const float tap_lo15 = j_lo15 >= 0 && j_lo15 < 128 && active ? h[group * 128 + j_lo15] : 0.0f;
    const int j_hi15 = diagonal + 119;
    const float tap_hi15 = j_hi15 >= 0 && j_hi15 < 128 && active ? h[group * 128 + j_hi15] : 0.0f;
    hy_pack_bf16x2(toeplitz[16], tap_hi15, tap_lo15);
    const int j_lo16 = diagonal + 128;
    const float tap_lo16 = j_lo16 >= 0 && j_lo16 < 128 && active ? h[group * 128 + j_lo16] : 0.0f;
    const int j_hi16 = diagonal + 127;
    const float tap_hi16 = j_hi16 >= 0 && j_hi16 < 128 && active ? h[group * 128 + j_hi16] : 0.0f;
    hy_pack_bf16x2(toeplitz[17], tap_hi16, tap_lo16);
    const int j_lo17 = diagonal + 136;
    const float tap_lo17 = j_lo17 >= 0 && j_lo17 < 128 && active ? h[group * 128 + j_lo17] : 0.0f;
    const int j_hi17 = diagonal + 135;
    const float tap_hi17 = j_hi17 >= 0 && j_hi17 < 128 && active ? h[group * 128 + j_hi17] : 0.0f;
    hy_pack_bf16x2(toeplitz[18], tap_hi17, tap_lo17);
    // Skip weights of the 8 channels this thread finishes.
    float skip_w[8];
    const int my_channel = c0 + my_column * 8;
    #pragma unroll
    for (int i = 0; i < 8; i++) {
        skip_w[i] = my_channel < 64 ? skip[my_channel + i] : 0.0f;
    }
    float gate_q[8];
    float bias[8];

    // The featurizer's taps of column c (channel 3 c0 + c of u) for the input j steps back at feature_taps[j * 192 + c]; the tail slot strip -9 reads cleared.
    const int feature_column0 = c0 * 3;
    for (int fill = tid; fill < 576; fill += 128) {
        const int fill_back = fill / 192;
        const int fill_channel = feature_column0 + fill % 192;
        feature_taps[fill] = fill_channel < 192 ? feature_h[fill_channel * 3 + (2 - fill_back)] : 0.0f;
    }
    for (int clear = tid; clear < 768; clear += 128) {
        tail[clear] = hy_float_to_bf16(0.0f);
    }

    // Copies of the first 3 strips (the one before the halo, whose last rows the featurizer reads, first) start before the walk; every pass commits one group, empty or not.
    #pragma unroll
    for (int p = 0; p < 3; p++) {
        if (p - 9 < slabs) {
            const long long t0 = seg0 + ((p - 9) * 16 + copy_row0);
            const bool ok0 = t0 >= 0LL && t0 < length && copy_inside0;
            hy_cp_async_16_zfill(copy_slot0 + p * 6144, u + (ok0 ? (seq + t0) * 192LL + copy_column0 : 0LL),
                    ok0 ? 16 : 0);
            const long long t1 = seg0 + ((p - 9) * 16 + copy_row1);
            const bool ok1 = t1 >= 0LL && t1 < length && copy_inside1;
            hy_cp_async_16_zfill(copy_slot1 + p * 6144, u + (ok1 ? (seq + t1) * 192LL + copy_column1 : 0LL),
                    ok1 ? 16 : 0);
            const long long t2 = seg0 + ((p - 9) * 16 + copy_row2);
            const bool ok2 = t2 >= 0LL && t2 < length && copy_inside2;
            hy_cp_async_16_zfill(copy_slot2 + p * 6144, u + (ok2 ? (seq + t2) * 192LL + copy_column2 : 0LL),
                    ok2 ? 16 : 0);
        }
        hy_cp_async_commit();
    }
    int raw_slot = 0;
    int s_slot = 0;
    int tail_slot = 0;

    for (int n = -9; n < slabs; n++) {
        // Strip n has landed, and every thread is done with strip n - 1's input.
        hy_cp_async_wait_2();
        __syncthreads();
        const int ahead = n + 3;
        if (ahead < slabs) {
            const long long t0 = seg0 + (ahead * 16 + copy_row0);
            const bool ok0 = t0 >= 0LL && t0 < length && copy_inside0;
            hy_cp_async_16_zfill(copy_slot0 + (raw_slot == 0 ? 3 : raw_slot - 1) * 6144,
                    u + (ok0 ? (seq + t0) * 192LL + copy_column0 : 0LL), ok0 ? 16 : 0);
            const long long t1 = seg0 + (ahead * 16 + copy_row1);
            const bool ok1 = t1 >= 0LL && t1 < length && copy_inside1;
            hy_cp_async_16_zfill(copy_slot1 + (raw_slot == 0 ? 3 : raw_slot - 1) * 6144,
                    u + (ok1 ? (seq + t1) * 192LL + copy_column1 : 0LL), ok1 ? 16 : 0);
            const long long t2 = seg0 + (ahead * 16 + copy_row2);
            const bool ok2 = t2 >= 0LL && t2 < length && copy_inside2;
            hy_cp_async_16_zfill(copy_slot2 + (raw_slot == 0 ? 3 : raw_slot - 1) * 6144,
                    u + (ok2 ? (seq + t2) * 192LL + copy_column2 : 0LL), ok2 ? 16 : 0);
        }
        hy_cp_async_commit();
        // z = featurizer(u) of row tid / 8, columns 24 (tid % 8) ... + 23, 8 columns at a time, then s = k * v of its channels into the ring.
        unsigned int packed[12];
        const int from = (int)__cvta_generic_to_shared(&raw[0]) + raw_slot * 6144 + my_row * 384 + my_column * 48;
        hy_ld_shared_v4(packed[0], packed[1], packed[2], packed[3], from);
        hy_ld_shared_v4(packed[4], packed[5], packed[6], packed[7], from + 16);
        hy_ld_shared_v4(packed[8], packed[9], packed[10], packed[11], from + 32);
        // The last 2 rows of u to the tail, for the next strip's first rows.
        if (my_row >= 14) {
            const int tail_to = (int)__cvta_generic_to_shared(&tail[0]) + tail_slot * 768 + (my_row - 14) * 384 + my_column * 48;
            hy_st_shared_v4(tail_to, packed[0], packed[1], packed[2], packed[3]);
            hy_st_shared_v4(tail_to + 16, packed[4], packed[5], packed[6], packed[7]);
            hy_st_shared_v4(tail_to + 32, packed[8], packed[9], packed[10], packed[11]);
        }
        const int tail_from = (int)__cvta_generic_to_shared(&tail[0]) + (1 - tail_slot) * 768 + my_column * 48;
        const int back1 = my_row >= 1 ? from - 384 : tail_from + (my_row + 1) * 384;
        const int back2 = my_row >= 2 ? from - 768 : tail_from + my_row * 384;
        const int taps_from = (int)__cvta_generic_to_shared(&feature_taps[my_column * 24]);
        unsigned int z_packed[12];
        float z_sum[8];
        unsigned int words[4];
        float u_row[8];
        float tap_w[8];
        hy_unpack_bf16x2(u_row[0], u_row[1], packed[0]);
        hy_unpack_bf16x2(u_row[2], u_row[3], packed[1]);
        hy_unpack_bf16x2(u_row[4], u_row[5], packed[2]);
        hy_unpack_bf16x2(u_row[6], u_row[7], packed[3]);
        z_sum[0] = 0.0f;
        z_sum[1] = 0.0f;
        z_sum[2] = 0.0f;
        z_sum[3] = 0.0f;
        z_sum[4] = 0.0f;
        z_sum[5] = 0.0f;
        z_sum[6] = 0.0f;
        z_sum[7] = 0.0f;
        hy_ld_shared_v4_f32(tap_w[0], tap_w[1], tap_w[2], tap_w[3], taps_from);
        hy_ld_shared_v4_f32(tap_w[4], tap_w[5], tap_w[6], tap_w[7], taps_from + 16);
        z_sum[0] += tap_w[0] * u_row[0];
        z_sum[1] += tap_w[1] * u_row[1];
        z_sum[2] += tap_w[2] * u_row[2];
        z_sum[3] += tap_w[3] * u_row[3];
        z_sum[4] += tap_w[4] * u_row[4];
        z_sum[5] += tap_w[5] * u_row[5];
        z_sum[6] += tap_w[6] * u_row[6];
        z_sum[7] += tap_w[7] * u_row[7];
        hy_ld_shared_v4(words[0], words[1], words[2], words[3], back1);
        hy_unpack_bf16x2(u_row[0], u_row[1], words[0]);
        hy_unpack_bf16x2(u_row[2], u_row[3], words[1]);
        hy_unpack_bf16x2(u_row[4], u_row[5], words[2]);
        hy_unpack_bf16x2(u_row[6], u_row[7], words[3]);
        hy_ld_shared_v4_f32(tap_w[0], tap_w[1], tap_w[2], tap_w[3], taps_from + 768);
        hy_ld_shared_v4_f32(tap_w[4], tap_w[5], tap_w[6], tap_w[7], taps_from + 784);
        z_sum[0] += tap_w[0] * u_row[0];
        z_sum[1] += tap_w[1] * u_row[1];
        z_sum[2] += tap_w[2] * u_row[2];
        z_sum[3] += tap_w[3] * u_row[3];
        z_sum[4] += tap_w[4] * u_row[4];
        z_sum[5] += tap_w[5] * u_row[5];
        z_sum[6] += tap_w[6] * u_row[6];
        z_sum[7] += tap_w[7] * u_row[7];
        hy_ld_shared_v4(words[0], words[1], words[2], words[3], back2);
        hy_unpack_bf16x2(u_row[0], u_row[1], words[0]);
        hy_unpack_bf16x2(u_row[2], u_row[3], words[1]);
        hy_unpack_bf16x2(u_row[4], u_row[5], words[2]);
        hy_unpack_bf16x2(u_row[6], u_row[7], words[3]);
        hy_ld_shared_v4_f32(tap_w[0], tap_w[1], tap_w[2], tap_w[3], taps_from + 1536);
        hy_ld_shared_v4_f32(tap_w[4], tap_w[5], tap_w[6], tap_w[7], taps_from + 1552);
        z_sum[0] += tap_w[0] * u_row[0];
        z_sum[1] += tap_w[1] * u_row[1];
        z_sum[2] += tap_w[2] * u_row[2];
        z_sum[3] += tap_w[3] * u_row[3];
        z_sum[4] += tap_w[4] * u_row[4];
        z_sum[5] += tap_w[5] * u_row[5];
        z_sum[6] += tap_w[6] * u_row[6];
        z_sum[7] += tap_w[7] * u_row[7];
        hy_pack_bf16x2(z_packed[0], z_sum[1], z_sum[0]);
        hy_pack_bf16x2(z_packed[1], z_sum[3], z_sum[2]);
        hy_pack_bf16x2(z_packed[2], z_sum[5], z_sum[4]);
        hy_pack_bf16x2(z_packed[3], z_sum[7], z_sum[6]);
        hy_unpack_bf16x2(u_row[0], u_row[1], packed[4]);
        hy_unpack_bf16x2(u_row[2], u_row[3], packed[5]);
        hy_unpack_bf16x2(u_row[4], u_row[5], packed[6]);
        hy_unpack_bf16x2(u_row[6], u_row[7], packed[7]);
        z_sum[0] = 0.0f;
        z_sum[1] = 0.0f;
        z_sum[2] = 0.0f;
        z_sum[3] = 0.0f;
        z_sum[4] = 0.0f;
        z_sum[5] = 0.0f;
        z_sum[6] = 0.0f;
        z_sum[7] = 0.0f;
        hy_ld_shared_v4_f32(tap_w[0], tap_w[1], tap_w[2], tap_w[3], taps_from + 32);
        hy_ld_shared_v4_f32(tap_w[4], tap_w[5], tap_w[6], tap_w[7], taps_from + 48);
        z_sum[0] += tap_w[0] * u_row[0];
        z_sum[1] += tap_w[1] * u_row[1];
        z_sum[2] += tap_w[2] * u_row[2];
        z_sum[3] += tap_w[3] * u_row[3];
        z_sum[4] += tap_w[4] * u_row[4];
        z_sum[5] += tap_w[5] * u_row[5];
        z_sum[6] += tap_w[6] * u_row[6];
        z_sum[7] += tap_w[7] * u_row[7];
        hy_ld_shared_v4(words[0], words[1], words[2], words[3], back1 + 16);
        hy_unpack_bf16x2(u_row[0], u_row[1], words[0]);
        hy_unpack_bf16x2(u_row[2], u_row[3], words[1]);
        hy_unpack_bf16x2(u_row[4], u_row[5], words[2]);
        hy_unpack_bf16x2(u_row[6], u_row[7], words[3]);
        hy_ld_shared_v4_f32(tap_w[0], tap_w[1], tap_w[2], tap_w[3], taps_from + 800);
        hy_ld_shared_v4_f32(tap_w[4], tap_w[5], tap_w[6], tap_w[7], taps_from + 816);
        z_sum[0] += tap_w[0] * u_row[0];
        z_sum[1] += tap_w[1] * u_row[1];
        z_sum[2] += tap_w[2] * u_row[2];
        z_sum[3] += tap_w[3] * u_row[3];
        z_sum[4] += tap_w[4] * u_row[4];
        z_sum[5] += tap_w[5] * u_row[5];
        z_sum[6] += tap_w[6] * u_row[6];
        z_sum[7] += tap_w[7] * u_row[7];
        hy_ld_shared_v4(words[0], words[1], words[2], words[3], back2 + 16);
        hy_unpack_bf16x2(u_row[0], u_row[1], words[0]);
        hy_unpack_bf16x2(u_row[2], u_row[3], words[1]);
        hy_unpack_bf16x2(u_row[4], u_row[5], words[2]);
        hy_unpack_bf16x2(u_row[6], u_row[7], words[3]);
        hy_ld_shared_v4_f32(tap_w[0], tap_w[1], tap_w[2], tap_w[3], taps_from + 1568);
        hy_ld_shared_v4_f32(tap_w[4], tap_w[5], tap_w[6], tap_w[7], taps_from + 1584);
        z_sum[0] += tap_w[0] * u_row[0];
        z_sum[1] += tap_w[1] * u_row[1];
        z_sum[2] += tap_w[2] * u_row[2];
        z_sum[3] += tap_w[3] * u_row[3];
        z_sum[4] += tap_w[4] * u_row[4];
        z_sum[5] += tap_w[5] * u_row[5];
        z_sum[6] += tap_w[6] * u_row[6];
        z_sum[7] += tap_w[7] * u_row[7];
        hy_pack_bf16x2(z_packed[4], z_sum[1], z_sum[0]);
        hy_pack_bf16x2(z_packed[5], z_sum[3], z_sum[2]);
        hy_pack_bf16x2(z_packed[6], z_sum[5], z_sum[4]);
        hy_pack_bf16x2(z_packed[7], z_sum[7], z_sum[6]);
        hy_unpack_bf16x2(u_row[0], u_row[1], packed[8]);
        hy_unpack_bf16x2(u_row[2], u_row[3], packed[9]);
        hy_unpack_bf16x2(u_row[4], u_row[5], packed[10]);
        hy_unpack_bf16x2(u_row[6], u_row[7], packed[11]);
        z_sum[0] = 0.0f;
        z_sum[1] = 0.0f;
        z_sum[2] = 0.0f;
        z_sum[3] = 0.0f;
        z_sum[4] = 0.0f;
        z_sum[5] = 0.0f;
        z_sum[6] = 0.0f;
        z_sum[7] = 0.0f;
        hy_ld_shared_v4_f32(tap_w[0], tap_w[1], tap_w[2], tap_w[3], taps_from + 64);
        hy_ld_shared_v4_f32(tap_w[4], tap_w[5], tap_w[6], tap_w[7], taps_from + 80);
        z_sum[0] += tap_w[0] * u_row[0];
        z_sum[1] += tap_w[1] * u_row[1];
        z_sum[2] += tap_w[2] * u_row[2];
        z_sum[3] += tap_w[3] * u_row[3];
        z_sum[4] += tap_w[4] * u_row[4];
        z_sum[5] += tap_w[5] * u_row[5];
        z_sum[6] += tap_w[6] * u_row[6];
        z_sum[7] += tap_w[7] * u_row[7];
        hy_ld_shared_v4(words[0], words[1], words[2], words[3], back1 + 32);
        hy_unpack_bf16x2(u_row[0], u_row[1], words[0]);
        hy_unpack_bf16x2(u_row[2], u_row[3], words[1]);
        hy_unpack_bf16x2(u_row[4], u_row[5], words[2]);
        hy_unpack_bf16x2(u_row[6], u_row[7], words[3]);
        hy_ld_shared_v4_f32(tap_w[0], tap_w[1], tap_w[2], tap_w[3], taps_from + 832);
        hy_ld_shared_v4_f32(tap_w[4], tap_w[5], tap_w[6], tap_w[7], taps_from + 848);
        z_sum[0] += tap_w[0] * u_row[0];
        z_sum[1] += tap_w[1] * u_row[1];
        z_sum[2] += tap_w[2] * u_row[2];
        z_sum[3] += tap_w[3] * u_row[3];
        z_sum[4] += tap_w[4] * u_row[4];
        z_sum[5] += tap_w[5] * u_row[5];
        z_sum[6] += tap_w[6] * u_row[6];
        z_sum[7] += tap_w[7] * u_row[7];
        hy_ld_shared_v4(words[0], words[1], words[2], words[3], back2 + 32);
        hy_unpack_bf16x2(u_row[0], u_row[1], words[0]);
        hy_unpack_bf16x2(u_row[2], u_row[3], words[1]);
        hy_unpack_bf16x2(u_row[4], u_row[5], words[2]);
        hy_unpack_bf16x2(u_row[6], u_row[7], words[3]);
        hy_ld_shared_v4_f32(tap_w[0], tap_w[1], tap_w[2], tap_w[3], taps_from + 1600);
        hy_ld_shared_v4_f32(tap_w[4], tap_w[5], tap_w[6], tap_w[7], taps_from + 1616);
        z_sum[0] += tap_w[0] * u_row[0];
        z_sum[1] += tap_w[1] * u_row[1];
        z_sum[2] += tap_w[2] * u_row[2];
        z_sum[3] += tap_w[3] * u_row[3];
        z_sum[4] += tap_w[4] * u_row[4];
        z_sum[5] += tap_w[5] * u_row[5];
        z_sum[6] += tap_w[6] * u_row[6];
        z_sum[7] += tap_w[7] * u_row[7];
        hy_pack_bf16x2(z_packed[8], z_sum[1], z_sum[0]);
        hy_pack_bf16x2(z_packed[9], z_sum[3], z_sum[2]);
        hy_pack_bf16x2(z_packed[10], z_sum[5], z_sum[4]);
        hy_pack_bf16x2(z_packed[11], z_sum[7], z_sum[6]);
        float value[24];
        hy_unpack_bf16x2(value[0], value[1], z_packed[0]);
        hy_unpack_bf16x2(value[2], value[3], z_packed[1]);
        hy_unpack_bf16x2(value[4], value[5], z_packed[2]);
        hy_unpack_bf16x2(value[6], value[7], z_packed[3]);
        hy_unpack_bf16x2(value[8], value[9], z_packed[4]);
        hy_unpack_bf16x2(value[10], value[11], z_packed[5]);
        hy_unpack_bf16x2(value[12], value[13], z_packed[6]);
        hy_unpack_bf16x2(value[14], value[15], z_packed[7]);
        hy_unpack_bf16x2(value[16], value[17], z_packed[8]);
        hy_unpack_bf16x2(value[18], value[19], z_packed[9]);
        hy_unpack_bf16x2(value[20], value[21], z_packed[10]);
        hy_unpack_bf16x2(value[22], value[23], z_packed[11]);
        float s_value[8];
        s_value[0] = value[1] * value[2];
        s_value[1] = value[4] * value[5];
        s_value[2] = value[7] * value[8];
        s_value[3] = value[10] * value[11];
        s_value[4] = value[13] * value[14];
        s_value[5] = value[16] * value[17];
        s_value[6] = value[19] * value[20];
        s_value[7] = value[22] * value[23];
        unsigned int s_bf16[4];
        hy_pack_bf16x2(s_bf16[0], s_value[1], s_value[0]);
        hy_pack_bf16x2(s_bf16[1], s_value[3], s_value[2]);
        hy_pack_bf16x2(s_bf16[2], s_value[5], s_value[4]);
        hy_pack_bf16x2(s_bf16[3], s_value[7], s_value[6]);
        hy_st_shared_v4((int)__cvta_generic_to_shared(&s_ring[0]) + s_slot * 2048 + my_row * 128 + (my_column ^ (my_row % 8)) * 16,
                s_bf16[0], s_bf16[1], s_bf16[2], s_bf16[3]);
        if (n >= 0) {
            const float q0 = value[0];
            gate_q[0] = q0;
            bias[0] = gate_q[0] * (skip_w[0] * s_value[0]);
            const float q1 = value[3];
            gate_q[1] = q1;
            bias[1] = gate_q[1] * (skip_w[1] * s_value[1]);
            const float q2 = value[6];
            gate_q[2] = q2;
            bias[2] = gate_q[2] * (skip_w[2] * s_value[2]);
            const float q3 = value[9];
            gate_q[3] = q3;
            bias[3] = gate_q[3] * (skip_w[3] * s_value[3]);
            const float q4 = value[12];
            gate_q[4] = q4;
            bias[4] = gate_q[4] * (skip_w[4] * s_value[4]);
            const float q5 = value[15];
            gate_q[5] = q5;
            bias[5] = gate_q[5] * (skip_w[5] * s_value[5]);
            const float q6 = value[18];
            gate_q[6] = q6;
            bias[6] = gate_q[6] * (skip_w[6] * s_value[6]);
            const float q7 = value[21];
            gate_q[7] = q7;
            bias[7] = gate_q[7] * (skip_w[7] * s_value[7]);
            // s of strip n is in the ring, and its input slot is free for the sums.
            __syncthreads();
            // Warp w: rows 0-15 x channels 16w ... 16w + 15 of the strip = sum over d of T_d times the ring's strip n - d, as b fragments
            // by ldmatrix.trans (registers 0, 1 for channels 0-7, 2, 3 for 8-15).
            float acc[8];
            #pragma unroll
            for (int i = 0; i < 8; i++) {
                acc[i] = 0.0f;
            }
            unsigned int b[4];
            if (active) {
                hy_ldmatrix_x4_trans(b[0], b[1], b[2], b[3], ld_from + s_slot * 2048);
                hy_mma_bf16_m16n8k16(acc[0], acc[1], acc[2], acc[3], toeplitz[1], toeplitz[2], toeplitz[0],
                        toeplitz[1], b[0], b[1]);
                hy_mma_bf16_m16n8k16(acc[4], acc[5], acc[6], acc[7], toeplitz[1], toeplitz[2], toeplitz[0],
                        toeplitz[1], b[2], b[3]);
                hy_ldmatrix_x4_trans(b[0], b[1], b[2], b[3],
                        ld_from + (s_slot >= 1 ? s_slot - 1 : s_slot + 8) * 2048);
                hy_mma_bf16_m16n8k16(acc[0], acc[1], acc[2], acc[3], toeplitz[3], toeplitz[4], toeplitz[2],
                        toeplitz[3], b[0], b[1]);
                hy_mma_bf16_m16n8k16(acc[4], acc[5], acc[6], acc[7], toeplitz[3], toeplitz[4], toeplitz[2],
                        toeplitz[3], b[2], b[3]);
                hy_ldmatrix_x4_trans(b[0], b[1], b[2], b[3],
                        ld_from + (s_slot >= 2 ? s_slot - 2 : s_slot + 7) * 2048);
                hy_mma_bf16_m16n8k16(acc[0], acc[1], acc[2], acc[3], toeplitz[5], toeplitz[6], toeplitz[4],
                        toeplitz[5], b[0], b[1]);
                hy_mma_bf16_m16n8k16(acc[4], acc[5], acc[6], acc[7], toeplitz[5], toeplitz[6], toeplitz[4],
                        toeplitz[5], b[2], b[3]);
                hy_ldmatrix_x4_trans(b[0], b[1], b[2], b[3],
                        ld_from + (s_slot >= 3 ? s_slot - 3 : s_slot + 6) * 2048);
                hy_mma_bf16_m16n8k16(acc[0], acc[1], acc[2], acc[3], toeplitz[7], toeplitz[8], toeplitz[6],
                        toeplitz[7], b[0], b[1]);
                hy_mma_bf16_m16n8k16(acc[4], acc[5], acc[6], acc[7], toeplitz[7], toeplitz[8], toeplitz[6],
                        toeplitz[7], b[2], b[3]);
                hy_ldmatrix_x4_trans(b[0], b[1], b[2], b[3],
                        ld_from + (s_slot >= 4 ? s_slot - 4 : s_slot + 5) * 2048);
                hy_mma_bf16_m16n8k16(acc[0], acc[1], acc[2], acc[3], toeplitz[9], toeplitz[10], toeplitz[8],
                        toeplitz[9], b[0], b[1]);
                hy_mma_bf16_m16n8k16(acc[4], acc[5], acc[6], acc[7], toeplitz[9], toeplitz[10], toeplitz[8],
                        toeplitz[9], b[2], b[3]);
                hy_ldmatrix_x4_trans(b[0], b[1], b[2], b[3],
                        ld_from + (s_slot >= 5 ? s_slot - 5 : s_slot + 4) * 2048);
                hy_mma_bf16_m16n8k16(acc[0], acc[1], acc[2], acc[3], toeplitz[11], toeplitz[12], toeplitz[10],
                        toeplitz[11], b[0], b[1]);
                hy_mma_bf16_m16n8k16(acc[4], acc[5], acc[6], acc[7], toeplitz[11], toeplitz[12], toeplitz[10],
                        toeplitz[11], b[2], b[3]);
                hy_ldmatrix_x4_trans(b[0], b[1], b[2], b[3],
                        ld_from + (s_slot >= 6 ? s_slot - 6 : s_slot + 3) * 2048);
                hy_mma_bf16_m16n8k16(acc[0], acc[1], acc[2], acc[3], toeplitz[13], toeplitz[14], toeplitz[12],
                        toeplitz[13], b[0], b[1]);
                hy_mma_bf16_m16n8k16(acc[4], acc[5], acc[6], acc[7], toeplitz[13], toeplitz[14], toeplitz[12],
                        toeplitz[13], b[2], b[3]);
                hy_ldmatrix_x4_trans(b[0], b[1], b[2], b[3],
                        ld_from + (s_slot >= 7 ? s_slot - 7 : s_slot + 2) * 2048);
                hy_mma_bf16_m16n8k16(acc[0], acc[1], acc[2], acc[3], toeplitz[15], toeplitz[16], toeplitz[14],
                        toeplitz[15], b[0], b[1]);
                hy_mma_bf16_m16n8k16(acc[4], acc[5], acc[6], acc[7], toeplitz[15], toeplitz[16], toeplitz[14],
                        toeplitz[15], b[2], b[3]);
                hy_ldmatrix_x4_trans(b[0], b[1], b[2], b[3],
                        ld_from + (s_slot >= 8 ? s_slot - 8 : s_slot + 1) * 2048);
                hy_mma_bf16_m16n8k16(acc[0], acc[1], acc[2], acc[3], toeplitz[17], toeplitz[18], toeplitz[16],
                        toeplitz[17], b[0], b[1]);
                hy_mma_bf16_m16n8k16(acc[4], acc[5], acc[6], acc[7], toeplitz[17], toeplitz[18], toeplitz[16],
                        toeplitz[17], b[2], b[3]);
                // Accumulator (row g or g + 8, channels 2t, 2t + 1 of each 8) to the staging rows, swizzled as sums_column says.
                hy_st_shared_v2_f32((int)__cvta_generic_to_shared(&raw[0]) + raw_slot * 6144 + (lane / 4 * 72 + ((warp * 16 + lane % 4 * 2) ^ ((warp * 16 + lane % 4 * 2) / 32 % 2 * 4))) * 4,
                        acc[0], acc[1]);
                hy_st_shared_v2_f32((int)__cvta_generic_to_shared(&raw[0]) + raw_slot * 6144 + ((lane / 4 + 8) * 72 + ((warp * 16 + lane % 4 * 2) ^ ((warp * 16 + lane % 4 * 2) / 32 % 2 * 4))) * 4,
                        acc[2], acc[3]);
                hy_st_shared_v2_f32((int)__cvta_generic_to_shared(&raw[0]) + raw_slot * 6144 + (lane / 4 * 72 + ((warp * 16 + 8 + lane % 4 * 2) ^ ((warp * 16 + 8 + lane % 4 * 2) / 32 % 2 * 4))) * 4,
                        acc[4], acc[5]);
                hy_st_shared_v2_f32((int)__cvta_generic_to_shared(&raw[0]) + raw_slot * 6144 + ((lane / 4 + 8) * 72 + ((warp * 16 + 8 + lane % 4 * 2) ^ ((warp * 16 + 8 + lane % 4 * 2) / 32 % 2 * 4))) * 4,
                        acc[6], acc[7]);
            }
            __syncthreads();
            // y = act(q) * (sum + skip * s) for row tid / 8, channels 8 (tid % 8) ... + 7.
            const long long t = seg0 + (n * 16 + my_row);
            if (t < length && c0 + my_column * 8 < 64) {
                float sum[8];
                hy_ld_shared_v4_f32(sum[0], sum[1], sum[2], sum[3],
                        (int)__cvta_generic_to_shared(&raw[0]) + raw_slot * 6144 + (my_row * 72 + ((my_column * 8) ^ (my_column * 8 / 32 % 2 * 4))) * 4);
                hy_ld_shared_v4_f32(sum[4], sum[5], sum[6], sum[7],
                        (int)__cvta_generic_to_shared(&raw[0]) + raw_slot * 6144 + (my_row * 72 + ((my_column * 8 + 4) ^ ((my_column * 8 + 4) / 32 % 2 * 4))) * 4);
                unsigned int y_bf16[4];
                hy_pack_bf16x2(y_bf16[0], gate_q[1] * sum[1] + bias[1], gate_q[0] * sum[0] + bias[0]);
                hy_pack_bf16x2(y_bf16[1], gate_q[3] * sum[3] + bias[3], gate_q[2] * sum[2] + bias[2]);
                hy_pack_bf16x2(y_bf16[2], gate_q[5] * sum[5] + bias[5], gate_q[4] * sum[4] + bias[4]);
                hy_pack_bf16x2(y_bf16[3], gate_q[7] * sum[7] + bias[7], gate_q[6] * sum[6] + bias[6]);
                hy_st_global_v4(y + ((seq + t) * 64LL + (c0 + my_column * 8)), y_bf16[0], y_bf16[1], y_bf16[2],
                        y_bf16[3]);
            }
        }
        raw_slot = raw_slot == 3 ? 0 : raw_slot + 1;
        s_slot = s_slot == 8 ? 0 : s_slot + 1;
        tail_slot = 1 - tail_slot;
    }
}
