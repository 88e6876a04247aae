package hyenac.explain;

import hyenac.dsl.check.Elaborated;
import hyenac.dsl.check.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Parameters, FLOPs and activation bytes per token of a checked model, by the conventions of
 * SEMANTICS.md §7: a multiply-add is 2 FLOPs; linear 2·in·out; an explicit FIR of K taps over C
 * channels 2·K·C; a modal (long) convolution as an FFT of N = 2L: C·(10·N·log2 N + 6·N)/L; causal
 * attention 2·L·D; elementwise operations are not counted. Activation bytes are the outputs every
 * primitive writes, in the model's dtype, as if nothing were fused.
 */
public final class Explain {
    private Explain() {}

    /** One row of the table: a layer, the embedding or the head. */
    public record Row(String index, String operator, long parameters, double flopsPerToken, double activationBytesPerToken) {}

    public record Report(Elaborated.Model model, long context, List<Row> rows, long parameters, double flopsPerToken,
                         double activationBytesPerToken) {}

    public static Report of(Elaborated.Model model, long context) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("-", "embedding", sum(model.embedding()), 0, bytes(model, model.headNodes().subList(0, 1))));
        for (Elaborated.Layer layer : model.layers()) {
            rows.add(new Row(Integer.toString(layer.index()), layer.mixer(), layer.parameters(),
                    flops(model, layer.nodes(), context), bytes(model, layer.nodes())));
        }
        List<Elaborated.Node> head = model.headNodes().subList(1, model.headNodes().size());
        rows.add(new Row("-", "head (norm, tied unembedding)", sum(model.head()), flops(model, head, context), bytes(model, head)));
        long params = rows.stream().mapToLong(Row::parameters).sum();
        double flops = rows.stream().mapToDouble(Row::flopsPerToken).sum();
        double bytes = rows.stream().mapToDouble(Row::activationBytesPerToken).sum();
        return new Report(model, context, rows, params, flops, bytes);
    }

    private static long sum(List<Elaborated.Weight> weights) {
        return weights.stream().mapToLong(Elaborated.Weight::elements).sum();
    }

    static double flops(Elaborated.Model m, List<Elaborated.Node> nodes, long context) {
        double total = 0;
        for (Elaborated.Node n : nodes) total += flops(m, n, context);
        return total;
    }

    /** FLOPs per token of one primitive application at sequence length {@code l}. */
    static double flops(Elaborated.Model m, Elaborated.Node n, long l) {
        long in = n.inputs().isEmpty() ? 0 : m.width(n.inputs().getFirst());
        long out = n.outputs().isEmpty() ? 0 : m.width(n.outputs().getFirst());
        return switch (n.op()) {
            case "linear" -> 2.0 * in * out;
            case "unembed" -> 2.0 * in * m.vocab();
            case "causal_conv" -> 2.0 * ((Value.Int) n.args().get("len")).value() * in;
            case "modal_conv" -> {
                double fft = 2.0 * l;
                yield in * (10 * fft * (Math.log(fft) / Math.log(2)) + 6 * fft) / l;
            }
            case "causal_attention" -> 2.0 * l * in;
            default -> 0;
        };
    }

    static double bytes(Elaborated.Model m, List<Elaborated.Node> nodes) {
        int size = switch (m.dtype()) { case "fp32" -> 4; default -> 2; };
        double total = 0;
        for (Elaborated.Node n : nodes) {
            for (int out : n.outputs()) total += (double) Math.max(0, m.width(out)) * size;
        }
        return total;
    }
}
