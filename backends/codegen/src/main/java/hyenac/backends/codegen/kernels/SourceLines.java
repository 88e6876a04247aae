package hyenac.backends.codegen.kernels;

import hyenac.ir.Origin;
import java.util.Optional;

/** The text of a DSL line, for quoting in kernel headers; the IR carries only positions. */
@FunctionalInterface
public interface SourceLines {
    SourceLines NONE = origin -> Optional.empty();

    Optional<String> line(Origin origin);
}
