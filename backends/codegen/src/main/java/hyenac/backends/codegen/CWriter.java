package hyenac.backends.codegen;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr.BinOp;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** Renders a kernel as text in one dialect: four-space indentation, braces on every block, minimal parentheses. */
final class CWriter {
    private static final String INDENT = "    ";
    private static final int LINE = 100;

    private final Dialect d;
    private final StringBuilder out = new StringBuilder();

    CWriter(Dialect dialect) { this.d = dialect; }

    String kernel(Kernel k) {
        for (String line : d.preamble(k.scalarsUsed())) out.append(line).append('\n');
        if (k.usesVectorLoads()) for (String line : d.vectorLoadPreamble()) out.append(line).append('\n');
        if (k.usesVectorStores()) for (String line : d.vectorStorePreamble()) out.append(line).append('\n');
        int dynamicShared = k.dynamicSharedBytes(d);
        if (dynamicShared > 0) for (String line : d.dynamicSharedPreamble()) out.append(line).append('\n');
        out.append('\n');
        for (Stmt.Asm a : k.asmFunctions()) {
            for (String line : d.asmFunction(a)) out.append(line).append('\n');
            out.append('\n');
        }
        String head = d.kernelPrefix(k.threadsPerBlock(), k.minBlocks()) + " " + k.entry() + "(";
        List<String> params = k.params().stream().map(p -> d.parameter(p.type(), p.name())).toList();
        String oneLine = head + String.join(", ", params) + ")";
        if (oneLine.length() <= LINE) {
            out.append(oneLine).append('\n');
        } else {
            out.append(head).append('\n');
            for (int i = 0; i < params.size(); i++) {
                out.append(INDENT).append(params.get(i)).append(i + 1 < params.size() ? ",\n" : ")\n");
            }
        }
        out.append("{\n");
        if (dynamicShared > 0) {
            for (String line : d.dynamicSharedArrays(k.shared(), k.sharedOffsets(), dynamicShared)) out.append(INDENT).append(line).append('\n');
        } else {
            for (Var s : k.shared()) out.append(INDENT).append(d.sharedArray((CType.Array) s.type(), s.name())).append(";\n");
        }
        if (!k.shared().isEmpty()) out.append('\n');
        block(k.body(), 1);
        out.append("}\n");
        return out.toString();
    }

    private void block(List<Stmt> stmts, int depth) {
        for (Stmt s : stmts) stmt(s, depth);
    }

    private void line(int depth, String text) {
        out.append(INDENT.repeat(depth)).append(text).append('\n');
    }

    private void stmt(Stmt s, int depth) {
        switch (s) {
            case Stmt.Declare dcl -> {
                Var v = dcl.var();
                if (v.type() instanceof CType.Array a) {
                    line(depth, d.scalar(a.element()) + " " + v.name() + "[" + a.length() + "];");
                } else {
                    String decl = (v.mutable() ? "" : "const ") + d.scalar((Scalar) v.type()) + " " + v.name();
                    line(depth, decl + " = " + expr(dcl.init()) + ";");
                }
            }
            case Stmt.Assign a -> line(depth, assign(a) + ";");
            case Stmt.If i -> ifChain(i, depth, "if");
            case Stmt.For f -> {
                if (f.unroll() && d.unrollPragma() != null) line(depth, d.unrollPragma());
                Var v = f.var();
                line(depth, "for (" + d.scalar((Scalar) v.type()) + " " + v.name() + " = " + expr(f.init()) + "; " + expr(f.cond()) + "; "
                        + assign(f.update()) + ") {");
                block(f.body(), depth + 1);
                line(depth, "}");
            }
            case Stmt.Return r -> line(depth, "return;");
            case Stmt.Barrier b -> line(depth, d.barrier());
            case Stmt.AwaitPredecessors a -> {
                for (String l : d.awaitPredecessors()) line(depth, l);
            }
            case Stmt.Asm a -> {
                List<String> lines = d.inlineAsm(a, a.outputs().stream().map(o -> expr(o.value())).toList(),
                        a.inputs().stream().map(o -> expr(o.value())).toList());
                for (int i = 0; i < lines.size(); i++) line(depth + (i == 0 ? 0 : 2), lines.get(i));
            }
            case Stmt.VectorLoad v -> {
                Scalar element = ((CType.Pointer) v.pointer().type()).element();
                String address = expr(new Expr.Offset(v.pointer(), v.index()));
                for (String l : d.vectorLoad(address, element, v.targets().stream().map(this::expr).toList(), v.streaming())) line(depth, l);
            }
            case Stmt.VectorStore v -> {
                Scalar element = ((CType.Pointer) v.pointer().type()).element();
                String address = expr(new Expr.Offset(v.pointer(), v.index()));
                for (String l : d.vectorStore(address, element, v.values().stream().map(this::expr).toList())) line(depth, l);
            }
            case Stmt.Comment c -> line(depth, c.text().isEmpty() ? "//" : "// " + c.text());
            case Stmt.Blank b -> out.append('\n');
        }
    }

    private void ifChain(Stmt.If i, int depth, String keyword) {
        // `if (done) return;` reads best on one line
        if (keyword.equals("if") && i.otherwise().isEmpty() && i.then().size() == 1 && i.then().getFirst() instanceof Stmt.Return) {
            line(depth, "if (" + expr(i.cond()) + ") return;");
            return;
        }
        line(depth, keyword + " (" + expr(i.cond()) + ") {");
        block(i.then(), depth + 1);
        if (i.otherwise().isEmpty()) {
            line(depth, "}");
        } else if (i.otherwise().size() == 1 && i.otherwise().getFirst() instanceof Stmt.If next) {
            ifChain(next, depth, "} else if");
        } else {
            line(depth, "} else {");
            block(i.otherwise(), depth + 1);
            line(depth, "}");
        }
    }

    private String assign(Stmt.Assign a) {
        if (a.op() == Stmt.AssignOp.ADD && a.value() instanceof Expr.Lit l && l.type().isInteger() && l.value().longValue() == 1) {
            return expr(a.target()) + "++";
        }
        return expr(a.target()) + " " + a.op().symbol + " " + expr(a.value());
    }

    String expr(Expr e) {
        return switch (e) {
            case Var v -> v.name();
            case Expr.Lit l -> d.literal(l);
            case Expr.Binary b -> {
                String l = wrap(b.left(), b.left().precedence() < b.op().precedence || mixedLogic(b.op(), b.left()) || bitsOfArithmetic(b.op(), b.left()));
                String r = wrap(b.right(), b.right().precedence() <= b.op().precedence || mixedLogic(b.op(), b.right())
                        || bitsOfArithmetic(b.op(), b.right()));
                yield l + " " + b.op().symbol + " " + r;
            }
            case Expr.Unary u -> switch (u.op()) {
                case NEG -> "-" + wrap(u.operand(), u.operand().precedence() <= Expr.UNARY);
                case NOT -> "!" + wrap(u.operand(), u.operand().precedence() < Expr.PRIMARY);
            };
            case Expr.Index i -> wrap(i.base(), i.base().precedence() < Expr.PRIMARY) + "[" + expr(i.index()) + "]";
            case Expr.Call c -> d.math(c.fn(), c.type()) + "(" + c.args().stream().map(this::expr).collect(Collectors.joining(", ")) + ")";
            case Expr.Cast c -> c.operand() instanceof Expr.Builtin b
                    ? d.builtin(b.kind(), b.axis(), c.type())
                    : "(" + d.scalar(c.type()) + ")" + wrap(c.operand(), c.operand().precedence() < Expr.UNARY);
            case Expr.Select s -> wrap(s.cond(), s.cond().precedence() <= Expr.CONDITIONAL) + " ? "
                    + wrap(s.ifTrue(), s.ifTrue().precedence() <= Expr.CONDITIONAL) + " : "
                    + wrap(s.ifFalse(), s.ifFalse().precedence() <= Expr.CONDITIONAL);
            case Expr.Builtin b -> d.builtin(b.kind(), b.axis(), Scalar.INT);
            case Expr.Convert c -> c.type() == Scalar.BF16 ? d.floatToBf16(expr(c.operand())) : d.bf16ToFloat(expr(c.operand()));
            case Expr.NegInfinity n -> d.negInfinity(n.type());
            case Expr.Offset o -> expr(o.pointer()) + " + " + wrap(o.index(), o.index().precedence() <= Expr.ADDITIVE);
            case Expr.SharedAddress a -> d.sharedAddress(expr(a.array().at(a.index())));
            case Expr.ShuffleXor x -> d.shuffleXor(expr(x.value()), (Scalar) x.type(), x.laneMask());
        };
    }

    /** `a ^ b + c` means `a ^ (b + c)`, which few read at a glance: parenthesise arithmetic inside bitwise operators. */
    private static boolean bitsOfArithmetic(BinOp parent, Expr child) {
        return parent == BinOp.XOR && child instanceof Expr.Binary b && b.op().precedence >= Expr.ADDITIVE;
    }

    /** `a && b || c` is legal but easy to misread: parenthesise a conjunction inside a disjunction. */
    private static boolean mixedLogic(BinOp parent, Expr child) {
        return parent == BinOp.OR && child instanceof Expr.Binary b && b.op() == BinOp.AND;
    }

    private String wrap(Expr e, boolean parens) {
        String s = expr(e);
        return parens ? "(" + s + ")" : s;
    }

    /** Calls {@code f} on every statement, nested ones included (a block's before its contents). */
    static void visitStatements(List<Stmt> stmts, Consumer<Stmt> f) {
        for (Stmt s : stmts) {
            f.accept(s);
            switch (s) {
                case Stmt.If i -> {
                    visitStatements(i.then(), f);
                    visitStatements(i.otherwise(), f);
                }
                case Stmt.For fo -> visitStatements(fo.body(), f);
                default -> { }
            }
        }
    }

    /** Calls {@code f} on every expression and sub-expression of the statements. */
    static void visit(List<Stmt> stmts, Consumer<Expr> f) {
        for (Stmt s : stmts) {
            switch (s) {
                case Stmt.Declare dcl -> {
                    f.accept(dcl.var());
                    if (dcl.init() != null) visit(dcl.init(), f);
                }
                case Stmt.Assign a -> {
                    visit(a.target(), f);
                    visit(a.value(), f);
                }
                case Stmt.If i -> {
                    visit(i.cond(), f);
                    visit(i.then(), f);
                    visit(i.otherwise(), f);
                }
                case Stmt.For fo -> {
                    f.accept(fo.var());
                    visit(fo.init(), f);
                    visit(fo.cond(), f);
                    visit(fo.update().value(), f);
                    visit(fo.body(), f);
                }
                case Stmt.Return r -> { }
                case Stmt.Barrier b -> { }
                case Stmt.AwaitPredecessors a -> { }
                case Stmt.Asm a -> {
                    a.outputs().forEach(o -> visit(o.value(), f));
                    a.inputs().forEach(o -> visit(o.value(), f));
                }
                case Stmt.VectorLoad v -> {
                    visit(v.pointer(), f);
                    visit(v.index(), f);
                    v.targets().forEach(t -> visit(t, f));
                }
                case Stmt.VectorStore v -> {
                    visit(v.pointer(), f);
                    visit(v.index(), f);
                    v.values().forEach(t -> visit(t, f));
                }
                case Stmt.Comment c -> { }
                case Stmt.Blank b -> { }
            }
        }
    }

    /** Whether any statement, nested ones included, satisfies {@code test}. */
    static boolean anyStatement(List<Stmt> stmts, java.util.function.Predicate<Stmt> test) {
        for (Stmt s : stmts) {
            if (test.test(s)) return true;
            boolean nested = switch (s) {
                case Stmt.If i -> anyStatement(i.then(), test) || anyStatement(i.otherwise(), test);
                case Stmt.For f -> anyStatement(f.body(), test);
                default -> false;
            };
            if (nested) return true;
        }
        return false;
    }

    private static void visit(Expr e, Consumer<Expr> f) {
        f.accept(e);
        switch (e) {
            case Expr.Binary b -> {
                visit(b.left(), f);
                visit(b.right(), f);
            }
            case Expr.Unary u -> visit(u.operand(), f);
            case Expr.Index i -> {
                visit(i.base(), f);
                visit(i.index(), f);
            }
            case Expr.Call c -> c.args().forEach(a -> visit(a, f));
            case Expr.Cast c -> visit(c.operand(), f);
            case Expr.Select s -> {
                visit(s.cond(), f);
                visit(s.ifTrue(), f);
                visit(s.ifFalse(), f);
            }
            case Expr.Convert c -> visit(c.operand(), f);
            case Expr.Offset o -> {
                visit(o.pointer(), f);
                visit(o.index(), f);
            }
            case Expr.SharedAddress a -> {
                visit(a.array(), f);
                visit(a.index(), f);
            }
            case Expr.ShuffleXor x -> visit(x.value(), f);
            default -> { }
        }
    }
}
