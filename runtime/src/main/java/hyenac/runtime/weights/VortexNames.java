package hyenac.runtime.weights;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where each of our weights lives in a vortex (StripedHyena 2 / Evo 2) checkpoint, and what must be
 * done to it on the way in. The one place that knows vortex's key names and layouts.
 */
public final class VortexNames {
    private VortexNames() {}

    /** What to do to a checkpoint tensor so it has our layout. */
    public enum Transform {
        /** Same values, same order; dimensions of size 1 dropped (vortex's [G, 1, K] filters are our [G, K]). */
        RESHAPE,
        /** Wqkv rows from (head, {q,k,v}, d) to ({q,k,v}, head, d): what vortex does at load time. */
        QKV_BY_HEAD_TO_BY_KIND
    }

    public record Source(String key, Transform transform) {}

    /** Our per-layer names (after {@code layers.N.}) and the vortex names (after {@code blocks.M.}). */
    private static final Map<String, Source> LAYER = Map.ofEntries(
            Map.entry("pre_norm.scale", new Source("pre_norm.scale", Transform.RESHAPE)),
            Map.entry("post_norm.scale", new Source("post_norm.scale", Transform.RESHAPE)),
            Map.entry("mixer.proj_in.weight", new Source("projections.weight", Transform.RESHAPE)),
            Map.entry("mixer.featurizer.weight", new Source("filter.short_filter_weight", Transform.RESHAPE)),
            Map.entry("mixer.filter.weight", new Source("filter.h", Transform.RESHAPE)),
            Map.entry("mixer.filter.skip", new Source("filter.D", Transform.RESHAPE)),
            Map.entry("mixer.filter.log_poles", new Source("filter.log_poles", Transform.RESHAPE)),
            Map.entry("mixer.filter.residues", new Source("filter.residues", Transform.RESHAPE)),
            Map.entry("mixer.proj_out.weight", new Source("out_filter_dense.weight", Transform.RESHAPE)),
            Map.entry("mixer.proj_out.bias", new Source("out_filter_dense.bias", Transform.RESHAPE)),
            Map.entry("mixer.qkv.weight", new Source("inner_mha_cls.Wqkv.weight", Transform.QKV_BY_HEAD_TO_BY_KIND)),
            Map.entry("mlp.w1.weight", new Source("mlp.l1.weight", Transform.RESHAPE)),
            Map.entry("mlp.w2.weight", new Source("mlp.l2.weight", Transform.RESHAPE)),
            Map.entry("mlp.w3.weight", new Source("mlp.l3.weight", Transform.RESHAPE)));

    private static final Map<String, Source> ATTENTION_PROJ_OUT = Map.of(
            "mixer.proj_out.weight", new Source("inner_mha_cls.out_proj.weight", Transform.RESHAPE),
            "mixer.proj_out.bias", new Source("inner_mha_cls.out_proj.bias", Transform.RESHAPE));

    private static final Pattern LAYER_NAME = Pattern.compile("layers\\.(\\d+)\\.(.+)");

    /**
     * The checkpoint tensor for one of our weights. {@code vortexBlock} maps our layer index to
     * vortex's block index (they differ when a config leaves layers out); {@code attention} says
     * whether the layer is an attention layer (its output projection has another name there).
     */
    public static Optional<Source> source(String ours, java.util.function.IntUnaryOperator vortexBlock, boolean attention) {
        if (ours.equals("embedding.weight")) return Optional.of(new Source("embedding_layer.weight", Transform.RESHAPE));
        if (ours.equals("final_norm.scale")) return Optional.of(new Source("norm.scale", Transform.RESHAPE));
        Matcher m = LAYER_NAME.matcher(ours);
        if (!m.matches()) return Optional.empty();
        int block = vortexBlock.applyAsInt(Integer.parseInt(m.group(1)));
        Source s = attention ? ATTENTION_PROJ_OUT.getOrDefault(m.group(2), LAYER.get(m.group(2))) : LAYER.get(m.group(2));
        return Optional.ofNullable(s).map(x -> new Source("blocks." + block + "." + x.key(), x.transform()));
    }

    /** The RoPE inverse-frequency buffer of an attention layer, when the checkpoint has one. */
    public static String invFreq(int vortexBlock) {
        return "blocks." + vortexBlock + ".inner_mha_cls.rotary_emb.inv_freq";
    }

    /** Applies {@link Transform#QKV_BY_HEAD_TO_BY_KIND} to a [3·H·hd, D] row-major matrix. */
    public static float[] qkvByKind(float[] w, int heads, int headDim, int width) {
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int kind = 0; kind < 3; kind++) {
                for (int d = 0; d < headDim; d++) {
                    int from = ((h * 3 + kind) * headDim + d) * width;
                    int to = ((kind * heads + h) * headDim + d) * width;
                    System.arraycopy(w, from, out, to, width);
                }
            }
        }
        return out;
    }
}
