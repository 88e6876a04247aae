package hyenac.backends.cuda.exec;

import hyenac.backends.cuda.bindings.Driver;
import hyenac.ir.DType;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Plan;
import hyenac.runtime.weights.Floats;
import hyenac.runtime.weights.HostTensor;
import hyenac.runtime.weights.WeightStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights and constants plans read, on the device: each uploaded once, on first use, in the element type the
 * reading kernels declare (a bf16 store's bits copied as they are), and freed with the executor.
 */
final class DeviceWeights {
    private final Driver d;
    private final WeightStore weights;
    private final Map<String, Long> uploaded = new LinkedHashMap<>();
    private final Map<String, Long> constants = new HashMap<>();

    DeviceWeights(Driver d, WeightStore weights) {
        this.d = d;
        this.weights = weights;
    }

    /** A weight on the device as {@code element}, uploaded on first use. */
    long weight(String name, DType element) {
        String key = name + "/" + element;
        Long p = uploaded.get(key);
        if (p != null) return p;
        if (!weights.contains(name)) throw new IllegalStateException("the plan reads weight " + name + ", which the weight store does not hold");
        HostTensor t = weights.tensor(name);
        long q = d.memAlloc((long) element.bytes * Math.max(1, t.elements()), "weight " + name);
        uploaded.put(key, q);
        if (t instanceof HostTensor.Bf16 b && element == DType.BF16) {
            uploadBf16(q, b, "weight " + name);  // already bf16 bits: copied as they are, never widened
        } else {
            upload(d, q, t.floats(), element, "weight " + name);
        }
        return q;
    }

    /** A CONSTANT buffer's data: the weight store's buffer of that name where it has one, else the plan's values. */
    long constant(Plan plan, Buffer b) {
        return constants.computeIfAbsent(b.name() + "/" + b.element(), x -> {
            float[] data = weights.buffer(b.name()).orElseGet(() -> plan.constants().get(b.name()));
            if (data == null) throw new IllegalStateException("constant " + b.name() + " has no values");
            long p = d.memAlloc((long) b.element().bytes * Math.max(1, data.length), b.name());
            upload(d, p, data, b.element(), b.name());
            return p;
        });
    }

    /** Copies a bf16 weight's bits (little-endian, as the GPU reads them) to the device through native memory. */
    private void uploadBf16(long p, HostTensor.Bf16 t, String what) {
        if (t.elements() == 0) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(t.bytes(), 2);
            host.copyFrom(t.bits());
            d.memcpyHtoD(p, host, what);
        }
    }

    /** Copies fp32 data to the device as {@code element} (fp32, or bf16 rounded to nearest even). */
    static void upload(Driver d, long p, float[] data, DType element, String what) {
        if (data.length == 0) return;
        switch (element) {
            case FP32 -> d.memcpyHtoD(p, data, what);
            case BF16 -> {
                short[] bits = new short[data.length];
                for (int i = 0; i < data.length; i++) bits[i] = Floats.floatToBf16(data[i]);
                d.memcpyHtoD(p, bits, what);
            }
            default -> throw new IllegalStateException(what + " would be uploaded as " + element);
        }
    }

    void free() {
        for (long p : uploaded.values()) d.memFree(p, "a weight");
        for (long p : constants.values()) d.memFree(p, "a constant");
        uploaded.clear();
        constants.clear();
    }
}
