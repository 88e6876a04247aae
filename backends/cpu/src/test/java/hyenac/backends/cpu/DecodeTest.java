package hyenac.backends.cpu;

import static hyenac.backends.cpu.TestUtil.assertRelClose;
import static hyenac.backends.cpu.TestUtil.gaussian;
import static hyenac.backends.cpu.TestUtil.rows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Recurrent forms: prefill T tokens, then step, equals the parallel kernels over T + steps tokens. */
class DecodeTest {
    private static final int BATCH = 2, STEPS = 8;
    private static final int[] PROMPTS = {1, 2, 5, 124, 130};

    private record FirCase(String name, int channels, int groups, int len, Fir.Taps taps, boolean skip) {}

    private static final FirCase[] FIRS = {
        new FirCase("featurizer", 12, 12, 3, Fir.Taps.XCORR, false),
        new FirCase("SE", 16, 4, 7, Fir.Taps.XCORR, false),
        new FirCase("MR", 16, 4, 128, Fir.Taps.FIR, true),
    };

    /** Stacks the step outputs [batch, channels] of each step into [batch, steps, channels]. */
    private static float[] stack(float[][] steps, int channels) {
        float[] out = new float[BATCH * steps.length * channels];
        for (int s = 0; s < steps.length; s++) {
            for (int b = 0; b < BATCH; b++) System.arraycopy(steps[s], b * channels, out, (b * steps.length + s) * channels, channels);
        }
        return out;
    }

    @Test
    void firStepsContinueThePrefill() {
        Random rnd = new Random(30);
        for (FirCase fc : FIRS) {
            for (int prompt : PROMPTS) {
                int total = prompt + STEPS, c = fc.channels;
                float[] x = gaussian(rnd, BATCH * total * c);
                Fir f = Fir.of(gaussian(rnd, fc.groups * fc.len, 0.5), fc.groups, fc.len, fc.taps);
                float[] skip = fc.skip ? gaussian(rnd, c, 0.5) : null;
                float[] parallel = Conv.causal(x, BATCH, total, c, f, skip);

                FirState state = new FirState(BATCH, c, f, skip);
                state.prefill(rows(x, BATCH, total, c, 0, prompt), prompt);
                float[][] got = new float[STEPS][];
                for (int s = 0; s < STEPS; s++) got[s] = state.step(rows(x, BATCH, total, c, prompt + s, prompt + s + 1));
                assertRelClose(rows(parallel, BATCH, total, c, prompt, total), stack(got, c), 1e-5, fc.name + " T=" + prompt);
            }
        }
    }

    @Test
    void firStepsFromEmptyStateAreTheWholeConvolution() {
        Random rnd = new Random(31);
        int total = 140, c = 16;
        Fir f = Fir.of(gaussian(rnd, 4 * 128, 0.5), 4, 128, Fir.Taps.FIR);
        float[] skip = gaussian(rnd, c);
        float[] x = gaussian(rnd, BATCH * total * c);
        FirState state = new FirState(BATCH, c, f, skip);
        float[][] got = new float[total][];
        for (int t = 0; t < total; t++) got[t] = state.step(rows(x, BATCH, total, c, t, t + 1));
        float[] stacked = new float[BATCH * total * c];
        for (int t = 0; t < total; t++) {
            for (int b = 0; b < BATCH; b++) System.arraycopy(got[t], b * c, stacked, (b * total + t) * c, c);
        }
        assertRelClose(Conv.direct(x, BATCH, total, c, f, skip), stacked, 1e-6, "MR from t = 0");
    }

    @Test
    void firHistoryIsTheLastInputsOldestFirst() {
        int c = 2, len = 4;
        FirState state = new FirState(1, c, new Fir(new float[len], 1, len), null);
        state.prefill(new float[] {1, 10, 2, 20}, 2); // two tokens of two channels
        assertArrayEquals(new float[] {0, 1, 2, 0, 10, 20}, state.history());
        state.step(new float[] {3, 30});
        state.step(new float[] {4, 40});
        assertArrayEquals(new float[] {2, 3, 4, 20, 30, 40}, state.history());
    }

    /** x[c, n] = Σ_{j<T} λ^(T−1−j)·s_j, straight from the definition. */
    private static double[] refModalState(float[] s, int length, int channels, int modes, float[] logPoles) {
        double[] x = new double[BATCH * channels * modes];
        for (int b = 0; b < BATCH; b++) {
            for (int c = 0; c < channels; c++) {
                for (int n = 0; n < modes; n++) {
                    double lam = Math.exp(logPoles[c * modes + n]), acc = 0;
                    for (int j = 0; j < length; j++) acc += Math.pow(lam, length - 1 - j) * s[(b * length + j) * channels + c];
                    x[(b * channels + c) * modes + n] = acc;
                }
            }
        }
        return x;
    }

    @Test
    void modalPrefillByFftEqualsTheDirectSum() {
        Random rnd = new Random(32);
        int channels = 6, modes = 16;
        for (int prompt : new int[] {1, 2, 3, 5, 64, 96, 100, 257}) {
            float[] lp = ConvTest.randomLogPoles(rnd, channels * modes), r = gaussian(rnd, channels * modes, 0.25);
            if (prompt == 3) lp[0] = 0; // λ = 1 exactly: the k = 0 bin's limit
            if (prompt == 5) lp[1] = -1e-9f; // λ within 1e-9 of 1
            float[] s = gaussian(rnd, BATCH * prompt * channels);
            ModalState fft = new ModalState(BATCH, channels, modes, lp, r, null);
            ModalState direct = new ModalState(BATCH, channels, modes, lp, r, null);
            fft.prefill(s, prompt);
            direct.prefillDirect(s, prompt);
            double[] ref = refModalState(s, prompt, channels, modes, lp);
            assertRelClose(ref, fft.state(), 1e-6, "fft prefill T=" + prompt);
            assertRelClose(ref, direct.state(), 1e-6, "direct prefill T=" + prompt);
        }
    }

    @Test
    void modalStepsContinueThePrefill() {
        Random rnd = new Random(33);
        int channels = 8, modes = 16;
        for (int prompt : PROMPTS) {
            int total = prompt + STEPS;
            float[] lp = ConvTest.randomLogPoles(rnd, channels * modes), r = gaussian(rnd, channels * modes, 0.25);
            float[] skip = gaussian(rnd, channels, 0.5);
            float[] s = gaussian(rnd, BATCH * total * channels);
            float[] parallel = ModalFilter.apply(s, BATCH, total, channels, lp, r, modes, skip);
            for (boolean viaFft : new boolean[] {true, false}) {
                ModalState state = new ModalState(BATCH, channels, modes, lp, r, skip);
                float[] promptPart = rows(s, BATCH, total, channels, 0, prompt);
                if (viaFft) state.prefill(promptPart, prompt); else state.prefillDirect(promptPart, prompt);
                float[][] got = new float[STEPS][];
                for (int k = 0; k < STEPS; k++) got[k] = state.step(rows(s, BATCH, total, channels, prompt + k, prompt + k + 1));
                assertRelClose(rows(parallel, BATCH, total, channels, prompt, total), stack(got, channels), 1e-5,
                        "LI T=" + prompt + (viaFft ? " fft prefill" : " direct prefill"));
            }
        }
    }

    /**
     * A whole Hyena core (featurizer, de-interleave, k ⊙ v, inner filter, q ⊙) token by token after a prompt,
     * against the same composition run in parallel.
     */
    @Test
    void hyenaCoreDecodesLikeTheParallelForm() {
        Random rnd = new Random(34);
        int d = 16, prompt = 20, total = prompt + STEPS;
        Fir featurizer = Fir.of(TestUtil.uniform(rnd, 3 * d * 3, -0.8, 0.8), 3 * d, 3, Fir.Taps.XCORR);
        Fir se = Fir.of(gaussian(rnd, 4 * 7, 0.4), 4, 7, Fir.Taps.XCORR);
        Fir mr = Fir.of(gaussian(rnd, 4 * 128, 0.25), 4, 128, Fir.Taps.FIR);
        float[] lp = ConvTest.randomLogPoles(rnd, d * 16), res = gaussian(rnd, d * 16, 0.25), skip = gaussian(rnd, d, 0.5);
        float[] z = gaussian(rnd, BATCH * total * 3 * d);

        for (String variant : new String[] {"SE", "MR", "LI"}) {
            // parallel
            float[][] qkv = Channels.deinterleave(Conv.causal(z, BATCH, total, 3 * d, featurizer, null), BATCH * total, 3 * d, 3);
            float[] s = Elementwise.mul(qkv[1], qkv[2]);
            float[] inner = switch (variant) {
                case "SE" -> Conv.causal(s, BATCH, total, d, se, null);
                case "MR" -> Conv.causal(s, BATCH, total, d, mr, skip);
                default -> ModalFilter.apply(s, BATCH, total, d, lp, res, 16, skip);
            };
            float[] parallel = Elementwise.mul(qkv[0], inner);

            // prefill over the prompt, then recurrent steps
            FirState feat = new FirState(BATCH, 3 * d, featurizer, null);
            feat.prefill(rows(z, BATCH, total, 3 * d, 0, prompt), prompt);
            float[] sPrompt = rows(s, BATCH, total, d, 0, prompt);
            FirState fir = null;
            ModalState modal = null;
            switch (variant) {
                case "SE" -> (fir = new FirState(BATCH, d, se, null)).prefill(sPrompt, prompt);
                case "MR" -> (fir = new FirState(BATCH, d, mr, skip)).prefill(sPrompt, prompt);
                default -> (modal = new ModalState(BATCH, d, 16, lp, res, skip)).prefill(sPrompt, prompt);
            }
            float[][] got = new float[STEPS][];
            for (int k = 0; k < STEPS; k++) {
                float[][] q = Channels.deinterleave(feat.step(rows(z, BATCH, total, 3 * d, prompt + k, prompt + k + 1)), BATCH, 3 * d, 3);
                float[] st = Elementwise.mul(q[1], q[2]);
                got[k] = Elementwise.mul(q[0], fir != null ? fir.step(st) : modal.step(st));
            }
            assertRelClose(rows(parallel, BATCH, total, d, prompt, total), stack(got, d), 1e-5, variant + " core");
        }
    }
}
