package hyenac.backends.codegen;

import java.util.List;

/**
 * The few PTX instructions tensor-core kernels need, as typed {@link Stmt.Asm} statements (so only dialects
 * with {@link Dialect#inlinePtx inline PTX} render them). Operands are checked here: fragments are
 * {@link CType.Scalar#B32} registers, accumulators floats, shared addresses ints ({@link Expr#sharedAddress}).
 * Fragment layouts are the PTX ISA's (mma.m16n8k16, ldmatrix.m8n8). Each instruction form has its own device
 * function name ({@code hy_…}): the CPU emulator's shim implements each name, so a new form needs a name there too.
 */
public final class Ptx {
    private Ptx() {}

    /**
     * {@code d += a·b} on the tensor cores for one 16×8 tile with k = 16: a is 16×16 bf16 in four registers
     * (row-major fragment), b is 16×8 bf16 in two (column-major), d is 16×8 fp32 in four floats.
     * sm_80 and later.
     */
    public static void mmaBf16(Scope s, List<Expr> d, List<Expr> a, List<Expr> b) {
        count("accumulator", d, 4, CType.Scalar.FLOAT);
        count("a fragment", a, 4, CType.Scalar.B32);
        count("b fragment", b, 2, CType.Scalar.B32);
        s.asm("hy_mma_bf16_m16n8k16", "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};",
                List.of(), d, concat(a, b), false, false);
    }

    /**
     * Four 8×8 matrices of 16-bit elements from shared memory into four registers per thread
     * ({@code ldmatrix.x4}): lanes 8i…8i+7 give the addresses of the 8 rows (16 bytes each) of matrix i, and
     * register i of lane t receives row t/4, elements 2(t%4) and 2(t%4)+1 of matrix i, or, transposed, of its
     * transpose.
     */
    public static void ldmatrixX4(Scope s, List<Expr> regs, Expr rowAddress, boolean transpose) {
        count("destination", regs, 4, CType.Scalar.B32);
        requireInt(rowAddress, "a shared address");
        s.asm(transpose ? "hy_ldmatrix_x4_trans" : "hy_ldmatrix_x4", "ldmatrix.sync.aligned.m8n8.x4" + (transpose ? ".trans" : "") + ".shared.b16 {%0, %1, %2, %3}, [%4];",
                regs, List.of(), List.of(rowAddress), true, false);
    }

    /**
     * An asynchronous copy of 16 bytes from global to shared memory ({@code cp.async.cg}, bypassing L1):
     * {@code srcBytes} of them are read (0 or 16), the rest of the 16 are zero-filled. Both addresses 16-byte aligned.
     */
    public static void cpAsync16(Scope s, Expr sharedAddress, Expr global, Expr srcBytes) {
        requireInt(sharedAddress, "a shared address");
        requireInt(srcBytes, "a byte count");
        requireGlobal(global);
        s.asm("hy_cp_async_16_zfill", "cp.async.cg.shared.global [%0], [%1], 16, %2;", List.of(), List.of(), List.of(sharedAddress, global, srcBytes), true, true);
    }

    /** An asynchronous copy of 16 bytes from global to shared memory, all of them read (see {@link #cpAsync16(Scope, Expr, Expr, Expr)}). */
    public static void cpAsync16(Scope s, Expr sharedAddress, Expr global) {
        requireInt(sharedAddress, "a shared address");
        requireGlobal(global);
        s.asm("hy_cp_async_16", "cp.async.cg.shared.global [%0], [%1], 16;", List.of(), List.of(), List.of(sharedAddress, global), true, true);
    }

    /** Closes the group of asynchronous copies issued since the last commit. */
    public static void cpAsyncCommit(Scope s) {
        s.asm("hy_cp_async_commit", "cp.async.commit_group;", List.of(), List.of(), List.of(), true, true);
    }

    /** Waits until at most {@code pending} committed groups of this thread are still in flight (then a barrier shares them). */
    public static void cpAsyncWait(Scope s, int pending) {
        if (pending < 0 || pending > 7) throw new IllegalArgumentException("cp.async.wait_group takes 0 to 7, got " + pending);
        s.asm("hy_cp_async_wait_" + pending, "cp.async.wait_group " + pending + ";", List.of(), List.of(), List.of(), true, true);
    }

    /** {@code target} = two floats rounded to bf16 (nearest even) and packed: {@code lo} in the low half, {@code hi} in the high. */
    public static void packBf16x2(Scope s, Expr target, Expr lo, Expr hi) {
        count("packed register", List.of(target), 1, CType.Scalar.B32);
        count("halves", List.of(lo, hi), 2, CType.Scalar.FLOAT);
        s.asm("hy_pack_bf16x2", "cvt.rn.bf16x2.f32 %0, %1, %2;", List.of(target), List.of(), List.of(hi, lo), false, false);
    }

    /**
     * {@code target} = 2^x, approximately (the SFU's ex2: about 2 ulp, subnormal results flushed to zero),
     * without the subnormal fix-ups {@code exp2f} adds around it.
     */
    public static void exp2Approx(Scope s, Expr target, Expr x) {
        count("result", List.of(target), 1, CType.Scalar.FLOAT);
        count("argument", List.of(x), 1, CType.Scalar.FLOAT);
        s.asm("hy_ex2_approx", "ex2.approx.ftz.f32 %0, %1;", List.of(target), List.of(), List.of(x), false, false);
    }

    /** Four 32-bit words from 16-byte aligned shared memory ({@code ld.shared.v4.b32}), e.g. eight packed bf16. */
    public static void loadShared128(Scope s, List<Expr> regs, Expr sharedAddress) {
        count("destination", regs, 4, CType.Scalar.B32);
        requireInt(sharedAddress, "a shared address");
        s.asm("hy_ld_shared_v4", "ld.shared.v4.b32 {%0, %1, %2, %3}, [%4];", regs, List.of(), List.of(sharedAddress), true, true);
    }

    /** Four floats from 16-byte aligned shared memory ({@code ld.shared.v4.f32}). */
    public static void loadSharedFloats128(Scope s, List<Expr> floats, Expr sharedAddress) {
        count("destination", floats, 4, CType.Scalar.FLOAT);
        requireInt(sharedAddress, "a shared address");
        s.asm("hy_ld_shared_v4_f32", "ld.shared.v4.f32 {%0, %1, %2, %3}, [%4];", floats, List.of(), List.of(sharedAddress), true, true);
    }

    /** Two floats to 8-byte aligned shared memory ({@code st.shared.v2.f32}): an accumulator pair of an mma tile. */
    public static void storeSharedFloats64(Scope s, Expr sharedAddress, Expr first, Expr second) {
        requireInt(sharedAddress, "a shared address");
        count("source", List.of(first, second), 2, CType.Scalar.FLOAT);
        s.asm("hy_st_shared_v2_f32", "st.shared.v2.f32 [%0], {%1, %2};", List.of(), List.of(), List.of(sharedAddress, first, second), true, true);
    }

    /** Four 32-bit words to 16-byte aligned shared memory ({@code st.shared.v4.b32}). */
    public static void storeShared128(Scope s, Expr sharedAddress, List<Expr> regs) {
        count("source", regs, 4, CType.Scalar.B32);
        requireInt(sharedAddress, "a shared address");
        s.asm("hy_st_shared_v4", "st.shared.v4.b32 [%0], {%1, %2, %3, %4};", List.of(), List.of(), concat(List.of(sharedAddress), regs), true, true);
    }

    /** Four 32-bit words to 16-byte aligned global memory ({@code st.global.v4.b32}): one 16-byte store, e.g. eight bf16. */
    public static void storeGlobal128(Scope s, Expr global, List<Expr> regs) {
        count("source", regs, 4, CType.Scalar.B32);
        requireGlobal(global);
        s.asm("hy_st_global_v4", "st.global.v4.b32 [%0], {%1, %2, %3, %4};", List.of(), List.of(), concat(List.of(global), regs), true, true);
    }

    /**
     * Sixteen bytes of 16-byte aligned, read-only global memory into four 32-bit registers ({@code ld.global.nc.v4.b32}),
     * e.g. eight packed bf16 as tensor-core fragments; {@code streaming}: read once, not kept in L1.
     */
    public static void loadGlobal128(Scope s, List<Expr> regs, Expr global, boolean streaming) {
        count("destination", regs, 4, CType.Scalar.B32);
        requireGlobal(global);
        // with side effects: a load must stay after the kernel's wait for the predecessors that write what it reads
        s.asm(streaming ? "hy_ld_global_v4_stream" : "hy_ld_global_v4",
                "ld.global.nc" + (streaming ? ".L1::no_allocate" : "") + ".v4.b32 {%0, %1, %2, %3}, [%4];", regs, List.of(), List.of(global), true, false);
    }

    /** Asks for the 128-byte line holding {@code global} to be brought into L2, without waiting for it. */
    public static void prefetchL2(Scope s, Expr global) {
        requireGlobal(global);
        s.asm("hy_prefetch_l2", "prefetch.global.L2 [%0];", List.of(), List.of(), List.of(global), true, false);
    }

    /**
     * The two bf16 of a packed register as floats: {@code lo} from the low half, {@code hi} from the high (a bf16 is
     * the upper half of a float's bits, so each is a shift or a mask).
     */
    public static void unpackBf16x2(Scope s, Expr lo, Expr hi, Expr packed) {
        count("halves", List.of(lo, hi), 2, CType.Scalar.FLOAT);
        count("packed register", List.of(packed), 1, CType.Scalar.B32);
        s.asm("hy_unpack_bf16x2", "shl.b32 %0, %2, 16; and.b32 %1, %2, 0xffff0000;", List.of(lo, hi), List.of(), List.of(packed), false, false);
    }

    /**
     * {@code d += a·b} (or {@code d = a·b} where {@code accumulate} is 0) by the warpgroup's tensor cores, asynchronously:
     * {@code wgmma.mma_async} m64nNk16, bf16 in and fp32 out, sm_90a. The warpgroup (4 consecutive warps, the first
     * one's index divisible by 4) issues it together. a is the 64×16 tile from registers: warp w holds rows 16w…16w+15
     * as the a fragment of {@link #mmaBf16}. b is the 16×N tile in shared memory, named by a matrix descriptor
     * ({@link #descriptor128}), K-major (each of the N columns has its 16 k contiguous) or, with {@code bMnMajor}, N-major
     * (each k row has its N contiguous). d holds N/2 floats per thread: register 4i + e of lane t of warp w is row
     * 16w + t/4 + 8·(e/2), column 8i + 2·(t%4) + e%2. The result is there only after {@link #wgmmaWait}; a
     * {@link #wgmmaFence} must come between other writes of d or a and this.
     */
    public static void wgmmaBf16(Scope s, int n, List<Expr> d, List<Expr> a, Expr bDescriptor, boolean bMnMajor, Expr accumulate) {
        if (n < 8 || n > 256 || n % 8 != 0) throw new IllegalArgumentException("wgmma takes N a multiple of 8 up to 256, got " + n);
        count("accumulator", d, n / 2, CType.Scalar.FLOAT);
        count("a fragment", a, 4, CType.Scalar.B32);
        if (bDescriptor.type() != CType.Scalar.INT64) throw new Expr.TypeError("a matrix descriptor is an int64, got " + bDescriptor.type());
        requireInt(accumulate, "the accumulate flag");
        StringBuilder t = new StringBuilder("{ .reg .pred p; setp.ne.b32 p, %" + (n / 2 + 5) + ", 0; wgmma.mma_async.sync.aligned.m64n" + n
                + "k16.f32.bf16.bf16 {");
        for (int i = 0; i < n / 2; i++) t.append(i == 0 ? "" : ", ").append('%').append(i);
        t.append("}, {%").append(n / 2).append(", %").append(n / 2 + 1).append(", %").append(n / 2 + 2).append(", %").append(n / 2 + 3)
                .append("}, %").append(n / 2 + 4).append(", p, 1, 1, ").append(bMnMajor ? 1 : 0).append("; }");
        s.asm("hy_wgmma_m64n" + n + "k16_bf16_rs_" + (bMnMajor ? "mn" : "k"), t.toString(), List.of(), d,
                concat(a, List.of(bDescriptor, accumulate)), true, true);
    }

    /**
     * {@code target} = the shared-memory matrix descriptor of a wgmma operand stored in the 128-byte swizzle: rows of 128 bytes
     * whose 16-byte chunk c is stored at chunk c ^ (row % 8), 8 rows (1024 bytes, 1024-byte aligned) to a swizzle
     * atom. {@code address}: the operand's first element; {@code strideBytes}: from one 8-row atom to the next
     * along the 8-row direction (N for a K-major b, K for an N-major one); {@code leadingBytes}: from one 64-element
     * atom column to the next along the 128-byte rows' direction (an N-major b wider than 64; ignored for K-major).
     */
    public static void descriptor128(Scope s, Expr target, Expr address, int leadingBytes, int strideBytes) {
        requireInt(address, "a shared address");
        if (target.type() != CType.Scalar.INT64) throw new Expr.TypeError("a matrix descriptor is an int64, got " + target.type());
        if (leadingBytes % 16 != 0 || strideBytes % 16 != 0 || leadingBytes >= 1 << 18 || strideBytes >= 1 << 18) {
            throw new IllegalArgumentException("descriptor offsets are multiples of 16 below 2^18, got " + leadingBytes + " and " + strideBytes);
        }
        long fixed = (long) (leadingBytes >> 4) << 16 | (long) (strideBytes >> 4) << 32 | 1L << 62;
        // bits 0-13: the address in 16-byte units (shared addresses are below 2^18); adding multiples of 16 bytes to
        // the address later is adding to the descriptor
        s.asm("hy_wgmma_desc128", "{ .reg .b64 t; cvt.u64.u32 t, %1; shr.b64 t, t, 4; and.b64 t, t, 16383; or.b64 %0, t, %2; }",
                List.of(target), List.of(), List.of(address, Expr.lit64(fixed)), false, false);
    }

    /** Makes this warpgroup's earlier register writes visible to the wgmma that follow (of accumulators and a fragments). */
    public static void wgmmaFence(Scope s) {
        s.asm("hy_wgmma_fence", "wgmma.fence.sync.aligned;", List.of(), List.of(), List.of(), true, true);
    }

    /** Closes the group of wgmma issued since the last commit. */
    public static void wgmmaCommit(Scope s) {
        s.asm("hy_wgmma_commit", "wgmma.commit_group.sync.aligned;", List.of(), List.of(), List.of(), true, true);
    }

    /**
     * Waits until at most {@code pending} committed wgmma groups are in flight. The accumulators they write are
     * operands of the wait (named in a comment), so the compiler reads none of them before it.
     */
    public static void wgmmaWait(Scope s, int pending, List<Expr> accumulators) {
        if (pending < 0 || pending > 7) throw new IllegalArgumentException("wgmma.wait_group takes 0 to 7, got " + pending);
        count("accumulator", accumulators, accumulators.size(), CType.Scalar.FLOAT);
        StringBuilder t = new StringBuilder("wgmma.wait_group.sync.aligned " + pending + ";");
        if (!accumulators.isEmpty()) t.append(" //");
        for (int i = 0; i < accumulators.size(); i++) t.append(" %").append(i);
        s.asm("hy_wgmma_wait_" + pending + "_f" + accumulators.size(), t.toString(), List.of(), accumulators, List.of(), true, true);
    }

    /** Orders this thread's generic-proxy writes of shared memory (stores, cp.async) before async-proxy reads (wgmma, TMA). */
    public static void fenceProxyAsync(Scope s) {
        s.asm("hy_fence_proxy_async", "fence.proxy.async.shared::cta;", List.of(), List.of(), List.of(), true, true);
    }

    private static void count(String what, List<Expr> regs, int n, CType.Scalar type) {
        if (regs.size() != n) throw new IllegalArgumentException("a " + what + " is " + n + " registers, got " + regs.size());
        for (Expr r : regs) {
            if (r.type() != type) throw new Expr.TypeError("a " + what + " register is a " + type + ", got " + r.type());
        }
    }

    private static void requireInt(Expr e, String what) {
        if (e.type() != CType.Scalar.INT) throw new Expr.TypeError(what + " is an int, got " + e.type());
    }

    private static void requireGlobal(Expr e) {
        if (!(e.type() instanceof CType.Pointer p && p.space() == CType.Space.GLOBAL)) {
            throw new Expr.TypeError("a global address is a global pointer, got " + e.type());
        }
    }

    private static List<Expr> concat(List<Expr> a, List<Expr> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
