package hyenac.runtime.exec;

import hyenac.ir.Graph;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Planner;
import java.util.Collection;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.BiFunction;

/**
 * A target beyond the CPU (today: cuda), provided by a backend module the compiler does not depend on and found
 * through {@link ServiceLoader} ({@code META-INF/services/hyenac.runtime.exec.DeviceTarget}), as extra commands
 * are. It says whether this machine can run it, generates the device code an artifact carries (no device
 * needed), and opens a {@link Backend} that runs graphs on the device.
 */
public interface DeviceTarget {
    /** As {@code --target} spells it. */
    String name();

    /** Whether a usable device is present now, probed once per instance; cheap enough to ask on every run. */
    Availability availability();

    /** The architecture device code is compiled for when none is asked for, e.g. {@code sm_90}. */
    String defaultArch();

    /**
     * The device code an artifact carries for {@code graph} (as the artifact stores it): the sources of the kernels
     * its {@code plans} launch (made with this target's {@link #lowering}), and binaries for {@code arch} when a
     * compiler is at hand. Works without a device.
     *
     * @throws BackendException when this target cannot compile the model (e.g. an operator it has no kernel for)
     */
    DeviceCode generate(Graph graph, Collection<Plan> plans, String arch);

    /** How the compiler's kernel pipeline lowers {@code graph} for this target, its activations as the spec's dtype says. */
    Lowering lowering(Graph graph);

    /**
     * A backend on the device; {@code carried} is an artifact's device code for this target, or null; {@code planning}
     * makes the planner (the compiler's kernel pipeline) for a graph and this target's lowering.
     */
    Backend backend(DeviceCode carried, BiFunction<Graph, Lowering, Planner> planning);

    /**
     * @param usable  whether the device can run graphs now
     * @param summary one short phrase: the device ("NVIDIA H100 80GB HBM3, sm_90") or why not
     * @param detail  when not usable, the whole story with what to do instead; else the same as summary
     */
    record Availability(boolean usable, String summary, String detail) {
        public static Availability usable(String device) { return new Availability(true, device, device); }

        public static Availability unusable(String summary, String detail) { return new Availability(false, summary, detail); }
    }

    /** The target called {@code name} when this build has it on the class path. */
    static Optional<DeviceTarget> find(String name) {
        for (DeviceTarget t : ServiceLoader.load(DeviceTarget.class)) {
            if (t.name().equals(name)) return Optional.of(t);
        }
        return Optional.empty();
    }
}
