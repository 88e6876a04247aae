package hyenac.bench;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.Weight;

/**
 * The work a point does, by SEMANTICS.md §7 and the conventions of bench/peer/peer_baselines.py, so that
 * our numbers and the peer's divide: a multiply-add is 2 FLOPs, elementwise work is not counted, and
 * memory-bound work is judged by the minimal bytes it must move (filters and spectra not counted).
 */
final class Counts {
    private Counts() {}

    /** A fused gate-conv-gate core reads q, k, v and writes y: 4·B·L·D elements, 8·B·D·L bytes in bf16. */
    static long coreBytes(long batch, long length, long width, int elementBytes) {
        return 4L * batch * length * width * elementBytes;
    }

    /** Causal attention reads q, k, v and writes its output (C = heads · head_dim channels each). */
    static long attentionBytes(long batch, long length, long channels, int elementBytes) {
        return 4L * batch * length * channels * elementBytes;
    }

    /** A copy reads and writes every byte (the peer's copy row counts both). */
    static long copyBytes(long bytes) { return 2 * bytes; }

    /** An explicit FIR of K taps over C channels: 2·K·C per token, whatever algorithm runs it. */
    static double firFlops(long batch, long length, long taps, long channels) {
        return 2.0 * taps * channels * batch * length;
    }

    /** Hyena-LI as an FFT convolution with N = 2L: C·(10·N·log2 N + 6·N) per sequence. */
    static double fftConvFlops(long batch, long length, long channels) {
        double n = 2.0 * length;
        return batch * channels * (10 * n * (Math.log(n) / Math.log(2)) + 6 * n);
    }

    /** Causal attention: 2·L·C per token for scores and values, 2·B·L²·C in all (the peer's 4·B·H·L²·d / 2). */
    static double attentionFlops(long batch, long length, long channels) {
        return 2.0 * batch * length * length * channels;
    }

    /**
     * FLOPs of one decode step per sequence at {@code position} (the tokens already held): linear layers 2·in·out,
     * FIRs 2·K·C, a modal state 4 per mode and channel (update and readout), attention over the cache 4·position·C
     * (scores and values of the one new query).
     */
    static double decodeFlopsPerToken(Graph g, long position) {
        double total = 0;
        for (Node n : g.nodes()) {
            long in = n.operands().isEmpty() || g.value(n.operands().getFirst()).type().dims().getLast().isSymbolic()
                    ? 0 : g.value(n.operands().getFirst()).type().channels();
            long out = n.results().isEmpty() ? 0 : g.value(n.results().getFirst()).type().channels();
            total += switch (n.primitive()) {
                case LINEAR, UNEMBED -> 2.0 * in * out;
                case CAUSAL_CONV -> 2.0 * n.intAttr("len") * in;
                case MODAL_CONV -> 4.0 * n.intAttr("modes") * in;
                case CAUSAL_ATTENTION -> 4.0 * position * in;
                default -> 0;
            };
        }
        return total;
    }

    /**
     * Bytes one decode step must read at {@code position}: every weight once (the tied embedding once) and the
     * KV caches' keys and values. FIR rings and modal states are small and not counted.
     */
    static double decodeBytesPerToken(Graph g, long position, long batch, int elementBytes) {
        double weights = 0;
        for (Weight w : g.weights().values()) weights += (double) w.elements() * elementBytes;
        double caches = 0;
        for (Node n : g.nodes()) {
            if (n.is(Primitive.CAUSAL_ATTENTION)) {
                caches += 2.0 * position * g.value(n.operands().getFirst()).type().channels() * elementBytes;
            }
        }
        return weights + batch * caches;
    }
}
