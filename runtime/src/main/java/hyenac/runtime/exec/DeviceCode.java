package hyenac.runtime.exec;

import java.util.Map;
import java.util.TreeMap;

/**
 * The device code an artifact carries for its target: files under the artifact's {@code kernels/} directory
 * (generated sources, binaries where a compiler was at hand, and whatever index the target reads them by), the
 * precision they compute in, and a one-line summary for people. Only the target that wrote them reads the files.
 *
 * @param files   by name relative to {@code kernels/}, in name order
 * @param summary e.g. "23 CUDA sources, PTX for sm_90 (nvcc 13.0.88)"
 */
public record DeviceCode(String target, String precision, Map<String, byte[]> files, String summary) {
    public DeviceCode {
        files = java.util.Collections.unmodifiableMap(new TreeMap<>(files));
    }
}
