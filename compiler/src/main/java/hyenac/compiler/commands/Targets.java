package hyenac.compiler.commands;

import hyenac.backends.cpu.CpuBackend;
import hyenac.ir.Graph;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Planner;
import hyenac.runtime.exec.Backend;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.exec.DeviceTarget;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * {@code --target}: cpu, cuda, or auto (cuda when a usable GPU is present, else cpu). The cuda target lives in a
 * backend module the compiler does not depend on; it is found through {@link DeviceTarget#find}, and a build
 * without it runs on the CPU. Shared by the command line (app) and the commands other modules contribute.
 */
public final class Targets {
    /** The values of {@code --target}. */
    public enum Name { cpu, cuda, auto }

    private static final String CUDA = "cuda";

    /**
     * What was picked: {@code device} is null for the CPU. {@code why} is the line's reason ("NVIDIA H100 80GB
     * HBM3, sm_90", "no NVIDIA driver found: …"), null when the user named the CPU and there is nothing to say.
     */
    public record Picked(String name, DeviceTarget device, String why) {
        public Backend backend(DeviceCode carried, BiFunction<Graph, Lowering, Planner> planning) {
            return device == null ? new CpuBackend() : device.backend(carried, planning);
        }

        /** The line that says which target runs and why, or null; {@code note} (may be empty) is added after a semicolon. */
        public String line(String note) {
            if (why == null) return null;
            return "target: " + name + " (" + why + (note == null || note.isEmpty() ? "" : "; " + note) + ")";
        }
    }

    private Targets() {}

    /** For running: cuda must be usable here. Null after saying why on {@code err}. */
    public static Picked forRunning(String command, Name asked, PrintWriter err) {
        return switch (asked) {
            case cpu -> new Picked("cpu", null, null);
            case auto -> auto();
            case cuda -> {
                Optional<DeviceTarget> cuda = cudaBackend(command, err);
                if (cuda.isEmpty()) yield null;
                DeviceTarget.Availability a = cuda.get().availability();
                if (!a.usable()) {
                    err.println(command + ": --target cuda: " + a.detail());
                    yield null;
                }
                yield new Picked(CUDA, cuda.get(), a.summary());
            }
        };
    }

    /** For compiling an artifact: cuda needs no GPU, only this build's cuda backend. Null after saying why on {@code err}. */
    public static Picked forCompiling(String command, Name asked, PrintWriter err) {
        return switch (asked) {
            case cpu -> new Picked("cpu", null, null);
            case auto -> auto();
            case cuda -> cudaBackend(command, err).map(cuda -> new Picked(CUDA, cuda, null)).orElse(null);
        };
    }

    /** This build's cuda backend, or empty after saying on {@code err} that the build has none. */
    private static Optional<DeviceTarget> cudaBackend(String command, PrintWriter err) {
        Optional<DeviceTarget> cuda = DeviceTarget.find(CUDA);
        if (cuda.isEmpty()) err.println(command + ": --target cuda: " + missing());
        return cuda;
    }

    /** cuda when this build has it and a GPU is usable, else cpu, with the reason either way. */
    private static Picked auto() {
        Optional<DeviceTarget> cuda = DeviceTarget.find(CUDA);
        if (cuda.isEmpty()) return new Picked("cpu", null, "this hyenac was built without the cuda backend");
        DeviceTarget.Availability a = cuda.get().availability();
        return a.usable() ? new Picked(CUDA, cuda.get(), a.summary()) : new Picked("cpu", null, a.summary());
    }

    private static String missing() {
        return "this hyenac was built without the cuda backend (hyenac-backend-cuda is not on its class path); use --target cpu";
    }
}
