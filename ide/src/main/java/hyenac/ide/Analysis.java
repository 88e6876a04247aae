package hyenac.ide;

import hyenac.compiler.Compilation;
import hyenac.dsl.ast.Ast;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.dsl.check.Module;
import hyenac.dsl.check.EvalValue;
import hyenac.dsl.source.SourceFile;
import hyenac.dsl.source.Span;
import hyenac.explain.Explain;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One run of the real front end over one version of a document, and what the features derive from
 * it: the line map, the identifier index and explain's numbers for every model that elaborated.
 */
final class Analysis {
    final String uri;
    final int version;
    final SourceFile source;
    final LineMap lines;
    final Checker.Result result;
    final Module module;
    final Index index;
    /** explain's report of each model of this file that checked cleanly, by model name. */
    final Map<String, Report> reports = new LinkedHashMap<>();

    /** A model of this file with explain's numbers (computed from its graph IR, as `hyenac explain` does). */
    record Report(Elaborated.Model model, Explain.Report numbers) {
        List<Explain.Row> rows() { return numbers.rows(); }
        long parameters() { return numbers.parameters(); }
        double flopsPerToken() { return numbers.flopsPerToken(); }
        double activationBytesPerToken() { return numbers.activationBytesPerToken(); }
        long context() { return numbers.context(); }
    }

    /** The layers whose mixer was configured at a span (an {@code op se = hyena_se(…)} binding's call). */
    record LayerStat(Elaborated.Model model, Elaborated.Layer layer, Explain.Row row) {}

    private Analysis(String uri, int version, SourceFile source, Checker.Result result) {
        this.uri = uri;
        this.version = version;
        this.source = source;
        this.lines = new LineMap(source.text());
        this.result = result;
        this.module = result.modules().isEmpty() ? null : result.modules().getFirst();
        this.index = new Index(module);
        for (Elaborated.Model m : result.models()) {
            try {
                reports.put(m.name(), new Report(m, Explain.of(Compilation.lower(m), m.context(), false))); // no plan: its fusion pass is not needed here
            } catch (IllegalArgumentException e) {
                // a model elaborated past errors may lack what explain needs (its embedding, say): the diagnostics say why
                if (result.diagnostics().hasErrors()) continue;
                throw e;
            }
        }
    }

    /**
     * Checks the editor's text (not the file on disk). The source is named by its path so that
     * imports resolve next to it and diagnostics in other files can be told apart.
     */
    static Analysis run(String uri, int version, String text) {
        Path path = Uris.path(uri);
        Path dir = path != null ? path.getParent() : Path.of("").toAbsolutePath();
        String name = path != null ? path.toString() : uri;
        // The same BOM rule as files read from disk: a space keeps every offset where it was.
        String checked = text.startsWith("\uFEFF") ? " " + text.substring(1) : text;
        SourceFile source = new SourceFile(name, checked);
        return new Analysis(uri, version, source, Checker.checkSource(source, dir));
    }

    String text() { return source.text(); }

    /** The URI of a span's file: this document, the prelude's copy, or another file. */
    String uriOf(Span span) {
        if (span.file() == source) return uri;
        return Uris.uriOfSourceName(span.file().name());
    }

    /** The layers (of every model of this file) whose mixer was configured by the expression at {@code at}. */
    List<LayerStat> layersConfiguredAt(Span at) {
        List<LayerStat> out = new ArrayList<>();
        for (Elaborated.Model m : result.models()) {
            Report r = reports.get(m.name());
            for (Elaborated.Layer l : m.layers()) {
                Span mixer = mixerSpan(l);
                if (mixer != null && mixer.file() == at.file() && mixer.start() == at.start() && mixer.end() == at.end()) {
                    out.add(new LayerStat(m, l, r.rows().get(l.index() + 1)));
                }
            }
        }
        return out;
    }

    /**
     * The last analysis of the same document whose models elaborated, while this one's did not: mid-edit
     * the file is usually broken, and completing {@code layers[3].mlp.} still wants layer 3.
     */
    volatile Analysis fallback;

    /** One layer of a model of this file by index (from the fallback while this text does not elaborate). */
    LayerStat layer(String model, long index) {
        Report r = reports.get(model);
        Analysis fb = fallback;
        if (r == null && fb != null) return fb.layer(model, index);
        if (r == null || index < 0 || index >= r.model().layers().size()) return null;
        Elaborated.Layer l = r.model().layers().get((int) index);
        return new LayerStat(r.model(), l, r.rows().get(l.index() + 1));
    }

    /** Where the layer's mixer was configured; the layer's own span stays put when `layers[i] = op` replaces it. */
    static Span mixerSpan(Elaborated.Layer l) {
        EvalValue.Arg mixer = l.config().args().get("mixer");
        if (mixer != null && mixer.value() instanceof EvalValue.Op op && op.span() != null) return op.span();
        return l.span();
    }

    /** Output widths of the primitive applications written at exactly this span, over every layer. */
    List<Long> widthsAt(Span at) {
        java.util.LinkedHashSet<Long> widths = new java.util.LinkedHashSet<>();
        for (Elaborated.Model m : result.models()) {
            for (Elaborated.Layer l : m.layers()) {
                for (Elaborated.Node n : l.nodes()) {
                    if (n.span() != null && n.span().file() == at.file() && n.span().start() == at.start() && n.span().end() == at.end()) {
                        for (int out : n.outputs()) widths.add(m.width(out));
                    }
                }
            }
        }
        return new ArrayList<>(widths);
    }

    /** The model declaration of this file with a name, if any. */
    Ast.ModelDecl modelDecl(String name) {
        return module == null ? null : module.models().stream().filter(d -> d.name().name().equals(name)).findFirst().orElse(null);
    }
}
