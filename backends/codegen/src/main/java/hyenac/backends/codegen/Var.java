package hyenac.backends.codegen;

/**
 * A named value: a kernel parameter, a local, or a shared or private array. Only the builder makes them,
 * so every name in a kernel is one it checked ({@link Names}).
 */
public record Var(String name, CType type, boolean mutable) implements Expr {
    @Override public int precedence() { return Expr.PRIMARY; }
}
