package hyenac.backends.cuda.exec;

import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import java.nio.file.Path;

/** The sample models as graphs, for this module's tests. */
final class Samples {
    private Samples() {}

    static Graph graph(String sample) {
        Path root = Path.of(System.getProperty("hyenac.root", "../..")).toAbsolutePath().normalize();
        Compilation.Result r = Compilation.compile(root.resolve("samples").resolve(sample), null);
        if (!r.ok()) throw new IllegalStateException(sample + " does not compile: " + r.checked().diagnostics().all());
        return r.graph();
    }
}
