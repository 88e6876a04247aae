package hyenac.backends.codegen.cuda;

import hyenac.ir.DType;
import hyenac.ir.plan.Arg;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Kernel;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Shape;
import hyenac.ir.plan.Step;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs whole kernel plans on the CPU for tests, as the CUDA executor interprets them (its {@code Prepared}): the
 * pooled buffers are typed pointers at the plan's offsets into one byte pool per prepared plan, so a memory plan that
 * lets two live buffers share bytes computes wrong numbers; weights and constants come from a {@link WeightStore} in
 * each buffer's element type; states live apart and are kept across plans (a prefill, then steps). Kernels are the
 * plan's own text compiled by the host C++ compiler against the emulation shim (resources/emulate), GEMMs and FFTs
 * naive loops in the shim, copies memcpy. The pool starts as all ones (NaN as fp32 and bf16), as a GPU's fresh
 * allocation holds no zeros to rely on; {@code once} steps run when a plan is prepared, before any tokens are loaded.
 *
 * <p>Calls describe the work in order ({@link #zeroStates}, {@link #prepare}, {@link Prepared#run}); {@link #execute}
 * compiles it into one program and runs it; then {@link Run#read} reads the wanted values back.
 */
final class PlanOnCpu {
    private final Path dir;
    private final WeightStore weights;
    private final Map<String, String> code = new LinkedHashMap<>();
    private final List<String> globals = new ArrayList<>();
    private final List<String> functions = new ArrayList<>();
    /** Weight and constant buffers by name and element type, as C++ variables. */
    private final Map<String, String> externs = new HashMap<>();
    /** States by name: their C++ variable and bytes. */
    private final Map<String, String> states = new HashMap<>();
    private final Map<String, Long> stateBytes = new HashMap<>();
    private int names;
    private boolean ran;

    PlanOnCpu(Path dir, WeightStore weights) {
        this.dir = dir.toAbsolutePath();
        this.weights = weights;
    }

    private String fresh(String prefix) { return prefix + names++; }

    /** Every STATE buffer of {@code plan} at {@code shape}, zeroed, as a prefill starts (replacing any held). */
    PlanOnCpu zeroStates(Plan plan, Shape shape) {
        StringBuilder f = new StringBuilder();
        for (Buffer b : plan.buffers()) {
            if (b.kind() != Buffer.Kind.STATE) continue;
            long bytes = b.bytes().eval(shape);
            String v = states.computeIfAbsent(b.name(), n -> {
                String var = fresh("state");
                globals.add("static std::vector<unsigned char> " + var + "; // " + n);
                return var;
            });
            stateBytes.put(b.name(), bytes);
            f.append("    ").append(v).append(".assign(").append(Math.max(1, bytes)).append(" + HY_GUARD, 0); hy_guard(").append(v).append(".data() + ")
                    .append(Math.max(1, bytes)).append(");\n");
        }
        function(f.toString());
        return this;
    }

    /** Checks that nothing wrote past the end of the pool or of a state. */
    private String guards(Prepared p, String when) {
        StringBuilder f = new StringBuilder("    hy_check_guard(" + p.pool + " + " + p.poolBytes + ", \"the " + p.plan.phase().spelling() + " pool after " + when + "\");\n");
        for (Buffer b : p.plan.buffers()) {
            if (b.kind() != Buffer.Kind.STATE) continue;
            f.append("    hy_check_guard(").append(states.get(b.name())).append(".data() + ").append(Math.max(1, stateBytes.get(b.name()))).append(", \"state ")
                    .append(b.name()).append(" after ").append(when).append("\");\n");
        }
        return f.toString();
    }

    private void function(String body) {
        functions.add(body);
    }

    /** {@code plan} prepared at {@code shape}: its pool allocated (filled with ones) and its {@code once} steps run. */
    Prepared prepare(Plan plan, Shape shape) {
        Prepared p = new Prepared(plan, shape);
        StringBuilder f = new StringBuilder();
        f.append("    ").append(p.pool).append(" = static_cast<unsigned char*>(std::aligned_alloc(").append(Plan.ALIGNMENT).append(", ")
                .append(p.poolBytes).append(" + HY_GUARD));\n");
        f.append("    std::memset(").append(p.pool).append(", 0xff, ").append(p.poolBytes).append(");\n");
        f.append("    hy_guard(").append(p.pool).append(" + ").append(p.poolBytes).append(");\n");
        for (Step s : plan.steps()) if (s.once()) f.append(p.step(s));
        f.append(guards(p, "the once steps"));
        function(f.toString());
        return p;
    }

    final class Prepared {
        private final Plan plan;
        private final Shape shape;
        private final long[] at;
        private final long poolBytes;
        private final String pool = fresh("pool");
        private final String[] pointers;

        private Prepared(Plan plan, Shape shape) {
            this.plan = plan;
            this.shape = shape;
            this.at = plan.offsets(shape);
            this.poolBytes = Math.max(Plan.ALIGNMENT, at[plan.slots().size()]);
            globals.add("static unsigned char* " + pool + ";");
            pointers = new String[plan.buffers().size()];
            current = plan;
            for (Buffer b : plan.buffers()) pointers[b.id()] = pointer(b);
            for (Kernel k : plan.kernels()) {
                String known = code.putIfAbsent(k.entry(), k.code());
                if (known != null && !known.equals(k.code())) throw new IllegalStateException("two kernels named " + k.entry());
            }
        }

        /** A C++ expression for the buffer's first byte (unsigned char*). */
        private String pointer(Buffer b) {
            return switch (b.kind()) {
                case VALUE, SCRATCH, PREPARED, TOKENS -> {
                    if (b.slot() < 0) throw new IllegalStateException(b.name() + " is pooled but has no slot");
                    if (b.bytes().eval(shape) > at[b.slot() + 1] - at[b.slot()]) throw new IllegalStateException(b.name() + " outgrows its slot");
                    yield "(" + pool + " + " + at[b.slot()] + ")";
                }
                case WEIGHT -> extern(b, true);
                case CONSTANT -> extern(b, false);
                case STATE -> {
                    String v = states.get(b.name());
                    if (v == null) throw new IllegalStateException("state " + b.name() + " (prefill first)");
                    if (stateBytes.get(b.name()) < b.bytes().eval(shape)) throw new IllegalStateException("state " + b.name() + " is smaller than this plan reads");
                    yield v + ".data()";
                }
            };
        }

        /** Runs the plan's other steps once: writes the clock (when given), loads the tokens, and keeps the wanted values. */
        Run run(long[] tokens, long[] clock) throws IOException {
            Run r = new Run(this);
            StringBuilder f = new StringBuilder();
            if (clock != null) {
                String c = states.get(Plan.CLOCK);
                if (c == null) throw new IllegalStateException("no clock state");
                f.append("    { long long c[2] = {").append(clock[0]).append("LL, ").append(clock[1]).append("LL}; std::memcpy(").append(c)
                        .append(".data(), c, 16); }\n");
            }
            for (Buffer b : plan.buffers()) {
                if (b.kind() != Buffer.Kind.TOKENS) continue;
                long want = b.elements().eval(shape);
                if (tokens == null || tokens.length != want) throw new IllegalArgumentException("the plan needs " + want + " tokens");
                ByteBuffer bytes = ByteBuffer.allocate(tokens.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                for (long t : tokens) bytes.putLong(t);
                String file = fresh("tokens") + ".bin";
                Files.createDirectories(dir);
                Files.write(dir.resolve(file), bytes.array());
                f.append("    hy_read_into(").append(pointers[b.id()]).append(", \"").append(file).append("\", ").append(tokens.length * 8L).append(");\n");
            }
            if (!plan.given().isEmpty()) throw new IllegalArgumentException("given values are not supported");
            for (Step s : plan.steps()) if (!s.once()) f.append(step(s));
            f.append(guards(this, "a run"));
            for (int w : plan.wanted()) {
                Buffer b = plan.value(w);
                String file = fresh("value") + ".bin";
                r.files.put(w, file);
                f.append("    hy_write_from(").append(pointers[b.id()]).append(", ").append(b.bytes().eval(shape)).append(", \"").append(file).append("\");\n");
            }
            function(f.toString());
            return r;
        }

        private String step(Step s) {
            return switch (s) {
                case Step.Launch l -> launch(l);
                case Step.Gemm g -> {
                    DType t = plan.buffer(g.x()).element();
                    for (int b : new int[] {g.w(), g.y(), g.bias()}) {
                        if (b >= 0 && plan.buffer(b).element() != t) throw new IllegalStateException("a GEMM over mixed element types at " + g.site());
                    }
                    yield "    hy_gemm(" + pointers[g.x()] + ", " + pointers[g.w()] + ", " + (g.bias() < 0 ? "nullptr" : pointers[g.bias()]) + ", "
                            + pointers[g.y()] + ", " + elem(t) + ", " + g.m().eval(shape) + "LL, " + g.n() + "LL, " + g.k() + "LL); // " + g.site() + "\n";
                }
                case Step.Fft f -> {
                    if (plan.buffer(f.in()).element() != DType.FP32 || plan.buffer(f.out()).element() != DType.FP32) {
                        throw new IllegalStateException("an FFT over other than fp32 at " + f.site());
                    }
                    yield "    hy_rfft(reinterpret_cast<const float*>(" + pointers[f.in()] + "), reinterpret_cast<float*>(" + pointers[f.out()] + "), "
                            + f.n().eval(shape) + "LL, " + f.batch().eval(shape) + "LL, " + f.forward() + "); // " + f.site() + "\n";
                }
                case Step.Copy c -> "    for (long long i = 0; i < " + c.count().eval(shape) + "LL; i++) std::memcpy(" + pointers[c.dst()] + " + "
                        + c.dstOffset().eval(shape) + "LL + i * " + c.dstStride().eval(shape) + "LL, " + pointers[c.src()] + " + " + c.srcOffset().eval(shape)
                        + "LL + i * " + c.srcStride().eval(shape) + "LL, " + c.bytes().eval(shape) + "); // " + c.site() + "\n";
            };
        }

        private String launch(Step.Launch l) {
            Kernel k = plan.kernel(l.kernel());
            List<String> actual = new ArrayList<>();
            for (int i = 0; i < k.params().size(); i++) {
                Kernel.Param param = k.params().get(i);
                actual.add(switch (l.args().get(i)) {
                    case Arg.Buf b -> {
                        if (!param.pointer()) throw new IllegalStateException(k.entry() + ": a buffer for scalar " + param.name());
                        Buffer buf = plan.buffer(b.buffer());
                        if (buf.element() != param.element()) {
                            throw new IllegalStateException(k.entry() + ": " + param.name() + " wants " + param.element() + ", " + buf.name() + " holds " + buf.element());
                        }
                        yield "hy_any_ptr{" + pointers[b.buffer()] + "}";
                    }
                    case Arg.Int v -> {
                        long value = v.value().eval(shape);
                        yield switch (param.type()) {
                            case INT -> Integer.toString(Math.toIntExact(value));
                            case LONG -> value + "LL";
                            default -> throw new IllegalStateException(k.entry() + ": an integer for " + param);
                        };
                    }
                    case Arg.Real v -> switch (param.type()) {
                        case FLOAT -> Float.toHexString((float) v.value()) + "f";
                        case DOUBLE -> Double.toHexString(v.value());
                        default -> throw new IllegalStateException(k.entry() + ": a real for " + param);
                    };
                });
            }
            long[] grid = new long[3];
            for (int i = 0; i < 3; i++) grid[i] = k.grid().get(i).eval(shape);
            boolean barriers = CudaOnCpu.together(k.code());
            return "    launch(uint3_{" + grid[0] + ", " + grid[1] + ", " + grid[2] + "}, uint3_{" + k.block().get(0) + ", " + k.block().get(1) + ", "
                    + k.block().get(2) + "}, " + barriers + ", [&] { " + k.entry() + "(" + String.join(", ", actual) + "); }); // " + l.site() + "\n";
        }
    }

    /** A weight (or constant) in the buffer's element type, written to a file and loaded by the program once. */
    private String extern(Buffer b, boolean weight) {
        String key = (weight ? "w:" : "c:") + b.name() + "/" + b.element();
        String known = externs.get(key);
        if (known != null) return known + ".data()";
        float[] data;
        if (weight) {
            if (!weights.contains(b.name())) throw new IllegalStateException("the plan reads weight " + b.name() + ", which the store does not hold");
            data = weights.tensor(b.name()).floats();
        } else {
            data = weights.buffer(b.name()).orElse(null);
            if (data == null) data = current.constants().get(b.name());
            if (data == null) throw new IllegalStateException("constant " + b.name() + " has no values");
        }
        String var = fresh(weight ? "weight" : "constant");
        ByteBuffer bytes = ByteBuffer.allocate(Math.max(1, data.length) * b.element().bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : data) {
            switch (b.element()) {
                case FP32 -> bytes.putFloat(x);
                case BF16 -> bytes.putShort((short) (Float.floatToRawIntBits(CudaOnCpu.bf16(x)) >>> 16));
                default -> throw new IllegalStateException(b.name() + " would be uploaded as " + b.element());
            }
        }
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(var + ".bin"), bytes.array());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        globals.add("static std::vector<unsigned char> " + var + " = load<unsigned char>(\"" + var + ".bin\", " + bytes.capacity() + "); // " + b.name());
        externs.put(key, var);
        return var + ".data()";
    }

    /** The plan whose buffers are being bound (for its constants). */
    private Plan current;

    final class Run {
        private final Prepared prepared;
        private final Map<Integer, String> files = new LinkedHashMap<>();

        private Run(Prepared prepared) { this.prepared = prepared; }

        /** A wanted value after the program ran, as fp32. */
        float[] read(int value) throws IOException {
            if (!ran) throw new IllegalStateException("execute first");
            Buffer b = prepared.plan.value(value);
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(files.get(value)))).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[Math.toIntExact(b.elements().eval(prepared.shape))];
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (b.element()) {
                    case FP32 -> bytes.getFloat();
                    case BF16 -> Float.intBitsToFloat((bytes.getShort() & 0xffff) << 16);
                    default -> throw new IllegalStateException("read " + b.element());
                };
            }
            return out;
        }
    }

    private static String elem(DType t) {
        return switch (t) {
            case FP32 -> "HY_F32";
            case BF16 -> "HY_BF16";
            default -> throw new IllegalStateException("a GEMM over " + t);
        };
    }

    /** Compiles the described work into one program and runs it. */
    void execute(Path cxx) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (String shim : List.of("cuda_shim.h", "launch.h", "plan_ops.h")) {
            try (InputStream in = PlanOnCpu.class.getResourceAsStream("/emulate/" + shim)) {
                Files.write(dir.resolve(shim), in.readAllBytes());
            }
        }
        StringBuilder program = new StringBuilder("#include \"plan_ops.h\"\n#include <cstdlib>\n\n");
        code.values().forEach(c -> program.append(c).append('\n'));
        globals.forEach(g -> program.append(g).append('\n'));
        for (int i = 0; i < functions.size(); i++) program.append("static void part").append(i).append("() {\n").append(functions.get(i)).append("}\n\n");
        program.append("int main() {\n");
        for (int i = 0; i < functions.size(); i++) program.append("    part").append(i).append("();\n");
        program.append("    return 0;\n}\n");
        Files.writeString(dir.resolve("plan.cpp"), program);
        exec(List.of(cxx.toString(), "-std=c++20", "-O1", "-pthread", "-I", dir.toString(), "-o", dir.resolve("plan").toString(),
                dir.resolve("plan.cpp").toString()));
        exec(List.of(dir.resolve("plan").toString()));
        ran = true;
    }

    private void exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(cmd.getFirst() + " timed out");
        }
        if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
    }
}
