package hyenac.backends.cpu;

import hyenac.runtime.weights.SafeTensorsFile;
import java.nio.file.Path;
import java.util.Set;

/** The runtime's safetensors reader, read whole into memory, under the short names these tests use. */
final class SafeTensors {
    private final SafeTensorsFile file;

    private SafeTensors(SafeTensorsFile file) { this.file = file; }

    static SafeTensors read(Path path) {
        // Tests keep the mapping for the life of the JVM; files are small.
        return new SafeTensors(hyenac.runtime.weights.SafeTensors.open(path));
    }

    Set<String> names() { return file.tensors().keySet(); }

    boolean has(String name) { return file.contains(name); }

    String meta(String key) { return file.metadata().get(key); }

    long[] shape(String name) { return file.info(name).shape(); }

    float[] f32(String name) { return file.floats(name); }
}
