package hyenac.backends.cuda.exec;

import hyenac.backends.codegen.cache.KernelCache;
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
 * executor.
 */
final class KernelModules {
    private final Driver d;
    private final Nvrtc nvrtc;
    private final String arch;
    private final KernelCache diskCache = KernelCache.atDefaultLocation();
    private final Map<String, Driver.Function> functions = new HashMap<>();
    private final List<Driver.Module> modules = new ArrayList<>();

    KernelModules(Driver d, Nvrtc nvrtc, String arch) {
        this.d = d;
        this.nvrtc = nvrtc;
        this.arch = arch;
    }

    /** The kernel's function, compiled (or found on disk) and loaded on first use. */
    Driver.Function function(Kernel k) {
        Driver.Function f = functions.get(k.code());
        if (f != null) return f;
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
        f = d.moduleGetFunction(m, k.entry());
        functions.put(k.code(), f);
        return f;
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
        functions.clear();
    }
}
