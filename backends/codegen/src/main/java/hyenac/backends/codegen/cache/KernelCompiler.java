package hyenac.backends.codegen.cache;

import java.util.List;

/**
 * Turns kernel source into a device binary for one architecture. Implemented by nvcc (compile checks, here)
 * and later by NVRTC at run time; a {@link KernelCache} sits in front of either.
 */
public interface KernelCompiler {
    /** The target, e.g. {@code sm_90}. */
    String arch();

    /** The compiler and its version, e.g. {@code nvcc 13.0.88}: binaries from another compiler are not reused. */
    String identity();

    /** The options that shape the binary (part of the cache key). */
    List<String> options();

    /**
     * Compiles one translation unit; {@code unit} names it in messages and temporary files.
     *
     * @throws KernelCompileException with the compiler's log on any error (or, where the compiler treats them
     *                                so, any warning)
     */
    byte[] compile(String unit, String source) throws KernelCompileException;
}
