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
        s.asm(streaming ? "hy_ld_global_v4_stream" : "hy_ld_global_v4",
                "ld.global.nc" + (streaming ? ".L1::no_allocate" : "") + ".v4.b32 {%0, %1, %2, %3}, [%4];", regs, List.of(), List.of(global), false, false);
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
