// Test shim, part three: what a kernel plan asks of libraries (GEMM, real FFT), done naively on the CPU, and
// moving a plan's memory through files. Elements are fp32 or bf16 (the upper half of a float, rounded to
// nearest even when stored); every sum is accumulated in fp32 as cuBLASLt does, in a different order.
#pragma once
#include "launch.h"
#include <cmath>
#include <cstring>
#include <vector>

enum hy_elem { HY_F32 = 0, HY_BF16 = 1 };

inline float hy_get(const void* p, int t, long long i) {
    if (t == HY_F32) return static_cast<const float*>(p)[i];
    uint32_t u = uint32_t(static_cast<const uint16_t*>(p)[i]) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline void hy_put(void* p, int t, long long i, float v) {
    if (t == HY_F32) { static_cast<float*>(p)[i] = v; return; }
    uint32_t u;
    std::memcpy(&u, &v, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) u |= 0x400000u;
    else u += 0x7fffu + ((u >> 16) & 1u);
    static_cast<uint16_t*>(p)[i] = uint16_t(u >> 16);
}

// y[m×n] = x[m×k]·wᵀ (+ bias[n]), w stored [n, k], all of element type t. Each y is stored as soon as it is
// summed, so a y that overlaps x, w or the bias (a memory plan's mistake) shows as wrong numbers.
inline void hy_gemm(const void* x, const void* w, const void* bias, void* y, int t, long long m, long long n, long long k) {
    for (long long i = 0; i < m; i++) {
        for (long long j = 0; j < n; j++) {
            float acc = 0.0f;
            for (long long q = 0; q < k; q++) acc += hy_get(x, t, i * k + q) * hy_get(w, t, j * k + q);
            if (bias) acc += hy_get(bias, t, j);
            hy_put(y, t, i * n + j, acc);
        }
    }
}

// rows real DFTs of n points, unnormalised as cuFFT's: forward n reals → n/2+1 complex (re, im interleaved);
// inverse n/2+1 complex → n reals (the imaginary parts of bin 0 and, for even n, bin n/2 ignored). Naive
// O(n²) sums in double; in and out may be the same buffer (cuFFT's in-place transform), nothing else shared.
inline void hy_rfft(const float* in, float* out, long long n, long long rows, bool forward) {
    const long long h = n / 2 + 1;
    std::vector<double> c(static_cast<size_t>(n)), s(static_cast<size_t>(n));
    for (long long i = 0; i < n; i++) {
        c[size_t(i)] = std::cos(2.0 * M_PI * double(i) / double(n));
        s[size_t(i)] = std::sin(2.0 * M_PI * double(i) / double(n));
    }
    std::vector<float> res(size_t(rows * (forward ? 2 * h : n)));
    for (long long r = 0; r < rows; r++) {
        if (forward) {
            const float* x = in + r * n;
            for (long long k = 0; k < h; k++) {
                double re = 0, im = 0;
                for (long long t = 0; t < n; t++) {
                    long long a = k * t % n;
                    re += double(x[t]) * c[size_t(a)];
                    im -= double(x[t]) * s[size_t(a)];
                }
                res[size_t(r * 2 * h + 2 * k)] = float(re);
                res[size_t(r * 2 * h + 2 * k + 1)] = float(im);
            }
        } else {
            const float* X = in + r * 2 * h;
            for (long long t = 0; t < n; t++) {
                double v = X[0];
                for (long long k = 1; 2 * k < n; k++) {
                    long long a = k * t % n;
                    v += 2.0 * (double(X[2 * k]) * c[size_t(a)] - double(X[2 * k + 1]) * s[size_t(a)]);
                }
                if (n % 2 == 0) v += double(X[n]) * ((t % 2) ? -1.0 : 1.0);
                res[size_t(r * n + t)] = float(v);
            }
        }
    }
    std::memcpy(out, res.data(), res.size() * sizeof(float));
}

// Converts to whatever pointer a kernel parameter is: plan buffers are bytes at offsets until a kernel reads them.
struct hy_any_ptr {
    void* p;
    template <class T> operator T*() const { return static_cast<T*>(p); }
};

inline void hy_read_into(void* dst, const char* path, size_t bytes) {
    if (bytes == 0) return;
    auto v = load<unsigned char>(path, bytes);
    std::memcpy(dst, v.data(), bytes);
}

inline void hy_write_from(const void* src, size_t bytes, const char* path) {
    std::vector<unsigned char> v(bytes);
    if (bytes) std::memcpy(v.data(), src, bytes);
    save(path, v);
}

// Bytes past the end of a plan's pool (and of each state) hold this pattern; a step that writes past its buffer
// at the end of the pool changes it, and the program stops saying where.
constexpr size_t HY_GUARD = 4096;
constexpr unsigned char HY_GUARD_BYTE = 0xa5;

inline void hy_guard(unsigned char* end) { std::memset(end, HY_GUARD_BYTE, HY_GUARD); }

inline void hy_check_guard(const unsigned char* end, const char* what) {
    for (size_t i = 0; i < HY_GUARD; i++) {
        if (end[i] != HY_GUARD_BYTE) {
            std::fprintf(stderr, "a write past the end of %s (byte %zu after it)\n", what, i);
            std::exit(3);
        }
    }
}
