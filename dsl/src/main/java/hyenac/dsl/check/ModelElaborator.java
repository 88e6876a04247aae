package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.source.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Elaborates a model declaration: reads its statements (bindings, properties, overrides), builds one
 * block per layer around the stripe's operators, and applies embedding, layers, final norm and the
 * tied unembedding in turn, collecting each part's weights and nodes.
 */
final class ModelElaborator {
    private final Evaluator evaluator;
    private final Reporter reporter;
    private final Arguments arguments;
    private final NameResolution names;
    private final OperatorApplication application;
    private final Limits limits;
    private final Recorder recorder;

    ModelElaborator(Evaluator evaluator, Reporter reporter, Arguments arguments, NameResolution names,
                    OperatorApplication application, Limits limits, Recorder recorder) {
        this.evaluator = evaluator;
        this.reporter = reporter;
        this.arguments = arguments;
        this.names = names;
        this.application = application;
        this.limits = limits;
        this.recorder = recorder;
    }

    /** The model, or null after the diagnostics that explain why it cannot be built. */
    Elaborated.Model elaborate(Module module, Ast.ModelDecl decl) {
        Scope scope = new Scope(module, false);
        ModelProperties props = new ModelProperties(reporter);
        Overrides overrides = new Overrides(evaluator, reporter, arguments);

        for (Ast.Stmt stmt : decl.body()) {
            switch (stmt) {
                case Ast.Let let -> {
                    if (ModelProperties.isProperty(let.name().name())) {
                        reporter.report(Code.HY0209, let.name().span(), let.name().name());
                        continue;
                    }
                    scope.bind(let.name(), new Scope.Binding(evaluator.eval(let.value(), scope), let.name().span(), null, true), reporter);
                }
                case Ast.OpBind op -> {
                    EvalValue v = evaluator.eval(op.value(), scope);
                    if (!(v instanceof EvalValue.Op) && !(v instanceof EvalValue.Unknown)) {
                        reporter.mismatch(op.value().span(), "an operator", v);
                        v = EvalValue.Unknown.ANY;
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
                        props.set(decl, scope, target.root(), assign.value(), evaluator.eval(assign.value(), scope));
                        continue;
                    }
                    overrides.read(target, assign, scope);
                }
            }
        }

        List<String> missing = props.missing();
        if (!missing.isEmpty()) {
            reporter.report(Code.HY0401, decl.name().span(), decl.name().name(), String.join(", ", missing));
            return null;
        }
        long width = props.intValue(ModelProperties.Property.WIDTH);
        long vocab = props.intValue(ModelProperties.Property.VOCAB);
        long context = props.intValue(ModelProperties.Property.CONTEXT);
        if (props.dtype() != null) application.setDtype(props.dtype());
        EvalValue.Arg layersArg = props.get(ModelProperties.Property.LAYERS);
        EvalValue.Op block = props.block(decl, scope);
        // Unused-binding warnings only make sense once the layers were built from the bindings.
        if (width < 1 || vocab < 1 || context < 1 || block == null || !(layersArg.value() instanceof EvalValue.ListV stripe)) return null;
        Span stripeSpan = layersArg.span();
        if (stripe.items().isEmpty()) {
            reporter.report(Code.HY0405, stripeSpan, decl.name().name());
            return null;
        }
        if (stripe.items().size() > Limits.MAX_LAYERS) {
            reporter.report(Code.HY0314, stripeSpan, stripe.items().size(), Limits.MAX_LAYERS);
            return null;
        }
        List<EvalValue.Op> layerOps = layerOps(decl, scope, block, stripe, stripeSpan);
        if (layerOps == null) return null;
        overrides.applyTo(layerOps);
        scope.warnUnused(reporter);
        return build(decl, layerOps, vocab, width, context);
    }

    /**
     * One block per layer: the stripe's operator is its mixer; other block parameters come from model
     * bindings of the same name. Null after a report.
     */
    private List<EvalValue.Op> layerOps(Ast.ModelDecl decl, Scope scope, EvalValue.Op block, EvalValue.ListV stripe, Span stripeSpan) {
        List<EvalValue.Op> layerOps = new ArrayList<>();
        for (int i = 0; i < stripe.items().size(); i++) {
            EvalValue item = stripe.items().get(i);
            if (!(item instanceof EvalValue.Op mixer)) {
                if (!(item instanceof EvalValue.Unknown)) reporter.mismatch(stripeSpan, "an operator for layer " + i, item);
                return null;
            }
            EvalValue.Op op = new EvalValue.Op(block.template(), block.args(), mixer.span()).with("mixer", new EvalValue.Arg(mixer, mixer.span()));
            for (ParamSpec p : block.template().params()) {
                Scope.Binding b = scope.find(p.name());
                if (p.name().equals("mixer") || b == null || op.args().containsKey(p.name())) continue;
                b.used = true;
                EvalValue coerced = arguments.coerce(b.value, p, b.span, block.template());
                op = op.with(p.name(), new EvalValue.Arg(coerced, b.span));
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
        return layerOps;
    }

    private Elaborated.Model build(Ast.ModelDecl decl, List<EvalValue.Op> layerOps, long vocab, long width, long context) {
        names.setAmbient(new EvalValue.Int(width), new EvalValue.Int(vocab), new EvalValue.Int(context));
        Span at = decl.name().span();
        String dtype = application.dtype();

        List<Elaborated.Weight> embedding = List.of(new Elaborated.Weight(WeightNaming.EMBEDDING, dtype, List.of(vocab, width),
                "[vocab, width]; tied: also the unembedding", at));
        limits.checkWeightSize(WeightNaming.EMBEDDING, List.of(vocab, width), at);
        int tokens = recorder.newValue(1);
        recorder.probe("tokens", tokens);
        int x = recorder.newValue(width);
        List<Elaborated.Node> headNodes = new ArrayList<>();
        headNodes.add(recorder.node("embedding", Map.of("vocab", new EvalValue.Int(vocab)),
                List.of(tokens), List.of(x), Map.of("weight", WeightNaming.EMBEDDING), "embedding", at, at));

        List<Elaborated.Layer> layers = new ArrayList<>();
        EvalValue.Tensor h = new EvalValue.Tensor(x, width);
        for (int i = 0; i < layerOps.size(); i++) {
            EvalValue.Op op = layerOps.get(i);
            recorder.startPart();
            EvalValue out = application.apply(new Scope.Instance(op, WeightNaming.layer(i)), List.of(h), op.span(), false);
            if (out instanceof EvalValue.Tensor t) recorder.probe(WeightNaming.layer(i), t.id());
            if (out instanceof EvalValue.Tensor t && t.width() >= 0 && t.width() != width) {
                reporter.report(Diagnostic.of(Code.HY0304, op.span(), width, t.width())
                        .withNote("layer " + i + " must return the model width"));
            }
            EvalValue.Op mixer = op.args().get("mixer").value() instanceof EvalValue.Op m ? m : op;
            layers.add(new Elaborated.Layer(i, op.template().name(), mixer.template().name(), op,
                    recorder.weights(), recorder.nodes(), op.span()));
            h = out instanceof EvalValue.Tensor t && t.width() == width ? t : new EvalValue.Tensor(recorder.newValue(width), width);
        }

        recorder.startPart();
        EvalValue.Op norm = new EvalValue.Op(Primitives.get("rmsnorm"), Map.of(), at);
        EvalValue normed = application.apply(new Scope.Instance(norm, WeightNaming.FINAL_NORM), List.of(h), at, false);
        recorder.probe("embedding", x);
        if (normed instanceof EvalValue.Tensor t) recorder.probe(WeightNaming.FINAL_NORM, t.id());
        int logits = recorder.newValue(vocab);
        recorder.probe("logits", logits);
        recorder.record("unembed", Map.of(), List.of(normed instanceof EvalValue.Tensor t ? t.id() : h.id()), List.of(logits),
                Map.of("weight", WeightNaming.EMBEDDING), "unembed", at, at);
        headNodes.addAll(recorder.nodes());
        return new Elaborated.Model(decl.name().name(), decl.doc(), decl.span(), vocab, width, context, dtype,
                embedding, layers, recorder.weights(), headNodes, recorder.widths(), recorder.probes());
    }
}
