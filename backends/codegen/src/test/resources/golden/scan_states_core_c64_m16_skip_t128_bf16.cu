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

extern "C" __global__ void __launch_bounds__(128, 4) scan_states_core_c64_m16_skip_t128_bf16(
    const hy_bf16* __restrict__ z,
    const float* __restrict__ log_poles,
    float* __restrict__ states,
    long long length)
{
    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    const int c = (int)blockIdx.x * 128 + (int)threadIdx.x;
    if (c >= 64) return;
    const int j = (int)blockIdx.y;
    const long long b = (long long)blockIdx.z;
    const long long chunks = (length + 127) / 128;
    const long long t0 = (long long)j * 128;
    // The last chunk's end state is never read: every state it needs comes from the chunks before it.
    if (t0 + 128 >= length) return;
    float lambda[16];
    float state[16];
    #pragma unroll
    for (int n = 0; n < 16; n++) {
        lambda[n] = expf(log_poles[c * 16 + n]);
        state[n] = 0.0f;
    }
    const long long row = (b * length + t0) * 64 + c;
    // Whole chunks: 8 steps' inputs loaded, then their recurrence.
    for (int tau = 0; tau < 128; tau += 8) {
        float sv[8];
        #pragma unroll
        for (int i = 0; i < 8; i++) {
            sv[i] = hy_bf16_to_float(z[(row + (tau + i) * 64) * 3 + 1]) * hy_bf16_to_float(z[(row + (tau + i) * 64) * 3 + 2]);
        }
        #pragma unroll
        for (int i = 0; i < 8; i++) {
            #pragma unroll
            for (int n = 0; n < 16; n++) {
                state[n] = lambda[n] * state[n] + sv[i];
            }
        }
    }
    #pragma unroll
    for (int n = 0; n < 16; n++) {
        states[((b * chunks + j) * 16 + n) * 64 + c] = state[n];
    }
}
