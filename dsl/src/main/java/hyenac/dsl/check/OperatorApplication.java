package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.source.Span;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies operator instances to tensors, checking input counts and widths: a primitive through its
 * shape rule (which declares its weights; the application is recorded as a node), a declared operator
 * by evaluating its body in a scope of its arguments and inputs.
 */
final class OperatorApplication {
    private final Evaluator evaluator;
    private final Reporter reporter;
    private final Limits limits;
    private final Arguments arguments;
    private final WeightNaming naming;
    private final Recorder recorder;
    /** The declared operators being applied, innermost first: for recursion and depth. */
    private final Deque<Template.Declared> active = new ArrayDeque<>();
    /** The model's storage dtype, as primitives' rules see it (bf16 for operators checked alone). */
    private String dtype = "bf16";

    OperatorApplication(Evaluator evaluator, Reporter reporter, Limits limits, Arguments arguments, WeightNaming naming,
                        Recorder recorder) {
        this.evaluator = evaluator;
        this.reporter = reporter;
        this.limits = limits;
        this.arguments = arguments;
        this.naming = naming;
        this.recorder = recorder;
    }

    String dtype() {
        return dtype;
    }

    void setDtype(String dtype) {
        this.dtype = dtype;
    }

    /** Applies {@code inst}; {@code inline} when it is applied where it is configured, with no binding to name its weights. */
    EvalValue apply(Scope.Instance inst, List<EvalValue> inputs, Span call, boolean inline) {
        if (limits.exhausted()) return EvalValue.Unknown.ANY;
        EvalValue.Op op = inst.op;
        if (!limits.spendApplication()) {
            // Blame the outermost operator being expanded: that is the one to change.
            Template.Declared top = active.peekLast();
            reporter.report(Code.HY0317, top != null ? top.span() : call, Limits.MAX_APPLICATIONS, top != null ? top.name() : op.template().name());
            return EvalValue.Unknown.ANY;
        }
        if (op.template().inputCount() >= 0 && inputs.size() != op.template().inputCount()
                || op.template().inputCount() < 0 && inputs.isEmpty()) {
            if (op.template() instanceof Primitive p && p.role() == Primitive.Role.CONFIG) {
                reporter.report(Code.HY0211, call, op.template().name());
            } else {
                reporter.report(wrongInputCount(call, op.template(), inputs.size()));
            }
            return EvalValue.Unknown.ANY;
        }
        List<Long> ws = new ArrayList<>();
        for (EvalValue v : inputs) ws.add(v instanceof EvalValue.Tensor t ? t.width() : -1L);
        if (inst.inputWidths == null) {
            inst.inputWidths = ws;
        } else if (!inst.inputWidths.equals(ws) && !ws.contains(-1L) && !inst.inputWidths.contains(-1L)) {
            reporter.report(Code.HY0312, call, inst.path.substring(inst.path.lastIndexOf('.') + 1), inst.inputWidths, ws);
            return EvalValue.Unknown.ANY;
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
    static Diagnostic wrongInputCount(Span at, Template t, int given) {
        int n = t.inputCount();
        return Diagnostic.of(Code.HY0206, at, t.name(), n < 0 ? "one or more" : n, n == 1 ? "" : "s", given);
    }

    EvalValue applyPrimitive(Primitive p, EvalValue.Op op, List<EvalValue> inputs, Span call, String path, boolean inline) {
        Map<String, EvalValue> resolved = new LinkedHashMap<>();
        for (ParamSpec spec : p.params()) {
            EvalValue.Arg a = op.args().get(spec.name());
            if (a != null) resolved.put(spec.name(), a.value());
            else if (spec.dflt() != null) resolved.put(spec.name(), spec.dflt());
        }
        Map<String, String> weightNames = new LinkedHashMap<>();
        Primitive.Application app = new Primitive.Application() {
            public long width(int i) { return inputs.get(i) instanceof EvalValue.Tensor t ? t.width() : -1; }
            public int inputs() { return inputs.size(); }
            public EvalValue arg(String name) { return resolved.get(name); }
            public Span at(String name) {
                EvalValue.Arg a = op.args().get(name);
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
            public void resolved(String name, EvalValue value) { resolved.put(name, value); }
        };
        List<Long> outs = p.rule().apply(app);
        if (p.role() == Primitive.Role.CONFIG) return EvalValue.Unknown.ANY; // checked only: no node
        if (inline && !weightNames.isEmpty()) reporter.report(WeightNaming.unbound(call, p.name(), "proj"));
        List<Integer> inIds = new ArrayList<>();
        for (EvalValue v : inputs) inIds.add(v instanceof EvalValue.Tensor t ? t.id() : -1);
        if (outs == null) {
            recorder.record(p.name(), resolved, inIds, List.of(), weightNames, path, call, reporter.userSite());
            return EvalValue.Unknown.ANY;
        }
        List<EvalValue> results = new ArrayList<>();
        List<Integer> outIds = new ArrayList<>();
        for (long w : outs) {
            int id = recorder.newValue(w);
            outIds.add(id);
            results.add(new EvalValue.Tensor(id, w));
        }
        recorder.record(p.name(), resolved, inIds, outIds, weightNames, path, call, reporter.userSite());
        return results.size() == 1 ? results.getFirst() : new EvalValue.Tuple(results);
    }

    EvalValue applyDeclared(Template.Declared t, EvalValue.Op op, List<EvalValue> inputs, Span call, String path) {
        if (active.contains(t)) {
            List<String> chain = new ArrayList<>();
            for (var it = active.descendingIterator(); it.hasNext(); ) chain.add(it.next().name());
            chain.add(t.name());
            reporter.report(Code.HY0311, t.decl().name().span(), t.name(), String.join(" → ", chain.subList(chain.indexOf(t.name()), chain.size())));
            return EvalValue.Unknown.ANY;
        }
        if (active.size() >= Limits.MAX_DEPTH) {
            if (limits.firstTooDeep()) reporter.report(Code.HY0005, call, Limits.MAX_DEPTH);
            return EvalValue.Unknown.ANY;
        }
        active.push(t);
        try {
            Scope scope = new Scope(t.module(), true);
            for (ParamSpec p : t.params()) {
                EvalValue.Arg a = op.args().get(p.name());
                EvalValue v;
                Span at;
                if (a != null) {
                    v = a.value();
                    at = a.span();
                } else if (p.dfltExpr() != null) {
                    v = arguments.coerce(evaluator.eval(p.dfltExpr(), scope), p, p.dfltExpr().span(), t);
                    at = p.dfltExpr().span();
                } else {
                    v = new EvalValue.Unknown(p.type()); // missing: reported where the operator was configured
                    at = null;
                }
                Scope.Instance inst = v instanceof EvalValue.Op o ? new Scope.Instance(o, WeightNaming.child(path, p.name())) : null;
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

    private EvalValue body(Template.Declared t, Scope scope, String path) {
        EvalValue result = null;
        Span outAt = null;
        boolean warnedAfterOut = false;
        for (Ast.Stmt stmt : t.decl().body()) {
            if (outAt != null && !warnedAfterOut && !(stmt instanceof Ast.Out)) {
                reporter.report(Code.HY0316, stmt.span(), stmt.span().text().lines().findFirst().orElse(""));
                warnedAfterOut = true;
            }
            switch (stmt) {
                case Ast.Let let -> scope.bind(let.name(), new Scope.Binding(evaluator.eval(let.value(), scope), let.name().span(), null, true), reporter);
                case Ast.OpBind ob -> {
                    EvalValue v = evaluator.eval(ob.value(), scope);
                    if (v instanceof EvalValue.Op o) {
                        scope.bind(ob.name(), new Scope.Binding(v, ob.name().span(), new Scope.Instance(o, WeightNaming.child(path, ob.name().name())), true), reporter);
                    } else {
                        if (!(v instanceof EvalValue.Unknown)) reporter.mismatch(ob.value().span(), "an operator", v);
                        scope.bind(ob.name(), new Scope.Binding(EvalValue.Unknown.ANY, ob.name().span(), null, true), reporter);
                    }
                }
                case Ast.Out out -> {
                    EvalValue v = evaluator.eval(out.value(), scope);
                    if (outAt != null) {
                        reporter.report(Diagnostic.of(Code.HY0313, out.span(), t.name()).withNote(outAt, "first `out` here"));
                    } else {
                        outAt = out.span();
                        result = v;
                        if (!(v instanceof EvalValue.Tensor) && !(v instanceof EvalValue.Unknown) && !(v instanceof EvalValue.Tuple)) {
                            reporter.mismatch(out.value().span(), "a tensor", v);
                            result = EvalValue.Unknown.ANY;
                        }
                    }
                }
                case Ast.Assign as -> {
                    EvalValue v = evaluator.eval(as.value(), scope);
                    if (as.targets().stream().anyMatch(target -> !target.isPlainName())) {
                        as.targets().stream().filter(target -> !target.isPlainName())
                                .forEach(target -> reporter.report(Code.HY0315, target.span(), target.span().text()));
                    } else if (as.targets().size() == 1) {
                        Ast.Ident name = as.targets().getFirst().root();
                        scope.bind(name, new Scope.Binding(v, name.span(), null, true), reporter);
                        recorder.probe(path, name, v);
                    } else {
                        List<EvalValue> parts = unpack(v, as.targets().size(), as.value().span());
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
        return result == null ? EvalValue.Unknown.ANY : result;
    }

    private List<EvalValue> unpack(EvalValue v, int n, Span at) {
        if (v instanceof EvalValue.Tuple tuple && tuple.items().size() == n) return tuple.items();
        if (!(v instanceof EvalValue.Unknown)) {
            int have = v instanceof EvalValue.Tuple tuple ? tuple.items().size() : 1;
            reporter.report(Code.HY0305, at, have, have == 1 ? "" : "s", n, n == 1 ? "" : "s");
        }
        List<EvalValue> parts = new ArrayList<>();
        for (int i = 0; i < n; i++) parts.add(EvalValue.Unknown.ANY);
        return parts;
    }
}
