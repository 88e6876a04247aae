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

#ifndef HY_WGMMA_DESC128
#define HY_WGMMA_DESC128
__device__ __forceinline__ void hy_wgmma_desc128(long long& o0, int i0, long long i1) {
    asm("{ .reg .b64 t; cvt.u64.u32 t, %1; shr.b64 t, t, 4; and.b64 t, t, 16383; or.b64 %0, t, %2; }"
            : "=l"(o0)
            : "r"(i0), "l"(i1));
}
#endif

#ifndef HY_CP_ASYNC_WAIT_1
#define HY_CP_ASYNC_WAIT_1
__device__ __forceinline__ void hy_cp_async_wait_1() {
    asm volatile("cp.async.wait_group 1;" ::: "memory");
}
#endif

#ifndef HY_FENCE_PROXY_ASYNC
#define HY_FENCE_PROXY_ASYNC
__device__ __forceinline__ void hy_fence_proxy_async() {
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}
#endif

#ifndef HY_WGMMA_FENCE
#define HY_WGMMA_FENCE
__device__ __forceinline__ void hy_wgmma_fence() {
    asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
}
#endif

#ifndef HY_WGMMA_M64N128K16_BF16_RS_K
#define HY_WGMMA_M64N128K16_BF16_RS_K
__device__ __forceinline__ void hy_wgmma_m64n128k16_bf16_rs_k(float& o0, float& o1, float& o2,
        float& o3, float& o4, float& o5, float& o6, float& o7, float& o8, float& o9, float& o10, float& o11,
        float& o12, float& o13, float& o14, float& o15, float& o16, float& o17, float& o18, float& o19,
        float& o20, float& o21, float& o22, float& o23, float& o24, float& o25, float& o26, float& o27,
        float& o28, float& o29, float& o30, float& o31, float& o32, float& o33, float& o34, float& o35,
        float& o36, float& o37, float& o38, float& o39, float& o40, float& o41, float& o42, float& o43,
        float& o44, float& o45, float& o46, float& o47, float& o48, float& o49, float& o50, float& o51,
        float& o52, float& o53, float& o54, float& o55, float& o56, float& o57, float& o58, float& o59,
        float& o60, float& o61, float& o62, float& o63, unsigned int i0, unsigned int i1, unsigned int i2,
        unsigned int i3, long long i4, int i5) {
    asm volatile("{ .reg .pred p; setp.ne.b32 p, %69, 0; wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, %68, p, 1, 1, 0; }"
            : "+f"(o0), "+f"(o1), "+f"(o2), "+f"(o3), "+f"(o4), "+f"(o5), "+f"(o6), "+f"(o7), "+f"(o8), "+f"(o9), "+f"(o10), "+f"(o11), "+f"(o12), "+f"(o13), "+f"(o14), "+f"(o15), "+f"(o16), "+f"(o17), "+f"(o18), "+f"(o19), "+f"(o20), "+f"(o21), "+f"(o22), "+f"(o23), "+f"(o24), "+f"(o25), "+f"(o26), "+f"(o27), "+f"(o28), "+f"(o29), "+f"(o30), "+f"(o31), "+f"(o32), "+f"(o33), "+f"(o34), "+f"(o35), "+f"(o36), "+f"(o37), "+f"(o38), "+f"(o39), "+f"(o40), "+f"(o41), "+f"(o42), "+f"(o43), "+f"(o44), "+f"(o45), "+f"(o46), "+f"(o47), "+f"(o48), "+f"(o49), "+f"(o50), "+f"(o51), "+f"(o52), "+f"(o53), "+f"(o54), "+f"(o55), "+f"(o56), "+f"(o57), "+f"(o58), "+f"(o59), "+f"(o60), "+f"(o61), "+f"(o62), "+f"(o63)
            : "r"(i0), "r"(i1), "r"(i2), "r"(i3), "l"(i4), "r"(i5) : "memory");
}
#endif

#ifndef HY_WGMMA_COMMIT
#define HY_WGMMA_COMMIT
__device__ __forceinline__ void hy_wgmma_commit() {
    asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
}
#endif

#ifndef HY_WGMMA_WAIT_0_F64
#define HY_WGMMA_WAIT_0_F64
__device__ __forceinline__ void hy_wgmma_wait_0_f64(float& o0, float& o1, float& o2, float& o3,
        float& o4, float& o5, float& o6, float& o7, float& o8, float& o9, float& o10, float& o11,
        float& o12, float& o13, float& o14, float& o15, float& o16, float& o17, float& o18, float& o19,
        float& o20, float& o21, float& o22, float& o23, float& o24, float& o25, float& o26, float& o27,
        float& o28, float& o29, float& o30, float& o31, float& o32, float& o33, float& o34, float& o35,
        float& o36, float& o37, float& o38, float& o39, float& o40, float& o41, float& o42, float& o43,
        float& o44, float& o45, float& o46, float& o47, float& o48, float& o49, float& o50, float& o51,
        float& o52, float& o53, float& o54, float& o55, float& o56, float& o57, float& o58, float& o59,
        float& o60, float& o61, float& o62, float& o63) {
    asm volatile("wgmma.wait_group.sync.aligned 0; // %0 %1 %2 %3 %4 %5 %6 %7 %8 %9 %10 %11 %12 %13 %14 %15 %16 %17 %18 %19 %20 %21 %22 %23 %24 %25 %26 %27 %28 %29 %30 %31 %32 %33 %34 %35 %36 %37 %38 %39 %40 %41 %42 %43 %44 %45 %46 %47 %48 %49 %50 %51 %52 %53 %54 %55 %56 %57 %58 %59 %60 %61 %62 %63"
            : "+f"(o0), "+f"(o1), "+f"(o2), "+f"(o3), "+f"(o4), "+f"(o5), "+f"(o6), "+f"(o7), "+f"(o8), "+f"(o9), "+f"(o10), "+f"(o11), "+f"(o12), "+f"(o13), "+f"(o14), "+f"(o15), "+f"(o16), "+f"(o17), "+f"(o18), "+f"(o19), "+f"(o20), "+f"(o21), "+f"(o22), "+f"(o23), "+f"(o24), "+f"(o25), "+f"(o26), "+f"(o27), "+f"(o28), "+f"(o29), "+f"(o30), "+f"(o31), "+f"(o32), "+f"(o33), "+f"(o34), "+f"(o35), "+f"(o36), "+f"(o37), "+f"(o38), "+f"(o39), "+f"(o40), "+f"(o41), "+f"(o42), "+f"(o43), "+f"(o44), "+f"(o45), "+f"(o46), "+f"(o47), "+f"(o48), "+f"(o49), "+f"(o50), "+f"(o51), "+f"(o52), "+f"(o53), "+f"(o54), "+f"(o55), "+f"(o56), "+f"(o57), "+f"(o58), "+f"(o59), "+f"(o60), "+f"(o61), "+f"(o62), "+f"(o63)
            : : "memory");
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

#ifndef HY_WGMMA_M64N64K16_BF16_RS_MN
#define HY_WGMMA_M64N64K16_BF16_RS_MN
__device__ __forceinline__ void hy_wgmma_m64n64k16_bf16_rs_mn(float& o0, float& o1, float& o2,
        float& o3, float& o4, float& o5, float& o6, float& o7, float& o8, float& o9, float& o10, float& o11,
        float& o12, float& o13, float& o14, float& o15, float& o16, float& o17, float& o18, float& o19,
        float& o20, float& o21, float& o22, float& o23, float& o24, float& o25, float& o26, float& o27,
        float& o28, float& o29, float& o30, float& o31, unsigned int i0, unsigned int i1, unsigned int i2,
        unsigned int i3, long long i4, int i5) {
    asm volatile("{ .reg .pred p; setp.ne.b32 p, %37, 0; wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, {%32, %33, %34, %35}, %36, p, 1, 1, 1; }"
            : "+f"(o0), "+f"(o1), "+f"(o2), "+f"(o3), "+f"(o4), "+f"(o5), "+f"(o6), "+f"(o7), "+f"(o8), "+f"(o9), "+f"(o10), "+f"(o11), "+f"(o12), "+f"(o13), "+f"(o14), "+f"(o15), "+f"(o16), "+f"(o17), "+f"(o18), "+f"(o19), "+f"(o20), "+f"(o21), "+f"(o22), "+f"(o23), "+f"(o24), "+f"(o25), "+f"(o26), "+f"(o27), "+f"(o28), "+f"(o29), "+f"(o30), "+f"(o31)
            : "r"(i0), "r"(i1), "r"(i2), "r"(i3), "l"(i4), "r"(i5) : "memory");
}
#endif

#ifndef HY_WGMMA_WAIT_1_F64
#define HY_WGMMA_WAIT_1_F64
__device__ __forceinline__ void hy_wgmma_wait_1_f64(float& o0, float& o1, float& o2, float& o3,
        float& o4, float& o5, float& o6, float& o7, float& o8, float& o9, float& o10, float& o11,
        float& o12, float& o13, float& o14, float& o15, float& o16, float& o17, float& o18, float& o19,
        float& o20, float& o21, float& o22, float& o23, float& o24, float& o25, float& o26, float& o27,
        float& o28, float& o29, float& o30, float& o31, float& o32, float& o33, float& o34, float& o35,
        float& o36, float& o37, float& o38, float& o39, float& o40, float& o41, float& o42, float& o43,
        float& o44, float& o45, float& o46, float& o47, float& o48, float& o49, float& o50, float& o51,
        float& o52, float& o53, float& o54, float& o55, float& o56, float& o57, float& o58, float& o59,
        float& o60, float& o61, float& o62, float& o63) {
    asm volatile("wgmma.wait_group.sync.aligned 1; // %0 %1 %2 %3 %4 %5 %6 %7 %8 %9 %10 %11 %12 %13 %14 %15 %16 %17 %18 %19 %20 %21 %22 %23 %24 %25 %26 %27 %28 %29 %30 %31 %32 %33 %34 %35 %36 %37 %38 %39 %40 %41 %42 %43 %44 %45 %46 %47 %48 %49 %50 %51 %52 %53 %54 %55 %56 %57 %58 %59 %60 %61 %62 %63"
            : "+f"(o0), "+f"(o1), "+f"(o2), "+f"(o3), "+f"(o4), "+f"(o5), "+f"(o6), "+f"(o7), "+f"(o8), "+f"(o9), "+f"(o10), "+f"(o11), "+f"(o12), "+f"(o13), "+f"(o14), "+f"(o15), "+f"(o16), "+f"(o17), "+f"(o18), "+f"(o19), "+f"(o20), "+f"(o21), "+f"(o22), "+f"(o23), "+f"(o24), "+f"(o25), "+f"(o26), "+f"(o27), "+f"(o28), "+f"(o29), "+f"(o30), "+f"(o31), "+f"(o32), "+f"(o33), "+f"(o34), "+f"(o35), "+f"(o36), "+f"(o37), "+f"(o38), "+f"(o39), "+f"(o40), "+f"(o41), "+f"(o42), "+f"(o43), "+f"(o44), "+f"(o45), "+f"(o46), "+f"(o47), "+f"(o48), "+f"(o49), "+f"(o50), "+f"(o51), "+f"(o52), "+f"(o53), "+f"(o54), "+f"(o55), "+f"(o56), "+f"(o57), "+f"(o58), "+f"(o59), "+f"(o60), "+f"(o61), "+f"(o62), "+f"(o63)
            : : "memory");
}
#endif

#ifndef HY_WGMMA_WAIT_0_F32
#define HY_WGMMA_WAIT_0_F32
__device__ __forceinline__ void hy_wgmma_wait_0_f32(float& o0, float& o1, float& o2, float& o3,
        float& o4, float& o5, float& o6, float& o7, float& o8, float& o9, float& o10, float& o11,
        float& o12, float& o13, float& o14, float& o15, float& o16, float& o17, float& o18, float& o19,
        float& o20, float& o21, float& o22, float& o23, float& o24, float& o25, float& o26, float& o27,
        float& o28, float& o29, float& o30, float& o31) {
    asm volatile("wgmma.wait_group.sync.aligned 0; // %0 %1 %2 %3 %4 %5 %6 %7 %8 %9 %10 %11 %12 %13 %14 %15 %16 %17 %18 %19 %20 %21 %22 %23 %24 %25 %26 %27 %28 %29 %30 %31"
            : "+f"(o0), "+f"(o1), "+f"(o2), "+f"(o3), "+f"(o4), "+f"(o5), "+f"(o6), "+f"(o7), "+f"(o8), "+f"(o9), "+f"(o10), "+f"(o11), "+f"(o12), "+f"(o13), "+f"(o14), "+f"(o15), "+f"(o16), "+f"(o17), "+f"(o18), "+f"(o19), "+f"(o20), "+f"(o21), "+f"(o22), "+f"(o23), "+f"(o24), "+f"(o25), "+f"(o26), "+f"(o27), "+f"(o28), "+f"(o29), "+f"(o30), "+f"(o31)
            : : "memory");
}
#endif

extern "C" __global__ void __launch_bounds__(256) hopper_attention_h2_d64_wg2_k128_bf16(
    const hy_bf16* __restrict__ q,
    const hy_bf16* __restrict__ k,
    const hy_bf16* __restrict__ v,
    hy_bf16* __restrict__ out,
    long long length)
{
    __shared__ __align__(1024) hy_bf16 kv[24576];

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
    const int q0 = tile * 128;

    // Chunk c of tile row r is stored in column block c / 8, row r, chunk (c % 8) ^ (r % 8): the 128-byte swizzle.
    const int ld_row = tid / 8;
    const int ld_chunk = tid % 8;
    const long long ld_source = seq * 128 + (head * 64 + ld_chunk * 8);
    const int base = (int)__cvta_generic_to_shared(&kv[0]);
    const int store = base + (ld_chunk / 8 * 16384 + ld_row * 128 + ((ld_chunk % 8) ^ (ld_row % 8)) * 16);

    const int group = warp / 4;
    const int warp_in_group = warp % 4;
    // This block's queries through shared memory into registers (rows past the end read as zeros).
    const long long q_first = ld_source + ((long long)q0 + ld_row) * 128;
    if (q0 + 64 <= length) {
        #pragma unroll
        for (int pass = 0; pass < 2; pass++) {
            hy_cp_async_16(store + pass * 4096, q + (q_first + (long long)(pass * 32) * 128));
        }
    } else {
        const long long q_last = length - 1 - q0 - ld_row;
        #pragma unroll
        for (int pass = 0; pass < 2; pass++) {
            hy_cp_async_16_zfill(store + pass * 4096,
                    q + (q_first + ((long long)(pass * 32) < q_last ? (long long)(pass * 32) : q_last) * 128),
                    pass * 32 <= q_last ? 16 : 0);
        }
    }
    hy_cp_async_commit();
    const long long q1_first = ld_source + ((long long)(q0 + 64) + ld_row) * 128;
    if (q0 + 64 + 64 <= length) {
        #pragma unroll
        for (int pass = 0; pass < 2; pass++) {
            hy_cp_async_16(store + 8192 + pass * 4096, q + (q1_first + (long long)(pass * 32) * 128));
        }
    } else {
        const long long q1_last = length - 1 - (q0 + 64) - ld_row;
        #pragma unroll
        for (int pass = 0; pass < 2; pass++) {
            hy_cp_async_16_zfill(store + 8192 + pass * 4096,
                    q + (q1_first + ((long long)(pass * 32) < q1_last ? (long long)(pass * 32) : q1_last) * 128),
                    pass * 32 <= q1_last ? 16 : 0);
        }
    }
    hy_cp_async_commit();
    hy_cp_async_wait_0();
    __syncthreads();
    unsigned int qf[16];
    // The warp's 16 queries x 16 dims as an a fragment: lanes 0-7 address rows 0-7 of chunk 2ds, 8-15 rows 8-15, 16-31 the
    // same of chunk 2ds + 1.
    const int read_row = warp_in_group * 16 + lane % 8 + lane / 8 % 2 * 8;
    #pragma unroll
    for (int ds = 0; ds < 4; ds++) {
        hy_ldmatrix_x4(qf[ds * 4], qf[ds * 4 + 1], qf[ds * 4 + 2], qf[ds * 4 + 3],
                base + group * 8192 + ((ds * 2 + lane / 16) / 8 * 16384 + read_row * 128 + (((ds * 2 + lane / 16) % 8) ^ (read_row % 8)) * 16));
    }
    // Every warp has its queries before the first keys overwrite them.
    __syncthreads();
    const long long k_first = ld_source + ((long long)0 + ld_row) * 128;
    if (128 <= length) {
        #pragma unroll
        for (int pass = 0; pass < 4; pass++) {
            hy_cp_async_16(store + pass * 4096, k + (k_first + (long long)(pass * 32) * 128));
        }
    } else {
        const long long k_last = length - 1 - ld_row;
        #pragma unroll
        for (int pass = 0; pass < 4; pass++) {
            hy_cp_async_16_zfill(store + pass * 4096,
                    k + (k_first + ((long long)(pass * 32) < k_last ? (long long)(pass * 32) : k_last) * 128),
                    pass * 32 <= k_last ? 16 : 0);
        }
    }
    hy_cp_async_commit();
    const long long v0_first = ld_source + ((long long)0 + ld_row) * 128;
    if (128 <= length) {
        #pragma unroll
        for (int pass = 0; pass < 4; pass++) {
            hy_cp_async_16(store + 16384 + pass * 4096, v + (v0_first + (long long)(pass * 32) * 128));
        }
    } else {
        const long long v0_last = length - 1 - ld_row;
        #pragma unroll
        for (int pass = 0; pass < 4; pass++) {
            hy_cp_async_16_zfill(store + 16384 + pass * 4096,
                    v + (v0_first + ((long long)(pass * 32) < v0_last ? (long long)(pass * 32) : v0_last) * 128),
                    pass * 32 <= v0_last ? 16 : 0);
        }
    }
    hy_cp_async_commit();
    // Descriptors of the K tile (K-major) and the V tile (N-major): 8-row atoms 1024 bytes apart.
    long long k_desc = 0LL;
    long long v_desc = 0LL;
    hy_wgmma_desc128(k_desc, base, 4611686293305360384LL);
    hy_wgmma_desc128(v_desc, base + 16384, 4611686293372403712LL);
    float o[32];
    #pragma unroll
    for (int i = 0; i < 32; i++) {
        o[i] = 0.0f;
    }
    float m0 = __int_as_float(0xff800000);
    float m1 = __int_as_float(0xff800000);
    float l0 = 0.0f;
    float l1 = 0.0f;
    float sc[64];
    unsigned int pf[32];
    // Key tiles up to the one holding all the block's queries (and so the last key they see), masked there: it may start
    // before the warpgroup's first query (a negative shift) and reach past its last, or past the sequence's end (zero rows).
    const int last_tile = q0 / 128;
    const int key_shift = last_tile * 128 - (q0 + group * 64);

    // Tile 0: K has landed (V_0 may still be in flight) and is visible to the tensor cores.
    hy_cp_async_wait_1();
    hy_fence_proxy_async();
    __syncthreads();
    hy_wgmma_fence();
    hy_wgmma_m64n128k16_bf16_rs_k(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9],
            sc[10], sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21],
            sc[22], sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33],
            sc[34], sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45],
            sc[46], sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57],
            sc[58], sc[59], sc[60], sc[61], sc[62], sc[63], qf[0], qf[1], qf[2], qf[3], k_desc, 0);
    hy_wgmma_m64n128k16_bf16_rs_k(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9],
            sc[10], sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21],
            sc[22], sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33],
            sc[34], sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45],
            sc[46], sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57],
            sc[58], sc[59], sc[60], sc[61], sc[62], sc[63], qf[4], qf[5], qf[6], qf[7], k_desc + 2LL, 1);
    hy_wgmma_m64n128k16_bf16_rs_k(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9],
            sc[10], sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21],
            sc[22], sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33],
            sc[34], sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45],
            sc[46], sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57],
            sc[58], sc[59], sc[60], sc[61], sc[62], sc[63], qf[8], qf[9], qf[10], qf[11], k_desc + 4LL, 1);
    hy_wgmma_m64n128k16_bf16_rs_k(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9],
            sc[10], sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21],
            sc[22], sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33],
            sc[34], sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45],
            sc[46], sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57],
            sc[58], sc[59], sc[60], sc[61], sc[62], sc[63], qf[12], qf[13], qf[14], qf[15], k_desc + 6LL, 1);
    hy_wgmma_commit();
    hy_wgmma_wait_0_f64(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9], sc[10],
            sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21], sc[22],
            sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33], sc[34],
            sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45], sc[46],
            sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57], sc[58],
            sc[59], sc[60], sc[61], sc[62], sc[63]);
    // Every warp is done with K_0: fetch K_1 during the softmax.
    __syncthreads();
    if (last_tile > 0) {
        const long long k1_first = ld_source + ((long long)128 + ld_row) * 128;
        if (256 <= length) {
            #pragma unroll
            for (int pass = 0; pass < 4; pass++) {
                hy_cp_async_16(store + pass * 4096, k + (k1_first + (long long)(pass * 32) * 128));
            }
        } else {
            const long long k1_last = length - 1 - 128 - ld_row;
            #pragma unroll
            for (int pass = 0; pass < 4; pass++) {
                hy_cp_async_16_zfill(store + pass * 4096,
                        k + (k1_first + ((long long)(pass * 32) < k1_last ? (long long)(pass * 32) : k1_last) * 128),
                        pass * 32 <= k1_last ? 16 : 0);
            }
        }
        hy_cp_async_commit();
    }
    // On the diagonal tile (and any after it), key j is in the future of query i when j + shift > i.
    if (0 == last_tile) {
        #pragma unroll
        for (int n = 0; n < 16; n++) {
            #pragma unroll
            for (int e = 0; e < 4; e++) {
                sc[n * 4 + e] = n * 8 + lane % 4 * 2 + e % 2 + key_shift > warp_in_group * 16 + lane / 4 + e / 2 * 8 ? __int_as_float(0xff800000) : sc[n * 4 + e];
            }
        }
    }
    // Online softmax: new row maxima (over the 4 lanes sharing a row), rescale what came before, p = 2^(s*c - m*c).
    float t0_first = m0;
    float t1_first = m1;
    #pragma unroll
    for (int n = 0; n < 16; n++) {
        t0_first = fmaxf(t0_first, fmaxf(sc[n * 4], sc[n * 4 + 1]));
        t1_first = fmaxf(t1_first, fmaxf(sc[n * 4 + 2], sc[n * 4 + 3]));
    }
    t0_first = fmaxf(t0_first, __shfl_xor_sync(0xffffffffu, t0_first, 1));
    t1_first = fmaxf(t1_first, __shfl_xor_sync(0xffffffffu, t1_first, 1));
    t0_first = fmaxf(t0_first, __shfl_xor_sync(0xffffffffu, t0_first, 2));
    t1_first = fmaxf(t1_first, __shfl_xor_sync(0xffffffffu, t1_first, 2));
    // A row that has seen only masked keys keeps m = -inf; shift it by 0 instead, so no inf - inf.
    const float shift0_first = t0_first == __int_as_float(0xff800000) ? 0.0f : t0_first * 0.18033688f;
    const float shift1_first = t1_first == __int_as_float(0xff800000) ? 0.0f : t1_first * 0.18033688f;
    float alpha0_first = 0.0f;
    float alpha1_first = 0.0f;
    hy_ex2_approx(alpha0_first, m0 * 0.18033688f - shift0_first);
    hy_ex2_approx(alpha1_first, m1 * 0.18033688f - shift1_first);
    m0 = t0_first;
    m1 = t1_first;
    l0 = l0 * alpha0_first;
    l1 = l1 * alpha1_first;
    #pragma unroll
    for (int n = 0; n < 16; n++) {
        hy_ex2_approx(sc[n * 4], sc[n * 4] * 0.18033688f - shift0_first);
        l0 += sc[n * 4];
        hy_ex2_approx(sc[n * 4 + 1], sc[n * 4 + 1] * 0.18033688f - shift0_first);
        l0 += sc[n * 4 + 1];
        hy_ex2_approx(sc[n * 4 + 2], sc[n * 4 + 2] * 0.18033688f - shift1_first);
        l1 += sc[n * 4 + 2];
        hy_ex2_approx(sc[n * 4 + 3], sc[n * 4 + 3] * 0.18033688f - shift1_first);
        l1 += sc[n * 4 + 3];
    }
    hy_pack_bf16x2(pf[0], sc[1], sc[0]);
    hy_pack_bf16x2(pf[1], sc[3], sc[2]);
    hy_pack_bf16x2(pf[2], sc[5], sc[4]);
    hy_pack_bf16x2(pf[3], sc[7], sc[6]);
    hy_pack_bf16x2(pf[4], sc[9], sc[8]);
    hy_pack_bf16x2(pf[5], sc[11], sc[10]);
    hy_pack_bf16x2(pf[6], sc[13], sc[12]);
    hy_pack_bf16x2(pf[7], sc[15], sc[14]);
    hy_pack_bf16x2(pf[8], sc[17], sc[16]);
    hy_pack_bf16x2(pf[9], sc[19], sc[18]);
    hy_pack_bf16x2(pf[10], sc[21], sc[20]);
    hy_pack_bf16x2(pf[11], sc[23], sc[22]);
    hy_pack_bf16x2(pf[12], sc[25], sc[24]);
    hy_pack_bf16x2(pf[13], sc[27], sc[26]);
    hy_pack_bf16x2(pf[14], sc[29], sc[28]);
    hy_pack_bf16x2(pf[15], sc[31], sc[30]);
    hy_pack_bf16x2(pf[16], sc[33], sc[32]);
    hy_pack_bf16x2(pf[17], sc[35], sc[34]);
    hy_pack_bf16x2(pf[18], sc[37], sc[36]);
    hy_pack_bf16x2(pf[19], sc[39], sc[38]);
    hy_pack_bf16x2(pf[20], sc[41], sc[40]);
    hy_pack_bf16x2(pf[21], sc[43], sc[42]);
    hy_pack_bf16x2(pf[22], sc[45], sc[44]);
    hy_pack_bf16x2(pf[23], sc[47], sc[46]);
    hy_pack_bf16x2(pf[24], sc[49], sc[48]);
    hy_pack_bf16x2(pf[25], sc[51], sc[50]);
    hy_pack_bf16x2(pf[26], sc[53], sc[52]);
    hy_pack_bf16x2(pf[27], sc[55], sc[54]);
    hy_pack_bf16x2(pf[28], sc[57], sc[56]);
    hy_pack_bf16x2(pf[29], sc[59], sc[58]);
    hy_pack_bf16x2(pf[30], sc[61], sc[60]);
    hy_pack_bf16x2(pf[31], sc[63], sc[62]);

    for (int kt = 1; kt < last_tile + 1; kt++) {
        const int k0 = kt * 128;
        // K_j and V_{j-1} have landed and are visible to the tensor cores; every warp is done with p_{j-2} v_{j-2}, so
        // V_j may take its buffer.
        hy_cp_async_wait_0();
        hy_fence_proxy_async();
        __syncthreads();
        const int v_buffer = kt % 2 * 16384;
        const long long v_first = ld_source + ((long long)k0 + ld_row) * 128;
        if (k0 + 128 <= length) {
            #pragma unroll
            for (int pass = 0; pass < 4; pass++) {
                hy_cp_async_16(store + 16384 + v_buffer + pass * 4096,
                        v + (v_first + (long long)(pass * 32) * 128));
            }
        } else {
            const long long v_last = length - 1 - k0 - ld_row;
            #pragma unroll
            for (int pass = 0; pass < 4; pass++) {
                hy_cp_async_16_zfill(store + 16384 + v_buffer + pass * 4096,
                        v + (v_first + ((long long)(pass * 32) < v_last ? (long long)(pass * 32) : v_last) * 128),
                        pass * 32 <= v_last ? 16 : 0);
            }
        }
        hy_cp_async_commit();
        // s = q k_j^T, then o += p_{j-1} v_{j-1} (V_{j-1} in the other buffer), as two groups: wait for the first only.
        hy_wgmma_fence();
        hy_wgmma_m64n128k16_bf16_rs_k(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9],
                sc[10], sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21],
                sc[22], sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33],
                sc[34], sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45],
                sc[46], sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57],
                sc[58], sc[59], sc[60], sc[61], sc[62], sc[63], qf[0], qf[1], qf[2], qf[3], k_desc, 0);
        hy_wgmma_m64n128k16_bf16_rs_k(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9],
                sc[10], sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21],
                sc[22], sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33],
                sc[34], sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45],
                sc[46], sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57],
                sc[58], sc[59], sc[60], sc[61], sc[62], sc[63], qf[4], qf[5], qf[6], qf[7], k_desc + 2LL, 1);
        hy_wgmma_m64n128k16_bf16_rs_k(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9],
                sc[10], sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21],
                sc[22], sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33],
                sc[34], sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45],
                sc[46], sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57],
                sc[58], sc[59], sc[60], sc[61], sc[62], sc[63], qf[8], qf[9], qf[10], qf[11], k_desc + 4LL, 1);
        hy_wgmma_m64n128k16_bf16_rs_k(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9],
                sc[10], sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21],
                sc[22], sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33],
                sc[34], sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45],
                sc[46], sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57],
                sc[58], sc[59], sc[60], sc[61], sc[62], sc[63], qf[12], qf[13], qf[14], qf[15], k_desc + 6LL, 1);
        hy_wgmma_commit();
        hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
                o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
                o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[0], pf[1], pf[2], pf[3],
                v_desc + (long long)((16384 - v_buffer) / 16), 1);
        hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
                o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
                o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[4], pf[5], pf[6], pf[7],
                v_desc + (long long)((16384 - v_buffer) / 16) + 128LL, 1);
        hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
                o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
                o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[8], pf[9], pf[10], pf[11],
                v_desc + (long long)((16384 - v_buffer) / 16) + 256LL, 1);
        hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
                o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
                o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[12], pf[13], pf[14], pf[15],
                v_desc + (long long)((16384 - v_buffer) / 16) + 384LL, 1);
        hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
                o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
                o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[16], pf[17], pf[18], pf[19],
                v_desc + (long long)((16384 - v_buffer) / 16) + 512LL, 1);
        hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
                o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
                o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[20], pf[21], pf[22], pf[23],
                v_desc + (long long)((16384 - v_buffer) / 16) + 640LL, 1);
        hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
                o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
                o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[24], pf[25], pf[26], pf[27],
                v_desc + (long long)((16384 - v_buffer) / 16) + 768LL, 1);
        hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
                o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
                o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[28], pf[29], pf[30], pf[31],
                v_desc + (long long)((16384 - v_buffer) / 16) + 896LL, 1);
        hy_wgmma_commit();
        hy_wgmma_wait_1_f64(sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[9], sc[10],
                sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19], sc[20], sc[21], sc[22],
                sc[23], sc[24], sc[25], sc[26], sc[27], sc[28], sc[29], sc[30], sc[31], sc[32], sc[33], sc[34],
                sc[35], sc[36], sc[37], sc[38], sc[39], sc[40], sc[41], sc[42], sc[43], sc[44], sc[45], sc[46],
                sc[47], sc[48], sc[49], sc[50], sc[51], sc[52], sc[53], sc[54], sc[55], sc[56], sc[57], sc[58],
                sc[59], sc[60], sc[61], sc[62], sc[63]);
        // Every warp is done with K_j: fetch the next K during the softmax.
        __syncthreads();
        if (kt < last_tile) {
            const long long next_first = ld_source + ((long long)(k0 + 128) + ld_row) * 128;
            if (k0 + 128 + 128 <= length) {
                #pragma unroll
                for (int pass = 0; pass < 4; pass++) {
                    hy_cp_async_16(store + pass * 4096, k + (next_first + (long long)(pass * 32) * 128));
                }
            } else {
                const long long next_last = length - 1 - (k0 + 128) - ld_row;
                #pragma unroll
                for (int pass = 0; pass < 4; pass++) {
                    hy_cp_async_16_zfill(store + pass * 4096,
                            k + (next_first + ((long long)(pass * 32) < next_last ? (long long)(pass * 32) : next_last) * 128),
                            pass * 32 <= next_last ? 16 : 0);
                }
            }
            hy_cp_async_commit();
        }
        // On the diagonal tile (and any after it), key j is in the future of query i when j + shift > i.
        if (kt == last_tile) {
            #pragma unroll
            for (int n = 0; n < 16; n++) {
                #pragma unroll
                for (int e = 0; e < 4; e++) {
                    sc[n * 4 + e] = n * 8 + lane % 4 * 2 + e % 2 + key_shift > warp_in_group * 16 + lane / 4 + e / 2 * 8 ? __int_as_float(0xff800000) : sc[n * 4 + e];
                }
            }
        }
        // Online softmax: new row maxima (over the 4 lanes sharing a row), rescale what came before, p = 2^(s*c - m*c).
        float t0 = m0;
        float t1 = m1;
        #pragma unroll
        for (int n = 0; n < 16; n++) {
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
        for (int n = 0; n < 16; n++) {
            hy_ex2_approx(sc[n * 4], sc[n * 4] * 0.18033688f - shift0);
            l0 += sc[n * 4];
            hy_ex2_approx(sc[n * 4 + 1], sc[n * 4 + 1] * 0.18033688f - shift0);
            l0 += sc[n * 4 + 1];
            hy_ex2_approx(sc[n * 4 + 2], sc[n * 4 + 2] * 0.18033688f - shift1);
            l1 += sc[n * 4 + 2];
            hy_ex2_approx(sc[n * 4 + 3], sc[n * 4 + 3] * 0.18033688f - shift1);
            l1 += sc[n * 4 + 3];
        }
        // p_{j-1} v_{j-1} is done: scale o to the new maxima, and the p fragments are free for p_j.
        hy_wgmma_wait_0_f32(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11], o[12],
                o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24], o[25], o[26],
                o[27], o[28], o[29], o[30], o[31]);
        #pragma unroll
        for (int n = 0; n < 8; n++) {
            o[n * 4] *= alpha0;
            o[n * 4 + 1] *= alpha0;
            o[n * 4 + 2] *= alpha1;
            o[n * 4 + 3] *= alpha1;
        }
        hy_pack_bf16x2(pf[0], sc[1], sc[0]);
        hy_pack_bf16x2(pf[1], sc[3], sc[2]);
        hy_pack_bf16x2(pf[2], sc[5], sc[4]);
        hy_pack_bf16x2(pf[3], sc[7], sc[6]);
        hy_pack_bf16x2(pf[4], sc[9], sc[8]);
        hy_pack_bf16x2(pf[5], sc[11], sc[10]);
        hy_pack_bf16x2(pf[6], sc[13], sc[12]);
        hy_pack_bf16x2(pf[7], sc[15], sc[14]);
        hy_pack_bf16x2(pf[8], sc[17], sc[16]);
        hy_pack_bf16x2(pf[9], sc[19], sc[18]);
        hy_pack_bf16x2(pf[10], sc[21], sc[20]);
        hy_pack_bf16x2(pf[11], sc[23], sc[22]);
        hy_pack_bf16x2(pf[12], sc[25], sc[24]);
        hy_pack_bf16x2(pf[13], sc[27], sc[26]);
        hy_pack_bf16x2(pf[14], sc[29], sc[28]);
        hy_pack_bf16x2(pf[15], sc[31], sc[30]);
        hy_pack_bf16x2(pf[16], sc[33], sc[32]);
        hy_pack_bf16x2(pf[17], sc[35], sc[34]);
        hy_pack_bf16x2(pf[18], sc[37], sc[36]);
        hy_pack_bf16x2(pf[19], sc[39], sc[38]);
        hy_pack_bf16x2(pf[20], sc[41], sc[40]);
        hy_pack_bf16x2(pf[21], sc[43], sc[42]);
        hy_pack_bf16x2(pf[22], sc[45], sc[44]);
        hy_pack_bf16x2(pf[23], sc[47], sc[46]);
        hy_pack_bf16x2(pf[24], sc[49], sc[48]);
        hy_pack_bf16x2(pf[25], sc[51], sc[50]);
        hy_pack_bf16x2(pf[26], sc[53], sc[52]);
        hy_pack_bf16x2(pf[27], sc[55], sc[54]);
        hy_pack_bf16x2(pf[28], sc[57], sc[56]);
        hy_pack_bf16x2(pf[29], sc[59], sc[58]);
        hy_pack_bf16x2(pf[30], sc[61], sc[60]);
        hy_pack_bf16x2(pf[31], sc[63], sc[62]);
    }
    // The last tile's V has landed and is visible to the tensor cores: o += p v.
    hy_cp_async_wait_0();
    hy_fence_proxy_async();
    __syncthreads();
    hy_wgmma_fence();
    hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
            o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
            o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[0], pf[1], pf[2], pf[3],
            v_desc + (long long)(last_tile % 2 * 1024), 1);
    hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
            o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
            o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[4], pf[5], pf[6], pf[7],
            v_desc + (long long)(last_tile % 2 * 1024) + 128LL, 1);
    hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
            o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
            o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[8], pf[9], pf[10], pf[11],
            v_desc + (long long)(last_tile % 2 * 1024) + 256LL, 1);
    hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
            o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
            o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[12], pf[13], pf[14], pf[15],
            v_desc + (long long)(last_tile % 2 * 1024) + 384LL, 1);
    hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
            o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
            o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[16], pf[17], pf[18], pf[19],
            v_desc + (long long)(last_tile % 2 * 1024) + 512LL, 1);
    hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
            o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
            o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[20], pf[21], pf[22], pf[23],
            v_desc + (long long)(last_tile % 2 * 1024) + 640LL, 1);
    hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
            o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
            o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[24], pf[25], pf[26], pf[27],
            v_desc + (long long)(last_tile % 2 * 1024) + 768LL, 1);
    hy_wgmma_m64n64k16_bf16_rs_mn(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
            o[11], o[12], o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24],
            o[25], o[26], o[27], o[28], o[29], o[30], o[31], pf[28], pf[29], pf[30], pf[31],
            v_desc + (long long)(last_tile % 2 * 1024) + 896LL, 1);
    hy_wgmma_commit();
    hy_wgmma_wait_0_f32(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11], o[12],
            o[13], o[14], o[15], o[16], o[17], o[18], o[19], o[20], o[21], o[22], o[23], o[24], o[25], o[26],
            o[27], o[28], o[29], o[30], o[31]);

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
