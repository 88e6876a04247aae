package hyenac.runtime.weights;

/** Element types of the safetensors format, spelled as in the file header. */
public enum SafetensorsType {
    F64(8), F32(4), F16(2), BF16(2),
    I64(8), I32(4), I16(2), I8(1), U8(1),
    BOOL(1);

    private final int byteSize;

    SafetensorsType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The dtype with this header spelling, or null. Case-sensitive, as the format is. */
    static SafetensorsType fromHeader(String s) {
        for (SafetensorsType t : values()) {
            if (t.name().equals(s)) return t;
        }
        return null;
    }
}
