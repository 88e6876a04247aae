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

extern "C" __global__ void __launch_bounds__(512, 2) fused_fft_core_c64_m16_skip_t512_bf16(
    const hy_bf16* __restrict__ z,
    const float* __restrict__ hf,
    const float* __restrict__ twiddles,
    const float* __restrict__ log_poles,
    const float* __restrict__ residues,
    const float* __restrict__ skip,
    hy_bf16* __restrict__ y,
    long long length)
{
    __shared__ float fre[4640];
    __shared__ float fim[4640];
    __shared__ float state[128];
    __shared__ float logs[128];
    __shared__ float quarter[128];
    __shared__ float lambda[128];
    __shared__ float whole[128];
    __shared__ float res[128];
    __shared__ float partial[512];

    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
    #endif
    const int t = (int)threadIdx.x;
    const int c = t % 8;
    const int jb = t / 8;
    const int base = c * 580;
    float ar[8];
    float ai[8];
    const int cc = (int)blockIdx.x * 8 + c;
    const bool active = cc < 64;
    const long long row0 = (long long)blockIdx.y * length;
    const long long hrow = (long long)(active ? cc : 0) * 513;
    // Per channel and mode: log(lambda), lambda^(T/4), lambda, lambda^T, the residue; the state starts at zero.
    for (int u = (int)threadIdx.x; u < 128; u += 512) {
        const int uc = (int)blockIdx.x * 8 + u / 16;
        const int at = uc * 16 + u % 16;
        const float lp = uc < 64 ? log_poles[at] : 0.0f;
        logs[u] = lp;
        quarter[u] = expf(lp * 128.0f);
        lambda[u] = expf(lp);
        whole[u] = expf(lp * 512.0f);
        res[u] = uc < 64 ? residues[at] : 0.0f;
        state[u] = 0.0f;
    }
    __syncthreads();
    for (long long t0 = 0; t0 < length; t0 += 512) {
        // This chunk's s at the even (real) and odd (imaginary) steps, zero-padded to N.
        for (int m = jb; m < 256; m += 64) {
            const long long p = t0 + m * 2;
            const long long ae = (row0 + p) * 64 + cc;
            const float se = active && p >= 0 && p < length ? hy_bf16_to_float(z[ae * 3 + 1]) * hy_bf16_to_float(z[ae * 3 + 2]) : 0.0f;
            const long long ao = (row0 + (p + 1)) * 64 + cc;
            const float so = active && p + 1 >= 0 && p + 1 < length ? hy_bf16_to_float(z[ao * 3 + 1]) * hy_bf16_to_float(z[ao * 3 + 2]) : 0.0f;
            const int sme = m;
            const int sm = base + sme + sme / 8;
            fre[sm] = se;
            fim[sm] = so;
        }
        __syncthreads();
        // Forward pass over sub-transforms of 1: read, wait, butterfly, write.
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int r = j;
            const int ra = base + r + r / 8;
            ar[i * 8] = fre[ra];
            ai[i * 8] = fim[ra];
            ar[i * 8 + 1] = fre[ra + 72];
            ai[i * 8 + 1] = fim[ra + 72];
            ar[i * 8 + 2] = fre[ra + 144];
            ai[i * 8 + 2] = fim[ra + 144];
            ar[i * 8 + 3] = fre[ra + 216];
            ai[i * 8 + 3] = fim[ra + 216];
        }
        __syncthreads();
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const float d5r = (ar[i * 8 + 1] + ai[i * 8 + 1]) * 0.70710677f;
            const float d5i = (ai[i * 8 + 1] - ar[i * 8 + 1]) * 0.70710677f;
            const float d7r = (ai[i * 8 + 3] - ar[i * 8 + 3]) * 0.70710677f;
            const float d7i = -(ar[i * 8 + 3] + ai[i * 8 + 3]) * 0.70710677f;
            const float e0c0r = ar[i * 8] + ar[i * 8 + 2];
            const float e0c0i = ai[i * 8] + ai[i * 8 + 2];
            const float e0c2r = ar[i * 8 + 1] + ar[i * 8 + 3];
            const float e0c2i = ai[i * 8 + 1] + ai[i * 8 + 3];
            const float e0c1r = ar[i * 8] - ar[i * 8 + 2];
            const float e0c1i = ai[i * 8] - ai[i * 8 + 2];
            const float e0c3r = ai[i * 8 + 1] - ai[i * 8 + 3];
            const float e0c3i = -(ar[i * 8 + 1] - ar[i * 8 + 3]);
            const float e1c0r = ar[i * 8] + ai[i * 8 + 2];
            const float e1c0i = ai[i * 8] + -ar[i * 8 + 2];
            const float e1c2r = d5r + d7r;
            const float e1c2i = d5i + d7i;
            const float e1c1r = ar[i * 8] - ai[i * 8 + 2];
            const float e1c1i = ai[i * 8] - -ar[i * 8 + 2];
            const float e1c3r = d5i - d7i;
            const float e1c3i = -(d5r - d7r);
            const int wa = base + j * 8 / 8 * 9;
            fre[wa] = e0c0r + e0c2r;
            fim[wa] = e0c0i + e0c2i;
            fre[wa + 1] = e1c0r + e1c2r;
            fim[wa + 1] = e1c0i + e1c2i;
            fre[wa + 2] = e0c1r + e0c3r;
            fim[wa + 2] = e0c1i + e0c3i;
            fre[wa + 3] = e1c1r + e1c3r;
            fim[wa + 3] = e1c1i + e1c3i;
            fre[wa + 4] = e0c0r - e0c2r;
            fim[wa + 4] = e0c0i - e0c2i;
            fre[wa + 5] = e1c0r - e1c2r;
            fim[wa + 5] = e1c0i - e1c2i;
            fre[wa + 6] = e0c1r - e0c3r;
            fim[wa + 6] = e0c1i - e0c3i;
            fre[wa + 7] = e1c1r - e1c3r;
            fim[wa + 7] = e1c1i - e1c3i;
        }
        __syncthreads();
        // Forward pass over sub-transforms of 8: read, wait, butterfly, write.
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int r = j;
            const int ra = base + r + r / 8;
            ar[i * 8] = fre[ra];
            ai[i * 8] = fim[ra];
            ar[i * 8 + 1] = fre[ra + 72];
            ai[i * 8 + 1] = fim[ra + 72];
            ar[i * 8 + 2] = fre[ra + 144];
            ai[i * 8 + 2] = fim[ra + 144];
            ar[i * 8 + 3] = fre[ra + 216];
            ai[i * 8 + 3] = fim[ra + 216];
            ar[i * 8 + 4] = fre[ra + 288];
            ai[i * 8 + 4] = fim[ra + 288];
            ar[i * 8 + 5] = fre[ra + 360];
            ai[i * 8 + 5] = fim[ra + 360];
            ar[i * 8 + 6] = fre[ra + 432];
            ai[i * 8 + 6] = fim[ra + 432];
            ar[i * 8 + 7] = fre[ra + 504];
            ai[i * 8 + 7] = fim[ra + 504];
        }
        __syncthreads();
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int k = j % 8;
            const int q = k * 16 * 2;
            const float w1r = twiddles[q];
            const float w1i = twiddles[q + 1];
            const float w2r = w1r * w1r - w1i * w1i;
            const float w2i = w1r * w1i + w1i * w1r;
            const float w3r = w2r * w1r - w2i * w1i;
            const float w3i = w2r * w1i + w2i * w1r;
            const float w4r = w2r * w2r - w2i * w2i;
            const float w4i = w2r * w2i + w2i * w2r;
            const float w5r = w4r * w1r - w4i * w1i;
            const float w5i = w4r * w1i + w4i * w1r;
            const float w6r = w3r * w3r - w3i * w3i;
            const float w6i = w3r * w3i + w3i * w3r;
            const float w7r = w4r * w3r - w4i * w3i;
            const float w7i = w4r * w3i + w4i * w3r;
            const float t1r = ar[i * 8 + 1] * w1r - ai[i * 8 + 1] * w1i;
            const float t1i = ar[i * 8 + 1] * w1i + ai[i * 8 + 1] * w1r;
            const float t2r = ar[i * 8 + 2] * w2r - ai[i * 8 + 2] * w2i;
            const float t2i = ar[i * 8 + 2] * w2i + ai[i * 8 + 2] * w2r;
            const float t3r = ar[i * 8 + 3] * w3r - ai[i * 8 + 3] * w3i;
            const float t3i = ar[i * 8 + 3] * w3i + ai[i * 8 + 3] * w3r;
            const float t4r = ar[i * 8 + 4] * w4r - ai[i * 8 + 4] * w4i;
            const float t4i = ar[i * 8 + 4] * w4i + ai[i * 8 + 4] * w4r;
            const float t5r = ar[i * 8 + 5] * w5r - ai[i * 8 + 5] * w5i;
            const float t5i = ar[i * 8 + 5] * w5i + ai[i * 8 + 5] * w5r;
            const float t6r = ar[i * 8 + 6] * w6r - ai[i * 8 + 6] * w6i;
            const float t6i = ar[i * 8 + 6] * w6i + ai[i * 8 + 6] * w6r;
            const float t7r = ar[i * 8 + 7] * w7r - ai[i * 8 + 7] * w7i;
            const float t7i = ar[i * 8 + 7] * w7i + ai[i * 8 + 7] * w7r;
            const float b0r = ar[i * 8] + t4r;
            const float b0i = ai[i * 8] + t4i;
            const float b4r = ar[i * 8] - t4r;
            const float b4i = ai[i * 8] - t4i;
            const float b1r = t1r + t5r;
            const float b1i = t1i + t5i;
            const float b5r = t1r - t5r;
            const float b5i = t1i - t5i;
            const float b2r = t2r + t6r;
            const float b2i = t2i + t6i;
            const float b6r = t2r - t6r;
            const float b6i = t2i - t6i;
            const float b3r = t3r + t7r;
            const float b3i = t3i + t7i;
            const float b7r = t3r - t7r;
            const float b7i = t3i - t7i;
            const float d5r = (b5r + b5i) * 0.70710677f;
            const float d5i = (b5i - b5r) * 0.70710677f;
            const float d7r = (b7i - b7r) * 0.70710677f;
            const float d7i = -(b7r + b7i) * 0.70710677f;
            const float e0c0r = b0r + b2r;
            const float e0c0i = b0i + b2i;
            const float e0c2r = b1r + b3r;
            const float e0c2i = b1i + b3i;
            const float e0c1r = b0r - b2r;
            const float e0c1i = b0i - b2i;
            const float e0c3r = b1i - b3i;
            const float e0c3i = -(b1r - b3r);
            const float e1c0r = b4r + b6i;
            const float e1c0i = b4i + -b6r;
            const float e1c2r = d5r + d7r;
            const float e1c2i = d5i + d7i;
            const float e1c1r = b4r - b6i;
            const float e1c1i = b4i - -b6r;
            const float e1c3r = d5i - d7i;
            const float e1c3i = -(d5r - d7r);
            const int w = j / 8 * 64 + k;
            const int wa = base + w + w / 8;
            fre[wa] = e0c0r + e0c2r;
            fim[wa] = e0c0i + e0c2i;
            fre[wa + 9] = e1c0r + e1c2r;
            fim[wa + 9] = e1c0i + e1c2i;
            fre[wa + 18] = e0c1r + e0c3r;
            fim[wa + 18] = e0c1i + e0c3i;
            fre[wa + 27] = e1c1r + e1c3r;
            fim[wa + 27] = e1c1i + e1c3i;
            fre[wa + 36] = e0c0r - e0c2r;
            fim[wa + 36] = e0c0i - e0c2i;
            fre[wa + 45] = e1c0r - e1c2r;
            fim[wa + 45] = e1c0i - e1c2i;
            fre[wa + 54] = e0c1r - e0c3r;
            fim[wa + 54] = e0c1i - e0c3i;
            fre[wa + 63] = e1c1r - e1c3r;
            fim[wa + 63] = e1c1i - e1c3i;
        }
        __syncthreads();
        // Forward pass over sub-transforms of 64: read, wait, butterfly, write.
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int r = j;
            const int ra = base + r + r / 8;
            ar[i * 8] = fre[ra];
            ai[i * 8] = fim[ra];
            ar[i * 8 + 1] = fre[ra + 72];
            ai[i * 8 + 1] = fim[ra + 72];
            ar[i * 8 + 2] = fre[ra + 144];
            ai[i * 8 + 2] = fim[ra + 144];
            ar[i * 8 + 3] = fre[ra + 216];
            ai[i * 8 + 3] = fim[ra + 216];
            ar[i * 8 + 4] = fre[ra + 288];
            ai[i * 8 + 4] = fim[ra + 288];
            ar[i * 8 + 5] = fre[ra + 360];
            ai[i * 8 + 5] = fim[ra + 360];
            ar[i * 8 + 6] = fre[ra + 432];
            ai[i * 8 + 6] = fim[ra + 432];
            ar[i * 8 + 7] = fre[ra + 504];
            ai[i * 8 + 7] = fim[ra + 504];
        }
        __syncthreads();
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int k = j % 64;
            const int q = k * 2 * 2;
            const float w1r = twiddles[q];
            const float w1i = twiddles[q + 1];
            const float w2r = w1r * w1r - w1i * w1i;
            const float w2i = w1r * w1i + w1i * w1r;
            const float w3r = w2r * w1r - w2i * w1i;
            const float w3i = w2r * w1i + w2i * w1r;
            const float w4r = w2r * w2r - w2i * w2i;
            const float w4i = w2r * w2i + w2i * w2r;
            const float w5r = w4r * w1r - w4i * w1i;
            const float w5i = w4r * w1i + w4i * w1r;
            const float w6r = w3r * w3r - w3i * w3i;
            const float w6i = w3r * w3i + w3i * w3r;
            const float w7r = w4r * w3r - w4i * w3i;
            const float w7i = w4r * w3i + w4i * w3r;
            const float t1r = ar[i * 8 + 1] * w1r - ai[i * 8 + 1] * w1i;
            const float t1i = ar[i * 8 + 1] * w1i + ai[i * 8 + 1] * w1r;
            const float t2r = ar[i * 8 + 2] * w2r - ai[i * 8 + 2] * w2i;
            const float t2i = ar[i * 8 + 2] * w2i + ai[i * 8 + 2] * w2r;
            const float t3r = ar[i * 8 + 3] * w3r - ai[i * 8 + 3] * w3i;
            const float t3i = ar[i * 8 + 3] * w3i + ai[i * 8 + 3] * w3r;
            const float t4r = ar[i * 8 + 4] * w4r - ai[i * 8 + 4] * w4i;
            const float t4i = ar[i * 8 + 4] * w4i + ai[i * 8 + 4] * w4r;
            const float t5r = ar[i * 8 + 5] * w5r - ai[i * 8 + 5] * w5i;
            const float t5i = ar[i * 8 + 5] * w5i + ai[i * 8 + 5] * w5r;
            const float t6r = ar[i * 8 + 6] * w6r - ai[i * 8 + 6] * w6i;
            const float t6i = ar[i * 8 + 6] * w6i + ai[i * 8 + 6] * w6r;
            const float t7r = ar[i * 8 + 7] * w7r - ai[i * 8 + 7] * w7i;
            const float t7i = ar[i * 8 + 7] * w7i + ai[i * 8 + 7] * w7r;
            const float b0r = ar[i * 8] + t4r;
            const float b0i = ai[i * 8] + t4i;
            const float b4r = ar[i * 8] - t4r;
            const float b4i = ai[i * 8] - t4i;
            const float b1r = t1r + t5r;
            const float b1i = t1i + t5i;
            const float b5r = t1r - t5r;
            const float b5i = t1i - t5i;
            const float b2r = t2r + t6r;
            const float b2i = t2i + t6i;
            const float b6r = t2r - t6r;
            const float b6i = t2i - t6i;
            const float b3r = t3r + t7r;
            const float b3i = t3i + t7i;
            const float b7r = t3r - t7r;
            const float b7i = t3i - t7i;
            const float d5r = (b5r + b5i) * 0.70710677f;
            const float d5i = (b5i - b5r) * 0.70710677f;
            const float d7r = (b7i - b7r) * 0.70710677f;
            const float d7i = -(b7r + b7i) * 0.70710677f;
            const float e0c0r = b0r + b2r;
            const float e0c0i = b0i + b2i;
            const float e0c2r = b1r + b3r;
            const float e0c2i = b1i + b3i;
            const float e0c1r = b0r - b2r;
            const float e0c1i = b0i - b2i;
            const float e0c3r = b1i - b3i;
            const float e0c3i = -(b1r - b3r);
            const float e1c0r = b4r + b6i;
            const float e1c0i = b4i + -b6r;
            const float e1c2r = d5r + d7r;
            const float e1c2i = d5i + d7i;
            const float e1c1r = b4r - b6i;
            const float e1c1i = b4i - -b6r;
            const float e1c3r = d5i - d7i;
            const float e1c3i = -(d5r - d7r);
            const int w = j / 64 * 512 + k;
            const int wa = base + w + w / 8;
            fre[wa] = e0c0r + e0c2r;
            fim[wa] = e0c0i + e0c2i;
            fre[wa + 72] = e1c0r + e1c2r;
            fim[wa + 72] = e1c0i + e1c2i;
            fre[wa + 144] = e0c1r + e0c3r;
            fim[wa + 144] = e0c1i + e0c3i;
            fre[wa + 216] = e1c1r + e1c3r;
            fim[wa + 216] = e1c1i + e1c3i;
            fre[wa + 288] = e0c0r - e0c2r;
            fim[wa + 288] = e0c0i - e0c2i;
            fre[wa + 360] = e1c0r - e1c2r;
            fim[wa + 360] = e1c0i - e1c2i;
            fre[wa + 432] = e0c1r - e0c3r;
            fim[wa + 432] = e0c1i - e0c3i;
            fre[wa + 504] = e1c1r - e1c3r;
            fim[wa + 504] = e1c1i - e1c3i;
        }
        __syncthreads();
        // Bins k and M - k of the real spectrum, times the filter's (over 2N), back to the packing the inverse reads:
        // with P = Y[k] + conj(Y[M-k]), V = W^-k (Y[k] - conj(Y[M-k])): Z'[k] = P + iV, Z'[M-k] = conj(P - iV).
        for (int k = jb; k < 257; k += 64) {
            const int ka = k;
            const float zar = fre[base + ka + ka / 8];
            const float zai = fim[base + ka + ka / 8];
            const int kb = k == 0 ? 0 : 512 - k;
            const float zbr = fre[base + kb + kb / 8];
            const float zbi = fim[base + kb + kb / 8];
            const float wkr = twiddles[k * 2];
            const float wki = twiddles[k * 2 + 1];
            const float fr = zar + zbr;
            const float fi = zai + -zbi;
            const float gr = zai - -zbi;
            const float gi = -(zar - zbr);
            const float wgr = wkr * gr - wki * gi;
            const float wgi = wkr * gi + wki * gr;
            const long long hk = (hrow + k) * 2;
            const long long hm = (hrow + (512 - k)) * 2;
            const float ykr = (fr + wgr) * hf[hk] - (fi + wgi) * hf[hk + 1];
            const float yki = (fr + wgr) * hf[hk + 1] + (fi + wgi) * hf[hk];
            const float ymr = (fr - wgr) * hf[hm] - -(fi - wgi) * hf[hm + 1];
            const float ymi = (fr - wgr) * hf[hm + 1] + -(fi - wgi) * hf[hm];
            const float ppr = ykr + ymr;
            const float ppi = yki + -ymi;
            const float vr = wkr * (ykr - ymr) - -wki * (yki - -ymi);
            const float vi = wkr * (yki - -ymi) + -wki * (ykr - ymr);
            const int zke = k;
            const int zk = base + zke + zke / 8;
            fre[zk] = ppr + -vi;
            fim[zk] = ppi + vr;
            if (k > 0 && k < 256) {
                const int zme = 512 - k;
                const int zm = base + zme + zme / 8;
                fre[zm] = ppr - -vi;
                fim[zm] = -(ppi - vr);
            }
        }
        __syncthreads();
        // Inverse pass over sub-transforms of 1: read, wait, butterfly, write.
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int r = j;
            const int ra = base + r + r / 8;
            ar[i * 8] = fre[ra];
            ai[i * 8] = fim[ra];
            ar[i * 8 + 1] = fre[ra + 72];
            ai[i * 8 + 1] = fim[ra + 72];
            ar[i * 8 + 2] = fre[ra + 144];
            ai[i * 8 + 2] = fim[ra + 144];
            ar[i * 8 + 3] = fre[ra + 216];
            ai[i * 8 + 3] = fim[ra + 216];
            ar[i * 8 + 4] = fre[ra + 288];
            ai[i * 8 + 4] = fim[ra + 288];
            ar[i * 8 + 5] = fre[ra + 360];
            ai[i * 8 + 5] = fim[ra + 360];
            ar[i * 8 + 6] = fre[ra + 432];
            ai[i * 8 + 6] = fim[ra + 432];
            ar[i * 8 + 7] = fre[ra + 504];
            ai[i * 8 + 7] = fim[ra + 504];
        }
        __syncthreads();
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const float b0r = ar[i * 8] + ar[i * 8 + 4];
            const float b0i = ai[i * 8] + ai[i * 8 + 4];
            const float b4r = ar[i * 8] - ar[i * 8 + 4];
            const float b4i = ai[i * 8] - ai[i * 8 + 4];
            const float b1r = ar[i * 8 + 1] + ar[i * 8 + 5];
            const float b1i = ai[i * 8 + 1] + ai[i * 8 + 5];
            const float b5r = ar[i * 8 + 1] - ar[i * 8 + 5];
            const float b5i = ai[i * 8 + 1] - ai[i * 8 + 5];
            const float b2r = ar[i * 8 + 2] + ar[i * 8 + 6];
            const float b2i = ai[i * 8 + 2] + ai[i * 8 + 6];
            const float b6r = ar[i * 8 + 2] - ar[i * 8 + 6];
            const float b6i = ai[i * 8 + 2] - ai[i * 8 + 6];
            const float b3r = ar[i * 8 + 3] + ar[i * 8 + 7];
            const float b3i = ai[i * 8 + 3] + ai[i * 8 + 7];
            const float b7r = ar[i * 8 + 3] - ar[i * 8 + 7];
            const float b7i = ai[i * 8 + 3] - ai[i * 8 + 7];
            const float d5r = (b5r - b5i) * 0.70710677f;
            const float d5i = (b5i + b5r) * 0.70710677f;
            const float d7r = -(b7r + b7i) * 0.70710677f;
            const float d7i = (b7r - b7i) * 0.70710677f;
            const float e0c0r = b0r + b2r;
            const float e0c0i = b0i + b2i;
            const float e0c2r = b1r + b3r;
            const float e0c2i = b1i + b3i;
            const float e0c1r = b0r - b2r;
            const float e0c1i = b0i - b2i;
            const float e0c3r = -(b1i - b3i);
            const float e0c3i = b1r - b3r;
            const float e1c0r = b4r + -b6i;
            const float e1c0i = b4i + b6r;
            const float e1c2r = d5r + d7r;
            const float e1c2i = d5i + d7i;
            const float e1c1r = b4r - -b6i;
            const float e1c1i = b4i - b6r;
            const float e1c3r = -(d5i - d7i);
            const float e1c3i = d5r - d7r;
            const int wa = base + j * 8 / 8 * 9;
            fre[wa] = e0c0r + e0c2r;
            fim[wa] = e0c0i + e0c2i;
            fre[wa + 1] = e1c0r + e1c2r;
            fim[wa + 1] = e1c0i + e1c2i;
            fre[wa + 2] = e0c1r + e0c3r;
            fim[wa + 2] = e0c1i + e0c3i;
            fre[wa + 3] = e1c1r + e1c3r;
            fim[wa + 3] = e1c1i + e1c3i;
            fre[wa + 4] = e0c0r - e0c2r;
            fim[wa + 4] = e0c0i - e0c2i;
            fre[wa + 5] = e1c0r - e1c2r;
            fim[wa + 5] = e1c0i - e1c2i;
            fre[wa + 6] = e0c1r - e0c3r;
            fim[wa + 6] = e0c1i - e0c3i;
            fre[wa + 7] = e1c1r - e1c3r;
            fim[wa + 7] = e1c1i - e1c3i;
        }
        __syncthreads();
        // Inverse pass over sub-transforms of 8: read, wait, butterfly, write.
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int r = j;
            const int ra = base + r + r / 8;
            ar[i * 8] = fre[ra];
            ai[i * 8] = fim[ra];
            ar[i * 8 + 1] = fre[ra + 72];
            ai[i * 8 + 1] = fim[ra + 72];
            ar[i * 8 + 2] = fre[ra + 144];
            ai[i * 8 + 2] = fim[ra + 144];
            ar[i * 8 + 3] = fre[ra + 216];
            ai[i * 8 + 3] = fim[ra + 216];
            ar[i * 8 + 4] = fre[ra + 288];
            ai[i * 8 + 4] = fim[ra + 288];
            ar[i * 8 + 5] = fre[ra + 360];
            ai[i * 8 + 5] = fim[ra + 360];
            ar[i * 8 + 6] = fre[ra + 432];
            ai[i * 8 + 6] = fim[ra + 432];
            ar[i * 8 + 7] = fre[ra + 504];
            ai[i * 8 + 7] = fim[ra + 504];
        }
        __syncthreads();
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int k = j % 8;
            const int q = k * 16 * 2;
            const float w1r = twiddles[q];
            const float w1i = -twiddles[q + 1];
            const float w2r = w1r * w1r - w1i * w1i;
            const float w2i = w1r * w1i + w1i * w1r;
            const float w3r = w2r * w1r - w2i * w1i;
            const float w3i = w2r * w1i + w2i * w1r;
            const float w4r = w2r * w2r - w2i * w2i;
            const float w4i = w2r * w2i + w2i * w2r;
            const float w5r = w4r * w1r - w4i * w1i;
            const float w5i = w4r * w1i + w4i * w1r;
            const float w6r = w3r * w3r - w3i * w3i;
            const float w6i = w3r * w3i + w3i * w3r;
            const float w7r = w4r * w3r - w4i * w3i;
            const float w7i = w4r * w3i + w4i * w3r;
            const float t1r = ar[i * 8 + 1] * w1r - ai[i * 8 + 1] * w1i;
            const float t1i = ar[i * 8 + 1] * w1i + ai[i * 8 + 1] * w1r;
            const float t2r = ar[i * 8 + 2] * w2r - ai[i * 8 + 2] * w2i;
            const float t2i = ar[i * 8 + 2] * w2i + ai[i * 8 + 2] * w2r;
            const float t3r = ar[i * 8 + 3] * w3r - ai[i * 8 + 3] * w3i;
            const float t3i = ar[i * 8 + 3] * w3i + ai[i * 8 + 3] * w3r;
            const float t4r = ar[i * 8 + 4] * w4r - ai[i * 8 + 4] * w4i;
            const float t4i = ar[i * 8 + 4] * w4i + ai[i * 8 + 4] * w4r;
            const float t5r = ar[i * 8 + 5] * w5r - ai[i * 8 + 5] * w5i;
            const float t5i = ar[i * 8 + 5] * w5i + ai[i * 8 + 5] * w5r;
            const float t6r = ar[i * 8 + 6] * w6r - ai[i * 8 + 6] * w6i;
            const float t6i = ar[i * 8 + 6] * w6i + ai[i * 8 + 6] * w6r;
            const float t7r = ar[i * 8 + 7] * w7r - ai[i * 8 + 7] * w7i;
            const float t7i = ar[i * 8 + 7] * w7i + ai[i * 8 + 7] * w7r;
            const float b0r = ar[i * 8] + t4r;
            const float b0i = ai[i * 8] + t4i;
            const float b4r = ar[i * 8] - t4r;
            const float b4i = ai[i * 8] - t4i;
            const float b1r = t1r + t5r;
            const float b1i = t1i + t5i;
            const float b5r = t1r - t5r;
            const float b5i = t1i - t5i;
            const float b2r = t2r + t6r;
            const float b2i = t2i + t6i;
            const float b6r = t2r - t6r;
            const float b6i = t2i - t6i;
            const float b3r = t3r + t7r;
            const float b3i = t3i + t7i;
            const float b7r = t3r - t7r;
            const float b7i = t3i - t7i;
            const float d5r = (b5r - b5i) * 0.70710677f;
            const float d5i = (b5i + b5r) * 0.70710677f;
            const float d7r = -(b7r + b7i) * 0.70710677f;
            const float d7i = (b7r - b7i) * 0.70710677f;
            const float e0c0r = b0r + b2r;
            const float e0c0i = b0i + b2i;
            const float e0c2r = b1r + b3r;
            const float e0c2i = b1i + b3i;
            const float e0c1r = b0r - b2r;
            const float e0c1i = b0i - b2i;
            const float e0c3r = -(b1i - b3i);
            const float e0c3i = b1r - b3r;
            const float e1c0r = b4r + -b6i;
            const float e1c0i = b4i + b6r;
            const float e1c2r = d5r + d7r;
            const float e1c2i = d5i + d7i;
            const float e1c1r = b4r - -b6i;
            const float e1c1i = b4i - b6r;
            const float e1c3r = -(d5i - d7i);
            const float e1c3i = d5r - d7r;
            const int w = j / 8 * 64 + k;
            const int wa = base + w + w / 8;
            fre[wa] = e0c0r + e0c2r;
            fim[wa] = e0c0i + e0c2i;
            fre[wa + 9] = e1c0r + e1c2r;
            fim[wa + 9] = e1c0i + e1c2i;
            fre[wa + 18] = e0c1r + e0c3r;
            fim[wa + 18] = e0c1i + e0c3i;
            fre[wa + 27] = e1c1r + e1c3r;
            fim[wa + 27] = e1c1i + e1c3i;
            fre[wa + 36] = e0c0r - e0c2r;
            fim[wa + 36] = e0c0i - e0c2i;
            fre[wa + 45] = e1c0r - e1c2r;
            fim[wa + 45] = e1c0i - e1c2i;
            fre[wa + 54] = e0c1r - e0c3r;
            fim[wa + 54] = e0c1i - e0c3i;
            fre[wa + 63] = e1c1r - e1c3r;
            fim[wa + 63] = e1c1i - e1c3i;
        }
        __syncthreads();
        // Inverse pass over sub-transforms of 64: its outputs stay in registers, real results in ar.
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int r = j;
            const int ra = base + r + r / 8;
            ar[i * 8] = fre[ra];
            ai[i * 8] = fim[ra];
            ar[i * 8 + 1] = fre[ra + 72];
            ai[i * 8 + 1] = fim[ra + 72];
            ar[i * 8 + 2] = fre[ra + 144];
            ai[i * 8 + 2] = fim[ra + 144];
            ar[i * 8 + 3] = fre[ra + 216];
            ai[i * 8 + 3] = fim[ra + 216];
            ar[i * 8 + 4] = fre[ra + 288];
            ai[i * 8 + 4] = fim[ra + 288];
            ar[i * 8 + 5] = fre[ra + 360];
            ai[i * 8 + 5] = fim[ra + 360];
            ar[i * 8 + 6] = fre[ra + 432];
            ai[i * 8 + 6] = fim[ra + 432];
            ar[i * 8 + 7] = fre[ra + 504];
            ai[i * 8 + 7] = fim[ra + 504];
        }
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            const int q = j * 2 * 2;
            const float w1r = twiddles[q];
            const float w1i = -twiddles[q + 1];
            const float w2r = w1r * w1r - w1i * w1i;
            const float w2i = w1r * w1i + w1i * w1r;
            const float w3r = w2r * w1r - w2i * w1i;
            const float w3i = w2r * w1i + w2i * w1r;
            const float w4r = w2r * w2r - w2i * w2i;
            const float w4i = w2r * w2i + w2i * w2r;
            const float w5r = w4r * w1r - w4i * w1i;
            const float w5i = w4r * w1i + w4i * w1r;
            const float w6r = w3r * w3r - w3i * w3i;
            const float w6i = w3r * w3i + w3i * w3r;
            const float w7r = w4r * w3r - w4i * w3i;
            const float w7i = w4r * w3i + w4i * w3r;
            const float t1r = ar[i * 8 + 1] * w1r - ai[i * 8 + 1] * w1i;
            const float t1i = ar[i * 8 + 1] * w1i + ai[i * 8 + 1] * w1r;
            const float t2r = ar[i * 8 + 2] * w2r - ai[i * 8 + 2] * w2i;
            const float t2i = ar[i * 8 + 2] * w2i + ai[i * 8 + 2] * w2r;
            const float t3r = ar[i * 8 + 3] * w3r - ai[i * 8 + 3] * w3i;
            const float t3i = ar[i * 8 + 3] * w3i + ai[i * 8 + 3] * w3r;
            const float t4r = ar[i * 8 + 4] * w4r - ai[i * 8 + 4] * w4i;
            const float t4i = ar[i * 8 + 4] * w4i + ai[i * 8 + 4] * w4r;
            const float t5r = ar[i * 8 + 5] * w5r - ai[i * 8 + 5] * w5i;
            const float t5i = ar[i * 8 + 5] * w5i + ai[i * 8 + 5] * w5r;
            const float t6r = ar[i * 8 + 6] * w6r - ai[i * 8 + 6] * w6i;
            const float t6i = ar[i * 8 + 6] * w6i + ai[i * 8 + 6] * w6r;
            const float t7r = ar[i * 8 + 7] * w7r - ai[i * 8 + 7] * w7i;
            const float t7i = ar[i * 8 + 7] * w7i + ai[i * 8 + 7] * w7r;
            const float b0r = ar[i * 8] + t4r;
            const float b0i = ai[i * 8] + t4i;
            const float b4r = ar[i * 8] - t4r;
            const float b4i = ai[i * 8] - t4i;
            const float b1r = t1r + t5r;
            const float b1i = t1i + t5i;
            const float b5r = t1r - t5r;
            const float b5i = t1i - t5i;
            const float b2r = t2r + t6r;
            const float b2i = t2i + t6i;
            const float b6r = t2r - t6r;
            const float b6i = t2i - t6i;
            const float b3r = t3r + t7r;
            const float b3i = t3i + t7i;
            const float b7r = t3r - t7r;
            const float b7i = t3i - t7i;
            const float d5r = (b5r - b5i) * 0.70710677f;
            const float d5i = (b5i + b5r) * 0.70710677f;
            const float d7r = -(b7r + b7i) * 0.70710677f;
            const float d7i = (b7r - b7i) * 0.70710677f;
            const float e0c0r = b0r + b2r;
            const float e0c0i = b0i + b2i;
            const float e0c2r = b1r + b3r;
            const float e0c2i = b1i + b3i;
            const float e0c1r = b0r - b2r;
            const float e0c1i = b0i - b2i;
            const float e0c3r = -(b1i - b3i);
            const float e0c3i = b1r - b3r;
            const float e1c0r = b4r + -b6i;
            const float e1c0i = b4i + b6r;
            const float e1c2r = d5r + d7r;
            const float e1c2i = d5i + d7i;
            const float e1c1r = b4r - -b6i;
            const float e1c1i = b4i - b6r;
            const float e1c3r = -(d5i - d7i);
            const float e1c3i = d5r - d7r;
            ar[i * 8] = e0c0r + e0c2r;
            ar[i * 8 + 1] = e0c0i + e0c2i;
            ar[i * 8 + 2] = e1c0r + e1c2r;
            ar[i * 8 + 3] = e1c0i + e1c2i;
            ar[i * 8 + 4] = e0c1r + e0c3r;
            ar[i * 8 + 5] = e0c1i + e0c3i;
            ar[i * 8 + 6] = e1c1r + e1c3r;
            ar[i * 8 + 7] = e1c1i + e1c3i;
        }
        const bool more = t0 + 512 < length;
        float ep[16];
        #pragma unroll
        for (int n = 0; n < 16; n++) {
            ep[n] = 0.0f;
        }
        // Epilogue: ar[8i + 2r + e] is the convolution at step t0 + 2(j + r*M/8) + e of this chunk.
        #pragma unroll
        for (int i = 0; i < 1; i++) {
            const int j = jb + i * 64;
            float sv[8];
            const long long p00 = t0 + j * 2;
            const long long a00 = (row0 + p00) * 64 + cc;
            sv[0] = active && p00 >= 0 && p00 < length ? hy_bf16_to_float(z[a00 * 3 + 1]) * hy_bf16_to_float(z[a00 * 3 + 2]) : 0.0f;
            const long long p01 = t0 + j * 2 + 1;
            const long long a01 = (row0 + p01) * 64 + cc;
            sv[1] = active && p01 >= 0 && p01 < length ? hy_bf16_to_float(z[a01 * 3 + 1]) * hy_bf16_to_float(z[a01 * 3 + 2]) : 0.0f;
            const long long p10 = t0 + (j + 64) * 2;
            const long long a10 = (row0 + p10) * 64 + cc;
            sv[2] = active && p10 >= 0 && p10 < length ? hy_bf16_to_float(z[a10 * 3 + 1]) * hy_bf16_to_float(z[a10 * 3 + 2]) : 0.0f;
            const long long p11 = t0 + (j + 64) * 2 + 1;
            const long long a11 = (row0 + p11) * 64 + cc;
            sv[3] = active && p11 >= 0 && p11 < length ? hy_bf16_to_float(z[a11 * 3 + 1]) * hy_bf16_to_float(z[a11 * 3 + 2]) : 0.0f;
            const long long p20 = t0 + (j + 128) * 2;
            const long long a20 = (row0 + p20) * 64 + cc;
            sv[4] = active && p20 >= 0 && p20 < length ? hy_bf16_to_float(z[a20 * 3 + 1]) * hy_bf16_to_float(z[a20 * 3 + 2]) : 0.0f;
            const long long p21 = t0 + (j + 128) * 2 + 1;
            const long long a21 = (row0 + p21) * 64 + cc;
            sv[5] = active && p21 >= 0 && p21 < length ? hy_bf16_to_float(z[a21 * 3 + 1]) * hy_bf16_to_float(z[a21 * 3 + 2]) : 0.0f;
            const long long p30 = t0 + (j + 192) * 2;
            const long long a30 = (row0 + p30) * 64 + cc;
            sv[6] = active && p30 >= 0 && p30 < length ? hy_bf16_to_float(z[a30 * 3 + 1]) * hy_bf16_to_float(z[a30 * 3 + 2]) : 0.0f;
            const long long p31 = t0 + (j + 192) * 2 + 1;
            const long long a31 = (row0 + p31) * 64 + cc;
            sv[7] = active && p31 >= 0 && p31 < length ? hy_bf16_to_float(z[a31 * 3 + 1]) * hy_bf16_to_float(z[a31 * 3 + 2]) : 0.0f;
            // The modes' states carry everything before the chunk: + R * lambda^(tau + 1) * S, tau = 2(j + r*M/8) + e.
            if (t0 > 0) {
                #pragma unroll
                for (int n = 0; n < 16; n++) {
                    const int at = c * 16 + n;
                    float w = res[at] * state[at] * expf(logs[at] * (float)(j * 2 + 1));
                    const float l1 = lambda[at];
                    const float qs = quarter[at];
                    ar[i * 8] += w;
                    ar[i * 8 + 1] += w * l1;
                    w = w * qs;
                    ar[i * 8 + 2] += w;
                    ar[i * 8 + 3] += w * l1;
                    w = w * qs;
                    ar[i * 8 + 4] += w;
                    ar[i * 8 + 5] += w * l1;
                    w = w * qs;
                    ar[i * 8 + 6] += w;
                    ar[i * 8 + 7] += w * l1;
                }
            }
            // This slot's part of the chunk's own contribution to the states: sum_tau lambda^(T - 1 - tau) * s.
            if (more) {
                #pragma unroll
                for (int n = 0; n < 16; n++) {
                    const int at = c * 16 + n;
                    const float l1 = lambda[at];
                    const float qs = quarter[at];
                    float acc = l1 * sv[0] + sv[1];
                    acc = acc * qs + (l1 * sv[2] + sv[3]);
                    acc = acc * qs + (l1 * sv[4] + sv[5]);
                    acc = acc * qs + (l1 * sv[6] + sv[7]);
                    ep[n] += acc * expf(logs[at] * (float)(126 - j * 2));
                }
            }
            const long long o00 = t0 + j * 2;
            if (active && o00 < length) {
                const long long at = (row0 + o00) * 64 + cc;
                const float v = ar[i * 8] + skip[cc] * sv[0];
                const float q = hy_bf16_to_float(z[at * 3]);
                y[at] = hy_float_to_bf16(q * v);
            }
            const long long o01 = t0 + j * 2 + 1;
            if (active && o01 < length) {
                const long long at = (row0 + o01) * 64 + cc;
                const float v = ar[i * 8 + 1] + skip[cc] * sv[1];
                const float q = hy_bf16_to_float(z[at * 3]);
                y[at] = hy_float_to_bf16(q * v);
            }
            const long long o10 = t0 + (j + 64) * 2;
            if (active && o10 < length) {
                const long long at = (row0 + o10) * 64 + cc;
                const float v = ar[i * 8 + 2] + skip[cc] * sv[2];
                const float q = hy_bf16_to_float(z[at * 3]);
                y[at] = hy_float_to_bf16(q * v);
            }
            const long long o11 = t0 + (j + 64) * 2 + 1;
            if (active && o11 < length) {
                const long long at = (row0 + o11) * 64 + cc;
                const float v = ar[i * 8 + 3] + skip[cc] * sv[3];
                const float q = hy_bf16_to_float(z[at * 3]);
                y[at] = hy_float_to_bf16(q * v);
            }
            const long long o20 = t0 + (j + 128) * 2;
            if (active && o20 < length) {
                const long long at = (row0 + o20) * 64 + cc;
                const float v = ar[i * 8 + 4] + skip[cc] * sv[4];
                const float q = hy_bf16_to_float(z[at * 3]);
                y[at] = hy_float_to_bf16(q * v);
            }
            const long long o21 = t0 + (j + 128) * 2 + 1;
            if (active && o21 < length) {
                const long long at = (row0 + o21) * 64 + cc;
                const float v = ar[i * 8 + 5] + skip[cc] * sv[5];
                const float q = hy_bf16_to_float(z[at * 3]);
                y[at] = hy_float_to_bf16(q * v);
            }
            const long long o30 = t0 + (j + 192) * 2;
            if (active && o30 < length) {
                const long long at = (row0 + o30) * 64 + cc;
                const float v = ar[i * 8 + 6] + skip[cc] * sv[6];
                const float q = hy_bf16_to_float(z[at * 3]);
                y[at] = hy_float_to_bf16(q * v);
            }
            const long long o31 = t0 + (j + 192) * 2 + 1;
            if (active && o31 < length) {
                const long long at = (row0 + o31) * 64 + cc;
                const float v = ar[i * 8 + 7] + skip[cc] * sv[7];
                const float q = hy_bf16_to_float(z[at * 3]);
                y[at] = hy_float_to_bf16(q * v);
            }
        }
        // The states after the chunk: S = lambda^T * S + the block's sum of the threads' parts (in the real array).
        if (more) {
            __syncthreads();
            fre[(int)threadIdx.x] = ep[0];
            fre[520 + (int)threadIdx.x] = ep[1];
            fre[1040 + (int)threadIdx.x] = ep[2];
            fre[1560 + (int)threadIdx.x] = ep[3];
            fre[2080 + (int)threadIdx.x] = ep[4];
            fre[2600 + (int)threadIdx.x] = ep[5];
            fre[3120 + (int)threadIdx.x] = ep[6];
            fre[3640 + (int)threadIdx.x] = ep[7];
            fim[(int)threadIdx.x] = ep[8];
            fim[520 + (int)threadIdx.x] = ep[9];
            fim[1040 + (int)threadIdx.x] = ep[10];
            fim[1560 + (int)threadIdx.x] = ep[11];
            fim[2080 + (int)threadIdx.x] = ep[12];
            fim[2600 + (int)threadIdx.x] = ep[13];
            fim[3120 + (int)threadIdx.x] = ep[14];
            fim[3640 + (int)threadIdx.x] = ep[15];
            __syncthreads();
            // Each channel's and mode's 64 parts summed in 4 runs by as many threads, then the runs.
            for (int u = (int)threadIdx.x; u < 512; u += 512) {
                const int uc = u % 8;
                const int un = u / 8 % 16;
                const int first = u / 128 * 16;
                float sum = 0.0f;
                const int from = un % 8 * 520 + uc;
                if (un < 8) {
                    for (int m = first; m < first + 16; m++) {
                        sum += fre[from + m * 8];
                    }
                } else {
                    for (int m = first; m < first + 16; m++) {
                        sum += fim[from + m * 8];
                    }
                }
                partial[u] = sum;
            }
            __syncthreads();
            for (int u = (int)threadIdx.x; u < 128; u += 512) {
                const int at = u % 8 * 16 + u / 8;
                float sum = partial[u];
                sum += partial[u + 128];
                sum += partial[u + 256];
                sum += partial[u + 384];
                state[at] = whole[at] * state[at] + sum;
            }
            __syncthreads();
        }
    }
}
