package hyenac.backends.cuda.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One loaded native library and the downcall handles made from it. Libraries are loaded into the global arena:
 * they stay mapped for the life of the process, as the CUDA libraries expect.
 */
final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    private final CudaLibrary library;
    private final String loadedAs;
    private final SymbolLookup lookup;

    private NativeLibrary(CudaLibrary library, String loadedAs, SymbolLookup lookup) {
        this.library = library;
        this.loadedAs = loadedAs;
        this.lookup = lookup;
    }

    /** Loads the library from its system property if set, else by its sonames; missing → CudaUnavailableException. */
    static NativeLibrary load(CudaLibrary library) {
        return load(library, System.getProperty(library.property()));
    }

    /**
     * Loads from {@code override} (a path, or a soname for the loader's search path) when it is non-null and
     * non-blank, else tries the library's sonames in order.
     */
    static NativeLibrary load(CudaLibrary library, String override) {
        if (override != null && !override.isBlank()) return loadOverride(library, override.strip());
        List<String> tried = new ArrayList<>();
        for (String name : library.sonames()) {
            try {
                return new NativeLibrary(library, name, SymbolLookup.libraryLookup(name, Arena.global()));
            } catch (IllegalArgumentException e) {
                tried.add(name);
            }
        }
        throw new CudaUnavailableException(library.missingMessage(
                "not found on the library search path; tried " + String.join(", ", tried)));
    }

    private static NativeLibrary loadOverride(CudaLibrary library, String override) {
        boolean isPath = override.contains("/");
        if (isPath && !Files.exists(Path.of(override))) {
            throw new CudaUnavailableException(library.missingMessage(override + " does not exist"));
        }
        try {
            SymbolLookup lookup = isPath
                    ? SymbolLookup.libraryLookup(Path.of(override), Arena.global())
                    : SymbolLookup.libraryLookup(override, Arena.global());
            return new NativeLibrary(library, override, lookup);
        } catch (IllegalArgumentException e) {
            throw new CudaUnavailableException(library.missingMessage(
                    (isPath ? override + " exists but the dynamic loader refused it"
                            : override + " is not on the library search path")
                            + ", as set by -D" + library.property()), e);
        }
    }

    CudaLibrary library() { return library; }

    /** The name or path it was loaded as. */
    String loadedAs() { return loadedAs; }

    /** Whether the library exports {@code symbol}. */
    boolean has(String symbol) {
        return lookup.find(symbol).isPresent();
    }

    /** A downcall handle for the exact exported name; a missing symbol means the library is too old. */
    MethodHandle downcall(String symbol, FunctionDescriptor descriptor) {
        MemorySegment address = lookup.find(symbol).orElseThrow(
                () -> new CudaUnavailableException(library.missingSymbolMessage(loadedAs, symbol)));
        return LINKER.downcallHandle(address, descriptor);
    }

    /** The first of {@code symbols} the library exports (newest first), bound to one descriptor. */
    MethodHandle downcallFirst(FunctionDescriptor descriptor, String... symbols) {
        for (String s : symbols) {
            if (has(s)) return downcall(s, descriptor);
        }
        throw new CudaUnavailableException(library.missingSymbolMessage(loadedAs, String.join(" or ", symbols)));
    }

    /** Calls a handle that returns a status code; for the set-up calls, where boxing costs nothing that matters. */
    static int status(MethodHandle handle, Object... args) {
        try {
            return (int) handle.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed: " + t, t);
        }
    }

    /** Calls a handle that returns a pointer. */
    static MemorySegment pointer(MethodHandle handle, Object... args) {
        try {
            return (MemorySegment) handle.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed: " + t, t);
        }
    }

    /** Reads a NUL-terminated string the library owns (static error strings); null for a NULL pointer. */
    static String cString(MemorySegment p) {
        if (p == null || p.equals(MemorySegment.NULL)) return null;
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Wraps a Throwable from invokeExact, which the hot paths use. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed: " + t, t);
    }
}
