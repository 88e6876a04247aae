package hyenac.importer;

import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.source.SourceFile;
import hyenac.dsl.source.Span;
import java.io.StringReader;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Turns a vortex-format YAML config (the flat key list vortex and the Evo 2 releases use) into
 * {@code .hyena} source. Every key is either read, accepted as having no architectural meaning, checked
 * against the one value the prelude implements, or reported as unknown: nothing is dropped silently.
 * Problems are diagnostics (HY05xx) with spans into the YAML text; this never throws on user input.
 */
public final class VortexImporter {
    private VortexImporter() {}

    /**
     * The converted source ({@code null} when there are errors), everything found on the way, and the
     * vortex block index of each of our layers (they differ when the config leaves layers out).
     */
    public record Result(String hyena, Diagnostics diagnostics, List<Integer> vortexBlocks) {
        public Result { vortexBlocks = List.copyOf(vortexBlocks); }
        public boolean ok() { return hyena != null; }
    }

    public static Result convert(SourceFile yaml) {
        Diagnostics diags = new Diagnostics();
        Node root = parse(yaml, diags);
        if (root == null) return new Result(null, diags, List.of());
        Conversion conversion = new Conversion(yaml, diags);
        String text = conversion.run((MappingNode) root);
        return new Result(diags.hasErrors() ? null : text, diags, conversion.blocks);
    }

    // ------------------------------------------------------------------ keys

    /** The four layer kinds, in the order their operators are declared. */
    enum Kind {
        SE("hcs_layer_idxs", "se"), MR("hcm_layer_idxs", "mr"), LI("hcl_layer_idxs", "li"), MHA("attn_layer_idxs", "mha");

        final String key;
        final String op;

        Kind(String key, String op) {
            this.key = key;
            this.op = op;
        }
    }

    /** Keys this importer reads. */
    private static final Set<String> READ = Set.of(
            "model_name", "vocab_size", "hidden_size", "num_layers", "max_seqlen",
            "hcs_layer_idxs", "hcm_layer_idxs", "hcl_layer_idxs", "attn_layer_idxs",
            "hcs_filter_length", "hcs_filter_groups", "hcm_filter_length", "hcm_filter_groups", "state_size",
            "num_attention_heads", "rotary_emb_base", "rotary_emb_scaling_factor", "use_interpolated_rotary_pos_emb",
            "inner_mlp_size", "evo2_style_activations", "mlp_activation", "eps", "num_filters");

    /** Runtime and inference settings: they change how vortex runs a model, not what the model is. */
    private static final Set<String> RUNTIME = Set.of(
            "use_flash_attn", "use_flash_rmsnorm", "use_flash_depthwise", "use_flashfft", "use_laughing_hyena",
            "inference_mode", "max_batch_size", "model_parallel_size", "pipe_parallel_size", "print_activations",
            "log_intermediate_values", "tokenizer_type", "prefill_style", "mlp_init_method", "mlp_output_init_method",
            "make_vocab_size_divisible_by", "inner_size_multiple_of",
            // Hyena-LI has one filter per channel whatever this says; vortex does not read it either.
            "hcl_filter_groups");

    /** A key the prelude implements for exactly one value; {@code instead} says what a different value imports as. */
    private record Fixed(Object value, String instead) {}

    private static final Map<String, Fixed> FIXED = fixed();

    private static Map<String, Fixed> fixed() {
        Map<String, Fixed> m = new LinkedHashMap<>();
        m.put("short_filter_length", new Fixed(3L, "the prelude's featurizer has 3 taps; imported with 3"));
        m.put("short_filter_bias", new Fixed(false, "the featurizer has no bias; imported without one"));
        m.put("proj_groups", new Fixed(1L, "grouped kv heads are not supported; imported with one kv head per query head"));
        m.put("hyena_filter_groups", new Fixed(1L, "imported as if it were 1"));
        m.put("column_split_hyena", new Fixed(false, "the Hyena q, k, v split is imported as interleaved channels"));
        m.put("column_split", new Fixed(true, "attention's fused qkv weights are imported in the per-head (column split) layout"));
        m.put("interleave", new Fixed(true, "the Hyena q, k, v split is imported as interleaved channels"));
        m.put("tie_embeddings", new Fixed(true, "the output head is imported tied to the embedding"));
        m.put("mha_out_proj_bias", new Fixed(true, "attention's output projection is imported with a bias"));
        m.put("hyena_out_proj_bias", new Fixed(true, "the Hyena output projection is imported with a bias"));
        m.put("hyena_flip_x1x2", new Fixed(false, "the Hyena gates are imported unswapped"));
        m.put("qkv_proj_bias", new Fixed(false, "the input projections are imported without a bias"));
        m.put("final_norm", new Fixed(true, "imported with the final RMSNorm"));
        m.put("use_fp8_input_projections", new Fixed(false, "FP8 GEMMs are not implemented yet; the input projections are imported as bf16"));
        return Map.copyOf(m);
    }

    /** vortex's RoPE base when a config has none (its attention block's default). */
    private static final double VORTEX_ROPE_BASE = 1e6;
    private static final double DEFAULT_EPS = 1e-6;
    /** The checker's limit on a model's layers. */
    private static final long MAX_LAYERS = 4096; // the checker's limit
    private static final long MAX_INT = Integer.MAX_VALUE;
    private static final Set<String> KEYWORDS = Set.of("import", "op", "block", "model", "let", "out", "true", "false");

    // ------------------------------------------------------------------ YAML

    /** The root mapping, or null after reporting HY0502. */
    private static Node parse(SourceFile yaml, Diagnostics diags) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowRecursiveKeys(false);
            root = new Yaml(options).compose(new StringReader(yaml.text()));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : firstLine(e.getMessage());
            diags.report(Code.HY0502, mark != null ? Span.at(yaml, offset(yaml, mark)) : Span.at(yaml, 0), problem);
            return null;
        } catch (YAMLException | StackOverflowError e) {
            // Limits (size, nesting, aliases) and reader errors (e.g. control characters) land here.
            diags.report(Code.HY0502, Span.at(yaml, 0), e instanceof StackOverflowError ? "nesting is too deep" : firstLine(e.getMessage()));
            return null;
        }
        if (root == null) {
            diags.report(Code.HY0502, Span.at(yaml, 0), "the file holds no config; expected a mapping of keys");
            return null;
        }
        if (!(root instanceof MappingNode)) {
            diags.report(Code.HY0502, span(yaml, root), "the top level must be a mapping of config keys, found " + describe(root));
            return null;
        }
        return root;
    }

    private static String firstLine(String s) {
        if (s == null || s.isBlank()) return "unreadable input";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }

    /** A SnakeYAML mark (0-based line, column in code points) as a char offset into the file. */
    private static int offset(SourceFile file, Mark mark) {
        int line = mark.getLine() + 1;
        if (line > file.lineCount()) return file.text().length();
        int start = file.lineStart(line);
        try {
            return Math.min(file.text().offsetByCodePoints(start, mark.getColumn()), file.text().length());
        } catch (IndexOutOfBoundsException e) {
            return file.text().length();
        }
    }

    private static Span span(SourceFile file, Node node) {
        int start = offset(file, node.getStartMark());
        int end = node.getEndMark() != null ? offset(file, node.getEndMark()) : start;
        return new Span(file, start, Math.max(start, end));
    }

    private static String describe(Node node) {
        return switch (node) {
            case MappingNode m -> "a mapping";
            case SequenceNode s -> "a list";
            case ScalarNode s when s.getTag().equals(Tag.NULL) -> "nothing (null)";
            case ScalarNode s -> quote(s.getValue());
            default -> "a " + node.getNodeId();
        };
    }

    private static String quote(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }

    // ------------------------------------------------------------------ conversion

    /** One config's conversion; fields collect what was read, diagnostics go to {@code diags}. */
    private static final class Conversion {
        private final SourceFile src;
        private final Diagnostics diags;
        private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
        private Span top;

        Conversion(SourceFile src, Diagnostics diags) {
            this.src = src;
            this.diags = diags;
        }

        final List<Integer> blocks = new ArrayList<>();

        String run(MappingNode root) {
            top = Span.at(src, 0); // whole-file problems (a missing key) point at the start
            collect(root);

            String modelName = string("model_name");
            Long vocab = positive("vocab_size", true, MAX_INT);
            Long width = positive("hidden_size", true, MAX_INT);
            Long numLayers = positive("num_layers", true, MAX_LAYERS);
            Long context = positive("max_seqlen", true, MAX_INT);

            TreeMap<Long, Kind> stripe = stripe(numLayers);
            EnumMap<Kind, Boolean> used = new EnumMap<>(Kind.class);
            for (Kind k : Kind.values()) used.put(k, stripe.containsValue(k));

            Long seLen = positive("hcs_filter_length", used.get(Kind.SE), 1L << 20);
            Long seGroups = groups("hcs_filter_groups", used.get(Kind.SE), width);
            Long mrLen = positive("hcm_filter_length", used.get(Kind.MR), 1L << 20);
            Long mrGroups = groups("hcm_filter_groups", used.get(Kind.MR), width);
            Long modes = positive("state_size", used.get(Kind.LI), 4096);
            Long heads = heads(used.get(Kind.MHA), width);
            Double base = real("rotary_emb_base", 1.0, "a number greater than 1");
            Boolean interpolate = bool("use_interpolated_rotary_pos_emb");
            Double scale = real("rotary_emb_scaling_factor", 0.0, "a positive number");
            Long hidden = positive("inner_mlp_size", true, MAX_INT);
            Boolean evo2 = bool("evo2_style_activations");
            String act = activation();
            Double eps = real("eps", 0.0, "a positive number");
            Long filters = positive("num_filters", false, MAX_INT);
            if (filters != null && width != null && !filters.equals(width)) {
                unsupported("num_filters", "Hyena-LI has one filter per channel; imported with " + width + " (hidden_size)");
            }
            checkFixed();

            // vortex decides the inner filter's tap order and skip term by its length, not by the list naming the layer.
            boolean seAsMr = used.get(Kind.SE) && seLen != null && seLen >= 128;
            boolean mrAsSe = used.get(Kind.MR) && mrLen != null && mrLen < 128;
            if (seAsMr) {
                unsupported("hcs_filter_length", "vortex runs inner filters of 128 taps or more in FIR order with a skip term, so hcs layers are imported as hyena_mr");
            }
            if (mrAsSe) {
                unsupported("hcm_filter_length", "vortex runs inner filters shorter than 128 taps in cross-correlation order without a skip term, so hcm layers are imported as hyena_se");
            }

            if (diags.hasErrors()) return null;

            StringBuilder out = new StringBuilder();
            out.append("// Imported from ").append(fileName()).append(" (vortex config)\n");
            out.append("import \"std\"\n\n");
            long layerCount = stripe.size();
            String shown = modelName != null ? oneLine(modelName) : fileName();
            out.append("/// ").append(shown).append(": ").append(layerCount).append(layerCount == 1 ? " layer" : " layers")
               .append(" of width ").append(width).append(".\n");
            out.append("model ").append(identifier(modelName != null ? modelName : stem(fileName()))).append(" {\n");
            out.append("  vocab = ").append(vocab).append('\n');
            out.append("  width = ").append(width).append('\n');
            out.append("  context = ").append(context).append('\n');
            out.append("  dtype = bf16\n");
            boolean shareGroups = used.get(Kind.SE) && used.get(Kind.MR) && seGroups.equals(mrGroups);
            if (shareGroups) out.append("  let g = ").append(seGroups).append('\n');
            double epsValue = eps != null ? eps : DEFAULT_EPS;
            // The prelude's prenorm block takes `eps` from a model binding of that name.
            if (epsValue != DEFAULT_EPS) out.append("  let eps = ").append(formatNumber(epsValue)).append('\n');
            out.append('\n');

            if (used.get(Kind.SE)) {
                out.append("  op se = ").append(seAsMr ? "hyena_mr" : "hyena_se").append("(len = ").append(seLen)
                   .append(", groups = ").append(shareGroups ? "g" : seGroups).append(")");
                if (seAsMr) out.append(" // hcs layers: vortex runs filters of 128 taps or more as MR");
                out.append('\n');
            }
            if (used.get(Kind.MR)) {
                out.append("  op mr = ").append(mrAsSe ? "hyena_se" : "hyena_mr").append("(len = ").append(mrLen)
                   .append(", groups = ").append(shareGroups ? "g" : mrGroups).append(")");
                if (mrAsSe) out.append(" // hcm layers: vortex runs filters shorter than 128 taps as SE");
                out.append('\n');
            }
            if (used.get(Kind.LI)) out.append("  op li = hyena_li(modes = ").append(modes).append(")\n");
            if (used.get(Kind.MHA)) {
                out.append("  op mha = attention(heads = ").append(heads).append(", rope = rope(base = ")
                   .append(formatNumber(base != null ? base : VORTEX_ROPE_BASE));
                if (Boolean.TRUE.equals(interpolate) && scale != null && scale != 1.0) out.append(", scale = ").append(formatNumber(scale));
                out.append("))\n");
            }

            // vortex: every block uses mlp_activation; with evo2_style_activations every block but global layer 0 uses the identity.
            boolean quirk = Boolean.TRUE.equals(evo2);
            boolean layerZero = stripe.containsKey(0L);
            out.append("  op mlp = gated_mlp(hidden = ").append(hidden).append(", act = ").append(quirk ? "identity" : act).append(")\n");
            out.append('\n');

            List<Long> indices = new ArrayList<>(stripe.keySet());
            indices.forEach(i -> blocks.add(Math.toIntExact(i)));
            if (layerCount < numLayers) absentComment(out, indices, numLayers);
            List<String> ops = new ArrayList<>();
            for (Kind k : stripe.values()) ops.add(k.op);
            out.append("  layers = ").append(Stripe.compress(ops)).append('\n');
            if (quirk && layerZero && !act.equals("identity")) {
                out.append("  layers[0].mlp.act = ").append(act).append(" // the Evo 2 quirk: only layer 0 uses ")
                   .append(act.equals("gelu") ? "GELU" : "SiLU").append('\n');
            }
            out.append("}\n");
            return out.toString();
        }

        /** Files every top-level key, reporting repeats (HY0502) and unknown keys (HY0500). */
        private void collect(MappingNode root) {
            for (NodeTuple t : root.getValue()) {
                Node keyNode = t.getKeyNode();
                if (!(keyNode instanceof ScalarNode k)) {
                    diags.report(Code.HY0500, span(src, keyNode), describe(keyNode));
                    continue;
                }
                String key = k.getValue();
                if (entries.containsKey(key)) {
                    diags.add(Diagnostic.of(Code.HY0502, span(src, keyNode), "`" + quote(key) + "` is given more than once")
                            .withNote(span(src, entries.get(key).getKeyNode()), "first given here"));
                    continue;
                }
                entries.put(key, t);
                if (!READ.contains(key) && !RUNTIME.contains(key) && !FIXED.containsKey(key)) {
                    Diagnostic d = Diagnostic.of(Code.HY0500, span(src, keyNode), quote(key));
                    var known = new ArrayList<String>(READ);
                    known.addAll(RUNTIME);
                    known.addAll(FIXED.keySet());
                    var guess = hyenac.dsl.check.Suggest.closest(key, known);
                    if (guess.isPresent()) d = hyenac.dsl.check.Suggest.fix(d, span(src, keyNode), guess.get());
                    diags.add(d);
                }
            }
        }

        private Node value(String key) {
            NodeTuple t = entries.get(key);
            return t == null ? null : t.getValueNode();
        }

        private void missing(String key) {
            diags.report(Code.HY0501, top, key);
        }

        private void wrong(String key, Node node, String expected) {
            diags.report(Code.HY0505, span(src, node), key, expected, describe(node));
        }

        /** A positive integer no larger than {@code max}; null when absent (HY0501 if required) or wrong (HY0505). */
        private Long positive(String key, boolean required, long max) {
            Node node = value(key);
            if (node == null) {
                if (required) missing(key);
                return null;
            }
            BigInteger v = integer(node);
            String expected = "an integer between 1 and " + max;
            if (v == null || v.signum() <= 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
                wrong(key, node, expected);
                return null;
            }
            return v.longValue();
        }

        /** Filter groups must split the channels evenly (vortex repeats each filter width / groups times). */
        private Long groups(String key, boolean required, Long width) {
            Long g = positive(key, required, MAX_INT);
            if (g != null && width != null && width % g != 0) {
                wrong(key, value(key), "a divisor of hidden_size " + width);
                return null;
            }
            return g;
        }

        /** Heads must split the width into an even head dim (RoPE rotates halves). */
        private Long heads(boolean required, Long width) {
            Long h = positive("num_attention_heads", required, MAX_INT);
            if (h != null && width != null && required && (width % h != 0 || (width / h) % 2 != 0)) {
                wrong("num_attention_heads", value("num_attention_heads"), "a divisor of hidden_size " + width + " giving an even head size");
                return null;
            }
            return h;
        }

        /** A finite number greater than {@code above}; null when absent or wrong (HY0505). */
        private Double real(String key, double above, String expected) {
            Node node = value(key);
            if (node == null) return null;
            Double v = VortexImporter.real(node);
            if (v == null || v.isNaN() || v.isInfinite() || v <= above) {
                wrong(key, node, expected);
                return null;
            }
            return v;
        }

        private Boolean bool(String key) {
            Node node = value(key);
            if (node == null) return null;
            Boolean b = truth(node);
            if (b == null) wrong(key, node, "true or false");
            return b;
        }

        private String string(String key) {
            Node node = value(key);
            if (node == null) return null;
            if (node instanceof ScalarNode s && !s.getTag().equals(Tag.NULL) && !s.getValue().isBlank()) return s.getValue();
            wrong(key, node, "a name");
            return null;
        }

        /** mlp_activation: vortex knows gelu and silu; identity is ours. Anything else imports as gelu. */
        private String activation() {
            Node node = value("mlp_activation");
            if (node == null) return "gelu"; // vortex's default
            if (!(node instanceof ScalarNode s) || !s.getTag().equals(Tag.STR)) {
                wrong("mlp_activation", node, "gelu, silu or identity");
                return "gelu";
            }
            String v = s.getValue().strip().toLowerCase(Locale.ROOT);
            if (v.equals("gelu") || v.equals("silu") || v.equals("identity")) return v;
            unsupported("mlp_activation", "imported as gelu (the activations are gelu, silu and identity)");
            return "gelu";
        }

        private void unsupported(String key, String instead) {
            Node node = value(key);
            diags.report(Code.HY0504, span(src, node), key, quote(((ScalarNode) node).getValue()), instead);
        }

        /** Keys with one supported value: a wrong type is an error, another value a warning (HY0504). */
        private void checkFixed() {
            for (var e : FIXED.entrySet()) {
                Node node = value(e.getKey());
                if (node == null) continue;
                Object want = e.getValue().value();
                Object got;
                if (want instanceof Boolean) {
                    got = truth(node);
                } else {
                    BigInteger i = integer(node);
                    got = i == null ? null : i.equals(BigInteger.valueOf((Long) want)) ? want : i;
                }
                if (got == null) wrong(e.getKey(), node, want instanceof Boolean ? "true or false" : "an integer");
                else if (!got.equals(want)) unsupported(e.getKey(), e.getValue().instead());
            }
        }

        /** The four index lists merged, by vortex index; reports HY0503 for repeats and out-of-range indices. */
        private TreeMap<Long, Kind> stripe(Long numLayers) {
            TreeMap<Long, Kind> stripe = new TreeMap<>();
            Map<Long, Node> firstSeen = new LinkedHashMap<>();
            boolean listed = false;
            int errorsBefore = diags.errorCount();
            for (Kind kind : Kind.values()) {
                Node node = value(kind.key);
                if (node == null || (node instanceof ScalarNode s && s.getTag().equals(Tag.NULL))) continue;
                if (!(node instanceof SequenceNode seq)) {
                    wrong(kind.key, node, "a list of layer indices");
                    continue;
                }
                listed = true;
                for (Node item : seq.getValue()) {
                    BigInteger v = integer(item);
                    if (v == null) {
                        wrong(kind.key, item, "a list of layer indices (integers)");
                        continue;
                    }
                    if (v.signum() < 0) {
                        diags.report(Code.HY0503, span(src, item), v, "is negative in " + kind.key);
                        continue;
                    }
                    if (numLayers != null && v.compareTo(BigInteger.valueOf(numLayers)) >= 0) {
                        diags.report(Code.HY0503, span(src, item), v, "in " + kind.key + " is beyond the last layer: num_layers is " + numLayers);
                        continue;
                    }
                    if (v.bitLength() > 62) continue; // only reachable without num_layers, which is already an error
                    long index = v.longValue();
                    Kind before = stripe.get(index);
                    if (before != null) {
                        String where = before == kind ? "is listed twice in " + kind.key
                                : "is listed in both " + before.key + " and " + kind.key;
                        diags.add(Diagnostic.of(Code.HY0503, span(src, item), index, where)
                                .withNote(span(src, firstSeen.get(index)), "first listed here"));
                        continue;
                    }
                    stripe.put(index, kind);
                    firstSeen.put(index, item);
                }
            }
            // Only when the lists themselves were fine: a bad index already explains an empty stripe.
            if (stripe.isEmpty() && diags.errorCount() == errorsBefore) {
                diags.add(Diagnostic.of(Code.HY0501, top, "*_layer_idxs")
                        .withNote(listed ? "the index lists are all empty; a model needs at least one layer"
                                : "none of hcs_layer_idxs, hcm_layer_idxs, hcl_layer_idxs, attn_layer_idxs is given"));
            }
            return stripe;
        }

        /** Layers no list names do not exist here, so ours are renumbered: say where each one came from. */
        private void absentComment(StringBuilder out, List<Long> indices, long numLayers) {
            out.append("  // Only ").append(indices.size()).append(" of the config's ").append(numLayers)
               .append(" layers are in its index lists; the others are absent.\n");
            StringBuilder line = new StringBuilder("  // Renumbered from 0; the vortex index of each layer:");
            for (int i = 0; i < indices.size(); i++) {
                String item = " " + indices.get(i) + (i + 1 < indices.size() ? "," : "");
                if (line.length() + item.length() > 100) {
                    out.append(line).append('\n');
                    line = new StringBuilder("  //");
                }
                line.append(item);
            }
            out.append(line).append('\n');
        }

        private String fileName() {
            String name = src.name();
            int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
            return oneLine(name.substring(slash + 1));
        }
    }

    // ------------------------------------------------------------------ scalars

    /** A YAML 1.1 integer (what vortex's PyYAML reads as int): decimal, 0x, 0b, 0o / leading-0 octal, underscores. */
    static BigInteger integer(Node node) {
        if (!(node instanceof ScalarNode s) || !s.getTag().equals(Tag.INT)) return null;
        String v = s.getValue().replace("_", "");
        boolean negative = v.startsWith("-");
        if (v.startsWith("-") || v.startsWith("+")) v = v.substring(1);
        BigInteger r;
        try {
            if (v.contains(":")) {
                r = BigInteger.ZERO; // sexagesimal, e.g. 1:30
                for (String part : v.split(":")) r = r.multiply(BigInteger.valueOf(60)).add(new BigInteger(part));
            } else if (v.startsWith("0x")) r = new BigInteger(v.substring(2), 16);
            else if (v.startsWith("0b")) r = new BigInteger(v.substring(2), 2);
            else if (v.startsWith("0o")) r = new BigInteger(v.substring(2), 8);
            else if (v.length() > 1 && v.startsWith("0")) r = new BigInteger(v.substring(1), 8);
            else r = new BigInteger(v);
        } catch (NumberFormatException e) {
            return null;
        }
        return negative ? r.negate() : r;
    }

    /** An integer or float scalar as a double; null for anything else. */
    static Double real(Node node) {
        if (!(node instanceof ScalarNode s)) return null;
        if (s.getTag().equals(Tag.INT)) {
            BigInteger i = integer(node);
            return i == null ? null : i.doubleValue();
        }
        if (!s.getTag().equals(Tag.FLOAT)) return null;
        String v = s.getValue().replace("_", "").toLowerCase(Locale.ROOT);
        if (v.endsWith(".inf")) return v.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        if (v.equals(".nan")) return Double.NaN;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return null; // e.g. sexagesimal floats, which nobody writes in a model config
        }
    }

    static Boolean truth(Node node) {
        if (!(node instanceof ScalarNode s) || !s.getTag().equals(Tag.BOOL)) return null;
        return switch (s.getValue().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "y" -> Boolean.TRUE;
            case "false", "no", "off", "n" -> Boolean.FALSE;
            default -> null;
        };
    }

    /**
     * A float as the shortest of its plain and scientific spellings (1e4, 1e-6, 0.5, 128, 2.5e-7), in a
     * form the .hyena lexer reads back to the same double.
     */
    static String formatNumber(double v) {
        BigDecimal d = new BigDecimal(Double.toString(Math.abs(v))).stripTrailingZeros();
        String sign = v < 0 ? "-" : "";
        String plain = d.toPlainString();
        String digits = d.unscaledValue().toString();
        int exponent = digits.length() - 1 - d.scale();
        String sci = digits.charAt(0) + (digits.length() > 1 ? "." + digits.substring(1) : "") + "e" + exponent;
        return sign + (sci.length() < plain.length() ? sci : plain);
    }

    /** model_name as an identifier: other characters become `_`; never a keyword, never starting with a digit. */
    static String identifier(String name) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            b.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
        }
        if (b.isEmpty()) return "imported";
        if (Character.isDigit(b.charAt(0))) b.insert(0, '_');
        String id = b.toString();
        return KEYWORDS.contains(id) ? id + "_" : id;
    }

    private static String stem(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }

    /** Text safe inside a line comment. */
    private static String oneLine(String s) {
        String t = s.replaceAll("[\\p{Cntrl}\\u2028\\u2029]", " ").strip();
        return t.length() > 120 ? t.substring(0, 120) + "…" : t;
    }
}
