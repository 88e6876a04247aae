package hyenac.ir;

import java.util.Locale;

/** Element types of tensors and weights. */
public enum DType {
    BF16(2), FP16(2), FP32(4), I64(8);

    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public String spelling() { return name().toLowerCase(Locale.ROOT); }

    public static DType of(String spelling) { return valueOf(spelling.toUpperCase(Locale.ROOT)); }
}
