package hyenac.runtime.weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * An open, memory-mapped safetensors file with a validated header. Tensor data is read straight from the
 * mapping; nothing is loaded until asked for. Segments handed out stay valid until {@link #close()}.
 * Safe to read from several threads.
 */
public final class SafeTensorsFile implements AutoCloseable {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;  // the data section: offsets in the header are relative to it
    private final Header header;
    private final long fileSize;
    private MemorySegment retainedData;  // the data section again, mapped for as long as anything refers to it

    SafeTensorsFile(Path path, Arena arena, MemorySegment file, Header header) {
        this.path = path;
        this.arena = arena;
        this.data = file.asSlice(header.dataStart());
        this.header = header;
        this.fileSize = file.byteSize();
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} map (empty if the file has none). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Tensor names in the order the header lists them. */
    public List<String> names() {
        return List.copyOf(header.tensors().sequencedKeySet());
    }

    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    /** All header entries, in header order. */
    public SequencedMap<String, TensorInfo> tensors() {
        return header.tensors();
    }

    public TensorInfo info(String name) {
        TensorInfo t = header.tensors().get(name);
        if (t == null) throw new WeightsException(path + ": no tensor named \"" + name + "\"");
        return t;
    }

    /** The tensor's raw little-endian bytes, a read-only view into the mapping (no copy). */
    public MemorySegment segment(String name) {
        TensorInfo t = info(name);
        return data.asSlice(t.begin(), t.byteLength());
    }

    /**
     * The tensor's raw little-endian bytes in a read-only mapping that outlives {@link #close()}: the garbage collector
     * unmaps it once no segment from it is reachable. Weights kept in the file's own dtype are read from here.
     */
    public synchronized MemorySegment retained(String name) {
        TensorInfo t = info(name);
        if (retainedData == null) {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                // The header was validated against the first mapping; a file replaced since could hold anything.
                if (ch.size() != fileSize) {
                    throw new WeightsException(path + ": the file changed while it was being read (" + fileSize + " bytes, now " + ch.size() + ")");
                }
                retainedData = ch.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, Arena.ofAuto()).asSlice(header.dataStart());
            } catch (IOException e) {
                throw new WeightsException(path + ": cannot read: " + e, e);
            }
        }
        return retainedData.asSlice(t.begin(), t.byteLength());
    }

    /** The tensor as floats, converted from F32, F64 (narrowed), F16 or BF16. */
    public float[] floats(String name) {
        TensorInfo t = info(name);
        MemorySegment s = segment(name);
        float[] out = new float[arrayLength(t)];
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(s, F32_LE, 0, out, 0, out.length);
            case F64 -> { for (int i = 0; i < out.length; i++) out[i] = (float) s.getAtIndex(F64_LE, i); }
            case F16 -> { for (int i = 0; i < out.length; i++) out[i] = Floats.f16ToFloat(s.getAtIndex(I16_LE, i)); }
            case BF16 -> { for (int i = 0; i < out.length; i++) out[i] = Floats.bf16ToFloat(s.getAtIndex(I16_LE, i)); }
            default -> throw wrongType(t, "a floating-point type; use longs()");
        }
        return out;
    }

    /** The tensor as longs, widened from I64, I32, I16, I8, U8 (as unsigned) or BOOL (0 or 1). */
    public long[] longs(String name) {
        TensorInfo t = info(name);
        MemorySegment s = segment(name);
        long[] out = new long[arrayLength(t)];
        switch (t.dtype()) {
            case I64 -> MemorySegment.copy(s, I64_LE, 0, out, 0, out.length);
            case I32 -> { for (int i = 0; i < out.length; i++) out[i] = s.getAtIndex(I32_LE, i); }
            case I16 -> { for (int i = 0; i < out.length; i++) out[i] = s.getAtIndex(I16_LE, i); }
            case I8 -> { for (int i = 0; i < out.length; i++) out[i] = s.get(ValueLayout.JAVA_BYTE, i); }
            case U8 -> { for (int i = 0; i < out.length; i++) out[i] = s.get(ValueLayout.JAVA_BYTE, i) & 0xFF; }
            case BOOL -> { for (int i = 0; i < out.length; i++) out[i] = s.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0; }
            default -> throw wrongType(t, "an integer type; use floats()");
        }
        return out;
    }

    /** Unmaps the file. Segments obtained earlier must not be used afterwards. Idempotent. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + path + ", " + header.tensors().size() + " tensors]";
    }

    private int arrayLength(TensorInfo t) {
        long n = t.elementCount();
        // The JDK caps arrays a little below Integer.MAX_VALUE; bigger tensors must be read via segment().
        if (n > Integer.MAX_VALUE - 8) {
            throw new WeightsException(path + ": tensor \"" + t.name() + "\" has " + n
                    + " elements, too many for one Java array; read it through segment()");
        }
        return (int) n;
    }

    private WeightsException wrongType(TensorInfo t, String expected) {
        return new WeightsException(path + ": tensor \"" + t.name() + "\" is " + t.dtype() + ", not " + expected);
    }
}
