package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.source.Span;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the language: configures operators, applies them to tensors with shape checking, names
 * and declares every weight, and records each primitive application. One code path serves two uses:
 * elaborating a model (all values known) and checking an operator on its own (its arguments unknown).
 */
final class Evaluator {
    /**
     * Token ids the byte-level tokenizer of `run` can produce: bytes 0..255, end-of-sequence (0) among
     * them (runtime's ByteTokenizer; dsl cannot see it). A smaller vocab only suits another tokenizer.
     */
    static final int BYTE_TOKENS = 256;

    private final Reporter reporter;
    private final Limits limits;
    private final Recorder recorder = new Recorder();
    private final WeightNaming naming = new WeightNaming();
    private final NameResolution names;
    private final Arguments arguments;
    private final Arithmetic arithmetic;
    private final Deque<Template.Declared> active = new ArrayDeque<>();

    // The model being elaborated (defaults serve checks of operators on their own).
    private String dtype = "bf16";

    Evaluator(Diagnostics diags, Limits.Budget budget) {
        this.reporter = new Reporter(diags);
        this.limits = new Limits(budget, reporter);
        this.names = new NameResolution(reporter);
        this.arguments = new Arguments(reporter);
        this.arithmetic = new Arithmetic(reporter, recorder, naming);
    }

    // ------------------------------------------------------------------ models

    Elaborated.Model model(Module module, Ast.ModelDecl decl) {
        Scope scope = new Scope(module, false);
        Map<String, Value.Arg> props = new LinkedHashMap<>();
        List<Override> overrides = new ArrayList<>();

        for (Ast.Stmt stmt : decl.body()) {
            switch (stmt) {
                case Ast.Let let -> {
                    if (ModelProperty.of(let.name().name()) != null) {
                        reporter.report(Code.HY0209, let.name().span(), let.name().name());
                        continue;
                    }
                    scope.bind(let.name(), new Scope.Binding(eval(let.value(), scope), let.name().span(), null, true), reporter);
                }
                case Ast.OpBind op -> {
                    Value v = eval(op.value(), scope);
                    if (!(v instanceof Value.Op) && !(v instanceof Value.Unknown)) {
                        reporter.mismatch(op.value().span(), "an operator", v);
                        v = Value.Unknown.ANY;
                    }
                    scope.bind(op.name(), new Scope.Binding(v, op.name().span(), null, true), reporter);
                }
                case Ast.Out out -> reporter.report(Code.HY0315, out.span(), "out");
                case Ast.Assign assign -> {
                    if (assign.targets().size() != 1) {
                        reporter.report(Code.HY0315, assign.targets().get(1).span(), assign.targets().get(1).root().name());
                        continue;
                    }
                    Ast.Target target = assign.targets().getFirst();
                    if (target.root().missing()) continue;
                    if (target.isPlainName()) {
                        setProperty(decl, scope, props, target.root(), assign.value());
                        continue;
                    }
                    Override o = readOverride(target, assign, scope);
                    if (o != null) overrides.add(o);
                }
            }
        }

        List<String> missing = new ArrayList<>();
        for (ModelProperty p : ModelProperty.values()) {
            if (p.required && !props.containsKey(p.spelling)) missing.add("`" + p.spelling + "`");
        }
        if (!missing.isEmpty()) {
            reporter.report(Code.HY0401, decl.name().span(), decl.name().name(), String.join(", ", missing));
            return null;
        }
        long width = intProp(props, "width");
        long vocab = intProp(props, "vocab");
        long context = intProp(props, "context");
        if (props.get("dtype") != null && props.get("dtype").value() instanceof Value.Enum e) dtype = e.name();
        Value layersValue = props.containsKey("layers") ? props.get("layers").value() : null;
        Value.Op block = blockOf(decl, scope, props.get("block"));
        // Unused-binding warnings only make sense once the layers were built from the bindings.
        if (width < 1 || vocab < 1 || context < 1 || block == null || !(layersValue instanceof Value.ListV stripe)) return null;
        Span stripeSpan = props.get("layers").span();
        if (stripe.items().isEmpty()) {
            reporter.report(Code.HY0405, stripeSpan, decl.name().name());
            return null;
        }
        if (stripe.items().size() > Limits.MAX_LAYERS) {
            reporter.report(Code.HY0314, stripeSpan, stripe.items().size(), Limits.MAX_LAYERS);
            return null;
        }

        // One block per layer: the stripe's operator is its mixer; other block parameters come from model bindings of the same name.
        List<Value.Op> layerOps = new ArrayList<>();
        for (int i = 0; i < stripe.items().size(); i++) {
            Value item = stripe.items().get(i);
            if (!(item instanceof Value.Op mixer)) {
                if (!(item instanceof Value.Unknown)) reporter.mismatch(stripeSpan, "an operator for layer " + i, item);
                return null;
            }
            Value.Op op = new Value.Op(block.template(), block.args(), mixer.span()).with("mixer", new Value.Arg(mixer, mixer.span()));
            for (ParamSpec p : block.template().params()) {
                Scope.Binding b = scope.find(p.name());
                if (p.name().equals("mixer") || b == null || op.args().containsKey(p.name())) continue;
                b.used = true;
                Value coerced = arguments.coerce(b.value, p, b.span, block.template());
                op = op.with(p.name(), new Value.Arg(coerced, b.span));
            }
            layerOps.add(op);
        }
        for (ParamSpec p : block.template().params()) {
            if (p.required() && !layerOps.getFirst().args().containsKey(p.name())) {
                reporter.report(Diagnostic.of(Code.HY0204, decl.name().span(), p.name(), block.template().name())
                        .withNote("define it in the model, e.g. `op " + p.name() + " = …`; block parameters other than `mixer` come from model bindings of the same name"));
                return null;
            }
        }
        for (Override o : overrides) {
            Span at = o.stmt.targets().getFirst().span();
            if (o.index < 0 || o.index >= layerOps.size()) {
                reporter.report(Code.HY0403, o.stmt.targets().getFirst().selectors().getFirst().span(), o.index, layerOps.size());
                continue;
            }
            int i = (int) o.index;
            Value.Op updated = o.fields.isEmpty()
                    ? override(layerOps.get(i), List.of(new Ast.Ident(at, "mixer")), o.value, o.stmt.value().span())
                    : override(layerOps.get(i), o.fields, o.value, o.stmt.value().span());
            if (updated != null) layerOps.set(i, updated);
        }
        scope.warnUnused(reporter);
        return elaborate(decl, layerOps, vocab, width, context);
    }

    /** {@code layers[index].fields… = value}, to apply once the layers exist. */
    private record Override(Ast.Assign stmt, long index, List<Ast.Ident> fields, Value value) {}

    /** Reads an override statement; null (after a diagnostic) when it is not one. */
    private Override readOverride(Ast.Target target, Ast.Assign assign, Scope scope) {
        if (!target.root().name().equals("layers") || !(target.selectors().getFirst() instanceof Ast.Index idx)) {
            reporter.report(Diagnostic.of(Code.HY0315, target.span(), target.span().text())
                    .withNote("only layers can be overridden, as in `layers[0].mlp.act = gelu`"));
            return null;
        }
        List<Ast.Ident> fields = new ArrayList<>();
        for (Ast.Selector sel : target.selectors().subList(1, target.selectors().size())) {
            if (!(sel instanceof Ast.Field f)) {
                // Once, quoting the target up to this selector: a long chain made this quadratic.
                reporter.report(Code.HY0315, sel.span(), new Span(sel.span().file(), target.span().start(), sel.span().end()).text());
                eval(idx.index(), scope);
                eval(assign.value(), scope);
                return null;
            }
            fields.add(f.name());
        }
        Value index = eval(idx.index(), scope);
        Value value = eval(assign.value(), scope);
        if (index instanceof Value.Int i) return new Override(assign, i.value(), fields, value);
        if (!(index instanceof Value.Unknown)) reporter.mismatch(idx.index().span(), "a layer index (int)", index);
        return null;
    }

    /** The model properties a user may set. */
    enum ModelProperty {
        VOCAB("vocab", true), WIDTH("width", true), CONTEXT("context", true),
        DTYPE("dtype", false), BLOCK("block", false), LAYERS("layers", true);

        final String spelling;
        final boolean required;

        ModelProperty(String spelling, boolean required) {
            this.spelling = spelling;
            this.required = required;
        }

        static ModelProperty of(String name) {
            for (ModelProperty p : values()) if (p.spelling.equals(name)) return p;
            return null;
        }
    }

    private void setProperty(Ast.ModelDecl decl, Scope scope, Map<String, Value.Arg> props, Ast.Ident name, Ast.Expr expr) {
        ModelProperty p = ModelProperty.of(name.name());
        Value v = eval(expr, scope);
        if (p == null) {
            Diagnostic d = Diagnostic.of(Code.HY0402, name.span(), decl.name().name(), name.name());
            var guess = Suggest.closest(name.name(), java.util.Arrays.stream(ModelProperty.values()).map(m -> m.spelling).toList());
            reporter.report(guess.isPresent() ? Suggest.fix(d, name.span(), guess.get())
                    : d.withNote("properties: vocab, width, context, dtype, block, layers; name a constant with `let "
                            + name.name() + " = …`"));
            return;
        }
        if (props.containsKey(p.spelling)) {
            reporter.report(Diagnostic.of(Code.HY0407, name.span(), p.spelling).withNote(props.get(p.spelling).span(), "first set here"));
            return;
        }
        if (v instanceof Value.Unknown) {
            props.put(p.spelling, new Value.Arg(v, expr.span()));
            return;
        }
        boolean ok = switch (p) {
            case VOCAB, WIDTH, CONTEXT -> v instanceof Value.Int i
                    ? checkRange(i.value() >= 1 && i.value() <= (1L << 31), expr.span(), p.spelling, "between 1 and 2^31", v)
                    : typeError(expr.span(), "int", v);
            case DTYPE -> v instanceof Value.Enum e && e.type() == Type.DTYPE || typeError(expr.span(), "a dtype (bf16, fp16, fp32)", v);
            case BLOCK -> v instanceof Value.Op || typeError(expr.span(), "a block, e.g. `prenorm`", v);
            case LAYERS -> v instanceof Value.ListV || typeError(expr.span(), "a list of operators", v);
        };
        if (ok && p == ModelProperty.VOCAB && ((Value.Int) v).value() < BYTE_TOKENS) {
            reporter.report(Diagnostic.of(Code.HY0409, expr.span(), v.show(), BYTE_TOKENS - 1, BYTE_TOKENS)
                    .withNote("a smaller vocab suits only token ids from another tokenizer; `// allow: HY0409` accepts it")
                    .withFix("set vocab = " + BYTE_TOKENS, expr.span(), String.valueOf(BYTE_TOKENS)));
        }
        props.put(p.spelling, new Value.Arg(ok ? v : Value.Unknown.ANY, expr.span()));
        scope.names.put(p.spelling, new Scope.Binding(ok ? v : Value.Unknown.ANY, name.span(), null, false));
    }

    private boolean typeError(Span at, String expected, Value got) {
        reporter.mismatch(at, expected, got);
        return false;
    }

    private boolean checkRange(boolean ok, Span at, String what, String range, Value got) {
        if (!ok) reporter.report(Code.HY0301, at, what, range, got.show());
        return ok;
    }

    private static long intProp(Map<String, Value.Arg> props, String name) {
        Value.Arg a = props.get(name);
        return a != null && a.value() instanceof Value.Int i ? i.value() : -1;
    }

    private Value.Op blockOf(Ast.ModelDecl decl, Scope scope, Value.Arg given) {
        Value.Op block;
        if (given != null) {
            if (!(given.value() instanceof Value.Op op)) return null;
            block = op;
        } else {
            var t = scope.module.template("prenorm");
            if (t.isEmpty()) {
                reporter.report(Diagnostic.of(Code.HY0401, decl.name().span(), decl.name().name(), "`block`")
                        .withNote("add `import \"std\"` for the pre-norm residual block, or set `block = …`"));
                return null;
            }
            block = new Value.Op(t.get(), Map.of(), decl.name().span());
        }
        var mixer = block.template().param("mixer");
        if (mixer.isEmpty() || mixer.get().type() != Type.OP) {
            reporter.report(Code.HY0408, given != null ? given.span() : decl.name().span(), block.template().name());
            return null;
        }
        if (block.template().inputCount() != 1) {
            // Every layer applies the block to one tensor: say so at the block, not at each layer's mixer.
            reporter.report(wrongInputCount(given != null ? given.span() : decl.name().span(), block.template(), 1)
                    .withNote("each layer applies the block to the one tensor it receives"));
            return null;
        }
        return block;
    }

    /** {@code layers[i].a.b = v}: follows operator-valued arguments, then sets the last one. */
    private Value.Op override(Value.Op op, List<Ast.Ident> fields, Value value, Span valueSpan) {
        Ast.Ident field = fields.getFirst();
        var spec = op.template().param(field.name());
        if (spec.isEmpty()) {
            Diagnostic d = Diagnostic.of(Code.HY0404, field.span(), field.name(), op.template().name());
            var guess = Suggest.closest(field.name(), op.template().params().stream().map(ParamSpec::name).toList());
            reporter.report(guess.isPresent() ? Suggest.fix(d, field.span(), guess.get())
                    : d.withNote("its parameters: " + op.template().signature()));
            return null;
        }
        if (fields.size() == 1) {
            Value coerced = arguments.coerce(value, spec.get(), valueSpan, op.template());
            return op.with(field.name(), new Value.Arg(coerced, valueSpan));
        }
        Value.Arg current = op.args().get(field.name());
        Value inner = current != null ? current.value() : null;
        if (inner == null && spec.get().dfltExpr() == null && spec.get().dflt() == null) {
            reporter.report(Code.HY0404, field.span(), field.name(), op.template().name());
            return null;
        }
        if (inner == null || !(inner instanceof Value.Op innerOp)) {
            reporter.report(Code.HY0300, field.span(), "an operator-valued argument to follow", spec.get().signature());
            return null;
        }
        Value.Op updated = override(innerOp, fields.subList(1, fields.size()), value, valueSpan);
        return updated == null ? null : op.with(field.name(), new Value.Arg(updated, current.span()));
    }

    private Elaborated.Model elaborate(Ast.ModelDecl decl, List<Value.Op> layerOps, long vocab, long width, long context) {
        names.setAmbient(new Value.Int(width), new Value.Int(vocab), new Value.Int(context));

        List<Elaborated.Weight> embedding = List.of(new Elaborated.Weight(WeightNaming.EMBEDDING, dtype, List.of(vocab, width),
                "[vocab, width]; tied: also the unembedding", decl.name().span()));
        limits.checkWeightSize(WeightNaming.EMBEDDING, List.of(vocab, width), decl.name().span());
        int tokens = recorder.newValue(1);
        recorder.probe("tokens", tokens);
        int x = recorder.newValue(width);
        List<Elaborated.Node> headNodes = new ArrayList<>();
        headNodes.add(recorder.node("embedding", Map.of("vocab", new Value.Int(vocab)),
                List.of(tokens), List.of(x), Map.of("weight", WeightNaming.EMBEDDING), "embedding", decl.name().span(), decl.name().span()));

        List<Elaborated.Layer> layers = new ArrayList<>();
        Value.Tensor h = new Value.Tensor(x, width);
        for (int i = 0; i < layerOps.size(); i++) {
            Value.Op op = layerOps.get(i);
            recorder.startPart();
            Value out = apply(new Scope.Instance(op, WeightNaming.layer(i)), List.of(h), op.span(), false);
            if (out instanceof Value.Tensor t) recorder.probe(WeightNaming.layer(i), t.id());
            if (out instanceof Value.Tensor t && t.width() >= 0 && t.width() != width) {
                reporter.report(Diagnostic.of(Code.HY0304, op.span(), width, t.width())
                        .withNote("layer " + i + " must return the model width"));
            }
            Value.Op mixer = op.args().get("mixer").value() instanceof Value.Op m ? m : op;
            layers.add(new Elaborated.Layer(i, op.template().name(), mixer.template().name(), op,
                    recorder.weights(), recorder.nodes(), op.span()));
            h = out instanceof Value.Tensor t && t.width() == width ? t : new Value.Tensor(recorder.newValue(width), width);
        }

        recorder.startPart();
        Value.Op norm = new Value.Op(Primitives.get("rmsnorm"), Map.of(), decl.name().span());
        Value normed = apply(new Scope.Instance(norm, WeightNaming.FINAL_NORM), List.of(h), decl.name().span(), false);
        recorder.probe("embedding", x);
        if (normed instanceof Value.Tensor t) recorder.probe(WeightNaming.FINAL_NORM, t.id());
        int logits = recorder.newValue(vocab);
        recorder.probe("logits", logits);
        recorder.record("unembed", Map.of(), List.of(normed instanceof Value.Tensor t ? t.id() : h.id()), List.of(logits),
                Map.of("weight", WeightNaming.EMBEDDING), "unembed", decl.name().span(), decl.name().span());
        headNodes.addAll(recorder.nodes());
        return new Elaborated.Model(decl.name().name(), decl.doc(), decl.span(), vocab, width, context, dtype,
                embedding, layers, recorder.weights(), headNodes, recorder.widths(), recorder.probes());
    }

    // ------------------------------------------------------------------ operators on their own

    /** Checks an operator's body with its arguments unknown: names, argument keys, types, structure. */
    void checkAlone(Template.Declared t) {
        names.setAmbient(new Value.Unknown(Type.INT), new Value.Unknown(Type.INT), new Value.Unknown(Type.INT));
        recorder.startPart();
        List<Value> inputs = new ArrayList<>();
        for (int i = 0; i < t.inputCount(); i++) inputs.add(new Value.Tensor(recorder.newValue(-1), -1));
        Map<String, Value.Arg> args = new LinkedHashMap<>();
        for (ParamSpec p : t.params()) {
            if (p.dfltExpr() == null) args.put(p.name(), new Value.Arg(new Value.Unknown(p.type()), null));
        }
        applyDeclared(t, new Value.Op(t, args, t.span()), inputs, t.decl().name().span(), "");
    }

    // ------------------------------------------------------------------ application

    private Value apply(Scope.Instance inst, List<Value> inputs, Span call, boolean inline) {
        if (limits.exhausted()) return Value.Unknown.ANY;
        Value.Op op = inst.op;
        if (!limits.spendApplication()) {
            // Blame the outermost operator being expanded: that is the one to change.
            Template.Declared top = active.peekLast();
            reporter.report(Code.HY0317, top != null ? top.span() : call, Limits.MAX_APPLICATIONS, top != null ? top.name() : op.template().name());
            return Value.Unknown.ANY;
        }
        if (op.template().inputCount() >= 0 && inputs.size() != op.template().inputCount()
                || op.template().inputCount() < 0 && inputs.isEmpty()) {
            if (op.template() instanceof Primitive p && p.role() == Primitive.Role.CONFIG) {
                reporter.report(Code.HY0211, call, op.template().name());
            } else {
                reporter.report(wrongInputCount(call, op.template(), inputs.size()));
            }
            return Value.Unknown.ANY;
        }
        List<Long> ws = new ArrayList<>();
        for (Value v : inputs) ws.add(v instanceof Value.Tensor t ? t.width() : -1L);
        if (inst.inputWidths == null) {
            inst.inputWidths = ws;
        } else if (!inst.inputWidths.equals(ws) && !ws.contains(-1L) && !inst.inputWidths.contains(-1L)) {
            reporter.report(Code.HY0312, call, inst.path.substring(inst.path.lastIndexOf('.') + 1), inst.inputWidths, ws);
            return Value.Unknown.ANY;
        }
        reporter.enterCall(op.span() != null && !Reporter.isLibrary(op.span()) ? op.span() : call);
        try {
            return switch (op.template()) {
                case Primitive p -> applyPrimitive(p, op, inputs, call, inst.path, inline);
                case Template.Declared d -> applyDeclared(d, op, inputs, call, inst.path);
            };
        } finally {
            reporter.leaveCall();
        }
    }

    /** HY0206: {@code t} applied to {@code given} tensors. */
    private static Diagnostic wrongInputCount(Span at, Template t, int given) {
        int n = t.inputCount();
        return Diagnostic.of(Code.HY0206, at, t.name(), n < 0 ? "one or more" : n, n == 1 ? "" : "s", given);
    }

    private Value applyPrimitive(Primitive p, Value.Op op, List<Value> inputs, Span call, String path, boolean inline) {
        Map<String, Value> resolved = new LinkedHashMap<>();
        for (ParamSpec spec : p.params()) {
            Value.Arg a = op.args().get(spec.name());
            if (a != null) resolved.put(spec.name(), a.value());
            else if (spec.dflt() != null) resolved.put(spec.name(), spec.dflt());
        }
        Map<String, String> weightNames = new LinkedHashMap<>();
        Primitive.Application app = new Primitive.Application() {
            public long width(int i) { return inputs.get(i) instanceof Value.Tensor t ? t.width() : -1; }
            public int inputs() { return inputs.size(); }
            public Value arg(String name) { return resolved.get(name); }
            public Span at(String name) {
                Value.Arg a = op.args().get(name);
                return a != null && a.span() != null ? a.span() : call;
            }
            public Span call() { return call; }
            public boolean require(boolean ok, Code code, Span at, Object... args) {
                if (!ok) reporter.report(code, at, args);
                return ok;
            }
            public void warn(Code code, Span at, Object... args) { reporter.report(code, at, args); }
            public void weight(String name, String wdtype, List<Long> shape, String layout) {
                String full = naming.declare(path, name);
                weightNames.put(name, full);
                if (inline) return;
                limits.checkWeightSize(full, shape, call);
                recorder.weight(new Elaborated.Weight(full, wdtype, shape, layout, call));
            }
            public String dtype() { return dtype; }
            public void resolved(String name, Value value) { resolved.put(name, value); }
        };
        List<Long> outs = p.rule().apply(app);
        if (p.role() == Primitive.Role.CONFIG) return Value.Unknown.ANY; // checked only: no node
        if (inline && !weightNames.isEmpty()) reporter.report(WeightNaming.unbound(call, p.name(), "proj"));
        List<Integer> inIds = new ArrayList<>();
        for (Value v : inputs) inIds.add(v instanceof Value.Tensor t ? t.id() : -1);
        if (outs == null) {
            recorder.record(p.name(), resolved, inIds, List.of(), weightNames, path, call, reporter.userSite());
            return Value.Unknown.ANY;
        }
        List<Value> results = new ArrayList<>();
        List<Integer> outIds = new ArrayList<>();
        for (long w : outs) {
            int id = recorder.newValue(w);
            outIds.add(id);
            results.add(new Value.Tensor(id, w));
        }
        recorder.record(p.name(), resolved, inIds, outIds, weightNames, path, call, reporter.userSite());
        return results.size() == 1 ? results.getFirst() : new Value.Tuple(results);
    }

    private Value applyDeclared(Template.Declared t, Value.Op op, List<Value> inputs, Span call, String path) {
        if (active.contains(t)) {
            List<String> chain = new ArrayList<>();
            for (var it = active.descendingIterator(); it.hasNext(); ) chain.add(it.next().name());
            chain.add(t.name());
            reporter.report(Code.HY0311, t.decl().name().span(), t.name(), String.join(" → ", chain.subList(chain.indexOf(t.name()), chain.size())));
            return Value.Unknown.ANY;
        }
        if (active.size() >= Limits.MAX_DEPTH) {
            if (limits.firstTooDeep()) reporter.report(Code.HY0005, call, Limits.MAX_DEPTH);
            return Value.Unknown.ANY;
        }
        active.push(t);
        try {
            Scope scope = new Scope(t.module(), true);
            for (ParamSpec p : t.params()) {
                Value.Arg a = op.args().get(p.name());
                Value v;
                Span at;
                if (a != null) {
                    v = a.value();
                    at = a.span();
                } else if (p.dfltExpr() != null) {
                    v = arguments.coerce(eval(p.dfltExpr(), scope), p, p.dfltExpr().span(), t);
                    at = p.dfltExpr().span();
                } else {
                    v = new Value.Unknown(p.type()); // missing: reported where the operator was configured
                    at = null;
                }
                Scope.Instance inst = v instanceof Value.Op o ? new Scope.Instance(o, WeightNaming.child(path, p.name())) : null;
                scope.names.put(p.name(), new Scope.Binding(v, p.span() != null ? p.span() : at, inst, false));
            }
            for (int i = 0; i < t.decl().inputs().size(); i++) {
                Ast.Ident in = t.decl().inputs().get(i);
                scope.bind(in, new Scope.Binding(inputs.get(i), in.span(), null, true), reporter);
            }
            naming.enter(path);
            try {
                return body(t, scope, path);
            } finally {
                naming.leave();
            }
        } finally {
            active.pop();
        }
    }

    private Value body(Template.Declared t, Scope scope, String path) {
        Value result = null;
        Span outAt = null;
        boolean warnedAfterOut = false;
        for (Ast.Stmt stmt : t.decl().body()) {
            if (outAt != null && !warnedAfterOut && !(stmt instanceof Ast.Out)) {
                reporter.report(Code.HY0316, stmt.span(), stmt.span().text().lines().findFirst().orElse(""));
                warnedAfterOut = true;
            }
            switch (stmt) {
                case Ast.Let let -> scope.bind(let.name(), new Scope.Binding(eval(let.value(), scope), let.name().span(), null, true), reporter);
                case Ast.OpBind ob -> {
                    Value v = eval(ob.value(), scope);
                    if (v instanceof Value.Op o) {
                        scope.bind(ob.name(), new Scope.Binding(v, ob.name().span(), new Scope.Instance(o, WeightNaming.child(path, ob.name().name())), true), reporter);
                    } else {
                        if (!(v instanceof Value.Unknown)) reporter.mismatch(ob.value().span(), "an operator", v);
                        scope.bind(ob.name(), new Scope.Binding(Value.Unknown.ANY, ob.name().span(), null, true), reporter);
                    }
                }
                case Ast.Out out -> {
                    Value v = eval(out.value(), scope);
                    if (outAt != null) {
                        reporter.report(Diagnostic.of(Code.HY0313, out.span(), t.name()).withNote(outAt, "first `out` here"));
                    } else {
                        outAt = out.span();
                        result = v;
                        if (!(v instanceof Value.Tensor) && !(v instanceof Value.Unknown) && !(v instanceof Value.Tuple)) {
                            reporter.mismatch(out.value().span(), "a tensor", v);
                            result = Value.Unknown.ANY;
                        }
                    }
                }
                case Ast.Assign as -> {
                    Value v = eval(as.value(), scope);
                    if (as.targets().stream().anyMatch(target -> !target.isPlainName())) {
                        as.targets().stream().filter(target -> !target.isPlainName())
                                .forEach(target -> reporter.report(Code.HY0315, target.span(), target.span().text()));
                    } else if (as.targets().size() == 1) {
                        Ast.Ident name = as.targets().getFirst().root();
                        scope.bind(name, new Scope.Binding(v, name.span(), null, true), reporter);
                        recorder.probe(path, name, v);
                    } else {
                        List<Value> parts = unpack(v, as.targets().size(), as.value().span());
                        for (int i = 0; i < as.targets().size(); i++) {
                            Ast.Ident name = as.targets().get(i).root();
                            scope.bind(name, new Scope.Binding(parts.get(i), name.span(), null, true), reporter);
                            recorder.probe(path, name, parts.get(i));
                        }
                    }
                }
            }
        }
        if (outAt == null) reporter.report(Code.HY0310, t.decl().name().span(), t.name());
        scope.warnUnused(reporter);
        return result == null ? Value.Unknown.ANY : result;
    }

    private List<Value> unpack(Value v, int n, Span at) {
        List<Value> parts = new ArrayList<>();
        if (v instanceof Value.Tuple tuple && tuple.items().size() == n) {
            return tuple.items();
        }
        if (!(v instanceof Value.Unknown)) {
            int have = v instanceof Value.Tuple tuple ? tuple.items().size() : 1;
            reporter.report(Code.HY0305, at, have, have == 1 ? "" : "s", n, n == 1 ? "" : "s");
        }
        for (int i = 0; i < n; i++) parts.add(Value.Unknown.ANY);
        return parts;
    }

    // ------------------------------------------------------------------ expressions

    private Value eval(Ast.Expr expr, Scope scope) {
        return switch (expr) {
            case Ast.Num n -> number(n);
            case Ast.Str s -> new Value.Str(s.value());
            case Ast.Bool b -> new Value.Bool(b.value());
            case Ast.Error e -> Value.Unknown.ANY;
            case Ast.Name n -> names.resolve(n.ident(), scope);
            case Ast.ListLit l -> {
                if (l.items().size() > Limits.MAX_LIST) {
                    reporter.report(Code.HY0314, l.span(), l.items().size(), Limits.MAX_LIST);
                    yield Value.Unknown.ANY;
                }
                List<Value> items = new ArrayList<>();
                for (Ast.Expr item : l.items()) items.add(eval(item, scope));
                yield new Value.ListV(items);
            }
            case Ast.Neg n -> arithmetic.negate(eval(n.operand(), scope), n);
            case Ast.Binary b -> arithmetic.binary(b, eval(b.left(), scope), eval(b.right(), scope));
            case Ast.Call c -> call(c, scope);
        };
    }

    private static Value number(Ast.Num n) {
        String digits = n.text().replace("_", "");
        return n.isFloat() ? new Value.Float(Double.parseDouble(digits)) : new Value.Int(Long.parseLong(digits));
    }

    // ------------------------------------------------------------------ calls

    private Value call(Ast.Call c, Scope scope) {
        if (c.callee().missing()) return Value.Unknown.ANY;
        List<Value> inputs = new ArrayList<>();
        Map<String, Value.Arg> named = new LinkedHashMap<>();
        Map<String, Span> namedAt = new HashMap<>();
        boolean sawNamed = false;
        for (Ast.Arg a : c.args()) {
            Value v = eval(a.value(), scope);
            if (a.name() == null) {
                if (sawNamed) reporter.report(Code.HY0210, a.span(), c.callee().name());
                inputs.add(v);
            } else {
                sawNamed = true;
                if (named.containsKey(a.name().name())) {
                    reporter.report(Diagnostic.of(Code.HY0205, a.name().span(), a.name().name()).withNote(namedAt.get(a.name().name()), "first given here"));
                    continue;
                }
                named.put(a.name().name(), new Value.Arg(v, a.value().span()));
                namedAt.put(a.name().name(), a.name().span());
            }
        }

        Scope.Binding b = scope.find(c.callee().name());
        if (b != null) {
            b.used = true;
            if (b.value instanceof Value.Unknown u && (u.type() == null || u.type() == Type.OP || u.type() == Type.TENSOR)) {
                return Value.Unknown.ANY;
            }
            if (!(b.value instanceof Value.Op op)) {
                reporter.report(Code.HY0212, c.callee().span(), c.callee().name());
                return Value.Unknown.ANY;
            }
            if (!named.isEmpty()) {
                reporter.report(Diagnostic.of(Code.HY0213, c.span(), c.callee().name())
                        .withNote("set its arguments where it is defined"));
            }
            if (!scope.inBody()) {
                reporter.report(Code.HY0214, c.span(), c.callee().name());
                return Value.Unknown.ANY;
            }
            Scope.Instance inst = b.instance != null ? b.instance : new Scope.Instance(op, c.callee().name());
            return apply(inst, inputs, c.span(), false);
        }
        var found = scope.module.template(c.callee().name());
        if (found.isEmpty()) {
            if (scope.inBody() && names.isAmbient(c.callee().name())) {
                reporter.report(Code.HY0212, c.callee().span(), c.callee().name());
            } else {
                names.unknown(c.callee(), scope, Code.HY0202);
            }
            return Value.Unknown.ANY;
        }
        Template t = found.get();
        Value.Op op = arguments.configure(t, named, namedAt, c.span());
        if (inputs.isEmpty()) {
            // A configuration (rope) is never applied itself: its rule checks the arguments here.
            if (t instanceof Primitive p && p.role() == Primitive.Role.CONFIG) applyPrimitive(p, op, List.of(), c.span(), "", false);
            return op;
        }
        if (!scope.inBody()) {
            reporter.report(Code.HY0214, c.span(), c.callee().name());
            return Value.Unknown.ANY;
        }
        long weightsBefore = naming.declared();
        Value out = apply(new Scope.Instance(op, WeightNaming.child(naming.current(), t.name())), inputs, c.span(), true);
        // As for primitives: weights are named after bindings, so an operator that owns any must be bound.
        if (t instanceof Template.Declared && naming.declared() > weightsBefore) reporter.report(WeightNaming.unbound(c.span(), t.name(), "mlp"));
        return out;
    }
}
