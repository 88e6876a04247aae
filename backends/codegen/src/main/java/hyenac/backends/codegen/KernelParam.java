package hyenac.backends.codegen;

/** One argument of a kernel as a launcher binds it: name, type and what it holds (e.g. "x [B, L, 64]", "rows = B*L"). */
public record KernelParam(String name, CType type, String holds) {}
