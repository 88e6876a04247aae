package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.select;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.ir.Primitive;
import java.util.List;

/**
 * The kernels around the library FFTs of a long causal convolution, y = h ∗ x + skip ⊙ x over [B, L, C]:
 * the signal and the filter are zero-padded to N ≥ 2L (so the circular product is the causal linear one),
 * transformed channel by channel (rows of N reals), multiplied in the frequency domain and transformed back.
 * {@link #packSignal} and {@link #unpack} move between the channel-last activations and the channel-major FFT
 * rows through 32 × 32 shared-memory tiles, so both sides are read and written in whole cache lines.
 * Everything between the two is fp32.
 */
public final class FftConv {
    private FftConv() {}

    static final int TILE = 32, ROWS = 8;

    /** A thread of a 32 × 8 block in its 32 × 32 transpose tile: block x picks the time tile, y the channel tile, z the sequence. */
    private record TileOrigin(Var tx, Var ty, Var t0, Var c0, Var b) {
        static TileOrigin of(Scope s) {
            return new TileOrigin(s.let("tx", threadIdx(Axis.X)), s.let("ty", threadIdx(Axis.Y)),
                    s.let("t0", blockIdx(Axis.X).cast(Scalar.INT64).mul(TILE)), s.let("c0", blockIdx(Axis.Y).mul(TILE)),
                    s.let("b", blockIdx(Axis.Z).cast(Scalar.INT64)));
        }
    }

    /** The FFT length for a sequence of {@code length}: the power of two at least twice it. */
    public static long fftLength(long length) {
        return Math.max(2, Long.highestOneBit(Math.max(1, 2 * length - 1)) << 1);
    }

    /** The complex bins a real FFT of {@code n} points keeps: n/2 + 1. */
    public static long bins(long n) { return n / 2 + 1; }

    /** xp[(b·C + c)·N + t] = x[b, t, c] for t < L, zero for L ≤ t < N. */
    public static GeneratedKernel packSignal(long channels, Precision p) { return packSignal(channels, p, false); }

    /**
     * As {@link #packSignal(long, Precision)}; {@code core}: the signal of a Hyena core, s = k ⊙ v, from z [B, L, 3C] with
     * q, k, v interleaved (the kernels of {@link Kernels#fftCore}).
     */
    public static GeneratedKernel packSignal(long channels, Precision p, boolean core) {
        long C = channels;
        Signature sig = new Signature("fft_pack_" + (core ? "core_" : "") + "c" + C + "_" + p.suffix(), TILE * ROWS);
        Var x = core ? sig.input("z", p.storage(), "featurizer output " + Signature.shape("B", "L", 3 * C) + ", q, k, v interleaved")
                : sig.input("x", p.storage(), "input " + Signature.shape("B", "L", C));
        Var xp = sig.output("xp", p.filter(), "FFT rows [B*" + C + ", N], zero-padded");
        Var length = sig.scalar("length", Scalar.INT64, "L");
        Var n = sig.scalar("n", Scalar.INT64, "N, the FFT length");
        Var tile = sig.k.shared("tile", Scalar.FLOAT, TILE * (TILE + 1));

        Scope s = sig.k.body();
        TileOrigin o = TileOrigin.of(s);
        Var tx = o.tx(), ty = o.ty(), t0 = o.t0(), c0 = o.c0(), b = o.b();
        s.comment("The grid covers 4L >= N steps: blocks past N have nothing to write.");
        s.when(t0.ge(n), Scope::exit);
        s.comment("Read 32 steps x 32 channels along the channels (coalesced); the padding reads nothing.");
        s.loop("r", ty, lit(TILE), lit(ROWS), (r, body) -> {
            Var t = body.let("t", t0.add(r));
            Var c = body.let("c", c0.add(tx));
            Expr inside = t.lt(length).and(c.lt(C));
            Expr at = b.mul(length).add(t).mul(C).add(c);
            if (core) at = body.let("at", at);
            Expr value = core ? load(x, at.mul(3).add(1)).mul(load(x, at.mul(3).add(2))) : load(x, at);
            body.set(tile.at(r.mul(TILE + 1).add(tx)), select(inside, value, lit(0.0f)));
        });
        s.barrier();
        s.comment("Write them along time (coalesced); the extra column keeps the transposed reads off one bank.");
        s.loop("r", ty, lit(TILE), lit(ROWS), (r, body) -> {
            Var c = body.let("c", c0.add(r));
            Var t = body.let("t", t0.add(tx));
            body.when(c.lt(C).and(t.lt(n)), w -> w.store(xp, b.mul(C).add(c).mul(n).add(t), tile.at(tx.mul(TILE + 1).add(r))));
        });
        return sig.build("fft_pack", new Launch(Extent.length().times(4).ceilDiv(TILE), Extent.of(Math.ceilDiv(C, TILE)), Extent.batch(), TILE, ROWS, 1),
                List.of("Packs " + (core ? "s = k * v from z [B, L, " + 3 * C + "]" : "x [B, L, " + C + "]") + " into zero-padded fp32 FFT rows [B*" + C
                        + ", N] (N >= 2L),",
                        "transposing through 32 x 32 shared-memory tiles."));
    }

    /** hp[c·N + t] = h[c·L + t] for t < L, zero for L ≤ t < N: the filter rows [C, L] padded to the FFT length. */
    public static GeneratedKernel padFilter(long channels) {
        Signature sig = new Signature("fft_pad_filter_c" + channels, Pointwise.THREADS);
        Var h = sig.input("h", Scalar.FLOAT, "filters [" + channels + ", L]");
        Var hp = sig.output("hp", Scalar.FLOAT, "padded filters [" + channels + ", N]");
        Var length = sig.scalar("length", Scalar.INT64, "L");
        Var n = sig.scalar("n", Scalar.INT64, "N, the FFT length");

        Scope s = sig.k.body();
        Var t = s.let("t", blockIdx(Axis.X).cast(Scalar.INT64).mul(Pointwise.THREADS).add(threadIdx(Axis.X)));
        Var c = s.let("c", blockIdx(Axis.Y).cast(Scalar.INT64));
        s.when(t.ge(n), Scope::exit);
        s.store(hp, c.mul(n).add(t), select(t.lt(length), h.at(c.mul(length).add(t)), lit(0.0f)));
        return sig.build("fft_pad_filter", new Launch(Extent.length().times(4).ceilDiv(Pointwise.THREADS), Extent.of(channels), Extent.of(1),
                Pointwise.THREADS, 1, 1), List.of("Pads the filters [" + channels + ", L] with zeros to FFT rows [" + channels + ", N]."));
    }

    /**
     * X[b, c, f] ← X[b, c, f]·H[c, f] over the complex bins (interleaved re, im), every sequence by the same
     * filter spectra. The 1/N of the inverse transform is left to {@link #unpack}.
     */
    public static GeneratedKernel spectralProduct(long channels) {
        Signature sig = new Signature("fft_product_c" + channels, Pointwise.THREADS);
        Var xf = sig.output("xf", Scalar.FLOAT, "signal spectra [B*" + channels + ", N/2+1] complex, multiplied in place");
        Var hf = sig.input("hf", Scalar.FLOAT, "filter spectra [" + channels + ", N/2+1] complex");
        Var batch = sig.scalar("batch", Scalar.INT64, "B");
        Var bins = sig.scalar("bins", Scalar.INT64, "N/2+1");

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, Pointwise.THREADS);
        s.comment("The grid covers 2*B*L*C >= B*C*bins elements.");
        s.when(i.ge(batch.mul(channels).mul(bins)), Scope::exit);
        s.comment("Bin f of channel c of any sequence meets the filter bin j = c * bins + f.");
        Var j = s.let("j", i.div(bins).mod(channels).mul(bins).add(i.mod(bins)));
        Var xr = s.let("xr", xf.at(i.mul(2)));
        Var xi = s.let("xi", xf.at(i.mul(2).add(1)));
        Var hr = s.let("hr", hf.at(j.mul(2)));
        Var hi = s.let("hi", hf.at(j.mul(2).add(1)));
        s.set(xf.at(i.mul(2)), xr.mul(hr).sub(xi.mul(hi)));
        s.set(xf.at(i.mul(2).add(1)), xr.mul(hi).add(xi.mul(hr)));
        return sig.build("fft_product", Launch.linear(Extent.rows().times(2 * channels).ceilDiv(Pointwise.THREADS), Pointwise.THREADS),
                List.of("Multiplies the signal spectra by the filter spectra, bin by bin, for " + channels + " channels."));
    }

    /** y[b, t, c] = yp[(b·C + c)·N + t] / N (+ skip[c]·x[b, t, c]) for t < L: back to channel-last storage. */
    public static GeneratedKernel unpack(long channels, boolean skip, Precision p) { return unpack(channels, skip, null, p); }

    /**
     * As {@link #unpack(long, boolean, Precision)}; with {@code gate} (an activation, identity for none) the end of a Hyena
     * core: y = gate(q) ⊙ (yp / N + skip ⊙ s), q and s = k ⊙ v from z [B, L, 3C] with q, k, v interleaved.
     */
    public static GeneratedKernel unpack(long channels, boolean skip, Primitive gate, Precision p) {
        long C = channels;
        boolean core = gate != null;
        if (core && !gate.activation()) throw new IllegalArgumentException("unknown gate activation " + gate);
        Signature sig = new Signature("fft_unpack_" + (core ? "core_" : "") + "c" + C + (skip ? "_skip" : "")
                + (core && gate != Primitive.IDENTITY ? "_" + gate : "") + "_" + p.suffix(), TILE * ROWS);
        Var yp = sig.input("yp", Scalar.FLOAT, "inverse FFT rows [B*" + C + ", N], unnormalised");
        Var x = core ? sig.input("z", p.storage(), "featurizer output " + Signature.shape("B", "L", 3 * C) + ", q, k, v interleaved")
                : skip ? sig.input("x", p.storage(), "input " + Signature.shape("B", "L", C)) : null;
        Var sk = skip ? sig.input("skip", p.filter(), "weight skip [" + C + "]") : null;
        Var y = sig.output("y", p.storage(), "result " + Signature.shape("B", "L", C));
        Var length = sig.scalar("length", Scalar.INT64, "L");
        Var n = sig.scalar("n", Scalar.INT64, "N, the FFT length");
        Var tile = sig.k.shared("tile", Scalar.FLOAT, TILE * (TILE + 1));

        Scope s = sig.k.body();
        TileOrigin o = TileOrigin.of(s);
        Var tx = o.tx(), ty = o.ty(), t0 = o.t0(), c0 = o.c0(), b = o.b();
        Var scale = s.let("scale", lit(1.0f).div(n.cast(Scalar.FLOAT)));
        s.comment("Read 32 channels x 32 steps along time (coalesced).");
        s.loop("r", ty, lit(TILE), lit(ROWS), (r, body) -> {
            Var c = body.let("c", c0.add(r));
            Var t = body.let("t", t0.add(tx));
            Expr inside = t.lt(length).and(c.lt(C));
            body.set(tile.at(r.mul(TILE + 1).add(tx)), select(inside, yp.at(b.mul(C).add(c).mul(n).add(t)), lit(0.0f)));
        });
        s.barrier();
        s.comment("Write along the channels (coalesced), scaled by 1/N, with the skip term.");
        s.loop("r", ty, lit(TILE), lit(ROWS), (r, body) -> {
            Var t = body.let("t", t0.add(r));
            Var c = body.let("c", c0.add(tx));
            body.when(t.lt(length).and(c.lt(C)), w -> {
                Var at = w.let("at", b.mul(length).add(t).mul(C).add(c));
                Expr v = tile.at(tx.mul(TILE + 1).add(r)).mul(scale);
                if (!core) {
                    w.store(y, at, skip ? v.add(load(sk, c).mul(load(x, at))) : v);
                    return;
                }
                Var conv = w.let("v", skip ? v.add(load(sk, c).mul(load(x, at.mul(3).add(1)).mul(load(x, at.mul(3).add(2))))) : v);
                Var q = w.let("q", load(x, at.mul(3)));
                Expr gated = gate == Primitive.IDENTITY ? q : w.let("gq", Activations.apply(gate, q));
                w.store(y, at, gated.mul(conv));
            });
        });
        String what = core ? "Unpacks inverse FFT rows [B*" + C + ", N], times 1/N (conv), into y = " + (gate == Primitive.IDENTITY ? "q" : gate + "(q)")
                + " * (conv" + (skip ? " + skip * s" : "") + "), q and s = k * v from z,"
                : "Unpacks inverse FFT rows [B*" + C + ", N] into y [B, L, " + C + "], times 1/N" + (skip ? ", plus skip * x" : "") + ",";
        return sig.build("fft_unpack", new Launch(Extent.length().ceilDiv(TILE), Extent.of(Math.ceilDiv(C, TILE)), Extent.batch(), TILE, ROWS, 1),
                List.of(what, "transposing through 32 x 32 shared-memory tiles."));
    }

}
