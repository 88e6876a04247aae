package hyenac.backends.codegen.cuda;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.kernels.GeneratedKernel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs generated CUDA kernels on the CPU for tests: their source is compiled by the host C++ compiler
 * against a small shim (resources/emulate) in which blocks run one after another and a block's threads
 * are OS threads meeting at a barrier. Slow and small, but it executes the real kernel text, so every
 * index, guard and barrier is checked against the reference kernels without a GPU.
 *
 * <p>A scenario declares named buffers and launches kernels over them in order; after {@link #run} its
 * buffers are read back.
 */
final class CudaOnCpu {
    private final Path dir;
    private final Map<String, String> code = new LinkedHashMap<>();
    private final List<Scenario> scenarios = new ArrayList<>();
    private boolean ran;

    CudaOnCpu(Path dir) { this.dir = dir.toAbsolutePath(); }

    /** The host C++ compiler: $CXX or g++ on the PATH. */
    static Optional<Path> compiler() {
        String cxx = System.getenv("CXX");
        if (cxx != null && Files.isExecutable(Path.of(cxx))) return Optional.of(Path.of(cxx));
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(d, "g++");
            if (!d.isEmpty() && Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    Scenario scenario(String name) {
        Scenario s = new Scenario(name);
        scenarios.add(s);
        return s;
    }

    private record Buffer(String name, Scalar type, int length, Object data) {}

    final class Scenario {
        private final String name;
        private final Map<String, Buffer> buffers = new LinkedHashMap<>();
        private final List<String> statements = new ArrayList<>();

        private Scenario(String name) { this.name = name; }

        /** A float buffer stored as {@code type} (FLOAT, or BF16 rounded to nearest even). */
        Scenario buffer(String buf, Scalar type, float[] data) {
            buffers.put(buf, new Buffer(buf, type, data.length, data));
            return this;
        }

        Scenario zeros(String buf, Scalar type, int length) { return buffer(buf, type, new float[length]); }

        Scenario tokens(String buf, long[] data) {
            buffers.put(buf, new Buffer(buf, Scalar.INT64, data.length, data));
            return this;
        }

        /**
         * Launches k for batch B and length L. {@code args} binds parameters: a String names a buffer, a Number
         * is a scalar's value; a pointer parameter not named binds to the buffer of its own name.
         */
        Scenario launch(GeneratedKernel k, long batch, long length, Map<String, Object> args) {
            return launch(k.entry(), k.kernel().render(CudaDialect.INSTANCE), k.launch(), k.params(), batch, length, args);
        }

        /** As {@link #launch(GeneratedKernel, long, long, Map)}, for a kernel as {@code Kernels} gives it. */
        Scenario launch(KernelSource k, long batch, long length, Map<String, Object> args) {
            return launch(k.entry(), k.code(), k.launch(), k.params(), batch, length, args);
        }

        private Scenario launch(String entry, String kernelCode, Launch launch, List<KernelParam> params, long batch, long length, Map<String, Object> args) {
            code.putIfAbsent(entry, kernelCode);
            long[] grid = launch.grid(Map.of(Extent.B, batch, Extent.L, length));
            List<String> actual = new ArrayList<>();
            for (KernelParam p : params) {
                Object a = args.getOrDefault(p.name(), p.type() instanceof CType.Pointer ? p.name() : null);
                if (a == null) throw new IllegalArgumentException(entry + ": no value for " + p.name());
                if (p.type() instanceof CType.Pointer ptr) {
                    Buffer b = buffers.get((String) a);
                    if (b == null) throw new IllegalArgumentException(entry + ": no buffer " + a);
                    if (b.type() != ptr.element()) throw new IllegalArgumentException(entry + ": " + p.name() + " wants " + ptr.element() + ", " + a + " holds " + b.type());
                    actual.add(a + ".data()");
                } else {
                    actual.add(literal((Scalar) p.type(), (Number) a));
                }
            }
            statements.add("launch(uint3_{" + grid[0] + ", " + grid[1] + ", " + grid[2] + "}, uint3_{" + launch.blockX() + ", " + launch.blockY() + ", "
                    + launch.blockZ() + "}, " + together(code.get(entry)) + ", [&] { " + entry + "(" + String.join(", ", actual) + "); });");
            return this;
        }

        /** A buffer's contents after the run, as floats. */
        float[] read(String buf) throws IOException {
            if (!ran) throw new IllegalStateException("run first");
            Buffer b = buffers.get(buf);
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(file(buf, "out")))).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.length()];
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (b.type()) {
                    case FLOAT -> bytes.getFloat();
                    case BF16 -> Float.intBitsToFloat((bytes.getShort() & 0xffff) << 16);
                    default -> throw new IllegalArgumentException("read " + b.type());
                };
            }
            return out;
        }

        private String file(String buf, String kind) { return name + "." + buf + "." + kind; }

        private String cpp() {
            StringBuilder s = new StringBuilder("static void " + name + "() {\n");
            for (Buffer b : buffers.values()) {
                s.append("    auto ").append(b.name()).append(" = load<").append(cppType(b.type())).append(">(\"").append(file(b.name(), "in")).append("\", ")
                        .append(b.length()).append(");\n");
            }
            for (String st : statements) s.append("    ").append(st).append('\n');
            for (Buffer b : buffers.values()) s.append("    save(\"").append(file(b.name(), "out")).append("\", ").append(b.name()).append(");\n");
            return s.append("}\n").toString();
        }

        private void writeInputs() throws IOException {
            for (Buffer b : buffers.values()) {
                ByteBuffer bytes = ByteBuffer.allocate(b.length() * b.type().bytes()).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < b.length(); i++) {
                    switch (b.type()) {
                        case FLOAT -> bytes.putFloat(((float[]) b.data())[i]);
                        case BF16 -> bytes.putShort((short) (Float.floatToRawIntBits(bf16(((float[]) b.data())[i])) >>> 16));
                        case INT64 -> bytes.putLong(((long[]) b.data())[i]);
                        default -> throw new IllegalArgumentException("buffer of " + b.type());
                    }
                }
                Files.write(dir.resolve(file(b.name(), "in")), bytes.array());
            }
        }
    }

    /**
     * Whether a kernel's threads must run at once (as OS threads) rather than one after another: it waits at block
     * barriers, or its warps act together (shuffles, tensor-core fragment loads and products).
     */
    static boolean together(String kernelCode) {
        return kernelCode.contains("__syncthreads()") || kernelCode.contains("__shfl_xor_sync(") || kernelCode.contains("hy_mma_")
                || kernelCode.contains("hy_ldmatrix_");
    }

    /** Rounds to the nearest bfloat16 (ties to even). */
    static float bf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    private static String cppType(Scalar t) {
        return switch (t) {
            case FLOAT -> "float";
            case BF16 -> "hy_bf16";
            case INT64 -> "long long";
            default -> throw new IllegalArgumentException("buffer of " + t);
        };
    }

    private static String literal(Scalar t, Number v) {
        return switch (t) {
            case INT -> Integer.toString(v.intValue());
            case INT64 -> v.longValue() + "LL";
            case FLOAT -> Float.toHexString(v.floatValue()) + "f";
            case DOUBLE -> Double.toHexString(v.doubleValue());
            default -> throw new IllegalArgumentException("scalar of " + t);
        };
    }

    /** Compiles every scenario into one program, runs it, and leaves the buffers for {@link Scenario#read}. */
    void run(Path cxx) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (String shim : List.of("cuda_shim.h", "launch.h")) {
            try (InputStream in = CudaOnCpu.class.getResourceAsStream("/emulate/" + shim)) {
                Files.write(dir.resolve(shim), in.readAllBytes());
            }
        }
        StringBuilder program = new StringBuilder("#include \"launch.h\"\n\n");
        code.values().forEach(c -> program.append(c).append('\n'));
        for (Scenario s : scenarios) {
            s.writeInputs();
            program.append(s.cpp()).append('\n');
        }
        program.append("int main() {\n");
        for (Scenario s : scenarios) program.append("    ").append(s.name).append("();\n");
        program.append("    return 0;\n}\n");
        Files.writeString(dir.resolve("emulated.cpp"), program);
        exec(List.of(cxx.toString(), "-std=c++20", "-O1", "-pthread", "-I", dir.toString(), "-o", dir.resolve("emulated").toString(),
                dir.resolve("emulated.cpp").toString()));
        exec(List.of(dir.resolve("emulated").toString()));
        ran = true;
    }

    private void exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(cmd.getFirst() + " timed out");
        }
        if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
    }
}
