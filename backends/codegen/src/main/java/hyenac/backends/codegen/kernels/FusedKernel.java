package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import java.util.Map;

/** The one kernel of a fused group, and what each of its parameters takes there, by parameter name. */
public record FusedKernel(KernelSource source, Map<String, Binding> bindings) {
    public FusedKernel {
        bindings = Map.copyOf(bindings);
        for (KernelParam p : source.params()) {
            boolean size = p.name().equals("rows") || p.name().equals("length") || p.name().equals("batch");
            if (!size && !bindings.containsKey(p.name())) throw new IllegalArgumentException(source.entry() + ": nothing binds `" + p.name() + "`");
        }
    }
}
