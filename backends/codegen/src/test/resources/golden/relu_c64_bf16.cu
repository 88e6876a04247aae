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
#ifndef HY_VECTOR_STORE_PRELUDE
#define HY_VECTOR_STORE_PRELUDE
struct __align__(16) hy_w128 { unsigned int x, y, z, w; };
struct __align__(8) hy_w64 { unsigned int x, y; };
#ifdef __CUDA_ARCH__
#define HY_STORE_BITS(T, p, v) *static_cast<T*>(p) = v
#else
#define HY_STORE_BITS(T, p, v) \
    if (reinterpret_cast<unsigned long long>(p) % sizeof(T) != 0) __builtin_trap(); \
    __builtin_memcpy(p, &v, sizeof(T))
#endif
__device__ __forceinline__ void hy_store_b128(void* p, unsigned int x, unsigned int y, unsigned int z, unsigned int w) {
    const hy_w128 v = {x, y, z, w};
    HY_STORE_BITS(hy_w128, p, v);
}
__device__ __forceinline__ void hy_store_b64(void* p, unsigned int x, unsigned int y) {
    const hy_w64 v = {x, y};
    HY_STORE_BITS(hy_w64, p, v);
}
__device__ __forceinline__ void hy_store_b32(void* p, unsigned int x) { HY_STORE_BITS(unsigned int, p, x); }
#endif

extern "C" __global__ void __launch_bounds__(256) relu_c64_bf16(
    const hy_bf16* __restrict__ a,
    hy_bf16* __restrict__ y,
    long long rows)
{
    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    const long long v = (long long)blockIdx.x * 256 + (int)threadIdx.x;
    if (v >= rows * 8) return;
    const long long i = v * 8;
    float va[8];
    {
        const hy_b128 hy_v = hy_stream_b128(a + i);
        va[0] = __uint_as_float(hy_v.x << 16);
        va[1] = __uint_as_float(hy_v.x & 0xffff0000u);
        va[2] = __uint_as_float(hy_v.y << 16);
        va[3] = __uint_as_float(hy_v.y & 0xffff0000u);
        va[4] = __uint_as_float(hy_v.z << 16);
        va[5] = __uint_as_float(hy_v.z & 0xffff0000u);
        va[6] = __uint_as_float(hy_v.w << 16);
        va[7] = __uint_as_float(hy_v.w & 0xffff0000u);
    }
    float vy[8];
    #pragma unroll
    for (int j = 0; j < 8; j++) {
        vy[j] = va[j] > 0.0f ? va[j] : 0.0f;
    }
    {
        const unsigned int hy_w0 = (unsigned int) hy_float_to_bf16(vy[0]) | (unsigned int) hy_float_to_bf16(vy[1]) << 16;
        const unsigned int hy_w1 = (unsigned int) hy_float_to_bf16(vy[2]) | (unsigned int) hy_float_to_bf16(vy[3]) << 16;
        const unsigned int hy_w2 = (unsigned int) hy_float_to_bf16(vy[4]) | (unsigned int) hy_float_to_bf16(vy[5]) << 16;
        const unsigned int hy_w3 = (unsigned int) hy_float_to_bf16(vy[6]) | (unsigned int) hy_float_to_bf16(vy[7]) << 16;
        hy_store_b128(y + i, hy_w0, hy_w1, hy_w2, hy_w3);
    }
}
