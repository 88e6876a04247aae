package hyenac.backends.cuda.exec;

import hyenac.backends.codegen.cache.KernelCache;
import hyenac.backends.codegen.cuda.CudaDialect;
import hyenac.backends.cuda.bindings.CudaContext;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Nvrtc;
import hyenac.ir.plan.Kernel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The plans' kernels loaded on the device: each distinct code compiled once with NVRTC for the GPU's architecture,
 * or found in the disk {@link KernelCache} (where an artifact's PTX may have been seeded), and unloaded with the
 * executor. A kernel whose source carves its shared arrays out of dynamic shared memory is allowed its bytes once loaded.
 */
final class KernelModules {
    private final CudaContext ctx;
    private final Driver d;
    private final Nvrtc nvrtc;
    private final String arch;
    private final KernelCache diskCache = KernelCache.atDefaultLocation();
    private final Map<String, Loaded> loaded = new HashMap<>();
    private final List<Driver.Module> modules = new ArrayList<>();

    KernelModules(CudaContext ctx, Nvrtc nvrtc, String arch) {
        this.ctx = ctx;
        this.d = ctx.driver();
        this.nvrtc = nvrtc;
        this.arch = arch;
    }

    /** A kernel on the device: its function, and the dynamic shared memory every launch of it must give. */
    record Loaded(Driver.Function function, int dynamicSharedBytes) {}

    /**
     * The kernel, compiled (or found on disk) and loaded on first use; fails, naming it, where it needs more shared memory
     * than this GPU gives a block.
     */
    Loaded load(Kernel k) {
        Loaded done = loaded.get(k.code());
        if (done != null) return done;
        List<String> options = Nvrtc.defaultOptions(arch);
        String key = KernelCache.key(k.code(), options, arch + "/nvrtc");
        byte[] image = cached(key);
        if (image == null) {
            image = nvrtc.compile(k.entry(), k.code(), options).image();
            try {
                diskCache.store(key, image, k.code());
            } catch (RuntimeException e) {
                // the disk cache only saves time; a read-only home must not stop a run
            }
        }
        Driver.Module m = d.moduleLoadData(image, k.entry());
        modules.add(m);
        Driver.Function f = d.moduleGetFunction(m, k.entry());
        int bytes = CudaDialect.dynamicSharedBytes(k.code());
        ctx.allowDynamicSharedMemory(f, bytes);
        done = new Loaded(f, bytes);
        loaded.put(k.code(), done);
        return done;
    }

    private byte[] cached(String key) {
        try {
            return diskCache.lookup(key).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    void unload() {
        for (Driver.Module m : modules) d.moduleUnload(m);
        modules.clear();
        loaded.clear();
    }
}
