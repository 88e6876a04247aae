package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import java.util.List;
import java.util.Map;

/**
 * The one kernel of a fused group, what each of its parameters takes there, by parameter name, and the kernels that
 * prepare its data once ({@link Binding.Prepared}: e.g. a filter's spectrum), in order, each bound alike. A plan runs
 * the preparations when it is prepared for a shape, and the kernel in every run.
 */
public record FusedKernel(KernelSource source, Map<String, Binding> bindings, List<FusedKernel> prepare) {
    public FusedKernel {
        bindings = Map.copyOf(bindings);
        prepare = List.copyOf(prepare);
        for (KernelParam p : source.params()) {
            boolean size = p.name().equals("rows") || p.name().equals("length") || p.name().equals("batch");
            if (!size && !bindings.containsKey(p.name())) throw new IllegalArgumentException(source.entry() + ": nothing binds `" + p.name() + "`");
        }
        for (FusedKernel k : prepare) {
            if (!k.prepare().isEmpty()) throw new IllegalArgumentException(k.source().entry() + ": a preparation prepares nothing itself");
        }
    }

    public FusedKernel(KernelSource source, Map<String, Binding> bindings) { this(source, bindings, List.of()); }
}
