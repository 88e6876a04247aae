package hyenac.backends.codegen;

import hyenac.backends.codegen.cuda.CudaKernels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** Writes every kernel of a sample to target/kernels for reading: -Dhyenac.dumpKernels=sh2-tiny.hyena. */
class Dump {
    @Test
    @EnabledIfSystemProperty(named = "hyenac.dumpKernels", matches = ".+")
    void dump() throws Exception {
        String sample = System.getProperty("hyenac.dumpKernels");
        Path out = Path.of("target/kernels");
        Files.createDirectories(out);
        for (Precision p : Precision.values()) {
            for (KernelSource k : new CudaKernels(Samples.LINES).all(Samples.graph(sample), p, Samples.everyGroup(Samples.graph(sample)))) {
                Files.writeString(out.resolve(k.entry() + ".cu"), k.text().replace(Samples.root() + "/", ""));
            }
        }
    }
}
