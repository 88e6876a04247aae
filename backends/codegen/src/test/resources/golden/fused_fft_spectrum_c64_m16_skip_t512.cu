
extern "C" __global__ void __launch_bounds__(512) fused_fft_spectrum_c64_m16_skip_t512(
    const float* __restrict__ log_poles,
    const float* __restrict__ residues,
    float* __restrict__ hf,
    const float* __restrict__ twiddles)
{
    __shared__ float fre[4640];
    __shared__ float fim[4640];

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
    const int row = (int)blockIdx.x * 8 + c;
    const bool active = row < 64;
    // h[tau] for tau < T: the taps at the even (real) and odd (imaginary) steps; past T zeros.
    for (int m = jb; m < 256; m += 64) {
        const int tau0 = m * 2;
        double h0 = 0.0;
        if (active) {
            #pragma unroll
            for (int n = 0; n < 16; n++) {
                const int at = row * 16 + n;
                h0 += (double)residues[at] * exp((double)log_poles[at] * (double)tau0);
            }
        }
        const float x0 = (float)h0;
        const int tau1 = m * 2 + 1;
        double h1 = 0.0;
        if (active) {
            #pragma unroll
            for (int n = 0; n < 16; n++) {
                const int at = row * 16 + n;
                h1 += (double)residues[at] * exp((double)log_poles[at] * (double)tau1);
            }
        }
        const float x1 = (float)h1;
        const int sme = m;
        const int sm = base + sme + sme / 8;
        fre[sm] = x0;
        fim[sm] = x1;
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
    // The real spectrum's bins k and M - k, over 2N (the factor 2 of realBins included).
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
        if (active) {
            const long long at = ((long long)row * 513 + k) * 2;
            hf[at] = (fr + wgr) * 2.4414062e-04f;
            hf[at + 1] = (fi + wgi) * 2.4414062e-04f;
            if (k < 256) {
                const long long pa = ((long long)row * 513 + (512 - k)) * 2;
                hf[pa] = (fr - wgr) * 2.4414062e-04f;
                hf[pa + 1] = -(fi - wgi) * 2.4414062e-04f;
            }
        }
    }
}
