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

extern "C" __global__ void __launch_bounds__(128, 4) scan_states_core_c64_m16_skip_feat_k3_g192_xcorr_t128_bf16(
    const hy_bf16* __restrict__ u,
    const float* __restrict__ feature_h,
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
    // The featurizer's taps of this channel's k, v columns of u, and the 2 rows of u before the chunk (zeros before t = 0).
    const int u_k_channel = c * 3 + 1;
    float u_k_taps[3];
    #pragma unroll
    for (int tap = 0; tap < 3; tap++) {
        u_k_taps[tap] = feature_h[u_k_channel * 3 + (2 - tap)];
    }
    float u_k[10];
    #pragma unroll
    for (int back = 1; back < 3; back++) {
        u_k[2 - back] = t0 >= back ? hy_bf16_to_float(u[(row - back * 64) * 3 + 1]) : 0.0f;
    }
    const int u_v_channel = c * 3 + 2;
    float u_v_taps[3];
    #pragma unroll
    for (int tap = 0; tap < 3; tap++) {
        u_v_taps[tap] = feature_h[u_v_channel * 3 + (2 - tap)];
    }
    float u_v[10];
    #pragma unroll
    for (int back = 1; back < 3; back++) {
        u_v[2 - back] = t0 >= back ? hy_bf16_to_float(u[(row - back * 64) * 3 + 2]) : 0.0f;
    }
    // Whole chunks: 8 steps' inputs loaded, then their recurrence.
    for (int tau = 0; tau < 128; tau += 8) {
        float sv[8];
        #pragma unroll
        for (int i = 0; i < 8; i++) {
            u_k[2 + i] = hy_bf16_to_float(u[(row + (tau + i) * 64) * 3 + 1]);
            u_v[2 + i] = hy_bf16_to_float(u[(row + (tau + i) * 64) * 3 + 2]);
        }
        #pragma unroll
        for (int i = 0; i < 8; i++) {
            float z_k_sum = 0.0f;
            #pragma unroll
            for (int tap = 0; tap < 3; tap++) {
                z_k_sum += u_k_taps[tap] * u_k[2 + i - tap];
            }
            const float z_k = hy_bf16_to_float(hy_float_to_bf16(z_k_sum));
            float z_v_sum = 0.0f;
            #pragma unroll
            for (int tap = 0; tap < 3; tap++) {
                z_v_sum += u_v_taps[tap] * u_v[2 + i - tap];
            }
            const float z_v = hy_bf16_to_float(hy_float_to_bf16(z_v_sum));
            sv[i] = z_k * z_v;
        }
        #pragma unroll
        for (int m = 0; m < 2; m++) {
            u_k[m] = u_k[m + 8];
            u_v[m] = u_v[m + 8];
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
