package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.source.Span;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The properties of one model (vocab, width, context, dtype, block, layers): each checked for its type
 * and range as it is set, and the block every layer is built from.
 */
final class ModelProperties {
    /**
     * Token ids the byte-level tokenizer of `run` can produce: bytes 0..255, end-of-sequence (0) among
     * them (runtime's ByteTokenizer; dsl cannot see it). A smaller vocab only suits another tokenizer.
     */
    static final int BYTE_TOKENS = 256;

    /** The model properties a user may set. */
    enum Property {
        VOCAB("vocab", true), WIDTH("width", true), CONTEXT("context", true),
        DTYPE("dtype", false), BLOCK("block", false), LAYERS("layers", true);

        final String spelling;
        final boolean required;

        Property(String spelling, boolean required) {
            this.spelling = spelling;
            this.required = required;
        }

        static Property of(String name) {
            for (Property p : values()) if (p.spelling.equals(name)) return p;
            return null;
        }
    }

    private final Reporter reporter;
    private final Map<String, EvalValue.Arg> props = new LinkedHashMap<>();

    ModelProperties(Reporter reporter) {
        this.reporter = reporter;
    }

    static boolean isProperty(String name) {
        return Property.of(name) != null;
    }

    /** {@code name = v} in the model: set once, checked; a valid one is also bound in {@code scope}. */
    void set(Ast.ModelDecl decl, Scope scope, Ast.Ident name, Ast.Expr expr, EvalValue v) {
        Property p = Property.of(name.name());
        if (p == null) {
            Diagnostic d = Diagnostic.of(Code.HY0402, name.span(), decl.name().name(), name.name());
            var guess = Suggest.closest(name.name(), Arrays.stream(Property.values()).map(m -> m.spelling).toList());
            reporter.report(guess.isPresent() ? Suggest.fix(d, name.span(), guess.get())
                    : d.withNote("properties: vocab, width, context, dtype, block, layers; name a constant with `let "
                            + name.name() + " = …`"));
            return;
        }
        if (props.containsKey(p.spelling)) {
            reporter.report(Diagnostic.of(Code.HY0407, name.span(), p.spelling).withNote(props.get(p.spelling).span(), "first set here"));
            return;
        }
        if (v instanceof EvalValue.Unknown) {
            props.put(p.spelling, new EvalValue.Arg(v, expr.span()));
            return;
        }
        boolean ok = switch (p) {
            case VOCAB, WIDTH, CONTEXT -> v instanceof EvalValue.Int i
                    ? checkRange(i.value() >= 1 && i.value() <= (1L << 31), expr.span(), p.spelling, "between 1 and 2^31", v)
                    : typeError(expr.span(), "int", v);
            case DTYPE -> v instanceof EvalValue.Enum e && e.type() == Type.DTYPE || typeError(expr.span(), "a dtype (bf16, fp16, fp32)", v);
            case BLOCK -> v instanceof EvalValue.Op || typeError(expr.span(), "a block, e.g. `prenorm`", v);
            case LAYERS -> v instanceof EvalValue.ListV || typeError(expr.span(), "a list of operators", v);
        };
        if (ok && p == Property.VOCAB && ((EvalValue.Int) v).value() < BYTE_TOKENS) {
            reporter.report(Diagnostic.of(Code.HY0409, expr.span(), v.show(), BYTE_TOKENS - 1, BYTE_TOKENS)
                    .withNote("a smaller vocab suits only token ids from another tokenizer; `// allow: HY0409` accepts it")
                    .withFix("set vocab = " + BYTE_TOKENS, expr.span(), String.valueOf(BYTE_TOKENS)));
        }
        props.put(p.spelling, new EvalValue.Arg(ok ? v : EvalValue.Unknown.ANY, expr.span()));
        scope.names.put(p.spelling, new Scope.Binding(ok ? v : EvalValue.Unknown.ANY, name.span(), null, false));
    }

    private boolean typeError(Span at, String expected, EvalValue got) {
        reporter.mismatch(at, expected, got);
        return false;
    }

    private boolean checkRange(boolean ok, Span at, String what, String range, EvalValue got) {
        if (!ok) reporter.report(Code.HY0301, at, what, range, got.show());
        return ok;
    }

    /** The required properties not set, quoted for HY0401. */
    List<String> missing() {
        List<String> missing = new ArrayList<>();
        for (Property p : Property.values()) {
            if (p.required && !props.containsKey(p.spelling)) missing.add("`" + p.spelling + "`");
        }
        return missing;
    }

    EvalValue.Arg get(Property p) {
        return props.get(p.spelling);
    }

    /** The value of an int property, or -1 when it is not a valid int. */
    long intValue(Property p) {
        EvalValue.Arg a = get(p);
        return a != null && a.value() instanceof EvalValue.Int i ? i.value() : -1;
    }

    /** The dtype set, or null. */
    String dtype() {
        EvalValue.Arg a = get(Property.DTYPE);
        return a != null && a.value() instanceof EvalValue.Enum e ? e.name() : null;
    }

    /** The block every layer applies (the prelude's {@code prenorm} unless set); null after a report. */
    EvalValue.Op block(Ast.ModelDecl decl, Scope scope) {
        EvalValue.Arg given = get(Property.BLOCK);
        EvalValue.Op block;
        if (given != null) {
            if (!(given.value() instanceof EvalValue.Op op)) return null;
            block = op;
        } else {
            var t = scope.module.template("prenorm");
            if (t.isEmpty()) {
                reporter.report(Diagnostic.of(Code.HY0401, decl.name().span(), decl.name().name(), "`block`")
                        .withNote("add `import \"std\"` for the pre-norm residual block, or set `block = …`"));
                return null;
            }
            block = new EvalValue.Op(t.get(), Map.of(), decl.name().span());
        }
        var mixer = block.template().param("mixer");
        if (mixer.isEmpty() || mixer.get().type() != Type.OP) {
            reporter.report(Code.HY0408, given != null ? given.span() : decl.name().span(), block.template().name());
            return null;
        }
        if (block.template().inputCount() != 1) {
            // Every layer applies the block to one tensor: say so at the block, not at each layer's mixer.
            reporter.report(OperatorApplication.wrongInputCount(given != null ? given.span() : decl.name().span(), block.template(), 1)
                    .withNote("each layer applies the block to the one tensor it receives"));
            return null;
        }
        return block;
    }
}
