// Test shim, part two: launching an emulated kernel and moving buffers through files.
#pragma once
#include "cuda_shim.h"
#include <cstdio>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <algorithm>
#include <vector>

// Runs every block of the grid. Without barriers or warp-wide operations (`together` false) the threads of a block
// simply run one after another. With them, one OS thread per thread of a block is started once per launch and serves every block:
// a thread that has returned keeps arriving at the block barrier until all have returned, as if it were
// no longer counted (what CUDA does for exited threads).
template <class F>
void launch(uint3_ grid, uint3_ block, bool together, F kernel) {
    gridDim = grid;
    blockDim = block;
    const unsigned n = block.x * block.y * block.z;
    const unsigned long long blocks = 1ull * grid.x * grid.y * grid.z;
    auto coords = [&](unsigned long long i) {
        return uint3_{unsigned(i % grid.x), unsigned(i / grid.x % grid.y), unsigned(i / (1ull * grid.x * grid.y))};
    };
    auto thread = [&](unsigned t) { return uint3_{t % block.x, t / block.x % block.y, t / (block.x * block.y)}; };
    if (!together) {
        for (unsigned long long i = 0; i < blocks; i++) {
            blockIdx = coords(i);
            for (unsigned t = 0; t < n; t++) {
                threadIdx = thread(t);
                kernel();
            }
        }
        return;
    }
    std::barrier<> inside(n), gate(n + 1);
    std::atomic<unsigned> returned{0};
    block_barrier = &inside;
    // a warp's barrier loses the lanes that return, so it is made afresh for every block
    std::vector<std::unique_ptr<hy_warp>> warps((n + 31) / 32);
    std::vector<hy_warp*> warp_list(warps.size());
    hy_warps = warp_list.data();
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < n; t++) {
        threads.emplace_back([&, t] {
            threadIdx = thread(t);
            hy_lane_id = t % 32;
            hy_warp_id = t / 32;
            for (unsigned long long i = 0; i < blocks; i++) {
                gate.arrive_and_wait(); // the block is set up
                kernel();
                warps[t / 32]->meet.arrive_and_drop();
                returned.fetch_add(1);
                for (;;) {
                    inside.arrive_and_wait();
                    if (returned.load() == n) break;
                }
                gate.arrive_and_wait(); // the block is done
            }
        });
    }
    for (unsigned long long i = 0; i < blocks; i++) {
        blockIdx = coords(i);
        returned.store(0);
        for (unsigned w = 0; w < warps.size(); w++) {
            warps[w] = std::make_unique<hy_warp>(std::min(32u, n - 32 * w));
            warp_list[w] = warps[w].get();
        }
        gate.arrive_and_wait();
        gate.arrive_and_wait();
    }
    for (auto& th : threads) th.join();
}

template <class T>
std::vector<T> load(const char* path, size_t n) {
    std::vector<T> v(n);
    FILE* f = std::fopen(path, "rb");
    if (!f || std::fread(v.data(), sizeof(T), n, f) != n) { std::fprintf(stderr, "cannot read %s\n", path); std::exit(2); }
    std::fclose(f);
    return v;
}

template <class T>
void save(const char* path, const std::vector<T>& v) {
    FILE* f = std::fopen(path, "wb");
    if (!f || std::fwrite(v.data(), sizeof(T), v.size(), f) != v.size()) { std::fprintf(stderr, "cannot write %s\n", path); std::exit(2); }
    std::fclose(f);
}
