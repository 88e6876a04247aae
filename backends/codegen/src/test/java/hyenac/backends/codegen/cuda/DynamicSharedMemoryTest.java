package hyenac.backends.codegen.cuda;

import static hyenac.backends.codegen.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Kernel;
import hyenac.backends.codegen.KernelBuilder;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Ptx;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.backends.codegen.kernels.GeneratedKernel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A kernel whose shared arrays exceed CUDA's 48 KiB of static shared memory: they are carved out of dynamic shared
 * memory, and the kernel renders, compiles with nvcc for sm_90a and computes on the emulator as a static one would.
 */
class DynamicSharedMemoryTest {
    static final int THREADS = 256, TILE = 8192;

    /**
     * Each block copies its tile of x into shared memory (cp.async, 16 bytes each), writes it reversed and scaled by the
     * block's number plus one into a second array, and stores that to y with 16-byte shared loads: 32 KiB, 4 bytes and
     * 32 KiB (aligned to 1024) of shared memory, so both indexing and shared addresses reach every array.
     */
    static GeneratedKernel reverseInShared() {
        KernelBuilder k = new KernelBuilder("reverse_in_shared", THREADS);
        Var x = k.param("x", CType.input(Scalar.FLOAT));
        Var y = k.param("y", CType.output(Scalar.FLOAT));
        Var tile = k.shared("tile", Scalar.FLOAT, TILE, 16);
        Var scale = k.shared("scale", Scalar.FLOAT, 1);
        Var flipped = k.shared("flipped", Scalar.FLOAT, TILE, 1024);
        Scope s = k.body();
        Var t = s.let("t", Expr.threadIdx(Axis.X));
        Var base = s.let("base", Expr.blockIdx(Axis.X).mul(TILE));
        s.loop("i", t, lit(TILE / 4), lit(THREADS), (i, b) -> Ptx.cpAsync16(b, Expr.sharedAddress(tile, i.mul(4)), Expr.offset(x, base.add(i.mul(4)))));
        Ptx.cpAsyncCommit(s);
        Ptx.cpAsyncWait(s, 0);
        s.when(t.eq(lit(0)), first -> first.set(scale.at(0), Expr.blockIdx(Axis.X).add(1).cast(Scalar.FLOAT)));
        s.barrier();
        s.loop("j", t, lit(TILE), lit(THREADS), (j, b) -> b.set(flipped.at(j), tile.at(lit(TILE - 1).sub(j)).mul(scale.at(0))));
        s.barrier();
        s.loop("q", t, lit(TILE / 4), lit(THREADS), (q, b) -> {
            Var v = b.array("v", Scalar.FLOAT, 4);
            Ptx.loadSharedFloats128(b, List.of(v.at(0), v.at(1), v.at(2), v.at(3)), Expr.sharedAddress(flipped, q.mul(4)));
            for (int e = 0; e < 4; e++) b.store(y, base.add(q.mul(4)).add(e), v.at(e));
        });
        return new GeneratedKernel("reverse_in_shared", k.build(), Launch.linear(Extent.batch(), THREADS),
                List.of(new KernelParam("x", CType.input(Scalar.FLOAT), "x [B, 8192]"), new KernelParam("y", CType.output(Scalar.FLOAT), "y [B, 8192]")),
                List.of("Reverses each tile of 8192 floats through shared memory."));
    }

    @Test
    void arraysBeyondTheStaticLimitAreCarvedOutOfOneDynamicBuffer() {
        Kernel kernel = reverseInShared().kernel();
        assertEquals(2 * TILE * 4 + 4, kernel.sharedBytes());
        // scale at the next 16 bytes after tile, flipped at the next 1024 after scale
        assertEquals(List.of(0, 32768, 33792), kernel.sharedOffsets());
        assertEquals(33792 + 32768, kernel.dynamicSharedBytes(CudaDialect.INSTANCE));
        String code = kernel.render(CudaDialect.INSTANCE);
        assertTrue(code.contains("""
                #ifndef HY_DYNAMIC_SHARED
                #define HY_DYNAMIC_SHARED
                extern __shared__ __align__(1024) unsigned char hy_dynamic_shared[];
                #endif
                """), code);
        assertTrue(code.contains("""
                {
                    // 66560 bytes of dynamic shared memory, given at launch
                    float* const tile = reinterpret_cast<float*>(hy_dynamic_shared);
                    float* const scale = reinterpret_cast<float*>(hy_dynamic_shared + 32768);
                    float* const flipped = reinterpret_cast<float*>(hy_dynamic_shared + 33792);

                """), code);
        assertTrue(code.contains("flipped[j] = tile[8191 - j] * scale[0];"), code);
        assertTrue(code.contains("(int)__cvta_generic_to_shared(&flipped[q * 4])"), code);
        assertFalse(code.contains("__shared__ float"), "no array is static:\n" + code);
        // what the executor reads from the source to give each launch
        assertEquals(66560, CudaDialect.dynamicSharedBytes(code));
    }

    @Test
    void arraysWithinTheStaticLimitStayStatic() {
        KernelBuilder k = new KernelBuilder("at_the_limit", 32);
        Var a = k.shared("a", Scalar.FLOAT, 12 * 1024 - 1);
        Var b = k.shared("b", Scalar.FLOAT, 1);
        k.body().set(a.at(0), b.at(0));
        Kernel kernel = k.build();
        assertEquals(48 * 1024, kernel.sharedBytes());
        assertEquals(0, kernel.dynamicSharedBytes(CudaDialect.INSTANCE));
        String code = kernel.render(CudaDialect.INSTANCE);
        assertTrue(code.contains("    __shared__ float a[12287];\n    __shared__ float b[1];\n"), code);
        assertFalse(code.contains("hy_dynamic_shared"), code);
        assertEquals(0, CudaDialect.dynamicSharedBytes(code));
    }

    @Test
    void compilesForSm90aWithNvcc() throws Exception {
        Optional<Path> nvcc = NvccCompiler.locate();
        Assumptions.assumeTrue(nvcc.isPresent(), "nvcc is not installed here (CI has it)");
        String code = reverseInShared().kernel().render(CudaDialect.INSTANCE);
        // strict: a warning fails it
        assertTrue(NvccCompiler.strict(nvcc.get(), "sm_90").compile("reverse_in_shared", code).length > 0);
        String ptx = new String(NvccCompiler.ptx(nvcc.get(), "sm_90").compile("reverse_in_shared", code), StandardCharsets.UTF_8);
        assertTrue(ptx.contains(".target sm_90a"), ptx);
        assertTrue(ptx.contains(".extern .shared .align 1024 .b8 hy_dynamic_shared[];"), ptx);
        // the carved-out arrays are still known to be shared: no generic loads or stores reach them
        assertTrue(ptx.contains("st.shared.f32") && ptx.contains("ld.shared.f32"), ptx);
    }

    @Test
    void runsOnTheEmulator() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        int blocks = 3;
        float[] x = new float[blocks * TILE];
        Random random = new Random(48);
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        float[] want = new float[x.length];
        for (int b = 0; b < blocks; b++) {
            for (int j = 0; j < TILE; j++) want[b * TILE + j] = x[b * TILE + TILE - 1 - j] * (b + 1);
        }
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-dynamic-shared"));
        CudaOnCpu.Scenario s = emu.scenario("reverse").buffer("x", Scalar.FLOAT, x).zeros("y", Scalar.FLOAT, x.length);
        s.launch(reverseInShared(), blocks, 1, Map.of());
        emu.run(cxx.get());
        assertArrayEquals(want, s.read("y"));
    }
}
