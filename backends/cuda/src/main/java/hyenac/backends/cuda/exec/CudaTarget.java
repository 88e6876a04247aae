package hyenac.backends.cuda.exec;

import hyenac.backends.codegen.kernels.Kernels;
import hyenac.backends.cuda.bindings.CublasLt;
import hyenac.backends.cuda.bindings.CudaException;
import hyenac.backends.cuda.bindings.CudaUnavailableException;
import hyenac.backends.cuda.bindings.DeviceInfo;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Nvrtc;
import hyenac.ir.Graph;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.backends.codegen.lower.CodegenLowering;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Planner;
import java.util.Collection;
import java.util.function.BiFunction;
import hyenac.runtime.exec.Backend;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.exec.DeviceTarget;

/**
 * {@code --target cuda}, as the command line finds it through ServiceLoader: whether GPU 0 can run (driver, device,
 * NVRTC, cuBLASLt), the kernels an artifact carries ({@link CarriedKernels}), and the {@link CudaBackend}.
 */
public final class CudaTarget implements DeviceTarget {
    public static final String NAME = "cuda";
    public static final String DEFAULT_ARCH = "sm_90";
    private Availability availability;

    @Override public String name() { return NAME; }

    @Override public synchronized Availability availability() {
        if (availability == null) availability = probe();
        return availability;
    }

    @Override public String defaultArch() { return DEFAULT_ARCH; }

    @Override public DeviceCode generate(Graph graph, Collection<Plan> plans, String arch) {
        // activations are stored as the spec's dtype says (bf16 or fp32), as lowering(graph) lowers them
        return CarriedKernels.generate(plans, Kernels.precisionOf(graph), arch, CarriedKernels.Nvcc.locate());
    }

    @Override public Lowering lowering(Graph graph) { return lowering(Kernels.precisionOf(graph)); }

    /** The lowering to CUDA kernels with activations stored as {@code precision} says, costed for an H100 (no GPU needed). */
    public static Lowering lowering(Precision precision) {
        return new CodegenLowering(NAME, new CudaKernels(), precision, CodegenLowering.Hardware.H100);
    }

    /** As {@link #lowering(Precision)}, costed for {@code gpu}: its name (which measurements are filed under), cores and memory. */
    public static Lowering lowering(Precision precision, DeviceInfo gpu) {
        return new CodegenLowering(NAME, new CudaKernels(), precision, CodegenLowering.Hardware.scaled(gpu.name(), gpu.multiprocessors(),
                gpu.clockKHz() * 1e3, gpu.peakBandwidthBytesPerSecond(), gpu.computeMajor() == 9 && gpu.computeMinor() == 0));
    }

    @Override public Backend backend(DeviceCode carried, BiFunction<Graph, Lowering, Planner> planning) {
        if (carried == null || !carried.target().equals(NAME)) return new CudaBackend(null, null, planning);
        CarriedKernels kernels = CarriedKernels.read(carried);
        return new CudaBackend(kernels.precision(), kernels, planning);
    }

    /** Loads what the executor needs, in its order, and names the first thing missing; loads nothing onto the GPU. */
    static Availability probe() {
        try {
            Driver driver = Driver.load();
            driver.init();
            if (driver.deviceGetCount() == 0) {
                return Availability.unusable("no NVIDIA GPU found", "no NVIDIA GPU found: the driver reports no devices;"
                        + " the cuda target needs an NVIDIA GPU and driver; use --target cpu");
            }
            DeviceInfo gpu = driver.deviceInfo(0);
            Nvrtc.load().archFor(gpu.computeMajor(), gpu.computeMinor());
            CublasLt.load();
            return Availability.usable(gpu.name() + ", " + gpu.arch());
        } catch (CudaUnavailableException | CudaException e) {
            return Availability.unusable(brief(e.getMessage()), e.getMessage());
        } catch (RuntimeException e) {
            // A probe must not take the command down: anything else (native access refused, say) also means "not here".
            return Availability.unusable("the CUDA stack could not be probed (" + e + ")",
                    "the CUDA stack could not be probed (" + e + "); use --target cpu");
        }
    }

    /**
     * The first clause of a CUDA-unavailable message, without its parenthesised details: "no NVIDIA driver found:
     * libcuda.so.1 could not be loaded (not found …; tried …); the cuda target needs …" → "no NVIDIA driver found:
     * libcuda.so.1 could not be loaded".
     */
    static String brief(String message) {
        int depth = 0, end = message.length();
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c == '(') depth++;
            else if (c == ')') depth = Math.max(0, depth - 1);
            else if (c == ';' && depth == 0) {
                end = i;
                break;
            }
        }
        String clause = message.substring(0, end).strip();
        if (clause.endsWith(")")) {
            int open = clause.lastIndexOf(" (");
            if (open > 0) clause = clause.substring(0, open);
        }
        return clause;
    }
}
