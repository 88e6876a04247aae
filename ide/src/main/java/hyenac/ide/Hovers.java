package hyenac.ide;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.check.Elaborated;
import hyenac.dsl.check.ParamSpec;
import hyenac.dsl.check.Primitive;
import hyenac.dsl.check.Template;
import hyenac.dsl.check.EvalValue;
import hyenac.dsl.source.Span;
import hyenac.explain.Explain;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.MarkupContent;
import org.eclipse.lsp4j.MarkupKind;

/**
 * Hover: the operator's signature and doc, a parameter's type, default and doc, the widths the
 * checker inferred, and explain's parameters and FLOPs per token for the layers under the cursor.
 */
final class Hovers {
    private Hovers() {}

    static Hover hover(Analysis a, int offset) {
        var occ = a.index.at(offset);
        StringBuilder md = new StringBuilder();
        Span range;
        if (occ.isPresent()) {
            range = occ.get().ident().span();
            describe(a, occ.get(), md);
        } else {
            range = shapeHover(a, offset, md);
        }
        if (md.isEmpty()) return null;
        return new Hover(new MarkupContent(MarkupKind.MARKDOWN, md.toString().strip()), a.lines.range(range.start(), range.end()));
    }

    private static void describe(Analysis a, Index.Occurrence o, StringBuilder md) {
        switch (o.role()) {
            case MODEL_DECL -> model(a, (Ast.ModelDecl) o.decl(), md);
            case PARAM_TYPE -> code(md, o.ident().name() + " (a parameter type)");
            case FIELD -> field(a, o, md);
            default -> target(a, o, md);
        }
    }

    private static void target(Analysis a, Index.Occurrence o, StringBuilder md) {
        switch (o.target()) {
            case Index.Operator op -> {
                template(op.template(), md);
                if (o.role() == Index.Role.CALLEE) {
                    Ast.Call call = a.index.calls.get(o.ident());
                    if (call != null) {
                        shapes(a, call.span(), md);
                        layers(a.layersConfiguredAt(call.span()), md);
                    }
                }
            }
            case Index.Param p -> param(p.template(), p.param(), md);
            case Index.Local l -> local(a, o, l, md);
            case Index.Constant c -> code(md, c.name() + ": " + c.type().spelling);
            case Index.Ambient amb -> {
                code(md, "width: int");
                md.append("The width of the model this operator is used in (bound in operator bodies).\n");
            }
            case Index.Unresolved u -> {
                if (o.role() == Index.Role.OP_DECL) code(md, "op " + o.ident().name() + " (a duplicate definition)");
            }
        }
    }

    private static void local(Analysis a, Index.Occurrence o, Index.Local l, StringBuilder md) {
        switch (l.kind()) {
            case PARAM -> {
                Ast.OpDecl op = (Ast.OpDecl) l.decl();
                Template t = a.module.declared().get(op.name().name());
                ParamSpec spec = t == null ? null : t.param(l.def().name()).orElse(null);
                if (spec != null) param(t, spec, md);
                else code(md, ((Ast.Param) l.node()).span().text());
            }
            case INPUT -> {
                code(md, l.def().name() + ": tensor[B, L, width]");
                md.append("An input of `").append(l.decl().name().name()).append("`.\n");
            }
            case LET -> {
                Ast.Let let = (Ast.Let) l.node();
                code(md, "let " + let.name().name() + " = " + let.value().span().text());
                doc(md, let.doc());
            }
            case OP -> {
                Ast.OpBind ob = (Ast.OpBind) l.node();
                code(md, "op " + ob.name().name() + " = " + ob.value().span().text());
                doc(md, ob.doc());
                if (ob.value() instanceof Ast.Call c) {
                    a.module.template(c.callee().name()).ifPresent(t -> {
                        md.append("\n");
                        code(md, t.signature());
                    });
                }
                if (l.decl() instanceof Ast.ModelDecl) {
                    layers(a.layersConfiguredAt(ob.value().span()), md);
                } else if (o.role() == Index.Role.CALLEE) {
                    Ast.Call call = a.index.calls.get(o.ident());
                    if (call != null) shapes(a, call.span(), md);
                }
            }
            case VALUE -> {
                Ast.Assign as = (Ast.Assign) l.node();
                code(md, as.span().text().strip());
                List<Long> w = a.widthsAt(as.value().span());
                if (as.targets().size() > 1) {
                    // q, k, v = deinterleave(...): the i-th target is the i-th output
                    int i = 0;
                    for (int k = 0; k < as.targets().size(); k++) if (as.targets().get(k).root() == l.def()) i = k;
                    shapesOf(a, as.value().span(), i, md);
                } else if (!w.isEmpty()) {
                    shapeLine(md, w);
                }
            }
            case PROPERTY -> {
                Ast.Assign as = (Ast.Assign) l.node();
                code(md, as.span().text().strip());
                md.append("A property of model `").append(l.decl().name().name()).append("`.\n");
                if (l.def().name().equals("layers")) {
                    Analysis.Report r = a.reports.get(l.decl().name().name());
                    if (r != null) {
                        md.append("\n\n").append(r.model().layers().size()).append(" layers: ");
                        md.append(r.model().layers().stream().map(Elaborated.Layer::mixer).collect(Collectors.joining(", "))).append("\n");
                    }
                }
            }
        }
    }

    /** {@code layers[3].mlp.act}: the value that field has in that layer. */
    private static void field(Analysis a, Index.Occurrence o, StringBuilder md) {
        Ast.Target t = a.index.fieldTargets.get(o.ident());
        if (t == null || !(o.decl() instanceof Ast.ModelDecl m)) return;
        if (t.selectors().isEmpty() || !(t.selectors().getFirst() instanceof Ast.Index ix) || !(ix.index() instanceof Ast.Num num)) return;
        long index;
        try {
            index = Long.parseLong(num.text().replace("_", ""));
        } catch (NumberFormatException e) {
            return;
        }
        Analysis.LayerStat stat = a.layer(m.name().name(), index);
        if (stat == null) return;
        EvalValue current = stat.layer().config();
        Template owner = stat.layer().config().template();
        for (Ast.Selector sel : t.selectors().subList(1, t.selectors().size())) {
            if (!(sel instanceof Ast.Field f) || !(current instanceof EvalValue.Op op)) return;
            owner = op.template();
            EvalValue.Arg arg = op.args().get(f.name().name());
            ParamSpec spec = owner.param(f.name().name()).orElse(null);
            current = arg != null ? arg.value() : spec != null ? spec.dflt() : null;
            if (f.name() == o.ident()) {
                if (spec != null) param(owner, spec, md);
                if (current != null) md.append("\n\nIn layer ").append(index).append(": `").append(current.show()).append("`\n");
                return;
            }
        }
    }

    private static void model(Analysis a, Ast.ModelDecl m, StringBuilder md) {
        code(md, "model " + m.name().name());
        doc(md, m.doc());
        Analysis.Report r = a.reports.get(m.name().name());
        if (r == null) {
            md.append("\n\n_Not elaborated: fix the errors to see its numbers._\n");
            return;
        }
        Elaborated.Model model = r.model();
        md.append("\n\n| | |\n|---|---|\n");
        md.append("| layers | ").append(model.layers().size()).append(" |\n");
        md.append("| width | ").append(model.width()).append(" |\n");
        md.append("| parameters | ").append(Numbers.exact(r.parameters())).append(" (").append(Numbers.shortCount(r.parameters())).append(") |\n");
        md.append("| FLOPs / token | ").append(Numbers.flops(r.flopsPerToken())).append(" at context ").append(Numbers.exact(r.context())).append(" |\n");
        md.append("| activations / token | ").append(Numbers.bytes(r.activationBytesPerToken())).append(" (").append(model.dtype()).append(") |\n");
    }

    static void template(Template t, StringBuilder md) {
        code(md, t.signature());
        doc(md, t.doc());
        List<ParamSpec> documented = t.params().stream().filter(p -> p.doc() != null && !p.doc().isBlank()).toList();
        if (!documented.isEmpty()) {
            md.append("\n\n");
            for (ParamSpec p : documented) md.append("- `").append(p.signature()).append("`: ").append(p.doc().strip()).append("\n");
        }
        if (t instanceof Template.Declared d) {
            md.append("\n\n_Defined in ").append(d.module().isLibrary() ? "the prelude `std`" : "`" + fileName(d.module().source().name()) + "`").append("._\n");
        } else if (t instanceof Primitive) {
            md.append("\n\n_A built-in primitive._\n");
        }
    }

    static void param(Template t, ParamSpec p, StringBuilder md) {
        code(md, p.signature());
        md.append("A parameter of `").append(t.name()).append("`").append(p.required() ? " (required)" : "").append(".\n");
        doc(md, p.doc());
    }

    /** The layers configured by one expression, with explain's numbers. */
    private static void layers(List<Analysis.LayerStat> stats, StringBuilder md) {
        if (stats.isEmpty()) return;
        var byModel = stats.stream().collect(Collectors.groupingBy(s -> s.model().name(), java.util.LinkedHashMap::new, Collectors.toList()));
        for (var e : byModel.entrySet()) {
            List<Analysis.LayerStat> ls = e.getValue();
            md.append("\n\n**").append(ls.size()).append(ls.size() == 1 ? " layer" : " layers").append("** of `").append(e.getKey()).append("`: ");
            md.append(ls.stream().map(s -> Integer.toString(s.layer().index())).collect(Collectors.joining(", "))).append("\n\n");
            md.append("| per layer | |\n|---|---|\n");
            md.append("| parameters | ").append(range(ls.stream().mapToLong(s -> s.row().parameters()).toArray(), true)).append(" |\n");
            md.append("| FLOPs / token | ").append(rangeFlops(ls.stream().mapToDouble(s -> s.row().flopsPerToken()).toArray()))
                    .append(" at context ").append(Numbers.exact(ls.getFirst().model().context())).append(" |\n");
            md.append("| activations / token | ").append(Numbers.bytes(ls.getFirst().row().activationBytesPerToken())).append(" |\n");
        }
    }

    static String range(long[] values, boolean exact) {
        long min = java.util.Arrays.stream(values).min().orElse(0), max = java.util.Arrays.stream(values).max().orElse(0);
        java.util.function.LongFunction<String> f = v -> exact ? Numbers.exact(v) + " (" + Numbers.shortCount(v) + ")" : Numbers.shortCount(v);
        return min == max ? f.apply(min) : f.apply(min) + " to " + f.apply(max);
    }

    private static String rangeFlops(double[] values) {
        double min = java.util.Arrays.stream(values).min().orElse(0), max = java.util.Arrays.stream(values).max().orElse(0);
        return min == max ? Numbers.flops(min) : Numbers.flops(min) + " to " + Numbers.flops(max);
    }

    /** The inferred output widths of whatever was applied at exactly this span. */
    private static void shapes(Analysis a, Span at, StringBuilder md) {
        List<Long> w = a.widthsAt(at);
        if (!w.isEmpty()) shapeLine(md, w);
    }

    private static void shapesOf(Analysis a, Span at, int output, StringBuilder md) {
        java.util.LinkedHashSet<Long> widths = new java.util.LinkedHashSet<>();
        for (Elaborated.Model m : a.result.models()) {
            for (Elaborated.Layer l : m.layers()) {
                for (Elaborated.Node n : l.nodes()) {
                    if (n.span() != null && n.span().file() == at.file() && n.span().start() == at.start()
                            && n.span().end() == at.end() && output < n.outputs().size()) widths.add(m.width(n.outputs().get(output)));
                }
            }
        }
        if (!widths.isEmpty()) shapeLine(md, new ArrayList<>(widths));
    }

    private static void shapeLine(StringBuilder md, List<Long> widths) {
        md.append("\n\nInferred: ").append(widths.stream().map(w -> "`tensor[B, L, " + (w < 0 ? "?" : w) + "]`")
                .collect(Collectors.joining(" or "))).append(widths.size() > 1 ? " (in different models or layers)" : "").append("\n");
    }

    /** Off identifiers (an operator symbol, a parenthesis): the smallest applied expression around the cursor. */
    private static Span shapeHover(Analysis a, int offset, StringBuilder md) {
        Span best = null;
        List<Long> widths = List.of();
        for (Elaborated.Model m : a.result.models()) {
            for (Elaborated.Layer l : m.layers()) {
                for (Elaborated.Node n : l.nodes()) {
                    Span s = n.span();
                    if (s == null || s.file() != a.source || !s.contains(offset) || n.outputs().isEmpty()) continue;
                    if (best == null || s.end() - s.start() < best.end() - best.start()) {
                        best = s;
                    }
                }
            }
        }
        if (best == null) return null;
        widths = a.widthsAt(best);
        code(md, best.text().strip());
        shapeLine(md, widths);
        return best;
    }

    private static void code(StringBuilder md, String code) {
        md.append("```hyena\n").append(code).append("\n```\n");
    }

    private static void doc(StringBuilder md, String doc) {
        if (doc != null && !doc.isBlank()) md.append(doc.strip()).append("\n");
    }

    private static String fileName(String name) {
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        return slash < 0 ? name : name.substring(slash + 1);
    }
}
