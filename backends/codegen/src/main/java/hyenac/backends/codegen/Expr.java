package hyenac.backends.codegen;

import hyenac.backends.codegen.CType.Scalar;
import java.util.List;

/**
 * A typed C expression. Expressions are built from {@link Var}s the builder handed out, literals and
 * operators; each checks its operands' types when built, so a kernel that builds also type-checks
 * (no arithmetic on bf16, integers for indices and remainders, booleans for conditions).
 * Integer arithmetic on literals is folded, so {@code K - 1 - j} reads {@code 6 - j} for K = 7.
 */
public sealed interface Expr permits Var, Expr.Lit, Expr.Binary, Expr.Unary, Expr.Index, Expr.Call, Expr.Cast,
        Expr.Select, Expr.Builtin, Expr.Convert, Expr.NegInfinity, Expr.Offset, Expr.SharedAddress, Expr.ShuffleXor {

    CType type();

    /** C precedence level for rendering with the fewest parentheses. */
    int precedence();

    int PRIMARY = 16, UNARY = 15, MULTIPLICATIVE = 13, ADDITIVE = 12, RELATIONAL = 10, EQUALITY = 9, BIT_XOR = 7, AND = 5, OR = 4,
        CONDITIONAL = 3;

    // ---- node kinds ----

    /** An integer (INT, INT64) or floating (FLOAT, DOUBLE) constant. */
    record Lit(Scalar type, Number value) implements Expr {
        public Lit {
            if (!type.isNumeric()) throw new IllegalArgumentException("no literals of " + type);
            if (type.isFloating() && !Double.isFinite(value.doubleValue())) {
                throw new IllegalArgumentException("non-finite literal " + value + ": use Expr.negInfinity()");
            }
        }

        @Override public int precedence() { return value.doubleValue() < 0 || isNegativeZero() ? UNARY : PRIMARY; }

        private boolean isNegativeZero() {
            return type.isFloating() && Double.doubleToRawLongBits(value.doubleValue()) == Double.doubleToRawLongBits(-0.0);
        }
    }

    enum BinOp {
        ADD("+", ADDITIVE), SUB("-", ADDITIVE), MUL("*", MULTIPLICATIVE), DIV("/", MULTIPLICATIVE), MOD("%", MULTIPLICATIVE),
        LT("<", RELATIONAL), LE("<=", RELATIONAL), GT(">", RELATIONAL), GE(">=", RELATIONAL),
        EQ("==", EQUALITY), NE("!=", EQUALITY), XOR("^", BIT_XOR), AND("&&", Expr.AND), OR("||", Expr.OR);

        public final String symbol;
        public final int precedence;

        BinOp(String symbol, int precedence) {
            this.symbol = symbol;
            this.precedence = precedence;
        }

        boolean arithmetic() { return precedence >= ADDITIVE; }
        boolean comparison() { return precedence == RELATIONAL || precedence == EQUALITY; }
    }

    record Binary(BinOp op, Expr left, Expr right, Scalar type) implements Expr {
        @Override public int precedence() { return op.precedence; }
    }

    enum UnOp { NEG, NOT }

    record Unary(UnOp op, Expr operand, Scalar type) implements Expr {
        @Override public int precedence() { return UNARY; }
    }

    /** {@code base[index]} of a pointer or array; an lvalue when the base is writable. */
    record Index(Expr base, Expr index, Scalar type) implements Expr {
        @Override public int precedence() { return PRIMARY; }

        public boolean writable() {
            return switch (base.type()) {
                case CType.Pointer p -> !p.readOnly();
                case CType.Array a -> true;
                default -> false;
            };
        }
    }

    record Call(MathFn fn, List<Expr> args, Scalar type) implements Expr {
        public Call { args = List.copyOf(args); }
        @Override public int precedence() { return PRIMARY; }
    }

    /** A numeric conversion, {@code (type)operand}. */
    record Cast(Scalar type, Expr operand) implements Expr {
        @Override public int precedence() { return UNARY; }
    }

    /** {@code cond ? ifTrue : ifFalse}; only the chosen side is evaluated (safe for guarded loads). */
    record Select(Expr cond, Expr ifTrue, Expr ifFalse, Scalar type) implements Expr {
        @Override public int precedence() { return CONDITIONAL; }
    }

    /** Thread and block coordinates, as int. */
    enum BuiltinKind { THREAD_INDEX, BLOCK_INDEX, BLOCK_SIZE, GRID_SIZE }

    enum Axis { X, Y, Z }

    record Builtin(BuiltinKind kind, Axis axis) implements Expr {
        @Override public CType type() { return Scalar.INT; }
        @Override public int precedence() { return UNARY; }
    }

    /** A bf16 ↔ float conversion (to bf16: round to nearest even), spelled by the dialect. */
    record Convert(Scalar type, Expr operand) implements Expr {
        @Override public int precedence() { return PRIMARY; }
    }

    /** −∞ of a floating type (C99 has no portable literal for it). */
    record NegInfinity(Scalar type) implements Expr {
        @Override public int precedence() { return UNARY; }
    }

    /** {@code pointer + index}: the address of an element of global memory, for inline assembly that reads it. */
    record Offset(Expr pointer, Expr index) implements Expr {
        @Override public CType type() { return pointer.type(); }
        @Override public int precedence() { return ADDITIVE; }
    }

    /**
     * The address of {@code array[index]} in the block's shared-memory window, as a 32-bit int: what PTX
     * instructions on shared memory (ldmatrix, cp.async) take. Byte arithmetic on it is ordinary int arithmetic.
     */
    record SharedAddress(Expr array, Expr index) implements Expr {
        @Override public CType type() { return Scalar.INT; }
        @Override public int precedence() { return UNARY; }
    }

    /**
     * The value {@code value} holds in the thread whose lane is this lane XOR {@code laneMask} (all 32 lanes of
     * the warp take part): a butterfly step of a reduction within a warp.
     */
    record ShuffleXor(Expr value, int laneMask) implements Expr {
        @Override public CType type() { return value.type(); }
        @Override public int precedence() { return PRIMARY; }
    }

    // ---- construction ----

    static Lit lit(int v) { return new Lit(Scalar.INT, v); }

    /** An integer literal: INT when it fits, else INT64. */
    static Lit lit(long v) { return v == (int) v ? lit((int) v) : new Lit(Scalar.INT64, v); }

    static Lit lit64(long v) { return new Lit(Scalar.INT64, v); }

    static Lit lit(float v) { return new Lit(Scalar.FLOAT, v); }

    static Lit lit(double v) { return new Lit(Scalar.DOUBLE, v); }

    static Expr negInfinity() { return new NegInfinity(Scalar.FLOAT); }

    static Expr threadIdx(Axis a) { return new Builtin(BuiltinKind.THREAD_INDEX, a); }
    static Expr blockIdx(Axis a) { return new Builtin(BuiltinKind.BLOCK_INDEX, a); }
    static Expr blockDim(Axis a) { return new Builtin(BuiltinKind.BLOCK_SIZE, a); }
    static Expr gridDim(Axis a) { return new Builtin(BuiltinKind.GRID_SIZE, a); }

    static Expr call(MathFn fn, Expr... args) {
        if (args.length != fn.arity) throw new TypeError(fn + " takes " + fn.arity + " arguments, got " + args.length);
        Scalar t = scalar(args[0]);
        for (Expr a : args) {
            if (scalar(a) != t || !t.isFloating()) throw new TypeError(fn + " needs float or double arguments of one type, got " + a.type());
        }
        return new Call(fn, List.of(args), t);
    }

    static Expr exp(Expr x) { return call(MathFn.EXP, x); }
    static Expr sqrt(Expr x) { return call(MathFn.SQRT, x); }
    static Expr erfc(Expr x) { return call(MathFn.ERFC, x); }
    static Expr sin(Expr x) { return call(MathFn.SIN, x); }
    static Expr cos(Expr x) { return call(MathFn.COS, x); }
    static Expr fmax(Expr a, Expr b) { return call(MathFn.FMAX, a, b); }

    static Expr select(Expr cond, Expr ifTrue, Expr ifFalse) {
        requireBool(cond, "a condition");
        Scalar a = scalar(ifTrue), b = scalar(ifFalse);
        if (a == b) return new Select(cond, ifTrue, ifFalse, a);
        if (a.isNumeric() && b.isNumeric()) return new Select(cond, ifTrue, ifFalse, Scalar.promote(a, b));
        throw new TypeError("the two sides of a selection differ: " + a + " and " + b);
    }

    /** The smaller of two integers (no integer min in C99; portable as a selection). */
    static Expr min(Expr a, Expr b) { return select(a.lt(b), a, b); }

    /** A numeric cast; bf16 goes through {@link #toFloat} / {@link #toStorage} instead. */
    static Expr cast(Scalar type, Expr e) {
        Scalar from = scalar(e);
        if (!type.isNumeric() || !from.isNumeric()) throw new TypeError("cannot cast " + from + " to " + type + " (bf16 converts through float)");
        if (from == type) return e;
        return new Cast(type, e);
    }

    /** {@code pointer + index}, the address of one element of a global array (for {@link Stmt.Asm} operands). */
    static Expr offset(Expr pointer, Expr index) {
        if (!(pointer.type() instanceof CType.Pointer)) throw new TypeError("an offset needs a pointer, got " + pointer.type());
        if (!scalar(index).isInteger()) throw new TypeError("an offset must be an integer, got " + index.type());
        return new Offset(pointer, index);
    }

    /** The shared-memory address of {@code array[index]}, an int (see {@link SharedAddress}). */
    static Expr sharedAddress(Expr array, Expr index) {
        if (!(array.type() instanceof CType.Array a && a.space() == CType.Space.SHARED)) {
            throw new TypeError("a shared address needs a shared array, got " + array.type());
        }
        if (!scalar(index).isInteger()) throw new TypeError("an index must be an integer, got " + index.type());
        return new SharedAddress(array, index);
    }

    /** {@code value} from lane (this lane XOR laneMask) of the warp; value an int or float. */
    static Expr shuffleXor(Expr value, int laneMask) {
        Scalar t = scalar(value);
        if (t != Scalar.INT && t != Scalar.FLOAT) throw new TypeError("a shuffle moves an int or a float, got " + t);
        if (laneMask <= 0 || laneMask >= 32) throw new TypeError("a lane mask is in [1, 32), got " + laneMask);
        return new ShuffleXor(value, laneMask);
    }

    /** A float view of a value: bf16 converts, float stays, other numbers cast. */
    static Expr toFloat(Expr e) {
        Scalar from = scalar(e);
        if (from == Scalar.BF16) return new Convert(Scalar.FLOAT, e);
        return cast(Scalar.FLOAT, e);
    }

    /** A numeric value converted for storing as {@code storage} (bf16: rounded to nearest even from float). */
    static Expr toStorage(Scalar storage, Expr e) {
        Scalar from = scalar(e);
        if (storage == Scalar.BF16) {
            if (from == Scalar.BF16) return e;
            return new Convert(Scalar.BF16, cast(Scalar.FLOAT, e));
        }
        return cast(storage, e);
    }

    /** Element {@code index} of a pointer or array, read as float (for bf16 and float storage). */
    static Expr load(Expr base, Expr index) { return toFloat(base.at(index)); }

    // ---- operators ----

    default Expr add(Expr o) { return binary(BinOp.ADD, this, o); }
    default Expr sub(Expr o) { return binary(BinOp.SUB, this, o); }
    default Expr mul(Expr o) { return binary(BinOp.MUL, this, o); }
    default Expr div(Expr o) { return binary(BinOp.DIV, this, o); }
    default Expr mod(Expr o) { return binary(BinOp.MOD, this, o); }
    default Expr lt(Expr o) { return binary(BinOp.LT, this, o); }
    default Expr le(Expr o) { return binary(BinOp.LE, this, o); }
    default Expr gt(Expr o) { return binary(BinOp.GT, this, o); }
    default Expr ge(Expr o) { return binary(BinOp.GE, this, o); }
    default Expr eq(Expr o) { return binary(BinOp.EQ, this, o); }
    default Expr ne(Expr o) { return binary(BinOp.NE, this, o); }
    /** Bitwise exclusive or of integers. */
    default Expr xor(Expr o) { return binary(BinOp.XOR, this, o); }
    default Expr and(Expr o) { return binary(BinOp.AND, this, o); }
    default Expr or(Expr o) { return binary(BinOp.OR, this, o); }

    default Expr add(long o) { return add(lit(o)); }
    default Expr sub(long o) { return sub(lit(o)); }
    default Expr mul(long o) { return mul(lit(o)); }
    default Expr div(long o) { return div(lit(o)); }
    default Expr mod(long o) { return mod(lit(o)); }
    default Expr lt(long o) { return lt(lit(o)); }
    default Expr le(long o) { return le(lit(o)); }
    default Expr gt(long o) { return gt(lit(o)); }
    default Expr ge(long o) { return ge(lit(o)); }

    default Expr neg() {
        Scalar t = scalar(this);
        if (!t.isNumeric()) throw new TypeError("cannot negate " + t);
        if (this instanceof Lit l) return t.isInteger() ? lit(-l.value().longValue()) : new Lit(t, -l.value().doubleValue());
        return new Unary(UnOp.NEG, this, t);
    }

    default Expr not() {
        requireBool(this, "a negation");
        return new Unary(UnOp.NOT, this, Scalar.BOOL);
    }

    default Expr at(Expr index) {
        Scalar element = switch (type()) {
            case CType.Pointer p -> p.element();
            case CType.Array a -> a.element();
            case Scalar s -> throw new TypeError("cannot index a " + s);
        };
        if (!scalar(index).isInteger()) throw new TypeError("an index must be an integer, got " + index.type());
        return new Index(this, index, element);
    }

    default Expr at(long index) { return at(lit(index)); }

    default Expr cast(Scalar type) { return Expr.cast(type, this); }

    // ---- typing ----

    private static Expr binary(BinOp op, Expr l, Expr r) {
        Scalar a = scalar(l), b = scalar(r);
        Scalar result;
        if (op == BinOp.AND || op == BinOp.OR) {
            requireBool(l, "`" + op.symbol + "`");
            requireBool(r, "`" + op.symbol + "`");
            result = Scalar.BOOL;
        } else {
            if (!a.isNumeric() || !b.isNumeric()) {
                throw new TypeError("`" + op.symbol + "` needs numbers, got " + a + " and " + b
                        + (a == Scalar.BF16 || b == Scalar.BF16 ? " (convert bf16 with Expr.toFloat)" : ""));
            }
            if ((op == BinOp.MOD || op == BinOp.XOR) && !(a.isInteger() && b.isInteger())) {
                throw new TypeError("`" + op.symbol + "` needs integers, got " + a + " and " + b);
            }
            result = op.comparison() ? Scalar.BOOL : Scalar.promote(a, b);
        }
        Expr folded = fold(op, l, r, result);
        return folded != null ? folded : new Binary(op, l, r, result);
    }

    /** Integer literal arithmetic and the identities x + 0, x − 0, x·1, x/1, x mod 1, so generated indices stay readable. */
    private static Expr fold(BinOp op, Expr l, Expr r, Scalar result) {
        if (!result.isInteger()) return null;
        if (l instanceof Lit a && r instanceof Lit b) {
            long x = a.value().longValue(), y = b.value().longValue();
            Long v = switch (op) {
                case ADD -> Math.addExact(x, y);
                case SUB -> Math.subtractExact(x, y);
                case MUL -> Math.multiplyExact(x, y);
                case DIV -> y == 0 ? null : x / y; // C truncates toward zero, as Java does
                case MOD -> y == 0 ? null : x % y;
                case XOR -> x ^ y;
                default -> null;
            };
            return v == null ? null : result == Scalar.INT64 ? lit64(v) : lit(v);
        }
        boolean rZero = r instanceof Lit b && b.value().longValue() == 0, rOne = r instanceof Lit b1 && b1.value().longValue() == 1;
        boolean lZero = l instanceof Lit a && a.value().longValue() == 0, lOne = l instanceof Lit a1 && a1.value().longValue() == 1;
        // an identity may drop a literal only when that does not change the result's type
        if ((op == BinOp.ADD || op == BinOp.SUB) && rZero && l.type() == result) return l;
        if (op == BinOp.ADD && lZero && r.type() == result) return r;
        if ((op == BinOp.MUL || op == BinOp.DIV) && rOne && l.type() == result) return l;
        if (op == BinOp.MUL && lOne && r.type() == result) return r;
        if (op == BinOp.MOD && rOne) return result == Scalar.INT64 ? lit64(0) : lit(0);
        return null;
    }

    static Scalar scalar(Expr e) {
        if (e.type() instanceof Scalar s) return s;
        throw new TypeError("expected a value, got a " + e.type());
    }

    private static void requireBool(Expr e, String where) {
        if (scalar(e) != Scalar.BOOL) throw new TypeError(where + " needs a boolean, got " + e.type());
    }

    /** A kernel that does not type-check: a bug in a generator, reported when the expression is built. */
    final class TypeError extends IllegalArgumentException {
        public TypeError(String message) { super(message); }
    }
}
