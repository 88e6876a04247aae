package hyenac.dsl.check;

import java.util.List;
import java.util.Optional;

/** The types a parameter can declare. Enumerations list their constants. */
public enum Type {
    INT("int"), FLOAT("float"), BOOL("bool"), STRING("string"), OP("op"),
    DTYPE("dtype", "bf16", "fp16", "fp32"),
    TAPS("taps", "fir", "xcorr"),
    TENSOR("tensor"), LIST("list");

    public final String spelling;
    public final List<String> constants;

    Type(String spelling, String... constants) {
        this.spelling = spelling;
        this.constants = List.of(constants);
    }

    /** The types a user may write after {@code name:}. */
    public static final List<Type> DECLARABLE = List.of(INT, FLOAT, BOOL, OP, DTYPE, TAPS);

    public static Optional<Type> declared(String spelling) {
        return DECLARABLE.stream().filter(t -> t.spelling.equals(spelling)).findFirst();
    }

    /** The enumeration that owns a constant name, if any. */
    public static Optional<Type> enumOf(String constant) {
        for (Type t : values()) if (t.constants.contains(constant)) return Optional.of(t);
        return Optional.empty();
    }

    @Override public String toString() { return spelling; }
}
