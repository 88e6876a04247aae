package hyenac.backends.codegen;

import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.lit64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Stmt.AssignOp;
import hyenac.backends.codegen.cuda.CudaDialect;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BuilderTest {
    /** A kernel that uses every kind of statement, in both dialects. */
    static Kernel sample() {
        KernelBuilder k = new KernelBuilder("demo_bf16", 128);
        Var x = k.param("x", CType.input(Scalar.BF16));
        Var y = k.param("y", CType.output(Scalar.BF16));
        Var n = k.param("n", Scalar.INT64);
        Var tile = k.shared("tile", Scalar.FLOAT, 128);
        Scope s = k.body();
        Var tid = s.let("tid", Expr.threadIdx(Axis.X));
        Var i = s.let("i", Expr.blockIdx(Axis.X).cast(Scalar.INT64).mul(128).add(tid));
        s.when(i.ge(n), Scope::exit);
        s.set(tile.at(tid), Expr.load(x, i));
        s.barrier();
        Var acc = s.var("acc", Scalar.FLOAT, Expr.negInfinity());
        s.unrolled("j", lit(0), lit(4), (j, body) -> body.set(acc, Expr.fmax(acc, tile.at(tid.add(j).mod(128)))));
        s.loop("stride", Scalar.INT, lit(64), v -> v.gt(0), AssignOp.DIV, lit(2), (stride, body) ->
                body.when(tid.lt(stride), then -> then.inc(acc, lit(1.0f)), otherwise -> otherwise.when(tid.eq(lit(0)),
                        a -> a.set(acc, lit(0.0f)), b -> b.comment("nothing"))));
        s.store(y, i, Expr.exp(acc.sub(lit(1.0e-6f))).mul(lit(0.5f)));
        return k.build();
    }

    @Test
    void rendersReadableCuda() {
        String expected = CudaDialect.BF16_PRELUDE + "\n" + """

                extern "C" __global__ void __launch_bounds__(128) demo_bf16(
                    const hy_bf16* __restrict__ x,
                    hy_bf16* __restrict__ y,
                    long long n)
                {
                    __shared__ float tile[128];

                    #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
                    asm volatile("griddepcontrol.wait;" ::: "memory");
                    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
                    #endif
                    const int tid = (int)threadIdx.x;
                    const long long i = (long long)blockIdx.x * 128 + tid;
                    if (i >= n) return;
                    tile[tid] = hy_bf16_to_float(x[i]);
                    __syncthreads();
                    float acc = __int_as_float(0xff800000);
                    #pragma unroll
                    for (int j = 0; j < 4; j++) {
                        acc = fmaxf(acc, tile[(tid + j) % 128]);
                    }
                    for (int stride = 64; stride > 0; stride /= 2) {
                        if (tid < stride) {
                            acc += 1.0f;
                        } else if (tid == 0) {
                            acc = 0.0f;
                        } else {
                            // nothing
                        }
                    }
                    y[i] = hy_float_to_bf16(expf(acc - 1.0e-06f) * 0.5f);
                }
                """;
        assertEquals(expected, sample().render(CudaDialect.INSTANCE));
    }

    @Test
    void theSameKernelInAnotherDialectCarriesNoCuda() {
        String text = sample().render(new ToyOpenClDialect());
        assertTrue(text.contains("__kernel __attribute__((reqd_work_group_size(128, 1, 1))) void demo_bf16(\n    __global const bf16* restrict x,"), text);
        assertTrue(text.contains("const long i = (long)get_group_id(0) * 128 + tid;"), text);
        assertTrue(text.contains("barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);"), text);
        for (String cuda : new String[] {"__global__", "threadIdx", "blockIdx", "__syncthreads", "hy_bf16", "__shared__", "expf", "#pragma unroll", "griddepcontrol"}) {
            assertTrue(!text.contains(cuda), cuda + " leaked into:\n" + text);
        }
    }

    @Test
    void everyKernelWaitsForItsPredecessorsOnceAtTheTopLevel() {
        // first, unless the body says where: after work that needs nothing from them
        Kernel first = sample();
        assertTrue(first.body().getFirst() instanceof Stmt.AwaitPredecessors);
        assertTrue(CudaDialect.awaitsPredecessors(first.render(CudaDialect.INSTANCE)));
        // an artifact's kernel from before the wait existed must keep starting after its predecessor
        assertTrue(!CudaDialect.awaitsPredecessors("extern \"C\" __global__ void __launch_bounds__(32) old(float* y) { y[0] = 1.0f; }"));

        KernelBuilder later = new KernelBuilder("later", 32);
        Var w = later.param("w", CType.input(Scalar.FLOAT));
        Scope s = later.body();
        Var tid = s.let("tid", Expr.threadIdx(Axis.X));
        Ptx.prefetchL2(s, Expr.offset(w, tid));
        s.awaitPredecessors();
        Kernel k = later.build();
        assertEquals(1, k.body().stream().filter(st -> st instanceof Stmt.AwaitPredecessors).count());
        String text = k.render(CudaDialect.INSTANCE);
        assertTrue(text.indexOf("hy_prefetch_l2(w + tid);") < text.indexOf("griddepcontrol.wait"), text);

        KernelBuilder nested = new KernelBuilder("nested", 32);
        Scope n = nested.body();
        n.when(Expr.threadIdx(Axis.X).lt(lit(16)), Scope::awaitPredecessors);
        IllegalStateException e = assertThrows(IllegalStateException.class, nested::build);
        assertTrue(e.getMessage().contains("once, at the top level"), e.getMessage());

        KernelBuilder twice = new KernelBuilder("twice", 32);
        twice.body().awaitPredecessors();
        twice.body().awaitPredecessors();
        assertThrows(IllegalStateException.class, twice::build);
    }

    @Test
    void parenthesesOnlyWhereNeeded() {
        CWriter w = new CWriter(CudaDialect.INSTANCE);
        Var a = new Var("a", Scalar.INT, false), b = new Var("b", Scalar.INT, false), c = new Var("c", Scalar.INT, false);
        Var f = new Var("f", Scalar.FLOAT, false);
        Var ok = new Var("ok", Scalar.BOOL, false);
        assertEquals("a - (b - c)", w.expr(a.sub(b.sub(c))));
        assertEquals("a - b - c", w.expr(a.sub(b).sub(c)));
        assertEquals("(a + b) * c", w.expr(a.add(b).mul(c)));
        assertEquals("a + b * c", w.expr(a.add(b.mul(c))));
        assertEquals("a / (b * c)", w.expr(a.div(b.mul(c))));
        assertEquals("-(-f)", w.expr(f.neg().neg()));
        assertEquals("(float)(a + b)", w.expr(a.add(b).cast(Scalar.FLOAT)));
        assertEquals("(a < b && ok) || !ok", w.expr(a.lt(b).and(ok).or(ok.not())));
        assertEquals("a < b ? f : (ok ? f : 0.0f)", w.expr(Expr.select(a.lt(b), f, Expr.select(ok, f, lit(0.0f)))));
        assertEquals("!(a < b)", w.expr(a.lt(b).not()));
        assertEquals("a - -2", w.expr(a.sub(lit(-2))));
    }

    @Test
    void integerArithmeticOnLiteralsFolds() {
        CWriter w = new CWriter(CudaDialect.INSTANCE);
        Var j = new Var("j", Scalar.INT, false);
        Var t = new Var("t", Scalar.INT64, false);
        assertEquals("6 - j", w.expr(lit(7).sub(lit(1)).sub(j)));
        assertEquals("j", w.expr(j.add(0).mul(1).div(1)));
        assertEquals("j", w.expr(lit(0).add(j)));
        // dropping the literal would change the type: int + int64 stays an int64 sum
        assertEquals(Scalar.INT64, j.add(lit64(0)).type());
        assertEquals("j + 0LL", w.expr(j.add(lit64(0))));
        assertEquals("t * 3", w.expr(t.mul(3)));
        assertEquals("4294967296LL", w.expr(lit(1L << 32)));
        assertEquals("-3", w.expr(lit(7).div(lit(-2))));
        assertEquals("-1", w.expr(lit(-7).mod(lit(2)))); // C truncates, as Java does
        assertEquals("0", w.expr(j.mod(lit(1))));
        assertEquals("0LL", w.expr(t.mod(lit(1))));
    }

    @Test
    void literalsSpellAsC() {
        CWriter w = new CWriter(CudaDialect.INSTANCE);
        assertEquals("1.0e-06f", w.expr(lit(1.0e-6f)));
        assertEquals("0.5", w.expr(lit(0.5)));
        assertEquals("64.0f", w.expr(lit(64.0f)));
        assertEquals("1.0e+30f", w.expr(lit(1e30f)));
        assertEquals("0.70710677f", w.expr(lit((float) (1 / Math.sqrt(2)))));
        assertThrows(IllegalArgumentException.class, () -> lit(Float.NaN));
    }

    @Test
    void typesAreChecked() {
        Var h = new Var("h", Scalar.BF16, false);
        Var f = new Var("f", Scalar.FLOAT, false);
        Var d = new Var("d", Scalar.DOUBLE, false);
        Var i = new Var("i", Scalar.INT, false);
        Var p = new Var("p", CType.input(Scalar.FLOAT), false);
        assertThrows(Expr.TypeError.class, () -> h.add(f), "no arithmetic on bf16");
        assertThrows(Expr.TypeError.class, () -> f.mod(i), "% on floats");
        assertThrows(Expr.TypeError.class, () -> p.at(f), "float index");
        assertThrows(Expr.TypeError.class, () -> i.at(i), "indexing a scalar");
        assertThrows(Expr.TypeError.class, () -> i.and(i), "&& on ints");
        assertThrows(Expr.TypeError.class, () -> Expr.exp(i), "exp of an int");
        assertThrows(Expr.TypeError.class, () -> Expr.call(MathFn.FMAX, f, d), "mixed float and double");
        assertThrows(Expr.TypeError.class, () -> Expr.cast(Scalar.FLOAT, h), "bf16 converts, not casts");
        assertEquals(Scalar.FLOAT, Expr.toFloat(h).type());
        assertEquals(Scalar.DOUBLE, f.mul(d).type());
        assertEquals(Scalar.FLOAT, i.mul(f).type());
        assertEquals(Scalar.BOOL, i.lt(f).type());

        Scope s = new KernelBuilder("k", 32).body();
        Var x = s.var("x", Scalar.FLOAT, lit(0.0f));
        assertThrows(Expr.TypeError.class, () -> s.set(x, d), "double to float needs a cast");
        assertThrows(Expr.TypeError.class, () -> s.set(x, h), "bf16 to float needs a conversion");
        assertThrows(Expr.TypeError.class, () -> s.set(p.at(0), f), "writing through a read-only pointer");
        assertThrows(Expr.TypeError.class, () -> s.set(s.let("c", f), f), "assigning a const");
        assertThrows(Expr.TypeError.class, () -> s.when(i, t -> { }), "an int condition");
        s.set(x, i); // int widens to float
        Var out = new Var("out", CType.output(Scalar.BF16), false);
        s.store(out, i, d); // double → float → bf16, stated by store
    }

    @Test
    void namesAreCheckedAndScoped() {
        KernelBuilder k = new KernelBuilder("k", 32);
        k.param("x", CType.input(Scalar.FLOAT));
        Scope s = k.body();
        assertThrows(IllegalArgumentException.class, () -> s.let("x", lit(1)), "shadows a parameter");
        assertThrows(IllegalArgumentException.class, () -> s.let("float", lit(1)), "a keyword");
        assertThrows(IllegalArgumentException.class, () -> s.let("threadIdx", lit(1)), "a CUDA builtin");
        assertThrows(IllegalArgumentException.class, () -> s.let("__x", lit(1)), "reserved spelling");
        assertThrows(IllegalArgumentException.class, () -> s.let("a b", lit(1)), "not an identifier");
        assertThrows(IllegalArgumentException.class, () -> s.let("hy_v", lit(1)), "the dialects' prefix");
        assertThrows(IllegalArgumentException.class, () -> new KernelBuilder("1k", 32), "entry not an identifier");
        // siblings may reuse a name; a nested scope may not shadow
        s.loop("j", lit(0), lit(4), lit(1), (j, b) -> b.let("t", j));
        s.loop("j", lit(0), lit(4), lit(1), (j, b) -> {
            b.let("t", j);
            assertThrows(IllegalArgumentException.class, () -> b.when(j.gt(0), inner -> inner.let("t", j)));
        });
        k.build();
        assertThrows(IllegalStateException.class, k::build);
    }

    @Test
    void sharedMemoryIsBoundedByTheDialect() {
        KernelBuilder k = new KernelBuilder("big", 32);
        k.shared("a", Scalar.FLOAT, 10_000);
        k.shared("b", Scalar.FLOAT, 3_000);
        Kernel kernel = k.build();
        assertEquals(52_000, kernel.sharedBytes());
        // past CUDA's 48 KiB of static shared memory the arrays become dynamic; a dialect without dynamic shared memory refuses
        assertEquals(52_000, kernel.dynamicSharedBytes(CudaDialect.INSTANCE));
        kernel.render(CudaDialect.INSTANCE);
        var local = assertThrows(IllegalStateException.class, () -> kernel.render(new ToyOpenClDialect()));
        assertEquals("big needs 52000 bytes of shared memory per block; toy-opencl allows at most 32768", local.getMessage());

        // past what an H100 gives a block by opt-in (227 KiB), CUDA refuses too, counting the arrays' alignment padding
        KernelBuilder huge = new KernelBuilder("huge", 32);
        huge.shared("a", Scalar.FLOAT, 58_000);
        huge.shared("b", Scalar.BF16, 1);
        huge.shared("c", Scalar.FLOAT, 111, 1024);
        Kernel hugeKernel = huge.build();
        assertEquals(232_446, hugeKernel.sharedBytes());
        var cuda = assertThrows(IllegalStateException.class, () -> hugeKernel.render(CudaDialect.INSTANCE));
        assertEquals("huge needs 232892 bytes of shared memory per block; cuda allows at most 232448", cuda.getMessage());
    }

    @Test
    void reportsTheScalarsItUses() {
        assertEquals(Set.of(Scalar.BF16, Scalar.INT64, Scalar.FLOAT, Scalar.INT, Scalar.BOOL), sample().scalarsUsed());
    }

    /** Inline PTX, shared addresses, packed registers, warp shuffles and xor: what tensor-core kernels need. */
    static Kernel tensorCoreSample() {
        KernelBuilder k = new KernelBuilder("mma_demo", 32).minBlocksPerMultiprocessor(2);
        Var a = k.param("a", CType.input(Scalar.BF16));
        Var y = k.param("y", CType.output(Scalar.FLOAT));
        Var tile = k.shared("tile", Scalar.BF16, 16 * 16, 128);
        Scope s = k.body();
        Var lane = s.let("lane", Expr.threadIdx(Axis.X));
        Var at = s.let("at", Expr.sharedAddress(tile, lane.mul(8)));
        Ptx.cpAsync16(s, at, Expr.offset(a, lane.mul(8)));
        Ptx.cpAsyncCommit(s);
        Ptx.cpAsyncWait(s, 0);
        s.barrier();
        Var frag = s.array("frag", Scalar.B32, 4);
        Ptx.ldmatrixX4(s, java.util.List.of(frag.at(0), frag.at(1), frag.at(2), frag.at(3)),
                Expr.sharedAddress(tile, lit(0)).add(lane.mod(16).xor(lane.div(16)).mul(16)), true);
        Var acc = s.array("acc", Scalar.FLOAT, 4);
        s.unrolled("i", lit(0), lit(4), (i, body) -> body.set(acc.at(i), lit(0.0f)));
        Ptx.mmaBf16(s, java.util.List.of(acc.at(0), acc.at(1), acc.at(2), acc.at(3)), java.util.List.of(frag.at(0), frag.at(1), frag.at(2), frag.at(3)),
                java.util.List.of(frag.at(0), frag.at(1)));
        Var packed = s.var("packed", Scalar.B32, frag.at(0));
        Ptx.packBf16x2(s, packed, acc.at(0), acc.at(1));
        Var e = s.var("e", Scalar.FLOAT, lit(0.0f));
        Ptx.exp2Approx(s, e, acc.at(2));
        s.store(y, lane, e.add(Expr.shuffleXor(acc.at(3), 1)));
        return k.build();
    }

    @Test
    void rendersInlinePtxForCudaOnly() {
        String cuda = tensorCoreSample().render(CudaDialect.INSTANCE);
        for (String line : java.util.List.of(
                "extern \"C\" __global__ void __launch_bounds__(32, 2) mma_demo(",
                "    const hy_bf16* __restrict__ a,",
                "    __shared__ __align__(128) hy_bf16 tile[256];",
                "    const int at = (int)__cvta_generic_to_shared(&tile[lane * 8]);",
                // each instruction is a call of its guarded device function, defined once before the kernel
                "    hy_cp_async_16(at, a + lane * 8);",
                "    hy_cp_async_commit();",
                "#ifndef HY_CP_ASYNC_16",
                "__device__ __forceinline__ void hy_cp_async_16(int i0, const void* i1) {",
                "    asm volatile(\"cp.async.cg.shared.global [%0], [%1], 16;\" : : \"r\"(i0), \"l\"(i1) : \"memory\");",
                "    asm volatile(\"cp.async.commit_group;\" ::: \"memory\");",
                "    unsigned int frag[4];",
                "    hy_ldmatrix_x4_trans(frag[0], frag[1], frag[2], frag[3],",
                "            (int)__cvta_generic_to_shared(&tile[0]) + ((lane % 16) ^ (lane / 16)) * 16);",
                "__device__ __forceinline__ void hy_pack_bf16x2(unsigned int& o0, float i0, float i1) {",
                "    asm(\"cvt.rn.bf16x2.f32 %0, %1, %2;\" : \"=r\"(o0) : \"f\"(i0), \"f\"(i1));",
                "    hy_pack_bf16x2(packed, acc[1], acc[0]);",
                "    y[lane] = e + __shfl_xor_sync(0xffffffffu, acc[3], 1);")) {
            assertTrue(cuda.contains(line + "\n"), "missing\n" + line + "\nin\n" + cuda);
        }
        assertTrue(cuda.contains(": \"+f\"(o0), \"+f\"(o1), \"+f\"(o2), \"+f\"(o3)"), cuda);
        assertTrue(cuda.contains("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"), cuda);
        assertEquals(1, cuda.split("#define HY_MMA_BF16_M16N8K16\n", -1).length - 1, "one definition per function");
        assertEquals(Set.of(Scalar.BF16, Scalar.FLOAT, Scalar.INT, Scalar.B32, Scalar.BOOL), tensorCoreSample().scalarsUsed()); // BOOL: the unrolled loop's condition
        assertThrows(UnsupportedOperationException.class, () -> tensorCoreSample().render(new ToyOpenClDialect()));
        assertTrue(CudaDialect.INSTANCE.inlinePtx());
        assertTrue(!new ToyOpenClDialect().inlinePtx());
    }

    @Test
    void anAssemblyFunctionHasOneForm() {
        KernelBuilder k = new KernelBuilder("k", 32);
        Scope s = k.body();
        Var f = s.var("f", Scalar.FLOAT, lit(0.0f));
        Var c = s.let("c", lit(1.0f));
        s.asm("hy_mov", "mov.f32 %0, %1;", java.util.List.of(f), java.util.List.of(), java.util.List.of(c), false, false);
        s.asm("hy_mov", "neg.f32 %0, %1;", java.util.List.of(f), java.util.List.of(), java.util.List.of(c), false, false);
        assertThrows(IllegalStateException.class, () -> k.build().render(CudaDialect.INSTANCE), "one name, two templates");
        assertThrows(IllegalArgumentException.class, () -> s.asm("mov", "mov.f32 %0, %1;", java.util.List.of(f), java.util.List.of(),
                java.util.List.of(c), false, false), "not an hy_ name");
    }

    @Test
    void inlineAssemblyIsChecked() {
        KernelBuilder k = new KernelBuilder("k", 32);
        Var x = k.param("x", CType.input(Scalar.FLOAT));
        Scope s = k.body();
        Var f = s.var("f", Scalar.FLOAT, lit(0.0f));
        Var c = s.let("c", lit(1.0f));
        java.util.List<Expr> none = java.util.List.of();
        assertThrows(IllegalArgumentException.class, () -> s.asm("hy_mov", "mov.f32 %0, %2;", java.util.List.of(f), none, java.util.List.of(c), false, false),
                "names an operand that does not exist");
        assertThrows(IllegalArgumentException.class, () -> s.asm("hy_mov", "mov.f32 %0, 1.0;", java.util.List.of(f), none, java.util.List.of(c), false, false),
                "leaves an operand unused");
        assertThrows(Expr.TypeError.class, () -> s.asm("hy_mov", "mov.f32 %0, %1;", java.util.List.of(c), none, java.util.List.of(f), false, false),
                "writes a constant");
        assertThrows(IllegalArgumentException.class, () -> s.asm("hy_mov", "mov.f32 %0, \"%1\";", java.util.List.of(f), none, java.util.List.of(c), false, false),
                "quotes");
        assertThrows(Expr.TypeError.class, () -> Ptx.mmaBf16(s, java.util.List.of(f, f, f, f), java.util.List.of(f, f, f, f), java.util.List.of(f, f)),
                "fragments are b32 registers");
        assertThrows(Expr.TypeError.class, () -> Expr.sharedAddress(x, lit(0)), "global memory has no shared address");
        assertThrows(Expr.TypeError.class, () -> c.xor(lit(1)), "xor of a float");
        assertEquals(lit(6), lit(3).xor(lit(5)), "folded");
        s.asm("hy_mov", "mov.f32 %0, %1;", java.util.List.of(f), none, java.util.List.of(c), false, false);
        assertThrows(IllegalArgumentException.class, () -> new CType.Array(Scalar.FLOAT, 4, CType.Space.SHARED, 2), "below the element size");
        assertThrows(IllegalArgumentException.class, () -> new CType.Array(Scalar.FLOAT, 4, CType.Space.SHARED, 24), "not a power of two");
    }

    /** A kernel reading 8 bf16 (one 16-byte load, streamed), 2 floats and 2 bf16 (8 and 4 bytes) into float registers. */
    static Kernel vectorSample() {
        KernelBuilder k = new KernelBuilder("wide_demo", 32);
        Var w = k.param("w", CType.input(Scalar.BF16));
        Var x = k.param("x", CType.input(Scalar.FLOAT));
        Var y = k.param("y", CType.output(Scalar.FLOAT));
        Scope s = k.body();
        Var lane = s.let("lane", Expr.threadIdx(Axis.X));
        Var v = s.array("v", Scalar.FLOAT, 8);
        java.util.List<Expr> eight = new java.util.ArrayList<>();
        for (int j = 0; j < 8; j++) eight.add(v.at(j));
        s.loadVector(w, lane.mul(8), eight, true);
        s.loadVector(x, lane.mul(2), eight.subList(0, 2), false);
        s.loadVector(w, lane.mul(2), eight.subList(2, 4), false);
        s.store(y, lane, v.at(0).add(v.at(7)));
        return k.build();
    }

    @Test
    void vectorLoadsAreOneAccessInCudaAndElementsElsewhere() {
        String cuda = vectorSample().render(CudaDialect.INSTANCE);
        assertTrue(cuda.contains(CudaDialect.VECTOR_LOAD_PRELUDE + "\n"), cuda);
        for (String line : java.util.List.of(
                "        const hy_b128 hy_v = hy_stream_b128(w + lane * 8);",
                "        v[0] = __uint_as_float(hy_v.x << 16);",
                "        v[1] = __uint_as_float(hy_v.x & 0xffff0000u);",
                "        v[7] = __uint_as_float(hy_v.w & 0xffff0000u);",
                "        const hy_b64 hy_v = hy_load_b64(x + lane * 2);",
                "        v[1] = __uint_as_float(hy_v.y);",
                "        const unsigned int hy_v = hy_load_b32(w + lane * 2);",
                "        v[2] = __uint_as_float(hy_v << 16);",
                "        v[3] = __uint_as_float(hy_v & 0xffff0000u);")) {
            assertTrue(cuda.contains(line + "\n"), "missing\n" + line + "\nin\n" + cuda);
        }
        assertTrue(!sample().render(CudaDialect.INSTANCE).contains("hy_b128"), "kernels without vector loads carry no helpers");
        String toy = vectorSample().render(new ToyOpenClDialect());
        assertTrue(toy.contains("    v[7] = as_float((uint)((w + lane * 8)[7]) << 16);\n"), toy);
        assertTrue(toy.contains("    v[1] = (x + lane * 2)[1];\n"), toy);
        assertTrue(!toy.contains("hy_"), toy);
    }

    /** A kernel writing 8 bf16 (one 16-byte store, the last a double narrowed as a scalar store narrows it) and 2 floats (8 bytes). */
    static Kernel vectorStoreSample() {
        KernelBuilder k = new KernelBuilder("wide_store_demo", 32);
        Var y = k.param("y", CType.output(Scalar.BF16));
        Var z = k.param("z", CType.output(Scalar.FLOAT));
        Scope s = k.body();
        Var lane = s.let("lane", Expr.threadIdx(Axis.X));
        Var v = s.array("v", Scalar.FLOAT, 8);
        java.util.List<Expr> eight = new java.util.ArrayList<>();
        for (int j = 0; j < 7; j++) eight.add(v.at(j));
        eight.add(lit(0.5));
        s.storeVector(y, lane.mul(8), eight);
        s.storeVector(z, lane.mul(2), eight.subList(0, 2));
        return k.build();
    }

    @Test
    void vectorStoresAreOneAccessInCudaAndElementsElsewhere() {
        String cuda = vectorStoreSample().render(CudaDialect.INSTANCE);
        assertTrue(cuda.contains(CudaDialect.VECTOR_STORE_PRELUDE + "\n"), cuda);
        assertTrue(!cuda.contains("HY_VECTOR_LOAD_PRELUDE"), "a kernel that only stores carries no load helpers");
        for (String line : java.util.List.of(
                "        const unsigned int hy_w0 = (unsigned int) hy_float_to_bf16(v[0]) | (unsigned int) hy_float_to_bf16(v[1]) << 16;",
                "        const unsigned int hy_w3 = (unsigned int) hy_float_to_bf16(v[6]) | (unsigned int) hy_float_to_bf16((float)0.5) << 16;",
                "        hy_store_b128(y + lane * 8, hy_w0, hy_w1, hy_w2, hy_w3);",
                "        const unsigned int hy_w1 = __float_as_uint(v[1]);",
                "        hy_store_b64(z + lane * 2, hy_w0, hy_w1);")) {
            assertTrue(cuda.contains(line + "\n"), "missing\n" + line + "\nin\n" + cuda);
        }
        assertTrue(!vectorSample().render(CudaDialect.INSTANCE).contains("hy_store_"), "kernels without vector stores carry no store helpers");
        String toy = vectorStoreSample().render(new ToyOpenClDialect());
        assertTrue(toy.contains("    (y + lane * 8)[7] = bf16_round((float)0.5);\n"), toy);
        assertTrue(toy.contains("    (z + lane * 2)[1] = v[1];\n"), toy);
        assertTrue(!toy.contains("hy_"), toy);
    }

    @Test
    void vectorStoresAreChecked() {
        KernelBuilder k = new KernelBuilder("k", 32);
        Var y = k.param("y", CType.output(Scalar.BF16));
        Var x = k.param("x", CType.input(Scalar.BF16));
        Var i = k.param("i", CType.output(Scalar.INT64));
        Scope s = k.body();
        Var v = s.array("v", Scalar.FLOAT, 16);
        java.util.List<Expr> three = java.util.List.of(v.at(0), v.at(1), v.at(2));
        assertThrows(IllegalArgumentException.class, () -> s.storeVector(y, lit(0), three), "6 bytes");
        java.util.List<Expr> sixteen = new java.util.ArrayList<>();
        for (int j = 0; j < 16; j++) sixteen.add(v.at(j));
        assertThrows(IllegalArgumentException.class, () -> s.storeVector(y, lit(0), sixteen), "32 bytes");
        java.util.List<Expr> two = java.util.List.of(v.at(0), v.at(1));
        assertThrows(Expr.TypeError.class, () -> s.storeVector(x, lit(0), two), "read-only memory");
        assertThrows(Expr.TypeError.class, () -> s.storeVector(i, lit(0), java.util.List.of(v.at(0))), "int64 elements");
        assertThrows(Expr.TypeError.class, () -> s.storeVector(v, lit(0), two), "a private array");
        assertThrows(Expr.TypeError.class, () -> s.storeVector(y, lit(0.5f), two), "a float index");
        assertThrows(Expr.TypeError.class, () -> s.storeVector(y, lit(0), java.util.List.of(v.at(0), lit(1.0f).lt(lit(2.0f)))), "a boolean");
    }

    @Test
    void vectorLoadsAreChecked() {
        KernelBuilder k = new KernelBuilder("k", 32);
        Var w = k.param("w", CType.input(Scalar.BF16));
        Var i = k.param("i", CType.input(Scalar.INT64));
        Scope s = k.body();
        Var v = s.array("v", Scalar.FLOAT, 16);
        Var d = s.array("d", Scalar.DOUBLE, 8);
        Var c = s.let("c", lit(1.0f));
        java.util.List<Expr> three = java.util.List.of(v.at(0), v.at(1), v.at(2));
        assertThrows(IllegalArgumentException.class, () -> s.loadVector(w, lit(0), three, false), "6 bytes");
        java.util.List<Expr> sixteen = new java.util.ArrayList<>();
        for (int j = 0; j < 16; j++) sixteen.add(v.at(j));
        assertThrows(IllegalArgumentException.class, () -> s.loadVector(w, lit(0), sixteen, false), "32 bytes");
        assertThrows(Expr.TypeError.class, () -> s.loadVector(i, lit(0), java.util.List.of(v.at(0)), false), "int64 elements");
        assertThrows(Expr.TypeError.class, () -> s.loadVector(v, lit(0), java.util.List.of(v.at(0), v.at(1)), false), "a private array");
        assertThrows(Expr.TypeError.class, () -> s.loadVector(w, lit(0), java.util.List.of(d.at(0), d.at(1)), false), "into doubles");
        assertThrows(Expr.TypeError.class, () -> s.loadVector(w, lit(0), java.util.List.of(c, v.at(1)), false), "into a constant");
        assertThrows(Expr.TypeError.class, () -> s.loadVector(w, lit(0.5f), java.util.List.of(v.at(0), v.at(1)), false), "a float index");
    }
}
