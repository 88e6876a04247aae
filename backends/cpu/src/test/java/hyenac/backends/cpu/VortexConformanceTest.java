package hyenac.backends.cpu;

import static hyenac.backends.cpu.TestUtil.assertRelClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kernels composed by hand into one Hyena or attention block reproduce the vortex reference tensors of
 * {@code conformance/data/vortex} (README there): every {@code inter.*} and {@code output.*} tensor within
 * max|got − ref| ≤ 2e−5·max|ref|. Each stage is fed from our own previous stage, not from the reference's,
 * so errors accumulate as they would in a real run. (The compiler will do this composition later; here it
 * only validates the kernels.)
 */
class VortexConformanceTest {
    private static final double TOLERANCE = 2e-5;

    static Path vortexDir() {
        String root = System.getProperty("hyenac.root");
        if (root != null) return Path.of(root).resolve("conformance/data/vortex");
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("conformance/data/vortex");
            if (Files.isDirectory(p)) return p;
        }
        throw new IllegalStateException("cannot find conformance/data/vortex (set -Dhyenac.root to the repository root)");
    }

    /** Compares our tensors with the file's, fails on the first one out of tolerance, and prints the worst. */
    private static final class Checker {
        private final SafeTensors file;
        private final String label;
        private final List<String> checked = new ArrayList<>();
        private double worst = -1;
        private String worstName;

        Checker(SafeTensors file, String label) {
            this.file = file;
            this.label = label;
        }

        void check(String name, float[] got) {
            if (!file.has(name)) return; // some files keep only part of the intermediates
            float[] ref = file.f32(name);
            double rel = assertRelClose(ref, got, TOLERANCE, label + " " + name);
            if (rel > worst) {
                worst = rel;
                worstName = name;
            }
            checked.add(name);
        }

        /** Every output tensor of the file was compared. */
        void done() {
            for (String n : file.names()) {
                if (n.startsWith("output.")) assertTrue(checked.contains(n), label + ": " + n + " was not compared");
            }
            System.out.printf("%s: %d tensors within %.0e, worst %.2e of max|ref| (%s)%n", label, checked.size(), TOLERANCE, worst, worstName);
        }
    }

    private static double eps(SafeTensors f) {
        return JsonParser.parseString(f.meta("config")).getAsJsonObject().get("eps").getAsDouble();
    }

    /** (act(x·l1ᵀ) ⊙ x·l2ᵀ)·l3ᵀ. */
    private static float[] mlp(SafeTensors f, String p, float[] x, int rows, int d, Activation act) {
        int hidden = (int) f.shape(p + "mlp.l1.weight")[0];
        float[] a = act.apply(Linear.apply(x, rows, d, f.f32(p + "mlp.l1.weight"), hidden, null));
        float[] b = Linear.apply(x, rows, d, f.f32(p + "mlp.l2.weight"), hidden, null);
        return Linear.apply(Elementwise.mul(a, b), rows, hidden, f.f32(p + "mlp.l3.weight"), d, null);
    }

    private void hyenaBlock(String fileName, Conv.Algorithm algorithm) {
        SafeTensors f = SafeTensors.read(vortexDir().resolve(fileName));
        String p = "blocks." + f.meta("layer_idx") + ".";
        String kind = f.meta("case");
        long[] us = f.shape("input.u");
        int batch = (int) us[0], length = (int) us[1], d = (int) us[2], rows = batch * length;
        double eps = eps(f);
        Checker check = new Checker(f, fileName.replace(".safetensors", "") + " " + algorithm.name().toLowerCase());
        float[] u = f.f32("input.u");

        float[] a = Norm.rmsnorm(u, rows, d, f.f32(p + "pre_norm.scale"), eps);
        check.check("inter.pre_norm_out", a);
        float[] z = Linear.apply(a, rows, d, f.f32(p + "projections.weight"), 3 * d, null);
        check.check("inter.proj_out", z);

        // featurizer: one 3-tap filter per channel of z, conv1d (cross-correlation) order, then the interleaved split
        Fir featurizer = Fir.of(f.f32(p + "filter.short_filter_weight"), 3 * d, (int) f.shape(p + "filter.short_filter_weight")[2], Fir.Taps.XCORR);
        float[][] qkv = Channels.deinterleave(Conv.causal(z, batch, length, 3 * d, featurizer, null, algorithm), rows, 3 * d, 3);
        check.check("inter.q", qkv[0]);
        check.check("inter.k", qkv[1]);
        check.check("inter.v", qkv[2]);
        float[] s = Elementwise.mul(qkv[1], qkv[2]);

        float[] inner = switch (kind) {
            case "hyena_se", "hyena_mr" -> {
                long[] hs = f.shape(p + "filter.h");
                Fir.Taps taps = kind.equals("hyena_se") ? Fir.Taps.XCORR : Fir.Taps.FIR;
                Fir h = Fir.of(f.f32(p + "filter.h"), (int) hs[0], (int) hs[2], taps);
                float[] skip = kind.equals("hyena_mr") ? f.f32(p + "filter.D") : null;
                yield Conv.causal(s, batch, length, d, h, skip, algorithm);
            }
            case "hyena_li" -> {
                int modes = (int) f.shape(p + "filter.residues")[1];
                float[] logPoles = f.f32(p + "filter.log_poles"), residues = f.f32(p + "filter.residues");
                check.check("derived.li_h", ModalFilter.materialise(logPoles, residues, d, modes, length));
                yield ModalFilter.apply(s, batch, length, d, logPoles, residues, modes, f.f32(p + "filter.D"), algorithm);
            }
            default -> throw new IllegalArgumentException("not a Hyena case: " + kind);
        };
        check.check("inter.inner_conv", inner);
        float[] y = Elementwise.mul(qkv[0], inner);
        check.check("output.filter_out", y);

        float[] r = Elementwise.add(Linear.apply(y, rows, d, f.f32(p + "out_filter_dense.weight"), d, f.f32(p + "out_filter_dense.bias")), u);
        check.check("inter.mixer_out", r);
        float[] post = Norm.rmsnorm(r, rows, d, f.f32(p + "post_norm.scale"), eps);
        float[] out = Elementwise.add(r, mlp(f, p, post, rows, d, Activation.of(f.meta("mlp_activation"))));
        check.check("output.block_out", out);
        check.done();
    }

    @Test
    void hyenaSe() {
        hyenaBlock("op_hyena_se_L96.safetensors", Conv.Algorithm.DIRECT);
        hyenaBlock("op_hyena_se_L96.safetensors", Conv.Algorithm.FFT);
    }

    @Test
    void hyenaMrShorterThanTheFilter() {
        hyenaBlock("op_hyena_mr_L96.safetensors", Conv.Algorithm.DIRECT);
        hyenaBlock("op_hyena_mr_L96.safetensors", Conv.Algorithm.FFT);
    }

    @Test
    void hyenaMrLongerThanTheFilter() {
        hyenaBlock("op_hyena_mr_L300.safetensors", Conv.Algorithm.DIRECT);
        hyenaBlock("op_hyena_mr_L300.safetensors", Conv.Algorithm.FFT);
    }

    @Test
    void hyenaLi() {
        hyenaBlock("op_hyena_li_L96.safetensors", Conv.Algorithm.FFT);
        hyenaBlock("op_hyena_li_L96.safetensors", Conv.Algorithm.DIRECT);
    }

    @Test
    void attention() {
        String fileName = "op_attention_L64.safetensors";
        SafeTensors f = SafeTensors.read(vortexDir().resolve(fileName));
        String p = "blocks." + f.meta("layer_idx") + ".";
        long[] us = f.shape("input.u");
        int batch = (int) us[0], length = (int) us[1], d = (int) us[2], rows = batch * length;
        long[] qs = f.shape("inter.q_pre_rope");
        int heads = (int) qs[2], hd = (int) qs[3];
        Checker check = new Checker(f, fileName.replace(".safetensors", ""));
        float[] u = f.f32("input.u");

        float[] invFreq = f.f32(p + "inner_mha_cls.rotary_emb.inv_freq");
        double base = JsonParser.parseString(f.meta("config")).getAsJsonObject().get("rotary_emb_base").getAsDouble();
        assertArrayEquals(Rope.invFreqBf16(base, hd), invFreq, "the checkpoint's inv_freq is bf16(1/base^(2i/hd))");
        Rope rope = new Rope(invFreq);

        float[] a = Norm.rmsnorm(u, rows, d, f.f32(p + "pre_norm.scale"), eps(f));
        check.check("inter.pre_norm_out", a);

        // checkpoint rows are (head, {q,k,v}, d): row h·3·hd + j·hd + i; the projection wants ({q,k,v}, head, d)
        float[] wCkpt = f.f32(p + "inner_mha_cls.Wqkv.weight");
        float[] w = new float[wCkpt.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < 3; j++) {
                for (int i = 0; i < hd; i++) {
                    System.arraycopy(wCkpt, (h * 3 * hd + j * hd + i) * d, w, (j * heads * hd + h * hd + i) * d, d);
                }
            }
        }
        int width = heads * hd;
        float[][] qkv = Channels.split(Linear.apply(a, rows, d, w, 3 * width, null), rows, 3 * width, 3);
        check.check("inter.q_pre_rope", qkv[0]);
        check.check("inter.k_pre_rope", qkv[1]);
        check.check("inter.v", qkv[2]);
        check.check("inter.q_rope", rope.apply(qkv[0], batch, length, heads, 0));
        check.check("inter.k_rope", rope.apply(qkv[1], batch, length, heads, 0));
        float[] context = Attention.causal(qkv[0], qkv[1], qkv[2], batch, length, heads, hd, rope);
        check.check("inter.attn_context", context);
        float[] attnOut = Linear.apply(context, rows, width, f.f32(p + "inner_mha_cls.out_proj.weight"), d, f.f32(p + "inner_mha_cls.out_proj.bias"));
        check.check("output.attn_out", attnOut);
        float[] r = Elementwise.add(attnOut, u);
        check.check("inter.mixer_out", r);
        float[] post = Norm.rmsnorm(r, rows, d, f.f32(p + "post_norm.scale"), eps(f));
        check.check("output.block_out", Elementwise.add(r, mlp(f, p, post, rows, d, Activation.of(f.meta("mlp_activation")))));
        check.done();
        assertEquals(width, d);
    }
}
