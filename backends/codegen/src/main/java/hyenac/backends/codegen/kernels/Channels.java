package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Channel reshuffles of [B, L, C] tensors: deinterleave, split and concat. Pure copies, no conversion. */
public final class Channels {
    private Channels() {}

    public static final int THREADS = 256;

    /** n outputs of width C/n; output j takes channels j, j+n, j+2n, … (round-robin), as Hyena's q, k, v. */
    public static GeneratedKernel deinterleave(long channels, int n, Precision p) {
        return parts("deinterleave", channels, n, p, "output j takes input channels j, j+" + n + ", j+" + 2 * n + ", ...",
                (row, c, j) -> row.mul(channels).add(c.mul(n)).add(j));
    }

    /** n outputs of width C/n; output j takes the contiguous channels j·w … (j+1)·w − 1. */
    public static GeneratedKernel split(long channels, int n, Precision p) {
        long w = width(channels, n);
        return parts("split", channels, n, p, "output j takes input channels [j*" + w + ", (j+1)*" + w + ")",
                (row, c, j) -> row.mul(channels).add(j * w).add(c));
    }

    /** Where output j of the thread's position (row, c) reads from. */
    private interface Source { Expr at(Var row, Var c, int j); }

    private static GeneratedKernel parts(String name, long channels, int n, Precision p, String rule, Source source) {
        long w = width(channels, n);
        Scalar st = p.storage();
        Signature sig = new Signature(name + "_c" + channels + "_n" + n + "_" + p.suffix(), THREADS);
        Var x = sig.input("x", st, "input " + Signature.shape("B", "L", channels));
        List<Var> ys = new ArrayList<>();
        for (int j = 0; j < n; j++) ys.add(sig.output("y" + j, st, "output " + j + " " + Signature.shape("B", "L", w)));
        Var rows = sig.scalar("rows", Scalar.INT64, "B*L");

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, THREADS);
        s.when(i.ge(rows.mul(w)), Scope::exit);
        Var row = s.let("row", i.div(w));
        Var c = s.let("c", i.mod(w).cast(Scalar.INT));
        for (int j = 0; j < n; j++) s.set(ys.get(j).at(i), x.at(source.at(row, c, j)));
        return sig.build(name, Launch.linear(Extent.rows().times(w).ceilDiv(THREADS), THREADS),
                List.of(name + " of " + channels + " channels into " + n + " parts of " + w + ": " + rule + ";",
                        "one thread per output position, writing all parts."));
    }

    /** Joins parts of the given widths along the channels. */
    public static GeneratedKernel concat(List<Long> widths, Precision p) {
        if (widths.isEmpty()) throw new IllegalArgumentException("concat of nothing");
        long total = widths.stream().mapToLong(Long::longValue).sum();
        Scalar st = p.storage();
        StringBuilder name = new StringBuilder("concat");
        for (long w : widths) name.append("_c").append(w);
        Signature sig = new Signature(name + "_" + p.suffix(), THREADS);
        List<Var> xs = new ArrayList<>();
        for (int j = 0; j < widths.size(); j++) xs.add(sig.input("x" + j, st, "part " + j + " " + Signature.shape("B", "L", widths.get(j))));
        Var y = sig.output("y", st, "result " + Signature.shape("B", "L", total));
        Var rows = sig.scalar("rows", Scalar.INT64, "B*L");

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, THREADS);
        s.when(i.ge(rows.mul(total)), Scope::exit);
        Var row = s.let("row", i.div(total));
        Var c = s.let("c", i.mod(total).cast(Scalar.INT));
        chain(s, xs, widths, 0, 0, y, i, row, c);
        return sig.build("concat", Launch.linear(Extent.rows().times(total).ceilDiv(THREADS), THREADS),
                List.of("concat of parts " + widths + " along the channels; one thread per output element."));
    }

    /** if (c < end0) from part 0, else if (c < end1) from part 1, ...: the last part needs no test. */
    private static void chain(Scope s, List<Var> xs, List<Long> widths, int j, long start, Var y, Var i, Var row, Var c) {
        long w = widths.get(j);
        Consumer<Scope> copy = body -> body.set(y.at(i), xs.get(j).at(row.mul(w).add(c.sub(start))));
        if (j == xs.size() - 1) {
            copy.accept(s);
        } else {
            s.when(c.lt(start + w), copy, rest -> chain(rest, xs, widths, j + 1, start + w, y, i, row, c));
        }
    }

    private static long width(long channels, int n) {
        if (n <= 0 || channels % n != 0) throw new IllegalArgumentException(channels + " channels do not split into " + n + " parts");
        return channels / n;
    }
}
